"""The scoring engine (`qualcode.rank.v1`): evidence per (segment, code), one probability.

Evidence, each versioned so that a stored suggestion stays explainable:
- `qualcode.keywords.v4` (keywords.py): the code's keywords, and its own name, matched on
  lemmas; words are evidence once; negated matches are flagged;
- `qualcode.reliability.v1` (reliability.py): each keyword's precision, from its
  specificity in this corpus and the coders' decisions; the keyword probability is the
  noisy-OR of the distinct keywords matched, ``1 - prod(1 - reliability)``;
- `qualcode.similarity.v2`: how much closer the segment vector is to this code's prototype
  (definition and examples) than to the other codes', as a z-score across the codes;
- `qualcode.examples.v1` (examples.py): the nearest example of the code against the nearest
  example of another code, by shared lemmas (codebook examples, then coded segments);
- `qualcode.calibrator.v1` (calibrate.py): one shared logistic model over those features
  (keyword probability, example margin, similarity), trained on decisions and used only when
  it beats its default on held-out documents.

A candidate is any pair with evidence; the queue is ranked by the calibrated probability, so
a single specific keyword is enough to be proposed and a common one needs corroboration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import calibrate as cal
from . import examples as exmod
from . import keywords as kwmod
from .analysis_cache import Analysis
from .reliability import Key, Reliability

SIMILARITY = "qualcode.similarity.v2"
COMBINER = "qualcode.rank.v1"
DEFAULT_MIN_SCORE = 0.2  # what `suggest` keeps in the queue: about 1 chance in 5 or more
# Where a suggestion is proposed (and the evaluation decides): for calibrated probabilities
# the threshold that maximises F1 is half the best F1 reachable, so about 1/3 when F1 is
# about 2/3; a suggestion right once in three is worth a reviewer's key.
DECISION = 1 / 3


def unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norm, out=np.zeros_like(v), where=norm > 0)


@dataclass
class CodeInfo:
    id: int
    name: str
    keywords: list[str]
    proto_texts: list[str]  # definition (description + inclusion) and examples
    examples: list[str] = field(default_factory=list)  # the codebook's examples


@dataclass
class Features:
    """Evidence for a batch of segments against every code."""

    analyses: Sequence[Analysis]
    matches: list[list[kwmod.Match]]  # kept matches: words are evidence once per code
    plain: list[dict[int, set[str]]]  # per segment: code id -> keywords matched plainly
    negated: list[dict[int, set[str]]]  # code id -> keywords matched only under a negation
    p_kw: np.ndarray  # (n, codes) probability from the keywords (and the code's base rate)
    cos: np.ndarray  # (n, codes) cosine of the segment's lemmas with the code's lexicon
    sim: np.ndarray  # (n, codes) z-score of that cosine across the codes
    ex: np.ndarray  # (n, codes) example margin
    nearest: np.ndarray  # (n, codes) nearest positive example (pool index, -1: none)
    bags: list[set[str]]  # content lemmas per segment
    score: np.ndarray | None = None  # (n, codes) calibrated probability


def distinct(matches: Sequence[kwmod.Match]) -> list[kwmod.Match]:
    """Words are evidence once: per code, a match overlapping a longer (or plain) one is
    dropped (`prendre mes tickets` and `prendre ses tickets` on one passage, `relais` inside
    `prendre le relais`)."""
    ordered = sorted(matches, key=lambda m: (m.negated, m.first - m.last, m.first))
    claimed: dict[int, list[tuple[int, int]]] = {}
    kept = []
    for m in ordered:
        spans = claimed.setdefault(m.code_id, [])
        if any(m.first <= last and first <= m.last for first, last in spans):
            continue
        spans.append((m.first, m.last))
        kept.append(m)
    kept.sort(key=lambda m: (m.first, m.code_id))
    return kept


def keyword_sets(kept: Sequence[kwmod.Match]) -> tuple[dict[int, set[str]],
                                                         dict[int, set[str]]]:
    """Per code: keywords matched plainly, and those matched only under a negation."""
    plain: dict[int, set[str]] = {}
    negated: dict[int, set[str]] = {}
    for m in kept:
        (negated if m.negated else plain).setdefault(m.code_id, set()).add(m.keyword)
    for cid, words in negated.items():
        words -= plain.get(cid, set())
    return plain, {cid: w for cid, w in negated.items() if w}


def keyword_probability(plain: dict[int, set[str]], negated: dict[int, set[str]],
                        rel: Reliability) -> dict[int, float]:
    """Noisy-OR of the distinct keywords matched: each is a separate chance of being right."""
    out: dict[int, float] = {}
    for cid in set(plain) | set(negated):
        miss = 1.0
        for kw in plain.get(cid, ()):
            miss *= 1.0 - rel.keyword((cid, kw))
        if negated.get(cid):
            hold = rel.negation(cid)
            for kw in negated[cid]:
                miss *= 1.0 - hold * rel.keyword((cid, kw))
        out[cid] = 1.0 - miss
    return out


def similarity(bags: Sequence[set[str]], lexicons: Sequence[frozenset[str]]
               ) -> tuple[np.ndarray, np.ndarray]:
    """(cosine, z-score across the codes) per segment and code (`qualcode.similarity.v2`).

    The cosine of the segment's content lemmas with the code's lexicon (the content lemmas
    of its definition, inclusion criteria and examples); the z-score says how much this code
    stands out for the segment among the codes. Shared words tell codes apart better than
    the model's pruned static vectors, and better than a multilingual sentence model
    measured on the same material (docs/suggestions.md), and they explain themselves."""
    n, k = len(bags), len(lexicons)
    cos = np.zeros((n, k), np.float32)
    sizes = np.array([max(len(x), 1) for x in lexicons], np.float32)
    for i, bag in enumerate(bags):
        if bag:
            cos[i] = [len(bag & lex) for lex in lexicons]
            cos[i] /= np.sqrt(len(bag) * sizes)
    z = np.zeros_like(cos)
    has = np.array([bool(x) for x in lexicons])
    if has.sum() >= 2:
        sub = cos[:, has]
        z[:, has] = (sub - sub.mean(axis=1, keepdims=True)) / (
            sub.std(axis=1, keepdims=True) + 1e-3)
    return cos, z


@dataclass
class Engine:
    codes: list[CodeInfo]
    index: kwmod.KeywordIndex
    lexicons: list[frozenset[str]]  # per code: lemmas of its definition and examples
    reliability: Reliability
    pool: exmod.ExamplePool | None = None
    weights: np.ndarray = field(default_factory=lambda: cal.DEFAULT.copy())
    check: cal.Check | None = None  # whether a trained calibrator passed its check
    learning: cal.Check | None = None  # whether what decisions taught passed its check
    learned_from: np.ndarray | None = None  # (codes,) human decisions behind each code
    name_keywords: frozenset[Key] = frozenset()  # keywords taken from the codes' names

    @property
    def column(self) -> dict[int, int]:
        return {c.id: j for j, c in enumerate(self.codes)}

    @property
    def calibrated(self) -> bool:
        return self.check is not None and self.check.used

    def match(self, a: Analysis) -> list[kwmod.Match]:
        return distinct(kwmod.match(a, self.index))

    def features(self, analyses: Sequence[Analysis],
                 segment_ids: Sequence[int | None] | None = None, *,
                 matches: Sequence[list[kwmod.Match]] | None = None,
                 reliability: Reliability | None = None,
                 groups: Sequence[int | None] | None = None) -> Features:
        """Evidence for ``analyses``. ``segment_ids`` keeps a segment from being its own
        example, ``groups`` keeps examples of the same group out (out-of-fold features);
        ``matches`` are reused when known; ``reliability`` overrides the engine's."""
        rel = reliability or self.reliability
        col = self.column
        n, k = len(analyses), len(self.codes)
        kept = list(matches) if matches is not None else [self.match(a) for a in analyses]
        base = np.array([rel.base(c.id, k) for c in self.codes], np.float32)
        p_kw = np.tile(base, (n, 1))
        plains, negs = [], []
        for i, found in enumerate(kept):
            plain, negated = keyword_sets(found)
            plains.append(plain)
            negs.append(negated)
            for cid, p in keyword_probability(plain, negated, rel).items():
                j = col[cid]
                p_kw[i, j] = 1.0 - (1.0 - base[j]) * (1.0 - p)
        bags = [exmod.content_lemmas(a) for a in analyses]
        cos, sim = similarity(bags, self.lexicons)
        if self.pool is not None and len(self.pool):
            ex, nearest = self.pool.margins(self.pool.cosines(bags, segment_ids, groups))
        else:
            ex, nearest = np.zeros((n, k), np.float32), np.full((n, k), -1, np.int64)
        return Features(analyses, kept, plains, negs, p_kw, cos, sim, ex, nearest, bags)

    def score(self, analyses: Sequence[Analysis],
              segment_ids: Sequence[int | None] | None = None, *,
              matches: Sequence[list[kwmod.Match]] | None = None) -> Features:
        f = self.features(analyses, segment_ids, matches=matches)
        f.score = cal.sigmoid(cal.design(f.p_kw, f.ex, f.sim) @ self.weights)
        return f


def _logit(p: float) -> float:
    p = min(max(p, cal.EPS), 1.0 - cal.EPS)
    return math.log(p / (1.0 - p))


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def contributions(weights: np.ndarray, p_kw: float, ex: float, sim: float) -> dict[str, float]:
    """Each kind of evidence's share of the final score, added in order from the score of a
    pair without any evidence."""
    a, b, c, d = (float(w) for w in weights)
    z_none = a * _logit(0.0) + d
    z_kw = a * _logit(p_kw) + d
    base, with_kw = _sig(z_none), _sig(z_kw)
    with_ex = _sig(z_kw + b * ex)
    final = _sig(z_kw + b * ex + c * sim)
    return {"base": round(base, 4), "keywords": round(with_kw - base, 4),
            "examples": round(with_ex - with_kw, 4), "similarity": round(final - with_ex, 4)}


def scorer_names() -> dict[str, str]:
    from .reliability import NAME as RELIABILITY

    return {"keywords": kwmod.NAME, "reliability": RELIABILITY, "similarity": SIMILARITY,
            "examples": exmod.NAME, "calibrator": cal.NAME, "combiner": COMBINER}
