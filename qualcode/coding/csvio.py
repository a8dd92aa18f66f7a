"""Codings to and from CSV: the bulk path from spreadsheets and other tools.

Import reads `document,segment,code[,coder]` or `document,start,end,code[,coder]` (both forms
may share one file: a row with `start` and `end` is a span, otherwise its `segment` is coded
whole). The whole file is checked before anything is written, and the import is one audited
change, so `qualcode undo` takes it back at once.
"""

from __future__ import annotations

import io
import sys
from bisect import bisect_right
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ..audit import audited
from ..codebook.lookup import code_key
from ..corpus.coders import get_or_create_coder
from ..csvfile import csv_writer, read_csv_rows
from ..errors import InvalidInput
from ..models import Code, Coder, Coding, Document, Segment
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


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    rows = read_csv_rows(path, columns_hint="document,segment,code,coder")
    header = [h.strip().casefold() for h in rows[0][1]]
    return header, rows[1:]


class _Lookup:
    """Documents, segments and codes of the corpus, loaded once for the whole file."""

    def __init__(self, session: Session) -> None:
        self.docs = {d.name: d for d in session.scalars(select(Document))}
        by_norm: dict[str, list[Document]] = defaultdict(list)
        for d in self.docs.values():
            by_norm[norm_name(d.name)].append(d)
            by_norm[norm_name(d.name.rsplit(".", 1)[0])].append(d)
        self.docs_norm = {k: v[0] for k, v in by_norm.items() if len({x.id for x in v}) == 1}
        self.segments: dict[int, list[Segment]] = defaultdict(list)
        self.ends: dict[int, list[int]] = {}
        for seg in session.scalars(select(Segment).order_by(Segment.document_id, Segment.n)):
            self.segments[seg.document_id].append(seg)
        codes = list(session.scalars(select(Code)))
        self.codes = {c.norm_name: c for c in codes}
        loose: dict[str, list[Code]] = defaultdict(list)
        for c in codes:
            loose[norm_name(c.name)].append(c)
        self.codes_loose = {k: v[0] for k, v in loose.items() if len(v) == 1}

    def document(self, name: str) -> Document | None:
        return self.docs.get(name) or self.docs_norm.get(norm_name(name))

    def code(self, name: str) -> Code | None:
        return self.codes.get(code_key(name)) or self.codes_loose.get(norm_name(name))

    def segment_at(self, doc_id: int, start: int, end: int) -> Segment | None:
        segs = self.segments.get(doc_id, [])
        if doc_id not in self.ends:
            self.ends[doc_id] = [s.end for s in segs]
        # first segment ending after `start` (segments are in text order, disjoint)
        i = bisect_right(self.ends[doc_id], start)
        while i < len(segs) and segs[i].start == segs[i].end:
            i += 1
        if i < len(segs) and segs[i].start < end:
            return segs[i]
        return None


def _parse_int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


def _check_header(path: Path, header: list[str]) -> None:
    missing = [c for c in ("document", "code") if c not in header]
    if "segment" not in header and not {"start", "end"} <= set(header):
        missing.append("segment (or start and end)")
    if missing:
        raise InvalidInput(
            f"{path} lacks the column(s) {', '.join(missing)} (columns: {', '.join(header)})",
            "name the columns document,segment,code,coder or document,start,end,code,coder")


