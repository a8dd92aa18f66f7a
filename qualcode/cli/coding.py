"""`code ...`, `segments`, `memo ...`, `history` and `undo`: coding at the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .common import (
    CoderOpt,
    ExcelOpt,
    JsonOpt,
    backup_before,
    console,
    escape,
    info,
    print_json,
    session,
)


class CodeGroup(TyperGroup):
    """`qualcode code DOC` opens the interactive session: a first word that is not a
    subcommand (nor an option) is taken as a document name for the hidden `session`."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["session", *args]
        return super().resolve_command(ctx, args)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        # `qualcode code entr<Tab>`: the subcommands, then the documents `session` takes
        # (its completer is attached only when the shell asks, see cli/main.py).
        out = super().shell_complete(ctx, incomplete)
        session = self.commands.get("session")
        if session is not None and not incomplete.startswith("-"):
            document = next(p for p in session.params if p.name == "document")
            out += document.shell_complete(ctx, incomplete)
        return out


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
    json_: JsonOpt = False,
) -> None:
    """Remove a coder's codings of a code from a segment (spans inside it included).

    Example: qualcode code remove entretien_01.txt:4 discrédit
    """
    from ..coding.service import remove_code

    with session(write=True) as s:
        report = remove_code(s, ref=ref, code=code, coder=coder)
    if json_:  # like `code apply --json`
        print_json(report)
        return
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

    with backup_before("code import"), session(write=True) as s:
        report = import_codings_csv(s, file, default_coder=coder)
    if json_:
        print_json(report)
        return
    info(f"Imported {report['added']} codings from {file} "
         f"({report['skipped_duplicates']} already present; coders: "
         f"{', '.join(report['coders']) or 'none'}).")


@code_app.command("export")
def code_export(
    file: Annotated[Path, typer.Argument(help="CSV file to write (- for standard output).")],
    coder: Annotated[str | None, typer.Option("--coder", "-c",
                                              help="Only this coder's codings.")] = None,
    spans: Annotated[bool, typer.Option(
        help="Always write start,end offsets (not only for partial codings).")] = False,
    excel: ExcelOpt = False,
) -> None:
    """Export codings to a CSV that `code import` reads back.

    Example: qualcode code export codages.csv --coder hélène
    """
    from ..coding.csvio import export_codings_csv

    with session() as s:
        report = export_codings_csv(s, file, coder=coder, spans=spans, excel=excel)
    where = "standard output" if report["file"] == "-" else str(file)
    info(f"Wrote {report['codings']} codings to {where}.")


FORMATS = ("md", "docx", "xlsx", "csv")


def segments(
    code: Annotated[list[str] | None, typer.Option(
        "--code", help="Segments with this code (sub-codes included unless --exact); "
        "repeat: all must be present.")] = None,
    exact: Annotated[bool, typer.Option(help="--code without its sub-codes.")] = False,
    where: Annotated[list[str] | None, typer.Option(
        "--where", help="KEY=VALUE on agent attributes, e.g. profil=social; repeat: all "
        "must hold.")] = None,
    kind: Annotated[str | None, typer.Option(
        help="interview, observation or document.")] = None,
    coder: Annotated[list[str] | None, typer.Option(
        "--coder", "-c", help="Only these coders' codings count (repeatable).")] = None,
    doc: Annotated[str | None, typer.Option(
        help="Only this document (DOC:N: only that segment).")] = None,
    text: Annotated[str | None, typer.Option(
        help="Segments containing these words (case and accents ignored).")] = None,
    uncoded: Annotated[bool, typer.Option(
        help="Segments without any coding (interviewer turns left out).")] = False,
    coded: Annotated[bool, typer.Option(help="Segments with at least one coding.")] = False,
    json_: JsonOpt = False,
    format_: Annotated[str | None, typer.Option(
        "--format", "-f", help="md (quotable excerpts), docx, xlsx or csv.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write (stdout for md and csv when absent).")] = None,
    excel: ExcelOpt = False,
    context: Annotated[int, typer.Option(
        "--context", metavar="N", min=0, help="Excerpts: N words around the coded span.")] = 0,
    whole_segment: Annotated[bool, typer.Option(
        help="Excerpts: quote the whole segment, not the coded span.")] = False,
    lang: Annotated[str | None, typer.Option("--lang", metavar="fr|en", help="Excerpts: "
        "language of quotes and labels (default: $QUALCODE_LANG, else en).")] = None,
    caption: Annotated[str | None, typer.Option("--caption", metavar="TEXT",
        help="Excerpts: title of the md, docx or xlsx file.")] = None,
) -> None:
    """Retrieve excerpts: by code, agent profile, kind, coder, document or words.

    Example: qualcode segments --code discrédit --where profil=pragmatique --format md
    """
    from ..coding.retrieve import code_colours, code_groups, find_segments, parse_where

    if format_ is not None and format_ not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    if excel and format_ in (None, "csv"):
        format_ = "csv"
    elif excel:
        raise typer.BadParameter("--excel writes CSV", param_hint=f"--format {format_}")
    if format_ in ("docx", "xlsx") and output is None:
        raise typer.BadParameter(f"a .{format_} needs -o PATH", param_hint=f"--format {format_}")
    if context and whole_segment:
        raise typer.BadParameter("--context quotes around the coded span, --whole-segment "
                                 "the whole segment: choose one", param_hint="--context")
    from ..i18n import lang_of

    language = lang_of(lang)
    conditions = parse_where(where or [])
    with session() as s:
        n = None
        if doc is not None:
            from ..corpus.documents import document_ref

            found, n = document_ref(s, doc)
            doc = found.name
        rows = find_segments(s, codes=code or [], exact=exact, where=conditions, kind=kind,
                             coders=coder or [], doc=doc, text=text, uncoded=uncoded,
                             coded=coded,
                             spans=not json_ and format_ in ("md", "docx", "xlsx"))
        if n is not None:
            rows = [row for row in rows if row["segment"] == n]
        colours = code_colours(s)
        groups = code_groups(s, code or [], exact) if code and format_ else None
    if json_:
        print_json(rows)
        return
    if format_ is not None:
        _write_excerpts(rows, format_, output, list(conditions), groups, excel,
                        context=context, whole=whole_segment, lang=language, title=caption)
        return
    _print_segments(rows, colours, text, list(conditions))
    info(f"{len(rows)} segments")


