"""Shell completion speed on a 100,000-segment corpus, beside `qualcode --help`.

Builds the co-occurrence benchmark's synthetic corpus (bulk inserts: 1,000 documents, 100,000
segments, 30 codes, 200 agents with a profil), then runs the installed `qualcode` as bash
and zsh run it when the user presses Tab, and prints the best wall time of each case and its
CPU time (user + sys of the child: steadier than the wall clock on a shared machine).

    .venv/bin/python bench/bench_completion.py            # builds in a temporary folder
    .venv/bin/python bench/bench_completion.py --db /tmp/cooc.db --runs 20

Targets: `qualcode --help` under 0.15 s, every completion under 0.3 s. Printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cooccurrence import build  # noqa: E402  (the same synthetic corpus)

# (label, shell, command line; the word under the cursor is the last one)
CASES = [
    ("command names", "bash", "qualcode co"),
    ("document names", "bash", "qualcode docs show doc_001"),
    ("DOC:N references", "bash", "qualcode code apply doc_0099"),
    ("code names", "bash", "qualcode segments --code Th"),
    ("--where keys", "bash", "qualcode segments --where "),
    ("--where values", "zsh", "qualcode segments --where profil="),
    ("--by keys", "bash", "qualcode cooccurrence --by "),
    ("no corpus", "bash", "qualcode --db /nonexistent/x.db docs show "),
]


def entry_point() -> list[str]:
    exe = Path(sys.executable).parent / "qualcode"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "qualcode"]


def run(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float, str]:
    """Best wall and CPU seconds over ``runs``, and the last output."""
    walls, cpus, out = [], [], ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus), out


def completion_env(shell: str, line: str, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_QUALCODE")}
    env["QUALCODE_DB"] = str(db)
    env["_QUALCODE_COMPLETE"] = f"complete_{shell}"
    if shell == "bash":
        env["COMP_WORDS"] = line
        env["COMP_CWORD"] = str(len(line.split(" ")) - 1)
    else:
        env["_TYPER_COMPLETE_ARGS"] = line
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="corpus file (built if missing)")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="qualcode-bench-")) / "completion.db"
    if not path.exists():
        t0 = time.perf_counter()
        build(path, segments=args.segments, codings=args.segments, docs=1_000, agents=200)
        print(f"built {path}: {args.segments:,} segments, 1,000 documents, 30 codes, "
              f"200 agents in {time.perf_counter() - t0:.1f} s")
    cmd = entry_point()
    plain = {k: v for k, v in os.environ.items() if not k.startswith("_QUALCODE")}
    wall, cpu, _ = run([*cmd, "--help"], plain, args.runs)
    print(f"{'qualcode --help':<22} {wall:.3f} s wall, {cpu:.3f} s CPU (best of {args.runs}; "
          "target < 0.15 s)")
    worst = 0.0
    for label, shell, line in CASES:
        wall, cpu, out = run(cmd, completion_env(shell, line, path), args.runs)
        worst = max(worst, wall)
        # bash: one candidate a line; zsh: one `_arguments` line per candidate
        found = [w for w in out.splitlines() if w.strip()]
        print(f"{label:<22} {wall:.3f} s wall, {cpu:.3f} s CPU, {len(found)} candidates"
              + (f", e.g. {found[0][:40]}" if found else ""))
    print(f"slowest completion: {worst:.3f} s wall (target < 0.3 s on {args.segments:,} "
          "segments)")


if __name__ == "__main__":
    main()
