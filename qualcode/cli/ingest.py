"""`ingest`: add interview transcripts, fieldnotes and other texts to the corpus."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from .common import CoderOpt, JsonOpt, backup_before, info, print_json

PROGRESS_FROM = 20  # files; fewer go by too fast for a bar


def ingest(
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH",
        help="Files or folders (folders recurse): .txt .md .docx .odt .rtf .pdf .html .vtt "
        ".srt .trs .xml/.tei (TEI) .TextGrid, and .csv survey answers with --text-column")],
    kind: Annotated[str | None, typer.Option(
        help="interview | observation | document (default: front matter, else interview "
        "when speaker turns are found, else document).")] = None,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="Link the documents to this agent (repeatable).")] = None,
    interviewer: Annotated[list[str] | None, typer.Option(
        "--interviewer", help="An extra interviewer label, e.g. Sociologue (repeatable).")]
        = None,
    encoding: Annotated[str | None, typer.Option(
        help="Read text files with this encoding (default: detected).")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace",
        help="Replace changed documents, moving their codings to the new text.")] = False,
    text_column: Annotated[str | None, typer.Option(
        "--text-column", metavar="COL",
        help="Read .csv files as survey answers: this column holds each respondent's answer "
        "(one segment per row; the other columns become the respondent's attributes).")]
        = None,
    id_column: Annotated[str | None, typer.Option(
        "--id-column", metavar="COL",
        help="With --text-column: the column naming each respondent (default: the file name "
        "and row number).")] = None,
    merge_backchannels: Annotated[bool, typer.Option(
        "--merge-backchannels",
        help="Join a turn cut by a backchannel of three words or fewer from another speaker "
        "(`mm`, `oui d'accord`) into one segment; the backchannel and the original turns are "
        "kept in the document's meta.")] = False,
    coder: CoderOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add files to the corpus; an unchanged file is left as it is.

    Example: qualcode ingest entretiens/ notes_terrain.md --interviewer Sociologue

    Survey answers: qualcode ingest reponses.csv --text-column reponse --id-column id
    """
    from ..bundled import resolve_demo_path
    from ..corpus.ingest import collect_files, ingest_paths
    from ..errors import InvalidInput
    from ..ingest.answers import Columns
    from .common import database

    if id_column and not text_column:
        raise InvalidInput("--id-column needs --text-column",
                           "name the column of answers: --text-column reponse")
    columns = Columns(text_column, id_column) if text_column else None
    paths = [_say_note(*resolve_demo_path(path)) for path in paths]
    batch = collect_files(paths, columns)
    for note in batch.notes:
        info(note)
    guard = backup_before("ingest --replace") if replace else nullcontext()
    db = database(create=True)
    with guard, _progress(len(batch.files), enabled=not json_) as progress:
        results = ingest_paths(
            db, paths, kind=kind, agents=agent or (), interviewers=interviewer or (),
            replace=replace, encoding=encoding, coder=coder, progress=progress, batch=batch,
            columns=columns, merge_backchannels=merge_backchannels)
    if json_:
        print_json([r.as_json() for r in results])
    _report(results, json_=json_)  # errors and warnings on stderr in both modes
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)


def _say_note(path: Path, note: str | None) -> Path:
    if note:
        info(note)
    return path


def _report(results: list, json_: bool = False) -> None:  # list[IngestResult]
    from ..corpus.ingest import speakers_summary
    from .common import err_console

    out = err_console()
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
        if r.status == "error":
            out.print(f"Error: {r.error}", markup=False, soft_wrap=True)
            continue
        line = (f"{r.status} {r.document}: {r.segments:,} segment{_s(r.segments)}, "
                f"{r.words:,} word{_s(r.words)}, {r.encoding}")
        if r.moved_codings:
            line += f", {r.moved_codings} codings moved"
        if not json_:
            sys.stdout.write(line + "\n")
        for note in r.notes:
            out.print(f"note: {r.document}: {note}", markup=False, soft_wrap=True)
        if r.linked:
            out.print(f"{r.document} is unchanged; now also linked to {', '.join(r.linked)}",
                      markup=False, soft_wrap=True)
        if r.not_applied:
            out.print(f"{r.document} is unchanged and already in the corpus as {r.kind} "
                      f"(read as {r.encoding}); not applied: {', '.join(r.not_applied)} (to "
                      "re-read it with other options, ingest it again with --replace; its "
                      "codings are kept)", markup=False, soft_wrap=True)
        for warning in r.warnings:
            out.print(f"warning: {r.document}: {warning}", markup=False, soft_wrap=True)
        for group in r.duplicates:
            out.print(f"warning: {r.document}: segments {', '.join(map(str, group))} are the same "
                 "paragraph (kept; they count several times)", markup=False, soft_wrap=True)
    unknown = speakers_summary(results)
    if unknown:
        out.print("Speakers that match no agent (add them with `qualcode agents import`): "
                  + ", ".join(unknown), markup=False, soft_wrap=True)
    summary = ", ".join(f"{n} {status}{'s' if status == 'error' and n > 1 else ''}"
                        for status, n in counts.items())
    files = f"{len(results)} file{'s' if len(results) > 1 else ''}"
    if json_ or (len(results) == 1 and results[0].status == "error"):
        return  # the JSON, or the one error line, says it all
    info(f"{files}: {summary}." if results else "No file to ingest.")


def _s(n: int) -> str:
    return "" if n == 1 else "s"


class _progress:
    """A rich progress bar on stderr for long batches on a terminal; a no-op otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if enabled and total > PROGRESS_FROM and sys.stderr.isatty():
            from rich.progress import Progress

            from .common import err_console

            self.bar = Progress(console=err_console(), transient=True)
            self.task = self.bar.add_task("ingest", total=total)

    def __enter__(self):  # noqa: ANN204
        if self.bar is None:
            return None
        self.bar.start()
        return self._advance

    def _advance(self, done: int, total: int, name: str) -> None:
        assert self.bar is not None
        self.bar.update(self.task, completed=done, description=name[-40:])

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
