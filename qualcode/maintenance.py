"""Backups and integrity checks of a corpus.

`backup` writes a consistent copy while other processes may be writing (SQLite online backup
API). `check` verifies the database engine's own integrity and the corpus invariants that
qualcode relies on: every segment and coding inside its document's text, hashes matching the
stored text, no orphan rows.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session

from . import models
from .db import Database, sqlite_path
from .errors import AlreadyExists, DatabaseError, InvalidInput
from .textutil import sha256_text

KEEP_AUTO_BACKUPS = 10


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)  # hard links too
    except OSError:
        return False


def _drop_journals(target: Path) -> None:
    """A journal left by an earlier database of that name would be replayed onto the copy."""
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)


def backup(database: Database, target: Path, *, overwrite: bool = False) -> Path:
    """Write a consistent copy of the corpus to ``target`` (a SQLite file).

    An existing ``target`` is refused unless ``overwrite``: swapped arguments
    (`--db empty.db backup these.db`) must not replace a corpus with an empty copy.
    The corpus itself is refused always.
    """
    target = Path(target)
    if target.exists() and target.is_dir():
        raise InvalidInput(f"{target} is a folder", "give the path of the backup file")
    if not target.parent.exists():
        raise InvalidInput(f"folder {target.parent} does not exist", "create it first")
    source = sqlite_path(database.url)
    if source is not None and _same_file(target, source):
        raise InvalidInput("the backup file is the corpus itself", "choose another path")
    if target.exists() and not overwrite:
        raise AlreadyExists(f"{target} already exists; nothing was written",
                            "choose a new file name, or pass --force to replace it")
    if source is not None:
        partial = target.with_name(target.name + ".partial")
        _remove_partial(partial)
        try:
            src = sqlite3.connect(str(source), timeout=60)
            dst = sqlite3.connect(str(partial))
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        except BaseException:  # a full disk, Ctrl-C: no half copy is left behind
            _remove_partial(partial)
            raise
        _drop_journals(target)
        partial.replace(target)  # a crash never leaves a half-written backup under the name
        return target
    # PostgreSQL: copy the whole corpus into a SQLite file.
    from .transfer import copy_corpus

    if target.exists():
        target.unlink()
    _drop_journals(target)
    copy_corpus(database.url, f"sqlite:///{target.resolve()}")
    return target


# A .partial older than this was left by a backup that was killed (a running one rewrites
# it continuously): safe to remove.
STALE_PARTIAL_S = 15 * 60


def _remove_partial(partial: Path) -> None:
    partial.unlink(missing_ok=True)
    _drop_journals(partial)


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the half copies that killed backups left in ``folder``; returns them."""
    import time

    removed = []
    for partial in folder.glob("*.partial"):
        try:
            if time.time() - partial.stat().st_mtime > STALE_PARTIAL_S:
                _remove_partial(partial)
                removed.append(partial)
        except OSError:
            continue  # gone meanwhile, or not ours to remove
    return removed


def auto_backup_path(source: Path, reason: str) -> Path:
    """Where the automatic backup of ``source`` made now for ``reason`` goes (the folder
    ``<corpus>.backups`` next to it is created)."""
    folder = source.with_name(source.name + ".backups")
    folder.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    slug = "".join(c if c.isalnum() else "-" for c in reason)[:40]
    return folder / f"{source.stem}-{stamp}-{slug}.db"


def auto_backup(database: Database, reason: str, *, prune: bool = True) -> Path | None:
    """Backup before a risky command, next to a SQLite corpus; keeps the last few.

    With ``prune=False`` older backups stay until :func:`prune_auto_backups`: a command that
    then fails must not have pushed a good backup out.
    """
    source = sqlite_path(database.url)
    if source is None or not source.exists():
        return None
    path = backup(database, auto_backup_path(source, reason))
    if prune:
        prune_auto_backups(database)
    return path


class ChangeProbe:
    """Tells whether a SQLite corpus changed between its creation and :meth:`changed`.

    It keeps its own idle connection and compares ``PRAGMA data_version``, which SQLite
    bumps on that connection whenever another connection commits a change to the file (in
    this process or another). A write transaction that modifies no page (a codebook imported
    a second time) leaves it alone, so no row comparison or hashing is needed. A change
    committed meanwhile by another process also counts: the backup is then kept, which errs
    on the safe side.
    """

    def __init__(self, path: Path) -> None:
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = sqlite3.connect(str(path), timeout=60)
            self._before = self._version()
        except sqlite3.Error:
            self.close()

    def _version(self) -> int:
        assert self._conn is not None
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        if self._conn is None:
            return True  # could not tell: keep the backup
        try:
            return self._version() != self._before
        except sqlite3.Error:
            return True

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def prune_auto_backups(database: Database) -> None:
    """Keep the last few automatic backups of a SQLite corpus."""
    source = sqlite_path(database.url)
    if source is None:
        return
    folder = source.with_name(source.name + ".backups")
    for old in sorted(folder.glob(f"{source.stem}-*.db"))[:-KEEP_AUTO_BACKUPS]:
        old.unlink(missing_ok=True)
    if folder.is_dir():
        remove_stale_partials(folder)


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": self.problems, "counts": self.counts}


