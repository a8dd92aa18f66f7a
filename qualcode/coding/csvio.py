"""Codings to and from CSV: the bulk path from spreadsheets and other tools.

Import reads `document,segment,code[,coder]` or `document,start,end,code[,coder]` (both forms
may share one file: a row with `start` and `end` is a span, otherwise its `segment` is coded
whole). The file is streamed in chunks; a bad line anywhere means nothing is imported, and the
import is one audited change, so `qualcode undo` takes it back at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, func, select
from sqlmodel import Session

from ..audit import audited, inserted_ids_op
from ..codebook.lookup import code_key
from ..corpus.coders import get_or_create_coder
from ..csvfile import csv_writer, read_csv_rows
from ..errors import InvalidInput
from ..ingest.encoding import check_text
from ..models import Code, Coder, Coding, Document, Segment, utcnow
from ..textutil import clean_person_name, norm_name
from .service import coder_label

MAX_LISTED = 20
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """A cell a spreadsheet shows as text: formula-like values get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _unneutralise(cell: str) -> str:
    """Undo :func:`neutralise` so an exported file imports back unchanged."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r":
        return cell[1:]
    return cell


# Rows are checked and written in chunks of this many: memory stays flat in the file's size.
CHUNK = 5000
_READ_BLOCK = 1 << 20
def _stream_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with their line numbers, header first, read as a stream: the same
    checks and messages as :func:`read_csv_rows` (encodings, empty files, unclosed quotes)
    without holding the file in memory. Files that are not UTF-8 (rare: cp1252, UTF-16...)
    are decoded whole, as before."""
    hint = "document,segment,code,coder"
    quotes = 0
    first = b""
    utf8 = True
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while block := fh.read(_READ_BLOCK):
                if not first:
                    first = block
                quotes += block.count(b'"')
                if utf8:
                    if b"\x00" in block:
                        utf8 = False
                    else:
                        try:
                            decoder.decode(block)
                        except UnicodeDecodeError:
                            utf8 = False
            if utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8 = False
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or not utf8:
        # UTF-16/32, single-byte encodings and binary files: the whole-file reader decides
        yield from read_csv_rows(path, columns_hint=hint)
        return
    sample = first.decode("utf-8", errors="ignore").lstrip("\ufeff")
    if sample:
        check_text(sample, str(path))
    first_line = next((ln for ln in sample.lstrip().splitlines()), "")
    if not first_line.strip():
        raise InvalidInput(f"{path} is empty", f"the first line must name the columns: {hint}")
    delimiter = max((",", ";", "\t"), key=first_line.count)
    seen = False
    previous_end = 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for row in reader:
                end = reader.line_num
                if quotes % 2 and any("\n" in field for field in row):
                    raise InvalidInput(
                        f"{path} has an unclosed quote (\") at line {previous_end + 1}",
                        "close the quote or remove it, then import again")
                previous_end = end
                if any(c.strip() for c in row):
                    seen = True
                    yield end, row
        except csv.Error as exc:
            raise InvalidInput(f"{path} is not a valid CSV file: {exc}") from None
    if not seen:
        raise InvalidInput(f"{path} is empty", f"the first line must name the columns: {hint}")


