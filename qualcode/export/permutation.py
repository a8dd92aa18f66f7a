"""The permutation test of a co-occurrence result as a table of the report, and its CSV columns."""

from __future__ import annotations

from typing import Any

from .tables import PCT, RATIO, TEXT, Report, Table


def _p_text(p: float, exact: bool, drawn: int) -> str:
    """p with three decimals; a Monte Carlo p at its floor says so (``< 0.001`` would lie)."""
    if not exact and p <= 1 / (1 + drawn) + 1e-15:
        return f"<= {p:.3f}" if p >= 0.001 else f"<= {p:.1e}"
    return f"{p:.3f}"


def permutation_table(result: Any) -> Table:
    """One row per pair of codes: each group's value, the gap, p, Holm's p, small cells."""
    test = result.permutation
    codes = result.tables[0].codes
    share = test.statistic == "share"
    value_kind = PCT if share else RATIO
    header = ["code A", "code B",
              *(f"{g} (n={n})" for g, n in zip(test.groups, test.sizes, strict=True)),
              "gap", "p", "p Holm", "small cells"]
    kinds = [TEXT, TEXT, *([value_kind] * len(test.groups)), value_kind, TEXT, TEXT, TEXT]
    scale = 100.0 if share else 1.0
    rows = []
    for pair in test.pairs:
        rows.append([codes[pair.i], codes[pair.j], *(v * scale for v in pair.values),
                     pair.difference * scale, _p_text(pair.p, test.exact, test.permutations),
                     f"{pair.p_holm:.3f}", "yes" if pair.small else ""])
    what = ("the % of the group's units coded with both codes" if share
            else "the Jaccard coefficient of the pair in each group")
    how = (f"exact, all {test.permutations:,} arrangements" if test.exact
           else f"{test.permutations:,} random arrangements, seed {test.seed}; "
                "p = (1 + arrangements at least as far apart) / (1 + arrangements)")
    base = (f"permutation test of the {result.by} labels of the {result.unit}s ({how}); "
            f"columns per group: {what}; gap: the largest between two groups; "
            f"p Holm adjusts for the {len(test.pairs)} pairs tested")
    notes = []
    small = [f"{codes[p.i]} x {codes[p.j]}" for p in test.pairs if p.small]
    if small:
        notes.append(f"small cells (fewer than 5 units with both codes expected in a group) for "
                     f"{len(small)} of {len(test.pairs)} pairs ({', '.join(small[:6])}"
                     f"{', ...' if len(small) > 6 else ''}): the p-value stays valid, but a "
                     "gap there rests on a handful of units")
    if result.unit == "segment":
        notes.append("segments of one participant are not independent: permuting segments "
                     "treats them as if they were, so p-values come out too small; "
                     "--unit agent permutes the participants themselves")
    return Table("permutation test", f"Is the gap between {result.by} groups more than chance?",
                 header, kinds, rows, base, notes)


def add_permutation(report: Report, result: Any) -> Report:
    """Append the test's table, and its p-values to the CSV rows of each pair's cells."""
    if result.permutation is None:
        return report
    report.tables.append(permutation_table(result))
    codes = result.tables[0].codes
    by_pair: dict[tuple[str, str], Any] = {}
    for pair in result.permutation.pairs:
        by_pair[codes[pair.i], codes[pair.j]] = by_pair[codes[pair.j], codes[pair.i]] = pair
    for record in report.records:
        pair = by_pair.get((record.get("code_row"), record.get("code_col")))
        record["p_value"] = None if pair is None else pair.p
        record["p_holm"] = None if pair is None else pair.p_holm
        record["small_cells"] = None if pair is None else pair.small
    return report
