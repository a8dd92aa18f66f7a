"""Reading the CSV files researchers bring from spreadsheets: UTF-8 or Windows-1252, with
`,`, `;` or tab as separator (French spreadsheets write `;`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .ingest.encoding import decode_bytes
from .textutil import did_you_mean, norm_name

# `--excel`: what a French Excel opens by double-click, accents and columns right: UTF-8 with
# a byte-order mark, `;` between cells (the comma is the decimal separator there).
EXCEL_BOM = "\ufeff"


def csv_writer(buf: io.StringIO, excel: bool = False) -> Any:
    """A CSV writer on ``buf``: `,` by default, `;` after a byte-order mark for Excel."""
    if excel:
        buf.write(EXCEL_BOM)
    return csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\n")


def read_csv_rows(path: Path, *, columns_hint: str) -> list[tuple[int, list[str]]]:
    """Non-blank rows with their line numbers, header first; clear errors for unreadable,
    empty or malformed files. ``columns_hint`` tells what the first line should hold."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    return csv_rows(data, path, columns_hint=columns_hint)


def csv_rows(data: bytes, path: Path | str, *, columns_hint: str,
             encoding: str | None = None) -> list[tuple[int, list[str]]]:
    """:func:`read_csv_rows` on bytes already read (``path`` names the file in messages)."""
    try:
        text, _encoding = decode_bytes(data, str(path), encoding)
    except InvalidInput as exc:  # the ingest hint (which files qualcode reads) misleads here
        raise InvalidInput(exc.message, "save it from a spreadsheet as CSV (UTF-8)") from None
    if not text.strip():
        raise InvalidInput(f"{path} is empty", f"the first line must name the columns: "
                           f"{columns_hint}")
    first_line = text.lstrip().splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InvalidInput(f"{path} is not a valid CSV file: {exc}") from None
    _check_quotes(path, text, rows)
    rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InvalidInput(f"{path} is empty", f"the first line must name the columns: "
                           f"{columns_hint}")
    return rows


def _check_quotes(path: Path | str, text: str, rows: list[tuple[int, list[str]]]) -> None:
    """An unclosed quote swallows every later line into one field: say so, with its line."""
    if text.count('"') % 2 == 0:
        return
    previous_end = 0
    for end, row in rows:
        if any("\n" in field for field in row):
            raise InvalidInput(f"{path} has an unclosed quote (\") at line {previous_end + 1}",
                               "close the quote or remove it, then import again")
        previous_end = end


def find_column(header: list[str], given: str, what: str, option: str) -> int:
    """Index of column ``given`` (exact, else case- and accent-insensitive); an unknown column
    is one error naming the closest columns."""
    if given in header:
        return header.index(given)
    folded = [norm_name(h) for h in header]
    if norm_name(given) in folded:
        return folded.index(norm_name(given))
    raise InvalidInput(f"{what} has no column {given!r} ({option})",
                       did_you_mean(given, header, f"columns: {', '.join(header)}"))
