"""Crosstab: codes x attribute values, pure functions and the command."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.analysis.crosstab import crosstab_counts, percentages


def test_counts_and_percentages_by_hand():
    # 4 units x 2 codes; groups g1 = units 1, 2; g2 = units 2, 3 (unit 2 in both); unit 4 none
    p = np.array([[1, 0], [1, 1], [0, 1], [1, 1]], dtype=bool)
    g = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=bool)
    counts = crosstab_counts(p, g)
    # code 1 in units 1, 2, 4 -> g1: 2 (u1 u2), g2: 1 (u2); code 2 in 2, 3, 4 -> g1 1, g2 2
    assert counts.tolist() == [[2, 1], [1, 2]]
    # column %: over the group sizes (2 and 2)
    assert percentages(counts, np.array([2, 2]), axis=0).tolist() == [[100, 50], [50, 100]]
    # row %: over each code's total (3 units each, unit 4 included)
    row = percentages(counts, np.array([3, 3]), axis=1)
    assert row.ravel().tolist() == pytest.approx([200 / 3, 100 / 3, 100 / 3, 200 / 3])
    assert percentages(counts, np.array([0, 2]), axis=0)[:, 0].tolist() == [0, 0]
