"""Agreement statistics checked against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.analysis.agreement import (
    Agreement,
    agreement_tables,
    cohen_kappa,
    krippendorff_alpha,
    pooled,
)


def test_ten_units_by_hand():
    # A codes units 1-5, B codes units 1-4 and 6:
    # both a = 4, only A b = 1, only B c = 1, neither d = 4, N = 10
    # po = 8/10 = 0.8; pA = pB = 0.5; pe = .25 + .25 = 0.5; kappa = (0.8-0.5)/0.5 = 0.6
    # coincidences: n = 20, n_1 = 2*4+2 = 10, n_0 = 10; alpha = 1 - 19*2/(10*10) = 0.62
    a = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)[:, None]
    b = np.array([1, 1, 1, 1, 0, 1, 0, 0, 0, 0], dtype=bool)[:, None]
    (t,) = agreement_tables(a, b)
    assert (t.both, t.only_a, t.only_b, t.neither) == (4, 1, 1, 4)
    assert t.percent == pytest.approx(0.8)
    assert t.kappa == pytest.approx(0.6)
    assert t.alpha == pytest.approx(0.62)


def test_unbalanced_table_by_hand():
    # a=2, b=3, c=0, d=15, N=20: po = 17/20 = 0.85
    # pA = 5/20 = .25, pB = 2/20 = .1; pe = .025 + .675 = .7; kappa = .15/.3 = 0.5
    # n = 40, n_1 = 4+3 = 7, n_0 = 30+3 = 33; alpha = 1 - 39*3/(33*7) = 1 - 117/231
    t = Agreement(2, 3, 0, 15)
    assert t.percent == pytest.approx(0.85)
    assert t.kappa == pytest.approx(0.5)
    assert t.alpha == pytest.approx(1 - 117 / 231)  # 0.4935...


def test_perfect_and_undefined():
    assert cohen_kappa(3, 0, 0, 7) == pytest.approx(1.0)
    assert krippendorff_alpha(3, 0, 0, 7) == pytest.approx(1.0)
    # nobody used the code: agreement is total but kappa and alpha are undefined
    assert Agreement(0, 0, 0, 10).percent == 1.0
    assert Agreement(0, 0, 0, 10).kappa is None
    assert Agreement(0, 0, 0, 10).alpha is None
    assert Agreement(0, 0, 0, 0).percent is None


def test_pooled_over_codes():
    # code 1: (4,1,1,4), code 2: (2,3,0,15) -> pooled (6,4,1,19), N = 30
    # po = 25/30; pA = 10/30, pB = 7/30; pe = 70/900 + 460/900 = 530/900
    # kappa = (750/900 - 530/900) / (370/900) = 220/370
    # n = 60, n_1 = 12+5 = 17, n_0 = 38+5 = 43; alpha = 1 - 59*5/(43*17) = 1 - 295/731
    t = pooled([Agreement(4, 1, 1, 4), Agreement(2, 3, 0, 15)])
    assert (t.both, t.only_a, t.only_b, t.neither) == (6, 4, 1, 19)
    assert t.percent == pytest.approx(25 / 30)
    assert t.kappa == pytest.approx(220 / 370)
    assert t.alpha == pytest.approx(1 - 295 / 731)


def test_shape_mismatch():
    with pytest.raises(ValueError):
        agreement_tables(np.zeros((2, 1), bool), np.zeros((3, 1), bool))
