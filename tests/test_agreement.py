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


# --- on a corpus, through the command ---------------------------------------------------


@pytest.fixture
def two_coders(db, make_doc):
    from test_cooccurrence_corpus import add_code, code_segment

    # S1 is the interviewer's; Hélène's ten turns are S2..S11
    make_doc("entretien_01", [("E", "Parlez-moi du guichet.")]
             + [("Hélène", f"Réponse numéro {k} sur l’accueil & le temps.") for k in range(1, 11)])
    make_doc("entretien_02", [("Hélène", "Seule alice a codé ce document.")])
    with db.session(write=True) as s:
        relation = add_code(s, "Relation")
        add_code(s, "Écoute", relation)
        add_code(s, "Temps", position=1)
        for k in (1, 2, 3, 4, 5):
            code_segment(s, "entretien_01", k + 1, "Écoute", coder="alice")
        for k in (1, 2, 3, 4, 6):
            code_segment(s, "entretien_01", k + 1, "Écoute", coder="bob")
        code_segment(s, "entretien_01", 8, "Temps", coder="alice")
        code_segment(s, "entretien_01", 8, "Temps", coder="bob")
        code_segment(s, "entretien_01", 1, "Temps", coder="bob")  # interviewer: not a unit
        code_segment(s, "entretien_02", 1, "Temps", coder="alice")  # not both coders' document
    return db


def test_agreement_command_by_hand(two_coders, cli):
    data = cli.json("agreement", "--coders", "alice", "bob")
    assert data["units"] == 10 and data["documents"] == ["entretien_01"]
    codes = {c["code"]: c for c in data["codes"]}
    assert list(codes) == ["Écoute", "Temps"]
    # Écoute: the 10-unit case above: po 0.8, kappa 0.6, alpha 0.62
    e = codes["Écoute"]
    assert (e["both"], e["only_a"], e["only_b"], e["neither"]) == (4, 1, 1, 4)
    assert (e["po"], e["kappa"], e["alpha"]) == pytest.approx((0.8, 0.6, 0.62))
    # Temps: both on turn 7 only: (1, 0, 0, 9); po = 1; pA = pB = 0.1, pe = 0.82 -> kappa 1;
    # alpha: b + c = 0 -> 1
    t = codes["Temps"]
    assert (t["both"], t["only_a"], t["only_b"], t["neither"]) == (1, 0, 0, 9)
    assert (t["po"], t["kappa"], t["alpha"]) == pytest.approx((1.0, 1.0, 1.0))
    # pooled (5, 1, 1, 13), N = 20: po = 0.9; pA = pB = 0.3, pe = 0.09 + 0.49 = 0.58,
    # kappa = 0.32 / 0.42; n = 40, n_1 = 12, n_0 = 28, alpha = 1 - 39 * 2 / (12 * 28)
    o = data["overall"]
    assert (o["both"], o["only_a"], o["only_b"], o["neither"]) == (5, 1, 1, 13)
    assert o["po"] == pytest.approx(0.9)
    assert o["kappa"] == pytest.approx(0.32 / 0.42)
    assert o["alpha"] == pytest.approx(1 - 78 / 336)
    # turn 5 is S6 (only alice), turn 6 is S7 (only bob)
    assert data["disagreements"] == [
        {"document": "entretien_01", "segment": 6, "code": "Écoute", "coder": "alice"},
        {"document": "entretien_01", "segment": 7, "code": "Écoute", "coder": "bob"},
    ]


def test_agreement_rollup_and_formats(two_coders, cli):
    data = cli.json("agreement", "--coders", "alice", "bob", "--rollup")
    assert [c["code"] for c in data["codes"]] == ["Relation", "Temps"]
    assert data["codes"][0]["kappa"] == pytest.approx(0.6)
    # without intervals the statistics are plain numbers, as before
    md = cli.ok("agreement", "--coders", "alice", "bob", "--format", "md",
                "--bootstrap", "0").stdout
    assert "| Écoute | 4 | 1 | 1 | 4 | 80.0 | 0.600 | 0.620 |" in md
    md = cli.ok("agreement", "--coders", "alice", "bob", "--format", "md").stdout
    assert "| entretien\\_01 |" not in md and "| entretien_01 | 6 | Écoute | alice |" in md
    tex = cli.ok("agreement", "--coders", "alice", "bob", "--format", "tex").stdout
    assert "entretien\\_01 & 6 & Écoute & alice \\\\" in tex
    out = cli.ok("agreement", "--coders", "alice", "bob").stdout
    assert "(overall, pooled)" in out and "0.762" in out


def test_agreement_errors(two_coders, cli):
    result = cli("agreement", "--coders", "alice", "zoé")
    assert result.exit_code == 1 and "unknown coder 'zoé'" in result.stderr
    result = cli("agreement", "--coders", "alice", "alice")
    assert result.exit_code == 1 and "two different coders" in result.stderr
    result = cli("agreement")
    assert result.exit_code == 1 and "--coders A B" in result.stderr


