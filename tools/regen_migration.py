"""Regenerate migration 0001 from the models (development only, before the first release).

After the first release, never edit 0001: add a new revision with
`alembic revision --autogenerate` against a database at the previous head instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "qualcode" / "migrations" / "versions"

for old in VERSIONS.glob("0001_*.py"):
    old.unlink()
cfg = Config()
cfg.set_main_option("script_location", str(ROOT / "qualcode" / "migrations"))
with tempfile.TemporaryDirectory() as tmp:
    engine = create_engine(f"sqlite:///{tmp}/empty.db")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message="initial", autogenerate=True, rev_id="0001")
print("regenerated", next(VERSIONS.glob("0001_*.py")).name)
