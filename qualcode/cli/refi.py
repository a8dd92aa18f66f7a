"""`export ...` and `import ...`: whole-project exchange (REFI-QDA .qdpx).

`export_app` and `import_app` are module-level groups so other formats can add subcommands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .common import CoderOpt, JsonOpt, backup_before, info, print_json, session

export_app = typer.Typer(help="Export the whole project to another tool's format.",
                         no_args_is_help=True)
import_app = typer.Typer(help="Import a whole project from another tool.", no_args_is_help=True)


@export_app.command("qdpx")
def export_qdpx_cmd(
    file: Annotated[Path, typer.Argument(help="The .qdpx file to write (replaced if it exists).")],
    positions: Annotated[str, typer.Option(
        "--positions", metavar="codepoints|utf16",
        help="How selection positions count: codepoints (the standard, default) or utf16 "
             "(NVivo for Windows: UTF-16 code units, texts with CRLF line ends).")
    ] = "codepoints",
    json_: JsonOpt = False,
) -> None:
    """Export documents, codebook, codings, agents and memos as a REFI-QDA project.

    NVivo, ATLAS.ti, MAXQDA and QualCoder open it; GUIDs stay the same from one export to the
    next. For NVivo for Windows: qualcode export qdpx these.qdpx --positions utf16
    Example: qualcode export qdpx these.qdpx
    """
    from ..errors import InvalidInput
    from ..refi.exporter import POSITIONS, export_qdpx

    if positions not in POSITIONS:
        raise InvalidInput(f"unknown positions {positions!r}",
                           "use --positions codepoints (the standard) or utf16 (NVivo for "
                           "Windows)")
    with session() as s:
        result = export_qdpx(s, file, positions=positions)
    if json_:
        print_json(result)
        return
    info(f"Wrote {file}: {result['sources']} documents, {result['codes']} codes, "
         f"{result['codings']} codings, {result['cases']} cases, {result['notes']} memos.")


@import_app.command("qdpx")
def import_qdpx_cmd(
    file: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx).")],
    coder: CoderOpt = None,
    positions: Annotated[str, typer.Option(
        "--positions", metavar="auto|codepoints|utf16",
        help="How the file counts selection positions: auto (detected, default), codepoints "
             "or utf16 (NVivo for Windows).")
    ] = "auto",
    json_: JsonOpt = False,
) -> None:
    """Import a REFI-QDA project: documents, codebook, codings, cases and memos.

    Documents, codes and agents merge by name; selections that cannot be placed are listed.
    --coder names who made codings whose author the file does not give.
    Example: qualcode import qdpx terrain.qdpx
    """
    from ..errors import InvalidInput
    from ..refi.importer import POSITIONS, import_qdpx

    if positions not in POSITIONS:
        raise InvalidInput(f"unknown positions {positions!r}",
                           "use --positions auto, codepoints or utf16")
    with backup_before("import qdpx"), session(write=True, create=True) as s:
        report = import_qdpx(s, file, coder=coder, positions_told=positions)
    if json_:
        print_json(report)
        return
    _render(report)


def _render(report: dict[str, Any]) -> None:
    docs = report["documents"]
    status: dict[str, list[str]] = {}
    for d in docs:
        status.setdefault(d["status"], []).append(d["name"])
    codes = report.get("codes") or {}
    info(f"Imported {Path(report['file']).name} ({report['origin'] or 'unknown tool'}, "
         f"positions in {report['positions'] or 'code points'}).")
    for d in docs:
        line = f"  {d['name']}: {d['status']}, {d['segments']} segments, {d['codings']} codings"
        if d["status"].startswith("merged"):
            line += " (same text: codings added)"
        elif d["status"] == "renamed":
            line += f" (a different document is already called {d['source']!r})"
        info(line)
    if codes:
        info(f"Codes: {len(codes.get('added', []))} added, "
             f"{len(codes.get('updated', [])) + len(codes.get('unchanged', []))} merged by name"
             + (f", {len(codes['renamed'])} renamed (repeated names)"
                if codes.get("renamed") else "") + ".")
    agents = report["agents"]
    if agents["added"] or agents["merged"]:
        info(f"Agents: {len(agents['added'])} added, {len(agents['merged'])} merged by name"
             + (f" ({', '.join(agents['merged'])})" if agents["merged"] else "") + ".")
    c, m = report["codings"], report["memos"]
    info(f"Codings: {c['added']} added, {c['already_present']} already present. "
         f"Memos: {m['added']} added, {m['already_present']} already present.")
    for s in report["skipped_sources"]:
        info(f"Source not imported: {s['source']}: {s['reason']}")
    if report["unplaced"]:
        info(f"{len(report['unplaced'])} selections could not be placed:")
        for u in report["unplaced"]:
            span = f" {u['start']}-{u['end']}" if u["start"] is not None else ""
            info(f"  {u['source']}{span} {u['code'] or ''}: {u['reason']}")
    def documents(n: int) -> str:
        return f"{n} document{'' if n == 1 else 's'}"

    for name, members in report.get("document_sets", {}).items():
        info(f"Document set {name!r}: {documents(members)} (`qualcode docs list --set`).")
    for c in report.get("case_codes", []):
        info(f"Case {c['agent']!r} is what {c['code']!r} codes: linked to "
             f"{documents(c['documents'])}.")
    for line in report.get("not_imported", []):
        info(f"Not imported: {line}")
    for w in report["warnings"]:
        info(f"Warning: {w}")


def register(app: typer.Typer) -> None:
    """Add the `export` and `import` groups to the top-level app."""
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
