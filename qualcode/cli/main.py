"""Entry point: the top-level Typer app, the global `--db` option and the error boundary."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperGroup

from . import admin, analysis, codebook, coding, corpus, demo, ingest, refi, suggest, team
from .common import STATE, err_console, safe_streams


class QualcodeGroup(TyperGroup):
    """Turns qualcode's own errors into one line on stderr and exit code 1.

    Unexpected errors also become one line (set QUALCODE_DEBUG=1 for the traceback): a
    traceback's locals could print participants' words into a terminal or a log.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name_metavars(self)

    def _main_shell_completion(self, ctx_args: Any, prog_name: str,
                               complete_var: str | None = None) -> None:
        # Typer's completion entry point: attach the corpus completers only when the shell
        # asks for completions, so an ordinary command pays nothing for them.
        var = complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper()
        if os.environ.get(var):
            attach_completers(self)
        super()._main_shell_completion(ctx_args, prog_name, complete_var)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # `--db` is a global option, but researchers also type it after the command
        # (`qualcode docs list --db these.db`): move it to the front.
        return super().parse_args(ctx, _db_first(args))

    def invoke(self, ctx: Any) -> Any:
        from ..errors import QualcodeError, describe_unexpected, one_line

        # the command's words, read before click consumes them: what Ctrl-C interrupted
        words = [w for w in [*getattr(ctx, "_protected_args", []), *ctx.args][:2]
                 if not w.startswith("-")]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            if os.environ.get("QUALCODE_DEBUG") == "1":
                raise
            # click would print "Aborted!" and exit 1: say what the interruption kept instead
            err_console().print(f"Interrupted: {interrupted(words)}", markup=False,
                                soft_wrap=True)
            raise typer.Exit(130) from None
        except QualcodeError as exc:
            if os.environ.get("QUALCODE_DEBUG") == "1":
                raise
            hint = f" ({exc.hint})" if exc.hint else ""
            err_console().print(one_line(f"Error: {exc.message}{hint}"), markup=False,
                                soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if os.environ.get("QUALCODE_DEBUG") == "1" or _is_usage_error(exc):
                raise
            friendly = _friendly(exc)
            if friendly is not None:  # read-only file, full disk, I/O error, lock...
                err_console().print(one_line(f"Error: {friendly}"), markup=False,
                                    soft_wrap=True)
                raise typer.Exit(1) from None
            err_console().print(
                f"Error: unexpected {describe_unexpected(exc)} "
                "(nothing was saved by this command; set QUALCODE_DEBUG=1 to see the traceback "
                "and report it)", markup=False, soft_wrap=True)
            raise typer.Exit(1) from None


# --- help metavars ----------------------------------------------------------------------------
# Typer labels a value by its Python type (`--code <list[str]>`, `ref <str>`); a researcher
# needs to know what to type: a code name, a document, a segment DOC:N, a file.
METAVARS = {
    "agent": "AGENT", "code": "CODE", "codes": "CODE", "coder": "CODER", "colour": "COLOUR",
    "count": "N", "description": "TEXT", "doc": "DOC", "document": "DOC", "documents": "DOC",
    "encoding": "ENCODING", "file": "FILE", "folder": "FOLDER", "format_": "FORMAT",
    "from_": "DB", "interviewer": "LABEL", "keyword": "WORD", "kind": "KIND", "limit": "N",
    "match": "WORDS", "min_score": "SCORE", "name": "CODE", "new": "FILE", "old": "FILE",
    "output": "FILE", "parent": "CODE", "ref": "DOC:N", "retrain_every": "N", "source": "CODE",
    "span": "START:END", "start": "N", "target": "CODE", "text": "WORDS", "title": "TEXT",
    "to": "DB", "where": "KEY=VALUE", "entry": "ID",
}
METAVARS_OF = {  # (command path, parameter) where the name alone says something else
    ("docs show", "document"): "DOC[:N]",
    ("agents show", "name"): "AGENT",
    ("codebook rename", "old"): "CODE",
    ("codebook rename", "new"): "CODE",
    ("memo add", "target"): "TARGET",
    ("memo list", "target"): "TARGET",
    ("memo add", "text"): "TEXT",
}


def name_metavars(group: Any, path: tuple[str, ...] = ()) -> None:
    """Give every value parameter in the tree of ``group`` a metavar saying what to type."""
    for name, command in getattr(group, "commands", {}).items():
        where = (*path, name)
        name_metavars(command, where)
        for param in getattr(command, "params", []):
            if param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = METAVARS_OF.get((" ".join(where), param.name)) or \
                    METAVARS.get(param.name)
            if isinstance(param, TyperArgument) and param.metavar is not None:
                param.__class__ = _NamedArgument


class _NamedArgument(TyperArgument):
    """An argument whose metavar says what it is: no `<str>` type label after it."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


# What Ctrl-C leaves behind, by command: every command writes in transactions, so the answer
# is known in advance.
NOTHING_IMPORTED = "nothing was imported; the corpus is as it was before the command"
INTERRUPTED = {
    "ingest": "the files ingested before it are saved (one transaction per file), the one "
              "being read is not; run the same command again to finish (files already in "
              "are skipped as unchanged)",
    "suggest": "the analyses and suggestions of the chunks already done were stored, no "
               "coding ever; run `qualcode suggest` again to finish",
    "review": "every decision made before it is saved",
    "code session": "every decision made before it is saved",
    "code import": NOTHING_IMPORTED,
    "agents import": NOTHING_IMPORTED,
    "codebook import": NOTHING_IMPORTED,
    "import qdpx": NOTHING_IMPORTED,
}


def interrupted(words: list[str]) -> str:
    """What was saved when Ctrl-C stopped the command ``words`` (its first words)."""
    if words[:1] == ["code"] and words[1:] and words[1] not in ("apply", "remove", "import",
                                                                "export"):
        words = ["code", "session"]  # `qualcode code DOC`
    for n in (2, 1):
        said = INTERRUPTED.get(" ".join(words[:n]))
        if said is not None:
            return said
    return "the change in progress was not saved; the corpus is as it was before it"


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
    add_completion=True,
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
    safe_streams()


for module in (corpus, ingest, codebook, coding, suggest, analysis, demo, refi, admin, team):
    module.register(app)


# --- shell completion -------------------------------------------------------------------------
# `qualcode --install-completion` (Typer's) installs a script that runs qualcode with
# _QUALCODE_COMPLETE set; the completers below then offer what the corpus holds (--db,
# QUALCODE_DB or ./qualcode.db). A completion must answer at once and never change anything:
# a SQLite corpus is read with the standard sqlite3 module (importing SQLAlchemy alone would
# take the whole time budget), never created nor upgraded, and any problem means no
# completions rather than an error in the middle of the user's command line.

_QUERIES = {
    "documents": "SELECT name FROM document ORDER BY name",
    "codes": "SELECT name FROM code ORDER BY name",
    "keys": "SELECT DISTINCT key FROM agent_attribute ORDER BY key",
    "values": "SELECT DISTINCT value FROM agent_attribute WHERE key = ? ORDER BY value",
    "coders": "SELECT name FROM coder ORDER BY name",
    "agents": "SELECT name FROM agent ORDER BY name",
}

# (command path, parameter name) -> what its values name; "*" is any command.
COMPLETED: dict[tuple[str, str], str] = {
    ("docs show", "document"): "documents",
    ("docs remove", "document"): "documents",
    ("code session", "document"): "documents",
    ("code apply", "ref"): "refs",
    ("code remove", "ref"): "refs",
    ("segments", "doc"): "documents",
    ("suggest", "documents"): "documents",
    ("code apply", "codes"): "codes",
    ("code remove", "code"): "codes",
    ("segments", "code"): "codes",
    ("suggest", "code"): "codes",
    ("review", "code"): "codes",
    ("cooccurrence", "codes"): "codes",
    ("crosstab", "codes"): "codes",
    ("agreement", "codes"): "codes",
    ("codebook add", "parent"): "codes",
    ("codebook rename", "old"): "codes",
    ("codebook move", "name"): "codes",
    ("codebook move", "parent"): "codes",
    ("codebook merge", "source"): "codes",
    ("codebook merge", "target"): "codes",
    ("codebook delete", "name"): "codes",
    ("segments", "where"): "where",
    ("cooccurrence", "by"): "keys",
    ("crosstab", "by"): "keys",
    ("agreement", "coders"): "coders",
    ("*", "coder"): "coders",
    ("agents show", "name"): "agents",
    ("memo add", "target"): "targets",
    ("memo list", "target"): "targets",
}

# Memo targets: the kind first, then the names of that kind (segment:DOC: then its number).
_TARGETS = {"code": "codes", "doc": "documents", "segment": "documents", "agent": "agents"}


def corpus_values(ctx: Any, what: str, *params: str) -> list[str]:
    """The values a completion offers, read from the corpus; [] when anything is amiss."""
    try:
        db = (ctx.find_root().params.get("db") or os.environ.get("QUALCODE_DB")
              or "qualcode.db")
        if "://" not in db or db.startswith("sqlite:///"):
            import sqlite3

            path = Path(db.removeprefix("sqlite:///")).expanduser()
            if not path.is_file():
                return []
            # mode=rw never creates a file; query_only refuses any write.
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True,
                                   timeout=0.2)
            try:
                conn.execute("PRAGMA query_only = 1")
                return [str(row[0]) for row in conn.execute(_QUERIES[what], params)]
            finally:
                conn.close()
        # A server: a short connect timeout, so an unreachable one costs a pause, not a hang.
        from sqlalchemy import create_engine, text

        engine = create_engine(db, connect_args={"connect_timeout": 2})
        try:
            with engine.connect() as conn:
                rows = conn.execute(text(_QUERIES[what].replace("?", ":value")),
                                    {"value": params[0]} if params else {})
                return [str(row[0]) for row in rows]
        finally:
            engine.dispose()
    except Exception:
        return []


def _folded(text: str) -> str:
    """Case and accents aside: `discredit` completes to `discrédit`."""
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold())
                   if not unicodedata.combining(c))


def _shell_word(value: str) -> str:
    # Bash inserts a completion as typed text: a code name with spaces must come quoted
    # (accented letters need no quotes).
    if os.environ.get("_QUALCODE_COMPLETE", "").endswith("_bash") and any(
            c.isspace() or c in "'\"\\$`!&|;<>()*?[]{}#~" for c in value):
        import shlex

        return shlex.quote(value)
    return value


def completer(what: str) -> Callable[[Any, Any, str], list[str]]:
    """A click shell_complete callback offering the corpus's ``what``."""

    def complete(ctx: Any, _param: Any, incomplete: str) -> list[str]:
        if what == "where" and "=" in incomplete:  # KEY=VALUE: the values of that key
            key = incomplete.split("=", 1)[0]
            values = [f"{key}={v}" for v in corpus_values(ctx, "values", key)]
        elif what == "where":
            values = [f"{k}=" for k in corpus_values(ctx, "keys")]
        elif what == "refs":  # DOC:N
            values = [f"{d}:" for d in corpus_values(ctx, "documents")]
        elif what == "targets" and incomplete.split(":", 1)[0] in _TARGETS:
            kind = incomplete.split(":", 1)[0]
            end = ":" if kind == "segment" else ""
            values = [f"{kind}:{v}{end}" for v in corpus_values(ctx, _TARGETS[kind])]
        elif what == "targets":
            values = ["project", *(f"{kind}:" for kind in _TARGETS)]
        else:
            values = corpus_values(ctx, what)
        prefix = _folded(incomplete)
        return [_shell_word(v) for v in values if _folded(v).startswith(prefix)]

    return complete


def attach_completers(group: Any, path: tuple[str, ...] = ()) -> None:
    """Give the parameters of COMPLETED their completer, in the command tree of ``group``."""
    for name, command in getattr(group, "commands", {}).items():
        where = (*path, name)
        attach_completers(command, where)
        for param in getattr(command, "params", []):
            what = COMPLETED.get((" ".join(where), param.name)) or COMPLETED.get(
                ("*", param.name))
            if what is not None:
                # What click's own `shell_complete=` argument sets.
                param._custom_shell_complete = completer(what)


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err_console().print("Interrupted: the current change was not saved.", markup=False)
        sys.exit(130)
