"""The learned scorer (`qualcode.learned.v2`): a per-code logistic correction of the codebook.

For code c and segment i the model computes

    z_ic = z0_ic + x_i · w_c + b_c + a_c · kw_ic + s_c · sim_ic

where z0 is the codebook prior (keywords, similarity, examples: see `scoring.py`), x_i the
segment's bag of content lemmas (L2-normalised), kw its keyword strength for c and sim its
relative similarity to c. All the codes are trained together in numpy (full-batch Adam), on the
labelled (segment, code) pairs only (summed log-loss plus an L2 prior): with no labels every
parameter stays 0 and the score is the codebook's; each accepted or rejected suggestion and
each human coding pulls it towards what this coder does. Training takes well under a second
for a few thousand labelled segments.

v2: the correction is used only when it beats the codebook score on held-out documents
(`train_checked`). On the demo corpus it never helped after one or two coded documents and
usually not after seven (it learns each document's accidents); the example pool
(examples.py) is what learns from few codings there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .analysis_cache import Analysis
from .examples import content_lemmas

NAME = "qualcode.learned.v2"
MAX_VOCAB = 4000
STEPS = 150
LEARNING_RATE = 0.05
L2 = 0.3  # prior on the lemma weights, in labelled pairs
L2_SHARED = 8.0  # stronger on the per-code bias and weights: one decision moves little


@dataclass
class LearnedModel:
    vocab: dict[str, int]
    w: np.ndarray  # (vocab, codes)
    b: np.ndarray  # (codes,)
    a: np.ndarray  # (codes,) keyword strength weight
    s: np.ndarray  # (codes,) similarity weight
    labelled: np.ndarray  # (codes,) number of labelled segments per code

    def bag(self, analyses: Sequence[Analysis]) -> np.ndarray:
        """Dense (n, vocab) L2-normalised bags of known content lemmas."""
        x = np.zeros((len(analyses), len(self.vocab)), np.float32)
        for row, a in enumerate(analyses):
            idx = [self.vocab[lem] for lem in content_lemmas(a) if lem in self.vocab]
            if idx:
                x[row, idx] = 1.0 / np.sqrt(len(idx))
        return x

    def correction(self, analyses: Sequence[Analysis], kw: np.ndarray,
                   sim: np.ndarray) -> np.ndarray:
        """The learned term added to the codebook logit, (n, codes)."""
        x = self.bag(analyses)
        return x @ self.w + self.b + self.a * kw + self.s * sim


def train(analyses: Sequence[Analysis], z0: np.ndarray, kw: np.ndarray, sim: np.ndarray,
          y: np.ndarray, mask: np.ndarray, *, steps: int = STEPS) -> LearnedModel:
    """Fit on the labelled pairs (``mask`` = 1 where (segment, code) has a label ``y``)."""
    n_codes = z0.shape[1]
    df: Counter[str] = Counter()
    bags = [content_lemmas(a) for a in analyses]
    for bag in bags:
        df.update(bag)
    vocab = {lem: i for i, (lem, _n) in enumerate(df.most_common(MAX_VOCAB))}
    model = LearnedModel(vocab, np.zeros((len(vocab), n_codes), np.float32),
                         np.zeros(n_codes, np.float32), np.zeros(n_codes, np.float32),
                         np.zeros(n_codes, np.float32), mask.sum(axis=0))
    if not mask.any() or not vocab:
        return model
    x = model.bag(analyses)
    y = y.astype(np.float32)
    m = mask.astype(np.float32)
    params = [model.w, model.b, model.a, model.s]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        z = z0 + x @ model.w + model.b + model.a * kw + model.s * sim
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        g = (p - y) * m  # d loss / d z, summed over labelled pairs
        grads = [x.T @ g + L2 * model.w, g.sum(axis=0) + L2_SHARED * model.b,
                 (g * kw).sum(axis=0) + L2_SHARED * model.a,
                 (g * sim).sum(axis=0) + L2_SHARED * model.s]
        for k, (param, grad) in enumerate(zip(params, grads, strict=True)):
            first[k] = beta1 * first[k] + (1 - beta1) * grad
            second[k] = beta2 * second[k] + (1 - beta2) * grad * grad
            mhat = first[k] / (1 - beta1 ** t)
            vhat = second[k] / (1 - beta2 ** t)
            param -= (LEARNING_RATE * mhat / (np.sqrt(vhat) + eps)).astype(np.float32)
    # Codes without any label keep the pure codebook score.
    unlabelled = model.labelled == 0
    model.w[:, unlabelled] = 0
    for vec in (model.b, model.a, model.s):
        vec[unlabelled] = 0
    return model


MIN_DOCUMENTS = 3  # documents with labels needed to check that the correction helps
MAX_FOLDS = 5


@dataclass
class Check:
    """The held-out check of the learned correction (leave one labelled document out)."""

    documents: int
    f1_codebook: float | None = None  # held-out micro-F1 without the correction
    f1_learned: float | None = None  # with it
    fixed: int = 0  # held-out decisions it turns right
    broken: int = 0  # held-out decisions it turns wrong
    used: bool = False


def _micro_f1(y: np.ndarray, pred: np.ndarray, mask: np.ndarray) -> float:
    tp = float((pred * y * mask).sum())
    fp = float((pred * (1 - y) * mask).sum())
    fn = float(((1 - pred) * y * mask).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def train_checked(analyses: Sequence[Analysis], z0: np.ndarray, kw: np.ndarray,
                  sim: np.ndarray, y: np.ndarray, mask: np.ndarray, groups: Sequence[int]
                  ) -> tuple[LearnedModel | None, Check]:
    """The correction, only if it helps on documents it was not trained on.

    A per-code model trained on a few dozen segments can as easily learn one document's
    accidents as the coder's habits, and then it lowers the quality it should raise. So each
    of up to five labelled documents is held out in turn, a model is trained on the others,
    and the held-out decisions (threshold 0.5) are pooled: the correction is used only when
    its micro-F1 beats the codebook score's on the same decisions and it turns clearly more
    decisions right than wrong (sign test). With fewer than three labelled documents nothing
    can be checked and no correction is used.
    """
    groups = np.asarray(groups)
    docs = sorted(set(groups.tolist()))
    check = Check(len(docs))
    if len(docs) < MIN_DOCUMENTS or not mask.any():
        return None, check
    held = [docs[round(k * (len(docs) - 1) / (MAX_FOLDS - 1))] for k in range(MAX_FOLDS)
            ] if len(docs) > MAX_FOLDS else docs
    base = np.zeros_like(y)
    learned = np.zeros_like(y)
    tested = np.zeros(len(groups), bool)
    for d in dict.fromkeys(held):
        out = groups == d
        fit = np.flatnonzero(~out)
        test = np.flatnonzero(out)
        model = train([analyses[i] for i in fit], z0[fit], kw[fit], sim[fit], y[fit],
                      mask[fit])
        z = z0[test] + model.correction([analyses[i] for i in test], kw[test], sim[test])
        base[test] = z0[test] > 0
        learned[test] = z > 0
        tested[test] = True
    m = mask * tested[:, None] > 0
    check.f1_codebook = round(_micro_f1(y, base, m), 4)
    check.f1_learned = round(_micro_f1(y, learned, m), 4)
    # Decisions the correction fixes and breaks: a few more fixed than broken is noise
    # (two standard deviations of the sign test, about p < 0.025).
    fixed = int(((learned == y) & (base != y) & m).sum())
    broken = int(((base == y) & (learned != y) & m).sum())
    check.fixed, check.broken = fixed, broken
    if check.f1_learned <= check.f1_codebook or fixed - broken <= 2 * (fixed + broken) ** 0.5:
        return None, check
    check.used = True
    return train(analyses, z0, kw, sim, y, mask), check
