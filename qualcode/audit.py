"""Audit trail and exact undo of changes to codings, codes, memos and suggestions.

Wrap a change in ``with audited(session, action=..., summary=..., coder=...)``: every row of an
audited table that the ORM inserts, deletes or updates inside the block is recorded with its
values, so ``undo`` can put the database back exactly, whatever command made the change.
Changes must go through the ORM (``session.add`` / ``session.delete`` / attribute updates),
not bulk SQL, to be recorded; the one exception is a bulk insert (``code import``), which adds
to the yielded list an :func:`inserted_ids_op`: the range of ids it inserted, not the rows.
Undo deletes that range (after keeping its rows, compressed, in the entry for redo).
"""

from __future__ import annotations

import base64
import json
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from . import models
from .errors import Conflict, NotFound, QualcodeError

AUDITED = (
    models.Code,
    models.CodeSet,
    models.CodeSetMember,
    models.Coding,
    models.Memo,
    models.Suggestion,
    models.Coder,
    models.Meta,  # the codebook's name, version and description
)
_TABLES = {cls.__tablename__: cls for cls in AUDITED}
# Changes recorded for the history that undo must not revert, with why and how to go back:
# replacing a document's text re-anchors its codings (old offsets would not fit the new
# text); removing a document removes its text.
IRREVERSIBLE = {
    "ingest-replace": ("the document's old text is gone",
                       "to go back, ingest the old version of the file again with --replace"),
    "docs-remove": ("the document's text is gone",
                    "to go back, copy the backup made before the removal (in the folder "
                    "<corpus>.backups next to the corpus file) over the corpus file"),
}


# A bulk insert recorded by the range of ids it took (see ``inserted_ids_op``).
INSERTED_IDS = "insert_ids"
_BULK_CHUNK = 5000


def inserted_ids_op(table: str, lo: int, hi: int, count: int) -> dict[str, Any]:
    """The audit operation of a bulk insert: ``count`` rows of ``table`` whose ids are all in
    ``lo..hi`` and that are the only rows there (writers are serialised, so a command's own
    inserts are the rows above the largest id before it)."""
    return {"op": INSERTED_IDS, "table": table, "lo": lo, "hi": hi, "count": count}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
    return value


def _row(obj: SQLModel) -> dict[str, Any]:
    table = obj.__table__
    return {c.name: _encode(getattr(obj, c.key, None)) for c in table.columns}


def _pk(obj: SQLModel) -> dict[str, Any]:
    return {c.name: getattr(obj, c.key) for c in obj.__table__.primary_key.columns}


def current_command() -> str:
    """The command line, as the audit shows it (program name shortened)."""
    args = sys.argv[1:]
    return " ".join(["qualcode", *args])[:500]


