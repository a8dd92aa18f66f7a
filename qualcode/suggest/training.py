"""Build an engine: the codebook's evidence, then what the coders' decisions teach.

Learning has four channels, each with few parameters so that one coded document says
something about the next:
1. keyword reliabilities (reliability.py), updated by every decision at once;
2. the example pool (examples.py): coded segments become examples of their codes;
3. the codes' lexicons grow with the words their coded segments share (scoring.similarity);
4. the shared calibrator (calibrate.py), kept only when it wins on held-out documents.
Channels 1 to 3 are kept only when, together, they beat the codebook alone on held-out
documents (or blocks of the only coded document).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import calibrate as cal
from . import examples as exmod
from . import keywords as kwmod
from .analysis_cache import PUNCT, SPACE, STOP, Analysis, AnalysisStore
from .data import Decisions, SegRow
from .reliability import Key, Reliability, learn
from .scoring import CodeInfo, Engine, Features, keyword_sets

EXCERPT = 120
CODEBOOK_BATCH = 256
BLOCKS = 3  # a single coded document is checked in this many blocks of segments
LEXICON_SUPPORT = 2  # coded segments a word needs to join its code's lexicon


def excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1].rstrip() + "…"


def name_keywords(name: str, analysis: Analysis) -> list[str]:
    """A code's name as evidence for it: the whole name, and each of its content words when
    it has several (« on se sent déqualifiés » is evidence for `agents déqualifiés`); their
    reliability, like any keyword's, depends on how specific they are in the corpus."""
    words = [name[int(analysis.starts[i]):int(analysis.ends[i])] for i in range(len(analysis))
             if not analysis.flags[i] & (STOP | PUNCT | SPACE)
             and int(analysis.ends[i]) - int(analysis.starts[i]) > 2]
    return [name, *words] if len(words) > 1 else [name]


class CodebookFeatures:
    """What the codebook alone gives: the keyword index (the code's keywords and the words of
    its name), each code's lexicon (the content lemmas of its definition, inclusion criteria
    and examples) and the codebook's examples."""

    def __init__(self, store: AnalysisStore, codes: list[CodeInfo]) -> None:
        self.codes = codes
        self.index = kwmod.KeywordIndex()
        names = [c.name for c in codes]
        named = dict(zip(names, store.get_many(names, batch_size=CODEBOOK_BATCH),
                         strict=True)) if names else {}
        own = {c.id: list(dict.fromkeys(c.keywords)) for c in codes}
        from_name: dict[int, list[str]] = {}
        self.name_words: dict[int, list[str]] = {}
        for c in codes:
            words = name_keywords(c.name, named[c.name])
            spelt = {k.casefold(): k for k in own[c.id]}
            from_name[c.id] = [k for k in words if k.casefold() not in spelt]
            self.name_words[c.id] = [spelt.get(k.casefold(), k) for k in words]
        keywords = list(dict.fromkeys(k for c in codes for k in own[c.id] + from_name[c.id]))
        texts = keywords + list(dict.fromkeys(t for c in codes for t in c.proto_texts))
        # Short texts: larger batches cost no memory and save spaCy's per-batch overhead.
        analyses = dict(zip(texts, store.get_many(texts, batch_size=CODEBOOK_BATCH),
                            strict=True)) if texts else {}
        carriers = {k: kwmod.carrier_texts(k, analyses[k]) for k in keywords}
        extra = [t for ts in carriers.values() for t in ts if t not in analyses]
        if extra:
            analyses.update(zip(extra, store.get_many(extra, batch_size=CODEBOOK_BATCH),
                                strict=True))
        self.name_keys: set[Key] = set()
        self.lexicons: list[frozenset[str]] = []
        self.entries: list[exmod.Entry] = []
        all_ids = frozenset(c.id for c in codes)
        for c in codes:
            for k in own[c.id] + from_name[c.id]:
                pattern = kwmod.compile_keyword(c.id, k, analyses[k],
                                                [analyses[t] for t in carriers[k]])
                if pattern is not None:
                    self.index.add(pattern)
                    if k in from_name[c.id]:
                        self.name_keys.add((c.id, k))
            self.lexicons.append(frozenset().union(
                *(exmod.content_lemmas(analyses[t]) for t in c.proto_texts)))
            # A codebook example is a positive for its code and a negative for the others.
            self.entries.extend(
                exmod.Entry("codebook", excerpt(t), frozenset(exmod.content_lemmas(analyses[t])),
                            frozenset({c.id}), all_ids - {c.id})
                for t in c.examples)

    def engine(self, shares: Mapping[Key, float]) -> Engine:
        """The codebook alone: keyword priors from their specificity, no decision."""
        return Engine(self.codes, self.index, self.lexicons, Reliability(dict(shares)),
                      pool=exmod.ExamplePool(self.entries, [c.id for c in self.codes]),
                      learned_from=np.zeros(len(self.codes), np.int64),
                      name_keywords=frozenset(self.name_keys))


def _learn(shares: Mapping[Key, float], decisions: Decisions,
           matches: Mapping[int, list[kwmod.Match]], sids: Sequence[int],
           code_ids: Sequence[int]) -> Reliability:
    """Reliabilities from the decided pairs of ``sids``: with a keyword match, the keywords'
    record; without one, the code's keyword-less base rate."""
    evidence: list[tuple[set[Key], set[Key], bool]] = []
    unmatched: list[tuple[int, bool]] = []
    for sid in sids:
        plain, negated = keyword_sets(matches.get(sid, []))
        for cid in code_ids:
            right = decisions.label(sid, cid)
            if right is None:
                continue
            if cid in plain or cid in negated:
                evidence.append(({(cid, k) for k in plain.get(cid, ())},
                                 {(cid, k) for k in negated.get(cid, ())}, right))
            else:
                unmatched.append((cid, right))
    return learn(shares, evidence, unmatched)


