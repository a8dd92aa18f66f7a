"""Word processor files: `.docx` (python-docx) and `.odt` (odfpy).

Each paragraph of the file becomes a paragraph of text (blank-line separated), so a turn or
paragraph never depends on how the word processor wrapped its lines. Table rows are read in
place: a two-cell row `Claire | words` reads as `Claire : words`.
"""

from __future__ import annotations

import io

from ..errors import InvalidInput
from ..zipguard import NotAZip, check_office_zip
from .base import Parsed
from .turns import segment_text

BROKEN_HINT = "open it in a word processor and save it again, or export it as .txt"


def _row_text(cells: list[str]) -> str:
    cells = [" ".join(c.split()) for c in cells]
    cells = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]
    if len(cells) == 2 and len(cells[0]) <= 30 and not cells[0].endswith(":"):
        return f"{cells[0]} : {cells[1]}"
    return " ".join(cells)


def _check_zip(data: bytes, what: str, kind: str) -> None:
    """Zip bombs and DTDs are refused before the reader inflates or parses anything."""
    try:
        check_office_zip(data, what, BROKEN_HINT)
    except NotAZip:
        raise InvalidInput(f"{what} is not a readable {kind} file (not a zip archive)",
                           BROKEN_HINT) from None


def docx_paragraphs(data: bytes, what: str) -> list[str]:
    _check_zip(data, what, ".docx")
    try:
        import docx
        from docx.table import Table

        document = docx.Document(io.BytesIO(data))
        out: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                out.extend(_row_text([cell.text for cell in row.cells]) for row in block.rows)
            else:
                out.append(block.text)
    except Exception as exc:  # python-docx raises zip, XML and key errors on broken files
        raise InvalidInput(f"{what} is not a readable .docx file ({type(exc).__name__})",
                           BROKEN_HINT) from None
    return out


def odt_paragraphs(data: bytes, what: str) -> list[str]:
    _check_zip(data, what, ".odt")
    try:
        from odf import teletype
        from odf.namespaces import TABLENS, TEXTNS
        from odf.opendocument import load

        document = load(io.BytesIO(data))
        out: list[str] = []

        def walk(node) -> None:  # noqa: ANN001
            for child in node.childNodes:
                qname = getattr(child, "qname", None)
                if qname in ((TEXTNS, "p"), (TEXTNS, "h")):
                    out.append(teletype.extractText(child))
                elif qname == (TABLENS, "table-row"):
                    cells = [teletype.extractText(c) for c in child.childNodes
                             if getattr(c, "qname", None) == (TABLENS, "table-cell")]
                    out.append(_row_text(cells))
                elif getattr(child, "childNodes", None):
                    walk(child)

        walk(document.text)
    except Exception as exc:  # odfpy raises zip, XML and key errors on broken files
        raise InvalidInput(f"{what} is not a readable .odt file ({type(exc).__name__})",
                           BROKEN_HINT) from None
    return out


def _parsed(paragraphs: list[str], fmt: str, interviewers: tuple[str, ...],
            names: tuple[str, ...] = ()) -> Parsed:
    raw = "\n\n".join(p for p in paragraphs if p.strip())
    text, segments = segment_text(raw, interviewers, names=names)
    return Parsed(text, segments, fmt, "utf-8")


def read_docx(data: bytes, *, what: str, encoding: str | None = None,
              interviewers: tuple[str, ...] = (), fmt: str = "docx",
              names: tuple[str, ...] = ()) -> Parsed:
    return _parsed(docx_paragraphs(data, what), fmt, interviewers, names)


def read_odt(data: bytes, *, what: str, encoding: str | None = None,
             interviewers: tuple[str, ...] = (), fmt: str = "odt",
             names: tuple[str, ...] = ()) -> Parsed:
    return _parsed(odt_paragraphs(data, what), fmt, interviewers, names)
