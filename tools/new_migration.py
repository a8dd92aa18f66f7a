"""Write the next Alembic revision from the difference between the models and the head schema.

Usage: python tools/new_migration.py "what changed"

Released revisions are never edited: users' corpora were written by them. After adding a
revision, bump `SCHEMA_REVISION` in qualcode/db.py, and add a database written by the new
release to tests/data (schema_NNNN.db with its .json counts) once it is released.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parent.parent


def main(message: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "qualcode" / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head() or "0000"
    rev_id = f"{int(head) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/head.db")
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
    print(f"wrote revision {rev_id}; set SCHEMA_REVISION = {rev_id!r} in qualcode/db.py")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "schema change")
