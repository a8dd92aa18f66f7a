"""Keyword proposals: the words that set a code's coded segments apart from the rest.

For a code C, the segments coded with C (codings and accepted suggestions) are compared with
the segments a coder read and left without C (rejections, and the other segments of coded
documents up to the last one coded). A word is proposed when it is in at least
``MIN_SUPPORT`` coded segments, the lower bound of its precision (Wilson, 90%) is above
``MIN_LOWER_BOUND`` and above the code's share of the read segments, and its precision is
``MIN_LIFT`` times that share: in a corpus where a code is on a third of the segments, a word
that is "right" a third of the time only says the corpus is about that code. Words already
matched by one of C's keywords, proper nouns (a colleague's first name, a town: they say who,
not what), speaker and agent names, and proposals the researcher refused before are left out.

Nothing enters the codebook without the researcher: `approve` adds one keyword, audited like
any codebook edit, with a memo on the code that says where it came from.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ..models import Agent, Meta, Segment
from ..textutil import fold
from .analysis_cache import AnalysisStore
from .data import coded_pairs, decisions_from, load_codes, rejected_pairs, segment_rows
from .examples import content_lemmas
from .training import CodebookFeatures

MIN_SUPPORT = 2
MIN_LOWER_BOUND = 0.3  # Wilson lower bound of the precision a proposal needs
MIN_LIFT = 1.5  # how far above the code's base rate its precision must be
Z = 1.645  # 90% two-sided
REFUSED_KEY = "keywords.refused"  # meta: proposals the researcher refused, not shown again


@dataclass
class Proposal:
    code: str
    keyword: str
    coded: int  # segments with the code and the word
    others: int  # read segments without the code and with the word
    precision: float  # coded / (coded + others)
    lower_bound: float
    segments: list[str]  # a few coded segments holding it, as DOC:N

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wilson_lower(won: int, total: int) -> float:
    if total == 0:
        return 0.0
    p = won / total
    centre = p + Z * Z / (2 * total)
    spread = Z * math.sqrt(p * (1 - p) / total + Z * Z / (4 * total * total))
    return (centre - spread) / (1 + Z * Z / total)


def refused(session: Session) -> set[tuple[str, str]]:
    row = session.get(Meta, REFUSED_KEY)
    return {tuple(x) for x in json.loads(row.value)} if row and row.value else set()


def refuse(session: Session, code: str, keyword: str) -> None:
    """Remember that the researcher refused ``keyword`` for ``code``."""
    known = refused(session) | {(code, fold(keyword))}
    row = session.get(Meta, REFUSED_KEY)
    value = json.dumps(sorted(known), ensure_ascii=False)
    if row is None:
        session.add(Meta(key=REFUSED_KEY, value=value))
    else:
        row.value = value
        session.add(row)
    session.flush()


def _proper_nouns(text: str, starts: Any, ends: Any, lemmas: list[str]) -> set[str]:
    """Lemmas written with a capital inside a sentence (names of people and places)."""
    out = set()
    for i in range(1, len(lemmas)):
        word = text[int(starts[i]):int(ends[i])]
        before = text[:int(starts[i])].rstrip()
        if word[:1].isupper() and before and before[-1] not in ".!?:«\"—–-\n":
            out.add(lemmas[i])
    return out


def propose(session: Session, *, code: str | None = None, limit: int = 5,
            store: AnalysisStore | None = None) -> list[Proposal]:
    """Keyword proposals for every code (or ``code`` and its sub-codes), best first."""
    from ..codebook.lookup import descendants, get_code

    store = store or AnalysisStore(session)
    infos = load_codes(session)
    if code:
        wanted = set(descendants(session, get_code(session, code).id))
        infos = [c for c in infos if c.id in wanted]
    if not infos:
        return []
    all_infos = load_codes(session)
    rows = segment_rows(session)
    decisions = decisions_from(rows, coded_pairs(session), [c.id for c in all_infos],
                               rejected_pairs(session))
    by_id = {r.id: r for r in rows}
    sids = [s for s in decisions.segments() if s in by_id]
    if not sids:
        return []
    analyses = dict(zip(sids, store.get_many([by_id[s].text for s in sids],
                                             [by_id[s].text_hash for s in sids]), strict=True))
    names = {fold(n) for n in session.scalars(select(Agent.name))}
    names |= {fold(n) for n in session.scalars(select(Segment.speaker).distinct()) if n}
    proper: set[str] = set()
    bags: dict[int, set[str]] = {}
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for s, a in analyses.items():
        text = by_id[s].text
        proper |= _proper_nouns(text, a.starts, a.ends, a.lemmas)
        bags[s] = content_lemmas(a)
        for i, lemma in enumerate(a.lemmas):
            if lemma in bags[s]:
                forms[lemma][text[int(a.starts[i]):int(a.ends[i])].lower()] += 1
    book = CodebookFeatures(store, infos)
    covered: dict[int, set[str]] = defaultdict(set)
    for p in book.index.patterns:
        if len(p.slots) == 1:
            covered[p.code_id] |= p.slots[0]
    no = refused(session)
    out: list[Proposal] = []
    for c in infos:
        pos = [s for s in sids if c.id in decisions.positive.get(s, ())]
        neg = [s for s in sids if c.id in decisions.negative.get(s, ())]
        won = Counter(w for s in pos for w in bags[s])
        lost = Counter(w for s in neg for w in bags[s])
        base = len(pos) / max(len(pos) + len(neg), 1)
        floor = max(MIN_LOWER_BOUND, base)
        found = []
        for word, a in won.items():
            if a < MIN_SUPPORT or word in covered[c.id] or word in proper or word in names:
                continue
            if (c.name, word) in no or len(word) < 3:
                continue
            total = a + lost[word]
            bound = wilson_lower(a, total)
            if bound < floor or a / total < min(MIN_LIFT * base, 0.9):
                continue
            shown = _base_form(word, forms[word])
            if (c.name, fold(shown)) in no:
                continue
            refs = [by_id[s].ref for s in pos if word in bags[s]][:3]
            found.append(Proposal(c.name, shown, a, lost[word], round(a / total, 3),
                                  round(bound, 3), refs))
        found.sort(key=lambda p: (-p.lower_bound, -p.coded, p.keyword))
        out.extend(found[:limit])
    return out


def _base_form(lemma: str, seen: Counter[str]) -> str:
    """The word as written in the corpus: its base form when the text has it (`dossier`,
    `humilier`), else its most frequent form."""
    for form, _n in seen.most_common():
        if fold(form) == lemma:
            return form
    return seen.most_common(1)[0][0] if seen else lemma


def approve(session: Session, proposal: Proposal, *, coder: str | None = None) -> None:
    """Add ``proposal`` to its code's keywords (audited, undoable) with a memo that keeps
    its provenance."""
    from ..audit import audited
    from ..codebook.lookup import get_code
    from ..coding.memos import add_memo
    from ..coding.service import coder_label

    code = get_code(session, proposal.code)
    who = coder_label(coder)
    with audited(session, action="codebook keyword", coder=who,
                 summary=f"keyword {proposal.keyword} added to {code.name} (proposed from "
                         f"{proposal.coded} coded segments)"):
        code.keywords = [*(code.keywords or []), proposal.keyword]
        session.add(code)
    add_memo(session, target=f"code:{code.name}", coder=who, title="keyword proposal",
             text=(f"Keyword « {proposal.keyword} » approved by {who}: it appeared in "
                   f"{proposal.coded} segments coded {code.name} and in {proposal.others} "
                   f"other read segments (precision {proposal.precision:.0%}); for example "
                   f"{', '.join(proposal.segments)}."))