class _Lookup:
    """Documents, segments and codes of the corpus, loaded once for the whole file: names and
    lengths of documents (not their texts), segments as three integer arrays per document."""

    def __init__(self, session: Session) -> None:
        # name -> (id, name, length of the text)
        self.docs: dict[str, tuple[int, str, int]] = {
            name: (doc_id, name, length or 0) for doc_id, name, length in session.execute(
                select(Document.id, Document.name, func.length(Document.text)))}
        by_norm: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
        for d in self.docs.values():
            by_norm[norm_name(d[1])].append(d)
            by_norm[norm_name(d[1].rsplit(".", 1)[0])].append(d)
        self.docs_norm = {k: v[0] for k, v in by_norm.items() if len({x[0] for x in v}) == 1}
        # document id -> (segment ids, starts, ends), in segment order
        self.segments: dict[int, tuple[array, array, array]] = {}
        stmt = (select(Segment.document_id, Segment.id, Segment.start, Segment.end)
                .order_by(Segment.document_id, Segment.n).execution_options(yield_per=20000))
        current = -1
        ids = starts = ends = array("q")
        for doc_id, seg_id, start, end in session.connection().execute(stmt):
            if doc_id != current:
                current = doc_id
                ids, starts, ends = array("q"), array("q"), array("q")
                self.segments[doc_id] = (ids, starts, ends)
            ids.append(seg_id)
            starts.append(start)
            ends.append(end)
        codes = list(session.scalars(select(Code)))
        self.codes = {c.norm_name: c for c in codes}
        loose: dict[str, list[Code]] = defaultdict(list)
        for c in codes:
            loose[norm_name(c.name)].append(c)
        self.codes_loose = {k: v[0] for k, v in loose.items() if len(v) == 1}
        self._doc_cache: dict[str, tuple[int, str, int] | None] = {}
        self._code_cache: dict[str, Code | None] = {}

    def document(self, name: str) -> tuple[int, str, int] | None:
        if name not in self._doc_cache:
            self._doc_cache[name] = self.docs.get(name) or self.docs_norm.get(norm_name(name))
        return self._doc_cache[name]

    def code(self, name: str) -> Code | None:
        if name not in self._code_cache:
            self._code_cache[name] = (self.codes.get(code_key(name))
                                      or self.codes_loose.get(norm_name(name)))
        return self._code_cache[name]

    def segment_at(self, doc_id: int, start: int, end: int) -> int | None:
        """The id of the segment holding ``start`` (the first non-empty one after it)."""
        ids, starts, ends = self.segments.get(doc_id, _NO_SEGMENTS)
        # first segment ending after `start` (segments are in text order, disjoint)
        i = bisect_right(ends, start)
        while i < len(ids) and starts[i] == ends[i]:
            i += 1
        if i < len(ids) and starts[i] < end:
            return ids[i]
        return None


_NO_SEGMENTS = (array("q"), array("q"), array("q"))


def _parse_int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdecimal() else None


def _check_header(path: Path, header: list[str]) -> None:
    missing = [c for c in ("document", "code") if c not in header]
    if "segment" not in header and not {"start", "end"} <= set(header):
        missing.append("segment (or start and end)")
    if missing:
        raise InvalidInput(
            f"{path} lacks the column(s) {', '.join(missing)} (columns: {', '.join(header)})",
            "name the columns document,segment,code,coder or document,start,end,code,coder")


def _cell(row: list[str], i: int | None) -> str:
    if i is None:
        return ""
    value = row[i].strip()
    return _unneutralise(value) if value[:1] == "'" else value


