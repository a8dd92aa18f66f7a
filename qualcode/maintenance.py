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
from typing import TYPE_CHECKING, Any

from .db import Database, sqlite_path
from .errors import AlreadyExists, DatabaseError, InvalidInput
from .textutil import sha256_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .reads import Reader

# Automatic backups: the last KEEP_AUTO_BACKUPS plain copies; from COMPRESS_ABOVE_MB on, gzip
# copies (level 1: at 100,000 segments about 5x smaller for 0.4 s of CPU; level 6 and lzma
# cost 2.5x and 5x the time for 6% and 35% less, see bench/bench_bulk.py --backups) and only
# the last KEEP_LARGE_BACKUPS. Environment variables override both (docs/architecture.md).
KEEP_AUTO_BACKUPS = 10
KEEP_LARGE_BACKUPS = 3
COMPRESS_ABOVE_MB = 100
KEEP_ENV = "QUALCODE_BACKUPS_KEEP"
COMPRESS_ENV = "QUALCODE_BACKUPS_COMPRESS_MB"
GZIP_LEVEL = 1


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)  # hard links too
    except OSError:
        return False


def _fold_journal(path: Path) -> None:
    """Make ``path`` (a WAL-mode SQLite file) whole by itself: SQLite's backup copies it with
    its journal into a fresh file that replaces it (it is renamed or compressed next, and a
    WAL left behind would be lost)."""
    whole = path.with_name(path.name + ".whole")
    _remove_partial(whole)
    src, dst = sqlite3.connect(str(path), timeout=60), sqlite3.connect(str(whole))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    _remove_partial(path)
    whole.replace(path)


def _drop_journals(target: Path) -> None:
    """A journal left by an earlier database of that name would be replayed onto the copy."""
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)


