"""Co-occurrence as pure functions over presence matrices, counts checked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from qualcode.analysis.cooccurrence import (
    apply_measure,
    cooccurrence,
    cooccurrence_counts,
    imbalanced_pairs,
)

# 6 units x 3 codes (A, B, C):
#   u1: A B      u2: A B C    u3: A      u4: B      u5: C      u6: (none)
P = np.array([
    [1, 1, 0],
    [1, 1, 1],
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [0, 0, 0],
], dtype=bool)


def test_counts_by_hand():
    # n_A = 3 (u1 u2 u3), n_B = 3 (u1 u2 u4), n_C = 2 (u2 u5)
    # AB = 2 (u1 u2), AC = 1 (u2), BC = 1 (u2)
    assert cooccurrence_counts(P).tolist() == [[3, 2, 1], [2, 3, 1], [1, 1, 2]]
    assert cooccurrence_counts(P).dtype == np.int64


def test_jaccard_by_hand():
    # AB = 2 / (3 + 3 - 2) = 0.5; AC = 1 / (3 + 2 - 1) = 0.25; BC = 0.25; diagonal 1
    assert cooccurrence(P, "jaccard").tolist() == [[1, 0.5, 0.25], [0.5, 1, 0.25],
                                                   [0.25, 0.25, 1]]


def test_row_pct_by_hand():
    # row A: AB / n_A = 2/3 -> 66.67 %; row C: CA / n_C = 1/2 -> 50 %
    m = cooccurrence(P, "row-pct")
    assert m[0].tolist() == pytest.approx([100, 200 / 3, 100 / 3])
    assert m[2].tolist() == pytest.approx([50, 50, 100])


def test_absent_code_gives_zeros_not_nan():
    p = np.array([[1, 0], [0, 0]], dtype=bool)
    assert cooccurrence(p, "jaccard").tolist() == [[1, 0], [0, 0]]
    assert cooccurrence(p, "row-pct").tolist() == [[100, 0], [0, 0]]


def test_unknown_measure():
    with pytest.raises(ValueError):
        apply_measure(np.zeros((1, 1), dtype=int), "phi")


def test_imbalanced_pairs():
    # A in 12 units, B in 2 (both in 2 of them), C in 3 units, never with A
    p = np.zeros((20, 3), dtype=bool)
    p[:12, 0] = True
    p[:2, 1] = True
    p[15:18, 2] = True
    # A/B: 12 > 5 * 2 and they co-occur -> flagged; A/C: never together -> not flagged
    assert imbalanced_pairs(cooccurrence_counts(p)) == [(0, 1)]


@settings(max_examples=150, deadline=None)
@given(arrays(bool, st.tuples(st.integers(0, 40), st.integers(1, 8))))
def test_properties_of_random_presence(p):
    counts = cooccurrence_counts(p)
    diag = np.diag(counts)
    assert (counts == counts.T).all()
    assert (diag == p.sum(axis=0)).all()
    assert (counts <= np.minimum(diag[:, None], diag[None, :])).all()
    jac = cooccurrence(p, "jaccard")
    assert ((jac >= 0) & (jac <= 1)).all()
    assert (jac == jac.T).all()
    pct = cooccurrence(p, "row-pct")
    assert ((pct >= 0) & (pct <= 100 + 1e-9)).all()
