"""Light reads for the commands a user runs all day (`docs list`, `history`, `status`).

Importing SQLAlchemy and SQLModel costs about 0.3 s, more than the whole answer of these
commands on a thesis-sized corpus. A SQLite corpus that is ready (it exists and its schema is the
current one) is read here with the standard library's ``sqlite3``; anything else (PostgreSQL, a
corpus that needs an upgrade, a missing or foreign file) goes through :func:`qualcode.db.open_db`,
which creates, upgrades or refuses it with the usual messages. The queries are portable SQL with
``:name`` parameters, so both ways run the same text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from . import db as _db
from .db import (
    BUSY_TIMEOUT_S,
    _refuse_unless_corpus,
    _sqlite_schema,
    resolve_url,
    sqlite_path,
)


class Reader:
    """Runs read-only SQL on an open connection, whichever way it was opened."""

    def __init__(self, conn: Any, *, dbapi: bool) -> None:
        self._conn = conn
        self._dbapi = dbapi

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        if self._dbapi:
            return self._conn.execute(sql, params).fetchall()
        from sqlalchemy import text

        return [tuple(r) for r in self._conn.execute(text(sql), params)]

    def stream(self, sql: str, **params: Any) -> Iterator[tuple]:
        """The rows one by one, without holding them all (several streams may be open)."""
        if self._dbapi:
            yield from self._conn.cursor().execute(sql, params)
            return
        from sqlalchemy import text

        result = self._conn.execution_options(stream_results=True).execute(text(sql), params)
        for row in result:
            yield tuple(row)


def _ready_sqlite(url: str) -> bool:
    """Whether ``url`` is an existing SQLite corpus at the current schema (nothing to create,
    upgrade or refuse, so the standard library can read it)."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return False
    state = _sqlite_schema(path)
    if state is None:
        return False
    tables, revision = state
    if revision != _db.SCHEMA_REVISION:  # read at call time: one source with open_db
        return False
    _refuse_unless_corpus(url, tables, revision, create=False)
    return True


@contextmanager
def reader(db: str | None = None, *, before_upgrade: Any = None) -> Iterator[Reader]:
    """One read transaction on the corpus at ``db`` (path or URL, as ``--db``).

    A corpus that is not a current SQLite one goes through ``open_db``, which upgrades an
    older schema after ``before_upgrade`` (the CLI's backup)."""
    url = resolve_url(db)
    if not _ready_sqlite(url):
        from .db import open_db

        database = open_db(db, create=False, before_upgrade=before_upgrade)
        with database.engine.connect() as conn:
            yield Reader(conn, dbapi=False)
        return
    import sqlite3

    path = sqlite_path(url)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute("BEGIN")  # one snapshot for every query of the command
        yield Reader(conn, dbapi=True)
    except sqlite3.OperationalError as exc:
        from .db import friendly_error

        friendly = friendly_error(exc, url)
        if friendly is not None:
            raise friendly from None
        raise
    finally:
        conn.close()


def as_datetime(value: Any) -> datetime:
    """A timestamp column as SQLite returns it (text) or a server does (a datetime)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def recent_changes(r: Reader, limit: int = 20) -> list[dict[str, Any]]:
    """The last ``limit`` audit entries, newest first, without their undo payloads (a bulk
    import's payload can hold a million rows; the list needs none of it)."""
    rows = r.rows("SELECT id, at, coder, action, summary, command, undone FROM audit "
                  "ORDER BY id DESC LIMIT :limit", limit=limit)
    return [{"id": i, "at": as_datetime(at).isoformat(timespec="seconds"), "coder": coder,
             "action": action, "summary": summary, "command": command,
             "undone": bool(undone)}
            for i, at, coder, action, summary, command, undone in rows]


# Meta row holding the document sets (from REFI-QDA `<Set><MemberSource>`, e.g. MAXQDA document
# sets): {name: {"guid", "description", "documents": [document GUIDs]}}.
DOCUMENT_SETS_META = "document_sets"


def document_sets(r: Reader) -> dict[str, dict[str, Any]]:
    """The document sets by name (members as document GUIDs, in the order kept)."""
    import json

    row = r.rows("SELECT value FROM meta WHERE key = :key", key=DOCUMENT_SETS_META)
    try:
        value = json.loads(row[0][0]) if row and row[0][0] else {}
    except ValueError:
        value = {}
    return value if isinstance(value, dict) else {}


def document_list(r: Reader, set_name: str | None = None) -> list[dict[str, Any]]:
    """Documents by name with kind, segments, words, agents, encoding and document sets
    (`docs list`); only the members of the set ``set_name`` when given."""
    sets = document_sets(r)
    in_sets: dict[str, list[str]] = {}
    for name, info in sorted(sets.items()):
        for guid in info.get("documents") or []:
            in_sets.setdefault(guid, []).append(name)
    if set_name is not None:
        from .errors import NotFound

        names = {n.casefold(): n for n in sets}
        if set_name.casefold() not in names:
            raise NotFound(f"there is no document set {set_name!r}",
                           "document sets come from imported projects (`import qdpx`); "
                           f"known: {', '.join(sorted(names.values())) or 'none'}")
        set_name = names[set_name.casefold()]
    counts = dict(r.rows("SELECT document_id, count(*) FROM segment GROUP BY document_id"))
    agents: dict[int, list[str]] = {}
    for doc_id, name in r.rows(
            "SELECT da.document_id, a.name FROM document_agent da "
            "JOIN agent a ON a.id = da.agent_id ORDER BY a.name"):
        agents.setdefault(doc_id, []).append(name)
    docs = r.rows("SELECT id, name, kind, words, encoding, guid FROM document ORDER BY name")
    return [{"name": name, "kind": kind, "segments": counts.get(doc_id, 0), "words": words,
             "agents": agents.get(doc_id, []), "encoding": encoding,
             "sets": in_sets.get(guid, [])}
            for doc_id, name, kind, words, encoding, guid in docs
            if set_name is None or set_name in in_sets.get(guid, [])]