class _RowChecker:
    """Turns one CSV row into (document id, start, end, segment id, code id, coder name), or
    the list of its problems."""

    def __init__(self, header: list[str], lookup: _Lookup, default_coder: str) -> None:
        self.width = len(header)
        col = {name: i for i, name in enumerate(header)}
        self.i_doc, self.i_code = col.get("document"), col.get("code")
        self.i_seg, self.i_start, self.i_end = col.get("segment"), col.get("start"), col.get("end")
        self.i_coder = col.get("coder")
        self.lookup = lookup
        self.default_coder = default_coder
        self._coder_cache: dict[str, str] = {}

    def check(self, row: list[str]) -> tuple[tuple[int, int, int, int | None, int, str] | None,
                                            list[str]]:
        width, lookup = self.width, self.lookup
        if len(row) < width:
            row = row + [""] * (width - len(row))
        problems: list[str] = []
        if len(row) > width and any(extra.strip() for extra in row[width:]):
            # an unquoted comma inside a value shifts every column after it
            problems.append(f"{len(row)} fields, expected {width} (quote a value that "
                            "holds a comma)")
        doc_name = _cell(row, self.i_doc)
        doc = lookup.document(doc_name) if doc_name else None
        if not doc_name:
            problems.append("empty document")
        elif doc is None:
            problems.append(f"unknown document {doc_name!r}")
        code_name = _cell(row, self.i_code)
        code = lookup.code(code_name) if code_name else None
        if not code_name:
            problems.append("empty code")
        elif code is None:
            problems.append(f"unknown code {code_name!r}")
        elif not code.is_codable:
            problems.append(f"code {code.name!r} is a heading and cannot be applied")
        span: tuple[int, int] | None = None
        seg_id: int | None = None
        start_cell, end_cell = _cell(row, self.i_start), _cell(row, self.i_end)
        if start_cell or end_cell:
            start, end = _parse_int(start_cell), _parse_int(end_cell)
            if start is None or end is None:
                problems.append(f"start/end {start_cell!r}/{end_cell!r} are not whole numbers")
            elif doc is not None and not 0 <= start < end <= doc[2]:
                problems.append(f"span {start}:{end} is outside {doc[1]!r} or empty "
                                f"(its text has {doc[2]} characters)")
            else:
                span = (start, end)
                if doc is not None:
                    seg_id = lookup.segment_at(doc[0], start, end)
        elif seg_cell := _cell(row, self.i_seg):
            n = int(seg_cell) if seg_cell.isdecimal() else None
            if n is None:
                problems.append(f"segment {seg_cell!r} is not a number")
            elif doc is not None:
                ids, starts, ends = lookup.segments.get(doc[0], _NO_SEGMENTS)
                if not 1 <= n <= len(ids):
                    problems.append(f"document {doc[1]!r} has no segment {n} "
                                    f"(it has {len(ids)})")
                elif starts[n - 1] == ends[n - 1]:
                    problems.append(f"segment {n} of {doc[1]!r} is empty")
                else:
                    span = (starts[n - 1], ends[n - 1])
                    seg_id = ids[n - 1]
        else:
            problems.append("no segment and no start/end")
        if problems:
            return None, problems
        assert doc is not None and code is not None and span is not None
        raw = _cell(row, self.i_coder)
        coder = self._coder_cache.get(raw)
        if coder is None:
            coder = self._coder_cache[raw] = clean_person_name(raw) or self.default_coder
        return (doc[0], span[0], span[1], seg_id, code.id, coder), []


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _new_guids(n: int) -> list[str]:
    """``n`` random (version 4) UUIDs as text, like :func:`qualcode.models.new_guid`, from one
    call to the system's random source."""
    raw = os.urandom(16 * n).hex()
    return [f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
            for h in (raw[i:i + 32] for i in range(0, 32 * n, 32))]


class _Writer:
    """Chunks of codings written with the driver's own executemany (no per-row work in
    SQLAlchemy); duplicates are skipped by the table's unique constraint."""

    COLUMNS = ("code_id", "document_id", "segment_id", "start", "end", "coder_id", "origin",
               "guid", "created_at")

    def __init__(self, session: Session, origin: str) -> None:
        self.conn = session.connection()
        dialect = self.conn.dialect
        mark = {"qmark": "?", "numeric": ":{}", "format": "%s", "pyformat": "%s"}.get(
            dialect.paramstyle)
        if mark is None:  # named parameters: no DBAPI qualcode runs on uses them
            raise NotImplementedError(f"paramstyle {dialect.paramstyle}")
        marks = ", ".join(mark.format(i + 1) for i in range(len(self.COLUMNS)))
        names = ", ".join(dialect.identifier_preparer.quote(c) for c in self.COLUMNS)
        self.sql = (f"INSERT INTO {Coding.__tablename__} ({names}) VALUES ({marks}) "
                    "ON CONFLICT DO NOTHING")
        now: Any = utcnow()
        process = DateTime().dialect_impl(dialect).bind_processor(dialect)
        self.now = process(now) if process else now
        self.origin = origin

    def write(self, pending: list[tuple[int, int, int | None, int, int, int]]) -> None:
        origin, now = self.origin, self.now
        self.conn.exec_driver_sql(self.sql, [
            (*p, origin, guid, now) for p, guid in zip(pending, _new_guids(len(pending)),
                                                        strict=True)])


