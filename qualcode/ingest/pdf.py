"""PDF files (`.pdf`): the text layer, read with pypdf.

A PDF holds lines, not paragraphs: a paragraph ends at a line that closes a sentence and is
clearly shorter than the page's full lines (the last line of a justified paragraph), or before
an indented or blank line. Lines of one paragraph are then joined by the shared normalisation,
which repairs words cut by a hyphen at the line end (`néan-` / `moins`), also across a page
break. A page number alone on the first or last line of a page is dropped. Speaker labels
(`Enquêtrice : ...`) make turns as in a text file.

A PDF without a text layer (a scan) is refused: OCR has to make the text first.
"""

from __future__ import annotations

import logging
import re

from ..errors import InvalidInput
from .base import Parsed
from .normalise import clean
from .turns import segment_text

OCR_HINT = "run OCR first (e.g. `ocrmypdf scan.pdf texte.pdf`), or export the text as .txt"
_PAGE_NUMBER = re.compile(r"[-–—\s]*(?:page\s+)?\d{1,4}(?:\s*/\s*\d{1,4})?[-–—\s]*", re.I)
_SENTENCE_END = re.compile(r"[.!?…:»”)]$")
SHORT_LINE = 0.8  # of the page's full line length: a shorter line ending a sentence ends it


def read(data: bytes, *, what: str, encoding: str | None = None,
         interviewers: tuple[str, ...] = (), fmt: str = "pdf",
         names: tuple[str, ...] = ()) -> Parsed:
    pages, problems = extract_pages(data, what)
    if not any(page.strip() for page in pages):
        raise InvalidInput(f"{what} has no text layer (a scanned PDF?)", OCR_HINT)
    raw = paragraphs(pages)
    text, segments = segment_text(raw, interviewers, names=names)
    # The text layer is Unicode whatever the file's fonts: the stored text is UTF-8 like
    # a word processor's.
    parsed = Parsed(text, segments, fmt, "utf-8", {"pages": len(pages)})
    if problems:
        parsed.warnings.append(f"the PDF is damaged ({problems[0]}): its text may be "
                               "incomplete; save or print it again as PDF")
    empty = [n for n, page in enumerate(pages, 1) if not page.strip()]
    if empty:
        parsed.warnings.append(
            f"{len(empty)} of {len(pages)} pages have no text layer (pages "
            f"{', '.join(map(str, empty[:10]))}{'…' if len(empty) > 10 else ''}): their "
            "text, if any, is missing; run OCR on them")
    return parsed


class _Problems(logging.Handler):
    """Collects what pypdf logs about a damaged file, instead of printing it."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def extract_pages(data: bytes, what: str) -> tuple[list[str], list[str]]:
    """The text of each page, as pypdf lays it out, and pypdf's complaints about the file."""
    import io
    import warnings

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    logger = logging.getLogger("pypdf")
    handler, propagate = _Problems(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise InvalidInput(f"{what} is protected by a password",
                                   "save an unprotected copy of the PDF, then ingest it")
            pages = [clean(page.extract_text() or "") for page in reader.pages]
        return pages, handler.messages
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError,
            IndexError, RecursionError, NotImplementedError) as exc:
        raise InvalidInput(f"{what} is not a readable PDF ({exc})",
                           "open it and save or print it again as PDF") from None
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _is_page_number(line: str) -> bool:
    return bool(line) and _PAGE_NUMBER.fullmatch(line) is not None


def paragraphs(pages: list[str]) -> str:
    """Page texts -> text with a blank line between paragraphs (see the module docstring)."""
    out: list[str] = []
    for page in pages:
        lines = [line.rstrip() for line in page.split("\n")]
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if lines and _is_page_number(lines[0].strip()):
            lines.pop(0)
        if lines and _is_page_number(lines[-1].strip()):
            lines.pop()
        if not lines:
            continue
        lengths = sorted(len(line.strip()) for line in lines if line.strip())
        full = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 3 else 0
        for line in lines:
            stripped = line.strip()
            if not stripped:
                _blank(out)
                continue
            if line[:1].isspace() and out and out[-1]:  # an indented first line
                _blank(out)
            out.append(stripped)
            if full and len(stripped) < SHORT_LINE * full and _SENTENCE_END.search(stripped):
                _blank(out)
        if out and out[-1] and _SENTENCE_END.search(out[-1]):
            _blank(out)  # a page ending a sentence ends its paragraph
    return "\n".join(out).strip("\n")


def _blank(out: list[str]) -> None:
    if out and out[-1]:
        out.append("")
