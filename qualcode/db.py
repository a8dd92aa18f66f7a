"""Engine from a URL, sessions, and schema migrations.

Nothing outside this module knows whether the corpus is a SQLite file or a PostgreSQL server.
SQLite runs with foreign keys on, WAL, a busy timeout, and write transactions that take the
write lock at BEGIN (``BEGIN IMMEDIATE``), so two processes never fail half-way through a
transaction with "database is locked": the second one waits for the first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from .errors import DatabaseError

DEFAULT_DB = "qualcode.db"
# The Alembic revision that the models of this version describe (a test checks it is the head).
SCHEMA_REVISION = "0001"
BUSY_TIMEOUT_S = 60


def resolve_url(db: str | None = None) -> str:
    """`--db` value, else `QUALCODE_DB`, else `./qualcode.db`; a path becomes a SQLite URL."""
    value = db or os.environ.get("QUALCODE_DB") or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for in-memory databases and other back ends)."""
    if not is_sqlite(url):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path or path == ":memory:":
        return None
    return Path(path)


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        write = conn.get_execution_options().get("qualcode_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    if is_sqlite(url):
        # hide_parameters: error messages must never print participants' words.
        engine = create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            hide_parameters=True,
        )
        _setup_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


class Database:
    """An opened corpus: the engine plus read and write sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = get_engine(url)
        self._write_engine = self.engine.execution_options(qualcode_write=True)

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        engine = self._write_engine if write else self.engine
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                if write:
                    session.commit()
                else:
                    session.rollback()
            except OperationalError as exc:
                session.rollback()
                if "locked" in str(exc).lower():
                    raise DatabaseError(
                        "the corpus database stayed locked by another qualcode process",
                        "wait for the other command to finish, then run this one again",
                    ) from None
                raise
            except BaseException:
                session.rollback()
                raise

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _known_revisions() -> set[str]:
    versions = Path(__file__).parent / "migrations" / "versions"
    return {p.name.split("_", 1)[0] for p in versions.glob("[0-9]*_*.py")}


def upgrade(database: Database, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (imports Alembic only when needed)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def open_db(db: str | None = None, *, create: bool = True) -> Database:
    """Open the corpus at ``db`` (path or URL), creating or upgrading its schema as needed.

    With ``create=False`` a missing SQLite file is an error instead of a new empty corpus, so
    a mistyped ``--db`` on a read-only command does not silently report an empty corpus.
    """
    url = resolve_url(db)
    path = sqlite_path(url)
    if path is not None:
        if path.exists() and path.is_dir():
            raise DatabaseError(f"{path} is a folder, not a corpus database",
                                "pass the path of a .db file with --db")
        if not path.exists():
            if not create:
                raise DatabaseError(f"no corpus database at {path}",
                                    "run `qualcode init` or pass --db PATH")
            if not path.parent.exists():
                raise DatabaseError(f"folder {path.parent} does not exist",
                                    "create it or pass another --db path")
    database = Database(url)
    try:
        revision = database.current_revision()
    except OperationalError as exc:
        raise DatabaseError(f"cannot open the corpus database {url}: {exc.orig}",
                            "check the --db path or URL") from None
    except Exception as exc:  # a non-SQLite file, a refused connection...
        raise DatabaseError(f"cannot open the corpus database {url}: {exc}",
                            "check the --db path or URL") from None
    if revision == SCHEMA_REVISION:
        return database
    if revision is not None and revision not in _known_revisions():
        raise DatabaseError(
            f"this corpus was written by a newer qualcode (schema {revision})",
            "upgrade qualcode with `pip install -U qualcode`",
        )
    if revision is not None:
        # An existing corpus from an older qualcode: keep a copy before changing its schema.
        from .maintenance import auto_backup

        auto_backup(database, f"before-upgrade-from-{revision}")
    upgrade(database)
    return database
