"""`codebook ...`: import, export, show, edit and compare the codebook."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import (
    CoderOpt,
    JsonOpt,
    backup_before,
    console,
    escape,
    info,
    print_json,
    session,
)

if TYPE_CHECKING:
    from ..codebook.diff import CodebookDiff

app = typer.Typer(help="The codebook: import, export, show, edit, compare.",
                  no_args_is_help=True)

CodeArg = Annotated[str, typer.Argument(help="Code name (case does not matter).")]


def _codebook_file(path: Path) -> Path:
    """``path``, or the bundled codebook it names when there is no such file (said on stderr)."""
    from ..bundled import resolve_codebook

    resolved, note = resolve_codebook(path)
    if note:
        info(note)
    return resolved


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(
        help="A .yaml/.yml or REFI-QDA .qdc codebook, or the name of a bundled one "
        "(`qualcode codebook bundled` lists them).")],
    coder: CoderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Merge a codebook file into the corpus: new codes are added, codes with the same name
    (or GUID) are updated, nothing is deleted.

    Example: qualcode codebook import guichet
    """
    from ..codebook.service import import_codebook, read_codebook_file

    file = _codebook_file(file)
    book = read_codebook_file(file)
    with backup_before("codebook import"), session(write=True, create=True) as s:
        report = import_codebook(s, book, coder=coder)
    if json_:
        print_json(report.as_dict())
        return
    for old, new in report.renamed:
        info(f"Renamed repeated code {old!r} to {new!r}.")
    if report.previous_name:
        info(f"The corpus's codebook was called {report.previous_name!r}; it is now "
             f"{book.name!r} (`qualcode undo` puts the old name back).")
    title = f"{book.name} " if book.name else ""
    version = f"(version {book.version}) " if book.version else ""
    info(f"Codebook {title}{version}imported from {file.name}: {len(report.added)} added, "
         f"{len(report.updated)} updated, {len(report.unchanged)} unchanged.")


@app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="Output file: .yaml, .yml, .qdc, .md or .tex.")],
    lang: Annotated[str | None, typer.Option("--lang", metavar="fr|en", help="Labels of the "
        ".md and .tex renders (default: $QUALCODE_LANG, else en).")] = None,
) -> None:
    """Write the codebook; the format follows the suffix (.md and .tex: a thesis appendix).

    Example: qualcode codebook export annexe_codebook.tex
    """
    from ..codebook.service import EXPORT_SUFFIXES, export_codebook
    from ..errors import InvalidInput
    from ..i18n import lang_of

    language = lang_of(lang)
    if file.suffix.lower() not in EXPORT_SUFFIXES:
        raise InvalidInput(f"unknown codebook format {file.suffix or '(no suffix)'!r}",
                           f"use a file ending in {', '.join(EXPORT_SUFFIXES)}")
    with session() as s:
        result = export_codebook(s, file, language)
    info(f"Wrote {result['codes']} codes to {file}.")


@app.command("show")
def show(json_: JsonOpt = False) -> None:
    """Show the code tree with colours and counts of codings (own / with sub-codes).

    Example: qualcode codebook show --json
    """
    from ..codebook.service import codebook_tree

    with session() as s:
        rows = codebook_tree(s)
    if json_:
        print_json(rows)
        return
    _print_tree(rows)


def _print_tree(rows: list[dict[str, Any]]) -> None:
    from rich.tree import Tree

    root = Tree("[bold]codebook[/]")
    nodes: dict[str, Any] = {}
    for row in rows:
        style = row["colour"] or "default"
        counts = f"{row['codings']}"
        if row["codings_total"] != row["codings"]:
            counts += f" / {row['codings_total']}"
        label = f"[{style}]■[/] [bold]{escape(row['name'])}[/] [dim]({counts})[/]"
        if not row["codable"]:
            label += " [dim]category[/]"
        if row["description"]:
            first = row["description"].splitlines()[0]
            label += f" [dim]{escape(first[:70])}{'…' if len(first) > 70 else ''}[/]"
        parent = nodes.get(row["parent"]) if row["parent"] else root
        nodes[row["name"]] = (parent or root).add(label)
    console().print(root)
    info(f"{len(rows)} codes; counts are codings of the code / with its sub-codes")


