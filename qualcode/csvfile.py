"""Reading the CSV files researchers bring from spreadsheets: UTF-8 or Windows-1252, with
`,`, `;` or tab as separator (French spreadsheets write `;`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .errors import InvalidInput
from .ingest.encoding import decode_bytes


def read_csv_rows(path: Path, *, columns_hint: str) -> list[tuple[int, list[str]]]:
    """Non-blank rows with their line numbers, header first; clear errors for unreadable,
    empty or malformed files. ``columns_hint`` tells what the first line should hold."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    text, _encoding = decode_bytes(data, str(path))
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
    rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InvalidInput(f"{path} is empty", f"the first line must name the columns: "
                           f"{columns_hint}")
    return rows
