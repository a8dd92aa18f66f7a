"""Which reader reads which file suffix, and reading a path."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..errors import BINARY_HINT, InvalidInput
from . import answers, htmlpage, office, pdf, plain, rtf, subtitles, tei, textgrid, trs, xmlfile
from .answers import Columns
from .base import Parsed

Reader = Callable[..., Parsed]
READERS: dict[str, tuple[Reader, str]] = {
    ".txt": (plain.read, "txt"),
    ".text": (plain.read, "txt"),
    ".md": (plain.read, "md"),
    ".markdown": (plain.read, "md"),
    ".docx": (office.read_docx, "docx"),
    ".odt": (office.read_odt, "odt"),
    ".vtt": (subtitles.read, "vtt"),
    ".srt": (subtitles.read_srt, "srt"),
    ".trs": (trs.read, "trs"),
    ".xml": (xmlfile.read, "xml"),
    ".tei": (tei.read, "tei"),
    ".textgrid": (textgrid.read, "textgrid"),
    ".pdf": (pdf.read, "pdf"),
    ".rtf": (rtf.read, "rtf"),
    ".html": (htmlpage.read, "html"),
    ".htm": (htmlpage.read, "html"),
}
# The opening of a markup file: an XML declaration, a doctype or a first element.
_MARKUP = re.compile(r"\A\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*"
                     r"(?:<!DOCTYPE\s+(?P<doctype>[\w.:-]+)|<(?P<root>[\w.:-]+)[\s>/])",
                     re.S | re.I)
MARKUP_SUFFIXES = {"tei": ".tei (or .xml)", "tei.2": ".tei (or .xml)", "teicorpus": ".tei",
                   "html": ".html", "trans": ".trs"}


def markup_warning(text: str, suffix: str) -> str | None:
    """A warning for a text file that holds markup (TEI, HTML, Transcriber XML): read as
    text, its tags would be coded as words."""
    m = _MARKUP.match(text[:2000])
    if m is None:
        return None
    root = (m.group("doctype") or m.group("root") or "").casefold()
    if m.group("root") and not text.lstrip().startswith("<?xml") and root not in MARKUP_SUFFIXES:
        return None  # `<Nom> : ...` or a stray tag is not enough to call the file markup
    better = MARKUP_SUFFIXES.get(root, ".xml")
    return (f"this {suffix} file looks like markup (<{m.group('doctype') or m.group('root')}>"
            f"): it was read as plain text, tags included; rename it to {better} to read "
            "its structure")


def supported(path: Path, tables: bool = False) -> bool:
    """Whether qualcode reads ``path``; a `.csv` only as survey answers (``tables``)."""
    suffix = path.suffix.lower()
    return suffix in READERS or (tables and suffix == ".csv")


def reader_for(path: Path, columns: Columns | None = None) -> tuple[Reader, str]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if columns is None:
            raise InvalidInput(
                f"{path.name} is a table: name the column of answers with --text-column COL",
                "survey answers: `qualcode ingest answers.csv --text-column reponse`; "
                "participants' profiles: `qualcode agents import FILE.csv`")
        return answers.read, "csv"
    try:
        return READERS[suffix]
    except KeyError:
        suffix = path.suffix or "(none)"
        raise InvalidInput(
            f"{path.name}: unsupported file type {suffix}",
            f"supported: {', '.join(sorted(READERS))}, .csv (with --text-column); "
            f"{BINARY_HINT}") from None


def parse_bytes(data: bytes, path: Path, *, encoding: str | None = None,
                interviewers: tuple[str, ...] = (), names: tuple[str, ...] = (),
                columns: Columns | None = None) -> Parsed:
    """Bytes of ``path`` -> Parsed; empty or segment-less content is an error.

    ``names`` are the agents given for the file (speaker names a label may hold alone);
    ``columns`` name the answer and id columns of a survey `.csv`.
    """
    reader, fmt = reader_for(path, columns)
    what = path.name
    if not data.strip():
        raise InvalidInput(f"{what} is empty", "check that the file was saved completely")
    if fmt == "csv":
        parsed = answers.read(data, what=what, columns=columns, encoding=encoding)
    else:
        parsed = reader(data, what=what, encoding=encoding, interviewers=interviewers,
                        fmt=fmt, names=names)
    if not parsed.segments:
        raise InvalidInput(f"{what} holds no text", "check that the file was saved completely")
    if fmt in ("txt", "md"):
        warning = markup_warning(parsed.text, path.suffix.lower())
        if warning:
            parsed.warnings.append(warning)
    return parsed


# The largest file read: a book-length transcript is a few MB; anything far larger is a dump
# or a mistake, refused before it is read so memory stays bounded.
MAX_FILE_BYTES = 64 * 1024 * 1024


def read_file_bytes(path: Path) -> bytes:
    """The bytes of an input file, refusing oversized files before reading them."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InvalidInput(
                f"{path.name} is {size / 1024 / 1024:,.0f} MB; qualcode reads files up to "
                f"{MAX_FILE_BYTES // 1024 // 1024} MB",
                "split it into several documents (one per interview or day of fieldwork)")
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None


def read_path(path: Path, *, encoding: str | None = None,
              interviewers: tuple[str, ...] = (), names: tuple[str, ...] = (),
              columns: Columns | None = None) -> Parsed:
    reader_for(path, columns)
    data = read_file_bytes(path)
    return parse_bytes(data, path, encoding=encoding, interviewers=interviewers, names=names,
                       columns=columns)
