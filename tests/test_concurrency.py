"""Several coders at once on one corpus (SQLite file or PostgreSQL server): nothing fails with
"database is locked", nothing is lost, and identical codings resolve to "already coded".

Each coder is a separate process: either one `python -m qualcode --db ...` per command, or,
to keep the suite fast, one process that runs a whole list of commands through the same CLI
entry point (each command still its own transaction). The coders start together behind a
barrier, so their write transactions overlap. Every wait is bounded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter

import pytest
from sqlmodel import select

from qualcode import models

SEGMENTS = 8
TIMEOUT_S = 120
# A coder process running many commands: prints [{"args", "exit", "stderr"}, ...] as JSON.
LOOP = """
import json, sys
from typer.testing import CliRunner
from qualcode.cli.main import app
db, commands = sys.argv[1], json.loads(sys.argv[2])
runner, done = CliRunner(), []
for args in commands:
    result = runner.invoke(app, ["--db", db, *args])
    done.append({"args": args, "exit": result.exit_code, "stderr": result.stderr})
print(json.dumps(done))
"""


class Done:
    """What one command left: its arguments, exit code and stderr."""

    def __init__(self, args: list[str], returncode: int, stderr: str) -> None:
        self.args, self.returncode, self.stderr = args, returncode, stderr


def _run(db: str, *args: str) -> list[Done]:
    """One `python -m qualcode` process for one command."""
    proc = subprocess.run([sys.executable, "-m", "qualcode", "--db", db, *map(str, args)],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    return [Done(list(args), proc.returncode, proc.stderr)]


def _run_loop(db: str, commands: list[tuple[str, ...]]) -> list[Done]:
    """One process for a whole list of commands."""
    payload = json.dumps([[str(a) for a in args] for args in commands])
    proc = subprocess.run([sys.executable, "-c", LOOP, db, payload],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    return [Done(d["args"], d["exit"], d["stderr"]) for d in json.loads(proc.stdout)]


def _in_parallel(*streams: list[tuple[str, ...]], db: str,
                 loop: tuple[bool, ...] = ()) -> list[list[Done]]:
    """Run each stream's commands one after the other, all streams at once; a stream whose
    ``loop`` flag is set runs in one process, the others in one process per command."""
    results: list[list[Done]] = [[] for _ in streams]
    start = threading.Barrier(len(streams))

    def work(i: int) -> None:
        start.wait(TIMEOUT_S)
        if i < len(loop) and loop[i]:
            results[i] = _run_loop(db, streams[i])
            return
        for args in streams[i]:
            results[i].extend(_run(db, *args))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(streams))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT_S * 4)
        assert not t.is_alive(), "a coder stream did not finish in time"
    return results


@pytest.fixture
def shared(cli, make_doc, db_path, tmp_path):
    """One interview of SEGMENTS turns and two codes, as a team would have before coding."""
    make_doc("entretien_07.txt", [("Martine", f"Réponse numéro {i}, avec des détails.")
                                  for i in range(1, SEGMENTS + 1)])
    cli.ok("codebook", "add", "débrouille")
    cli.ok("codebook", "add", "contournement")
    return str(db_path)


def _codings(db) -> tuple[Counter, int, int]:
    """Codings per (coder, code), their number, and their number without duplicates."""
    with db.session() as s:
        rows = s.exec(select(models.Coder.name, models.Code.name, models.Coding.segment_id)
                      .join(models.Coder, models.Coder.id == models.Coding.coder_id)
                      .join(models.Code, models.Code.id == models.Coding.code_id)).all()
    return Counter((coder, code) for coder, code, _ in rows), len(rows), len(set(rows))


@pytest.mark.slow
def test_four_coders_at_once_lose_nothing(shared, db, tmp_path):
    csv = tmp_path / "codages.csv"
    csv.write_text("document,segment,code,coder\n" + "".join(
        f"entretien_07.txt,{n},contournement,david\n" for n in range(1, SEGMENTS + 1)),
        encoding="utf-8")
    agents = tmp_path / "agents.csv"
    agents.write_text("nom,profil\nMartine,pragmatique\nRémi,légaliste\n", encoding="utf-8")

    def applying(coder: str, code: str) -> list[tuple[str, ...]]:
        return [("code", "apply", f"entretien_07.txt:{n}", code, "--coder", coder)
                for n in range(1, SEGMENTS + 1)]

    streams = [
        applying("anne", "débrouille"),
        applying("bruno", "débrouille") + applying("bruno", "contournement"),
        [("code", "import", csv), ("agents", "import", agents),
         ("codebook", "add", "attente"), ("codebook", "add", "plainte")],
        applying("chloé", "contournement"),
    ]
    results = _in_parallel(*streams, db=shared, loop=(True, True, False, True))
    assert [len(r) for r in results] == [len(s) for s in streams]
    for stream in results:
        for result in stream:
            assert result.returncode == 0, (result.args, result.stderr)
            assert "locked" not in result.stderr
            assert "Already there" not in result.stderr
    counts, total, distinct = _codings(db)
    assert counts == {("anne", "débrouille"): SEGMENTS, ("bruno", "débrouille"): SEGMENTS,
                      ("bruno", "contournement"): SEGMENTS,
                      ("chloé", "contournement"): SEGMENTS, ("david", "contournement"): SEGMENTS}
    assert total == distinct == 5 * SEGMENTS
    with db.session() as s:
        codes = set(s.exec(select(models.Code.name)))
        agents_found = set(s.exec(select(models.Agent.name)))
    assert codes == {"débrouille", "contournement", "attente", "plainte"}
    assert agents_found == {"Martine", "Rémi"}


def test_two_coders_same_coding_at_once_make_two_codings(shared, db):
    results = _in_parallel(
        [("code", "apply", "entretien_07.txt:3", "débrouille", "--coder", "anne")],
        [("code", "apply", "entretien_07.txt:3", "débrouille", "--coder", "bruno")],
        db=shared)
    assert [r[0].returncode for r in results] == [0, 0]
    assert all("Applied débrouille" in r[0].stderr for r in results)
    counts, total, _ = _codings(db)
    assert counts == {("anne", "débrouille"): 1, ("bruno", "débrouille"): 1}
    assert total == 2


def test_same_coder_twice_at_once_makes_one_coding_and_reports_the_other(shared, db):
    results = _in_parallel(
        *[[("code", "apply", "entretien_07.txt:3", "débrouille", "--coder", "anne")]] * 2,
        db=shared)
    assert [r[0].returncode for r in results] == [0, 0]
    messages = sorted("Already there" in r[0].stderr for r in results)
    assert messages == [False, True], [r[0].stderr for r in results]
    counts, total, _ = _codings(db)
    assert counts == {("anne", "débrouille"): 1}
    assert total == 1

