"""Scorers, their registry and the combiner that turns them into one score in [0, 1].

Scorers are registered under versioned names: a changed behaviour gets a new name, so a stored
suggestion (its ``scorer`` column and evidence) stays explainable.

- `qualcode.keywords.v1` (keywords.py): keyword strength per (segment, code).
- `qualcode.similarity.v1`: cosine between the segment vector and the code's prototype (its
  definition, examples and coded segments), taken relative to the segment's cosines with all
  the codes (difference to their mean, and z-score). The vectors tell on-topic from off-topic
  text but barely one code from another, so similarity only nudges the score: it decides
  between a single keyword hit and none, and can never reach the threshold alone.
- `qualcode.learned.v1` (learned.py): a per-code correction trained on human codings and review
  decisions.
- `qualcode.fill.v1`: learned from the coders' habits: when they code nearly every segment
  (at least 80% of the segments of the documents they coded), a segment that no code
  reaches gets its best code, at the threshold (so `review` asks it first).
- `qualcode.combine.v1`: score = sigmoid(BIAS + KW_WEIGHT·min(kw, KW_CAP) + similarity
  + learned), similarity = SIM_WEIGHT·(cos - mean cos) + Z_WEIGHT·z-score. Calibrated on the
  demo corpus so that 0.5 is the threshold: two keywords give about 0.9; one keyword gives
  about 0.27 and passes 0.5 only when the segment is closer to this code than to most
  others; without a keyword the score stays under 0.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import keywords as kwmod
from . import learned as lmod
from .analysis_cache import Analysis

SIMILARITY = "qualcode.similarity.v1"
COMBINER = "qualcode.combine.v1"
DEFAULT_MIN_SCORE = 0.5

BIAS = -4.0
KW_WEIGHT = 3.0
KW_CAP = 2.5
SIM_WEIGHT = 4.0
Z_WEIGHT = 0.5
FILL = "qualcode.fill.v1"
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


@dataclass
class Example:
    ref: str  # "document:n"
    excerpt: str
    vector: np.ndarray  # unit


@dataclass
class Batch:
    """Scorer outputs for a batch of segments against every code."""

    analyses: Sequence[Analysis]
    matches: list[list[kwmod.Match]]
    kw: np.ndarray  # (n, codes) keyword strength
    cos: np.ndarray  # (n, codes) cosine to the prototype
    sim: np.ndarray  # (n, codes) similarity term of the logit (relative cosine, z-score)
    z0: np.ndarray  # codebook logit
    learned: np.ndarray  # learned correction of the logit
    score: np.ndarray  # final score in [0, 1]
    filled: np.ndarray  # (n, codes) bool: raised to the threshold by `Engine.fill`


@dataclass
class Engine:
    codes: list[CodeInfo]
    index: kwmod.KeywordIndex
    weights: dict[tuple[int, str], float]
    prototypes: np.ndarray  # (codes, dim) unit vectors (zero rows: no prototype)
    examples: dict[int, list[Example]] = field(default_factory=dict)
    model: lmod.LearnedModel | None = None
    # Share of the segments this corpus's coders code (None: no human coding yet). When they
    # code nearly every segment, a segment left without any suggestion gets its best code.
    coverage: float | None = None
    _matrices: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def fills(self) -> bool:
        return self.coverage is not None and self.coverage >= FILL_COVERAGE

    @property
    def column(self) -> dict[int, int]:
        return {c.id: j for j, c in enumerate(self.codes)}

    def codebook_features(self, analyses: Sequence[Analysis]
                          ) -> tuple[list[list[kwmod.Match]], np.ndarray, np.ndarray, np.ndarray]:
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
        return matches, kw, cos, sim

    def score(self, analyses: Sequence[Analysis]) -> Batch:
        matches, kw, cos, sim = self.codebook_features(analyses)
        z0 = codebook_logit(kw, sim)
        if self.model is not None and self.model.labelled.any():
            learned = REGISTRY[lmod.NAME](self.model, analyses, kw, sim)
        else:
            learned = np.zeros_like(z0)
        return Batch(analyses, matches, kw, cos, sim, z0, learned, sigmoid(z0 + learned),
                     np.zeros(z0.shape, bool))

    def fill(self, batch: Batch, threshold: float, blocked: np.ndarray | None = None) -> None:
        """The coders' habit (`qualcode.fill.v1`): when they code nearly every segment, a
        segment with no code at or above ``threshold`` (and no human coding: ``blocked``
        rows) gets its best-scoring code, raised to the threshold and marked as filled."""
        if not self.fills or not batch.score.size:
            return
        none = ~(batch.score >= threshold).any(axis=1)
        if blocked is not None:
            none &= ~blocked
        for i in np.flatnonzero(none):
            j = int(batch.score[i].argmax())
            if batch.score[i, j] >= FILL_FLOOR:
                batch.score[i, j] = threshold
                batch.filled[i, j] = True

    def nearest(self, code_id: int, vector: np.ndarray) -> tuple[Example, float] | None:
        examples = self.examples.get(code_id)
        if not examples or not vector.any():
            return None
        matrix = self._matrices.get(code_id)
        if matrix is None:
            matrix = self._matrices[code_id] = np.stack([e.vector for e in examples])
        sims = matrix @ unit(vector.astype(np.float32))
        best = int(sims.argmax())
        return examples[best], float(sims[best])


def codebook_logit(kw: np.ndarray, sim: np.ndarray) -> np.ndarray:
    return BIAS + KW_WEIGHT * np.minimum(kw, KW_CAP) + sim


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def contributions(kw: float, sim: float, learned: float) -> dict[str, float]:
    """Each scorer's share of the final score, added in order from the base score."""
    z_kw = BIAS + KW_WEIGHT * min(kw, KW_CAP)
    base, with_kw = _sig(BIAS), _sig(z_kw)
    with_sim, final = _sig(z_kw + sim), _sig(z_kw + sim + learned)
    return {"base": round(base, 4), "keywords": round(with_kw - base, 4),
            "similarity": round(with_sim - with_kw, 4), "learned": round(final - with_sim, 4)}


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


@register(lmod.NAME)
def learned_scorer(model: lmod.LearnedModel, analyses: Sequence[Analysis], kw: np.ndarray,
                   sim: np.ndarray) -> np.ndarray:
    return model.correction(analyses, kw, sim)


def scorer_names() -> dict[str, str]:
    return {"keywords": kwmod.NAME, "similarity": SIMILARITY, "learned": lmod.NAME,
            "fill": FILL, "combiner": COMBINER}
