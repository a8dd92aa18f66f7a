"""Quotable excerpts with their provenance: Markdown, Word (.docx) and CSV.

Each renderer takes the rows of :func:`qualcode.coding.retrieve.find_segments`. The
provenance says who speaks (agent and profile), where (document, segment) and how it is
coded, so a quotation in a thesis can be traced back.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ..csvfile import csv_writer
from ..textutil import norm_name
from .csvio import neutralise

Row = dict[str, Any]


def profile_keys(rows: list[Row], preferred: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Attributes shown beside an agent's name: the ``preferred`` ones (e.g. the --where
    keys), else `profil` when agents have it, else every attribute."""
    keys = sorted({k for r in rows for p in r["profiles"].values() for k in p},
                  key=str.casefold)
    if preferred:
        wanted = {norm_name(p) for p in preferred}  # as --where matches them
        return [k for k in keys if norm_name(k) in wanted]
    for name in ("profil", "profile"):
        chosen = [k for k in keys if k.casefold() == name]
        if chosen:
            return chosen
    return keys


def _agent_label(name: str, attrs: dict[str, str], keys: list[str]) -> str:
    values = [(k, attrs[k]) for k in keys if attrs.get(k)]
    if not values:
        return name
    if len(keys) == 1:
        return f"{name} ({values[0][1]})"
    return f"{name} ({', '.join(f'{k}={v}' for k, v in values)})"


def speaker_label(row: Row, keys: list[str]) -> str:
    """`Hélène (social)`, `E (interviewer)`, or the document's agents for fieldnotes."""
    if row["agents"]:
        return " & ".join(_agent_label(a, row["profiles"].get(a, {}), keys)
                          for a in row["agents"])
    if row.get("speaker"):
        return row["speaker"] + (" (interviewer)" if row.get("interviewer") else "")
    return ""


def provenance(row: Row, keys: list[str]) -> str:
    parts = [p for p in (speaker_label(row, keys), row["document"]) if p]
    line = f"— {', '.join(parts)}, segment {row['segment']}"
    if row["codes"]:
        line += f"; codes: {', '.join(row['codes'])}"
    return line


def _quote(text: str) -> str:
    return f"« {' '.join(text.split())} »"


def render_markdown(rows: list[Row], *, keys: list[str], title: str | None = None,
                    groups: list[tuple[str, set[str]]] | None = None) -> str:
    out: list[str] = []
    if title:
        out += [f"# {title}", ""]
    for heading, chosen in _grouped(rows, groups):
        if heading is not None:
            out += [f"## {heading}", ""]
        for row in chosen:
            out += [f"> {_quote(row['text'])}", "", provenance(row, keys), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _grouped(rows: list[Row], groups: list[tuple[str, set[str]]] | None):
    if not groups:
        return [(None, rows)]
    return [(name, [r for r in rows if names & set(r["codes"])]) for name, names in groups]


def write_docx(rows: list[Row], path: Path | str, *, keys: list[str], title: str | None = None,
               groups: list[tuple[str, set[str]]] | None = None) -> None:
    """A Word document: a heading per requested code (or one list), each excerpt as a quote
    followed by its provenance in italics."""
    import docx

    from ..errors import InvalidInput
    from ..export.render import xml_safe

    document = docx.Document()
    document.add_heading(xml_safe(title or "Excerpts"), level=1)
    for heading, chosen in _grouped(rows, groups):
        if heading is not None:
            document.add_heading(xml_safe(f"{heading} ({len(chosen)})"), level=2)
        for row in chosen:
            document.add_paragraph(xml_safe(_quote(row["text"])), style="Quote")
            document.add_paragraph().add_run(xml_safe(provenance(row, keys))).italic = True
    try:
        document.save(str(path))
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None


def render_csv(rows: list[Row], excel: bool = False) -> str:
    """One line per segment: document, segment, speaker, agents, one column per profile
    attribute (values of several agents joined by `; `), codes, text; ``excel``: UTF-8 with
    a byte-order mark and `;` separators."""
    keys = sorted({k for r in rows for p in r["profiles"].values() for k in p},
                  key=str.casefold)
    buf = io.StringIO()
    writer = csv_writer(buf, excel)
    writer.writerow(["document", "segment", "speaker", "agents", *keys, "codes", "text"])
    for r in rows:
        values = ["; ".join(sorted({p[k] for p in r["profiles"].values() if p.get(k)}))
                  for k in keys]
        cells = [r["document"], r["segment"], r.get("speaker") or "", "; ".join(r["agents"]),
                 *values, "; ".join(r["codes"]), r["text"]]
        writer.writerow([neutralise(c) for c in cells])
    return buf.getvalue()
