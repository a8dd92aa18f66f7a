"""Start-up time of `qualcode --help` (best of 10) and the modules it must not import.

    .venv/bin/python bench/bench_startup.py

Target: under 0.3 s, and neither spaCy nor SQLAlchemy, numpy or matplotlib imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
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


def best_of(n: int = 10) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qualcode", "--help"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def imported_heavy() -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    seconds = best_of()
    heavy = imported_heavy()
    print(f"qualcode --help: {seconds:.3f} s (best of 10; target < 0.3 s)")
    print(f"heavy modules imported: {', '.join(heavy) if heavy else 'none'}")
    if heavy or seconds >= 0.3:
        sys.exit(1)


if __name__ == "__main__":
    main()