def _engine_integrity(session: Session, report: CheckReport, is_sqlite: bool) -> None:
    if not is_sqlite:
        return
    for (row,) in session.execute(text("PRAGMA integrity_check")):
        if row != "ok":
            report.problems.append(f"SQLite integrity: {row}")
    for row in session.execute(text("PRAGMA foreign_key_check")):
        report.problems.append(f"foreign key broken: table {row[0]} row {row[1]} -> {row[2]}")


def _holds(seg: models.Segment, coding: models.Coding, doc_segments: list[models.Segment]
           ) -> bool:
    """The attachment rule of every writer: the segment holding the coding's start, else
    (a start in a gap, such as a speaker label) the first segment the coding reaches."""
    if seg.document_id != coding.document_id:
        return False
    if seg.start <= coding.start <= seg.end:
        return True
    in_gap = not any(o.start <= coding.start < o.end for o in doc_segments)
    first = next((o for o in doc_segments  # in text order (by n)
                  if o.start < coding.end and o.end > coding.start), None)
    return in_gap and first is seg


def check(database: Database) -> CheckReport:
    """Integrity of the database and of the corpus; never changes anything."""
    report = CheckReport()
    try:
        with database.session() as session:
            _engine_integrity(session, report, sqlite_path(database.url) is not None)
            _check_corpus(session, report)
    except DatabaseError:
        raise
    except Exception as exc:  # a corrupt file raises from the driver
        report.problems.append(f"the database cannot be read: {type(exc).__name__}")
    return report


def _check_corpus(session: Session, report: CheckReport) -> None:
    problems = report.problems
    docs = {d.id: d for d in session.scalars(select(models.Document))}
    report.counts["documents"] = len(docs)
    for doc in docs.values():
        if sha256_text(doc.text) != doc.text_hash:
            problems.append(f"document {doc.name!r}: stored text does not match its hash")
    segments = list(session.scalars(select(models.Segment).order_by(
        models.Segment.document_id, models.Segment.n)))
    report.counts["segments"] = len(segments)
    seg_by_id = {s.id: s for s in segments}
    by_doc: dict[int, list[models.Segment]] = {}
    for seg in segments:
        by_doc.setdefault(seg.document_id, []).append(seg)
    previous: dict[int, models.Segment] = {}
    for seg in segments:
        doc = docs.get(seg.document_id)
        if doc is None:
            problems.append(f"segment {seg.id} belongs to no document")
            continue
        if not 0 <= seg.start <= seg.end <= len(doc.text):
            problems.append(f"{doc.name}:{seg.n} lies outside its document text")
        elif seg.text_hash and sha256_text(doc.text[seg.start:seg.end]) != seg.text_hash:
            problems.append(f"{doc.name}:{seg.n}: text does not match its hash")
        prev = previous.get(seg.document_id)
        if prev is not None and (seg.n != prev.n + 1 or seg.start < prev.end):
            problems.append(f"{doc.name}:{seg.n}: segments out of order or overlapping")
        previous[seg.document_id] = seg
    code_ids = set(session.scalars(select(models.Code.id)))
    coder_ids = set(session.scalars(select(models.Coder.id)))
    codings = list(session.scalars(select(models.Coding)))
    report.counts["codings"] = len(codings)
    report.counts["codes"] = len(code_ids)
    for c in codings:
        doc = docs.get(c.document_id)
        where = f"coding {c.id}"
        if doc is None:
            problems.append(f"{where} belongs to no document")
            continue
        where = f"coding {c.id} in {doc.name}"
        if c.code_id not in code_ids:
            problems.append(f"{where} refers to a missing code")
        if c.coder_id not in coder_ids:
            problems.append(f"{where} refers to a missing coder")
        if not 0 <= c.start < c.end <= len(doc.text):
            problems.append(f"{where} ({c.start}-{c.end}) lies outside the document text")
        seg = seg_by_id.get(c.segment_id) if c.segment_id is not None else None
        if seg is not None and not _holds(seg, c, by_doc.get(c.document_id, [])):
            problems.append(f"{where} is attached to a segment that does not hold it")
    seg_ids = set(seg_by_id)
    for s in session.scalars(select(models.Suggestion)):
        if s.segment_id not in seg_ids or s.code_id not in code_ids:
            problems.append(f"suggestion {s.id} refers to a missing segment or code")
    targets = {
        "code": code_ids, "document": set(docs), "segment": seg_ids,
        "agent": set(session.scalars(select(models.Agent.id))),
    }
    for memo in session.scalars(select(models.Memo)):
        ids = targets.get(memo.target_type)
        if ids is not None and memo.target_id not in ids:
            problems.append(f"memo {memo.id} is attached to a missing {memo.target_type}")
    parents = dict(session.execute(select(models.Code.id, models.Code.parent_id)).all())
    for code_id in parents:
        seen, current = set(), code_id
        while current is not None:
            if current in seen:
                problems.append(f"code {code_id} is inside a cycle of parents")
                break
            seen.add(current)
            current = parents.get(current)
