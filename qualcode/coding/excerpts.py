"""Quotable excerpts with their provenance: Markdown, Word (.docx), Excel (.xlsx) and CSV.

Each renderer takes the rows of :func:`qualcode.coding.retrieve.find_segments` (with
``spans=True`` to quote the coded span rather than the whole segment). The attribution
says who speaks (agent and profile) or what the text is (a fieldnote, a document) and
where (`document:N`), so a quotation in a thesis can be traced back. Every renderer takes
``lang`` (``fr`` or ``en``, see :mod:`qualcode.i18n`): French quotes with « » and
non-breaking spaces, English with “ ”; labels (interviewer, observation note, headers) follow.
The CSV is data: the same columns in every language.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ..csvfile import csv_writer
from ..i18n import DEFAULT_LANG, Lang, t
from ..i18n import quote as quoted
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


def _interviewer(lang: Lang) -> str:
    return f" ({t('ex.interviewer', lang)})"


def speaker_label(row: Row, keys: list[str], lang: Lang = DEFAULT_LANG) -> str:
    """`Hélène (social)`, `E (interviewer)`, or the document's agents for fieldnotes."""
    if row["agents"]:
        return " & ".join(_agent_label(a, row["profiles"].get(a, {}), keys)
                          for a in row["agents"])
    if row.get("speaker"):
        return row["speaker"] + (_interviewer(lang) if row.get("interviewer") else "")
    return ""


def attribution(row: Row, keys: list[str], lang: Lang = DEFAULT_LANG) -> str:
    """`— Hélène, social, entretien_01.txt:4` for a turn of a known agent, `— E
    (interviewer), …` for another speaker, `— note d’observation, notes.txt:2` for a
    fieldnote paragraph (never signed by the agents it mentions), `— doc.txt:3` otherwise."""
    where = f"{row['document']}:{row['segment']}"
    speaker = row.get("speaker")
    if speaker:
        if row["agents"]:
            attrs = row["profiles"].get(row["agents"][0], {})
            values = [(k, attrs[k]) for k in keys if attrs.get(k)]
            profile = [v if len(keys) == 1 else f"{k}={v}" for k, v in values]
            who = ", ".join([row["agents"][0], *profile])
        else:
            who = speaker + (_interviewer(lang) if row.get("interviewer") else "")
        return f"— {who}, {where}"
    if row.get("kind") == "observation":
        return f"— {t('ex.fieldnote', lang)}, {where}"
    return f"— {where}"


def provenance(row: Row, keys: list[str], with_codes: bool = False,
               lang: Lang = DEFAULT_LANG) -> str:
    """The attribution, followed by the segment's codes when no heading names them."""
    line = attribution(row, keys, lang)
    if with_codes and row["codes"]:
        line += t("sep", lang) + t("ex.codes", lang, codes=", ".join(row["codes"]))
    return line


# a word has a letter or digit: `;` or `–` alone does not count in --context
_WORD = re.compile(r"\S*\w\S*")


