"""A format-neutral table model, and the tables of each analysis result.

A :class:`Report` is what every renderer (csv, md, tex, xlsx, json) consumes: titled tables
with typed columns, the base of each table (what was counted, by whom, when, with which
codebook), warnings, tidy records for CSV, and the JSON payload of the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Column kinds: how a value is shown in text formats (numbers stay numbers in xlsx/csv/json).
INT, PCT, RATIO, TEXT = "int", "pct", "ratio", "text"


@dataclass
class Table:
    name: str  # group or section: a heading, a sheet name
    title: str
    header: list[str]
    kinds: list[str]
    rows: list[list[Any]]
    base: str = ""  # one line that says what was counted (LaTeX caption, Markdown note)
    notes: list[str] = field(default_factory=list)  # warnings


@dataclass
class Report:
    kind: str  # cooccurrence | crosstab | agreement
    tables: list[Table]
    records: list[dict[str, Any]]  # tidy rows for CSV
    payload: dict[str, Any]  # JSON


def fmt(value: Any, kind: str) -> str:
    """A value as text: percentages with 1 decimal, ratios with 3, None as n/a."""
    if value is None:
        return "n/a"
    if kind == PCT:
        return f"{value:.1f}"
    if kind == RATIO:
        return f"{value:.3f}"
    return str(value)


def _codebook_text(codebook: dict[str, str]) -> str:
    label = " ".join(x for x in (codebook.get("name"), codebook.get("version")) if x)
    label = f"{label} " if label else ""
    return f"codebook {label}#{codebook.get('fingerprint', '')}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _coders_text(coders: list[str]) -> str:
    return ", ".join(coders) if coders else "none"


def _trace(base: dict[str, Any]) -> dict[str, str]:
    """Columns repeated on every CSV row so that a table cut from its file stays traceable
    (no date: the same data gives the same file, which diffs cleanly)."""
    return {"coders": "; ".join(base.get("coders") or []),
            "codebook": _codebook_text(base.get("codebook") or {}).removeprefix("codebook ")}


MEASURE_LABEL = {"count": "count (units)", "jaccard": "jaccard (c-coefficient)",
                 "row-pct": "row % (n_ij / n_i)"}


def cooccurrence_report(result: Any) -> Report:
    """Tables of a :class:`qualcode.analysis.service.CooccurrenceResult`."""
    kind = {"count": INT, "jaccard": RATIO, "row-pct": PCT}[result.measure]
    base = result.base
    tables, records = [], []
    for t in result.tables:
        where = "all" if t.group == "(all)" else f"{result.by} = {t.group}"
        title = f"Code co-occurrence, {t.group if t.group == '(all)' else where}"
        base_line = (
            f"{_count(t.units, result.unit)} ({where}); measure: {MEASURE_LABEL[result.measure]}; "
            f"coders: {_coders_text(base['coders'])}; "
            f"{'sub-codes rolled up' if result.rollup else 'codes without sub-codes'}; "
            f"{_codebook_text(base['codebook'])}; {base['date']}")
        rows = [[code, *row] for code, row in zip(t.codes, t.matrix.tolist(), strict=True)]
        tables.append(Table(t.group, title, ["code", *t.codes], [TEXT] + [kind] * len(t.codes),
                            rows, base_line, list(t.warnings)))
        for i, row_code in enumerate(t.codes):
            for j, col_code in enumerate(t.codes):
                value = t.matrix[i, j]
                records.append({"group": t.group, "code_row": row_code, "code_col": col_code,
                                "value": int(value) if kind == INT else float(value),
                                "n_ij": int(t.counts[i, j]), "units": t.units,
                                "unit": result.unit, "measure": result.measure,
                                "rollup": result.rollup, **_trace(base)})
    return Report("cooccurrence", tables, records, result.to_json())


def crosstab_report(result: Any, measure: str = "segments", percent: str = "col") -> Report:
    """Codes x groups: the ``measure`` counts, with row and/or column percentages."""
    counts = result.counts(measure)
    row_pct, col_pct = result.row_pct(measure), result.col_pct(measure)
    bases = result.group_segments if measure == "segments" else result.group_agents
    header, kinds = ["code"], [TEXT]
    for g, n in zip(result.groups, bases, strict=True):
        header.append(f"{g} (n={n})")
        kinds.append(INT)
        if percent in ("row", "both"):
            header.append(f"{g} row %")
            kinds.append(PCT)
        if percent in ("col", "both"):
            header.append(f"{g} col %")
            kinds.append(PCT)
    rows = []
    for i, code in enumerate(result.codes):
        row: list[Any] = [code]
        for j in range(len(result.groups)):
            row.append(int(counts[i, j]))
            if percent in ("row", "both"):
                row.append(float(row_pct[i, j]))
            if percent in ("col", "both"):
                row.append(float(col_pct[i, j]))
        rows.append(row)
    b = result.base
    what = "segments" if measure == "segments" else "distinct agents"
    base_line = (f"{what} per code and {result.by}; n = {what} of the group; row % over the "
                 f"(total) column, col % over n; {result.unassigned_segments} segments belong "
                 f"to no {result.by} group (interviewer turns, unknown speakers, agents without "
                 f"{result.by}) and are left out; coders: {_coders_text(b['coders'])}; "
                 f"{_codebook_text(b['codebook'])}; {b['date']}")
    table = Table(result.by, f"Codes by {result.by} ({what})", header, kinds, rows, base_line)
    records = []
    for i, code in enumerate(result.codes):
        for j, g in enumerate(result.groups):
            records.append({
                "code": code, "group": g,
                "segments": int(result.segments[i, j]), "agents": int(result.agents[i, j]),
                "segments_row_pct": float(result.row_pct("segments")[i, j]),
                "segments_col_pct": float(result.col_pct("segments")[i, j]),
                "agents_row_pct": float(result.row_pct("agents")[i, j]),
                "agents_col_pct": float(result.col_pct("agents")[i, j]),
                "group_segments": result.group_segments[j],
                "group_agents": result.group_agents[j],
                **_trace(b),
            })
    return Report("crosstab", [table], records, result.to_json())


def ci_text(value: float | None, low: float | None, high: float | None) -> str:
    """A statistic with its interval: ``0.600 [0.480, 0.750]``; n/a where undefined."""
    if value is None:
        return "n/a"
    if low is None or high is None:
        return fmt(value, RATIO)
    return f"{fmt(value, RATIO)} [{fmt(low, RATIO)}, {fmt(high, RATIO)}]"


AGREEMENT_STATS = (("kappa", "kappa"), ("alpha", "alpha"), ("ac1", "AC1"))


def agreement_report(result: Any) -> Report:
    a, b = result.coders
    with_ci = bool(getattr(result, "bootstrap", 0))
    header = ["code", "both", f"only {a}", f"only {b}", "neither", "agreement %",
              *(f"{label} [95% CI]" if with_ci else label for _, label in AGREEMENT_STATS),
              f"prevalence {a} %", f"prevalence {b} %", "mean prevalence %"]
    stat_kind = TEXT if with_ci else RATIO
    kinds = [TEXT, INT, INT, INT, INT, PCT, stat_kind, stat_kind, stat_kind, PCT, PCT, PCT]

    def pct(x: float | None) -> float | None:
        return None if x is None else 100 * x

    def row(label: str, t: Any, index: int | None) -> list[Any]:
        stats = []
        for key, _ in AGREEMENT_STATS:
            value = getattr(t, key)
            if with_ci:
                ci = result.interval(index, key)
                stats.append(ci_text(value, ci.low, ci.high))
            else:
                stats.append(value)
        return [label, t.both, t.only_a, t.only_b, t.neither, pct(t.percent), *stats,
                pct(t.prevalence_a), pct(t.prevalence_b), pct(t.prevalence)]

    labelled = [*((c, t, i) for i, (c, t) in enumerate(zip(result.codes, result.tables,
                                                             strict=True))),
                ("(overall, pooled)", result.overall, None)]
    rows = [row(c, t, i) for c, t, i in labelled]
    base = result.base
    n_docs = len(result.documents)
    base_line = (f"{_count(result.units, 'segment')} (non-interviewer turns of the {n_docs} "
                 f"document{'s' if n_docs > 1 else ''} both coders coded); coders: {a}, {b}; "
                 f"{_codebook_text(base['codebook'])}; {base['date']}")
    if with_ci:
        base_line += (f"; 95% CI: percentile bootstrap, {result.bootstrap:,} resamples of the "
                      f"segments, seed {result.seed}")
    extreme = [c for c, t, _ in labelled if t.extreme_prevalence]
    notes = []
    if extreme:
        notes.append(f"mean prevalence under 5% or over 95% for {', '.join(extreme)}: kappa "
                     "(and alpha) are unstable there and can be low despite high agreement "
                     "(the kappa paradox); read AC1 and the agreement % alongside")
    stats = Table("agreement", f"Agreement between {a} and {b}", header, kinds, rows, base_line,
                  notes)
    dis = Table("disagreements", f"Disagreements between {a} and {b}",
                ["document", "segment", "code", "coded by"], [TEXT, INT, TEXT, TEXT],
                [[d["document"], d["segment"], d["code"], d["coder"]]
                 for d in result.disagreements],
                f"{len(result.disagreements)} segment x code decisions where only one coder "
                f"applied the code")
    trace = {"coder_a": a, "coder_b": b, "units": result.units, **_trace(base)}
    records = []
    for c, t, i in labelled:
        record: dict[str, Any] = {"code": c, "both": t.both, "only_a": t.only_a,
                                  "only_b": t.only_b, "neither": t.neither, "po": t.percent,
                                  "kappa": t.kappa, "alpha": t.alpha, "ac1": t.ac1}
        for key, _ in AGREEMENT_STATS:
            ci = result.interval(i, key)
            record[f"{key}_low"], record[f"{key}_high"] = ci.low, ci.high
            record[f"{key}_ci"] = ci_text(getattr(t, key), ci.low, ci.high)
        record.update(prevalence_a=t.prevalence_a, prevalence_b=t.prevalence_b,
                      prevalence=t.prevalence, extreme_prevalence=t.extreme_prevalence,
                      bootstrap=getattr(result, "bootstrap", 0), **trace)
        records.append(record)
    return Report("agreement", [stats, dis], records, result.to_json())
