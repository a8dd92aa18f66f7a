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
BINARY_HINT = "qualcode reads .txt, .md, .docx, .odt, .vtt, .srt and .trs files"
UNKNOWN_CODE_HINT = "see `qualcode codebook show` for the code names"
UNKNOWN_DOC_HINT = "see `qualcode docs list` for the document names"


def one_line(text: str) -> str:
    """``text`` on one line: an error is one line on stderr, whatever a library put in it."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def describe_unexpected(exc: BaseException) -> str:
    """``Type: first line`` of an error qualcode did not foresee.

    SQLAlchemy appends the statement (`[SQL: INSERT ...]`) and a link to its messages: only
    the driver's own first line is kept, so no SQL, and no part of what was being written,
    reaches a terminal or a log.
    """
    orig = getattr(exc, "orig", None)
    source = orig if isinstance(orig, BaseException) else exc
    lines = [line.strip() for line in str(source).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    name = type(exc).__name__
    return f"{name}: {first}" if first else name
