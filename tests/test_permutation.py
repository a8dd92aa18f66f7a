"""The permutation test of co-occurrence between groups: exact cases counted by hand, Monte
Carlo against the exact value, properties, and the CLI (table, CSV, JSON, errors)."""

from __future__ import annotations

import csv
import io
import json
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cooccurrence_corpus import corpus  # noqa: F401  (the hand-counted corpus fixture)

from qualcode.analysis.permutation import holm, permutation_test

XY, X, NONE = [True, True], [True, False], [False, False]


def two_groups(a: int, b: int) -> np.ndarray:
    """Units 0..a-1 in group A, the next b in group B."""
    membership = np.zeros((a + b, 2), dtype=bool)
    membership[:a, 0] = True
    membership[a:, 1] = True
    return membership


def test_exact_p_all_pairs_in_one_group():
    # A = 3 units all coded X and Y, B = 3 units with X only: shares 3/3 and 0/3, gap 1.
    # Of the C(6,3) = 20 ways to deal the labels, a gap of 1 needs the three XY units
    # together in A or together in B: 2 ways, p = 2/20.
    test = permutation_test(np.array([XY, XY, XY, X, X, X]), two_groups(3, 3), ["A", "B"])
    (pair,) = test.pairs
    assert test.exact and test.permutations == comb(6, 3) == 20
    assert pair.values == [1.0, 0.0] and pair.both == [3, 0]
    assert pair.difference == 1.0
    assert pair.p == pytest.approx(2 / 20)


def test_exact_p_unequal_groups():
    # A = 2 units, both XY; B = 4 units without. Gap 1. Dealing 2 labels A among 6 units
    # (15 ways), k XY units land in A: k=2 gap |1 - 0| = 1 (1 way), k=1 gap |1/2 - 1/4|
    # (8 ways), k=0 gap |0 - 2/4| (6 ways): only the observed way reaches 1, p = 1/15.
    test = permutation_test(np.array([XY, XY, NONE, NONE, X, X]), two_groups(2, 4),
                            ["A", "B"])
    assert test.permutations == 15
    assert test.pairs[0].p == pytest.approx(1 / 15)
    # expected units with both: pooled rate 2/6 times the sizes 2 and 4
    assert test.pairs[0].expected == pytest.approx([2 / 3, 4 / 3])
    assert test.pairs[0].small


def test_a_gap_every_arrangement_reaches_has_p_one():
    # 2 of A's 3 units and 1 of B's 3 are XY: gap 1/3; with k XY units in A the gap is
    # |2k - 3| / 3, at least 1/3 for every k: p = 1.
    test = permutation_test(np.array([XY, XY, X, XY, X, NONE]), two_groups(3, 3), ["A", "B"])
    assert test.pairs[0].difference == pytest.approx(1 / 3)
    assert test.pairs[0].p == 1.0


def test_monte_carlo_close_to_the_exact_value():
    # 10 + 10 units, the 6 XY units all in A: C(20,10) = 184,756 arrangements, too many to
    # enumerate. Exact p: the 6 XY units all in A or all in B, 2 * C(14,4) / C(20,10).
    presence = np.array([XY] * 6 + [X] * 4 + [NONE] * 10)
    exact = 2 * comb(14, 4) / comb(20, 10)
    test = permutation_test(presence, two_groups(10, 10), ["A", "B"], permutations=9999,
                            seed=7)
    assert not test.exact and test.permutations == 9999
    assert test.pairs[0].p == pytest.approx(exact, abs=0.004)
    again = permutation_test(presence, two_groups(10, 10), ["A", "B"], permutations=9999,
                             seed=7)
    assert again.pairs[0].p == test.pairs[0].p  # same seed, same p


def test_monte_carlo_p_is_never_zero():
    presence = np.array([XY] * 30 + [NONE] * 30)
    test = permutation_test(presence, two_groups(30, 30), ["A", "B"], permutations=99)
    assert test.pairs[0].p == pytest.approx(1 / 100)


