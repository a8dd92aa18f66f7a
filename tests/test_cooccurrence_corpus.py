"""Co-occurrence and crosstab on a small corpus, every cell counted by hand.

The corpus (codes: Relation > Écoute, Conflit; Règle > Procédure; Temps):

    entretien_hélène  S1 E: Règle             S2 Hélène: Écoute, Temps
                      S3 E: -                 S4 Hélène: Conflit, Procédure
    entretien_marc    S1 Marc: Procédure, Temps
                      S2 E + S3 Marc: one Écoute coding spanning both turns; S3 also Règle
    observation      (agents Hélène and Marc, no speakers: each paragraph is both of theirs)
                      S1: Écoute, Règle       S2: Temps
                      S3: Conflit by bob (every other coding is alice's); a pending and a
                          rejected suggestion of Temps that must count nowhere
    entretien_zoé     S1 Zoé: Temps           S2 E: -

Agents: Hélène profil=social, Marc and Zoé profil=pragmatique, Paul profil=social (no
segment). Segment presence with sub-codes rolled up (columns Relation, Règle, Temps):

    H1 {Règle}  H2 {Rel, Temps}  H3 {}  H4 {Rel, Règle}
    M1 {Règle, Temps}  M2 {Rel}  M3 {Rel, Règle}
    O1 {Rel, Règle}  O2 {Temps}  O3 {Rel}
    Z1 {Temps}  Z2 {}
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode.codebook.lookup import code_key
from qualcode.corpus.agents import upsert_agent
from qualcode.corpus.coders import get_or_create_coder
from qualcode.models import Code, Coding, Document, Meta, Segment, Suggestion


def add_code(s, name: str, parent: Code | None = None, position: int = 0) -> Code:
    code = Code(name=name, norm_name=code_key(name), parent_id=parent.id if parent else None,
                position=position)
    s.add(code)
    s.flush()
    return code


def segment(s, doc: str, n: int) -> Segment:
    doc_id = s.scalar(select(Document.id).where(Document.name == doc))
    return s.scalar(select(Segment).where(Segment.document_id == doc_id, Segment.n == n))


def code_segment(s, doc: str, n: int, code: str, coder: str = "alice",
                 end_in: int | None = None, start_offset: int = 0) -> None:
    """A coding of segment N (or from inside N to inside segment ``end_in``)."""
    seg = segment(s, doc, n)
    end = seg.end if end_in is None else segment(s, doc, end_in).start + 3
    s.add(Coding(code_id=s.scalar(select(Code.id).where(Code.name == code)),
                 document_id=seg.document_id, segment_id=seg.id,
                 start=seg.start + start_offset, end=end,
                 coder_id=get_or_create_coder(s, coder).id, origin="manual"))


@pytest.fixture
def corpus(db, make_doc):
    with db.session(write=True) as s:
        upsert_agent(s, "Hélène", {"profil": "social", "âge": "52"})
        upsert_agent(s, "Marc", {"profil": "pragmatique"})
        upsert_agent(s, "Zoé", {"profil": "pragmatique"})
        upsert_agent(s, "Paul", {"profil": "social"})
    make_doc("entretien_hélène", [("E", "Comment se passe l’accueil ?"),
                                  ("Hélène", "On écoute d’abord, on prend le temps."),
                                  ("E", "Et les conflits ?"),
                                  ("Hélène", "Il y en a, surtout avec la procédure.")])
    make_doc("entretien_marc", [("Marc", "La procédure d’abord, et vite."),
                                ("E", "Vous écoutez quand même ?"),
                                ("Marc", "Oui, mais la règle est la règle.")])
    make_doc("observation", [(None, "Hélène reçoit une usagère et écoute, Marc rappelle la "
                                    "règle."),
                             (None, "La file s’allonge, l’attente dépasse une heure."),
                             (None, "Un ton monte au guichet 2 « c’est toujours pareil »."),
                             ], kind="observation", agents=("Hélène", "Marc"))
    make_doc("entretien_zoé", [("Zoé", "Je n’ai jamais le temps."), ("E", "Merci.")])
    with db.session(write=True) as s:
        relation = add_code(s, "Relation", position=0)
        add_code(s, "Écoute", relation, 0)
        add_code(s, "Conflit", relation, 1)
        regle = add_code(s, "Règle", position=1)
        add_code(s, "Procédure", regle, 0)
        add_code(s, "Temps", position=2)
        s.add(Meta(key="codebook.name", value="Guichet"))
        s.add(Meta(key="codebook.version", value="1.2"))
        code_segment(s, "entretien_hélène", 1, "Règle")
        code_segment(s, "entretien_hélène", 2, "Écoute")
        code_segment(s, "entretien_hélène", 2, "Temps", start_offset=5)
        code_segment(s, "entretien_hélène", 4, "Conflit")
        code_segment(s, "entretien_hélène", 4, "Procédure")
        code_segment(s, "entretien_marc", 1, "Procédure")
        code_segment(s, "entretien_marc", 1, "Temps")
        code_segment(s, "entretien_marc", 2, "Écoute", end_in=3, start_offset=4)
        code_segment(s, "entretien_marc", 3, "Règle")
        code_segment(s, "observation", 1, "Écoute")
        code_segment(s, "observation", 1, "Règle")
        code_segment(s, "observation", 2, "Temps")
        code_segment(s, "observation", 3, "Conflit", coder="bob")
        code_segment(s, "entretien_zoé", 1, "Temps")
        temps = s.scalar(select(Code.id).where(Code.name == "Temps"))
        s.add(Suggestion(segment_id=segment(s, "observation", 3).id, code_id=temps, score=0.9))
        s.add(Suggestion(segment_id=segment(s, "observation", 1).id, code_id=temps, score=0.8,
                         status="rejected"))
    return db


def tables(data: dict) -> dict[str, dict]:
    return {t["group"]: t for t in data["tables"]}


def test_segment_agents_follow_the_corpus_rule(corpus):
    """The vectorised segment -> agents pairs equal `corpus.agents.segment_agents`."""
    from qualcode.analysis.units import load_corpus
    from qualcode.corpus.agents import segment_agents

    with corpus.session() as s:
        expected = {(sid, aid) for sid, aids in segment_agents(s).items() for aid in aids}
        c = load_corpus(s)
    seg, agent = c.seg_agent
    got = {(int(c.seg_ids[i]), int(c.agent_ids[a])) for i, a in zip(seg, agent, strict=True)}
    assert got == expected
    assert len(expected) == 11  # H2 H4, M1 M3, O1-O3 twice, Z1


def test_segment_counts_per_profile(corpus, cli):
    data = cli.json("cooccurrence", "--by", "profil")
    assert (data["by"], data["unit"], data["measure"]) == ("profil", "segment", "count")
    t = tables(data)
    assert list(t) == ["(all)", "pragmatique", "social"]
    assert t["(all)"]["codes"] == ["Relation", "Règle", "Temps"]
    # (all): 12 segments, interviewer turns included. Relation: H2 H4 M2 M3 O1 O3 = 6;
    # Règle: H1 H4 M1 M3 O1 = 5; Temps: H2 M1 O2 Z1 = 4 (the suggestion on O3 does not count)
    # Rel+Règle: H4 M3 O1 = 3; Rel+Temps: H2 = 1; Règle+Temps: M1 = 1
    assert t["(all)"]["units"] == 12
    assert t["(all)"]["matrix"] == [[6, 3, 1], [3, 5, 1], [1, 1, 4]]
    # social = Hélène's segments: H2 H4 O1 O2 O3 (5; the interviewer's H1 and H3 are not hers)
    # Relation: H2 H4 O1 O3 = 4; Règle: H4 O1 = 2; Temps: H2 O2 = 2; Rel+Règle: H4 O1 = 2;
    # Rel+Temps: H2 = 1; Règle+Temps: 0
    assert t["social"]["units"] == 5
    assert t["social"]["matrix"] == [[4, 2, 1], [2, 2, 0], [1, 0, 2]]
    # pragmatique = Marc's and Zoé's: M1 M3 O1 O2 O3 Z1 (6): the observation paragraphs
    # belong to both profiles. Relation: M3 O1 O3 = 3; Règle: M1 M3 O1 = 3;
    # Temps: M1 O2 Z1 = 3; Rel+Règle: M3 O1 = 2; Rel+Temps: 0; Règle+Temps: M1 = 1
    assert t["pragmatique"]["units"] == 6
    assert t["pragmatique"]["matrix"] == [[3, 2, 0], [2, 3, 1], [0, 1, 3]]


def test_base_is_stated(corpus, cli):
    data = cli.json("cooccurrence", "--by", "profil")
    base = data["base"]
    assert base["coders"] == ["alice", "bob"]
    assert base["codebook"]["name"] == "Guichet"
    assert base["codebook"]["version"] == "1.2"
    assert len(base["codebook"]["fingerprint"]) == 12
    assert base["rollup"] is True
    assert base["date"][:2] == "20"


def test_coder_filter(corpus, cli):
    # without bob, O3 has no code: Relation (all) 5, social 3 (H2 H4 O1), pragmatique 2 (M3 O1)
    t = tables(cli.json("cooccurrence", "--by", "profil", "--coder", "alice"))
    assert [t[g]["matrix"][0][0] for g in ("(all)", "social", "pragmatique")] == [5, 3, 2]
    assert cli.json("cooccurrence", "--coder", "alice")["base"]["coders"] == ["alice"]
    # bob alone: only O3 Relation, in every group
    t = tables(cli.json("cooccurrence", "--by", "profil", "--coder", "bob"))
    assert t["social"]["matrix"] == [[1, 0, 0], [0, 0, 0], [0, 0, 0]]


def test_jaccard_and_row_pct(corpus, cli):
    t = tables(cli.json("cooccurrence", "--by", "profil", "--measure", "jaccard"))
    # social: Rel/Règle 2 / (4 + 2 - 2) = 0.5; Rel/Temps 1 / (4 + 2 - 1) = 0.2; Règle/Temps 0
    assert t["social"]["matrix"] == [[1.0, 0.5, 0.2], [0.5, 1.0, 0.0], [0.2, 0.0, 1.0]]
    assert t["social"]["counts"] == [[4, 2, 1], [2, 2, 0], [1, 0, 2]]
    t = tables(cli.json("cooccurrence", "--by", "profil", "--measure", "row-pct"))
    # pragmatique, row Relation: 3/3, 2/3, 0/3 as percentages
    assert t["pragmatique"]["matrix"][0] == pytest.approx([100.0, 200 / 3, 0.0])


def test_no_rollup_and_chosen_codes(corpus, cli):
    t = tables(cli.json("cooccurrence", "--no-rollup"))["(all)"]
    assert t["codes"] == ["Relation", "Écoute", "Conflit", "Règle", "Procédure", "Temps"]
    m = t["matrix"]
    # nobody coded Relation itself; Écoute: H2 M2 M3 O1 = 4 (the spanning coding counts in
    # both turns); Conflit: H4 O3 = 2; Règle itself: H1 M3 O1 = 3; Procédure: H4 M1 = 2
    assert [m[i][i] for i in range(6)] == [0, 4, 2, 3, 2, 4]
    assert m[1][3] == 2  # Écoute + Règle: M3 O1
    assert m[2][4] == 1  # Conflit + Procédure: H4
    # --codes with roll-up: Règle counts Procédure (5), Écoute 4, together M3 O1 = 2
    t = tables(cli.json("cooccurrence", "--codes", "règle,Écoute"))["(all)"]
    assert t["codes"] == ["Règle", "Écoute"]
    assert t["matrix"] == [[5, 2], [2, 4]]
    t = tables(cli.json("cooccurrence", "--codes", "Règle", "--codes", "Procédure",
                        "--no-rollup"))["(all)"]
    assert t["matrix"] == [[3, 0], [0, 2]]


def test_document_unit(corpus, cli):
    t = tables(cli.json("cooccurrence", "--by", "profil", "--unit", "document"))
    # hélène {Rel Règle Temps}, marc {Rel Règle Temps}, observation {Rel Règle Temps},
    # zoé {Temps}; the observation belongs to both profiles
    assert t["(all)"]["units"] == 4
    assert t["(all)"]["matrix"] == [[3, 3, 3], [3, 3, 3], [3, 3, 4]]
    assert t["social"]["units"] == 2
    assert t["social"]["matrix"] == [[2, 2, 2], [2, 2, 2], [2, 2, 2]]
    assert t["pragmatique"]["units"] == 3
    assert t["pragmatique"]["matrix"] == [[2, 2, 2], [2, 2, 2], [2, 2, 3]]


def test_agent_unit(corpus, cli):
    t = tables(cli.json("cooccurrence", "--by", "profil", "--unit", "agent", "--no-rollup",
                        "--codes", "Écoute,Conflit,Temps"))
    # units: Hélène, Marc, Zoé (Paul has no segment). Écoute: Hélène (H2 O1), Marc (M3 O1);
    # Conflit: Hélène (H4 O3), Marc (O3); Temps: all three. The interviewer's M2 adds nothing.
    assert t["(all)"]["units"] == 3
    assert t["(all)"]["matrix"] == [[2, 2, 2], [2, 2, 2], [2, 2, 3]]
    assert t["social"]["units"] == 1
    assert t["pragmatique"]["units"] == 2
    assert t["pragmatique"]["matrix"] == [[1, 1, 1], [1, 1, 1], [1, 1, 2]]
    t = tables(cli.json("cooccurrence", "--by", "profil", "--unit", "agent", "--no-rollup",
                        "--codes", "Conflit", "--coder", "alice"))
    assert t["pragmatique"]["matrix"] == [[0]]  # Marc's Conflit was bob's
    assert t["social"]["matrix"] == [[1]]


def test_other_attribute_and_no_by(corpus, cli):
    # âge: only Hélène has it; the other segments fall in (all) only
    t = tables(cli.json("cooccurrence", "--by", "âge"))
    assert list(t) == ["(all)", "52"]
    assert t["52"]["units"] == 5
    assert list(tables(cli.json("cooccurrence"))) == ["(all)"]


def test_frequency_warning():
    import numpy as np

    from qualcode.analysis.service import cooccurrence_tables

    # 14 units: A in 12, B in 2 (both with A), C in 2 (never with A); group g = units 0-1
    p = np.zeros((14, 3), dtype=bool)
    p[:12, 0] = True
    p[:2, 1] = True
    p[12:, 2] = True
    g = np.zeros((14, 1), dtype=bool)
    g[:2, 0] = True
    t_all, t_g = cooccurrence_tables(p, g, ["g"], ["A", "B", "C"], "jaccard")
    # (all): A/B 12 > 5 * 2 and they co-occur -> warned; A/C never together -> not warned
    assert len(t_all.warnings) == 1
    assert t_all.warnings[0].startswith("A (n=12) and B (n=2) co-occur 2 times")
    assert t_all.matrix[0, 1] == pytest.approx(2 / 12)
    assert t_g.warnings == []  # in g: A 2, B 2


def test_errors(corpus, cli):
    result = cli("cooccurrence", "--by", "métier")
    assert result.exit_code == 1
    assert "no agent has the attribute 'métier'" in result.stderr
    assert "known attributes: profil, âge" in result.stderr
    result = cli("cooccurrence", "--coder", "charlie")
    assert result.exit_code == 1
    assert "unknown coder 'charlie'" in result.stderr and "alice, bob" in result.stderr
    result = cli("cooccurrence", "--unit", "phrase")
    assert result.exit_code == 1 and "unknown unit" in result.stderr
    result = cli("cooccurrence", "--measure", "phi")
    assert result.exit_code == 1 and "unknown measure" in result.stderr
    result = cli("cooccurrence", "--codes", "Absent")
    assert result.exit_code == 1 and "unknown code" in result.stderr


def test_terminal_tables(corpus, cli):
    out = cli.ok("cooccurrence", "--by", "profil").stdout
    assert "Code co-occurrence, profil = pragmatique" in out
    assert "Base: 6 segments (profil = pragmatique)" in out
    assert "Règle" in out


def test_crosstab_by_hand(corpus, cli):
    data = cli.json("crosstab", "--by", "profil")
    assert data["groups"] == ["pragmatique", "social", "(total)"]
    assert data["codes"] == ["Relation", "Règle", "Temps"]
    # segments (total = segments of at least one profile, each once):
    # Relation: prag M3 O1 O3 = 3, social H2 H4 O1 O3 = 4, total H2 H4 M3 O1 O3 = 5
    # Règle: prag M1 M3 O1 = 3, social H4 O1 = 2, total H4 M1 M3 O1 = 4
    # Temps: prag M1 O2 Z1 = 3, social H2 O2 = 2, total H2 M1 O2 Z1 = 4
    assert data["segments"] == [[3, 4, 5], [3, 2, 4], [3, 2, 4]]
    # distinct agents: Relation: Marc | Hélène; Règle: Marc | Hélène; Temps: Marc Zoé | Hélène
    assert data["agents"] == [[1, 1, 2], [1, 1, 2], [2, 1, 3]]
    # bases: prag 6 segments, social 5, total 8 (M1 M3 O1-3 Z1 H2 H4); 4 left out (H1 H3
    # M2 Z2, the interviewer's); agents: prag Marc Zoé, social Hélène (Paul has no segment)
    assert data["base"]["group_segments"] == [6, 5, 8]
    assert data["base"]["unassigned_segments"] == 4
    assert data["base"]["group_agents"] == [2, 1, 3]
    # col %: Relation 3/6 = 50, 4/5 = 80, 5/8 = 62.5; row %: 3/5 = 60, 4/5 = 80, 100
    assert data["col_pct"]["segments"][0] == [50.0, 80.0, 62.5]
    assert data["row_pct"]["segments"][0] == [60.0, 80.0, 100.0]


def test_crosstab_formats(corpus, cli):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(cli.ok("crosstab", "--by", "profil",
                                                  "--format", "csv").stdout)))
    cell = next(r for r in rows if r["code"] == "Temps" and r["group"] == "pragmatique")
    assert (cell["segments"], cell["agents"], cell["segments_col_pct"]) == ("3", "2", "50.0")
    md = cli.ok("crosstab", "--by", "profil", "--format", "md", "--percent", "both",
                "--measure", "agents").stdout
    assert "| code | pragmatique (n=2) | pragmatique row % | pragmatique col % |" in md
    assert "| Temps | 2 | 66.7 | 100.0 | 1 | 33.3 | 100.0 | 3 | 100.0 | 100.0 |" in md
    result = cli("crosstab", "--by", "profil", "--percent", "diagonal")
    assert result.exit_code == 1 and "unknown --percent" in result.stderr


def test_values_spelt_differently_are_one_group(corpus, cli):
    """`Pragmatique` and `pragmatique` are one profile for --by, as they are for --where."""
    with corpus.session(write=True) as s:
        upsert_agent(s, "Zoé", {"profil": "Pragmatique "})
    t = tables(cli.json("cooccurrence", "--by", "profil"))
    assert [g.casefold() for g in t] == ["(all)", "pragmatique", "social"]
    group = next(g for g in t if g.casefold() == "pragmatique")
    assert t[group]["units"] == 6  # Marc's and Zoé's segments, as in the test above
    crosstab = cli.json("crosstab", "--by", "profil")
    assert len([g for g in crosstab["groups"] if g.casefold() == "pragmatique"]) == 1
