"""The calibrator (`qualcode.calibrator.v1`): one small logistic model shared by every code.

It turns the evidence of a (segment, code) pair into a probability:

    z = a·logit(p_keywords) + b·example margin + c·similarity + d

with four parameters for the whole codebook (no per-code bag of words: with a few dozen coded
segments such a model memorises names, cited authors and site words). Its default weights,
``DEFAULT``, make the keyword probability the score and let the example and similarity
evidence only reorder close calls; they were set from that principle, not fitted to a corpus.

Trained on the coder's decisions, it can learn for instance that on this corpus the nearest
coded excerpt matters more than the keywords. It is kept only when it beats the default on
held-out groups (documents, or blocks of one document), on both log-loss and micro-F1 at 0.5;
`Check` says how it did. The features of the training pairs must themselves be computed
without their own group's decisions (out-of-fold), or the model would learn to over-trust
keyword reliabilities that saw the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NAME = "qualcode.calibrator.v1"
# keywords (logit), example margin, lexicon z-score, bias: see the module docstring
DEFAULT = np.array([1.0, 2.0, 0.75, 0.0], np.float64)
L2 = 2.0  # pull towards DEFAULT, in units of decisions
STEPS = 25  # Newton steps: four parameters converge in a handful
EPS = 0.02  # keyword probabilities are clipped to [EPS, 1 - EPS] before the logit
THRESHOLD = 1 / 3  # scoring.DECISION
MIN_POSITIVES = 3  # decisions needed before a calibrator is even tried


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1.0 - EPS)
    return np.log(p / (1.0 - p))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def design(p_kw: np.ndarray, ex: np.ndarray, sim: np.ndarray) -> np.ndarray:
    """(..., 4) features of each pair."""
    return np.stack([logit(p_kw), ex.astype(np.float64), sim.astype(np.float64),
                     np.ones(p_kw.shape)], axis=-1)


def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights for features ``x`` (m, 4) and labels ``y`` (m,), L2-pulled to DEFAULT."""
    w = DEFAULT.copy()
    for _ in range(STEPS):
        p = sigmoid(x @ w)
        grad = x.T @ (p - y) + L2 * (w - DEFAULT)
        hess = (x * (p * (1 - p))[:, None]).T @ x + L2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()) if y.size else 0.0


def micro_f1(p: np.ndarray, y: np.ndarray) -> float:
    pred = p >= THRESHOLD
    tp = float((pred & (y > 0)).sum())
    fp = float((pred & (y == 0)).sum())
    fn = float((~pred & (y > 0)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


@dataclass
class Check:
    """The held-out comparison behind the decision to use a trained calibrator."""

    groups: int
    pairs: int = 0
    f1_default: float | None = None
    f1_trained: float | None = None
    loss_default: float | None = None
    loss_trained: float | None = None
    used: bool = False


def compare(x_base: np.ndarray, x_new: np.ndarray, y: np.ndarray, groups: int) -> Check:
    """Whether features ``x_new`` (what decisions taught, out of fold) beat ``x_base`` (the
    codebook alone) on the same pairs, with the default weights: lower log-loss and no lower
    micro-F1. ``used`` says so. Too few decisions to hold any out (one group, or fewer than
    ``MIN_POSITIVES`` positives) cannot be checked: they are used, their weight is small."""
    check = Check(groups, int(y.size))
    if groups < 2 or not y.size or y.sum() < MIN_POSITIVES:
        check.used = True
        return check
    base, new = sigmoid(x_base @ DEFAULT), sigmoid(x_new @ DEFAULT)
    check.f1_default, check.f1_trained = round(micro_f1(base, y), 4), round(micro_f1(new, y), 4)
    check.loss_default, check.loss_trained = round(log_loss(base, y), 4), round(log_loss(new, y), 4)
    check.used = check.loss_trained < check.loss_default and check.f1_trained >= check.f1_default
    return check


def train_checked(x: np.ndarray, y: np.ndarray, groups: Sequence[int]
                  ) -> tuple[np.ndarray, Check]:
    """Trained weights if they beat DEFAULT on held-out groups, else DEFAULT.

    ``x`` (m, 4) are out-of-fold features of the decided pairs, ``y`` their labels and
    ``groups`` the group of each pair (a document, or a block of the only document).
    """
    groups = np.asarray(groups)
    names = sorted(set(groups.tolist()))
    check = Check(len(names), int(y.size))
    if len(names) < 2 or y.sum() < MIN_POSITIVES:
        return DEFAULT, check
    held = np.zeros(y.shape)
    for g in names:
        out = groups == g
        if out.all() or not out.any():
            continue
        held[out] = sigmoid(x[out] @ fit(x[~out], y[~out]))
    base = sigmoid(x @ DEFAULT)
    check.f1_default, check.f1_trained = round(micro_f1(base, y), 4), round(micro_f1(held, y), 4)
    check.loss_default = round(log_loss(base, y), 4)
    check.loss_trained = round(log_loss(held, y), 4)
    if check.loss_trained < check.loss_default and check.f1_trained >= check.f1_default:
        check.used = True
        return fit(x, y), check
    return DEFAULT, check
