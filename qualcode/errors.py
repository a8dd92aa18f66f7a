"""One exception family for everything a user can get wrong.

Each error carries the message (what is wrong) and a hint (how to fix it). The CLI prints them
as one line on stderr and exits 1; a notebook user catches :class:`QualcodeError`.
"""

from __future__ import annotations


class QualcodeError(Exception):
    """Base class: ``message`` says what is wrong, ``hint`` how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFound(QualcodeError):
    """An unknown document, segment, code, agent, coder or memo."""


class AlreadyExists(QualcodeError):
    """A name that must be unique is taken."""


class InvalidInput(QualcodeError):
    """A file or value that cannot be read as asked: wrong format, encoding, malformed content."""


class Conflict(QualcodeError):
    """The operation would lose or contradict data (codings on a replaced document, ...)."""


class DatabaseError(QualcodeError):
    """The database cannot be opened, is locked too long, or is from a newer qualcode."""


UNICODE_HINT = "save the file as UTF-8, or pass --encoding latin-1 / cp1252"
BINARY_HINT = ("qualcode reads .txt, .md, .docx, .odt, .rtf, .pdf, .html, .vtt, .srt, .trs, "
               ".xml/.tei (TEI) and .TextGrid files")
UNKNOWN_CODE_HINT = "see `qualcode codebook show` for the code names"
UNKNOWN_DOC_HINT = "see `qualcode docs list` for the document names"


def one_line(text: str) -> str:
    """``text`` on one line: an error is one line on stderr, whatever a library put in it."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def describe_unexpected(exc: BaseException) -> str:
    """What a user can report about an error qualcode did not foresee, on one line, without
    participants' words.

    A database error keeps the driver's first line (SQLAlchemy would append the statement,
    `[SQL: INSERT ...]`, and PostgreSQL a DETAIL line with the values). Any other error keeps
    only its type and the place in qualcode where it happened: messages of libraries quote
    their input (openpyxl's IllegalCharacterError quotes the whole cell).
    """
    name = type(exc).__name__
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
        return f"{name}: {lines[0]}" if lines else name
    return f"{name} at {_where_raised(exc)}"


def _where_raised(exc: BaseException) -> str:
    """``qualcode/x/y.py:LINE``: the innermost frame of qualcode's own code."""
    from pathlib import Path

    package = Path(__file__).resolve().parent
    place = "an unknown place"
    tb = exc.__traceback__
    while tb is not None:
        path = Path(tb.tb_frame.f_code.co_filename)
        if package in path.parents:
            place = f"qualcode/{path.relative_to(package).as_posix()}:{tb.tb_lineno}"
        tb = tb.tb_next
    return place