def _write_excerpts(rows: list[dict], fmt: str, output: Path | None, where_keys: list[str],
                    groups: Any, excel: bool = False, *, context: int = 0,
                    whole: bool = False, lang: Any = "en", title: str | None = None) -> None:
    from ..coding import excerpts
    from ..errors import InvalidInput

    keys = excerpts.profile_keys(rows, where_keys)
    if fmt == "docx":
        excerpts.write_docx(rows, output, keys=keys, groups=groups, context=context,
                            whole=whole, lang=lang, title=title)
    elif fmt == "xlsx":
        names = None if whole or not groups else set().union(*(g[1] for g in groups))
        excerpts.write_xlsx(rows, output, keys=keys, names=names, context=context, lang=lang,
                            title=title)
    else:
        content = (excerpts.render_markdown(rows, keys=keys, groups=groups, context=context,
                                            whole=whole, lang=lang, title=title) if fmt == "md"
                   else excerpts.render_csv(rows, excel=excel))
        if output is None:
            typer.echo(content, nl=False)
            return
        try:
            output.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot write {output}: {exc.strerror}") from None
    info(f"Wrote {len(rows)} excerpts to {output}.")


def _highlight(text: str, words: str | None) -> str:
    """Escaped text with the (accent- and case-insensitive) matches of ``words`` reversed."""
    if not words:
        return escape(text)
    from ..textutil import fold

    hay, needle = fold(text), fold(words)
    out, pos = [], 0
    while needle and (hit := hay.find(needle, pos)) >= 0:
        out += [escape(text[pos:hit]), f"[reverse]{escape(text[hit:hit + len(needle)])}[/]"]
        pos = hit + len(needle)
    out.append(escape(text[pos:]))
    return "".join(out)


def _print_segments(rows: list[dict], colours: dict, words: str | None,
                    where_keys: list[str]) -> None:
    from ..coding.excerpts import profile_keys, speaker_label
    from .code_session import code_style

    out = console()
    keys = profile_keys(rows, where_keys)
    for row in rows:
        who = speaker_label(row, keys)
        codes = " · ".join(f"[{code_style(colours.get(c))}]{escape(c)}[/]" for c in row["codes"])
        out.print(f"\n[bold cyan]{escape(row['document'])}:{row['segment']}[/]"
                  f"{'  ' + escape(who) if who else ''}  {codes}")
        out.print(_highlight(row["text"], words))