@app.command("add")
def add(
    name: CodeArg,
    parent: Annotated[str | None, typer.Option("--parent", "-p", help="Parent code.")] = None,
    description: Annotated[str, typer.Option("--description", "-d",
                                             help="Definition of the code.")] = "",
    colour: Annotated[str | None, typer.Option("--colour", "--color",
                                               help="Colour as #RRGGBB.")] = None,
    keyword: Annotated[list[str] | None, typer.Option(
        "--keyword", "-k", help="Keyword for suggestions (repeat the option).")] = None,
    coder: CoderOpt = None,
) -> None:
    """Add a code (under --parent, or at the top level).

    Example: qualcode codebook add "contournement" --parent stratégies --colour "#1F618D"
    """
    from ..codebook.service import add_code

    with session(write=True) as s:
        code = add_code(s, name=name, parent=parent, description=description, colour=colour,
                        keywords=keyword or [], coder=coder)
        shown = code.name
    info(f"Added code {shown!r}" + (f" under {parent!r}." if parent else "."))


@app.command("rename")
def rename(old: CodeArg, new: Annotated[str, typer.Argument(help="New name.")],
           coder: CoderOpt = None) -> None:
    """Rename a code; its codings and GUID stay.

    Example: qualcode codebook rename "perte de sens" "perte du sens"
    """
    from ..codebook.service import rename_code

    with session(write=True) as s:
        before, after = rename_code(s, old=old, new=new, coder=coder)
    info(f"Renamed {before!r} to {after!r}.")


@app.command("move")
def move(
    name: CodeArg,
    parent: Annotated[str | None, typer.Option("--parent", "-p", help="New parent code.")] = None,
    top: Annotated[bool, typer.Option("--top", help="Move to the top level.")] = False,
    coder: CoderOpt = None,
) -> None:
    """Move a code under another one (--parent) or to the top level (--top).

    Example: qualcode codebook move "contournement" --parent stratégies
    """
    from ..codebook.service import move_code
    from ..errors import InvalidInput

    if parent is not None and top:
        raise InvalidInput("--parent and --top contradict each other", "pass only one of them")
    if parent is None and not top:
        raise InvalidInput("say where to move the code", "pass --parent CODE or --top")
    with session(write=True) as s:
        code = move_code(s, name=name, parent=None if top else parent, coder=coder)
        shown = code.name
    info(f"Moved {shown!r} " + (f"under {parent!r}." if parent else "to the top level."))


