"""Codes x groups cross-tabulation over presence and membership matrices."""

from __future__ import annotations

import numpy as np


def crosstab_counts(presence: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Codes x groups: units where the code is present and that belong to the group.

    ``presence`` is units x codes, ``membership`` units x groups (a unit may be in several
    groups, or in none).
    """
    p = np.asarray(presence, dtype=np.float64)
    g = np.asarray(membership, dtype=np.float64)
    return np.rint(p.T @ g).astype(np.int64)


def percentages(counts: np.ndarray, bases: np.ndarray, axis: int) -> np.ndarray:
    """100 * counts / bases along ``axis`` (0 where the base is 0).

    ``axis=1``: ``bases`` holds one total per row (row percentages); ``axis=0``: one total per
    column (column percentages).
    """
    counts = np.asarray(counts, dtype=np.float64)
    b = np.asarray(bases, dtype=np.float64)
    b = b[:, None] if axis == 1 else b[None, :]
    b = np.broadcast_to(b, counts.shape)
    out = np.zeros(counts.shape, dtype=np.float64)
    np.divide(counts * 100.0, b, out=out, where=b > 0)
    return out


def group_overlap(membership: np.ndarray) -> tuple[int, list[tuple[int, int, int]]]:
    """Units that belong to more than one group, and for each pair of groups ``(i, j, n)``
    the ``n > 0`` units they share (an observation paragraph belongs to every agent of its
    note, so two profiles can share it)."""
    m = np.asarray(membership, dtype=bool)
    shared = int((m.sum(axis=1) > 1).sum()) if m.size else 0
    both = m.T.astype(np.int64) @ m.astype(np.int64)
    pairs = [(i, j, int(both[i, j])) for i in range(m.shape[1]) for j in range(i + 1, m.shape[1])
             if both[i, j] > 0]
    return shared, pairs