def _has_word(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _widen(text: str, start: int, end: int, words: int) -> tuple[int, int]:
    """``start``-``end`` with ``words`` more words of ``text`` on each side."""
    if words <= 0:
        return start, end
    before = [m.start() for m in _WORD.finditer(text, 0, start)]
    after = [m.end() for m in _WORD.finditer(text, end)]
    if before:
        start = before[max(0, len(before) - words)]
    if after:
        end = after[min(len(after), words) - 1]
    return start, end


def quote_pieces(row: Row, names: set[str] | None, context: int = 0) -> list[str]:
    """The quoted text as pieces, `…` standing for what is cut: the union of the spans
    of the codings of ``names`` in the segment, widened by ``context`` words on each
    side; the whole segment when ``names`` is None or the row has no such span."""
    text = row["text"]
    spans = sorted((s, e) for code, s, e in row.get("spans", ())
                   if names is not None and code in names and e > s)
    if not spans:
        return [" ".join(text.split())]
    merged: list[list[int]] = []
    for s, e in spans:
        s, e = _widen(text, s, e, context)
        # spans that touch, or are apart only by spaces or punctuation, read as one
        if merged and not _has_word(text[merged[-1][1]:s]):
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    # punctuation alone (a final full stop) is quoted, not cut
    if not _has_word(text[:merged[0][0]]):
        merged[0][0] = 0
    if not _has_word(text[merged[-1][1]:]):
        merged[-1][1] = len(text)
    pieces: list[str] = []
    if merged[0][0] > 0:
        pieces.append("…")
    for i, (s, e) in enumerate(merged):
        if i:
            pieces.append("…")
        pieces.append(" ".join(text[s:e].split()))
    if merged[-1][1] < len(text):
        pieces.append("…")
    return pieces


def quote(row: Row, names: set[str] | None = None, context: int = 0,
          lang: Lang = DEFAULT_LANG) -> str:
    """`« … hausse les épaules … »` (French) or `“… hausse les épaules …”`: see
    :func:`quote_pieces`."""
    return quoted(" ".join(quote_pieces(row, names, context)), lang)


def render_markdown(rows: list[Row], *, keys: list[str], title: str | None = None,
                    groups: list[tuple[str, set[str]]] | None = None,
                    context: int = 0, whole: bool = False, lang: Lang = DEFAULT_LANG) -> str:
    """Excerpts under a heading per requested code, each quoting that code's span (the
    whole segment when ``whole`` or without ``groups``), then its attribution."""
    out: list[str] = []
    if title:
        out += [f"# {title}", ""]
    for heading, names, chosen in _grouped(rows, groups, whole):
        if heading is not None:
            out += [f"## {heading}", ""]
        for row in chosen:
            out += [f"> {quote(row, names, context, lang)}", "",
                    provenance(row, keys, with_codes=heading is None, lang=lang), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _grouped(rows: list[Row], groups: list[tuple[str, set[str]]] | None, whole: bool = False):
    """(heading, code names whose spans are quoted, rows) for each requested code."""
    if not groups:
        return [(None, None, rows)]
    return [(name, None if whole else names, [r for r in rows if names & set(r["codes"])])
            for name, names in groups]


def write_docx(rows: list[Row], path: Path | str, *, keys: list[str], title: str | None = None,
               groups: list[tuple[str, set[str]]] | None = None,
               context: int = 0, whole: bool = False, lang: Lang = DEFAULT_LANG) -> None:
    """A Word document: a heading per requested code (or one list), each excerpt as a quote
    followed by its provenance in italics."""
    import docx

    from ..errors import InvalidInput
    from ..export.render import xml_safe

    document = docx.Document()
    document.add_heading(xml_safe(title or t("ex.title", lang)), level=1)
    for heading, names, chosen in _grouped(rows, groups, whole):
        if heading is not None:
            document.add_heading(xml_safe(f"{heading} ({len(chosen)})"), level=2)
        for row in chosen:
            document.add_paragraph(xml_safe(quote(row, names, context, lang)), style="Quote")
            line = provenance(row, keys, with_codes=heading is None, lang=lang)
            document.add_paragraph().add_run(xml_safe(line)).italic = True
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


XLSX_HEADER = ("ex.document", "ex.segment", "ex.speaker", "codes", "ex.coders", "ex.quote",
               "ex.source")
_XLSX_WIDTHS = (0, 9, 16, 24, 14, 70, 40)  # A: see below; never narrower than the header


def write_xlsx(rows: list[Row], path: Path | str, *, keys: list[str],
               names: set[str] | None = None, context: int = 0, lang: Lang = DEFAULT_LANG,
               title: str | None = None) -> None:
    """One row per excerpt: document, segment, speaker, codes, coders (of the quoted
    codes), the quote and its attribution; bold header, wrapped text, formulas shown as
    text. ``names``: the codes whose spans are quoted (None: the whole segment); ``title``
    (--caption) goes in a bold first row above the header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from ..errors import InvalidInput
    from ..export.render import safe_cell, xml_safe

    wb = Workbook()
    ws = wb.active
    ws.title = t("ex.sheet", lang)
    header = [t(key, lang) for key in XLSX_HEADER]
    if title:
        ws.append([safe_cell(xml_safe(title))])
        ws["A1"].font = Font(bold=True)
        ws.append([])
    ws.append(header)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for row in rows:
        coded_by = row.get("coded_by", {})
        quoted = [c for c in row["codes"] if names is None or c in names]
        coders = sorted({who for c in quoted for who in coded_by.get(c, ())})
        cells = [row["document"], row["segment"], row.get("speaker") or "",
                 ", ".join(row["codes"]), ", ".join(coders),
                 quote(row, names, context, lang), attribution(row, keys, lang)]
        ws.append([v if isinstance(v, int) else safe_cell(xml_safe(v)) for v in cells])
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in ws.iter_rows(min_row=header_row + 1):
        for cell in line:
            cell.alignment = wrap
    for letter, width, head in zip("ABCDEFG", _XLSX_WIDTHS, header, strict=True):
        ws.column_dimensions[letter].width = max(width, len(head) + 2)
    # the document column fits its longest name (within reason)
    ws.column_dimensions["A"].width = max(12, min(40, max(
        (len(r["document"]) for r in rows), default=10) + 2))
    ws.freeze_panes = f"A{header_row + 1}"
    try:
        wb.save(str(path))
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None
