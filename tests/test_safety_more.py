"""Corpus safety: backups never overwrite, read-only corpora, complete .db files, a mistyped
--db creates nothing, automatic backups only when something changed, unknown schemas."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from qualcode.cli.main import app
from qualcode.db import friendly_error

CODEBOOK = """name: Guichet
codes:
  - name: retrait
    description: Se tenir à l’écart du public.
  - name: entraide
"""


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def _backups(db_path: Path) -> list[Path]:
    return sorted((db_path.parent / (db_path.name + ".backups")).glob("*.db"))


# 1. backup FILE ------------------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_backup_refuses_an_existing_file_and_leaves_it_untouched(cli, make_doc, tmp_path):
    make_doc("e1.txt", [(None, "Premier.")], kind="observation")
    other = tmp_path / "autre-corpus.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE terrain (note TEXT)")
    conn.execute("INSERT INTO terrain VALUES ('ne pas perdre')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    result = cli("backup", other)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert other.read_bytes() == before


@pytest.mark.sqlite_only
def test_backup_force_replaces_the_file_with_the_corpus(cli, make_doc, tmp_path):
    make_doc("e1.txt", [(None, "Premier."), (None, "Second.")], kind="observation")
    target = tmp_path / "copie.db"
    target.write_bytes(b"ancienne sauvegarde")
    (tmp_path / "copie.db-wal").write_bytes(b"journal perdu")  # must not be replayed
    cli.ok("backup", target, "--force")
    assert _count(target, "segment") == 2
    assert not (tmp_path / "copie.db-wal").exists()


@pytest.mark.sqlite_only
def test_backup_never_overwrites_the_corpus_even_with_force(cli, db_path, make_doc, tmp_path):
    make_doc("e1.txt", [(None, "Premier.")], kind="observation")
    alias = tmp_path / "lien.db"
    os.link(db_path, alias)  # another name for the same file
    for target in (db_path, alias):
        result = cli("backup", target, "--force")
        assert result.exit_code == 1
        assert "the corpus itself" in result.stderr
    assert _count(db_path, "document") == 1


# 2. read-only corpus and other database failures ----------------------------------------------

def _make_read_only(path: Path) -> bool:
    """Read-only even for root (chattr +i) when possible; False when it cannot be done."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        return True
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def _make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o644)


@pytest.mark.sqlite_only
def test_a_read_only_corpus_is_one_clear_line_and_stays_unchanged(cli, db_path, make_doc):
    make_doc("e1.txt", [("Hélène", "On nous prend de haut.")])
    cli.ok("codebook", "add", "retrait")
    before = db_path.read_bytes()
    if not _make_read_only(db_path):
        pytest.skip("cannot make a file read-only here")
    try:
        for args in (("code", "apply", "e1.txt:1", "retrait"), ("codebook", "add", "entraide"),
                     ("undo",)):
            result = cli(*args)
            assert result.exit_code == 1, args
            assert result.stderr == (
                f"Error: cannot write to {db_path}: the file is read-only (check its "
                "permissions, or copy the corpus somewhere writable)\n"), args
        assert cli.json("docs", "list")[0]["name"] == "e1.txt"  # reading still works
    finally:
        _make_writable(db_path)
    assert db_path.read_bytes() == before


@pytest.mark.parametrize(("driver_message", "expected"), [
    ("attempt to write a readonly database", "is read-only"),
    ("database is locked", "stayed locked by another qualcode process"),
    ("disk I/O error", "input/output error on /tmp/these.db"),
    ("database or disk is full", "the disk holding /tmp/these.db is full"),
])
def test_database_failures_become_one_sentence(driver_message, expected):
    exc = OperationalError("INSERT INTO coding ...", {}, sqlite3.OperationalError(driver_message))
    error = friendly_error(exc, "sqlite:////tmp/these.db")
    assert error is not None and expected in str(error)
    assert "[SQL" not in str(error) and "\n" not in str(error)


def test_an_unexpected_driver_error_in_a_command_is_one_line(cli, db, monkeypatch):
    def full(*_args, **_kwargs):
        raise OperationalError("UPDATE segment ...", {},
                               sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr("qualcode.maintenance.check", full)
    result = cli("check")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the disk holding ")
    assert result.stderr.count("\n") == 1 and "Error: unexpected" not in result.stderr


# 3. the .db file alone is the whole corpus ---------------------------------------------------

@pytest.mark.sqlite_only
def test_after_a_command_the_db_file_alone_holds_the_corpus(tmp_path):
    corpus = tmp_path / "these.db"
    text = tmp_path / "notes.txt"
    text.write_text("Au guichet, la file s’allonge.\n\nUne usagère attend depuis une heure.\n",
                    encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "QUALCODE_DB"}
    subprocess.run([sys.executable, "-m", "qualcode", "--db", str(corpus), "ingest", str(text)],
                   check=True, capture_output=True, env=env)
    assert not (tmp_path / "these.db-wal").exists()
    alone = tmp_path / "copie" / "these.db"
    alone.parent.mkdir()
    shutil.copy(corpus, alone)  # what a researcher copying one file gets
    assert _count(alone, "document") == 1


@pytest.mark.sqlite_only
def test_demo_refuses_a_folder_that_already_holds_a_demo_project(tmp_path):
    folder = tmp_path / "projet"
    folder.mkdir()
    conn = sqlite3.connect(folder / "demo.db")
    conn.execute("CREATE TABLE decisions (n INTEGER)")
    conn.commit()
    conn.close()
    before = (folder / "demo.db").read_bytes()
    result = CliRunner().invoke(app, ["demo", str(folder)])
    assert result.exit_code == 1
    assert "already holds a demo project" in result.stderr and "--force" in result.stderr
    assert result.stderr.count("\n") == 1
    assert (folder / "demo.db").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["demo.db"]


# 4. a mistyped --db creates nothing ----------------------------------------------------------

@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [
    ("undo",), ("suggest",), ("suggest", "--evaluate"), ("code", "apply", "e1.txt:1", "retrait"),
    ("review",), ("codebook", "add", "retrait"), ("history",),
])
def test_a_mistyped_db_is_an_error_and_creates_no_file(cli, db_path, args):
    result = cli(*args, input="q\n")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: no corpus database at {db_path} (create one with `qualcode init` or "
        "`qualcode ingest`, or check the --db path)\n")
    assert not db_path.exists()


