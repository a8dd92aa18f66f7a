"""A process killed (SIGKILL) in the middle of a large write leaves all or none of its work.

Each scenario first runs the command to completion to learn how long it takes, then runs it
again on fresh copies of the same corpus and kills it at fractions of that time. Afterwards the
database must open, pass `qualcode check`, and hold exactly the state before or after.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qualcode.db import open_db
from qualcode.maintenance import check

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]

TURNS = 1500
CODES = ("retrait", "entraide", "tri du public")


def _run(db: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "QUALCODE_CODER": "ana"}
    env.pop("QUALCODE_DB", None)
    return subprocess.Popen([sys.executable, "-m", "qualcode", "--db", str(db), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def base_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A corpus with one long transcript and the codebook; a CSV coding every turn."""
    from conftest import REPO

    folder = tmp_path_factory.mktemp("crash")
    transcript = folder / "long.txt"
    transcript.write_text("\n".join(
        f"{'Enquêtrice' if i % 2 else 'Hélène'} : réponse {i}, la file d’attente déborde "
        f"encore ce matin au guichet numéro {i % 7}." for i in range(1, TURNS + 1)) + "\n",
        encoding="utf-8")
    db = folder / "base.db"
    for args in (("init",), ("codebook", "import", str(REPO / "codebooks" / "guichet.yaml")),
                 ("ingest", str(transcript))):
        assert _run(db, *args).wait(timeout=120) == 0
    csv_file = folder / "codings.csv"
    with csv_file.open("w", encoding="utf-8") as f:
        f.write("document,segment,code,coder\n")
        for n in range(1, TURNS + 1):
            for code in CODES:
                f.write(f"long.txt,{n},{code},ana\n")
    return db, csv_file, transcript


# Columns that differ between two runs of the same command: clock times, random GUIDs of new
# rows, and the command line (it names the database file).
_VOLATILE = {"at", "created_at", "updated_at", "modified_at", "decided_at", "guid", "command"}
# The same inside text (the history records the rows it wrote, GUIDs and times included).
_VOLATILE_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                            r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?")


def _stable(value: object) -> object:
    return _VOLATILE_TEXT.sub("*", value) if isinstance(value, str) else value


def _state(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, volatile columns blanked: the whole database, not a count."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        state = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            keep = [c for c in columns if c not in _VOLATILE]
            listed = ", ".join(f'"{c}"' for c in keep)
            rows = conn.execute(f'SELECT {listed} FROM "{table}"').fetchall()
            state[table] = sorted((tuple(map(_stable, row)) for row in rows), key=repr)
        return state
    finally:
        conn.close()


def _kill_trials(base: Path, tmp: Path, args: tuple[str, ...], measure: str,
                 before: int, after: int) -> list[int]:
    """Run to completion once, then kill at fractions of its duration; check each state.

    Each killed database must equal, row for row, the database before the command or the one
    the completed run left (clock times and new GUIDs aside). Returns the trials that were
    really killed (the others finished first)."""
    full = tmp / "full.db"
    shutil.copy(base, full)
    started = time.perf_counter()
    assert _run(full, *args).wait(timeout=300) == 0
    duration = time.perf_counter() - started
    assert _count(full, measure) == after
    states = {"before": _state(base), "after": _state(full)}
    assert states["before"] != states["after"]
    killed = []
    for i, fraction in enumerate((0.35, 0.6, 0.8, 0.9)):
        db = tmp / f"trial{i}.db"
        shutil.copy(base, db)
        proc = _run(db, *args)
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if proc.returncode == -signal.SIGKILL:
            killed.append(i)
        report = check(open_db(str(db), create=False))
        assert report.ok, report.problems
        state = _state(db)
        assert state in (states["before"], states["after"]), f"trial {i}: a partial state"
        assert _count(db, measure) in (before, after)
    return killed


def test_killed_code_import_leaves_all_or_none(base_corpus, tmp_path):
    base, csv_file, _ = base_corpus
    killed = _kill_trials(base, tmp_path, ("code", "import", str(csv_file)),
                          "SELECT count(*) FROM coding", 0, TURNS * len(CODES))
    assert killed, "the import always finished before the kill: make the workload larger"


def test_killed_merge_leaves_all_or_none(base_corpus, tmp_path):
    base, csv_file, _ = base_corpus
    coded = tmp_path / "coded.db"
    shutil.copy(base, coded)
    assert _run(coded, "code", "import", str(csv_file)).wait(timeout=300) == 0
    measure = "SELECT count(*) FROM code WHERE name = 'retrait'"
    killed = _kill_trials(coded, tmp_path, ("codebook", "merge", "retrait", "entraide"),
                          measure, 1, 0)
    assert killed


def test_killed_ingest_leaves_the_whole_document_or_nothing(base_corpus, tmp_path):
    base, _, transcript = base_corpus
    bigger = tmp_path / "autre.txt"
    bigger.write_text(transcript.read_text(encoding="utf-8") * 4, encoding="utf-8")
    empty = tmp_path / "empty.db"
    assert _run(empty, "init").wait(timeout=60) == 0
    measure = "SELECT count(*) FROM segment"
    killed = _kill_trials(empty, tmp_path, ("ingest", str(bigger)), measure, 0, TURNS * 4)
    assert killed, "the ingest always finished before the kill: make the workload larger"