def test_jaccard_statistic():
    # A: XY, X, X -> J = 1 / 3; B: XY, XY, NONE -> J = 2 / 2
    test = permutation_test(np.array([XY, X, X, XY, XY, NONE]), two_groups(3, 3), ["A", "B"],
                            statistic="jaccard")
    assert test.pairs[0].values == pytest.approx([1 / 3, 1.0])
    assert test.pairs[0].difference == pytest.approx(2 / 3)


def test_units_in_two_groups_keep_both_labels_and_units_in_none_are_left_out():
    presence = np.array([XY, XY, X, X, XY])
    membership = np.array([[True, True], [True, False], [False, True], [False, True],
                           [False, False]])
    test = permutation_test(presence, membership, ["A", "B"])
    assert test.sizes == [2, 3]  # unit 0 counts in both; unit 4 (no group) nowhere
    assert test.pairs[0].both == [2, 1]
    # label sets {A,B}, {A}, {B}, {B}: 4! / 2! = 12 arrangements
    assert test.exact and test.permutations == 12


def test_pairs_in_code_order_and_three_groups():
    rng = np.random.default_rng(1)
    presence = rng.random((40, 4)) < 0.4
    membership = np.zeros((40, 3), dtype=bool)
    membership[np.arange(40), np.arange(40) % 3] = True
    test = permutation_test(presence, membership, ["a", "b", "c"], permutations=199)
    assert [(p.i, p.j) for p in test.pairs] == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3),
                                                (2, 3)]
    for p in test.pairs:
        assert p.difference == pytest.approx(max(p.values) - min(p.values))
        assert p.p <= p.p_holm <= 1


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1: 0.03, 0.06, 0.04; running max 0.03, 0.06, 0.06
    assert holm(np.array([0.01, 0.04, 0.03])) == pytest.approx([0.03, 0.06, 0.06])
    assert holm(np.array([0.5, 0.9])) == pytest.approx([1.0, 1.0])  # monotone: never below 1.0


@st.composite
def corpora(draw):
    n = draw(st.integers(2, 14))
    codes = draw(st.integers(2, 4))
    presence = np.array(draw(st.lists(st.lists(st.booleans(), min_size=codes,
                                               max_size=codes), min_size=n, max_size=n)))
    labels = draw(st.lists(st.sampled_from([(1, 0), (0, 1), (1, 1), (0, 0)]), min_size=n,
                           max_size=n))
    return presence, np.array(labels, dtype=bool)


@settings(max_examples=60, deadline=None)
@given(corpora(), st.sampled_from(["share", "jaccard"]), st.integers(0, 2**31))
def test_p_values_lie_in_zero_one(data, statistic, seed):
    presence, membership = data
    test = permutation_test(presence, membership, ["A", "B"], statistic=statistic,
                            permutations=50, seed=seed)
    for pair in test.pairs:
        assert 0 < pair.p <= 1
        assert pair.p <= pair.p_holm <= 1
        assert pair.difference >= 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=1, max_size=8),
       st.sampled_from(["share", "jaccard"]))
def test_identical_groups_give_p_one(rows, statistic):
    # Each unit of A has its twin in B: the groups do not differ at all, nothing is rarer
    # than what was observed.
    presence = np.array(rows + rows)
    test = permutation_test(presence, two_groups(len(rows), len(rows)), ["A", "B"],
                            statistic=statistic, permutations=99)
    for pair in test.pairs:
        assert pair.difference == 0
        assert pair.p == 1.0


# --- CLI --------------------------------------------------------------------------------


