"""Survey open answers (`.csv` with `--text-column`): one segment per respondent.

The CSV becomes one document (like a survey dataset in NVivo): each row's answer is one
segment, written `respondent : answer`, whose speaker is the respondent. Each respondent is
an agent (named by `--id-column`, else `<file name> #<row>`) whose attributes are the row's
other columns, so `cooccurrence --by COLUMN` and `segments --where COLUMN=VALUE` work on the
answers. Empty cells set no attribute; a row with an empty answer keeps its respondent (with
attributes) but makes no segment, and is counted in the report.

French Excel writes `;` between cells and a byte-order mark: both are read (see
`qualcode.csvfile`). A malformed file, an unknown column or a repeated id is one error and
nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from ..errors import InvalidInput
from ..textutil import clean_person_name, norm_name
from .base import Parsed, SegmentIn
from .encoding import decode_bytes
from .turns import Turn, render_turns


@dataclass(frozen=True)
class Columns:
    """The columns of a survey CSV that hold the answer and the respondent's id."""

    text: str
    id: str | None = None


def read(data: bytes, *, what: str, columns: Columns, encoding: str | None = None,
         fmt: str = "csv") -> Parsed:
    from ..csvfile import csv_rows, find_column

    numbered = csv_rows(data, what, encoding=encoding,
                        columns_hint="one column per question, the answer in --text-column")
    header = [h.strip().lstrip("\ufeff") for h in numbered[0][1]]
    text_col = find_column(header, columns.text, what, "--text-column")
    id_col = find_column(header, columns.id, what, "--id-column") if columns.id else None
    if id_col == text_col:
        raise InvalidInput(f"{what}: --id-column and --text-column name the same column",
                           "the id column names respondents, the text column holds answers")
    folded = [norm_name(h) for h in header]
    if len(set(folded)) != len(folded):
        twice = sorted({h for h, f in zip(header, folded, strict=True) if folded.count(f) > 1})
        raise InvalidInput(f"{what} has two columns with the same name: {', '.join(twice)}",
                           "rename one of them (they would be the same attribute)")
    stem = PurePath(what).stem
    turns: list[Turn] = []
    agents: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    seen: set[str] = set()
    empty = 0
    for row_no, (line_no, row) in enumerate(numbered[1:], 1):
        if len(row) != len(header):
            errors.append(f"line {line_no}: {len(row)} fields, expected {len(header)}")
            continue
        name = clean_person_name(row[id_col]) if id_col is not None else f"{stem} #{row_no}"
        if not name:
            errors.append(f"line {line_no}: empty {header[id_col]}")  # type: ignore[index]
            continue
        if norm_name(name) in seen:
            errors.append(f"line {line_no}: respondent {name!r} appears twice")
            continue
        seen.add(norm_name(name))
        attrs = {header[i]: row[i].strip() for i in range(len(header))
                 if i not in (text_col, id_col) and row[i].strip()}
        agents[name] = attrs
        answer = row[text_col].strip()
        if answer:
            turns.append(Turn(name, answer.splitlines()))
        else:
            empty += 1
    if errors:
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise InvalidInput(f"{what} was not ingested: " + "; ".join(errors[:5]) + more,
                           "fix these lines and ingest again")
    if not turns:
        raise InvalidInput(f"{what}: the column {header[text_col]!r} holds no answer",
                           "check --text-column")
    text, segments = render_turns(turns)
    # Respondents are never interviewers, whatever their id (`Q`, `E`...).
    segments = [SegmentIn(s.start, s.end, s.speaker) for s in segments]
    meta = {"kind": "document", "respondents": len(agents), "text_column": header[text_col]}
    if id_col is not None:
        meta["id_column"] = header[id_col]
    used = decode_bytes(data, what, encoding)[1]
    parsed = Parsed(text, segments, fmt, used, meta, agents=agents)
    if empty:
        parsed.warnings.append(f"{empty} respondent{'s' if empty > 1 else ''} with an empty "
                               "answer (kept as agents with their attributes, no segment)")
    return parsed