def _groups(decisions: Decisions, rows: Mapping[int, SegRow]) -> dict[int, int]:
    """Held-out groups: the documents, or blocks of segments when only one is coded."""
    sids = decisions.segments()
    docs = {decisions.group[s] for s in sids}
    if len(docs) >= 2:
        return {s: decisions.group[s] for s in sids}
    ordered = sorted(sids, key=lambda s: rows[s].n)
    return {s: -1 - (k * BLOCKS // max(len(ordered), 1)) for k, s in enumerate(ordered)}


def build_engine(book: CodebookFeatures, shares: Mapping[Key, float], *,
                 decisions: Decisions | None = None,
                 rows: Mapping[int, SegRow] | None = None,
                 analyses: Mapping[int, Analysis] | None = None,
                 matches: Mapping[int, list[kwmod.Match]] | None = None) -> Engine:
    """An engine for ``book`` in a corpus where keywords match ``shares`` of the segments,
    learning from ``decisions`` (with the rows and analyses of the decided segments)."""
    engine = book.engine(shares)
    if decisions is None:
        return engine
    rows, analyses = rows or {}, analyses or {}
    sids = [s for s in decisions.segments() if s in analyses and s in rows]
    if not sids:
        return engine
    matches = dict(matches or {})
    for s in sids:
        if s not in matches:
            matches[s] = engine.match(analyses[s])
    col = engine.column
    code_ids = [c.id for c in book.codes]
    groups = _groups(decisions, rows)
    learned_from = np.zeros(len(code_ids), np.int64)
    for s in sids:
        for cid in decisions.positive.get(s, set()) | decisions.negative.get(s, set()):
            learned_from[col[cid]] += 1
    engine.learned_from = learned_from
    # Out-of-fold evidence of every decided pair: each group (document, or block of the one
    # coded document) scored with what the other groups taught (reliabilities, examples),
    # next to what the codebook alone says of it.
    zero = book.engine(shares)
    learned = _with_examples(book.engine(shares), book, decisions, rows, analyses, sids,
                             groups, code_ids)
    xs, x0s, ys, gs = [], [], [], []
    for g in sorted(set(groups.values())):
        inside = [s for s in sids if groups[s] == g]
        outside = [s for s in sids if groups[s] != g]
        rel = _learn(shares, decisions, matches, outside, code_ids)
        seg = [analyses[s] for s in inside]
        found = [matches[s] for s in inside]
        learned.lexicons = _lexicons(book, decisions, analyses, outside)
        x = _design(learned.features(seg, inside, matches=found, reliability=rel,
                                     groups=[g] * len(inside)))
        x0 = _design(zero.features(seg, inside, matches=found))
        for i, s in enumerate(inside):
            for cid in code_ids:
                label = decisions.label(s, cid)
                if label is not None:
                    xs.append(x[i, col[cid]])
                    x0s.append(x0[i, col[cid]])
                    ys.append(1.0 if label else 0.0)
                    gs.append(g)
    x_all, x0_all, y_all = np.array(xs), np.array(x0s), np.array(ys)
    # 1. and 2.: reliabilities and the example pool, kept only if they beat the codebook
    # alone on the groups they did not see
    engine.learning = cal.compare(x0_all, x_all, y_all, len(set(gs)))
    if engine.learning.used:
        engine.reliability = _learn(shares, decisions, matches, sids, code_ids)
        engine.pool = learned.pool
        engine.lexicons = _lexicons(book, decisions, analyses, sids)
        train_x = x_all
    else:
        train_x = x0_all
    # 3. the calibrator, on the same out-of-fold features
    engine.weights, engine.check = cal.train_checked(train_x, y_all, gs)
    return engine


def _lexicons(book: CodebookFeatures, decisions: Decisions, analyses: Mapping[int, Analysis],
              sids: Sequence[int]) -> list[frozenset[str]]:
    """Each code's lexicon grown with the words of its coded segments: a word found in at
    least ``LEXICON_SUPPORT`` segments coded with the code, and in more of them than in the
    read segments without it."""
    bags = {s: exmod.content_lemmas(analyses[s]) for s in sids}
    out = []
    for c, lexicon in zip(book.codes, book.lexicons, strict=True):
        won: dict[str, int] = {}
        lost: dict[str, int] = {}
        for s in sids:
            target = won if c.id in decisions.positive.get(s, ()) else (
                lost if c.id in decisions.negative.get(s, ()) else None)
            if target is not None:
                for w in bags[s]:
                    target[w] = target.get(w, 0) + 1
        extra = {w for w, n in won.items() if n >= LEXICON_SUPPORT and n > lost.get(w, 0)}
        out.append(frozenset(lexicon | extra))
    return out


def _with_examples(engine: Engine, book: CodebookFeatures, decisions: Decisions,
                   rows: Mapping[int, SegRow], analyses: Mapping[int, Analysis],
                   sids: Sequence[int], groups: Mapping[int, int],
                   code_ids: Sequence[int]) -> Engine:
    """``engine`` with every read segment in its example pool: an example of its codes, and
    against the others (explicit rejections are kept as such)."""
    entries = list(book.entries)
    for s in sids:
        pos = frozenset(decisions.positive.get(s, ()))
        neg = frozenset(decisions.rejected.get(s, set()) - pos)
        entries.append(exmod.Entry(rows[s].ref, excerpt(rows[s].text),
                                   frozenset(exmod.content_lemmas(analyses[s])),
                                   pos, neg, s, groups[s]))
    engine.pool = exmod.ExamplePool(entries, code_ids)
    return engine


def _design(f: Features) -> np.ndarray:
    return cal.design(f.p_kw, f.ex, f.sim)
