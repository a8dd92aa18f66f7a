"""`check` finds broken corpora, `backup` writes a consistent copy."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from qualcode import models
from qualcode.corpus.coders import get_or_create_coder


def _code_and_coding(db, doc_id, start, end):
    with db.session(write=True) as s:
        code = models.Code(name="discrédit", norm_name="discrédit")
        s.add(code)
        s.flush()
        coder = get_or_create_coder(s, "ana")
        s.add(models.Coding(code_id=code.id, document_id=doc_id, start=start, end=end,
                            coder_id=coder.id))


def test_check_ok_on_a_sound_corpus(cli, make_doc, db):
    doc_id = make_doc("e1.txt", [("E", "Alors ?"), ("Hélène", "On nous prend de haut.")])
    _code_and_coding(db, doc_id, 14, 20)
    result = cli.ok("check")
    assert "OK" in result.stdout
    data = cli.json("check")
    assert data["ok"] is True
    assert data["counts"]["documents"] == 1 and data["counts"]["codings"] == 1


def test_check_reports_a_coding_outside_its_text_and_a_tampered_text(cli, make_doc, db):
    doc_id = make_doc("e1.txt", [(None, "Un paragraphe court.")], kind="observation")
    _code_and_coding(db, doc_id, 0, 5)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE coding SET \"end\" = 500"))
        conn.execute(text("UPDATE document SET text = 'autre texte'"))
    result = cli("check")
    assert result.exit_code == 1
    assert "lies outside the document text" in result.stdout
    assert "does not match its hash" in result.stdout


def test_check_reports_a_memo_on_a_missing_segment(cli, make_doc, db):
    make_doc("e1.txt", [(None, "Texte.")], kind="observation")
    with db.session(write=True) as s:
        s.add(models.Memo(target_type="segment", target_id=999, text="à revoir"))
    data = cli("check", "--json")
    assert data.exit_code == 1
    assert "memo 1 is attached to a missing segment" in data.stdout


def test_backup_is_a_complete_openable_copy(cli, make_doc, tmp_path):
    make_doc("e1.txt", [(None, "Premier."), (None, "Second.")], kind="observation")
    target = tmp_path / "copie.db"
    result = cli.ok("backup", target)
    assert str(target) in result.stderr
    conn = sqlite3.connect(target)
    assert conn.execute("SELECT count(*) FROM segment").fetchone() == (2,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert not (tmp_path / "copie.db.partial").exists()


@pytest.mark.sqlite_only
def test_backup_refuses_to_overwrite_the_corpus_itself(cli, db_path):
    cli.ok("init")
    result = cli("backup", db_path)
    assert result.exit_code == 1
    assert "the corpus itself" in result.stderr


@pytest.mark.sqlite_only
def test_check_on_missing_database_is_an_error(cli):
    result = cli("check")
    assert result.exit_code == 1
    assert "no corpus database" in result.stderr


@pytest.mark.sqlite_only
def test_risky_commands_leave_a_backup_next_to_the_corpus(cli, db_path, make_doc):
    make_doc("e.txt", [(None, "Texte.")], kind="observation")
    cli.ok("codebook", "add", "retrait")
    cli.ok("codebook", "add", "évitement")
    result = cli.ok("codebook", "merge", "retrait", "évitement")
    assert "Backup before codebook merge" in result.stderr
    backups = list((db_path.parent / (db_path.name + ".backups")).glob("*.db"))
    assert len(backups) == 1
    conn = sqlite3.connect(backups[0])
    names = {row[0] for row in conn.execute("SELECT name FROM code")}
    conn.close()
    assert names == {"retrait", "évitement"}  # the state before the merge
