"""Entry point: the top-level Typer app, the global `--db` option and the error boundary."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import admin, analysis, codebook, coding, corpus, demo, ingest, refi, suggest, team
from .common import STATE, err_console


class QualcodeGroup(TyperGroup):
    """Turns qualcode's own errors into one line on stderr and exit code 1.

    Unexpected errors also become one line (set QUALCODE_DEBUG=1 for the traceback): a
    traceback's locals could print participants' words into a terminal or a log.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # `--db` is a global option, but researchers also type it after the command
        # (`qualcode docs list --db these.db`): move it to the front.
        return super().parse_args(ctx, _db_first(args))

    def invoke(self, ctx: Any) -> Any:
        from ..errors import QualcodeError

        try:
            return super().invoke(ctx)
        except QualcodeError as exc:
            if os.environ.get("QUALCODE_DEBUG") == "1":
                raise
            hint = f" ({exc.hint})" if exc.hint else ""
            err_console().print(f"Error: {exc.message}{hint}", markup=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("QUALCODE_DEBUG") == "1" or _is_usage_error(exc):
                raise
            friendly = _friendly(exc)
            if friendly is not None:  # read-only file, full disk, I/O error, lock...
                err_console().print(f"Error: {friendly}", markup=False, soft_wrap=True)
                raise typer.Exit(1) from None
            err_console().print(
                f"Error: unexpected {type(exc).__name__}: {exc} "
                "(nothing was saved by this command; set QUALCODE_DEBUG=1 to see the traceback "
                "and report it)", markup=False, soft_wrap=True)
            raise typer.Exit(1) from None


def _db_first(args: list[str]) -> list[str]:
    """Arguments with every `--db VALUE` / `--db=VALUE` moved before the command."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg == "--db" and i + 1 < len(args):
            front += args[i:i + 2]
            i += 2
            continue
        if arg.startswith("--db="):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _friendly(exc: Exception) -> Any:
    """The one-line DatabaseError for a database or file-system failure, or None."""
    if not isinstance(exc, OSError) and "sqlalchemy" not in type(exc).__module__ \
            and "sqlite3" not in type(exc).__module__:
        return None  # do not import SQLAlchemy for unrelated errors
    from ..db import friendly_error, resolve_url

    return friendly_error(exc, resolve_url(STATE.db))


def _is_usage_error(exc: Exception) -> bool:
    return type(exc).__module__.startswith("typer")


app = typer.Typer(
    cls=QualcodeGroup,
    name="qualcode",
    help="Qualitative research at the terminal: ingest French interviews and fieldnotes, "
    "code them against a codebook with spaCy-assisted suggestions, and export the tables "
    "a thesis needs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"qualcode {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    db: Annotated[
        str | None,
        typer.Option("--db", envvar="QUALCODE_DB",
                     help="Corpus database: a path (SQLite) or a SQLAlchemy URL "
                     "(postgresql+psycopg://...). Default: ./qualcode.db"),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Print the version and exit.")
    ] = False,
) -> None:
    STATE.db = db


for module in (corpus, ingest, codebook, coding, suggest, analysis, demo, refi, admin, team):
    module.register(app)


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err_console().print("Interrupted: the current change was not saved.", markup=False)
        sys.exit(130)
