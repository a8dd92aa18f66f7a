"""Upgrading a corpus: the backup injected into open_db, and the migration run both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode import db as dbmod


def _older_schema(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    """Make the corpus at ``db_path`` look written by an older qualcode: this qualcode expects
    a later revision, so opening it runs the upgrade path (a no-op migration here)."""
    dbmod.open_db(str(db_path))
    monkeypatch.setattr(dbmod, "SCHEMA_REVISION", "0002")
    monkeypatch.setattr(dbmod, "_known_revisions", lambda: {"0001", "0002"})


@pytest.mark.sqlite_only
def test_the_cli_backs_up_an_older_corpus_before_upgrading_it(db_path, cli, make_doc,
                                                               monkeypatch):
    make_doc("entretien.txt", [("Enquêtrice", "Vous venez souvent ?"),
                               ("Mme Roux", "Au guichet, oui, chaque lundi.")])
    _older_schema(monkeypatch, db_path)
    assert [d["name"] for d in cli.json("docs", "list")] == ["entretien.txt"]
    backups = list(Path(f"{db_path}.backups").glob("*before-upgrade-from-0001*.db"))
    assert len(backups) == 1
    import sqlite3

    conn = sqlite3.connect(backups[0])
    assert conn.execute("SELECT name FROM document").fetchall() == [("entretien.txt",)]
    conn.close()


@pytest.mark.sqlite_only
def test_the_public_open_db_backs_up_and_the_low_level_one_runs_the_given_step(
        db_path, monkeypatch):
    from qualcode.api import open_db

    _older_schema(monkeypatch, db_path)
    seen: list[str] = []
    dbmod.open_db(str(db_path), before_upgrade=lambda database, rev: seen.append(rev))
    assert seen == ["0001"]
    assert not Path(f"{db_path}.backups").exists()  # db.py itself never backs up
    open_db(db_path)
    assert len(list(Path(f"{db_path}.backups").glob("*before-upgrade-from-0001*"))) == 1


def test_the_migration_downgrades_to_nothing_and_upgrades_back(db, make_doc):
    """The downgrade of every revision runs on a real corpus; the upgrade then rebuilds a
    schema equal to the models."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    make_doc("notes.txt", [(None, "Le guichet ouvre à 9 h ; la file s’allonge déjà.")],
             kind="observation")
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(dbmod.__file__).parent / "migrations"))
    with db._write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with db.engine.connect() as conn:
        left = set(inspect(conn).get_table_names()) - {"alembic_version"}
    assert left == set()
    assert db.current_revision() is None
    dbmod.upgrade(db)
    assert db.current_revision() == dbmod.SCHEMA_REVISION
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
