"""Audit trail and exact undo of changes to codings, codes, memos and suggestions.

Wrap a change in ``with audited(session, action=..., summary=..., coder=...)``: every row of an
audited table that the ORM inserts, deletes or updates inside the block is recorded with its
values, so ``undo`` can put the database back exactly, whatever command made the change.
Changes must go through the ORM (``session.add`` / ``session.delete`` / attribute updates),
not bulk SQL, to be recorded.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
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
    session: Session, *, action: str, summary: str, coder: str = "", command: str | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Record every audited row change made in the block as one undoable audit entry."""
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
        session.add(models.AuditEntry(
            coder=coder, command=command if command is not None else current_command(),
            action=action, summary=summary, payload={"ops": ops},
        ))
        session.flush()


def history(session: Session, limit: int = 50) -> list[models.AuditEntry]:
    stmt = select(models.AuditEntry).order_by(models.AuditEntry.id.desc()).limit(limit)
    return list(session.scalars(stmt))


# Children before parents when rows are removed, parents first when they come back.
_DELETE_ORDER = ("suggestion", "coding", "code_set_member", "memo", "code_set", "code", "coder",
                 "meta")


def _where(table: Any, pk: dict[str, Any]) -> list[Any]:
    return [table.c[k] == v for k, v in pk.items()]


def _revert_entry(session: Session, ops: list[dict[str, Any]]) -> None:
    """Put back the state before ``ops``: remove inserted rows, restore deleted ones, then
    restore updated values (newest first). A row inserted and deleted in the same entry
    leaves no trace."""
    inserted: dict[tuple, dict[str, Any]] = {}
    deleted: dict[tuple, dict[str, Any]] = {}
    updates: list[dict[str, Any]] = []
    for op in ops:
        cls = _TABLES.get(op["table"])
        if cls is None:
            raise QualcodeError(f"cannot undo a change to table {op['table']}")
        pk_cols = [c.name for c in cls.__table__.primary_key.columns]
        if op["op"] == "update":
            updates.append(op)
            continue
        key = (op["table"], *(op["row"][c] for c in pk_cols))
        if op["op"] == "insert":
            inserted[key] = op["row"]
        elif key in inserted:
            del inserted[key]  # created and removed by the same change
        else:
            deleted[key] = op["row"]
    created_keys = set(inserted)
    for name in _DELETE_ORDER:
        table = _TABLES[name].__table__
        pk_cols = [c.name for c in table.primary_key.columns]
        rows = [r for (t, *_), r in inserted.items() if t == name]
        if name == "code":  # detach a code tree before removing it
            for row in rows:
                stmt = table.update().where(table.c.id == row["id"]).values(parent_id=None)
                session.execute(stmt)
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


def undo(session: Session, count: int = 1) -> list[models.AuditEntry]:
    """Revert the last ``count`` changes not yet undone, newest first; returns them."""
    stmt = (
        select(models.AuditEntry)
        .where(models.AuditEntry.undone.is_(False))
        .order_by(models.AuditEntry.id.desc())
        .limit(count)
    )
    entries = list(session.scalars(stmt))
    if not entries:
        raise NotFound("there is nothing to undo", "see `qualcode history`")
    for entry in entries:
        if entry.action in IRREVERSIBLE:
            why, hint = IRREVERSIBLE[entry.action]
            raise Conflict(f"change {entry.id} ({entry.summary}) cannot be undone, nor the "
                           f"changes made before it: {why}", hint)
    session.flush()
    for entry in entries:
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
        session.add(entry)
    session.flush()
    session.expire_all()
    return entries