@app.command("merge")
def merge(
    source: Annotated[str, typer.Argument(help="Code that disappears.")],
    target: Annotated[str, typer.Argument(help="Code that receives its codings.")],
    coder: CoderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Merge code SOURCE into TARGET: codings, sub-codes and suggestions move, duplicates go.

    Example: qualcode codebook merge "ruse" "contournement"
    """
    from ..codebook.service import merge_codes

    with backup_before("codebook merge"), session(write=True) as s:
        report = merge_codes(s, source=source, target=target, coder=coder)
    if json_:
        print_json(report)
        return
    info(f"Merged {report['source']!r} into {report['target']!r}: {report['moved']} codings "
         f"moved, {report['duplicates']} duplicates dropped, {report['subcodes']} sub-codes "
         "moved. `qualcode undo` reverts it.")


@app.command("delete")
def delete(
    name: CodeArg,
    force: Annotated[bool, typer.Option(
        "--force", help="Also delete its codings; its sub-codes move up.")] = False,
    coder: CoderOpt = None,
) -> None:
    """Delete a code (refused while it has codings or sub-codes, unless --force).

    Example: qualcode codebook delete "brouillon" --force
    """
    from ..codebook.service import delete_code

    guard = backup_before("codebook delete --force") if force else nullcontext()
    with guard, session(write=True) as s:
        report = delete_code(s, name=name, force=force, coder=coder)
    extra = []
    if report["codings"]:
        extra.append(f"{report['codings']} codings deleted")
    if report["subcodes"]:
        extra.append(f"{report['subcodes']} sub-codes moved up")
    if report["memos"]:
        extra.append(f"{report['memos']} memos on it deleted")
    info(f"Deleted code {report['code']!r}" + (f" ({', '.join(extra)})" if extra else "")
         + ". `qualcode undo` reverts it.")


@app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(
        help="The earlier codebook file (.yaml/.yml/.qdc), or a bundled codebook's name.")],
    new: Annotated[Path | None, typer.Argument(
        help="The later codebook file or bundled name (default: the codebook in the "
        "corpus).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Compare two codebooks: added, removed, renamed (same GUID), moved and changed codes.

    Example: qualcode codebook diff guichet
    """
    from ..codebook.diff import diff_codebooks
    from ..codebook.service import load_codebook, read_codebook_file

    before = read_codebook_file(_codebook_file(old))
    if new is not None:
        after = read_codebook_file(_codebook_file(new))
    else:
        with session() as s:
            after = load_codebook(s)
    result = diff_codebooks(before, after)
    if json_:
        print_json(result.as_dict())
        return
    _render_diff(result, console(), str(old), str(new) if new else "database")


def _render_diff(diff: CodebookDiff, out: Any, old_label: str, new_label: str) -> None:
    """A readable list for the terminal (``out`` is a rich Console)."""
    out.print(f"[bold]Codebook changes[/] from {escape(old_label)} to {escape(new_label)}")
    if diff.empty:
        out.print("  no differences")
        return
    for name in diff.added:
        out.print(f"  [green]+ added[/]   {escape(name)}")
    for name in diff.removed:
        out.print(f"  [red]- removed[/] {escape(name)}")
    for item in diff.renamed:
        out.print(f"  [yellow]~ renamed[/] {escape(str(item['old']))} → {escape(str(item['new']))}")
    for item in diff.moved:
        out.print(f"  [cyan]↳ moved[/]   {escape(str(item['code']))}: "
                  f"{escape(item['old_parent'] or '(top)')} → "
                  f"{escape(item['new_parent'] or '(top)')}")
    for item in diff.changed:
        out.print(f"  [magenta]* changed[/] {escape(item['code'])} {item['field']}:")
        out.print(f"      [red]- {escape(_show_value(item['old']))}[/]")
        out.print(f"      [green]+ {escape(_show_value(item['new']))}[/]")


def _show_value(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(value) if value else "(none)"
    if value is None or value == "":
        return "(empty)"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 200 else text[:199] + "…"


@app.command("bundled")
def bundled(json_: JsonOpt = False) -> None:
    """List the codebooks that ship with qualcode; `codebook import NAME` and `codebook diff
    NAME` take these names wherever you are.

    Example: qualcode codebook bundled --json
    """
    from ..bundled import codebooks
    from ..codebook.service import read_codebook_file

    rows = []
    for name, path in sorted(codebooks().items()):
        book = read_codebook_file(path)
        rows.append({"name": name, "file": str(path), "title": book.name,
                     "version": book.version, "codes": book.count(),
                     "description": book.description})
    if json_:
        print_json(rows)
        return
    out = console()
    out.soft_wrap = True  # paths stay whole (copyable)
    for row in rows:
        title = f"{row['title']}, " if row["title"] else ""
        version = f"version {row['version']}, " if row["version"] else ""
        out.print(f"[bold]{escape(row['name'])}[/]  {escape(title + version)}{row['codes']} "
                  f"codes  [dim]{escape(row['file'])}[/]")
    info(f"{len(rows)} bundled codebook{'s' if len(rows) != 1 else ''}; import one with "
         "`qualcode codebook import NAME`")


def register(app_: typer.Typer) -> None:
    """Add `codebook ...` to the top-level app."""
    app_.add_typer(app, name="codebook")
