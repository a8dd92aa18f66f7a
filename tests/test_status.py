"""`qualcode status`: where the coding stands, in one screen or as JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from qualcode.models import Code, Segment, Suggestion

E = "entretien_01.txt"


@pytest.fixture
def corpus(cli, db, make_doc, tmp_path: Path) -> None:
    make_doc(E, [("E", "Bonjour."), ("Hélène", "Le guichet déborde."),
                 ("E", "Et ensuite ?"), ("Hélène", "On ne sert plus à rien."),
                 ("Hélène", "Les délais s'allongent.")])
    make_doc("notes_gare.md", [(None, "La file déborde."), (None, "Un usager crie.")],
             kind="observation")
    for code in ("attente", "délai", "mépris", "perte de sens"):
        cli.ok("codebook", "add", code)
    cli.ok("code", "apply", f"{E}:2", "attente", "--coder", "ana")
    cli.ok("code", "apply", f"{E}:2", "délai", "--coder", "bruno")
    # one span running over segments 4 and 5 (as REFI-QDA selections may)
    segs = cli.json("docs", "show", E)["segments"]
    spans = tmp_path / "spans.csv"
    spans.write_text(f"document,start,end,code,coder\n{E},{segs[3]['start'] + 3},"
                     f"{segs[4]['start'] + 4},délai,ana\n", encoding="utf-8")
    cli.ok("code", "import", spans)
    with db.session(write=True) as s:
        ids = dict(s.execute(select(Code.name, Code.id)).all())
        seg = list(s.scalars(select(Segment.id).order_by(Segment.id)))
        s.add(Suggestion(segment_id=seg[5], code_id=ids["attente"], score=0.7))
        s.add(Suggestion(segment_id=seg[6], code_id=ids["attente"], score=0.5))
        s.add(Suggestion(segment_id=seg[5], code_id=ids["mépris"], score=0.4))
        s.add(Suggestion(segment_id=seg[6], code_id=ids["délai"], score=0.4,
                         status="rejected"))


def test_status_json(cli, corpus) -> None:
    assert cli.json("status") == {
        "documents": [
            {"name": E, "kind": "interview", "segments": 5, "to_code": 3, "coded": 3,
             "codings": 3, "coders": ["ana", "bruno"]},
            {"name": "notes_gare.md", "kind": "observation", "segments": 2, "to_code": 2,
             "coded": 0, "codings": 0, "coders": []},
        ],
        "totals": {"documents": 2, "coded_documents": 1, "to_code": 5, "coded_segments": 3,
                   "codings": 3},
        "coders": [{"name": "ana", "codings": 2}, {"name": "bruno", "codings": 1}],
        "unused_codes": ["mépris", "perte de sens"],
        "pending_suggestions": {"total": 3, "codes": [{"code": "attente", "count": 2},
                                                      {"code": "mépris", "count": 1}]},
    }


def test_status_on_the_terminal(cli, corpus) -> None:
    out = cli.ok("status").stdout
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert lines[0] == ("2 documents: 1 coded, 1 not coded; 3 of 5 segments coded "
                        "(interviewer turns left out), 3 codings")
    assert f"{E} 3/3 segments 3 codings ana, bruno" in lines
    assert "Not coded: notes_gare.md" in lines
    assert "Codings per coder: ana 2, bruno 1" in lines
    assert "Codes never used (2): mépris, perte de sens" in lines
    assert "Pending suggestions (3, `qualcode review`): attente 2, mépris 1" in lines


def test_status_of_an_empty_corpus(cli) -> None:
    cli.ok("init")
    out = cli.ok("status").stdout
    assert out.splitlines()[0].startswith("0 documents: 0 coded, 0 not coded")
    assert "Codings per coder: none yet" in out and "No pending suggestion." in out
