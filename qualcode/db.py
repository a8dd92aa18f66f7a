"""Engine from a URL, sessions, and schema migrations.

Nothing outside this module knows whether the corpus is a SQLite file or a PostgreSQL server.
SQLite runs with foreign keys on, WAL, a busy timeout, and write transactions that take the
write lock at BEGIN (``BEGIN IMMEDIATE``), so two processes never fail half-way through a
transaction with "database is locked": the second one waits for the first.

PostgreSQL gives write sessions the same guarantee with a transaction-scoped advisory lock taken
as the first statement of every write transaction: writers to one corpus run one after the other
(each sees everything the previous one committed, so "already coded" checks are deterministic),
while reads stay concurrent (MVCC). The lock is per database, so corpora on one server do not
wait for each other.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DataError, NoSuchModuleError, OperationalError
from sqlmodel import Session, create_engine

from .errors import DatabaseError

DEFAULT_DB = "qualcode.db"
# The Alembic revision that the models of this version describe (a test checks it is the head).
SCHEMA_REVISION = "0001"
BUSY_TIMEOUT_S = 60
# PostgreSQL: the advisory lock key that serialises qualcode writers (any fixed 64-bit number;
# this one spells "qualcode" in ASCII).
PG_WRITE_LOCK_KEY = 0x7175616C636F6465
PG_CONNECT_TIMEOUT_S = 10


def resolve_url(db: str | None = None) -> str:
    """`--db` value, else `QUALCODE_DB`, else `./qualcode.db`; a path becomes a SQLite URL."""
    value = db or os.environ.get("QUALCODE_DB") or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def is_postgresql(url: str) -> bool:
    return url.startswith(("postgresql", "postgres"))


def display_url(url: str) -> str:
    """The URL as it may be shown to a user or written to a log: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


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


def _setup_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # Read committed (the default) matters: each statement after the lock sees what earlier
        # writers committed. A writer waits at most BUSY_TIMEOUT_S, like on SQLite.
        if conn.get_execution_options().get("qualcode_write", False):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{BUSY_TIMEOUT_S}s'")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK_KEY})")


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
    try:
        if is_postgresql(url):
            engine = create_engine(url, pool_pre_ping=True, hide_parameters=True,
                                   connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})
            _setup_postgresql(engine)
            return engine
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        hint = ("install the PostgreSQL driver with `pip install 'qualcode[postgres]'` and use "
                "a postgresql+psycopg:// URL") if is_postgresql(url) else "check the --db URL"
        raise DatabaseError(f"no database driver for {display_url(url)} ({exc})", hint) from None
    except ArgumentError as exc:
        raise DatabaseError(f"cannot read the database URL {display_url(url)}: {exc}",
                            "use a path or a URL like postgresql+psycopg://user@host/db") from None


def _is_lock_timeout(exc: OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "lock timeout" in message


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
                if _is_lock_timeout(exc):
                    raise DatabaseError(
                        "the corpus database stayed locked by another qualcode process",
                        "wait for the other command to finish, then run this one again",
                    ) from None
                raise
            except DataError as exc:
                session.rollback()
                if "NUL (0x00)" in str(exc):  # PostgreSQL text cannot hold U+0000; SQLite can
                    raise DatabaseError(
                        "PostgreSQL cannot store the NUL character (U+0000) of this text",
                        "remove NUL characters from the input; nothing was saved",
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


def migrate(conn: Connection, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` on ``conn``, inside its transaction."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def upgrade(database: Database, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (imports Alembic only when needed).

    The migration holds the writers' lock, so two processes opening a new corpus at once do not
    both create the tables: the second one finds the schema done and does nothing.
    """
    with database._write_engine.begin() as conn:
        migrate(conn, revision)


def _connect_error(url: str, exc: BaseException) -> DatabaseError:
    """One line naming the server (never the password) and why it cannot be reached."""
    orig = getattr(exc, "orig", None) or exc
    reason = " ".join(str(orig).split()) or type(orig).__name__
    if is_postgresql(url):
        parsed = make_url(url)
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
        name = parsed.database or "(default)"
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else reason
        return DatabaseError(
            f"cannot open the corpus database {name} on the PostgreSQL server {where}: {first}",
            "check that the server is running and the host, port, user and database name "
            "in --db / QUALCODE_DB",
        )
    return DatabaseError(f"cannot open the corpus database {display_url(url)}: {reason}",
                         "check the --db path or URL")


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
    except Exception as exc:  # a non-SQLite file, a refused connection, a wrong password...
        raise _connect_error(url, exc) from None
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
