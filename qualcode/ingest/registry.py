"""Which reader reads which file suffix, and reading a path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import BINARY_HINT, InvalidInput
from . import office, plain, subtitles, trs
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
}


def supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def reader_for(path: Path) -> tuple[Reader, str]:
    try:
        return READERS[path.suffix.lower()]
    except KeyError:
        suffix = path.suffix or "(none)"
        raise InvalidInput(
            f"{path.name}: unsupported file type {suffix}",
            f"supported: {', '.join(sorted(READERS))}; {BINARY_HINT}") from None


def parse_bytes(data: bytes, path: Path, *, encoding: str | None = None,
                interviewers: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> Parsed:
    """Bytes of ``path`` -> Parsed; empty or segment-less content is an error.

    ``names`` are the agents given for the file (speaker names a label may hold alone).
    """
    reader, fmt = reader_for(path)
    what = path.name
    if not data.strip():
        raise InvalidInput(f"{what} is empty", "check that the file was saved completely")
    parsed = reader(data, what=what, encoding=encoding, interviewers=interviewers, fmt=fmt,
                    names=names)
    if not parsed.segments:
        raise InvalidInput(f"{what} holds no text", "check that the file was saved completely")
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
              interviewers: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> Parsed:
    reader_for(path)
    data = read_file_bytes(path)
    return parse_bytes(data, path, encoding=encoding, interviewers=interviewers, names=names)
