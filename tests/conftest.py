"""Shared fixtures: a file database per test, a CLI runner bound to it, document builders.

With ``QUALCODE_TEST_PG=postgresql+psycopg://user@host:port/postgres`` (a server URL) the same
fixtures run against PostgreSQL: one fresh database ``qualcode_test_<random>`` per test session
(dropped at the end), emptied before each test; ``db_path`` is then that database's URL (a
string). Tests about SQLite files carry ``@pytest.mark.sqlite_only`` and are skipped there.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode.cli.main import app
from qualcode.corpus.documents import SegmentIn, add_document
from qualcode.db import Database, open_db

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "corpora" / "demo"
SHARED = REPO.parent / "shared"
# The official REFI-QDA schemas and real files of other tools: material we may not copy into
# the repository, found beside a checkout on the project's machines only. Tests that need it
# carry @pytest.mark.refi_shared and are skipped elsewhere; the others use tests/data/refi/
# (our own files, written by tests/make_refi_fixtures.py).
REFI_SHARED = SHARED / "refi-qda"
REFI_SHARED_MISSING = (f"needs ../shared/refi-qda/ (official REFI-QDA schemas, other tools' "
                       f"files), not beside this checkout: no {REFI_SHARED}")
REFI_FIXTURES = REPO / "tests" / "data" / "refi"
# A PostgreSQL server URL: the suite then runs against a database created on it.
PG_SERVER = os.environ.get("QUALCODE_TEST_PG") or None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about SQLite files (WAL, file backup...); skipped on PostgreSQL")
    config.addinivalue_line(
        "markers", "refi_shared: needs ../shared/refi-qda/ (official schemas, other tools' "
        "files); skipped when it is not beside the checkout")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skips = []
    if PG_SERVER:
        skips.append(("sqlite_only", pytest.mark.skip(
            reason="about SQLite files; this run uses PostgreSQL (QUALCODE_TEST_PG)")))
    if not REFI_SHARED.is_dir():
        skips.append(("refi_shared", pytest.mark.skip(reason=REFI_SHARED_MISSING)))
    for item in items:
        for marker, skip in skips:
            if item.get_closest_marker(marker):
                item.add_marker(skip)


def pg_database_url(server: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``server`` (same user, host, port)."""
    from sqlalchemy.engine import make_url

    return make_url(server).set(database=name).render_as_string(hide_password=False)


def pg_create_database(server: str, prefix: str = "qualcode_test") -> str:
    """Create an empty database with a random name on the server; returns its URL."""
    from sqlalchemy import create_engine

    name = f"{prefix}_{secrets.token_hex(6)}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    finally:
        engine.dispose()
    return pg_database_url(server, name)


def pg_drop_database(server: str, url: str) -> None:
    """Drop the database of ``url``, closing the connections qualcode still holds to it."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from qualcode.db import get_engine

    get_engine.cache_clear()  # pooled connections of cached engines go with their engines
    name = make_url(url).database
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def _pg_empty(url: str) -> None:
    """Empty every qualcode table (ids restart at 1), or drop the schema if a test changed it."""
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    from qualcode import models  # noqa: F401  (registers the tables)
    from qualcode.db import SCHEMA_REVISION

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            # A test that left a transaction open would make TRUNCATE wait: end such sessions.
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                "current_database() AND pid <> pg_backend_pid() AND state <> 'idle'")
            tables = set(conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").scalars())
            wanted = {t.name for t in SQLModel.metadata.sorted_tables}
            revision = None
            if "alembic_version" in tables:
                revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            if tables == wanted | {"alembic_version"} and revision == SCHEMA_REVISION:
                names = ", ".join(f'"{t}"' for t in sorted(wanted))
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            elif tables:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_test_database() -> Iterator[str | None]:
    """The session's PostgreSQL database URL (None when the suite runs on SQLite)."""
    if not PG_SERVER:
        yield None
        return
    url = pg_create_database(PG_SERVER)
    try:
        yield url
    finally:
        pg_drop_database(PG_SERVER, url)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUALCODE_DB", raising=False)
    monkeypatch.delenv("QUALCODE_DEBUG", raising=False)
    monkeypatch.setenv("QUALCODE_CODER", "testeur")


@pytest.fixture
def db_path(tmp_path: Path, pg_test_database: str | None) -> Path | str:
    """The test's corpus: a file path on SQLite; on PostgreSQL, the emptied database's URL."""
    if pg_test_database:
        _pg_empty(pg_test_database)
        return pg_test_database
    return tmp_path / "corpus.db"


@pytest.fixture
def db(db_path: Path | str) -> Database:
    return open_db(str(db_path))


class Cli:
    """Runs `qualcode --db <test db> ARGS` in-process and returns the result."""

    def __init__(self, db_path: Path | str) -> None:
        self.db_path = db_path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        return self.runner.invoke(app, ["--db", str(self.db_path), *map(str, args)],
                                  input=input, env=env)

    def ok(self, *args: str, input: str | None = None):
        result = self(*args, input=input)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result

    def json(self, *args: str):
        import json

        return json.loads(self.ok(*args, "--json").stdout)


@pytest.fixture
def cli(db_path: Path | str) -> Cli:
    return Cli(db_path)


@pytest.fixture
def make_doc(db: Database) -> Callable[..., int]:
    """Add a document from `(speaker_or_None, text)` turns joined by blank lines; returns its id.

    `E` and `Enquêtrice` are interviewer turns; a turn's segment excludes its `Speaker : ` label.
    """

    def _make(name: str, turns: list[tuple[str | None, str]], kind: str = "interview",
              agents: tuple[str, ...] = ()) -> int:
        parts, segments, pos = [], [], 0
        for speaker, body in turns:
            if parts:
                pos += 2
            label = f"{speaker} : " if speaker else ""
            chunk = label + body
            # Like the ingest readers: a turn's segment is its speech, without the label.
            segments.append(SegmentIn(pos + len(label), pos + len(chunk), speaker,
                                      speaker in ("E", "Enquêtrice")))
            parts.append(chunk)
            pos += len(chunk)
        with db.session(write=True) as s:
            doc = add_document(s, name=name, text="\n\n".join(parts), segments=segments,
                               kind=kind, agents=agents)
            return doc.id

    return _make
