"""`check`, `backup` and `restore`: keep a corpus safe."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import JsonOpt, console, database, escape, info, print_json, size_text


def check(json_: JsonOpt = False) -> None:
    """Check the integrity of the database and of the corpus (exit code 1 on any problem).

    Example: qualcode check
    """
    from ..maintenance import check as run_check
    from .common import STATE

    report = run_check(STATE.db)
    if json_:
        print_json(report.as_dict())
    else:
        counts = ", ".join(f"{v} {k}" for k, v in report.counts.items())
        if report.ok:
            console().print(f"[green]OK[/]: {counts}; no problem found.")
        else:
            out = console()
            out.print(f"[red]{len(report.problems)} problems[/] ({counts}):")
            for problem in report.problems:
                out.print(f"  - {escape(problem)}")
    if not report.ok:
        raise typer.Exit(1)


def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the copy (a SQLite file).")],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace FILE if it already exists (never the corpus itself).")] = False,
) -> None:
    """Write a consistent copy of the corpus, even while others are coding. An existing FILE
    is refused unless --force.

    Example: qualcode backup ~/sauvegardes/these-2026-11-20.db
    """
    from ..maintenance import backup as run_backup

    path = run_backup(database(create=False), file, overwrite=force)
    info(f"Backup written to {path} ({size_text(path.stat().st_size)})")


def restore(
    file: Annotated[Path, typer.Argument(
        help="A backup: from the .backups folder next to the corpus (.db or .db.gz), or one "
             "written by `qualcode backup`.")],
) -> None:
    """Put the corpus back to the state kept in a backup (plain or compressed). The current
    state is backed up first, so a restore can itself be undone by restoring that copy.

    Example: qualcode restore qualcode.db.backups/qualcode-20261120-101500-000000-code-import.db.gz
    """
    from ..db import resolve_url
    from ..maintenance import restore as run_restore
    from .common import STATE, backup_before

    url = resolve_url(STATE.db)
    with backup_before("restore"):
        run_restore(url, file)
    info(f"Corpus restored from {file}")


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("backup")(backup)
    app.command("restore")(restore)
