"""`copy`: move a whole corpus between SQLite and PostgreSQL, verified table by table."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import STATE, JsonOpt, console, info, print_json


def copy(
    to: Annotated[str, typer.Option(
        "--to", help="Target database: a new .db path or an empty PostgreSQL database URL "
        "(postgresql+psycopg://user@host/db).")],
    from_: Annotated[str | None, typer.Option(
        "--from", help="Source corpus (default: --db / QUALCODE_DB / ./qualcode.db).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Copy the whole corpus into an empty database and verify it (row counts and sha256 per
    table). The source is not changed; a non-empty target is refused.

    Example: qualcode --db these.db copy --to postgresql+psycopg://anne@labo.example.org/these
    """
    from ..api import open_db
    from ..db import display_url, resolve_url
    from ..transfer import copy_corpus

    source = from_ or STATE.db
    open_db(source, create=False)  # an older corpus is backed up, then upgraded, before copying
    report = copy_corpus(resolve_url(source), resolve_url(to))
    src, dst = display_url(resolve_url(source)), display_url(resolve_url(to))
    total = sum(t.rows for t in report)
    if json_:
        print_json({"source": src, "target": dst, "verified": True, "rows": total,
                    "tables": [t.as_dict() for t in report]})
        return
    from rich.table import Table

    table = Table("table", "rows", "sha256 (source = target)")
    for t in report:
        table.add_row(t.table, str(t.rows), t.sha256[:16])
    console().print(table)
    info(f"Copied {total} rows from {src} to {dst}; every table verified identical.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.command("copy")(copy)
