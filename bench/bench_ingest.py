"""Ingest throughput: synthetic French transcripts, 100 to 2,000 files, words/s and peak RSS.

Each size runs in its own process (fresh corpus, fresh peak-memory counter):

    .venv/bin/python bench/bench_ingest.py            # 100, 500, 1000, 2000 files
    .venv/bin/python bench/bench_ingest.py --sizes 200 --profile

Target: >= 300,000 words/s on a 2-core machine, memory flat in corpus size.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUBJECTS = ["je", "on", "la cheffe", "ma collègue", "le vigile", "l’usager", "la dame",
            "le conseiller", "l’intérimaire", "tout le monde", "la direction", "mon binôme"]
VERBS = ["reçoit", "explique", "attend", "remplit", "renvoie", "rappelle", "vérifie",
         "compte", "oriente", "rassure", "scanne", "imprime", "transmet", "relance"]
OBJECTS = ["le dossier", "les indemnités journalières", "la carte Vitale", "le formulaire",
           "l’attestation de droits", "le ticket", "la file d’attente", "le rendez-vous",
           "la complémentaire santé", "le courrier", "les arrêts de travail", "le compte ameli",
           "les remboursements", "le pré-accueil", "la borne", "le numéro de dossier"]
ENDS = ["avant l’ouverture", "au guichet deux", "sans lever la tête", "depuis des semaines",
        "quand ça déborde", "le lundi matin", "néanmoins", "comme d’habitude",
        "en fin de journée", "pour la troisième fois", "parce que c’est bloqué", "vite fait"]
SPEAKERS = ["Hélène", "Karim", "Joëlle", "Jérôme", "Noémie", "Sophie", "Marc", "Nadia"]


def sentence(rnd: random.Random) -> str:
    s = f"{rnd.choice(SUBJECTS)} {rnd.choice(VERBS)} {rnd.choice(OBJECTS)} {rnd.choice(ENDS)}"
    return s[0].upper() + s[1:] + rnd.choice([".", ".", ".", " ?", " !", "…"])


def transcript(rnd: random.Random, words: int = 1500) -> str:
    """About ``words`` words of `Enquêtrice :` / `Name :` turns, some hard-wrapped."""
    speaker = rnd.choice(SPEAKERS)
    out, count, turn = [], 0, 0
    while count < words:
        label = "Enquêtrice" if turn % 2 == 0 else speaker
        body = " ".join(sentence(rnd) for _ in range(1 if turn % 2 == 0 else rnd.randint(2, 8)))
        count += len(body.split()) + 2
        if rnd.random() < 0.3:  # a wrapped turn, one cut word
            line, lines = [], []
            for word in body.split():
                line.append(word)
                if sum(len(w) + 1 for w in line) > 70:
                    lines.append(" ".join(line))
                    line = []
            lines.append(" ".join(line))
            body = "\n".join(lines)
        out.append(f"{label} : {body}")
        turn += 1
    return "\n\n".join(out) + "\n"


def generate(folder: Path, n: int, seed: int = 7) -> int:
    rnd = random.Random(seed)
    total = 0
    for i in range(n):
        text = transcript(rnd)
        total += len(text.split())
        (folder / f"entretien_{i:05d}.txt").write_text(text, encoding="utf-8")
    return total


def run_one(n: int, profile: bool, drop_index: str | None = None) -> dict:
    from qualcode.corpus.ingest import ingest_paths
    from qualcode.db import open_db

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        words = generate(folder, n)
        db = open_db(str(Path(tmp) / "bench.db"))
        if drop_index:  # experiment: what an index costs the writer
            from sqlalchemy import text

            with db.session(write=True) as s:
                s.execute(text(f"DROP INDEX {drop_index}"))
        start = time.perf_counter()
        cpu = time.process_time()
        if profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            results = prof.runcall(ingest_paths, db, [folder])
            pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        else:
            results = ingest_paths(db, [folder])
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        errors = [r.error for r in results if r.status == "error"]
        assert not errors, errors[:3]
        again = time.perf_counter()
        unchanged = ingest_paths(db, [folder])
        assert all(r.status == "unchanged" for r in unchanged)
        rerun = time.perf_counter() - again
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"files": n, "words": words, "seconds": seconds, "words_per_s": words / seconds,
            "cpu_words_per_s": words / cpu,
            "rerun_seconds": rerun, "peak_rss_mb": rss_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 500, 1000, 2000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--drop-index", metavar="NAME",
                        help="experiment: drop this index first (e.g. ix_segment_text_hash)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.profile, args.drop_index)))
        return
    print(f"{'files':>6} {'words':>10} {'seconds':>8} {'words/s':>10} {'CPU w/s':>10} "
          f"{'re-run s':>9} {'peak RSS':>9}")
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n)] + (["--profile"] if args.profile
                                                                else [])
        if args.drop_index:
            cmd += ["--drop-index", args.drop_index]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        if args.profile:
            sys.stderr.write(out.stderr)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['files']:>6} {r['words']:>10,} {r['seconds']:>8.2f} "
              f"{r['words_per_s']:>10,.0f} {r['cpu_words_per_s']:>10,.0f} "
              f"{r['rerun_seconds']:>9.2f} "
              f"{r['peak_rss_mb']:>7.0f} MB", flush=True)
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"target: >= 300,000 words/s, peak RSS flat in corpus size (load average {load}; "
          "CPU w/s counts this process's CPU time only)")


if __name__ == "__main__":
    main()
