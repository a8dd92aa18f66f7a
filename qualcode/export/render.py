"""Write a :class:`~qualcode.export.tables.Report` as csv, Markdown, LaTeX, xlsx or JSON.

- csv: one tidy (long) table, one row per cell with its group, ready for ``pandas.read_csv``
  or R's ``read.csv``; text cells that a spreadsheet would run as a formula get a leading ``'``.
- md: GitHub pipe tables, a heading per group (the caption) and the base line under it; the
  notes and the provenance (date, codebook, command line) in paragraphs under the table.
- tex: booktabs tables (``\\toprule``/``\\midrule``/``\\bottomrule``) whose caption states the
  base (or is the user's ``--caption``, the base then going under the table); notes and
  provenance in a footnote-size paragraph under the tabular, inside the float; special
  characters escaped, accents kept as UTF-8.
- xlsx: one sheet per group with the caption and the base above a bold header row, columns
  wide enough for their headers, and a last sheet "provenance" (needs ``-o``).
- json: the contract's payload, with a ``provenance`` object.
- csv: data only, the same in every language (no comment lines: Excel would show them as
  rows); each row carries its coders and codebook.

Labels and text numbers follow ``report.lang`` (see :mod:`qualcode.i18n`).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from ..csvfile import EXCEL_BOM, csv_writer
from ..errors import InvalidInput
from ..i18n import NBSP, NNBSP, Lang, t
from .tables import INT, PCT, RATIO, TEXT, Report, Table, fmt, provenance_line

FORMATS = ("csv", "md", "tex", "xlsx", "json")
SUFFIX_FORMATS = {".csv": "csv", ".md": "md", ".markdown": "md", ".tex": "tex",
                  ".xlsx": "xlsx", ".json": "json"}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells; numbers (and number-like text) stay."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def to_csv(report: Report, excel: bool = False) -> str:
    """The tidy table; ``excel``: UTF-8 with a byte-order mark, `;` separators and decimal
    commas, as a French Excel reads numbers."""
    buf = io.StringIO()
    if not report.records:
        return EXCEL_BOM if excel else ""
    writer = csv_writer(buf, excel)
    writer.writerow(list(report.records[0]))
    for record in report.records:
        writer.writerow(["" if v is None else _excel_number(v) if excel else safe_cell(v)
                         for v in record.values()])
    return buf.getvalue()


def _excel_number(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return safe_cell(value)


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    lang = report.lang
    prov = provenance_line(report, "`{command}`")
    out: list[str] = []
    for tb in report.tables:
        out += [f"## {_md_cell(tb.title)}", ""]
        if tb.base:
            out += [_md_cell(t("base", lang, text=tb.base)), ""]
        out.append("| " + " | ".join(_md_cell(h) for h in tb.header) + " |")
        out.append("|" + "|".join(":---" if k == TEXT else "---:" for k in tb.kinds) + "|")
        for row in tb.rows:
            out.append("| " + " | ".join(_md_cell(fmt(v, k, lang)) for v, k in
                                         zip(row, tb.kinds, strict=True)) + " |")
        if not tb.rows:
            out.append("| " + " | ".join("" for _ in tb.header) + " |")
        out.append("")
        for note in tb.notes:
            out.append(f"> {_md_cell(t('warning', lang, text=note))}")
        if tb.notes:
            out.append("")
        for remark in tb.remarks:
            out += [_md_cell(t("note", lang, text=remark)), ""]
        if prov:
            out += [f"*{prov}*", ""]
    return "\n".join(out)


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}"}
_TEX_RE = re.compile("|".join(re.escape(c) for c in _TEX_SPECIAL))


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters; accents and typographic quotes stay UTF-8; French
    non-breaking spaces become ``~`` and thin ones ``\\,`` (what pdfLaTeX understands)."""
    escaped = _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group()], text)
    return escaped.replace(NBSP, "~").replace(NNBSP, "\\,")


def _slug(text: str) -> str:
    """ASCII label key: pdfLaTeX chokes on accents inside \\label."""
    from ..textutil import norm_name

    return re.sub(r"[^a-z0-9]+", "-", norm_name(text)).strip("-") or "table"


def _tex_note(text: str) -> str:
    return f"\\par\\smallskip{{\\footnotesize {text}}}"


def to_latex(report: Report) -> str:
    lang = report.lang
    prov = provenance_line(report, "\x00{command}\x01")
    prov = tex_escape(prov).replace("\x00", "\\texttt{").replace("\x01", "}")
    out = [f"% qualcode {report.kind} tables; needs \\usepackage{{booktabs}}"
           + (" and, for « », \\usepackage[T1]{fontenc}" if lang == "fr" else "")]
    for tb in report.tables:
        spec = "".join("l" if k == TEXT else "r" for k in tb.kinds)
        if tb.captioned or not tb.base:
            caption = tex_escape(tb.title)
        else:  # the generated caption states the base
            caption = f"{tex_escape(tb.title)}. {tex_escape(t('base', lang, text=tb.base))}."
        out += ["\\begin{table}[htbp]", "\\centering", f"\\caption{{{caption}}}",
                f"\\label{{tab:{_slug(report.kind)}-{_slug(tb.name)}}}",
                f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
                " & ".join(tex_escape(h) for h in tb.header) + " \\\\", "\\midrule"]
        for row in tb.rows:
            out.append(" & ".join(tex_escape(fmt(v, k, lang)) for v, k in
                                  zip(row, tb.kinds, strict=True)) + " \\\\")
        out += ["\\bottomrule", "\\end{tabular}"]
        if tb.captioned and tb.base:
            out.append(_tex_note(tex_escape(t("base", lang, text=tb.base))))
        for note in tb.notes:
            out.append(_tex_note(tex_escape(t("warning", lang, text=note))))
        for remark in tb.remarks:
            out.append(_tex_note(tex_escape(t("note", lang, text=remark))))
        if prov:
            out.append(_tex_note(prov))
        out += ["\\end{table}", ""]
    return "\n".join(out)


