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
