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

import atexit
import contextlib
import errno
import os
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DatabaseError

# SQLAlchemy is imported inside the functions that use it: the light read commands
# (qualcode.reads) open a SQLite corpus without it, and it costs about 0.15 s to import.
if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

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
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

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
    from sqlalchemy import event

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
    from sqlalchemy import event

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # Read committed (the default) matters: each statement after the lock sees what earlier
        # writers committed. A writer waits at most BUSY_TIMEOUT_S, like on SQLite.
        if conn.get_execution_options().get("qualcode_write", False):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{BUSY_TIMEOUT_S}s'")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK_KEY})")


# SQLite engines opened by this process, closed at exit (see _close_sqlite_engines). Weak:
# an engine evicted from get_engine's cache still goes away with its connections.
_SQLITE_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _close_sqlite_engines() -> None:
    """Close every pooled SQLite connection when the process ends.

    SQLite folds the WAL back into the database file and deletes it when the last connection
    to a file closes. Connections left open until the interpreter tears down are not always
    closed that way, and a corpus could then live mostly in ``corpus.db-wal``: copying
    ``corpus.db`` alone would give an old or empty corpus. Closing costs a checkpoint of what
    the command wrote (a few milliseconds; the demo's 2.3 MB in about 20 ms).
    """
    for engine in list(_SQLITE_ENGINES):
        with contextlib.suppress(Exception):  # never turn a finished command into a failure
            engine.dispose()


atexit.register(_close_sqlite_engines)


def checkpoint(database: Database) -> None:
    """Fold a SQLite corpus's WAL into its file now (no-op elsewhere or when readers hold it).

    PASSIVE never waits for other processes: whatever they still read stays in the WAL and
    their own last connection folds it in.
    """
    if sqlite_path(database.url) is None:
        return
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    from sqlmodel import create_engine

    if is_sqlite(url):
        # hide_parameters: error messages must never print participants' words.
        engine = create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            hide_parameters=True,
        )
        _setup_sqlite(engine)
        _SQLITE_ENGINES.add(engine)
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


def _is_lock_timeout(exc: BaseException) -> bool:
    message = str(exc).lower()
    return "locked" in message or "lock timeout" in message


def _where(url: str | None) -> str:
    if url is None:
        return "the corpus database"
    path = sqlite_path(url)
    return str(path) if path is not None else display_url(url)


def read_only_error(url: str | None, what: str = "the file (or its folder)", *,
                    where: str | None = None) -> DatabaseError:
    return DatabaseError(
        f"cannot write to {where or _where(url)}: {what} is read-only",
        "check its permissions, or copy the corpus somewhere writable",
    )


def _disk_is_full(url: str | None) -> bool:
    """Whether the disk under a SQLite corpus has (almost) no space left."""
    import shutil

    path = sqlite_path(url) if url else None
    if path is None:
        return False
    try:
        return shutil.disk_usage(path.parent).free < 1024**2
    except OSError:
        return False


def _disk_full(where: str) -> DatabaseError:
    return DatabaseError(f"the disk holding {where} is full",
                         "free some space and run the command again; nothing was saved")


# What drivers say when the server went away mid-command (PostgreSQL restarted or crashed).
_CONNECTION_LOST = ("terminating connection", "server closed the connection",
                    "connection is closed", "connection was closed", "connection is lost")


def friendly_error(exc: BaseException, url: str | None = None) -> DatabaseError | None:
    """The one-line error a user needs for a database or file-system failure, or None.

    Covers SQLAlchemy's and the sqlite3 driver's OperationalError (their messages are the
    SQLite ones) and the OS errors of writing files next to the corpus (backups, WAL).
    Nothing was saved in each case: the transaction was rolled back.
    """
    from sqlalchemy.exc import OperationalError

    orig = getattr(exc, "orig", None) or exc
    message = str(orig).lower()
    where = _where(url)
    if isinstance(exc, OSError):
        name = exc.filename or where
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return read_only_error(url, "it (or its folder)", where=str(name))
        if exc.errno == errno.ENOSPC:
            return _disk_full(str(name))
        return None
    if not (isinstance(exc, OperationalError) or type(exc).__name__ == "OperationalError"):
        return None
    if getattr(exc, "connection_invalidated", False) or any(
            sign in message for sign in _CONNECTION_LOST):
        return DatabaseError(
            f"the connection to {where} was lost during the command",
            "check that the database server is running, then run the command again; nothing "
            "was saved")
    if "readonly database" in message or "read-only" in message:
        return read_only_error(url)
    if _is_lock_timeout(orig):
        return DatabaseError(
            "the corpus database stayed locked by another qualcode process",
            "wait for the other command to finish, then run this one again",
        )
    if "disk i/o error" in message and _disk_is_full(url):
        return _disk_full(where)  # SQLite says I/O error when it cannot grow its -shm file
    if "disk i/o error" in message:
        return DatabaseError(
            f"the disk reported an input/output error on {where}",
            "check the disk, or move the corpus off a network or synchronised folder, then run "
            "the command again; nothing was saved",
        )
    if "database or disk is full" in message:
        return _disk_full(where)
    if "unable to open database file" in message:
        return DatabaseError(
            f"cannot open {where} (or create its journal file next to it)",
            "check that the file and its folder exist and are writable",
        )
    return None


def _check_writable(url: str) -> None:
    """Refuse a write on a read-only SQLite file before any work is done.

    `suggest` would otherwise run spaCy over the whole corpus and only then fail on its first
    INSERT. ``os.access`` also sees ``chattr +i`` (immutable files refuse writes even to root).
    """
    path = sqlite_path(url)
    if path is None or not path.exists():
        return
    if not os.access(path, os.W_OK):
        raise read_only_error(url, "the file")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise read_only_error(url, "its folder (SQLite writes a journal file next to it)")


