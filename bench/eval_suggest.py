"""Suggestion quality on every evaluation set, next to a plain keyword lookup (same run).

Six corpora (the demo, and the five sets in bench/evalsets/ written blind: each codebook
from a topic description alone, the texts by someone who never saw it, the gold codings by a
third) and six codebooks (guichet and the five sets'): every pair that has gold codings is
evaluated, which gives the swap test (each of the first three codebooks on each of the first
three corpora; lycee_pro, livreurs and soignantes_nuit, held out in turn, have their own
codebook's codings only). soignantes_nuit has three long interviews, so that "after one
document" means after one real interview.

    python bench/eval_suggest.py                   # every pair, a Markdown table
    python bench/eval_suggest.py --corpus aide_domicile --codebook aide_domicile --json

Figures: micro-F1 at 0.5 of the keyword lookup and of the engine (codebook alone) over all
documents; after learning from one document (mean over runs, each tested on the other
documents, with both references on the same documents); learned from all other documents;
then the review queue (precision at 10 and 20, share of the codings found in its top 20%).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETS = ROOT / "bench" / "evalsets"
# The blind sets, in the order they were written (bench/evalsets/README.md).
BLIND = ("aide_domicile", "conseillers_emploi", "lycee_pro", "livreurs", "soignantes_nuit")
CORPORA = {"demo": ROOT / "corpora" / "demo", **{n: SETS / n / "corpus" for n in BLIND}}
CODEBOOKS = {"guichet": ROOT / "codebooks" / "guichet.yaml",
             **{n: SETS / n / "codebook.yaml" for n in BLIND}}
SUFFIXES = (".txt", ".md")


def gold_file(corpus: str, codebook: str) -> tuple[Path, str] | None:
    """The gold codings of ``codebook`` on ``corpus`` and the coder to evaluate against."""
    if corpus == "demo" and codebook == "guichet":
        return ROOT / "corpora" / "demo" / "codings.csv", "ana"
    folder = SETS / corpus
    path = folder / f"gold_{codebook}.csv"
    return (path, "gold") if path.is_file() else None


def evaluate_pair(corpus: str, codebook: str, folder: Path, threshold: float | None = None
                  ) -> dict:
    from qualcode.codebook.service import import_codebook, read_codebook_file
    from qualcode.coding.csvio import import_codings_csv
    from qualcode.corpus.ingest import ingest_paths
    from qualcode.db import open_db
    from qualcode.suggest.evaluate import evaluate

    found = gold_file(corpus, codebook)
    assert found is not None
    gold, coder = found
    db = open_db(str(folder / f"{corpus}-{codebook}.db"))
    with db.session(write=True) as s:
        import_codebook(s, read_codebook_file(CODEBOOKS[codebook]), coder="bench")
    files = sorted(p for p in CORPORA[corpus].iterdir()
                   if p.suffix in SUFFIXES and not p.stem.startswith("README"))
    ingest_paths(db, files)
    with db.session(write=True) as s:
        import_codings_csv(s, gold, default_coder=coder)
    started = time.perf_counter()
    with db.session(write=True) as s:
        report = evaluate(s, coder=coder) if threshold is None else evaluate(
            s, coder=coder, threshold=threshold)
    report["seconds"] = round(time.perf_counter() - started, 2)
    report["corpus"], report["codebook_name"] = corpus, codebook
    return report


def row(r: dict) -> str:
    one = r["one_document"] or {}
    learned = r["learned"] or {}

    def f(x: float | None) -> str:
        return "–" if x is None else f"{x:.3f}"

    def rk(block: dict, key: str) -> str:
        return f(block.get("ranking", {}).get(key)) if block else "–"

    return " | ".join([
        r["corpus"], r["codebook_name"], str(r["segments"]), str(r["codings"]),
        f(r["keyword_lookup"]["micro"]["f1"]), f(r["codebook"]["micro"]["f1"]),
        f(one.get("keyword_lookup", {}).get("micro_f1")),
        f(one.get("codebook", {}).get("micro_f1")), f(one.get("engine", {}).get("micro_f1")),
        f(learned.get("micro", {}).get("f1")),
        rk(r["keyword_lookup"], "precision_at_10") + " / " + rk(r["codebook"], "precision_at_10"),
        rk(r["keyword_lookup"], "found_in_top_20pct") + " / "
        + rk(r["codebook"], "found_in_top_20pct") + " / " + rk(learned, "found_in_top_20pct"),
    ])


HEADER = ("corpus | codebook | segments | codings | lookup F1 | codebook F1 | "
          "1 doc: lookup | 1 doc: codebook | 1 doc: learned | all others: learned | "
          "P@10 lookup / codebook | top 20%: lookup / codebook / learned")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", choices=sorted(CORPORA), action="append")
    ap.add_argument("--codebook", choices=sorted(CODEBOOKS), action="append")
    ap.add_argument("--json", action="store_true", help="print the full reports as JSON")
    ap.add_argument("--threshold", type=float, help="decision threshold (default: the "
                    "engine's, 1/3)")
    args = ap.parse_args()
    pairs = [(c, b) for c in (args.corpus or list(CORPORA))
             for b in (args.codebook or list(CODEBOOKS)) if gold_file(c, b)]
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        for corpus, codebook in pairs:
            reports.append(evaluate_pair(corpus, codebook, Path(tmp), args.threshold))
            if not args.json:
                if len(reports) == 1:
                    print("| " + HEADER + " |")
                    print("|" + "---|" * len(HEADER.split(" | ")))
                print("| " + row(reports[-1]) + " |", flush=True)
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
