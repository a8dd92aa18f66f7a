"""The migrations and the models describe the same schema, and the head is what db.py expects."""

from __future__ import annotations

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
