"""The ranking engine's parts, by hand: keyword reliability (prior from specificity, Beta
updates, the code-level shift, negation per code), the noisy-OR of distinct keywords, the
calibrator's held-out guard, and the evaluation's ranking figures. No spaCy here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualcode.suggest import calibrate as cal
from qualcode.suggest import reliability as relmod
from qualcode.suggest.analysis_cache import Analysis
from qualcode.suggest.evaluate import ranking
from qualcode.suggest.keywords import Match
from qualcode.suggest.reliability import Reliability, corpus_shares, learn, prior_mean
from qualcode.suggest.scoring import distinct, keyword_probability, keyword_sets


def test_prior_follows_specificity():
    """A rare keyword counts alone; one found in about a third of the segments or more needs
    corroboration (its prior stays well under one chance in two)."""
    assert prior_mean(0.0) == pytest.approx(relmod.RARE)
    assert prior_mean(0.02) > 0.6
    assert prior_mean(0.3) < 0.25 and prior_mean(0.6) < 0.12
    shares = [0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
    priors = [prior_mean(x) for x in shares]
    assert priors == sorted(priors, reverse=True)


def test_shares_are_smoothed_on_small_corpora():
    found = [{(1, "dossier")}, {(1, "dossier"), (2, "usine")}, set(), set()]
    shares = corpus_shares(found, 4)
    # 2 of 4 segments, counted as 2 of 4 + 20
    assert shares == {(1, "dossier"): 2 / 24, (2, "usine"): 1 / 24}


def test_beta_update_by_hand():
    rel = learn({(1, "humilier"): 0.0}, [({(1, "humilier")}, set(), True),
                                         ({(1, "humilier")}, set(), True),
                                         ({(1, "humilier")}, set(), False)])
    m = prior_mean(0.0)
    # the code-level shift moves the prior first (2 right of 3 against m expected)
    expected = 3 * m
    observed = (2 + relmod.CODE_STRENGTH * expected / 3) / (3 + relmod.CODE_STRENGTH)
    shift = math.log(observed / (1 - observed)) - math.log(m / (1 - m))
    assert rel.shift[1] == pytest.approx(shift)
    shifted = 1 / (1 + math.exp(-(math.log(m / (1 - m)) + shift)))
    assert rel.prior((1, "humilier")) == pytest.approx(shifted)
    assert rel.keyword((1, "humilier")) == pytest.approx(
        (shifted * relmod.PRIOR_STRENGTH + 2) / (relmod.PRIOR_STRENGTH + 3))
    assert rel.decisions((1, "humilier")) == 3


def test_what_one_document_teaches_reaches_unseen_keywords_of_the_code():
    """Every match of « dossier » was rejected: it falls, and so do (less) the code's other
    keywords never seen in a decision; another code's keywords do not move."""
    shares = {(1, "dossier"): 0.02, (1, "guichet"): 0.02, (2, "usine"): 0.02}
    rel = learn(shares, [({(1, "dossier")}, set(), False)] * 6)
    fresh = Reliability(dict(shares))
    assert rel.keyword((1, "dossier")) < rel.keyword((1, "guichet")) < fresh.keyword(
        (1, "guichet"))
    assert rel.keyword((2, "usine")) == fresh.keyword((2, "usine"))


def test_negated_evidence_is_learned_per_code():
    """Negations that held for a code of loss keep their weight; a code whose negated
    matches were rejected loses it, on that code only."""
    shares = {(1, "accès"): 0.01, (2, "formation"): 0.01}
    rel = learn(shares, [(set(), {(1, "accès")}, True)] * 4
                + [(set(), {(2, "formation")}, False)] * 4)
    assert rel.negation(1) > relmod.NEG_PRIOR > rel.negation(2)
    plain = keyword_probability({2: {"formation"}}, {}, rel)[2]
    negated = keyword_probability({}, {2: {"formation"}}, rel)[2]
    assert negated == pytest.approx(plain * rel.negation(2))


def test_noisy_or_of_distinct_keywords_by_hand():
    rel = Reliability({(1, "a"): 0.0, (1, "b"): 0.0})
    m = prior_mean(0.0)
    assert keyword_probability({1: {"a"}}, {}, rel) == {1: pytest.approx(m)}
    assert keyword_probability({1: {"a", "b"}}, {}, rel) == {
        1: pytest.approx(1 - (1 - m) ** 2)}


@given(st.lists(st.floats(0, 1), min_size=0, max_size=6))
def test_noisy_or_stays_a_probability_and_grows_with_evidence(shares):
    rel = Reliability({(1, f"k{i}"): x for i, x in enumerate(shares)})
    previous = 0.0
    for n in range(len(shares) + 1):
        p = keyword_probability({1: {f"k{i}" for i in range(n)}}, {}, rel).get(1, 0.0)
        assert 0.0 <= p <= 1.0 and p >= previous - 1e-12
        previous = p