def to_json(report: Report) -> str:
    return json.dumps(report.payload, ensure_ascii=False, indent=2) + "\n"


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name: no []:*?/\\, at most 31 characters."""
    base = _SHEET_BAD.sub("_", name).strip("'").strip() or "table"
    base = base[:31]
    candidate, i = base, 2
    while candidate.casefold() in taken:
        suffix = f" ({i})"
        candidate = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(candidate.casefold())
    return candidate


# Control characters XML 1.0 cannot hold (tab, LF and CR it can): openpyxl refuses them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: Any) -> Any:
    """Text an XML file can hold: each illegal control character becomes U+FFFD, so a value
    like `Nord\x01` stays visible (and different from `Nord`) instead of failing the file."""
    return _XML_ILLEGAL.sub("\ufffd", value) if isinstance(value, str) else value


def _xlsx_cell(value: Any) -> Any:
    return safe_cell(xml_safe(value))


def _fit_columns(ws: Any, table: Table, lang: Lang) -> None:
    """Each column as wide as its header and its cells (within reason): no cut headers."""
    from openpyxl.utils import get_column_letter

    for j, head in enumerate(table.header):
        cells = [fmt(row[j], table.kinds[j], lang) for row in table.rows]
        width = max([len(str(head)), *(len(c) for c in cells)]) + 2
        ws.column_dimensions[get_column_letter(j + 1)].width = max(8, min(60, width))


def _provenance_sheet(wb: Any, report: Report, taken: set[str]) -> None:
    from openpyxl.styles import Font

    lang = report.lang
    ws = wb.create_sheet(sheet_name(t("prov.sheet", lang), taken))
    ws.append([t("prov.field", lang), t("prov.value", lang)])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    labels = {"date": t("prov.date", lang), "codebook": t("prov.codebook", lang),
              "command": t("prov.command", lang), "qualcode": "qualcode"}
    for key, value in report.provenance.items():
        ws.append([labels.get(key, key), _xlsx_cell(value)])
    ws.column_dimensions["A"].width = max(len(v) for v in labels.values()) + 4
    ws.column_dimensions["B"].width = max(12, min(120, max(
        (len(str(v)) for v in report.provenance.values()), default=10) + 2))


def write_xlsx(report: Report, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = report.lang
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    number_format = {INT: "0", PCT: "0.0", RATIO: "0.000"}
    for tb in report.tables:
        ws = wb.create_sheet(sheet_name(xml_safe(tb.name), taken))
        ws.append([_xlsx_cell(tb.title)])
        ws["A1"].font = Font(bold=True)
        if tb.base:
            ws.append([_xlsx_cell(t("base", lang, text=tb.base))])
        for note in tb.notes:
            ws.append([_xlsx_cell(t("warning", lang, text=note))])
        for remark in tb.remarks:
            ws.append([_xlsx_cell(t("note", lang, text=remark))])
        ws.append([])
        ws.append([_xlsx_cell(h) for h in tb.header])
        header_row = ws.max_row
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
        for row in tb.rows:
            ws.append([_xlsx_cell(v) for v in row])
            for cell, kind in zip(ws[ws.max_row], tb.kinds, strict=True):
                if kind in number_format and isinstance(cell.value, int | float):
                    cell.number_format = number_format[kind]
        ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
        _fit_columns(ws, tb, lang)
    if report.provenance:
        _provenance_sheet(wb, report, taken)
    try:
        wb.save(path)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None


def choose_format(fmt_name: str | None, path: Path | None) -> str | None:
    """``--format``, else the suffix of ``-o``; None means the terminal tables."""
    if fmt_name:
        if fmt_name not in FORMATS:
            raise InvalidInput(f"unknown format {fmt_name!r}", f"use one of {', '.join(FORMATS)}")
        return fmt_name
    if path is not None:
        found = SUFFIX_FORMATS.get(path.suffix.lower())
        if found is None:
            raise InvalidInput(f"cannot tell the format of {path.name}",
                               f"pass --format ({', '.join(FORMATS)})")
        return found
    return None


RENDERERS = {"csv": to_csv, "md": to_markdown, "tex": to_latex, "json": to_json}


def write_report(report: Report, fmt_name: str, path: Path | None,
                 excel: bool = False) -> str | None:
    """Write ``report`` to ``path``, or return its text for stdout (xlsx needs a path);
    ``excel`` is the csv for a French Excel."""
    if fmt_name == "xlsx":
        if path is None:
            raise InvalidInput("xlsx needs an output file", "pass -o tables.xlsx")
        write_xlsx(report, path)
        return None
    text = to_csv(report, excel=True) if excel else RENDERERS[fmt_name](report)
    if path is None:
        return text
    try:
        path.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None
    return None