def _validate(
    path: Path, header: list[str], rows: list[tuple[int, list[str]]], lookup: _Lookup,
    default_coder: str,
) -> list[tuple[Document, int, int, Code, str]]:
    col = {name: i for i, name in enumerate(header)}
    planned: list[tuple[Document, int, int, Code, str]] = []
    errors: list[str] = []
    for line, row in rows:
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))

        def cell(name: str, row: list[str] = row) -> str:
            return _unneutralise(row[col[name]].strip()) if name in col else ""

        problems: list[str] = []
        if any(extra.strip() for extra in row[len(header):]):
            # an unquoted comma inside a value shifts every column after it
            problems.append(f"{len(row)} fields, expected {len(header)} (quote a value that "
                            "holds a comma)")
        doc_name = cell("document")
        doc = lookup.document(doc_name) if doc_name else None
        if not doc_name:
            problems.append("empty document")
        elif doc is None:
            problems.append(f"unknown document {doc_name!r}")
        code_name = cell("code")
        code = lookup.code(code_name) if code_name else None
        if not code_name:
            problems.append("empty code")
        elif code is None:
            problems.append(f"unknown code {code_name!r}")
        elif not code.is_codable:
            problems.append(f"code {code.name!r} is a heading and cannot be applied")
        span: tuple[int, int] | None = None
        if cell("start") or cell("end"):
            start, end = _parse_int(cell("start")), _parse_int(cell("end"))
            if start is None or end is None:
                problems.append(f"start/end {cell('start')!r}/{cell('end')!r} are not "
                                "whole numbers")
            elif doc is not None and not 0 <= start < end <= len(doc.text):
                problems.append(f"span {start}:{end} is outside {doc.name!r} or empty "
                                f"(its text has {len(doc.text)} characters)")
            else:
                span = (start, end)
        elif cell("segment"):
            n = _parse_int(cell("segment"))
            if n is None:
                problems.append(f"segment {cell('segment')!r} is not a number")
            elif doc is not None:
                segs = lookup.segments.get(doc.id, [])
                if not 1 <= n <= len(segs):
                    problems.append(f"document {doc.name!r} has no segment {n} "
                                    f"(it has {len(segs)})")
                elif segs[n - 1].start == segs[n - 1].end:
                    problems.append(f"segment {n} of {doc.name!r} is empty")
                else:
                    span = (segs[n - 1].start, segs[n - 1].end)
        else:
            problems.append("no segment and no start/end")
        if problems:
            errors.extend(f"line {line}: {p}" for p in problems)
            continue
        assert doc is not None and code is not None and span is not None
        planned.append((doc, span[0], span[1], code,
                        clean_person_name(cell("coder")) or default_coder))
    if errors:
        listed = "; ".join(errors[:MAX_LISTED])
        more = f"; and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
        raise InvalidInput(f"{path} was not imported ({len(errors)} problems): {listed}{more}",
                           "fix these lines and import again; nothing was written")
    return planned


def import_codings_csv(
    session: Session, path: Path | str, *, default_coder: str | None = None,
    origin: str = "import",
) -> dict[str, Any]:
    """Import codings from a CSV file: everything or nothing, one audited change."""
    path = Path(path)
    header, rows = _read_rows(path)
    _check_header(path, header)
    lookup = _Lookup(session)
    planned = _validate(path, header, rows, lookup, coder_label(default_coder))
    coder_ids = dict(session.execute(select(Coder.name, Coder.id)).all())
    doc_ids = {doc.id for doc, *_ in planned}
    existing = set(session.execute(
        select(Coding.code_id, Coding.document_id, Coding.start, Coding.end, Coding.coder_id)
        .where(Coding.document_id.in_(doc_ids))).all()) if doc_ids else set()
    coders = sorted({c for *_, c in planned})
    summary = f"import codings from {path.name} ({', '.join(coders)})"
    added = skipped = 0
    with audited(session, action="import", summary=summary, coder=", ".join(coders)):
        for name in coders:
            if name not in coder_ids:
                coder_ids[name] = get_or_create_coder(session, name).id
        for doc, start, end, code, coder_name in planned:
            key = (code.id, doc.id, start, end, coder_ids[coder_name])
            if key in existing:
                skipped += 1
                continue
            existing.add(key)
            seg = lookup.segment_at(doc.id, start, end)
            session.add(Coding(code_id=code.id, document_id=doc.id, start=start, end=end,
                               segment_id=seg.id if seg else None,
                               coder_id=coder_ids[coder_name], origin=origin))
            added += 1
    return {"file": str(path), "rows": len(planned), "added": added,
            "skipped_duplicates": skipped, "coders": coders}


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
