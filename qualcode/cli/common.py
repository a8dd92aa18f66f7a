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
CoderOpt = Annotated[
    str | None,
    typer.Option("--coder", "-c", help="Coder name (default: $QUALCODE_CODER or your user name)."),
]


# The commands that bring data into a corpus, and so may create it when it does not exist
# yet (DESIGN.md, README). Every other command, reading or writing, says "no corpus database
# at PATH" instead: a mistyped --db must not create an empty corpus and report "nothing to
# undo" or "unknown document" about it. (init, ingest, demo and copy open their database
# themselves and also create it.)
CREATING_COMMANDS = frozenset({
    "init", "ingest", "codebook import", "agents import", "import qdpx", "demo", "copy",
})


def current_command() -> str:
    """The running subcommand as typed, e.g. ``codebook import`` ('' outside the CLI)."""
    try:  # typer vendors click; its context stack is the only record of the command path
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - a typer without the vendored click
        return ""
    ctx = get_current_context(silent=True)
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:  # the root is the program name
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def database(create: bool = True) -> Database:
    from ..db import open_db

    return open_db(STATE.db, create=create)


@contextmanager
def session(write: bool = False, create: bool | None = None) -> Iterator[Session]:
    """One transaction on the corpus.

    Only the commands in CREATING_COMMANDS (or a caller passing ``create=True``) create a
    missing SQLite corpus; every other one fails with "no corpus database at PATH".
    """
    if create is None:
        create = write and current_command() in CREATING_COMMANDS
    db = database(create=create)
    with db.session(write=write) as s:
        yield s


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


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
    info(f"Backup before {reason}: {path}")
