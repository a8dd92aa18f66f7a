"""The entry points a Python user reaches for, re-exported lazily by ``import qualcode``.

This module holds the one rule that joins two layers: a corpus written by an older qualcode is
backed up before its schema is upgraded. ``db.open_db`` cannot do it itself (backups live in
``maintenance``, which builds on ``db``), so the CLI and :func:`open_db` here inject the step.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .db import Database


def backup_before_upgrade(database: Database, revision: str) -> Path | None:
    """Copy a SQLite corpus into ``<corpus>.backups`` before its schema ``revision`` changes."""
    from .maintenance import auto_backup

    return auto_backup(database, f"before-upgrade-from-{revision}")


def open_db(db: str | Path | None = None, *, create: bool = True) -> Database:
    """Open the corpus at ``db`` (a path or a SQLAlchemy URL; default ``$QUALCODE_DB`` or
    ``./qualcode.db``), creating it, or upgrading an older one after a backup.

    With ``create=False`` a missing file is an error instead of a new empty corpus.
    """
    from .db import open_db as _open_db

    return _open_db(None if db is None else str(db), create=create,
                    before_upgrade=backup_before_upgrade)