def test_words_are_evidence_once():
    """Two keywords on the same words are one piece of evidence; a keyword found twice is
    one keyword; keywords on other words add up; another code keeps its own evidence; a
    plain occurrence wins over a negated one."""
    found = [Match(1, "prendre mes tickets", 2, 4, False),
             Match(1, "prendre ses tickets", 2, 4, False),
             Match(1, "prendre le relais", 8, 10, False),
             Match(1, "relais", 10, 10, False),
             Match(1, "relais", 15, 15, False),
             Match(1, "relais", 20, 20, False),
             Match(2, "relais", 10, 10, False),
             Match(3, "usine", 1, 1, True),
             Match(3, "usine", 30, 30, False)]
    kept = distinct(found)
    plain, negated = keyword_sets(kept)
    assert plain == {1: {"prendre mes tickets", "prendre le relais", "relais"},
                     2: {"relais"}, 3: {"usine"}}
    assert negated == {}
    _plain, negated = keyword_sets(distinct([Match(3, "usine", 1, 1, True)]))
    assert negated == {3: {"usine"}}


def _pairs(n_groups: int, per_group: int, rng: np.random.Generator, *, signal: bool):
    """Pairs whose label follows the example margin (signal) or nothing (noise)."""
    n = n_groups * per_group
    p_kw = rng.uniform(0.05, 0.7, n)
    ex = rng.uniform(-0.5, 0.5, n)
    sim = rng.normal(0, 1, n)
    y = (ex > 0.1).astype(float) if signal else (rng.uniform(0, 1, n) < 0.3).astype(float)
    groups = np.repeat(np.arange(n_groups), per_group)
    return cal.design(p_kw, ex, sim), y, groups


def test_calibrator_is_kept_only_when_it_wins_on_held_out_groups():
    rng = np.random.default_rng(7)
    x, y, groups = _pairs(4, 60, rng, signal=True)
    w, check = cal.train_checked(x, y, groups)
    assert check.used and check.f1_trained > check.f1_default
    assert check.loss_trained < check.loss_default
    assert w[1] > cal.DEFAULT[1]  # it learned to trust the examples more
    x, y, groups = _pairs(4, 60, rng, signal=False)
    w, check = cal.train_checked(x, y, groups)
    assert not check.used and w is cal.DEFAULT


def test_calibrator_needs_two_groups_and_a_few_positives():
    rng = np.random.default_rng(3)
    x, y, _groups = _pairs(1, 80, rng, signal=True)
    w, check = cal.train_checked(x, y, np.zeros(len(y), int))
    assert not check.used and check.groups == 1 and w is cal.DEFAULT
    y2 = np.zeros_like(y)
    y2[:2] = 1
    w, check = cal.train_checked(x, y2, np.arange(len(y)) % 2)
    assert not check.used and check.f1_default is None


def test_ranking_figures_by_hand():
    gold = {1: {10}, 2: {10, 11}, 3: set(), 4: {11}}
    # best first: right, wrong, right, wrong, right
    queue = [(0.9, 1, 10), (0.8, 3, 10), (0.7, 2, 11), (0.6, 4, 10), (0.5, 4, 11)]
    r = ranking(gold, queue)
    assert r["queue"] == 5 and r["precision_at_10"] is None
    # top 20% of 5 items is 1 item: 1 of the 4 codings found
    assert r["found_in_top_20pct"] == 0.25
    long = [(1 - k / 100, 1, 10 if k % 2 == 0 else 99) for k in range(20)]
    assert ranking(gold, long)["precision_at_10"] == 0.5


def test_coded_segments_grow_their_codes_lexicon():
    """A word joins a code's lexicon when two segments coded with it hold the word, and more
    of them than the read segments without it."""
    from types import SimpleNamespace

    from qualcode.suggest.data import Decisions
    from qualcode.suggest.training import _lexicons

    def seg(*words):
        n = len(words)
        return Analysis(np.zeros(n, "i4"), np.ones(n, "i4"), list(words), list(words),
                        np.zeros(n, "u1"), np.zeros(3, "f4"))

    analyses = {1: seg("pénurie", "remplaçant"), 2: seg("pénurie", "soir"),
                3: seg("soir", "jardin"), 4: seg("soir", "gâteau"), 5: seg("remplaçant")}
    decisions = Decisions(positive={1: {7}, 2: {7}, 3: set(), 4: set(), 5: set()},
                          negative={1: set(), 2: set(), 3: {7}, 4: {7}, 5: {7}})
    book = SimpleNamespace(codes=[SimpleNamespace(id=7)], lexicons=[frozenset({"manque"})])
    (lexicon,) = _lexicons(book, decisions, analyses, [1, 2, 3, 4, 5])
    # pénurie: 2 coded, 0 other; soir: 1 coded, 2 others; remplaçant: 1 coded only
    assert lexicon == {"manque", "pénurie"}