@code_app.command("session", hidden=True)
def code_session(
    document: Annotated[str, typer.Argument(
        help="Document name (see `docs list`); DOC:N starts at segment N.")],
    start: Annotated[int | None, typer.Option("--from", help="Segment to start at.")] = None,
    coder: CoderOpt = None,
    include_interviewer: Annotated[bool, typer.Option(
        "--include-interviewer", help="Show the interviewer's turns too (skipped by default).")
    ] = False,
    tui: Annotated[bool, typer.Option(
        "--tui", help="Full-screen interface (segment list, span selection with the keys, "
        "memos); the default line mode suits scripts.")] = False,
) -> None:
    """Code a document segment by segment, one key per decision (also `qualcode code DOC`).

    After a code, words 4-9 or "some words" code only that span of the segment; w shows the
    word numbers. Interviewer turns are skipped unless --include-interviewer.

    Example: qualcode code entretien_01.txt --from 12 (or qualcode code entretien_01.txt:12)
    """
    import sys

    from ..coding.service import coder_label
    from ..corpus.documents import document_ref
    from .common import database

    with session() as s:
        doc, n = document_ref(s, document)
        document = doc.name
    start = start or n
    if tui:
        from .tui import run_tui

        changes = run_tui(database(create=False), document=document, coder=coder_label(coder),
                          include_interviewer=include_interviewer, start=start)
        info(f"Session ended: {changes} change(s) saved.")
        return

    from ..coding.interactive import CodingSession
    from .code_session import RichView
    from .keys import read_key, read_line

    loop = CodingSession(database(create=False), document=document, coder=coder_label(coder),
                         view=RichView(console()), read_key=read_key, read_line=read_line,
                         tty=sys.stdin.isatty(), include_interviewer=include_interviewer,
                         start=start)
    loop.run()