def test_cli_table_json_and_csv(corpus, cli):  # noqa: F811
    out = cli.ok("cooccurrence", "--by", "profil", "--test", "--permutations", "199").stdout
    assert "Is the gap between profil groups more than chance?" in out
    assert "small cells" in out
    assert "segments of one participant are not independent" in out
    data = json.loads(cli.ok("cooccurrence", "--by", "profil", "--test", "--json").stdout)
    test = data["permutation_test"]
    assert test["groups"] == ["pragmatique", "social"] and test["statistic"] == "share"
    # segments with a group: social only H2 H4, pragmatique only M1 M3 Z1, both O1 O2 O3
    # (an observation paragraph belongs to Hélène and Marc): 8! / (2! 3! 3!) = 560
    # arrangements, fewer than the 999 asked for, so all are enumerated (an exact test)
    assert test["exact"] and test["permutations"] == 560
    assert [p["codes"] for p in test["pairs"]] == [["Relation", "Règle"],
                                                  ["Relation", "Temps"], ["Règle", "Temps"]]
    # Relation and Règle together: M3 and O1 (pragmatique), H4 and O1 (social)
    first = test["pairs"][0]
    assert first["both"] == [2, 2] and test["sizes"] == [6, 5]
    assert all(0 < p["p"] <= 1 and p["small_cells"] for p in test["pairs"])
    rows = list(csv.DictReader(io.StringIO(cli.ok(
        "cooccurrence", "--by", "profil", "--test", "--format", "csv").stdout)))
    cell = {(r["group"], r["code_row"], r["code_col"]): r for r in rows}
    pair_p = cell[("social", "Règle", "Relation")]["p_value"]
    assert pair_p == cell[("(all)", "Relation", "Règle")]["p_value"] == str(first["p"])
    assert cell[("social", "Temps", "Temps")]["p_value"] == ""


def test_cli_french_table(corpus, cli):  # noqa: F811
    md = cli.ok("cooccurrence", "--by", "profil", "--test", "--lang", "fr", "--format",
                "md").stdout
    assert "L’écart entre les groupes profil dépasse-t-il le hasard\u00a0?" in md
    assert "| code A | code B |" in md and "écart" in md and "petits effectifs" in md
    assert "exact, les 560 arrangements" in md
    assert "les segments d’une même personne ne sont pas indépendants" in md
    assert "Is the gap" not in md and "small cells" not in md


def test_cli_agents_are_enumerated_exactly(corpus, cli):  # noqa: F811
    # Agents with segments: Hélène (social) and Marc, Zoé (pragmatique): 3 arrangements.
    # Hélène and Marc hold every code, Zoé only Temps. Relation x Règle: social 1/1,
    # pragmatique 1/2, gap 1/2; with Marc as the social one the same, with Zoé a gap of 1.
    data = json.loads(cli.ok("cooccurrence", "--by", "profil", "--unit", "agent", "--test",
                             "--json").stdout)["permutation_test"]
    assert data["exact"] and data["permutations"] == 3
    first = data["pairs"][0]
    assert first["values"] == [0.5, 1.0] and first["difference"] == 0.5
    assert first["p"] == 1.0
    out = cli.ok("cooccurrence", "--by", "profil", "--unit", "agent", "--test").stdout
    assert "exact, all 3 arrangements" in out
    assert "not independent" not in out


def test_cli_jaccard_and_random_arrangements(corpus, cli):  # noqa: F811
    data = json.loads(cli.ok("cooccurrence", "--by", "profil", "--measure", "jaccard",
                             "--test", "--permutations", "100", "--seed", "3",
                             "--json").stdout)["permutation_test"]
    assert data["statistic"] == "jaccard"
    assert not data["exact"] and (data["permutations"], data["seed"]) == (100, 3)
    assert all(p["p"] >= 1 / 101 for p in data["pairs"])


def test_cli_errors(corpus, cli):  # noqa: F811
    bad = cli("cooccurrence", "--test")
    assert bad.exit_code == 1 and "add --by ATTR" in bad.stderr
    assert cli("cooccurrence", "--by", "profil", "--test", "--permutations", "0").exit_code == 2
    assert "permutation_test" not in json.loads(
        cli.ok("cooccurrence", "--by", "profil", "--json").stdout)