def import_codings_csv(
    session: Session, path: Path | str, *, default_coder: str | None = None,
    origin: str = "import",
) -> dict[str, Any]:
    """Import codings from a CSV file: everything or nothing, one audited change.

    The file is read, checked and written in chunks (SQL executemany), so memory does not grow
    with its size. A bad line anywhere stops the writing; the rest is still checked, so the
    error lists every bad line (the first ``MAX_LISTED``), and the transaction of the caller is
    rolled back. The history entry names the range of the new codings' ids instead of copying
    every row (see :mod:`qualcode.audit`)."""
    path = Path(path)
    rows = _stream_rows(path)
    header = [h.strip().casefold() for h in next(rows)[1]]
    _check_header(path, header)
    lookup = _Lookup(session)
    checker = _RowChecker(header, lookup, coder_label(default_coder))
    coder_ids = dict(session.execute(select(Coder.name, Coder.id)).all())
    count_before = session.scalar(select(func.count()).select_from(Coding)) or 0
    max_before = session.scalar(select(func.max(Coding.id))) or 0
    coders: set[str] = set()
    errors: list[str] = []
    n_errors = 0
    valid = 0
    pending: list[tuple[int, int, int | None, int, int, int]] = []
    writer = _Writer(session, origin)

    def describe() -> tuple[str, str]:
        names = sorted(coders)
        return f"import codings from {path.name} ({', '.join(names)})", ", ".join(names)

    with audited(session, action="import", summary="", describe=describe) as ops:
        for line, row in rows:
            planned, problems = checker.check(row)
            if problems:
                n_errors += len(problems)
                errors.extend(f"line {line}: {p}" for p in problems[:MAX_LISTED - len(errors)])
                pending = []
                continue
            assert planned is not None
            valid += 1
            doc_id, start, end, seg_id, code_id, coder = planned
            coders.add(coder)
            if n_errors:
                continue  # nothing will be written: only look for more problems
            coder_id = coder_ids.get(coder)
            if coder_id is None:
                coder_id = coder_ids[coder] = get_or_create_coder(session, coder).id
            pending.append((code_id, doc_id, seg_id, start, end, coder_id))
            if len(pending) >= CHUNK:
                writer.write(pending)
                pending = []
        if n_errors:
            listed = "; ".join(errors)
            more = f"; and {n_errors - MAX_LISTED} more" if n_errors > MAX_LISTED else ""
            raise InvalidInput(f"{path} was not imported ({n_errors} problems): {listed}{more}",
                               "fix these lines and import again; nothing was written")
        if pending:
            writer.write(pending)
        added = (session.scalar(select(func.count()).select_from(Coding)) or 0) - count_before
        if added:
            max_after = session.scalar(select(func.max(Coding.id))) or 0
            ops.append(inserted_ids_op("coding", max_before + 1, max_after, added))
    return {"file": str(path), "rows": valid, "added": added,
            "skipped_duplicates": valid - added, "coders": sorted(coders)}


def export_codings_csv(
    session: Session, path: Path | str, *, coder: str | None = None, spans: bool = False,
    excel: bool = False,
) -> dict[str, Any]:
    """Write one row per coding; `start,end` columns appear when a coding is not a whole
    segment (or always with ``spans``). Formula-like cells are neutralised. ``excel``: UTF-8
    with a byte-order mark and `;` separators (`code import` reads it back)."""
    from ..corpus.coders import get_coder

    stmt = (select(Document.name, Segment.n, Segment.start, Segment.end, Coding.start,
                   Coding.end, Code.name, Coder.name)
            .join(Document, Document.id == Coding.document_id)
            .join(Code, Code.id == Coding.code_id).join(Coder, Coder.id == Coding.coder_id)
            .outerjoin(Segment, Segment.id == Coding.segment_id)
            .order_by(Document.name, Coding.start, Coding.end, Code.name, Coder.name))
    if coder:
        stmt = stmt.where(Coding.coder_id == get_coder(session, coder).id)
    records = session.execute(stmt).all()
    with_spans = spans or any(
        seg_n is None or (cs, ce) != (ss, se) for _, seg_n, ss, se, cs, ce, _, _ in records)
    header = (["document", "segment", "start", "end", "code", "coder"] if with_spans
              else ["document", "segment", "code", "coder"])
    buf = io.StringIO()
    writer = csv_writer(buf, excel)
    writer.writerow(header)
    for doc, seg_n, ss, se, cs, ce, code, coder_name in records:
        whole = seg_n is not None and (cs, ce) == (ss, se)
        if with_spans:
            row = [doc, seg_n if seg_n is not None else "",
                   "" if whole and not spans else cs, "" if whole and not spans else ce,
                   code, coder_name]
        else:
            row = [doc, seg_n, code, coder_name]
        writer.writerow([neutralise(v) for v in row])
    if str(path) == "-":  # the usual name of standard output
        sys.stdout.write(buf.getvalue())
        return {"file": "-", "codings": len(records), "spans": with_spans}
    try:
        Path(path).write_text(buf.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None
    return {"file": str(path), "codings": len(records), "spans": with_spans}
