"""The migrations and the models describe the same schema, and the head is what db.py expects."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from qualcode import db as dbmod


def test_schema_revision_is_the_alembic_head():
    cfg = Config()
    cfg.set_main_option("script_location", str(dbmod.Path(dbmod.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == dbmod.SCHEMA_REVISION


def test_migrated_database_matches_the_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_opening_twice_keeps_data(db_path, cli, make_doc):
    make_doc("a.txt", [(None, "Un paragraphe.")], kind="document")
    reopened = dbmod.open_db(str(db_path))
    assert reopened.current_revision() == dbmod.SCHEMA_REVISION
    assert [d["name"] for d in cli.json("docs", "list")] == ["a.txt"]


def _released_databases():
    from pathlib import Path

    return sorted((Path(__file__).parent / "data").glob("schema_*.db"))


@pytest.mark.sqlite_only
def test_a_database_from_each_released_schema_opens_upgraded_with_its_data(tmp_path):
    """Each file in tests/data was written by a released qualcode; it must upgrade in place."""
    import json
    import shutil
    import sqlite3

    from qualcode.maintenance import check

    files = _released_databases()
    assert files, "keep a database from each released schema in tests/data"
    for original in files:
        expected = json.loads(original.with_suffix(".json").read_text())
        copy = tmp_path / original.name
        shutil.copy(original, copy)
        db = dbmod.open_db(str(copy), create=False)
        assert db.current_revision() == dbmod.SCHEMA_REVISION
        assert check(db).ok
        conn = sqlite3.connect(copy)
        for table, count in expected["counts"].items():
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == count, table
        conn.close()


@pytest.mark.sqlite_only
def test_a_database_from_a_newer_qualcode_is_refused_untouched(db_path):
    import sqlite3

    from qualcode.errors import DatabaseError

    dbmod.open_db(str(db_path))
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    dbmod.get_engine.cache_clear()
    with pytest.raises(DatabaseError, match="newer qualcode"):
        dbmod.open_db(str(db_path))
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999",)
    conn.close()
