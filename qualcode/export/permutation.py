"""The permutation test of a co-occurrence result as a table of the report, and its CSV columns."""

from __future__ import annotations

from typing import Any

from ..i18n import DEFAULT_LANG, Lang, t
from .tables import PCT, RATIO, TEXT, Report, Table


def _p_text(p: float, exact: bool, drawn: int) -> str:
    """p with three decimals; a Monte Carlo p at its floor says so (``< 0.001`` would lie)."""
    if not exact and p <= 1 / (1 + drawn) + 1e-15:
        return f"<= {p:.3f}" if p >= 0.001 else f"<= {p:.1e}"
    return f"{p:.3f}"


def permutation_table(result: Any, lang: Lang = DEFAULT_LANG) -> Table:
    """One row per pair of codes: each group's value, the gap, p, Holm's p, small cells."""
    test = result.permutation
    codes = result.tables[0].codes
    share = test.statistic == "share"
    value_kind = PCT if share else RATIO
    header = [t("perm.code_a", lang), t("perm.code_b", lang),
              *(f"{g} (n={n})" for g, n in zip(test.groups, test.sizes, strict=True)),
              t("perm.gap", lang), "p", t("perm.p_holm", lang), t("perm.small", lang)]
    kinds = [TEXT, TEXT, *([value_kind] * len(test.groups)), value_kind, TEXT, TEXT, TEXT]
    scale = 100.0 if share else 1.0
    rows = []
    for pair in test.pairs:
        rows.append([codes[pair.i], codes[pair.j], *(v * scale for v in pair.values),
                     pair.difference * scale, _p_text(pair.p, test.exact, test.permutations),
                     f"{pair.p_holm:.3f}", t("perm.yes", lang) if pair.small else ""])
    what = t("perm.share" if share else "perm.jaccard", lang)
    how = (t("perm.exact", lang, n=f"{test.permutations:,}") if test.exact
           else t("perm.random", lang, n=f"{test.permutations:,}", seed=test.seed))
    base = t("perm.base", lang, by=result.by, unit=result.unit, how=how, what=what,
             pairs=len(test.pairs))
    notes = []
    small = [f"{codes[p.i]} x {codes[p.j]}" for p in test.pairs if p.small]
    if small:
        names = ", ".join(small[:6]) + (", ..." if len(small) > 6 else "")
        notes.append(t("perm.small_note", lang, k=len(small), pairs=len(test.pairs),
                       names=names))
    if result.unit == "segment":
        notes.append(t("perm.segments_note", lang))
    return Table("permutation test", t("perm.title", lang, by=result.by), header, kinds, rows,
                 base, notes)


def add_permutation(report: Report, result: Any, lang: Lang = DEFAULT_LANG) -> Report:
    """Append the test's table, and its p-values to the CSV rows of each pair's cells."""
    if result.permutation is None:
        return report
    report.tables.append(permutation_table(result, lang))
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
