"""`code ...`, `segments`, `memo ...`, `history` and `undo`: coding at the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .common import CoderOpt, JsonOpt, console, escape, info, print_json, session


class CodeGroup(TyperGroup):
    """`qualcode code DOC` opens the interactive session: a first word that is not a
    subcommand (nor an option) is taken as a document name for the hidden `session`."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["session", *args]
        return super().resolve_command(ctx, args)


code_app = typer.Typer(
    cls=CodeGroup, no_args_is_help=True,
    help="Apply, remove, import and export codings; `qualcode code DOC` codes a document "
    "interactively.")
memo_app = typer.Typer(help="Memos on the project, a code, a document, a segment or an agent.",
                       no_args_is_help=True)


@code_app.command("apply")
def code_apply(
    ref: Annotated[str, typer.Argument(help="Segment reference DOC:N (e.g. entretien_01.txt:4).")],
    codes: Annotated[list[str], typer.Argument(help="One or more code names.")],
    coder: CoderOpt = None,
    span: Annotated[str | None, typer.Option(
        help="Code only characters START:END of the segment text.")] = None,
    match: Annotated[str | None, typer.Option(
        help="Code only these exact words of the segment (first occurrence).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Apply codes to a segment, or to a span inside it.

    Example: qualcode code apply entretien_01.txt:4 discrédit --match "ils s'en fichent"
    """
    from ..coding.service import apply_codes

    with session(write=True) as s:
        report = apply_codes(s, ref=ref, codes=codes, coder=coder, span=span, match=match)
    if json_:
        print_json(report)
        return
    if report["note"]:
        info(f"Note: {report['note']}.")
    where = f"{report['document']}:{report['segment']}"
    if report["applied"]:
        info(f"Applied {', '.join(report['applied'])} to {where} ({report['coder']}).")
    if report["already"]:
        info(f"Already there: {', '.join(report['already'])} on {where}.")


@code_app.command("remove")
def code_remove(
    ref: Annotated[str, typer.Argument(help="Segment reference DOC:N.")],
    code: Annotated[str, typer.Argument(help="Code name.")],
    coder: CoderOpt = None,
) -> None:
    """Remove a coder's codings of a code from a segment (spans inside it included).

    Example: qualcode code remove entretien_01.txt:4 discrédit
    """
    from ..coding.service import remove_code

    with session(write=True) as s:
        report = remove_code(s, ref=ref, code=code, coder=coder)
    plural = "s" if report["removed"] > 1 else ""
    info(f"Removed {report['removed']} coding{plural} {report['code']} from "
         f"{report['document']}:{report['segment']} ({report['coder']}).")


@code_app.command("import")
def code_import(
    file: Annotated[Path, typer.Argument(
        help="CSV with columns document,segment,code[,coder] or document,start,end,code[,coder].")],
    coder: CoderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import codings from a CSV; a file with any bad line is refused whole.

    Example: qualcode code import codages.csv --coder hélène
    """
    from ..coding.csvio import import_codings_csv

    with session(write=True) as s:
        report = import_codings_csv(s, file, default_coder=coder)
    if json_:
        print_json(report)
        return
    info(f"Imported {report['added']} codings from {file} "
         f"({report['skipped_duplicates']} already present; coders: "
         f"{', '.join(report['coders']) or 'none'}).")


@code_app.command("export")
def code_export(
    file: Annotated[Path, typer.Argument(help="CSV file to write.")],
    coder: Annotated[str | None, typer.Option("--coder", "-c",
                                              help="Only this coder's codings.")] = None,
    spans: Annotated[bool, typer.Option(
        help="Always write start,end offsets (not only for partial codings).")] = False,
) -> None:
    """Export codings to a CSV that `code import` reads back.

    Example: qualcode code export codages.csv --coder hélène
    """
    from ..coding.csvio import export_codings_csv

    with session() as s:
        report = export_codings_csv(s, file, coder=coder, spans=spans)
    info(f"Wrote {report['codings']} codings to {file}.")


def history(
    limit: Annotated[int, typer.Option("-n", "--limit", help="How many changes to show.")] = 20,
    json_: JsonOpt = False,
) -> None:
    """Show the last changes to codings, codes and memos: who, when, what, undone or not.

    Example: qualcode history -n 50
    """
    from ..audit import history as audit_history

    with session() as s:
        rows = [{"id": e.id, "at": e.at.isoformat(timespec="seconds"), "coder": e.coder,
                 "action": e.action, "summary": e.summary, "command": e.command,
                 "undone": e.undone} for e in audit_history(s, limit)]
    if json_:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("#", "when", "who", "what", "undone")
    for r in rows:
        table.add_row(str(r["id"]), r["at"].replace("T", " ")[:19], escape(r["coder"]),
                      escape(r["summary"] or r["action"]), "yes" if r["undone"] else "")
    console().print(table)


def undo(
    count: Annotated[int, typer.Argument(min=1, help="How many changes to revert.")] = 1,
) -> None:
    """Revert the last change (or the last N) to codings, codes or memos, exactly.

    Example: qualcode undo 2
    """
    from ..audit import undo as audit_undo

    with session(write=True) as s:
        entries = audit_undo(s, count)
        lines = [e.summary or e.action for e in entries]
    out = console()
    for line in lines:
        out.print(f"Undone: {escape(line)}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.add_typer(code_app, name="code")
    app.command("history")(history)
    app.command("undo")(undo)
