"""`history` and `undo` across commands: apply, remove, import, merge, memo; exactness."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_coding_support import build_corpus, codings

from qualcode.models import Code

E = "entretien_01.txt"


@pytest.fixture
def corpus(db, make_doc):
    return build_corpus(db, make_doc)


def code_names(db) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(select(Code.name)))


def test_history_lists_changes_newest_first(cli, corpus, tmp_path):
    cli.ok("code", "apply", f"{E}:2", "attente")
    cli.ok("code", "apply", f"{E}:4", "mépris", "--coder", "Hélène")
    cli.ok("code", "remove", f"{E}:2", "attente")
    cli.ok("undo")
    rows = cli.json("history", "-n", "2")
    assert [(r["summary"], r["coder"], r["undone"], r["action"]) for r in rows] == [
        ("remove attente from entretien_01.txt:2 (testeur)", "testeur", True, "remove"),
        ("apply mépris to entretien_01.txt:4 (Hélène)", "Hélène", False, "apply"),
    ]
    assert rows[0]["command"].startswith("qualcode")
    human = cli.ok("history").stdout
    assert "apply attente to entretien_01.txt:2" in human


def test_undo_n_reverts_in_reverse_order_and_skips_undone(cli, db, corpus):
    cli.ok("code", "apply", f"{E}:2", "attente")
    first = codings(db)
    cli.ok("code", "apply", f"{E}:4", "mépris")
    cli.ok("code", "apply", f"{E}:5", "indifférence")
    cli.ok("undo")
    out = cli.ok("undo", "5").stdout
    # the already undone change is skipped; the two others go, newest first
    assert out.splitlines() == ["Undone: apply mépris to entretien_01.txt:4 (testeur)",
                                "Undone: apply attente to entretien_01.txt:2 (testeur)"]
    assert codings(db) == []
    assert first  # sanity: something had been applied


def test_undo_zero_is_a_usage_error(cli, corpus):
    assert cli("undo", "0").exit_code == 2


def test_undo_after_codebook_merge(cli, db, corpus):
    merge = pytest.importorskip("qualcode.codebook.service").merge_codes
    cli.ok("code", "apply", f"{E}:4", "mépris")
    cli.ok("code", "apply", f"{E}:4", "discrédit")
    cli.ok("code", "apply", f"{E}:2", "mépris", "--match", "attendent")
    cli.ok("memo", "add", "code:mépris", "Le mot revient souvent.")
    before = (codings(db), code_names(db), cli.json("memo", "list"))
    with db.session(write=True) as s:
        merge(s, source="mépris", target="discrédit", coder="testeur")
    assert "mépris" not in code_names(db)
    assert {c[3] for c in codings(db)} == {"discrédit"}
    cli.ok("undo")
    assert (codings(db), code_names(db), cli.json("memo", "list")) == before


def test_undo_is_exact_after_interleaved_changes(cli, db, corpus, tmp_path):
    """Apply, import and remove in any order; undoing all gets back the very first state."""
    cli.ok("code", "apply", f"{E}:2", "attente")
    start = codings(db)
    f = tmp_path / "c.csv"
    f.write_text("document,segment,code\nentretien_01.txt,2,mépris\nnotes_01.txt,1,attente\n",
                 encoding="utf-8")
    cli.ok("code", "import", f)
    cli.ok("code", "remove", f"{E}:2", "attente")
    cli.ok("code", "apply", f"{E}:2", "attente", "--span", "0:3")
    cli.ok("undo", "4")
    assert codings(db) == []
    cli.ok("code", "apply", f"{E}:2", "attente")
    assert [c[:5] for c in codings(db)] == [c[:5] for c in start]
