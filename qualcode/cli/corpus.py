"""`init`, `docs ...` and `agents ...`: the corpus and its participants."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from .common import JsonOpt, backup_before, console, escape, info, print_json, session

docs_app = typer.Typer(help="List, show and remove documents.", no_args_is_help=True)
agents_app = typer.Typer(help="Participants (agents) and their profile attributes.",
                         no_args_is_help=True)


def init() -> None:
    """Create the corpus database (harmless if it exists).

    Example: qualcode --db these.db init
    """
    from ..db import SCHEMA_REVISION, display_url
    from .common import database

    db = database(create=True)
    info(f"Corpus ready at {display_url(db.url)} (schema {SCHEMA_REVISION}).")


@docs_app.command("list")
def docs_list(
    set_: Annotated[str | None, typer.Option(
        "--set", metavar="SET",
        help="Only the documents of this document set (from an imported project).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """List documents with their kind, segments, words, agents and sets.

    Example: qualcode docs list --set "Entretiens de mars" --json
    """
    from ..reads import document_list
    from .common import read_corpus

    with read_corpus() as r:
        rows = document_list(r, set_)
    if json_:
        print_json([{k: r[k] for k in ("name", "kind", "segments", "words", "agents", "sets")}
                    for r in rows])
        return
    from rich.table import Column, Table

    # Names are what users type next (`docs show`, DOC:N): never cut them with an ellipsis.
    with_sets = any(r["sets"] for r in rows)
    table = Table(Column("document", no_wrap=True), "kind", "segments", "words", "agents",
                  "encoding", *(["sets"] if with_sets else []))
    for r in rows:
        table.add_row(escape(r["name"]), r["kind"], str(r["segments"]), str(r["words"]),
                      escape(", ".join(r["agents"])), r["encoding"],
                      *([escape(", ".join(r["sets"]))] if with_sets else []))
    console().print(table)
    info(f"{len(rows)} documents")


@docs_app.command("show")
def docs_show(
    document: Annotated[str, typer.Argument(
        help="Document name (see `docs list`), or DOC:N for segment N alone.")],
    json_: JsonOpt = False,
) -> None:
    """Show a document segment by segment, with speakers, agents and codes.

    Example: qualcode docs show entretien_01.txt (or entretien_01.txt:5 for one segment)
    """
    from ..corpus.documents import document_ref, show_document

    with session() as s:
        doc, n = document_ref(s, document)
        data = show_document(s, doc.name)
    if n is not None:  # DOC:N: that segment, with the document's heading
        data["segments"] = [seg for seg in data["segments"] if seg["n"] == n]
    if json_:
        print_json(data)
        return
    out = console()
    agents = ", ".join(data["agents"]) or "none"
    out.print(f"[bold]{escape(data['name'])}[/] ({data['kind']}, {data['words']} words, "
              f"{len(data['segments'])} segments, agents: {escape(agents)})")
    for seg in data["segments"]:
        who = seg["speaker"] or ""
        if seg["interviewer"]:
            who += " (interviewer)"
        elif seg["agent"]:
            who = f"{who} → {seg['agent']}" if seg["agent"] != seg["speaker"] else who
        stamp = f" [{_clock(seg['time_start'])}]" if seg["time_start"] is not None else ""
        codes = f"  [magenta]{escape(' · '.join(seg['codes']))}[/]" if seg["codes"] else ""
        out.print(f"\n[bold cyan]{seg['n']:>3}[/]{stamp} [bold]{escape(who)}[/]{codes}")
        out.print(escape(seg["text"]), soft_wrap=False)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


@docs_app.command("remove")
def docs_remove(
    document: Annotated[str, typer.Argument(help="Document name.")],
    force: Annotated[bool, typer.Option(
        help="Also delete the document's codings and memos (a backup is made first).")] = False,
) -> None:
    """Remove a document (refused while it has codings or memos, unless --force).

    The removal is in `qualcode history` but cannot be undone: the text is gone (restore the
    backup made before it instead).

    Example: qualcode docs remove notes_brouillon.txt
    """
    from ..corpus.coders import default_coder
    from ..corpus.documents import delete_document

    guard = backup_before("docs remove --force") if force else nullcontext()
    with guard, session(write=True) as s:
        lost = delete_document(s, document, force=force, coder=default_coder())
    parts = [f"{n} {what}" for what, n in lost.items() if n]
    info(f"Removed {document}" + (f" and its {' and '.join(parts)}." if parts else "."))


@agents_app.command("import")
def agents_import(
    file: Annotated[Path, typer.Argument(help="CSV with a `name` (or `nom`) column.")],
    name_column: Annotated[str | None, typer.Option(
        "--name-column", metavar="COL", help="The column of agent names (default: `name` or "
        "`nom`).")] = None,
    name_template: Annotated[str | None, typer.Option(
        "--name-template", metavar="TEMPLATE",
        help='Build each name from columns, e.g. "{prenom} {nom}" (when surnames are '
        "shared).")] = None,
    speaker_column: Annotated[str | None, typer.Option(
        "--speaker-column", metavar="COL",
        help="The column holding the label of the agent's turns in transcripts (stored as "
        "the attribute `speaker`).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Add or update agents from a CSV: every column other than the name is an attribute.

    Example: qualcode agents import participants.csv --name-template "{prenom} {nom}"
    --speaker-column locuteur
    """
    from ..bundled import resolve_demo_path
    from ..corpus.agents import import_agents

    file, note = resolve_demo_path(file)
    if note:
        info(note)
    with session(write=True, create=True) as s:
        result = import_agents(s, file, name_column=name_column, name_template=name_template,
                               speaker_column=speaker_column)
    if json_:
        print_json(result)
        return
    info(f"Agents: {len(result['added'])} added, {len(result['updated'])} updated.")
    if result["unknown_speakers"]:
        info("Speakers that match no agent (add them to the CSV to link their turns): "
             + ", ".join(result["unknown_speakers"]))


@agents_app.command("list")
def agents_list(json_: JsonOpt = False) -> None:
    """List agents with their attributes.

    Example: qualcode agents list --json
    """
    from ..corpus.agents import list_agents

    with session() as s:
        rows = list_agents(s)
    if json_:
        print_json([{"name": r["name"], "attributes": r["attributes"]} for r in rows])
        return
    from rich.table import Table

    keys = sorted({k for r in rows for k in r["attributes"]})
    table = Table("agent", *keys, "documents")
    for r in rows:
        table.add_row(escape(r["name"]), *(escape(r["attributes"].get(k, "")) for k in keys),
                      str(len(r["documents"])))
    console().print(table)


@agents_app.command("show")
def agents_show(
    name: Annotated[str, typer.Argument(help="Agent name (case and accents do not matter).")],
    json_: JsonOpt = False,
) -> None:
    """Show one agent: attributes and documents.

    Example: qualcode agents show "Hélène"
    """
    from ..corpus.agents import get_agent, list_agents

    with session() as s:
        agent = get_agent(s, name)
        row = next(r for r in list_agents(s) if r["name"] == agent.name)
    if json_:
        print_json(row)
        return
    out = console()
    out.print(f"[bold]{escape(row['name'])}[/]")
    for key, value in row["attributes"].items():
        out.print(f"  {escape(key)}: {escape(value)}")
    out.print(f"  documents: {escape(', '.join(row['documents']) or 'none')}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(docs_app, name="docs")
    app.add_typer(agents_app, name="agents")