@memo_app.command("add")
def memo_add(
    target: Annotated[str, typer.Argument(
        help="project, code:NAME, doc:NAME, segment:DOC:N or agent:NAME.")],
    text: Annotated[str, typer.Argument(help="The memo text.")],
    title: Annotated[str, typer.Option(help="A short title.")] = "",
    coder: CoderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Write a memo on the project, a code, a document, a segment or an agent.

    Example: qualcode memo add code:discrédit "Distinguer le mépris ressenti du mépris dit."
    """
    from ..coding.memos import add_memo

    with session(write=True) as s:
        memo = add_memo(s, target=target, text=text, title=title, coder=coder)
    if json_:
        print_json(memo)
        return
    info(f"Memo {memo['id']} saved on {memo['target']}.")


@memo_app.command("list")
def memo_list(
    target: Annotated[str | None, typer.Argument(
        help="Only memos on this target (e.g. code:discrédit).")] = None,
    json_: JsonOpt = False,
) -> None:
    """List memos, oldest first.

    Example: qualcode memo list segment:entretien_01.txt:4
    """
    from ..coding.memos import list_memos

    with session() as s:
        memos = list_memos(s, target)
    if json_:
        print_json(memos)
        return
    from rich.table import Table

    table = Table("id", "target", "title", "text", "coder", "date")
    for m in memos:
        short = m["text"] if len(m["text"]) <= 60 else m["text"][:59] + "…"
        table.add_row(str(m["id"]), escape(m["target"]), escape(m["title"]), escape(short),
                      escape(m["coder"]), m["created_at"][:10])
    console().print(table)
    info(f"{len(memos)} memos")


@memo_app.command("show")
def memo_show(
    memo_id: Annotated[int, typer.Argument(metavar="ID", help="Memo number (see `memo list`).")],
    json_: JsonOpt = False,
) -> None:
    """Show one memo in full.

    Example: qualcode memo show 3
    """
    from ..coding.memos import get_memo

    with session() as s:
        memo = get_memo(s, memo_id)
    if json_:
        print_json(memo)
        return
    out = console()
    title = f" — {escape(memo['title'])}" if memo["title"] else ""
    out.print(f"[bold]Memo {memo['id']}[/] on {escape(memo['target'])}{title}")
    out.print(f"{escape(memo['coder'])}, {memo['created_at'].replace('T', ' ')}")
    out.print(escape(memo["text"]))


STATUS_ROWS = 15  # documents listed by name on the terminal; --json lists them all
STATUS_NAMES = 8  # names listed inline (not coded, unused codes) before "and N more"


def status(json_: JsonOpt = False) -> None:
    """Where the coding stands, in one screen: documents coded and not, codings per coder,
    codes never used, suggestions waiting for review.

    Example: qualcode status
    """
    from ..coding.status import coding_status
    from .common import read_corpus

    with read_corpus() as r:
        data = coding_status(r)
    if json_:
        print_json(data)
        return
    out, totals = console(), data["totals"]
    docs = data["documents"]
    coded = [d for d in docs if d["codings"]]
    not_coded = [d["name"] for d in docs if not d["codings"]]
    out.print(f"[bold]{totals['documents']} documents[/]: {len(coded)} coded, "
              f"{len(not_coded)} not coded; {totals['coded_segments']} of "
              f"{totals['to_code']} segments coded (interviewer turns left out), "
              f"{totals['codings']} codings", soft_wrap=True)
    from rich.table import Column, Table

    table = Table(Column(no_wrap=True), Column(justify="right"), Column(justify="right"),
                  Column(style="dim"), box=None, show_header=False, padding=(0, 1, 0, 2))
    for d in coded[:STATUS_ROWS]:
        table.add_row(escape(d["name"]), f"{d['coded']}/{d['to_code']} segments",
                      f"{d['codings']} codings", escape(", ".join(d["coders"])))
    if coded:
        out.print(table)
    if len(coded) > STATUS_ROWS:
        out.print(f"  … and {len(coded) - STATUS_ROWS} more coded documents (--json lists all)")
    if not_coded:
        out.print(f"Not coded: {escape(_some(not_coded))}", soft_wrap=True)
    coders = ", ".join(f"{c['name']} {c['codings']}" for c in data["coders"])
    out.print(f"Codings per coder: {escape(coders or 'none yet')}", soft_wrap=True)
    if data["unused_codes"]:
        out.print(f"Codes never used ({len(data['unused_codes'])}): "
                  f"{escape(_some(data['unused_codes']))}", soft_wrap=True)
    pending = data["pending_suggestions"]
    if pending["total"]:
        per_code = [f"{r['code']} {r['count']}" for r in pending["codes"]]
        out.print(f"Pending suggestions ({pending['total']}, `qualcode review`): "
                  f"{escape(_some(per_code))}", soft_wrap=True)
    else:
        out.print("No pending suggestion.")


def _some(names: list[str]) -> str:
    """The first names, then how many more."""
    shown = ", ".join(names[:STATUS_NAMES])
    more = len(names) - STATUS_NAMES
    return f"{shown} and {more} more" if more > 0 else shown


def history(
    limit: Annotated[int, typer.Option("-n", "--limit", help="How many changes to show.")] = 20,
    json_: JsonOpt = False,
) -> None:
    """Show the last changes to codings, codes and memos: who, when, what, undone or not.

    Example: qualcode history -n 50
    """
    from ..reads import recent_changes
    from .common import read_corpus

    with read_corpus() as r:
        rows = recent_changes(r, limit)
    if json_:
        print_json(rows)
        return
    out = console()
    for r in rows:
        when = r["at"].replace("T", " ")[:16]
        undone = "  [dim](undone)[/]" if r["undone"] else ""
        out.print(f"[bold]{r['id']:>4}[/]  {when}  {escape(r['coder'])}  "
                  f"{escape(r['summary'] or r['action'])}{undone}", soft_wrap=True)
    if not rows:
        info("No change recorded yet.")


AnyOpt = Annotated[bool, typer.Option(
    "--any", help="Any coder's changes, not only yours (the behaviour before teams).")]


def undo(
    entry: Annotated[int | None, typer.Argument(
        min=1, help="The id of a change in `qualcode history` (default: your last change).")
    ] = None,
    count: Annotated[int, typer.Option("-n", "--count", min=1,
                                       help="How many of your last changes to revert.")] = 1,
    coder: CoderOpt = None,
    any_: AnyOpt = False,
) -> None:
    """Revert your last change (or last N, or change ID) to codings, codes or memos, exactly.

    Only your own changes (--coder, $QUALCODE_CODER or your user name) unless --any, so in a
    team your undo never takes back a colleague's coding; a change that later changes touched
    is refused until those are undone.

    Example: qualcode undo -n 3   (or: qualcode undo 42, qualcode undo --any)
    """
    from ..audit import undo as audit_undo
    from ..coding.service import coder_label

    if entry is not None and count != 1:
        raise typer.BadParameter("give a change id or -n, not both", param_hint="-n")
    me = coder_label(coder)
    with session(write=True) as s:
        entries = audit_undo(s, count, coder=None if any_ else me, entry_id=entry, by=me)
        lines = [(e.id, e.summary or e.action) for e in entries]
    out = console()
    for entry_id, line in lines:
        out.print(f"Undone: {escape(line)} (change {entry_id}; `qualcode redo` makes it again)",
                  soft_wrap=True)


def redo(
    entry: Annotated[int | None, typer.Argument(
        min=1, help="The id of an undone change (default: the one you undid last).")] = None,
    coder: CoderOpt = None,
    any_: AnyOpt = False,
) -> None:
    """Make again a change that `qualcode undo` reverted: the last one you undid, or ID.

    Example: qualcode redo   (or: qualcode redo 42)
    """
    from ..audit import redo as audit_redo
    from ..coding.service import coder_label

    me = coder_label(coder)
    with session(write=True) as s:
        done = audit_redo(s, coder=None if any_ else me, entry_id=entry, by=me)
        line = (done.id, done.summary or done.action)
    console().print(f"Redone: {escape(line[1])} (change {line[0]})", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.add_typer(code_app, name="code")
    app.command("segments")(segments)
    app.command("status")(status)
    app.add_typer(memo_app, name="memo")
    app.command("history")(history)
    app.command("undo")(undo)
    app.command("redo")(redo)
