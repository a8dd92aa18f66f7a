"""`qualcode demo` end to end: the project, its tables and its summary."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode.cli.main import app


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("demo") / "projet"
    result = CliRunner().invoke(app, ["demo", str(folder)])
    return folder, result


def test_demo_succeeds_and_says_where_the_files_are(demo_run):
    folder, result = demo_run
    assert result.exit_code == 0, result.stderr
    assert "8 documents" in result.stdout
    assert "cooccurrence_profil.xlsx" in result.stdout
    assert "Cohen's kappa" in result.stdout


def test_demo_writes_every_table_and_a_heatmap_per_group(demo_run):
    folder, _ = demo_run
    names = {p.name for p in Path(folder).iterdir()}
    for expected in ("demo.db", "cooccurrence_profil.csv", "cooccurrence_profil.md",
                     "cooccurrence_profil.tex", "cooccurrence_profil.xlsx",
                     "cooccurrence_profil.json", "crosstab_profil.md",
                     "agreement_ana_bruno.md", "heatmap_profil_pragmatique.png",
                     "heatmap_profil_social.png", "heatmap_profil_all.png"):
        assert expected in names


def test_demo_cooccurrence_json_has_all_and_both_profils(demo_run):
    folder, _ = demo_run
    data = json.loads((Path(folder) / "cooccurrence_profil.json").read_text(encoding="utf-8"))
    assert data["by"] == "profil" and data["unit"] == "segment" and data["measure"] == "count"
    groups = [t["group"] for t in data["tables"]]
    assert groups == ["(all)", "pragmatique", "social"]
    for table in data["tables"]:
        assert table["codes"] == ["perte de sens", "déqualification", "stratégies", "discrédit"]
        matrix = table["matrix"]
        assert all(matrix[i][j] == matrix[j][i] for i in range(4) for j in range(4))
        assert all(matrix[i][i] <= table["units"] for i in range(4))
    # Segments of both profils appear in (all), plus the interviewer turns.
    units = {t["group"]: t["units"] for t in data["tables"]}
    assert units["(all)"] >= units["pragmatique"] + units["social"] - 10


def test_demo_counts_match_the_gold_codings_file(demo_run):
    folder, _ = demo_run
    from conftest import DEMO

    rows = list(csv.DictReader((DEMO / "codings.csv").open(encoding="utf-8")))
    from sqlalchemy import func, select

    from qualcode import models
    from qualcode.db import open_db

    db = open_db(str(Path(folder) / "demo.db"), create=False)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(models.Coding)) == len(rows)
        accepted = s.scalar(select(func.count()).select_from(models.Suggestion)
                            .where(models.Suggestion.status != "pending"))
    assert accepted == 0  # suggestions wait for a coder


def test_demo_twice_rebuilds_the_same_tables(demo_run):
    folder, _ = demo_run
    path = Path(folder) / "cooccurrence_profil.json"

    def tables() -> list:
        return json.loads(path.read_text(encoding="utf-8"))["tables"]

    first = tables()
    result = CliRunner().invoke(app, ["demo", str(folder), "--force"])
    assert result.exit_code == 0, result.stderr
    assert tables() == first  # rebuilt from scratch, not added on top of the first run
    assert list((Path(folder) / "demo.db.backups").glob("demo-*.db"))  # the old one is kept


@pytest.mark.sqlite_only
def test_demo_db_alone_is_the_whole_corpus(demo_run, tmp_path):
    folder, result = demo_run
    assert result.exit_code == 0, result.stderr
    alone = tmp_path / "demo.db"
    alone.write_bytes((Path(folder) / "demo.db").read_bytes())  # without demo.db-wal
    conn = sqlite3.connect(alone)
    try:
        assert conn.execute("SELECT count(*) FROM document").fetchone() == (8,)
        assert conn.execute("SELECT count(*) FROM suggestion").fetchone()[0] > 0
    finally:
        conn.close()
