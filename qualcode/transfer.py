"""Copy a whole corpus between databases (SQLite <-> PostgreSQL), verified by content hashes.

The target must be empty. Its schema is made by the migrations and every table is copied in
foreign-key order, primary keys kept, in one transaction on the target that holds the writers'
lock; the source is read from one snapshot. Before committing, each table is read back from the
target and compared with the source by row count and by a sha256 over its rows ordered by
primary key, with values normalised so that both back ends give the same digest (datetimes as
UTC ISO strings, JSON canonical, bytes as hex). A mismatch rolls everything back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from . import models  # noqa: F401  (registers the tables on the metadata)
from .db import (
    Database,
    display_url,
    is_postgresql,
    migrate,
    open_db,
    resolve_url,
    sqlite_path,
)
from .errors import Conflict, DatabaseError, InvalidInput

BATCH_SIZE = 500


@dataclass(frozen=True)
class TableCopy:
    """One table of a verified copy: its row count and content digest (same on both sides)."""

    table: str
    rows: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "rows": self.rows, "sha256": self.sha256}


def corpus_tables() -> list[Table]:
    """Every qualcode table, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


# -- content digest -------------------------------------------------------------------------

def _normal(value: Any) -> Any:
    """A back-end independent form of a column value, for hashing."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # a naive value is stored UTC
            value = value.replace(tzinfo=UTC)
        return {"$dt": value.astimezone(UTC).isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": bytes(value).hex()}
    return value


def _row_digest(values: Iterable[Any]) -> bytes:
    canonical = json.dumps([_normal(v) for v in values], sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(canonical.encode("utf-8")).digest()


class _TableDigest:
    """Row count and sha256 over the rows ordered by primary key (ordered here, not by SQL,
    so that the collation of either server cannot change the order)."""

    def __init__(self, table: Table) -> None:
        self.pk = [c.name for c in table.primary_key.columns]
        self.names = [c.name for c in table.columns]
        self.rows: list[tuple[tuple[Any, ...], bytes]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append((tuple(row[k] for k in self.pk),
                          _row_digest(row[n] for n in self.names)))

    def hexdigest(self) -> str:
        digest = hashlib.sha256()
        for _key, row_hash in sorted(self.rows, key=lambda item: item[0]):
            digest.update(row_hash)
        return digest.hexdigest()


def table_digest(conn: Connection, table: Table) -> TableCopy:
    """Row count and content digest of one table as ``conn`` sees it."""
    digest = _TableDigest(table)
    for row in conn.execute(select(table)).mappings():
        digest.add(dict(row))
    return TableCopy(table.name, len(digest.rows), digest.hexdigest())


def corpus_digest(db: str) -> list[TableCopy]:
    """Counts and digests of every table of the corpus at ``db`` (path or URL)."""
    database = open_db(db, create=False)
    with _Snapshot(database) as conn:
        return [table_digest(conn, t) for t in corpus_tables()]


# -- copy -----------------------------------------------------------------------------------

class _Snapshot:
    """A read-only connection that sees one consistent state of the whole corpus."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def __enter__(self) -> Connection:
        conn = self.database.engine.connect()
        if is_postgresql(self.database.url):
            # One snapshot for all tables, even while coders keep writing.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        self.conn = conn
        conn.begin()
        return conn

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback()
        self.conn.close()