@pytest.mark.sqlite_only
def test_commands_that_bring_data_in_create_the_corpus(cli, db_path, tmp_path):
    codebook = tmp_path / "guichet.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    cli.ok("codebook", "import", codebook)
    assert db_path.exists()
    other = tmp_path / "agents.db"
    agents = tmp_path / "agents.csv"
    agents.write_text("nom,profil\nHélène,agente\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", str(other), "agents", "import", str(agents)])
    assert result.exit_code == 0, result.stderr
    assert _count(other, "agent") == 1


# 5. automatic backups only when the command changed something ---------------------------------

@pytest.mark.sqlite_only
def test_an_import_that_changes_nothing_keeps_no_backup(cli, db_path, make_doc, tmp_path):
    make_doc("e1.txt", [(None, "Texte.")], kind="observation")
    codebook = tmp_path / "guichet.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    first = cli.ok("codebook", "import", codebook)
    assert "Backup before codebook import" in first.stderr
    assert len(_backups(db_path)) == 1
    for _ in range(3):
        again = cli.ok("codebook", "import", codebook)
        assert "Backup" not in again.stderr
    assert len(_backups(db_path)) == 1
    codebook.write_text(CODEBOOK + "  - name: tri du public\n", encoding="utf-8")
    changed = cli.ok("codebook", "import", codebook)
    assert "Backup before codebook import" in changed.stderr
    backups = _backups(db_path)
    assert len(backups) == 2
    assert _count(backups[-1], "code") == 2  # the state before the third code came in


# 6. schema revisions --------------------------------------------------------------------------

@pytest.mark.sqlite_only
@pytest.mark.parametrize(("revision", "expected", "not_expected"), [
    ("0000", "unknown schema revision '0000'; this qualcode expects 0001", "newer"),
    ("bricolé", "unknown schema revision 'bricolé'", "newer"),
    ("9999", "written by a newer qualcode (schema 9999)", "unknown"),
])
def test_an_unknown_schema_revision_is_named_as_such(cli, db_path, revision, expected,
                                                     not_expected):
    cli.ok("init")
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.commit()
    conn.close()
    result = cli("docs", "list")
    assert result.exit_code == 1
    assert expected in result.stderr and not_expected not in result.stderr
    assert result.stderr.count("\n") == 1


# Killed backups and full disks ---------------------------------------------------------------

@pytest.mark.sqlite_only
def test_half_copies_of_killed_backups_are_cleaned_up(cli, db_path, make_doc, tmp_path):
    """A SIGKILLed backup leaves `<name>.partial`: the next automatic backup removes those
    older than a running backup could be, and leaves a fresh one (a backup running now)."""
    import time

    make_doc("e.txt", [("Hélène", "Bonjour.")])
    folder = db_path.parent / f"{db_path.name}.backups"
    folder.mkdir()
    stale = folder / "corpus-20260101-000000-000000-import.db.partial"
    fresh = folder / "corpus-20260101-000001-000000-import.db.partial"
    for partial in (stale, fresh):
        shutil.copy(db_path, partial)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    book = tmp_path / "livre.yaml"
    book.write_text(CODEBOOK, encoding="utf-8")
    cli.ok("codebook", "import", book)
    assert not stale.exists() and fresh.exists()


@pytest.mark.sqlite_only
def test_a_failed_backup_leaves_no_half_copy(cli, db_path, make_doc, tmp_path, monkeypatch):
    from qualcode import maintenance

    make_doc("e.txt", [("Hélène", "Bonjour.")])

    class Broken:
        def __init__(self, real):
            self.real = real

        def backup(self, _target):
            raise sqlite3.OperationalError("database or disk is full")

        def close(self):
            self.real.close()

    real_connect = sqlite3.connect

    def connect(path, **kw):  # the backup's own source connection fails half-way
        conn = real_connect(path, **kw)
        if sys._getframe(1).f_globals["__name__"] == maintenance.__name__ and \
                str(path) == str(db_path):
            return Broken(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    result = cli("backup", tmp_path / "copie.db")
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "disk holding" in result.stderr and "is full" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copie")) == []


@pytest.mark.sqlite_only
def test_full_disk_is_named_even_when_sqlite_says_io_error(db_path, monkeypatch):
    """SQLite reports a disk with no room for its -shm file as "disk I/O error"."""
    from collections import namedtuple

    from qualcode import db as db_module

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(10**9, 10**9, 0))
    error = OperationalError("PRAGMA journal_mode = WAL", {}, Exception("disk I/O error"))
    message = str(friendly_error(error, f"sqlite:///{db_path}"))
    assert "is full" in message and "free some space" in message
    connect = str(db_module._connect_error(f"sqlite:///{db_path}", error))
    assert "is full" in connect and "--db path" not in connect
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(10**9, 0, 10**9))
    assert "input/output error" in str(friendly_error(error, f"sqlite:///{db_path}"))
