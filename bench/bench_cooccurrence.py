"""Co-occurrence speed: 100,000 segments, 30 codes, 200,000 codings, agents with profils.

Builds a synthetic SQLite corpus with bulk inserts, then times
- loading the arrays (a few queries),
- the computation from loaded arrays (overlaps, presence, one matrix product per group),
- the whole `qualcode cooccurrence --by profil` command in a subprocess.

    .venv/bin/python bench/bench_cooccurrence.py            # builds in a temporary folder
    .venv/bin/python bench/bench_cooccurrence.py --db /tmp/cooc.db --keep

Targets: computation < 1 s, whole command < 2 s.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROFILS = ["pragmatique", "social", "gestionnaire", "militant"]
PHRASE = "on reçoit l’usager, on vérifie le dossier et on l’oriente vers le bon guichet. "


def build(path: Path, *, segments: int, codings: int, docs: int, agents: int,
          seed: int = 7) -> None:
    from sqlalchemy import insert

    from qualcode.db import open_db
    from qualcode.models import (
        Agent,
        AgentAttribute,
        Code,
        Coder,
        Coding,
        Document,
        DocumentAgent,
        Meta,
        Segment,
        utcnow,
    )

    rnd = random.Random(seed)
    serial = iter(range(1, 10**9))

    def guid() -> str:
        # Increasing GUIDs: the unique index grows at its end instead of at random places,
        # which keeps the bulk insert fast; the analyses never read them.
        return f"00000000-0000-4000-8000-{next(serial):012d}"
    db = open_db(str(path))
    now = utcnow()
    per_doc = segments // docs
    seg_len = len(PHRASE)
    with db.session(write=True) as s:
        conn = s.connection()  # Core executemany: no ORM work per row
        conn.execute(insert(Agent.__table__), [
            {"id": a, "name": f"Agent {a}", "norm_name": f"agent {a}", "guid": guid()}
            for a in range(1, agents + 1)])
        conn.execute(insert(AgentAttribute.__table__), [
            {"agent_id": a, "key": "profil", "value": PROFILS[a % len(PROFILS)]}
            for a in range(1, agents + 1)])
        doc_rows, seg_rows, links = [], [], []
        seg_id = 0
        doc_segments: list[list[tuple[int, int, int]]] = []
        for d in range(1, docs + 1):
            observation = d % 10 == 0  # one in ten: fieldnotes shared by two agents
            text = ((PHRASE + "\n\n") * per_doc)
            doc_rows.append({
                "id": d, "name": f"doc_{d:05d}.txt", "kind": "observation" if observation
                else "interview", "source_path": "", "format": "txt", "encoding": "utf-8",
                "text": text, "text_hash": "", "content_hash": "", "words": 0, "meta": {},
                "guid": guid(), "created_at": now})
            main = (d - 1) % agents + 1
            doc_agents = [main, main % agents + 1] if observation else [main]
            links += [{"document_id": d, "agent_id": a} for a in doc_agents]
            spans = []
            for n in range(1, per_doc + 1):
                seg_id += 1
                start = (n - 1) * (seg_len + 2)
                interviewer = not observation and n % 2 == 1
                speaker = None if observation else ("E" if interviewer else f"Agent {main}")
                seg_rows.append({
                    "id": seg_id, "document_id": d, "n": n, "start": start,
                    "end": start + seg_len, "speaker": speaker, "is_interviewer": interviewer,
                    "agent_id": None if observation or interviewer else main,
                    "text_hash": ""})
                spans.append((seg_id, start, start + seg_len))
            doc_segments.append(spans)
        conn.execute(insert(Document.__table__), doc_rows)
        conn.execute(insert(Segment.__table__), seg_rows)
        conn.execute(insert(DocumentAgent.__table__), links)
        # 10 top-level codes with 2 sub-codes each: 30 codes
        code_rows, cid = [], 0
        for t in range(10):
            cid += 1
            top = cid
            code_rows.append({"id": top, "name": f"Thème {t + 1}", "norm_name": f"thème {t + 1}",
                              "parent_id": None, "position": t})
            for k in range(2):
                cid += 1
                code_rows.append({"id": cid, "name": f"Thème {t + 1}.{k + 1}",
                                  "norm_name": f"thème {t + 1}.{k + 1}", "parent_id": top,
                                  "position": k})
        for row in code_rows:
            row.update(description="", inclusion="", exclusion="", examples=[], keywords=[],
                       is_codable=True, guid=guid())
        conn.execute(insert(Code.__table__), code_rows)
        conn.execute(insert(Coder.__table__), [{"id": 1, "name": "alice", "guid": guid()},
                                               {"id": 2, "name": "bob", "guid": guid()}])
        seen: set[tuple[int, int, int, int, int]] = set()
        coding_rows = []
        while len(coding_rows) < codings:
            d = rnd.randrange(docs)
            spans = doc_segments[d]
            i = rnd.randrange(len(spans))
            j = min(i + (1 if rnd.random() < 0.1 else 0), len(spans) - 1)  # 10% span two
            code = rnd.randrange(1, cid + 1)
            coder = rnd.randrange(1, 3)
            start, end = spans[i][1] + rnd.randrange(10), spans[j][2] - rnd.randrange(10)
            key = (code, d + 1, start, end, coder)
            if key in seen:
                continue
            seen.add(key)
            coding_rows.append({
                "code_id": code, "document_id": d + 1, "segment_id": spans[i][0],
                "start": start, "end": end, "coder_id": coder, "origin": "import",
                "guid": guid(), "created_at": now})
        conn.execute(insert(Coding.__table__), coding_rows)
        conn.execute(insert(Meta.__table__), [{"key": "codebook.name", "value": "Bench"},
                                 {"key": "codebook.version", "value": "1"}])


def time_computation(path: Path) -> tuple[float, float, float, float]:
    """(load wall, load cpu, computation wall, computation cpu) in seconds."""
    from qualcode.analysis import units as U
    from qualcode.analysis.service import cooccurrence_tables
    from qualcode.db import open_db

    db = open_db(str(path))
    with db.session() as s:
        t0, c0 = time.perf_counter(), time.process_time()
        corpus = U.load_corpus(s)
        values = U.attribute_values(s, corpus, "profil")
        columns = U.choose_columns(s, corpus.tree)
        t1, c1 = time.perf_counter(), time.process_time()
    units = U.build_units(corpus, U.segment_presence(corpus, columns), "segment")
    groups, membership = U.group_membership(units, values)
    tables = cooccurrence_tables(units.presence, membership, groups, columns.names, "count")
    t2, c2 = time.perf_counter(), time.process_time()
    assert len(tables) == len(PROFILS) + 1
    return t1 - t0, c1 - c0, t2 - t1, c2 - c1


def time_command(path: Path, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + sys of the child) seconds of each run of the whole command."""
    exe = Path(sys.executable).parent / "qualcode"
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else
           ["-m", "qualcode"]), "--db", str(path), "cooccurrence", "--by", "profil", "--json"]
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="corpus file (built if missing)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--codings", type=int, default=200_000)
    parser.add_argument("--docs", type=int, default=1_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = None
    path = args.db
    if path is None:
        tmp = tempfile.mkdtemp(prefix="qualcode-bench-")
        path = Path(tmp) / "cooc.db"
    if not path.exists():
        t0 = time.perf_counter()
        build(path, segments=args.segments, codings=args.codings, docs=args.docs,
              agents=args.agents)
        print(f"built {path}: {args.segments:,} segments, 30 codes, {args.codings:,} codings, "
              f"{args.agents} agents in {time.perf_counter() - t0:.1f} s")
    # CPU time is shown beside wall time: on a shared, loaded machine the wall clock also
    # counts the time spent waiting for a core.
    load, load_cpu, compute, compute_cpu = time_computation(path)
    print(f"load arrays (queries):       {load:.3f} s wall, {load_cpu:.3f} s cpu")
    print(f"computation (from arrays):   {compute:.3f} s wall, {compute_cpu:.3f} s cpu"
          "   target < 1 s")
    wall, cpu = time_command(path, args.runs)
    print(f"whole command (subprocess):  {statistics.median(wall):.3f} s wall "
          f"(best {min(wall):.3f}), {statistics.median(cpu):.3f} s cpu, median of {len(wall)}"
          "   target < 2 s")
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(f"note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: "
              "wall times include waiting for a core")
    if tmp and not args.keep:
        for p in Path(tmp).iterdir():
            p.unlink()
        Path(tmp).rmdir()


if __name__ == "__main__":
    main()
