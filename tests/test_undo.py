"""`history` and `undo` across commands: apply, remove, import, merge, memo; exactness."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from support.coding import build_corpus, codings

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
    out = cli.ok("undo", "-n", "5").stdout
    # the already undone change is skipped; the two others go, newest first
    assert [line.split(" (change ")[0] for line in out.splitlines()] == [
        "Undone: apply mépris to entretien_01.txt:4 (testeur)",
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
    cli.ok("undo", "-n", "4")
    assert codings(db) == []
    cli.ok("code", "apply", f"{E}:2", "attente")
    assert [c[:5] for c in codings(db)] == [c[:5] for c in start]


def _counts(db) -> tuple[int, ...]:
    from sqlalchemy import func

    from qualcode.models import AuditEntry, Coding, Document, Memo

    with db.session() as s:
        return tuple(s.scalar(select(func.count()).select_from(t))
                     for t in (Document, Coding, Memo, AuditEntry))


def test_docs_remove_takes_codings_and_memos_is_recorded_and_refuses_undo(cli, db, corpus,
                                                                           db_path):
    cli.ok("code", "apply", f"{E}:2", "attente")
    cli.ok("memo", "add", f"segment:{E}:2", "Elle parle de l’attente au guichet.")
    cli.ok("memo", "add", f"doc:{E}", "Entretien mené dans la salle de pause.")
    before = _counts(db)
    refused = cli("docs", "remove", E)
    assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "1 codings and 2 memos" in refused.stderr and "--force" in refused.stderr
    assert _counts(db) == before
    out = cli.ok("docs", "remove", E, "--force")
    assert "and its 1 codings and 2 memos" in out.stderr
    if isinstance(db_path, Path):  # SQLite: a file backup
        assert "Backup before docs remove --force" in out.stderr
        assert list((db_path.parent / f"{db_path.name}.backups").glob("*.db"))
    docs, n_codings, memos, entries = _counts(db)
    assert (docs, n_codings, memos, entries) == (before[0] - 1, 0, 0, before[3] + 1)
    assert cli.json("history", "-n", "1")[0]["summary"] == (
        f"remove document {E} with 1 codings and 2 memos")
    assert cli.ok("check").exit_code == 0  # no memo left pointing at nothing
    # the removal cannot be undone, nor what came before it; nothing changes
    after = _counts(db)
    undo = cli("undo")
    assert undo.exit_code == 1 and len(undo.stderr.strip().splitlines()) == 1
    assert "the document's text is gone" in undo.stderr and "backup" in undo.stderr
    assert _counts(db) == after


def test_undo_of_a_change_whose_document_is_gone_is_one_clear_line(cli, db, corpus):
    """A database whose document was removed without a history entry (older versions)."""
    from qualcode.models import Document

    cli.ok("code", "apply", f"{E}:2", "attente")
    cli.ok("code", "remove", f"{E}:2", "attente")
    with db.session(write=True) as s:
        s.delete(s.scalar(select(Document).where(Document.name == E)))
    before = _counts(db)
    result = cli("undo")
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "no longer exists" in result.stderr and "IntegrityError" not in result.stderr
    assert _counts(db) == before


# --- undo in a team: your own changes by default ------------------------------------------------

def _state(db) -> dict[str, list[tuple]]:
    """Every row of every table undo and redo touch (the history itself aside)."""
    from qualcode import audit

    with db.session() as s:
        return {cls.__tablename__: sorted(
            tuple(str(v) for v in row) for row in s.execute(select(cls.__table__)).all())
            for cls in audit.AUDITED}


def _as(cli, coder: str, *args: str):  # noqa: ANN202
    """Run a command as another member of the team (their $QUALCODE_CODER)."""
    result = cli(*args, env={"QUALCODE_CODER": coder})
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def test_undo_takes_back_your_change_not_a_colleagues(cli, db, corpus):
    """The issue's case: Ana codes, Bob codes right after, Ana undoes: Ana's coding goes,
    Bob's stays (the old undo took Bob's)."""
    before = _state(db)
    _as(cli, "ana", "code", "apply", f"{E}:2", "attente")
    _as(cli, "bob", "code", "apply", f"{E}:4", "mépris")
    out = _as(cli, "ana", "undo").stdout
    assert out.startswith("Undone: apply attente to entretien_01.txt:2 (ana)")
    assert [(c[3], c[4]) for c in codings(db)] == [("mépris", "bob")]
    _as(cli, "bob", "undo")
    assert _state(db) == before  # exact: coders added by the changes are gone too


def test_undo_any_and_undo_id(cli, db, corpus):
    _as(cli, "ana", "code", "apply", f"{E}:2", "attente")
    _as(cli, "bob", "code", "apply", f"{E}:4", "mépris")
    ana_change, bob_change = sorted(r["id"] for r in cli.json("history"))
    refused = cli("undo", str(bob_change), env={"QUALCODE_CODER": "ana"})
    assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert f"change {bob_change} was made by bob, not ana" in refused.stderr
    assert "--any" in refused.stderr
    _as(cli, "ana", "undo", str(bob_change), "--any")
    assert [(c[3], c[4]) for c in codings(db)] == [("attente", "ana")]
    _as(cli, "carole", "undo", "--any")  # the newest change not undone, whoever made it
    assert codings(db) == []
    nothing = cli("undo", env={"QUALCODE_CODER": "carole"})
    assert nothing.exit_code == 1 and "carole has nothing to undo" in nothing.stderr
    assert ana_change < bob_change


def test_undo_refuses_a_change_a_colleague_built_on(cli, db, corpus):
    """Bob merged Ana's code into another since, moving her coding: undoing Ana's apply
    would now take back part of Bob's merge."""
    _as(cli, "ana", "code", "apply", f"{E}:2", "attente")
    _as(cli, "bob", "codebook", "merge", "attente", "mépris")
    bob_change = max(r["id"] for r in cli.json("history"))
    before = _state(db)
    refused = cli("undo", env={"QUALCODE_CODER": "ana"})
    assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert f"change {bob_change} by bob changed the same" in refused.stderr
    assert _state(db) == before


