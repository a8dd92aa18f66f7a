"""Start-up time of `qualcode --help` (best of 10) and the modules it must not import, then
the light commands on the demo corpus (`docs list`, `history`, `status`, best of 10 each),
printed beside `python -c pass` measured in the same run.

    .venv/bin/python bench/bench_startup.py

Targets: under 0.3 s each, and `--help` imports neither spaCy nor SQLAlchemy, numpy or
matplotlib (the light commands read a SQLite corpus without SQLAlchemy, see qualcode/reads.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("spacy", "thinc", "sqlalchemy", "numpy", "pandas", "matplotlib")
PROBE = (
    "import json, runpy, sys\n"
    "sys.argv = ['qualcode', '--help']\n"
    "try:\n    runpy.run_module('qualcode', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
)


LIGHT = (["docs", "list"], ["history"], ["status"])


def best_of(n: int = 10, args: tuple[str, ...] = ("-m", "qualcode", "--help")) -> float:
    """Best wall time of ``n`` fresh processes; the CPU time (user + system) of the fastest
    goes to CPU[args] (on a machine shared with other work, CPU time moves less than wall)."""
    import resource

    times = []
    for _ in range(n):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime
        times.append((wall, cpu))
    wall, cpu = min(times)
    CPU[args] = min(c for _, c in times)
    return wall


CPU: dict[tuple[str, ...], float] = {}


def imported_heavy() -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    floor = best_of(args=("-c", "pass"))
    seconds = best_of()
    heavy = imported_heavy()
    print(f"python -c pass:  {floor:.3f} s (best of 10, the anchor; CPU "
          f"{CPU[('-c', 'pass')]:.3f} s)")
    print(f"qualcode --help: {seconds:.3f} s (best of 10; target < 0.3 s; CPU "
          f"{CPU[('-m', 'qualcode', '--help')]:.3f} s)")
    print(f"heavy modules imported: {', '.join(heavy) if heavy else 'none'}")
    slow = seconds >= 0.3
    with tempfile.TemporaryDirectory(prefix="qualcode-startup-") as tmp:
        subprocess.run([sys.executable, "-m", "qualcode", "demo", tmp], cwd=ROOT, check=True,
                       capture_output=True)
        demo = str(Path(tmp) / "demo.db")
        for command in LIGHT:
            args = ("-m", "qualcode", "--db", demo, *command)
            took = best_of(args=args)
            slow = slow or took >= 0.3
            print(f"qualcode {' '.join(command) + ':':10s} {took:.3f} s on the demo "
                  f"(best of 10; target < 0.3 s; {took / floor:.0f}x python -c pass; CPU "
                  f"{CPU[args]:.3f} s)")
    if heavy or slow:
        sys.exit(1)


if __name__ == "__main__":
    main()