def backup(database: Database, target: Path, *, overwrite: bool = False) -> Path:
    """Write a consistent copy of the corpus to ``target`` (a SQLite file; gzip-compressed
    when its name ends with ``.gz``, which `qualcode restore` reads back).

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
    compress = target.name.endswith(".gz")
    raw = target.with_name(target.name + (".raw" if compress else "") + ".partial")
    _remove_partial(raw)
    try:
        if source is not None:
            src = sqlite3.connect(str(source), timeout=60)
            dst = sqlite3.connect(str(raw))
            try:
                src.backup(dst)  # SQLite's online backup: consistent while others write
            finally:
                dst.close()
                src.close()
        else:  # PostgreSQL: copy the whole corpus into a SQLite file
            from .transfer import copy_corpus

            copy_corpus(database.url, f"sqlite:///{raw.resolve()}")
            _fold_journal(raw)  # the copy is renamed below: its WAL must not stay behind
        if compress:
            packed = target.with_name(target.name + ".partial")
            _gzip(raw, packed)
            _remove_partial(raw)
            raw = packed
    except BaseException:  # a full disk, Ctrl-C: no half copy is left behind
        _remove_partial(raw)
        target.with_name(target.name + ".partial").unlink(missing_ok=True)
        raise
    _drop_journals(target)
    raw.replace(target)  # a crash never leaves a half-written backup under the name
    return target


def _gzip(source: Path, target: Path) -> None:
    import gzip
    import shutil

    with source.open("rb") as raw, gzip.open(target, "wb", compresslevel=GZIP_LEVEL) as out:
        shutil.copyfileobj(raw, out, 1 << 20)


def is_compressed(path: Path) -> bool:
    with Path(path).open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def restore(database_url: str, backup_file: Path) -> None:
    """Put the corpus at ``database_url`` (a SQLite file) back to the state kept in
    ``backup_file`` (a plain or gzip-compressed copy). The backup is checked to be a readable
    qualcode corpus first; it is then written into the corpus with SQLite's online backup, so
    the corpus file, its journal and other connections stay consistent."""
    from .db import _refuse_unless_corpus, _sqlite_schema

    backup_file = Path(backup_file)
    corpus = sqlite_path(database_url)
    if corpus is None:
        raise InvalidInput("restore writes into a SQLite corpus file",
                           "for a PostgreSQL corpus, unpack a .gz backup with gunzip, then run "
                           "`qualcode --db BACKUP.db copy URL` into an empty database")
    if not backup_file.is_file():
        raise InvalidInput(f"no backup file at {backup_file}",
                           "give a file from the .backups folder next to the corpus, or one "
                           "written by `qualcode backup`")
    if _same_file(backup_file, corpus):
        raise InvalidInput("the backup file is the corpus itself", "choose a backup file")
    plain = backup_file
    unpacked = corpus.with_name(corpus.name + ".restore.partial")
    try:
        if is_compressed(backup_file):
            import gzip
            import shutil

            _remove_partial(unpacked)
            try:
                with gzip.open(backup_file, "rb") as packed, unpacked.open("wb") as out:
                    shutil.copyfileobj(packed, out, 1 << 20)
            except (OSError, EOFError) as exc:
                raise InvalidInput(f"{backup_file} is a damaged compressed backup ({exc})",
                                   "choose another backup") from None
            plain = unpacked
        state = _sqlite_schema(plain)
        if state is None or state[1] is None:
            raise InvalidInput(f"{backup_file} is not a qualcode corpus backup",
                               "choose a file from the .backups folder next to the corpus")
        _refuse_unless_corpus(database_url, *state, create=False)
        src = sqlite3.connect(str(plain), timeout=60)
        dst = sqlite3.connect(str(corpus), timeout=60)
        try:
            if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise InvalidInput(f"{backup_file} is damaged (SQLite quick_check failed)",
                                   "choose another backup")
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    finally:
        if plain is unpacked:
            _remove_partial(unpacked)


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


def auto_backup_path(source: Path, reason: str, suffix: str = ".db") -> Path:
    """Where the automatic backup of ``source`` made now for ``reason`` goes (the folder
    ``<corpus>.backups`` next to it is created)."""
    folder = source.with_name(source.name + ".backups")
    folder.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    slug = "".join(c if c.isalnum() else "-" for c in reason)[:40]
    return folder / f"{source.stem}-{stamp}-{slug}{suffix}"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise InvalidInput(f"{name}={value!r} is not a whole number",
                           f"set {name} to a number such as {default}, or unset it")
    return int(value)


def corpus_size(source: Path) -> int:
    """Bytes of a SQLite corpus, with what its WAL still holds."""
    wal = source.with_name(source.name + "-wal")
    return source.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def backup_policy(size: int) -> tuple[int, bool]:
    """(how many automatic backups to keep, whether to compress them) for a corpus of
    ``size`` bytes: plain copies and the last ten below COMPRESS_ABOVE_MB, gzip copies and the
    last three above; QUALCODE_BACKUPS_KEEP and QUALCODE_BACKUPS_COMPRESS_MB override."""
    compress = size >= _env_int(COMPRESS_ENV, COMPRESS_ABOVE_MB) * 1024 * 1024
    keep = _env_int(KEEP_ENV, KEEP_LARGE_BACKUPS if compress else KEEP_AUTO_BACKUPS)
    return keep, compress


def auto_backup(database: Database, reason: str, *, prune: bool = True) -> Path | None:
    """Backup before a risky command, next to a SQLite corpus; keeps the last few.

    With ``prune=False`` older backups stay until :func:`prune_auto_backups`: a command that
    then fails must not have pushed a good backup out.
    """
    source = sqlite_path(database.url)
    if source is None or not source.exists():
        return None
    keep, compress = backup_policy(corpus_size(source))
    if keep == 0:
        return None  # QUALCODE_BACKUPS_KEEP=0: automatic backups are off
    path = backup(database, auto_backup_path(source, reason, ".db.gz" if compress else ".db"))
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
    keep, _ = backup_policy(corpus_size(source)) if source.exists() else (KEEP_AUTO_BACKUPS,
                                                                          False)
    kept = sorted([*folder.glob(f"{source.stem}-*.db"), *folder.glob(f"{source.stem}-*.db.gz")],
                  key=lambda p: p.name.removesuffix(".gz"))  # names start with their time
    for old in kept[:-keep] if keep else []:  # 0 turns new backups off, keeps the old
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


def _engine_integrity(r: Reader, report: CheckReport) -> None:
    for (row,) in r.rows("PRAGMA integrity_check"):
        if row != "ok":
            report.problems.append(f"SQLite integrity: {row}")
    for row in r.rows("PRAGMA foreign_key_check"):
        report.problems.append(f"foreign key broken: table {row[0]} row {row[1]} -> {row[2]}")


def _holds(seg: tuple[int, int], c_start: int, c_end: int,
           doc_segments: list[tuple[int, int]]) -> bool:
    """The attachment rule of every writer: the segment holding the coding's start, else
    (a start in a gap, such as a speaker label) the first segment the coding reaches.
    ``seg`` and ``doc_segments`` are (start, end) pairs, the latter in text order (by n)."""
    if seg[0] <= c_start <= seg[1]:
        return True
    in_gap = not any(s <= c_start < e for s, e in doc_segments)
    first = next((i for i, (s, e) in enumerate(doc_segments) if s < c_end and e > c_start),
                 None)
    return in_gap and first is not None and doc_segments[first] is seg


def check(database: Database | str | None) -> CheckReport:
    """Integrity of the database and of the corpus; never changes anything.

    ``database``: an opened :class:`Database`, or the ``--db`` path or URL (None: the
    default), read through :mod:`qualcode.reads` (a SQLite corpus needs no ORM, so
    `qualcode check` starts faster)."""
    from .db import resolve_url
    from .reads import Reader, reader

    report = CheckReport()
    try:
        if isinstance(database, Database):
            with database.engine.connect() as conn:
                _check_all(Reader(conn, dbapi=False), report, database.url)
        else:
            with reader(database) as r:
                _check_all(r, report, resolve_url(database))
    except DatabaseError:
        raise
    except Exception as exc:  # a corrupt file raises from the driver
        report.problems.append(f"the database cannot be read: {type(exc).__name__}")
    return report


def _check_all(r: Reader, report: CheckReport, url: str) -> None:
    if sqlite_path(url) is not None:
        _engine_integrity(r, report)
    _check_corpus(r, report)


class _ByDocument:
    """A stream of rows sorted by document id (their second column), read one document at a
    time; rows of documents that do not exist are reported as orphans on the way."""

    def __init__(self, rows: Iterator[tuple], orphan: Callable[[tuple], None]) -> None:
        self._rows = rows
        self._orphan = orphan
        self._next: tuple | None = next(rows, None)

    def take(self, doc_id: int) -> list[tuple]:
        out = []
        while self._next is not None and self._next[1] <= doc_id:
            if self._next[1] == doc_id:
                out.append(self._next)
            else:
                self._orphan(self._next)
            self._next = next(self._rows, None)
        return out

    def rest(self) -> None:
        while self._next is not None:
            self._orphan(self._next)
            self._next = next(self._rows, None)


def _check_corpus(r: Reader, report: CheckReport) -> None:
    """The corpus invariants, one document at a time: three sorted streams (documents,
    their segments, their codings) merged by document id, and SQL for the rest, so memory
    holds one document whatever the corpus size."""
    problems = report.problems
    for table, name in (("documents", "document"), ("segments", "segment"),
                        ("codings", "coding"), ("codes", "code")):
        report.counts[table] = r.rows(f"SELECT count(*) FROM {name}")[0][0]
    code_ids = {i for (i,) in r.rows("SELECT id FROM code")}
    coder_ids = {i for (i,) in r.rows("SELECT id FROM coder")}
    segments = _ByDocument(
        r.stream('SELECT id, document_id, n, start, "end", text_hash FROM segment '
                 "ORDER BY document_id, n"),
        lambda row: problems.append(f"segment {row[0]} belongs to no document"))
    codings = _ByDocument(
        r.stream('SELECT id, document_id, start, "end", segment_id, code_id, coder_id '
                 "FROM coding ORDER BY document_id, id"),
        lambda row: problems.append(f"coding {row[0]} belongs to no document"))
    for doc_id, name, text, text_hash in r.stream(
            "SELECT id, name, text, text_hash FROM document ORDER BY id"):
        if sha256_text(text) != text_hash:
            problems.append(f"document {name!r}: stored text does not match its hash")
        size = len(text)
        spans: dict[int, tuple[int, int]] = {}  # segment id -> (start, end), in n order
        previous: tuple | None = None
        for seg_id, _, n, start, end, seg_hash in segments.take(doc_id):
            spans[seg_id] = (start, end)
            if not 0 <= start <= end <= size:
                problems.append(f"{name}:{n} lies outside its document text")
            elif seg_hash and sha256_text(text[start:end]) != seg_hash:
                problems.append(f"{name}:{n}: text does not match its hash")
            if previous is not None and (n != previous[0] + 1 or start < previous[1]):
                problems.append(f"{name}:{n}: segments out of order or overlapping")
            previous = (n, end)
        in_order = list(spans.values())
        for c_id, _, start, end, seg_id, code_id, coder_id in codings.take(doc_id):
            where = f"coding {c_id} in {name}"
            if code_id not in code_ids:
                problems.append(f"{where} refers to a missing code")
            if coder_id not in coder_ids:
                problems.append(f"{where} refers to a missing coder")
            if not 0 <= start < end <= size:
                problems.append(f"{where} ({start}-{end}) lies outside the document text")
            seg = spans.get(seg_id) if seg_id is not None else None
            if seg is not None and not _holds(seg, start, end, in_order):
                problems.append(f"{where} is attached to a segment that does not hold it")
    segments.rest()
    codings.rest()
    # a coding attached to a segment of another document
    for c_id, name in r.rows(
            "SELECT c.id, d.name FROM coding c JOIN segment s ON s.id = c.segment_id "
            "JOIN document d ON d.id = c.document_id WHERE s.document_id <> c.document_id "
            "ORDER BY c.id"):
        problems.append(f"coding {c_id} in {name} is attached to a segment that does not hold it")
    for (s_id,) in r.rows(
            "SELECT s.id FROM suggestion s WHERE NOT EXISTS "
            "(SELECT 1 FROM segment g WHERE g.id = s.segment_id) OR NOT EXISTS "
            "(SELECT 1 FROM code c WHERE c.id = s.code_id) ORDER BY s.id"):
        problems.append(f"suggestion {s_id} refers to a missing segment or code")
    for memo_id, target in r.rows(
            "SELECT m.id, m.target_type FROM memo m WHERE "
            "(m.target_type = 'code' AND NOT EXISTS "
            "(SELECT 1 FROM code x WHERE x.id = m.target_id)) OR "
            "(m.target_type = 'document' AND NOT EXISTS "
            "(SELECT 1 FROM document x WHERE x.id = m.target_id)) OR "
            "(m.target_type = 'segment' AND NOT EXISTS "
            "(SELECT 1 FROM segment x WHERE x.id = m.target_id)) OR "
            "(m.target_type = 'agent' AND NOT EXISTS "
            "(SELECT 1 FROM agent x WHERE x.id = m.target_id)) ORDER BY m.id"):
        problems.append(f"memo {memo_id} is attached to a missing {target}")
    parents = dict(r.rows("SELECT id, parent_id FROM code"))
    for code_id in parents:
        seen, current = set(), code_id
        while current is not None:
            if current in seen:
                problems.append(f"code {code_id} is inside a cycle of parents")
                break
            seen.add(current)
            current = parents.get(current)
