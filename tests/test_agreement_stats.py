"""Gwet's AC1, prevalence and bootstrap intervals, checked by hand and by properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.analysis.agreement import (
    Agreement,
    agreement_tables,
    bootstrap_intervals,
    gwet_ac1,
    pooled,
    statistics_arrays,
)

counts = st.integers(min_value=0, max_value=60)


def test_ac1_and_prevalence_by_hand():
    # a=2, b=3, c=0, d=15, N=20: po = 17/20 = 0.85
    # pA = 5/20 = 0.25, pB = 2/20 = 0.10, pi = 0.175
    # pe = 2 * 0.175 * 0.825 = 0.28875; AC1 = (0.85 - 0.28875) / 0.71125 = 0.56125 / 0.71125
    t = Agreement(2, 3, 0, 15)
    assert (t.prevalence_a, t.prevalence_b, t.prevalence) == pytest.approx((0.25, 0.1, 0.175))
    assert t.ac1 == pytest.approx(0.56125 / 0.71125)  # 0.78910...
    assert not t.extreme_prevalence
    # the ten-unit case: pi = 0.5, pe = 0.5, AC1 = (0.8 - 0.5) / 0.5 = 0.6 (= kappa here)
    assert Agreement(4, 1, 1, 4).ac1 == pytest.approx(0.6)


def test_kappa_paradox_rare_code():
    # a=1, b=1, c=1, d=97, N=100: po = 0.98, pA = pB = 0.02, pi = 0.02 (under 5 %)
    # kappa: pe = 0.0004 + 0.9604 = 0.9608, kappa = 0.0192 / 0.0392 = 0.4898
    # AC1: pe = 2 * 0.02 * 0.98 = 0.0392, AC1 = (0.98 - 0.0392) / 0.9608 = 0.9408 / 0.9608
    t = Agreement(1, 1, 1, 97)
    assert t.prevalence == pytest.approx(0.02) and t.extreme_prevalence
    assert t.kappa == pytest.approx(0.0192 / 0.0392)
    assert t.ac1 == pytest.approx(0.9408 / 0.9608)
    assert Agreement(97, 1, 1, 1).extreme_prevalence  # 98 %: over 95 %
    assert not Agreement(5, 0, 0, 95).extreme_prevalence  # exactly 5 %: not under
    assert not Agreement(0, 0, 0, 0).extreme_prevalence


def test_ac1_edge_cases():
    assert gwet_ac1(0, 0, 0, 0) is None
    # nobody ever used the code: po = 1, pe = 0, AC1 = 1 (kappa is undefined there)
    assert gwet_ac1(0, 0, 0, 10) == 1.0
    # total disagreement at pi = 1/2: po = 0, pe = 1/2, AC1 = -1
    assert gwet_ac1(0, 5, 5, 0) == -1.0


def test_pooled_ac1_by_hand():
    # pooled (6, 4, 1, 19), N = 30: po = 25/30, pi = (12 + 5) / 60 = 17/60
    # pe = 2 * 17/60 * 43/60 = 1462/3600; AC1 = (3000 - 1462) / (3600 - 1462) = 1538/2138
    t = pooled([Agreement(4, 1, 1, 4), Agreement(2, 3, 0, 15)])
    assert t.ac1 == pytest.approx(1538 / 2138)


@given(counts, counts, counts, counts)
def test_ac1_in_range(a, b, c, d):
    value = gwet_ac1(a, b, c, d)
    if a + b + c + d == 0:
        assert value is None
    else:
        assert -1.0 <= value <= 1.0


@given(st.integers(min_value=1, max_value=80), st.integers(min_value=1, max_value=80))
def test_ac1_is_one_under_perfect_agreement(present, absent):
    # the code is neither always nor never present, and both coders agree on every unit
    assert gwet_ac1(present, 0, 0, absent) == pytest.approx(1.0)


@given(counts, counts, counts, counts)
def test_vectorised_statistics_match_the_scalar_ones(a, b, c, d):
    t = Agreement(a, b, c, d)
    arrays = statistics_arrays(np.array([[a, b, c, d]]))
    for key in ("kappa", "alpha", "ac1"):
        scalar, vector = getattr(t, key), float(arrays[key][0])
        if scalar is None:
            assert np.isnan(vector)
        else:
            assert vector == pytest.approx(scalar, abs=1e-9)


@given(counts, counts, counts, counts)
def test_prevalence_is_the_mean_of_the_coders(a, b, c, d):
    t = Agreement(a, b, c, d)
    if t.n == 0:
        assert t.prevalence is None
    else:
        assert t.prevalence == pytest.approx((t.prevalence_a + t.prevalence_b) / 2)
        assert 0 <= t.prevalence <= 1


# --- bootstrap -----------------------------------------------------------------------------


def _two_coders(n_units: int = 400, n_codes: int = 3, seed: int = 7):
    rng = np.random.default_rng(seed)
    a = rng.random((n_units, n_codes)) < 0.4
    b = a ^ (rng.random((n_units, n_codes)) < 0.1)  # b disagrees with a on ~10 % of units
    return a, b


def test_bootstrap_is_reproducible_with_the_seed():
    a, b = _two_coders()
    first = bootstrap_intervals(a, b, 300, seed=11)
    assert bootstrap_intervals(a, b, 300, seed=11) == first
    assert bootstrap_intervals(a, b, 300, seed=12) != first


def test_bootstrap_contains_the_point_estimate():
    a, b = _two_coders()
    per_code, overall = bootstrap_intervals(a, b, 1000)
    tables = agreement_tables(a, b)
    for t, intervals in [*zip(tables, per_code, strict=True), (pooled(tables), overall)]:
        for key in ("kappa", "alpha", "ac1"):
            ci = intervals[key]
            assert ci.low < getattr(t, key) < ci.high
            assert ci.high - ci.low < 0.3  # 400 units: a narrow interval, not [-1, 1]


def test_bootstrap_resamples_units_not_decisions():
    # Two identical columns: each unit carries both decisions, and a resample of units keeps
    # them together, so the pooled table of every resample is 2 x one column's table and the
    # pooled kappa and AC1 (scale-free) vary exactly as the single column's. Resampling the
    # 2 x 400 decisions independently would shrink the interval by about 1/sqrt(2).
    a, b = _two_coders(n_codes=1)
    _, overall = bootstrap_intervals(np.hstack([a, a]), np.hstack([b, b]), 2000, seed=3)
    single, _ = bootstrap_intervals(a, b, 2000, seed=3)
    for key in ("kappa", "ac1"):
        pooled_width = overall[key].high - overall[key].low
        single_width = single[0][key].high - single[0][key].low
        assert 0.85 < pooled_width / single_width < 1.15


def test_bootstrap_skipped_and_degenerate():
    a, b = _two_coders(n_units=20, n_codes=1)
    per_code, overall = bootstrap_intervals(a, b, 0)
    assert per_code[0]["kappa"].low is None and overall["ac1"].high is None
    # a code nobody used: kappa and alpha undefined in every resample, AC1 always 1
    never = np.zeros((20, 1), bool)
    per_code, _ = bootstrap_intervals(never, never, 100)
    assert per_code[0]["kappa"].low is None and per_code[0]["alpha"].high is None
    assert (per_code[0]["ac1"].low, per_code[0]["ac1"].high) == (1.0, 1.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1),
       st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=40))
def test_bootstrap_intervals_are_ordered_and_in_range(seed, decisions):
    a = np.array([[x] for x, _ in decisions], bool)
    b = np.array([[y] for _, y in decisions], bool)
    per_code, overall = bootstrap_intervals(a, b, 50, seed=seed)
    for intervals in (per_code[0], overall):
        for key in ("kappa", "alpha", "ac1"):
            ci = intervals[key]
            if ci.low is not None:
                assert -1.0 - 1e-9 <= ci.low <= ci.high <= 1.0 + 1e-9