def test_redo_makes_the_undone_change_again(cli, db, corpus):
    _as(cli, "ana", "code", "apply", f"{E}:2", "attente")
    _as(cli, "ana", "code", "apply", f"{E}:4", "mépris")
    applied = _state(db)
    _as(cli, "ana", "undo", "-n", "2")
    undone = _state(db)
    # The last one undone comes back first: the stack of a text editor.
    assert _as(cli, "ana", "redo").stdout.startswith("Redone: apply attente")
    assert _as(cli, "ana", "redo").stdout.startswith("Redone: apply mépris")
    assert _state(db) == applied
    nothing = cli("redo", env={"QUALCODE_CODER": "ana"})
    assert nothing.exit_code == 1 and "nothing to redo" in nothing.stderr
    _as(cli, "ana", "undo", "-n", "2")
    assert _state(db) == undone
    assert [r["undone"] for r in cli.json("history")] == [True, True]


def test_redo_of_a_merge_is_exact(cli, db, corpus):
    """Redo replays inserts, updates and deletes in an order the foreign keys accept."""
    cli.ok("code", "apply", f"{E}:2", "attente")
    cli.ok("code", "apply", f"{E}:4", "mépris")
    cli.ok("codebook", "merge", "mépris", "attente")
    merged = _state(db)
    cli.ok("undo")
    cli.ok("redo")
    assert _state(db) == merged


def test_undo_and_redo_of_an_import_are_exact(cli, db, corpus, tmp_path):
    """An import is recorded by the range of its codings' ids: undo takes exactly those (and
    the coders it created), redo puts the very same rows back."""
    _as(cli, "ana", "code", "apply", f"{E}:2", "attente")
    before = _state(db)
    f = tmp_path / "c.csv"
    f.write_text("document,segment,code,coder\n"
                 f"{E},2,attente,ana\n{E},4,mépris,nouveau\nnotes_01.txt,1,attente,ana\n",
                 encoding="utf-8")
    _as(cli, "ana", "code", "import", f)
    imported = _state(db)
    assert len(imported["coding"]) == 3
    _as(cli, "bob", "code", "apply", f"{E}:5", "indifférence")
    _as(cli, "ana", "undo")  # the import, not Bob's coding
    assert [(c[3], c[4]) for c in codings(db)] == [("attente", "ana"), ("indifférence", "bob")]
    _as(cli, "bob", "undo")
    assert _state(db) == before
    _as(cli, "ana", "redo")
    assert _state(db) == imported


def test_undo_of_an_import_refused_when_a_colleague_removed_one_of_its_codings(cli, db,
                                                                              corpus, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text(f"document,segment,code\n{E},2,attente\n{E},4,mépris\n", encoding="utf-8")
    _as(cli, "ana", "code", "import", f)
    _as(cli, "bob", "code", "remove", f"{E}:4", "mépris", "--coder", "ana")
    import_change, bob_change = sorted(r["id"] for r in cli.json("history"))
    before = _state(db)
    refused = cli("undo", str(import_change), env={"QUALCODE_CODER": "ana"})
    assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert f"change {bob_change} by ana changed the same" in refused.stderr
    assert _state(db) == before