def test_agreement_lists_disagreements_up_to_a_limit_and_counts_them_all(two_coders, cli):
    data = cli.json("agreement", "--coders", "alice", "bob")
    assert data["disagreements_total"] == 2 and len(data["disagreements"]) == 2
    first = cli.json("agreement", "--coders", "alice", "bob", "--limit", "1")
    assert first["disagreements"] == [
        {"document": "entretien_01", "segment": 6, "code": "Écoute", "coder": "alice"}]
    assert first["disagreements_total"] == 2
    # the statistics still count every decision
    assert first["overall"] == data["overall"] and first["codes"] == data["codes"]
    assert cli.json("agreement", "--coders", "alice", "bob", "--limit", "1", "--all")[
        "disagreements"] == data["disagreements"]
    none = cli.json("agreement", "--coders", "alice", "bob", "--limit", "0")
    assert none["disagreements"] == [] and none["disagreements_total"] == 2
    md = cli.ok("agreement", "--coders", "alice", "bob", "--format", "md", "--limit", "1").stdout
    assert "| entretien_01 | 6 | Écoute | alice |" in md
    assert "| entretien_01 | 7 |" not in md
    assert "the first 1 of 2 segment x code decisions" in md and "--all" in md
    assert cli("agreement", "--coders", "alice", "bob", "--limit", "-1").exit_code == 2


def test_agreement_ac1_prevalence_and_intervals(two_coders, cli):
    data = cli.json("agreement", "--coders", "alice", "bob")
    codes = {c["code"]: c for c in data["codes"]}
    e, t, o = codes["Écoute"], codes["Temps"], data["overall"]
    # Écoute (4, 1, 1, 4): pA = pB = 0.5; pe = 2 * .5 * .5 = .5, AC1 = (.8 - .5) / .5 = 0.6
    assert (e["prevalence_a"], e["prevalence_b"], e["prevalence"]) == pytest.approx((.5, .5, .5))
    assert e["ac1"] == pytest.approx(0.6)
    # Temps (1, 0, 0, 9): pi = 0.1, po = 1 -> AC1 = 1
    assert t["prevalence"] == pytest.approx(0.1) and t["ac1"] == pytest.approx(1.0)
    # pooled (5, 1, 1, 13): pi = 0.3, pe = 0.42, AC1 = (0.9 - 0.42) / 0.58 = 0.48 / 0.58
    assert o["ac1"] == pytest.approx(0.48 / 0.58)
    assert not any(c["extreme_prevalence"] for c in data["codes"])
    # intervals next to the old keys, which keep their plain numbers
    assert data["bootstrap"]["resamples"] == 1000
    for row in (e, t, o):
        for key in ("kappa", "alpha", "ac1"):
            ci = row["intervals"][key]
            assert ci["value"] == row[key]
            assert ci["low"] <= ci["value"] <= ci["high"]
    # Temps has no disagreement: a resample either holds turn 7 (kappa 1) or not (kappa
    # undefined, left out), so the interval is [1, 1]
    assert (t["intervals"]["kappa"]["low"], t["intervals"]["kappa"]["high"]) == (1.0, 1.0)
    # the fixed seed makes the intervals reproducible from one run to the next
    again = cli.json("agreement", "--coders", "alice", "bob")
    assert again["codes"] == data["codes"] and again["overall"] == data["overall"]
    none = cli.json("agreement", "--coders", "alice", "bob", "--bootstrap", "0")
    assert none["bootstrap"]["resamples"] == 0
    assert none["overall"]["intervals"]["kappa"] == {"value": o["kappa"], "low": None,
                                                    "high": None}
    assert cli("agreement", "--coders", "alice", "bob", "--bootstrap", "-1").exit_code == 2


def test_agreement_interval_text_in_tables(two_coders, cli):
    data = cli.json("agreement", "--coders", "alice", "bob")
    ci = data["overall"]["intervals"]["kappa"]
    text = f"{ci['value']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]"
    md = cli.ok("agreement", "--coders", "alice", "bob", "--format", "md").stdout
    assert "kappa [95% CI]" in md and f"| {text} |" in md
    assert "percentile bootstrap, 1,000 resamples" in md
    tex = cli.ok("agreement", "--coders", "alice", "bob", "--format", "tex").stdout
    assert f"& {text} &" in tex
    csv_text = cli.ok("agreement", "--coders", "alice", "bob", "--format", "csv").stdout
    header = csv_text.splitlines()[0].split(",")
    assert {"kappa", "kappa_low", "kappa_high", "kappa_ci", "ac1", "prevalence"} <= set(header)
    assert text in csv_text


def test_agreement_notes_extreme_prevalence(db, make_doc, cli):
    from test_cooccurrence_corpus import add_code, code_segment

    # 25 turns; Rare: both coders on turn 1 only -> prevalence 4 %: the kappa paradox note
    make_doc("entretien_01", [("Hélène", f"Réponse {k}.") for k in range(1, 26)])
    with db.session(write=True) as s:
        add_code(s, "Rare")
        add_code(s, "Courant", position=1)
        code_segment(s, "entretien_01", 1, "Rare", coder="alice")
        code_segment(s, "entretien_01", 1, "Rare", coder="bob")
        for k in range(1, 13):
            code_segment(s, "entretien_01", k, "Courant", coder="alice")
            code_segment(s, "entretien_01", k, "Courant", coder="bob")
    data = cli.json("agreement", "--coders", "alice", "bob", "--bootstrap", "0")
    flags = {c["code"]: c["extreme_prevalence"] for c in data["codes"]}
    assert flags == {"Rare": True, "Courant": False}
    assert data["codes"][0]["prevalence"] == pytest.approx(1 / 25)
    md = cli.ok("agreement", "--coders", "alice", "bob", "--format", "md").stdout
    assert "> Warning: mean prevalence under 5% or over 95% for Rare:" in md
    assert "kappa paradox" in md
