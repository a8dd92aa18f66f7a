"""How long a colleague's coding waits while `suggest` runs on a large corpus.

    .venv/bin/python bench/bench_lock.py                 # 50k words
    .venv/bin/python bench/bench_lock.py --words 200000

Builds a corpus of invented French-like fieldnotes (bench_suggest.py's generator) with the
default codebook, then runs `suggest` in another process twice: as the CLI does it (reads in
one transaction, writes in short ones) and, as the anchor, in one write transaction from
start to end (how qualcode ran it before). Meanwhile this process applies and removes one
coding in a loop, each in its own write transaction, and prints how long those waited: the
longest wait, the median, and how many went through while suggest ran.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def run_suggest(db_url: str, mode: str) -> None:
    from qualcode.db import open_db
    from qualcode.suggest import service

    db = open_db(db_url)
    if mode == "steps":
        with db.session() as s:
            service.suggest(s, db=db, evidence_rows=False)
    else:
        with db.session(write=True) as s:
            service.suggest(s, evidence_rows=False)


def colleague(db_url: str, proc: subprocess.Popen) -> list[float]:
    """Apply and remove a coding until ``proc`` ends; the wait of each transaction."""
    from qualcode.coding.service import apply_codes, remove_code
    from qualcode.db import open_db

    db = open_db(db_url)
    waits = []
    while proc.poll() is None:
        t0 = time.perf_counter()
        with db.session(write=True) as s:
            apply_codes(s, ref="notes_0000.txt:1", codes=["retrait"], coder="gina")
        with db.session(write=True) as s:
            remove_code(s, ref="notes_0000.txt:1", code="retrait", coder="gina")
        waits.append((time.perf_counter() - t0) / 2)
        time.sleep(0.2)
    return waits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", type=int, default=50000)
    ap.add_argument("--worker", nargs=2, metavar=("DB", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        run_suggest(*args.worker)
        return
    import bench_suggest

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.json"
        corpus.write_text(json.dumps(bench_suggest.make_corpus(args.words, 11)),
                          encoding="utf-8")
        print(f"{'mode':<22} {'suggest':>8} {'codings':>8} {'longest wait':>13} "
              f"{'median wait':>12}")
        for mode in ("steps", "one-transaction"):
            url = str(Path(tmp) / f"{mode}.db")
            bench_suggest._build_db(url, corpus)
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, __file__, "--worker", url, mode])
            time.sleep(1.0)  # let it start and load the model
            waits = colleague(url, proc)
            seconds = time.perf_counter() - t0
            if proc.wait() != 0:
                raise SystemExit(f"suggest failed in mode {mode}")
            print(f"{mode:<22} {seconds:>7.1f}s {len(waits):>8} {max(waits, default=0):>12.2f}s "
                  f"{statistics.median(waits) if waits else 0:>11.3f}s", flush=True)


if __name__ == "__main__":
    main()
