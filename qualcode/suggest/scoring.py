"""Scorers, their registry and the combiner that turns them into one score in [0, 1].

Scorers are registered under versioned names: a changed behaviour gets a new name, so a stored
suggestion (its ``scorer`` column and evidence) stays explainable.

- `qualcode.keywords.v4` (keywords.py): keyword strength per (segment, code); words are
  evidence once (v1 counted overlapping matches of one passage several times).
- `qualcode.similarity.v1`: cosine between the segment vector and the code's prototype (its
  definition and examples), taken relative to the segment's cosines with all the codes
  (difference to their mean, and z-score). The vectors tell on-topic from off-topic text but
  barely one code from another, so similarity only nudges the score.
- `qualcode.examples.v1` (examples.py): the margin of the nearest example of the code over
  the nearest example coded otherwise, by shared lemmas; codebook examples, then the coded
  segments as the coder works.
- `qualcode.learned.v2` (learned.py): a per-code correction trained on human codings and
  review decisions, used only when it helps on held-out documents.
- `qualcode.fill.v2`: the coders' habit. When they code nearly every segment (at least 80% of
  the segments of the documents they coded), a segment that no code reaches still gets its
  best code as a suggestion, with its true score and ``"filled": true`` in the evidence (v1
  raised the score to the threshold).
- `qualcode.combine.v2`: score = sigmoid(BIAS + KW_WEIGHT·min(kw, KW_CAP) + similarity
  + EX_WEIGHT·example margin + learned), similarity = SIM_WEIGHT·(cos - mean cos)
  + Z_WEIGHT·z-score. 0.5 is the threshold: two keywords give about 0.9; one keyword gives
  about 0.27 and passes 0.5 only when the segment is closer to this code than to most others
  (vectors and examples); without a keyword the score stays under 0.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import examples as exmod
from . import keywords as kwmod
from . import learned as lmod
from .analysis_cache import Analysis

SIMILARITY = "qualcode.similarity.v1"
COMBINER = "qualcode.combine.v2"
DEFAULT_MIN_SCORE = 0.5

BIAS = -4.0
KW_WEIGHT = 3.0
KW_CAP = 2.5
SIM_WEIGHT = 4.0
Z_WEIGHT = 0.5
EX_WEIGHT = 2.0
FILL = "qualcode.fill.v2"
FILL_COVERAGE = 0.8  # coders who code at least this share of segments
FILL_FLOOR = 0.1  # a filled code must still score this much on its own

REGISTRY: dict[str, Callable[..., Any]] = {}


def register(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY[name] = fn
        return fn
    return deco


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


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
class Batch:
    """Scorer outputs for a batch of segments against every code."""

    analyses: Sequence[Analysis]
    matches: list[list[kwmod.Match]]
    kw: np.ndarray  # (n, codes) keyword strength
    cos: np.ndarray  # (n, codes) cosine to the prototype
    sim: np.ndarray  # (n, codes) similarity term of the logit (relative cosine, z-score)
    ex: np.ndarray  # (n, codes) example margin (examples.py)
    ex_nearest: np.ndarray  # (n, codes) nearest positive example (pool index, -1: none)
    bags: list[set[str]]  # content lemmas per segment
    z0: np.ndarray  # codebook logit
    learned: np.ndarray  # learned correction of the logit
    score: np.ndarray  # final score in [0, 1]
    filled: np.ndarray  # (n, codes) bool: raised to the threshold by `Engine.fill`


@dataclass
class Features:
    matches: list[list[kwmod.Match]]
    kw: np.ndarray
    cos: np.ndarray
    sim: np.ndarray
    ex: np.ndarray
    nearest: np.ndarray
    bags: list[set[str]]


@dataclass
class Engine:
    codes: list[CodeInfo]
    index: kwmod.KeywordIndex
    weights: dict[tuple[int, str], float]
    prototypes: np.ndarray  # (codes, dim) unit vectors (zero rows: no prototype)
    pool: exmod.ExamplePool | None = None
    model: lmod.LearnedModel | None = None
    check: lmod.Check | None = None  # whether the learned correction passed its check
    learned_from: np.ndarray | None = None  # (codes,) human decisions behind each code
    # Share of the segments this corpus's coders code (None: no human coding yet). When they
    # code nearly every segment, a segment left without any suggestion gets its best code.
    coverage: float | None = None

    @property
    def fills(self) -> bool:
        return self.coverage is not None and self.coverage >= FILL_COVERAGE

    @property
    def column(self) -> dict[int, int]:
        return {c.id: j for j, c in enumerate(self.codes)}

    def codebook_features(self, analyses: Sequence[Analysis],
                          segment_ids: Sequence[int | None] | None = None) -> Features:
        """Keyword, similarity and example evidence; ``segment_ids`` keeps a segment from
        being its own example."""
        col = self.column
        n, k = len(analyses), len(self.codes)
        kw = np.zeros((n, k), np.float32)
        matches = []
        for i, a in enumerate(analyses):
            found = REGISTRY[kwmod.NAME](a, self.index)
            matches.append(found)
            for code_id, strength in kwmod.strengths(found, self.weights).items():
                kw[i, col[code_id]] = strength
        cos, sim = REGISTRY[SIMILARITY](analyses, self.prototypes)
        bags = [exmod.content_lemmas(a) for a in analyses]
        if self.pool is not None and len(self.pool):
            ex, nearest = REGISTRY[exmod.NAME](self.pool, bags, segment_ids)
        else:
            ex, nearest = np.zeros((n, k), np.float32), np.full((n, k), -1, np.int64)
        return Features(matches, kw, cos, sim, ex, nearest, bags)

    def score(self, analyses: Sequence[Analysis],
              segment_ids: Sequence[int | None] | None = None) -> Batch:
        f = self.codebook_features(analyses, segment_ids)
        z0 = codebook_logit(f.kw, f.sim, f.ex)
        if self.model is not None and self.model.labelled.any():
            learned = REGISTRY[lmod.NAME](self.model, analyses, f.kw, f.sim)
        else:
            learned = np.zeros_like(z0)
        return Batch(analyses, f.matches, f.kw, f.cos, f.sim, f.ex, f.nearest, f.bags, z0,
                     learned, sigmoid(z0 + learned), np.zeros(z0.shape, bool))

    def fill(self, batch: Batch, threshold: float, blocked: np.ndarray | None = None) -> None:
        """The coders' habit (`qualcode.fill.v2`): when they code nearly every segment, a
        segment with no code at or above ``threshold`` (and no human coding: ``blocked``
        rows) gets its best code marked as filled, if it scores at least FILL_FLOOR. The
        score is left as it is: a filled suggestion is a best guess and says so."""
        if not self.fills or not batch.score.size:
            return
        none = ~(batch.score >= threshold).any(axis=1)
        if blocked is not None:
            none &= ~blocked
        rows = np.flatnonzero(none)
        best = batch.score[rows].argmax(axis=1)
        keep = batch.score[rows, best] >= FILL_FLOOR
        batch.filled[rows[keep], best[keep]] = True

    def suggested(self, batch: Batch, threshold: float) -> np.ndarray:
        """(n, codes) bool: what `suggest` proposes, scores at the threshold or filled."""
        return (batch.score >= threshold) | batch.filled


def codebook_logit(kw: np.ndarray, sim: np.ndarray, ex: np.ndarray) -> np.ndarray:
    return BIAS + KW_WEIGHT * np.minimum(kw, KW_CAP) + sim + EX_WEIGHT * ex


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def contributions(kw: float, sim: float, ex: float, learned: float) -> dict[str, float]:
    """Each scorer's share of the final score, added in order from the base score."""
    z_kw = BIAS + KW_WEIGHT * min(kw, KW_CAP)
    z_ex = z_kw + sim + EX_WEIGHT * ex
    base, with_kw, with_sim = _sig(BIAS), _sig(z_kw), _sig(z_kw + sim)
    with_ex, final = _sig(z_ex), _sig(z_ex + learned)
    return {"base": round(base, 4), "keywords": round(with_kw - base, 4),
            "similarity": round(with_sim - with_kw, 4), "examples": round(with_ex - with_sim, 4),
            "learned": round(final - with_ex, 4)}


