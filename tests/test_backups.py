"""Automatic backups: their size in the message, compression of large corpora, how many are
kept, and `qualcode restore` of plain and compressed copies."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest

from qualcode.maintenance import backup_policy

CODEBOOK = """name: Guichet
codes:
  - name: attente
    description: Le temps passé à attendre.
  - name: mépris
    description: « On nous prend de haut », le sentiment d’être méprisé.
"""
MORE = """name: Guichet
codes:
  - name: hiérarchie
    description: Ce que décide la direction.
"""


@pytest.fixture
def corpus(cli, db_path, make_doc, tmp_path):
    if not isinstance(db_path, Path):
        pytest.skip("automatic backups are for SQLite corpora")
    make_doc("entretien_01.txt", [("Enquêtrice", "Vous attendez depuis quand ?"),
                                  ("Hélène", "Depuis ce matin, c’est long.")])
    book = tmp_path / "guichet.yaml"
    book.write_text(CODEBOOK, encoding="utf-8")
    cli.ok("codebook", "import", str(book))
    for old in _backups(db_path):  # each test counts its own backups
        old.unlink()
    return db_path


def _codes(db_path: Path) -> set[str]:
    with sqlite3.connect(db_path) as conn:
        return {name for (name,) in conn.execute("SELECT name FROM code")}


def _backups(db_path: Path) -> list[Path]:
    return sorted((db_path.parent / (db_path.name + ".backups")).glob("corpus-*"))


def _import_more(cli, tmp_path: Path, n: int = 0):
    book = tmp_path / f"more{n}.yaml"
    book.write_text(MORE.replace("hiérarchie", f"hiérarchie {n}"), encoding="utf-8")
    return cli.ok("codebook", "import", str(book))


def test_the_backup_message_says_its_size(cli, corpus, tmp_path):
    result = _import_more(cli, tmp_path)
    [backup] = _backups(corpus)
    kb = round(backup.stat().st_size / 1000)
    assert f"Backup before codebook import: {backup} ({kb} KB)" in result.stderr


def test_large_corpora_get_compressed_backups_that_restore_exactly(cli, corpus, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("QUALCODE_BACKUPS_COMPRESS_MB", "0")  # every corpus counts as large
    before = _codes(corpus)
    result = _import_more(cli, tmp_path)
    [backup] = _backups(corpus)
    assert backup.name.endswith(".db.gz") and "gzip of a" in result.stderr
    with gzip.open(backup) as fh:
        assert fh.read(16) == b"SQLite format 3\x00"
    assert _codes(corpus) == before | {"hiérarchie 0"}
    result = cli.ok("restore", str(backup))
    assert "Corpus restored from" in result.stderr
    assert _codes(corpus) == before
    assert cli.ok("check").exit_code == 0
    # the state before the restore was kept too, so the restore can be undone
    newest = _backups(corpus)[-1]
    assert "restore" in newest.name
    cli.ok("restore", str(newest))
    assert _codes(corpus) == before | {"hiérarchie 0"}


def test_restore_of_a_plain_backup_written_by_the_backup_command(cli, corpus, tmp_path):
    copy = tmp_path / "sauvegarde.db"
    cli.ok("backup", str(copy))
    cli.ok("codebook", "delete", "mépris", "--force")
    assert "mépris" not in _codes(corpus)
    cli.ok("restore", str(copy))
    assert "mépris" in _codes(corpus)
    docs = cli.json("docs", "list")
    assert [d["name"] for d in docs] == ["entretien_01.txt"]


def test_the_backup_command_compresses_a_gz_target(cli, corpus, tmp_path):
    target = tmp_path / "sauvegarde.db.gz"
    result = cli.ok("backup", str(target))
    assert str(target) in result.stderr
    with gzip.open(target) as fh:
        assert fh.read(16) == b"SQLite format 3\x00"
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("content, message", [
    (b"pas une sauvegarde", "is not a qualcode corpus backup"),
    (gzip.compress(b"SQLite format 3\x00 tronqu"), "is not a qualcode corpus backup"),
    (gzip.compress(bytes(range(256)) * 64)[:200], "damaged compressed backup"),
])
def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(cli, corpus, tmp_path,
                                                                 content, message):
    bad = tmp_path / "faux.db.gz"
    bad.write_bytes(content)
    before = _codes(corpus)
    result = cli("restore", str(bad))
    assert result.exit_code == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
    assert _codes(corpus) == before


def test_restore_of_a_missing_file_is_an_error(cli, corpus, tmp_path):
    result = cli("restore", str(tmp_path / "absent.db.gz"))
    assert result.exit_code == 1 and "no backup file at" in result.stderr


def test_how_many_backups_are_kept_is_a_setting(cli, corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_BACKUPS_KEEP", "2")
    for n in range(4):
        _import_more(cli, tmp_path, n)
    kept = _backups(corpus)
    assert len(kept) == 2
    # the newest two: the states just before the third and the fourth import
    with sqlite3.connect(kept[-1]) as conn:
        names = {name for (name,) in conn.execute("SELECT name FROM code")}
    assert "hiérarchie 2" in names and "hiérarchie 3" not in names


def test_zero_turns_automatic_backups_off_and_keeps_the_old_ones(cli, corpus, tmp_path,
                                                               monkeypatch):
    _import_more(cli, tmp_path, 0)
    assert len(_backups(corpus)) == 1
    monkeypatch.setenv("QUALCODE_BACKUPS_KEEP", "0")
    result = _import_more(cli, tmp_path, 1)
    assert "Backup before" not in result.stderr
    assert len(_backups(corpus)) == 1


def test_a_wrong_setting_is_one_clear_error(cli, corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_BACKUPS_KEEP", "dix")
    before = _codes(corpus)
    book = tmp_path / "more.yaml"
    book.write_text(MORE, encoding="utf-8")
    result = cli("codebook", "import", str(book))
    assert result.exit_code == 1
    assert "QUALCODE_BACKUPS_KEEP='dix' is not a whole number" in result.stderr
    assert _codes(corpus) == before


def test_policy_plain_and_ten_below_the_threshold_compressed_and_three_above(monkeypatch):
    monkeypatch.delenv("QUALCODE_BACKUPS_KEEP", raising=False)
    monkeypatch.delenv("QUALCODE_BACKUPS_COMPRESS_MB", raising=False)
    assert backup_policy(50 * 1024 * 1024) == (10, False)
    assert backup_policy(100 * 1024 * 1024) == (3, True)
    monkeypatch.setenv("QUALCODE_BACKUPS_KEEP", "5")
    assert backup_policy(800 * 1024 * 1024) == (5, True)
