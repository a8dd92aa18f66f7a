"""What every command module shares: the corpus option, output helpers, option aliases.

Kept light on purpose: importing this module (and so `qualcode --help`) must not import
SQLAlchemy, spaCy, numpy or matplotlib. Command bodies import the services they call.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from sqlmodel import Session

    from ..db import Database


class State:
    """Global options of the current invocation (set by the main callback)."""

    db: str | None = None


STATE = State()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")]
ExcelOpt = Annotated[bool, typer.Option(
    "--excel", help="CSV for a French Excel: UTF-8 with a byte-order mark, `;` separators.")]
CoderOpt = Annotated[
    str | None,
    typer.Option("--coder", "-c", help="Coder name (default: $QUALCODE_CODER or your user name)."),
]


def read_corpus() -> Any:
    """A light read transaction on --db (qualcode.reads), backing up an older corpus before
    its schema is upgraded, as every other command does."""
    from ..api import backup_before_upgrade
    from ..reads import reader

    return reader(STATE.db, before_upgrade=backup_before_upgrade)


def database(create: bool = True) -> Database:
    from ..api import open_db

    return open_db(STATE.db, create=create)


@contextmanager
def session(write: bool = False, create: bool = False) -> Iterator[Session]:
    """One transaction on the corpus.

    Only the commands that bring data into a corpus pass ``create=True`` (codebook import,
    agents import, import qdpx; init, ingest, demo and copy open their database themselves):
    every other one fails with "no corpus database at PATH", so a mistyped --db never creates
    an empty corpus and reports "nothing to undo" or "unknown document" about it.
    """
    db = database(create=create)
    with db.session(write=write) as s:
        yield s


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def speaks_unicode(stream: Any) -> bool:
    """Whether ``stream`` encodes every character (UTF-8, -16, -32)."""
    import codecs

    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name.startswith("utf")
    except LookupError:
        return False


def safe_streams() -> None:
    """On a terminal or pipe that cannot encode every character (PYTHONIOENCODING=ascii, a
    Latin-1 locale), show what it cannot as escapes instead of failing the whole command."""
    for stream in (sys.stdout, sys.stderr):
        if not speaks_unicode(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def print_json(data: Any) -> None:
    # \u escapes keep the JSON valid (and the same data) where the output is not Unicode.
    text = json.dumps(data, ensure_ascii=not speaks_unicode(sys.stdout), indent=2, default=str)
    sys.stdout.write(text + "\n")


def info(message: str) -> None:
    """A status line on stderr, so stdout stays clean for data."""
    err_console().print(message, markup=False, soft_wrap=True)  # paths stay whole


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


@contextmanager
def backup_before(reason: str) -> Iterator[None]:
    """Keep a copy of a SQLite corpus around a risky command's block, and say where it is.

    If the block fails, or succeeds without changing the database (a codebook imported
    twice), its copy is deleted and not announced, and older backups are kept: identical
    copies must not push the ones from before real changes out of the last ten.
    """
    from ..db import resolve_url, sqlite_path
    from ..maintenance import ChangeProbe, auto_backup, prune_auto_backups

    file = sqlite_path(resolve_url(STATE.db))
    if file is None or not file.exists():
        yield  # nothing to lose yet (or a server, which has its own backups)
        return
    db = database(create=False)
    corpus_size = file.stat().st_size
    path = auto_backup(db, reason, prune=False)
    probe = ChangeProbe(file) if path is not None else None
    try:
        yield
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    finally:
        changed = probe.changed() if probe is not None else False
        if probe is not None:
            probe.close()
    if path is None:
        return
    if not changed:
        path.unlink(missing_ok=True)
        return
    prune_auto_backups(db)
    size = path.stat().st_size
    packed = f", gzip of a {size_text(corpus_size)} corpus" if path.name.endswith(".gz") else ""
    info(f"Backup before {reason}: {path} ({size_text(size)}{packed})")


def size_text(size: int) -> str:
    """Bytes as a person reads them: 840 KB, 81 MB, 1.2 GB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 and unit == "GB" else f"{value:.0f} {unit}"
    return f"{size} bytes"
