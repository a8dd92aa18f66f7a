"""Code co-occurrence over a unit x code presence matrix, as one matrix product.

``presence[u, j]`` is True when code ``j`` is present in unit ``u``. Cell (i, j) of the count
matrix is the number of units where codes i and j are both present; the diagonal is the number
of units where code i is present.
"""

from __future__ import annotations

import numpy as np

MEASURES = ("count", "jaccard", "row-pct")
# A pair whose frequencies differ more than this many times makes the c-coefficient misleading.
IMBALANCE_RATIO = 5


def cooccurrence_counts(presence: np.ndarray) -> np.ndarray:
    """n_ij for every pair of columns: ``P.T @ P`` with an integer dtype (exact counts)."""
    p = np.asarray(presence, dtype=bool)
    # A float64 product goes through BLAS and is exact far beyond any corpus size (2**53);
    # integer products in numpy are a slow unvectorised loop.
    counts = p.T.astype(np.float64) @ p.astype(np.float64)
    return np.rint(counts).astype(np.int64)


def apply_measure(counts: np.ndarray, measure: str) -> np.ndarray:
    """Turn a count matrix into ``measure``: ``count`` (ints), ``jaccard`` (0-1) or ``row-pct``.

    ``jaccard`` is n_ij / (n_i + n_j - n_ij), 0 when the denominator is 0 (so the diagonal is 1
    for every code present at least once); ``row-pct`` is 100 * n_ij / n_i, 0 when n_i is 0.
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    counts = np.asarray(counts, dtype=np.int64)
    if measure == "count":
        return counts.copy()
    diag = np.diag(counts).astype(np.float64)
    if measure == "jaccard":
        denom = diag[:, None] + diag[None, :] - counts
    else:
        denom = np.repeat(diag[:, None], counts.shape[1], axis=1) / 100.0
    out = np.zeros(counts.shape, dtype=np.float64)
    np.divide(counts, denom, out=out, where=denom > 0)
    return out


def cooccurrence(presence: np.ndarray, measure: str = "count") -> np.ndarray:
    """The co-occurrence matrix of ``presence`` (units x codes) in ``measure``."""
    return apply_measure(cooccurrence_counts(presence), measure)


def imbalanced_pairs(counts: np.ndarray, ratio: int = IMBALANCE_RATIO) -> list[tuple[int, int]]:
    """Pairs (i < j) that co-occur although one code is more than ``ratio`` times as frequent.

    For such pairs the c-coefficient (jaccard) stays small however often the rarer code comes
    with the frequent one, so it misleads.
    """
    counts = np.asarray(counts)
    diag = np.diag(counts)
    lo = np.minimum(diag[:, None], diag[None, :])
    hi = np.maximum(diag[:, None], diag[None, :])
    mask = (counts > 0) & (hi > ratio * lo)
    i, j = np.nonzero(np.triu(mask, k=1))
    return list(zip(i.tolist(), j.tolist(), strict=True))