def _ordered_rows(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in batches, ordered so that a row never precedes its parent row."""
    pk = list(table.primary_key.columns)
    self_refs = [fk for fk in table.foreign_keys if fk.column.table is table]
    query = select(table).order_by(*pk)
    if not self_refs:
        result = conn.execution_options(yield_per=BATCH_SIZE).execute(query).mappings()
        for part in result.partitions(BATCH_SIZE):
            yield [dict(r) for r in part]
        return
    # A tree (codes and their parents): parents first, whatever their ids.
    rows = [dict(r) for r in conn.execute(query).mappings()]
    key = pk[0].name
    refs = [fk.parent.name for fk in self_refs]
    placed: set[Any] = set()
    ordered: list[dict[str, Any]] = []
    pending = rows
    while pending:
        ready = [r for r in pending
                 if all(r[c] is None or r[c] in placed or r[c] == r[key] for c in refs)]
        if not ready:  # a cycle cannot be inserted row by row; let the database refuse it
            ready = pending
        placed.update(r[key] for r in ready)
        ordered.extend(ready)
        ready_ids = {id(r) for r in ready}
        pending = [r for r in pending if id(r) not in ready_ids]
    for i in range(0, len(ordered), BATCH_SIZE):
        yield ordered[i:i + BATCH_SIZE]


def _row_counts(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    by_name = {t.name: t for t in corpus_tables()}
    return {n: conn.execute(select(func.count()).select_from(by_name[n])).scalar_one()
            for n in names}


def _prepare_target(conn: Connection, shown: str) -> None:
    """Refuse a target that holds anything; make the schema by the migrations."""
    present = set(inspect(conn).get_table_names())
    ours = {t.name for t in corpus_tables()}
    foreign = sorted(present - ours - {"alembic_version"})
    if foreign:
        raise Conflict(
            f"the target {shown} holds other tables ({', '.join(foreign[:5])}), "
            "not an empty corpus",
            "copy into a new, empty database",
        )
    counts = _row_counts(conn, sorted(present & ours))
    filled = {n: c for n, c in counts.items() if c}
    if filled:
        listing = ", ".join(f"{n} {c}" for n, c in sorted(filled.items()))
        raise Conflict(
            f"the target {shown} is not empty ({listing}); nothing was copied",
            "copy into a new, empty database (create one, or delete the target file first)",
        )
    migrate(conn)


def _reset_sequences(conn: Connection) -> None:
    """After explicit ids, the next generated id of each table must follow the largest one."""
    for table in corpus_tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement or pk[0].type.python_type is not int:
            continue
        name, col = table.name, pk[0].name
        conn.execute(
            text(f'SELECT setval(pg_get_serial_sequence(:t, :c), '
                 f'COALESCE((SELECT MAX("{col}") FROM "{name}"), 0) + 1, false)'),
            {"t": f'"{name}"', "c": col},
        )


def _check_target_path(url: str) -> bool:
    """Clear errors for an unusable target file; True when the copy creates the file."""
    path = sqlite_path(url)
    if path is None:
        return False
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder", "give the path of the new corpus file")
    if not path.parent.exists():
        raise InvalidInput(f"folder {path.parent} does not exist", "create it first")
    return not path.exists()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def copy_corpus(source: str, target: str, /) -> list[TableCopy]:
    """Copy the corpus at ``source`` into the empty database ``target`` (paths or URLs).

    Returns one :class:`TableCopy` per table, verified identical on both sides. Raises
    :class:`Conflict` when the target is not empty (it is then left unchanged) and
    :class:`DatabaseError` when the copy cannot be made or verified (nothing is kept).
    """
    src_url, dst_url = resolve_url(source), resolve_url(target)
    shown = display_url(dst_url)
    if src_url == dst_url:
        raise InvalidInput("the target is the corpus itself", "choose another --to database")
    src = open_db(source, create=False)
    created = _check_target_path(dst_url)
    dst = Database(dst_url)
    try:
        with _Snapshot(src) as src_conn, dst._write_engine.connect() as conn, conn.begin():
            _prepare_target(conn, shown)
            report = _copy_tables(src_conn, conn, shown)
            if is_postgresql(dst_url):
                _reset_sequences(conn)
    except SQLAlchemyError as exc:
        _discard(dst, created)
        raise DatabaseError(f"copying to {shown} failed: {_first_line(exc)}",
                            "nothing was copied; check the target URL and try again") from None
    except BaseException:
        _discard(dst, created)
        raise
    return report


def _copy_tables(src_conn: Connection, conn: Connection, shown: str) -> list[TableCopy]:
    report: list[TableCopy] = []
    for table in corpus_tables():
        digest = _TableDigest(table)
        try:
            for batch in _ordered_rows(src_conn, table):
                for row in batch:
                    digest.add(row)
                conn.execute(insert(table), batch)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"copying table {table.name} to {shown} failed: "
                                f"{_first_line(exc)}", "nothing was copied") from None
        source = TableCopy(table.name, len(digest.rows), digest.hexdigest())
        copied = table_digest(conn, table)
        if copied != source:
            raise DatabaseError(
                f"verification failed for table {table.name}: {source.rows} rows "
                f"({source.sha256[:12]}) in the source, {copied.rows} ({copied.sha256[:12]}) "
                "in the target; nothing was copied",
                "report this as a bug, with both database kinds",
            )
        report.append(source)
    return report


def _discard(database: Database, created: bool) -> None:
    """Remove a target file this copy created (a failed copy leaves no empty corpus behind)."""
    database.engine.dispose()
    path = sqlite_path(database.url)
    if created and path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
