"""`qualcode demo`: the whole workflow on the fictional corpus, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import console, escape, info


def demo(
    folder: Annotated[Path, typer.Argument(help="Where to build the demo project.")] = Path(
        "qualcode-demo"),
    force: Annotated[bool, typer.Option(
        "--force", help="Rebuild FOLDER's existing demo project (its demo.db is backed up "
        "first, in demo.db.backups/).")] = False,
) -> None:
    """Build the demo project (corpus, codebook, agents, gold codings, suggestions) and write
    its co-occurrence tables per profil, the crosstab, the agreement table and heatmaps.

    A folder that already holds a demo project is refused unless --force: its review
    decisions would be lost.

    Example: qualcode demo ./demo-these
    """
    from ..demo import build_demo

    report = build_demo(folder, force=force, progress=lambda message: info(f"· {message}"))
    out = console()
    out.soft_wrap = True  # long lines and paths stay whole (copyable), the terminal wraps them
    out.print(f"\n[bold]qualcode demo[/] built in {report.seconds:.1f} s: {report.documents} "
              f"documents ({report.words:,} words, {report.segments} segments), "
              f"{report.agents} agents, {report.codes} codes, {report.codings} codings by two "
              f"coders, {report.suggestions} suggestions awaiting review.")
    for line in report.highlights:
        out.print(f"  • {escape(line)}")
    out.print(f"\nBuilt from: {escape(str(report.corpus))} and {escape(str(report.codebook))}")
    out.print(f"Corpus: {escape(str(report.database))}")
    out.print("Tables and plots:")
    for path in report.files:
        out.print(f"  {escape(str(path))}")
    out.print(f"\nNext: qualcode --db {escape(str(report.database))} review   "
              "(accept or reject the suggestions)")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