@register(kwmod.NAME)
def keyword_scorer(a: Analysis, index: kwmod.KeywordIndex) -> list[kwmod.Match]:
    return kwmod.match(a, index)


@register(SIMILARITY)
def similarity_scorer(analyses: Sequence[Analysis], prototypes: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(cosine, similarity logit term) per segment and code."""
    n, k = len(analyses), prototypes.shape[0]
    if n == 0 or k == 0 or prototypes.shape[1] != analyses[0].vector.shape[0]:
        z = np.zeros((n, k), np.float32)
        return z, z
    v = unit(np.stack([a.vector for a in analyses]).astype(np.float32))
    cos = v @ prototypes.T
    has = np.linalg.norm(prototypes, axis=1) > 0
    term = np.zeros_like(cos)
    if has.sum() >= 2:
        sub = cos[:, has]
        rel = sub - sub.mean(axis=1, keepdims=True)
        zscore = rel / (sub.std(axis=1, keepdims=True) + 1e-6)
        term[:, has] = SIM_WEIGHT * rel + Z_WEIGHT * zscore
    term[~v.any(axis=1)] = 0.0
    return cos, term.astype(np.float32)


@register(exmod.NAME)
def example_scorer(pool: exmod.ExamplePool, bags: Sequence[set[str]],
                   segment_ids: Sequence[int | None] | None) -> tuple[np.ndarray, np.ndarray]:
    return pool.margins(pool.cosines(bags, segment_ids))


@register(lmod.NAME)
def learned_scorer(model: lmod.LearnedModel, analyses: Sequence[Analysis], kw: np.ndarray,
                   sim: np.ndarray) -> np.ndarray:
    return model.correction(analyses, kw, sim)


def scorer_names() -> dict[str, str]:
    return {"keywords": kwmod.NAME, "similarity": SIMILARITY, "examples": exmod.NAME,
            "learned": lmod.NAME,
            "fill": FILL, "combiner": COMBINER}
