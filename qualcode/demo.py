"""Build the demo project: the fictional corpus, the default codebook, gold codings,
suggestions, and the tables a thesis would take away, written into one folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .db import Database, checkpoint, get_engine, open_db, resolve_url
from .errors import AlreadyExists, InvalidInput

DEMO_DB = "demo.db"
SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".odt", ".vtt", ".srt", ".trs")


def find_demo_data() -> tuple[Path, Path]:
    """The demo corpus folder and the default codebook, wherever qualcode is installed (next
    to the package in a checkout, under <prefix>/share/qualcode after `pip install .`)."""
    from .bundled import demo_material

    return demo_material()


@dataclass
class DemoReport:
    folder: Path
    database: Path
    corpus: Path | None = None  # the bundled material it was built from
    codebook: Path | None = None
    documents: int = 0
    segments: int = 0
    words: int = 0
    agents: int = 0
    codes: int = 0
    codings: int = 0
    suggestions: int = 0
    files: list[Path] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build_demo(folder: Path, *, force: bool = False,
               progress: Callable[[str], None] | None = None) -> DemoReport:
    """Build ``folder``/demo.db from scratch and write the tables next to it.

    An existing demo.db holds the researcher's review decisions: it is refused unless
    ``force``, and then backed up (demo.db.backups/) before the rebuild.
    """
    from sqlalchemy import func, select

    from . import models
    from .analysis.service import agreement_report, cooccurrence_report, crosstab_report
    from .codebook.service import import_codebook, read_codebook_file
    from .coding.csvio import import_codings_csv
    from .corpus.agents import import_agents
    from .corpus.ingest import ingest_paths
    from .export import tables
    from .export.bars import plot_bars
    from .export.network import plot_networks
    from .export.plot import plot_heatmaps
    from .export.render import write_report
    from .suggest.service import suggest

    say = progress or (lambda _message: None)
    started = time.perf_counter()
    corpus_dir, codebook_file = find_demo_data()
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{folder} is a file", "give a folder for the demo project")
    db_file = folder / DEMO_DB
    if db_file.exists():
        if not force:
            raise AlreadyExists(
                f"{folder} already holds a demo project ({db_file}); nothing was changed",
                "rebuild it with `qualcode demo --force`, which backs demo.db up first, or give "
                "another folder")
        saved = _backup_existing(db_file)
        say(f"Backed up the previous demo project to {saved}")
    folder.mkdir(parents=True, exist_ok=True)
    # Pooled connections of this process still point at the old file: close them, or the
    # rebuild would write into the deleted file instead of the new demo.db.
    get_engine(resolve_url(str(db_file))).dispose()
    for stale in (db_file, folder / f"{DEMO_DB}-wal", folder / f"{DEMO_DB}-shm"):
        stale.unlink(missing_ok=True)
    db = open_db(str(db_file))
    report = DemoReport(folder=folder, database=db_file, corpus=corpus_dir,
                        codebook=codebook_file)

    say("Reading the codebook and the agents")
    with db.session(write=True) as s:
        import_codebook(s, read_codebook_file(codebook_file), coder="demo")
        import_agents(s, corpus_dir / "agents.csv")
    say("Ingesting interviews and observation notes")
    files = sorted(p for p in corpus_dir.iterdir()
                   if p.suffix.lower() in SUPPORTED_SUFFIXES and not p.stem.startswith("README"))
    failed = [r for r in ingest_paths(db, files) if r.status == "error"]
    if failed:
        raise InvalidInput(f"the demo corpus did not ingest: {failed[0].error}")
    say("Importing the gold codings of two coders")
    with db.session(write=True) as s:
        import_codings_csv(s, corpus_dir / "codings.csv", default_coder="ana")
    say("Computing suggestions with spaCy (fr_core_news_md)")
    with db.session(write=True) as s:
        suggest(s)

    checkpoint(db)  # demo.db alone is the whole corpus (copyable without its -wal file)

    say("Writing the tables")
    with db.session() as s:
        # The tables use the reference coder; bruno's codings serve the agreement table.
        cooc = cooccurrence_report(s, by="profil", unit="segment", measure="count",
                                   coders=["ana"])
        jaccard = cooccurrence_report(s, by="profil", unit="segment", measure="jaccard",
                                      coders=["ana"])
        cross = crosstab_report(s, by="profil", coders=["ana"])
        agree = agreement_report(s, coders=["ana", "bruno"])
        for name, model in (("documents", models.Document), ("segments", models.Segment),
                            ("agents", models.Agent), ("codes", models.Code),
                            ("codings", models.Coding), ("suggestions", models.Suggestion)):
            setattr(report, name, s.scalar(select(func.count()).select_from(model)) or 0)
        report.words = s.scalar(select(func.sum(models.Document.words))) or 0

    # Each table's provenance quotes the command that makes it again from demo.db.
    db_opt = f"qualcode --db {db_file}"
    cooc_cmd = f"{db_opt} cooccurrence --by profil --coder ana"
    cross_cmd = f"{db_opt} crosstab --by profil --coder ana"
    agree_cmd = f"{db_opt} agreement --coders ana bruno"
    outputs: list[tuple[Any, str, str]] = [
        (tables.cooccurrence_report(cooc, command=cooc_cmd), "cooccurrence_profil",
         "csv md tex xlsx json"),
        (tables.cooccurrence_report(jaccard, command=f"{cooc_cmd} --measure jaccard"),
         "cooccurrence_profil_jaccard", "md csv"),
        (tables.crosstab_report(cross, "segments", "col", command=cross_cmd),
         "crosstab_profil", "md csv xlsx"),
        (tables.agreement_report(agree, command=agree_cmd), "agreement_ana_bruno", "md json"),
        # the same tables in French, as a thesis written in French takes them
        (tables.cooccurrence_report(cooc, "fr", command=f"{cooc_cmd} --lang fr"),
         "cooccurrence_profil_fr", "md tex xlsx"),
        (tables.crosstab_report(cross, "segments", "col", "fr",
                                command=f"{cross_cmd} --lang fr"), "crosstab_profil_fr",
         "md tex xlsx"),
        (tables.agreement_report(agree, "fr", command=f"{agree_cmd} --lang fr"),
         "agreement_ana_bruno_fr", "md"),
    ]
    for table_report, stem, formats in outputs:
        for fmt in formats.split():
            path = folder / f"{stem}.{fmt}"
            write_report(table_report, fmt, path)
            report.files.append(path)
    report.files.extend(plot_heatmaps(cooc, folder / "heatmap_profil.png"))
    report.files.extend(plot_networks(cooc, folder / "network_profil.png"))
    report.files.append(plot_bars(cross, folder / "crosstab_profil.png"))
    report.highlights = _highlights(cooc, agree)
    report.seconds = time.perf_counter() - started
    return report


def _backup_existing(db_file: Path) -> Path:
    """A consistent copy of an existing demo.db (with what its WAL holds) in demo.db.backups/.

    The schema is not checked: even a demo.db from another qualcode version is kept.
    """
    import shutil
    import sqlite3

    from .maintenance import auto_backup, auto_backup_path

    try:
        path = auto_backup(Database(resolve_url(str(db_file))), "before-demo-rebuild")
    except sqlite3.DatabaseError:  # not a SQLite file after all: keep its bytes anyway
        path = None
    if path is None:
        path = auto_backup_path(db_file, "before-demo-rebuild")
        shutil.copy2(db_file, path)
    return path


def _highlights(cooc: Any, agree: Any) -> list[str]:
    """A few sentences a researcher would read first."""
    lines = []
    for table in cooc.tables:
        counts, names = table.counts, table.codes
        best, pair = 0, None
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                if counts[i][j] > best:
                    best, pair = int(counts[i][j]), (names[i], names[j])
        if pair:
            lines.append(f"{table.group}: {table.units} segments; most frequent pair "
                         f"« {pair[0]} » + « {pair[1]} » ({best} segments)")
    kappa = agree.overall.kappa
    if kappa is not None:
        lines.append(f"agreement ana / bruno over {agree.units} segments: Cohen's kappa "
                     f"{kappa:.2f}, percent agreement {agree.overall.percent or 0:.0%} "
                     "(pooled over codes)")
    return lines
