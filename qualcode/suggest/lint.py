"""Codebook check: what will make suggestions weak on this corpus, said before they are.

Warnings, per code:
- ``few-keywords``: fewer than ``MIN_KEYWORDS`` keywords (one missed word, no suggestion);
- ``common-keyword``: a keyword found in more than ``COMMON_SHARE`` of the segments (it
  fires everywhere: alone it counts little, see reliability.py);
- ``unused-keyword``: a keyword found nowhere in the corpus (a typo, or another field's word);
- ``foreign-examples``: the examples share (almost) no content word with the corpus, so they
  cannot serve as nearest examples;
- ``name-unmatched``: not a word of the code's own name appears in the corpus;
- ``no-evidence``: no keyword and no example at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session

from . import examples as exmod
from .analysis_cache import AnalysisStore
from .data import load_codes, segment_rows
from .training import CodebookFeatures

MIN_KEYWORDS = 3
COMMON_SHARE = 0.3
MIN_EXAMPLE_OVERLAP = 0.3  # share of the examples' content words found in the corpus


@dataclass
class Finding:
    code: str
    kind: str
    message: str
    keyword: str | None = None
    share: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_codebook(session: Session, *, store: AnalysisStore | None = None) -> list[Finding]:
    """The findings for the corpus's codebook, code by code (codebook order)."""
    store = store or AnalysisStore(session)
    infos = load_codes(session)
    if not infos:
        return []
    rows = segment_rows(session, include_interviewer=False)
    book = CodebookFeatures(store, infos)
    matcher = book.engine({})
    analyses = store.get_many([r.text for r in rows], [r.text_hash for r in rows])
    found = [{(m.code_id, m.keyword) for m in matcher.match(a)} for a in analyses]
    # plain shares: the check speaks of this corpus as it is (the engine smooths them)
    counts = Counter(k for keys in found for k in keys)
    vocabulary = set().union(*(exmod.content_lemmas(a) for a in analyses)) if analyses else set()
    out: list[Finding] = []
    for c in infos:
        own = list(dict.fromkeys(c.keywords))
        if not own and not c.examples:
            out.append(Finding(c.name, "no-evidence", "no keyword and no example: nothing "
                               "can suggest it until segments are coded with it"))
        elif len(own) < MIN_KEYWORDS:
            out.append(Finding(c.name, "few-keywords", f"only {len(own)} keyword"
                               f"{'s' if len(own) != 1 else ''}: add words and expressions "
                               "participants use for it"))
        for k in own:
            n = counts.get((c.id, k), 0)
            share = n / len(rows) if rows else 0.0
            if not n and rows:
                out.append(Finding(c.name, "unused-keyword", f"« {k} » appears in no segment",
                                   k, 0.0))
            elif share > COMMON_SHARE:
                out.append(Finding(c.name, "common-keyword",
                                   f"« {k} » appears in {share:.0%} of the segments: alone it "
                                   "says little; prefer a more specific expression", k,
                                   round(share, 4)))
        if rows and not any(counts.get((c.id, k)) for k in book.name_words[c.id]):
            out.append(Finding(c.name, "name-unmatched", "no word of the code's name appears "
                               "in the corpus: its keywords must carry it alone"))
        if c.examples and vocabulary:
            words = set().union(*(e.lemmas for e in book.entries
                                  if c.id in e.positive and e.ref == "codebook"))
            if words:
                overlap = len(words & vocabulary) / len(words)
                if overlap < MIN_EXAMPLE_OVERLAP:
                    out.append(Finding(c.name, "foreign-examples",
                                       f"its examples share {overlap:.0%} of their words with "
                                       "the corpus: quote or paraphrase a real segment",
                                       share=round(overlap, 4)))
    return out