class Database:
    """An opened corpus: the engine plus read and write sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = get_engine(url)
        self._write_engine = self.engine.execution_options(qualcode_write=True)

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        from sqlalchemy.exc import DataError, OperationalError
        from sqlmodel import Session

        if write:
            _check_writable(self.url)
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
                friendly = friendly_error(exc, self.url)
                if friendly is not None:
                    raise friendly from None
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
        from sqlalchemy import inspect, text

        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _known_revisions() -> set[str]:
    versions = Path(__file__).parent / "migrations" / "versions"
    return {p.name.split("_", 1)[0] for p in versions.glob("[0-9]*_*.py")}


def _is_newer(revision: str) -> bool:
    """Revisions are numbered 0001, 0002...: only a higher number comes from a newer qualcode."""
    known = [int(r) for r in _known_revisions() if r.isdigit()]
    return revision.isdigit() and bool(known) and int(revision) > max(known)


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
    from sqlalchemy.engine import make_url

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
    path = sqlite_path(url)
    if path is not None and _disk_is_full(url):
        return _disk_full(str(path))
    if path is not None and path.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        return DatabaseError(
            f"cannot open {path}: its folder is read-only, and SQLite must create its journal "
            "files (-wal, -shm) next to the corpus even to read it",
            "copy the corpus into a writable folder, or make this folder writable")
    return DatabaseError(f"cannot open the corpus database {display_url(url)}: {reason}",
                         "check the --db path or URL")


def _sqlite_schema(path: Path) -> tuple[set[str], str | None] | None:
    """Tables and schema revision of an existing SQLite file, read before qualcode's engine
    touches it: the engine's connections switch a file to WAL, a write that a file which is
    not a corpus must never get. A plain connection only reads here (a shared lock; with a
    WAL file, the -wal and -shm it opens go when it closes). Not a read-only one: closing
    those while other processes write to a WAL corpus corrupted it in the concurrency tests.
    None when the file cannot be probed this way (the engine then reports why)."""
    import sqlite3

    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return tables, revision
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _server_schema(database: Database) -> tuple[set[str], str | None]:
    from sqlalchemy import inspect, text

    with database.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names()) | set(inspect(conn).get_view_names())
        revision = None
        if "alembic_version" in tables:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return tables, revision


def _refuse_unless_corpus(url: str, tables: set[str], revision: str | None,
                          create: bool) -> None:
    """Only a qualcode corpus is opened, and only a command that creates corpora may turn an
    empty database into one: a foreign file is never written to."""
    where = _where(url)
    if revision is not None:
        return
    if "alembic_version" in tables:
        raise DatabaseError(
            f"{where} has an empty schema version table (alembic_version): it was damaged or "
            "changed by another tool",
            "restore a backup, e.g. from the .backups folder next to it")
    if tables:
        shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
        raise DatabaseError(
            f"{where} is not a qualcode corpus (it holds other tables: {shown})",
            "pass the path of a qualcode corpus with --db, or a new file name to create one")
    if not create:
        raise DatabaseError(
            f"{where} is empty, not a qualcode corpus",
            "create the corpus with `qualcode init` or `qualcode ingest`, or check the --db "
            "path")


# The step run before an existing corpus is upgraded (a backup). It is injected because
# backing up needs maintenance.py, which builds on this module.
BeforeUpgrade = Callable[["Database", str], object]


def open_db(db: str | None = None, *, create: bool = True,
            before_upgrade: BeforeUpgrade | None = None) -> Database:
    """Open the corpus at ``db`` (path or URL), creating or upgrading its schema as needed.

    With ``create=False`` a missing SQLite file is an error instead of a new empty corpus, so
    a mistyped ``--db`` on a read-only command does not silently report an empty corpus.
    ``before_upgrade(database, old_revision)`` runs before the schema of an existing corpus
    is upgraded: the CLI and :func:`qualcode.open_db` pass a backup there.
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
                                    "create one with `qualcode init` or `qualcode ingest`, "
                                    "or check the --db path")
            if not path.parent.exists():
                raise DatabaseError(f"folder {path.parent} does not exist",
                                    "create it or pass another --db path")
            if not os.access(path.parent, os.W_OK | os.X_OK):
                raise read_only_error(url, "its folder")
        else:
            state = _sqlite_schema(path)
            if state is not None:
                _refuse_unless_corpus(url, *state, create=create)
    database = Database(url)
    try:
        if path is None:
            _refuse_unless_corpus(url, *_server_schema(database), create=create)
        revision = database.current_revision()
    except DatabaseError:
        raise
    except Exception as exc:  # a non-SQLite file, a refused connection, a wrong password...
        raise _connect_error(url, exc) from None
    if revision == SCHEMA_REVISION:
        return database
    if revision is not None and revision not in _known_revisions():
        if _is_newer(revision):
            raise DatabaseError(
                f"this corpus was written by a newer qualcode (schema {revision})",
                "upgrade qualcode with `pip install -U qualcode`",
            )
        raise DatabaseError(
            f"this corpus has an unknown schema revision {revision!r}; this qualcode expects "
            f"{' or '.join(sorted(_known_revisions()))}",
            "the file was changed by another tool or is damaged: restore a backup, e.g. from "
            "the .backups folder next to it",
        )
    if revision is not None and before_upgrade is not None:
        # An existing corpus from an older qualcode: the caller keeps a copy first.
        before_upgrade(database, revision)
    upgrade(database)
    return database