@contextmanager
def audited(
    session: Session, *, action: str, summary: str, coder: str = "", command: str | None = None,
    describe: Callable[[], tuple[str, str]] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Record every audited row change made in the block as one undoable audit entry.

    ``describe``: called when the block ends, returns ``(summary, coder)`` (for a change that
    learns who and what while it runs, such as a streamed import)."""
    ops: list[dict[str, Any]] = []

    def after_flush(sess: Session, _ctx: Any) -> None:
        for obj in sess.new:
            if isinstance(obj, AUDITED):
                ops.append({"op": "insert", "table": obj.__tablename__, "row": _row(obj)})
        for obj in sess.deleted:
            if isinstance(obj, AUDITED):
                ops.append({"op": "delete", "table": obj.__tablename__, "row": _row(obj)})
        for obj in sess.dirty:
            if not isinstance(obj, AUDITED) or not sess.is_modified(obj):
                continue
            state = inspect(obj)
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            for attr in state.mapper.column_attrs:
                hist = state.attrs[attr.key].history
                if hist.has_changes() and hist.deleted:
                    col = attr.columns[0].name
                    before[col] = _encode(hist.deleted[0])
                    after[col] = _encode(getattr(obj, attr.key))
            if before:
                ops.append({"op": "update", "table": obj.__tablename__, "pk": _pk(obj),
                            "before": before, "after": after})

    event.listen(session, "after_flush", after_flush)
    try:
        yield ops
        session.flush()
    finally:
        event.remove(session, "after_flush", after_flush)
    if ops:
        from .corpus.coders import default_coder

        if describe is not None:
            summary, coder = describe()
        # "by": who ran the command, which may differ from ``coder`` (an import of other
        # coders' codings): both may undo it without --any.
        session.add(models.AuditEntry(
            coder=coder, command=command if command is not None else current_command(),
            action=action, summary=summary, payload={"ops": ops, "by": default_coder()},
        ))
        session.flush()


def history(session: Session, limit: int = 50) -> list[models.AuditEntry]:
    """The last entries, newest first, without loading their undo payloads (a bulk import's
    can hold a million rows); `qualcode history` reads them through qualcode.reads."""
    from sqlalchemy.orm import defer

    stmt = (select(models.AuditEntry).options(defer(models.AuditEntry.payload))
            .order_by(models.AuditEntry.id.desc()).limit(limit))
    return list(session.scalars(stmt))


# Children before parents when rows are removed, parents first when they come back.
_DELETE_ORDER = ("suggestion", "coding", "code_set_member", "memo", "code_set", "code", "coder",
                 "meta")


def _where(table: Any, pk: dict[str, Any]) -> list[Any]:
    return [table.c[k] == v for k, v in pk.items()]


def _grouped(ops: list[dict[str, Any]], verb: str) -> tuple[
        dict[tuple, dict[str, Any]], dict[tuple, dict[str, Any]], list[dict[str, Any]],
        list[dict[str, Any]]]:
    """An entry's operations by kind: rows inserted and deleted (by table and primary key; a
    row created and removed by the same change is in neither), updates, and id ranges."""
    inserted: dict[tuple, dict[str, Any]] = {}
    deleted: dict[tuple, dict[str, Any]] = {}
    updates: list[dict[str, Any]] = []
    ranges: list[dict[str, Any]] = []
    for op in ops:
        if op["table"] not in _TABLES:
            raise QualcodeError(f"cannot {verb} a change to table {op['table']}")
        if op["op"] == INSERTED_IDS:
            ranges.append(op)
        elif op["op"] == "update":
            updates.append(op)
        else:
            key = _op_key(op)
            if op["op"] == "insert":
                inserted[key] = op["row"]
            elif key in inserted:
                del inserted[key]  # created and removed by the same change
            else:
                deleted[key] = op["row"]
    return inserted, deleted, updates, ranges


def _revert_entry(session: Session, ops: list[dict[str, Any]]) -> None:
    """Put back the state before ``ops``: remove inserted rows, restore deleted ones, then
    restore updated values (newest first). A row inserted and deleted in the same entry
    leaves no trace."""
    inserted, deleted, updates, ranges = _grouped(ops, "undo")
    created_keys = set(inserted)
    for name in _DELETE_ORDER:
        table = _TABLES[name].__table__
        pk_cols = [c.name for c in table.primary_key.columns]
        rows = [r for (t, *_), r in inserted.items() if t == name]
        if name == "code":  # detach a code tree before removing it
            for row in rows:
                stmt = table.update().where(table.c.id == row["id"]).values(parent_id=None)
                session.execute(stmt)
        for op in ranges:
            if op["table"] == name:
                _delete_range(session, op)
        if name == "coder":  # a coder with later work stays (their memos, decisions...)
            rows = [r for r in rows if not _coder_in_use(session, r["id"])]
        for row in rows:
            session.execute(table.delete().where(*_where(table, {c: row[c] for c in pk_cols})))
    for name in reversed(_DELETE_ORDER):
        table = _TABLES[name].__table__
        rows = [r for (t, *_), r in deleted.items() if t == name]
        values = [{k: _decode(v) for k, v in row.items()} for row in rows]
        if name == "code":
            for v in values:
                session.execute(table.insert().values({**v, "parent_id": None}))
            for v in values:
                session.execute(table.update().where(table.c.id == v["id"])
                                .values(parent_id=v["parent_id"]))
        else:
            for v in values:
                session.execute(table.insert().values(v))
    for op in reversed(updates):
        table = _TABLES[op["table"]].__table__
        key = (op["table"], *op["pk"].values())
        if key in created_keys:
            continue
        values = {k: _decode(v) for k, v in op["before"].items()}
        session.execute(table.update().where(*_where(table, op["pk"])).values(values))


def _coder_in_use(session: Session, coder_id: int) -> bool:
    return any(session.scalar(select(column).where(column == coder_id).limit(1)) is not None
               for column in (models.Coding.coder_id, models.Memo.coder_id,
                              models.Suggestion.decided_by))


def _apply_entry(session: Session, ops: list[dict[str, Any]]) -> None:
    """Make the change of ``ops`` again (redo): insert what it inserted (parents first), set
    the values it set, then delete what it deleted (children first)."""
    inserted, deleted, updates, ranges = _grouped(ops, "redo")
    for name in reversed(_DELETE_ORDER):
        table = _TABLES[name].__table__
        values = [{k: _decode(v) for k, v in r.items()} for (t, *_), r in inserted.items()
                  if t == name]
        if name == "coder":  # kept by an undo because later work names them
            values = [v for v in values if session.get(models.Coder, v["id"]) is None]
        for v in values:
            session.execute(table.insert().values({**v, "parent_id": None} if name == "code"
                                                  else v))
        for op in ranges:
            if op["table"] == name:
                _restore_range(session, op)
        if name == "code":
            for v in values:
                session.execute(table.update().where(table.c.id == v["id"])
                                .values(parent_id=v["parent_id"]))
    for op in updates:
        table = _TABLES[op["table"]].__table__
        values = {k: _decode(v) for k, v in op["after"].items()}
        session.execute(table.update().where(*_where(table, op["pk"])).values(values))
    for name in _DELETE_ORDER:
        table = _TABLES[name].__table__
        pk_cols = [c.name for c in table.primary_key.columns]
        rows = [r for (t, *_), r in deleted.items() if t == name]
        if name == "code":
            for row in rows:
                session.execute(table.update().where(table.c.id == row["id"])
                                .values(parent_id=None))
        for row in rows:
            session.execute(table.delete().where(*_where(table, {c: row[c] for c in pk_cols})))


def _op_key(op: dict[str, Any]) -> tuple:
    """(table, primary key...) of the row an operation touches."""
    cls = _TABLES[op["table"]]
    values = op["pk"] if op["op"] == "update" else op["row"]
    return (op["table"], *(values[c.name] for c in cls.__table__.primary_key.columns))


def _rows_touched(entry: models.AuditEntry) -> set[tuple]:
    return {_op_key(op) for op in entry.payload.get("ops", [])
            if op["table"] in _TABLES and op["op"] != INSERTED_IDS}


def _ranges_touched(entry: models.AuditEntry) -> list[tuple[str, int, int]]:
    return [(op["table"], op["lo"], op["hi"]) for op in entry.payload.get("ops", [])
            if op["op"] == INSERTED_IDS]


def _touch_same_rows(keys: set[tuple], ranges: list[tuple[str, int, int]],
                     other_keys: set[tuple], other_ranges: list[tuple[str, int, int]]) -> bool:
    """Whether two changes touched a common row: a common key, a key of one in a range of
    the other, or two overlapping ranges (ids are the tables' single-column keys)."""
    if keys & other_keys:
        return True
    for mine, theirs in ((ranges, other_keys), (other_ranges, keys)):
        for table, lo, hi in mine:
            if any(len(k) == 2 and k[0] == table and isinstance(k[1], int) and lo <= k[1] <= hi
                   for k in theirs):
                return True
    return any(t1 == t2 and lo1 <= hi2 and lo2 <= hi1
               for t1, lo1, hi1 in ranges for t2, lo2, hi2 in other_ranges)


def _delete_range(session: Session, op: dict[str, Any]) -> None:
    """Undo a bulk insert: keep its rows in ``op`` (JSON lines, zlib, base64) for redo, then
    delete them; refused if the range no longer holds exactly the rows it inserted."""
    table = _TABLES[op["table"]].__table__
    in_range = table.c.id.between(op["lo"], op["hi"])
    columns = [c.name for c in table.columns]
    packer = zlib.compressobj(6)
    parts: list[bytes] = []
    seen = 0
    stmt = (select(*table.columns).where(in_range).order_by(table.c.id)
            .execution_options(yield_per=_BULK_CHUNK))
    for row in session.execute(stmt):
        seen += 1
        line = json.dumps([_encode(v) for v in row], ensure_ascii=False, separators=(",", ":"))
        parts.append(packer.compress(line.encode() + b"\n"))
    parts.append(packer.flush())
    if seen != op["count"]:
        raise Conflict(f"the {op['count']} rows this change added to {op['table']} are not all "
                       f"there any more ({seen} found)", "nothing was changed; see "
                       "`qualcode history`")
    session.execute(table.delete().where(in_range))
    op["undone_rows"] = {"columns": columns,
                         "zlib": base64.b64encode(b"".join(parts)).decode("ascii")}


def _restore_range(session: Session, op: dict[str, Any]) -> None:
    """Redo a bulk insert: put back the rows :func:`_delete_range` kept, ids included."""
    kept = op.pop("undone_rows", None)
    if kept is None:
        raise QualcodeError(f"the rows of a bulk change to {op['table']} were not kept")
    table = _TABLES[op["table"]].__table__
    columns = kept["columns"]
    unpacker = zlib.decompressobj()
    data = base64.b64decode(kept["zlib"])
    rest = b""
    batch: list[dict[str, Any]] = []
    for i in range(0, len(data), 1 << 20):
        rest += unpacker.decompress(data[i:i + (1 << 20)])
        *lines, rest = rest.split(b"\n")
        for line in lines:
            batch.append({c: _decode(v) for c, v in zip(columns, json.loads(line), strict=True)})
            if len(batch) >= _BULK_CHUNK:
                session.execute(table.insert(), batch)
                batch = []
    rest += unpacker.flush()
    for line in rest.split(b"\n"):
        if line:
            batch.append({c: _decode(v) for c, v in zip(columns, json.loads(line), strict=True)})
    if batch:
        session.execute(table.insert(), batch)


def _refuse_if_changed_since(session: Session, entry: models.AuditEntry, verb: str) -> None:
    """In a team, later changes by anyone may rest on this one (a coding removed, a code
    renamed): reverting or replaying it under them would silently undo their work."""
    touched = _rows_touched(entry)
    ranges = _ranges_touched(entry)
    later = session.scalars(select(models.AuditEntry).where(
        models.AuditEntry.id > entry.id, models.AuditEntry.undone.is_(False)
    ).order_by(models.AuditEntry.id))
    for other in later:
        if _touch_same_rows(touched, ranges, _rows_touched(other), _ranges_touched(other)):
            who = other.coder or "someone"
            raise Conflict(
                f"change {entry.id} ({entry.summary}) cannot be {verb}: change {other.id} "
                f"by {who} changed the same codings, codes or memos since",
                f"nothing was changed; undo change {other.id} first "
                f"(`qualcode undo {other.id}{' --any' if other.coder else ''}`) or leave it")


def _by(entry: models.AuditEntry, coder: str) -> bool:
    """Whether the change is ``coder``'s: theirs, one of theirs in an import of several
    coders' codings (named comma-separated), or made by a command they ran."""
    return (coder == entry.coder or coder in entry.coder.split(", ")
            or coder == entry.payload.get("by"))


def _refuse_irreversible(entry: models.AuditEntry) -> None:
    if entry.action in IRREVERSIBLE:
        why, hint = IRREVERSIBLE[entry.action]
        raise Conflict(f"change {entry.id} ({entry.summary}) cannot be undone, nor the "
                       f"changes made before it: {why}", hint)


def _get_entry(session: Session, entry_id: int, coder: str | None) -> models.AuditEntry:
    entry = session.get(models.AuditEntry, entry_id)
    if entry is None:
        raise NotFound(f"there is no change {entry_id} in the history", "see `qualcode history`")
    if coder is not None and not _by(entry, coder):
        raise Conflict(f"change {entry_id} was made by {entry.coder or 'someone else'}, not "
                       f"{coder}", "pass --any to change another coder's work")
    return entry


def undo(session: Session, count: int = 1, *, coder: str | None = None,
         entry_id: int | None = None, by: str = "") -> list[models.AuditEntry]:
    """Revert changes not yet undone, newest first; returns them.

    ``entry_id``: that change; otherwise the last ``count`` changes, only ``coder``'s when
    given (in a team, your undo must not take back a colleague's coding). A change that later
    changes by anyone touched (the same coding, code or memo) is refused: undo those first.
    ``by`` is recorded as who undid it.
    """
    if entry_id is not None:
        entry = _get_entry(session, entry_id, coder)
        if entry.undone:
            raise Conflict(f"change {entry_id} ({entry.summary}) is already undone",
                           f"`qualcode redo {entry_id}` makes it again")
        entries = [entry]
    else:
        stmt = (select(models.AuditEntry).where(models.AuditEntry.undone.is_(False))
                .order_by(models.AuditEntry.id.desc()))
        entries = []
        for candidate in session.scalars(stmt):
            if coder is None or _by(candidate, coder):
                entries.append(candidate)
                if len(entries) == count:
                    break
        if not entries:
            if coder is None:
                raise NotFound("there is nothing to undo", "see `qualcode history`")
            raise NotFound(f"{coder} has nothing to undo",
                           "see `qualcode history`; `qualcode undo --any` takes back the last "
                           "change of anyone, `qualcode undo ID` a given one")
    for entry in entries:
        _refuse_irreversible(entry)
    session.flush()
    for entry in entries:
        _refuse_if_changed_since(session, entry, "undone")
        try:
            _revert_entry(session, entry.payload.get("ops", []))
            session.flush()
        except IntegrityError:
            # e.g. a coding of a document removed since (before removals were recorded)
            raise Conflict(
                f"change {entry.id} ({entry.summary}) cannot be undone: it refers to a "
                "document, segment, code or coder that no longer exists",
                "nothing was changed; see `qualcode history`") from None
        entry.undone = True
        # A new dict: SQLAlchemy sees JSON changes only on assignment. The time orders redo.
        entry.payload = {**entry.payload, "undone_by": by,
                         "undone_at": datetime.now(UTC).isoformat()}
        session.add(entry)
        session.flush()
    session.expire_all()
    return entries


def redo(session: Session, *, coder: str | None = None, entry_id: int | None = None,
         by: str = "") -> models.AuditEntry:
    """Make an undone change again: ``entry_id``, else the one undone last (``coder``'s when
    given). Refused when later changes touched the same rows."""
    if entry_id is not None:
        entry = _get_entry(session, entry_id, coder)
        if not entry.undone:
            raise Conflict(f"change {entry_id} ({entry.summary}) is not undone",
                           "see `qualcode history`")
    else:
        undone = [e for e in session.scalars(select(models.AuditEntry).where(
            models.AuditEntry.undone.is_(True))) if coder is None or _by(e, coder)]
        if not undone:
            raise NotFound("there is nothing to redo" + (f" for {coder}" if coder else ""),
                           "see `qualcode history`")
        # Undone last first; in one `undo -n N` (same instant) the oldest went last.
        entry = max(undone, key=lambda e: (e.payload.get("undone_at", ""), -e.id))
    _refuse_if_changed_since(session, entry, "redone")
    try:
        _apply_entry(session, entry.payload.get("ops", []))
        session.flush()
    except IntegrityError:
        raise Conflict(
            f"change {entry.id} ({entry.summary}) cannot be redone: it refers to a document, "
            "segment, code or coder that no longer exists, or its rows were taken since",
            "nothing was changed; see `qualcode history`") from None
    entry.undone = False
    payload = {k: v for k, v in entry.payload.items() if k not in ("undone_by", "undone_at")}
    entry.payload = {**payload, "redone_by": by}
    session.add(entry)
    session.flush()
    session.expire_all()
    return entry
