"""A format-neutral table model, and the tables of each analysis result.

A :class:`Report` is what every renderer (csv, md, tex, xlsx, json) consumes: titled tables
with typed columns, the base of each table (what was counted and by whom), warnings, the
provenance of the whole report (date, codebook, command line: a note under the table, never
in the caption), tidy records for CSV, and the JSON payload of the contract. Labels come from
:mod:`qualcode.i18n` in the report's language; data (CSV keys and cells, JSON keys,
numbers in xlsx) stays the same in every language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..i18n import DEFAULT_LANG, Lang, count, date_text, number, t

# Column kinds: how a value is shown in text formats (numbers stay numbers in xlsx/csv/json).
INT, PCT, RATIO, TEXT = "int", "pct", "ratio", "text"
ALL_GROUP, TOTAL_GROUP = "(all)", "(total)"


@dataclass
class Table:
    name: str  # group or section: a heading, a sheet name
    title: str  # the caption: generated, or the user's --caption
    header: list[str]
    kinds: list[str]
    rows: list[list[Any]]
    base: str = ""  # one line that says what was counted (LaTeX caption, Markdown note)
    notes: list[str] = field(default_factory=list)  # warnings
    captioned: bool = False  # title is the user's --caption: the base goes under the table
    remarks: list[str] = field(default_factory=list)  # notes that are not warnings


@dataclass
class Report:
    kind: str  # cooccurrence | crosstab | agreement
    tables: list[Table]
    records: list[dict[str, Any]]  # tidy rows for CSV
    payload: dict[str, Any]  # JSON
    lang: Lang = DEFAULT_LANG
    provenance: dict[str, str] = field(default_factory=dict)  # date, codebook, command...


def fmt(value: Any, kind: str, lang: Lang = DEFAULT_LANG) -> str:
    """A value as text: percentages with 1 decimal, ratios with 3, None as n/a; French uses
    a decimal comma (and a narrow space between thousands)."""
    if value is None:
        return t("n/a", lang)
    if kind in (PCT, RATIO) and isinstance(value, int | float):
        return number(float(value), lang, 1 if kind == PCT else 3, grouping=lang == "fr")
    if kind == INT and isinstance(value, int) and lang == "fr":
        return number(value, lang)
    return str(value)


def group_label(group: str, lang: Lang) -> str:
    """`(all)` and `(total)` in the report's language; attribute values as they are."""
    if group == ALL_GROUP:
        return f"({t('all', lang)})"
    return group


def _codebook_text(codebook: dict[str, str], lang: Lang = DEFAULT_LANG) -> str:
    label = " ".join(x for x in (codebook.get("name"), codebook.get("version")) if x)
    label = f"{label} " if label else ""
    return t("codebook", lang, label=label, fingerprint=codebook.get("fingerprint", ""))


def _coders_text(coders: list[str], lang: Lang = DEFAULT_LANG) -> str:
    return t("coders", lang, names=", ".join(coders) if coders else t("none", lang))


def _trace(base: dict[str, Any]) -> dict[str, str]:
    """Columns repeated on every CSV row so that a table cut from its file stays traceable
    (no date: the same data gives the same file, which diffs cleanly)."""
    return {"coders": "; ".join(base.get("coders") or []),
            "codebook": _codebook_text(base.get("codebook") or {}).removeprefix("codebook ")}


def provenance(base: dict[str, Any], command: str | None, lang: Lang) -> dict[str, str]:
    """How the report was made, in the report's language: date, codebook, command line."""
    from .. import __version__

    out = {"date": str(base.get("date", "")),
           "codebook": _codebook_text(base.get("codebook") or {}).removeprefix("codebook "),
           "qualcode": __version__}
    if command:
        out["command"] = command
    return out


def provenance_line(report: Report, command: str = "{command}") -> str:
    """One sentence for the note under a table (Markdown, LaTeX, terminal); ``command`` is a
    template for the command line (e.g. in backticks for Markdown)."""
    p = report.provenance
    if not p:
        return ""
    parts = [t("prov.made", report.lang, date=date_text(p.get("date", ""), report.lang),
               codebook=p.get("codebook", ""))]
    if p.get("command"):  # a notebook call has no command line to quote
        parts.append(t("prov.run", report.lang,
                       command=command.format(command=p["command"])))
    return t("sep", report.lang).join(parts) + "."


def _finish(report: Report, base: dict[str, Any], command: str | None) -> Report:
    """Attach the provenance to the report and to its JSON payload."""
    report.provenance = provenance(base, command, report.lang)
    payload_prov: dict[str, Any] = {"date": base.get("date"), "codebook": base.get("codebook"),
                                    "command": command,
                                    "qualcode": report.provenance["qualcode"]}
    report.payload = {**report.payload, "provenance": payload_prov}
    return report


def _caption(caption: str | None, group: str | None, lang: Lang, several: bool) -> str | None:
    """The user's caption, with the group named when one command writes several tables."""
    if caption is None:
        return None
    if not caption.strip():
        from ..errors import InvalidInput

        raise InvalidInput("--caption is empty",
                           "give the caption's text, or leave --caption out for the generated one")
    if several and group is not None:
        return f"{caption} ({t('all', lang) if group == ALL_GROUP else group})"
    return caption


def _imbalance_notes(counts: Any, names: list[str], lang: Lang) -> dict[str, str]:
    """The service's English imbalance warnings, each with its words in ``lang``."""
    import numpy as np

    from ..analysis.cooccurrence import IMBALANCE_RATIO, imbalanced_pairs

    out = {}
    diag = np.diag(counts)
    for i, j in imbalanced_pairs(counts):
        values = dict(a=names[i], na=diag[i], b=names[j], nb=diag[j], nab=counts[i, j],
                      ratio=IMBALANCE_RATIO)
        out[t("cooc.imbalance", "en", **values)] = t("cooc.imbalance", lang, **values)
    return out


def cooccurrence_report(result: Any, lang: Lang = DEFAULT_LANG, caption: str | None = None,
                        command: str | None = None) -> Report:
    """Tables of a :class:`qualcode.analysis.service.CooccurrenceResult`; ``caption``
    replaces the generated titles (the group is named after it when there are several);
    ``command`` is the command line quoted in the provenance note."""
    kind = {"count": INT, "jaccard": RATIO, "row-pct": PCT}[result.measure]
    base = result.base
    tables, records = [], []
    several = len(result.tables) > 1
    for tb in result.tables:
        where = (t("all", lang) if tb.group == ALL_GROUP
                 else t("cooc.where", lang, by=result.by, group=tb.group))
        title = t("cooc.title", lang, group=group_label(tb.group, lang) if tb.group == ALL_GROUP
                  else where)
        base_line = t("cooc.base", lang, units=count(tb.units, result.unit, lang), where=where,
                      measure=t(f"measure.{result.measure}", lang),
                      coders=_coders_text(base["coders"], lang),
                      rollup=t("rollup.yes" if result.rollup else "rollup.no", lang))
        rows = [[code, *row] for code, row in zip(tb.codes, tb.matrix.tolist(), strict=True)]
        own = _caption(caption, tb.group, lang, several)
        notes = list(tb.warnings)
        if lang != "en":
            translated = _imbalance_notes(tb.counts, tb.codes, lang)
            notes = [translated.get(n, n) for n in notes]
        tables.append(Table(group_label(tb.group, lang), own or title, [t("code", lang),
                            *tb.codes], [TEXT] + [kind] * len(tb.codes), rows, base_line,
                            notes, captioned=own is not None))
        for i, row_code in enumerate(tb.codes):
            for j, col_code in enumerate(tb.codes):
                value = tb.matrix[i, j]
                records.append({"group": tb.group, "code_row": row_code, "code_col": col_code,
                                "value": int(value) if kind == INT else float(value),
                                "n_ij": int(tb.counts[i, j]), "units": tb.units,
                                "unit": result.unit, "measure": result.measure,
                                "rollup": result.rollup, **_trace(base)})
    report = Report("cooccurrence", tables, records, result.to_json(), lang)
    return _finish(report, base, command)


def _overlap_note(result: Any, lang: Lang) -> str | None:
    """Say so when a unit counts in several groups: the group sizes then add up to more
    than the total, and row percentages to more than 100."""
    shared = getattr(result, "overlap_segments", 0)
    if not shared:
        return None
    sizes = result.group_segments
    total, summed = sizes[-1], sum(sizes[:-1])
    pairs = result.overlap_pairs
    if len(pairs) == 1 and pairs[0][2] == shared:  # two groups: say which
        which = t("xt.overlap.both", lang, a=pairs[0][0], b=pairs[0][1])
    else:
        which = t("xt.overlap.many", lang, by=result.by, pairs=", ".join(
            t("xt.overlap.pair", lang, a=a, b=b, n=number(n, lang)) for a, b, n in pairs))
    return t("xt.overlap", lang, shared=number(shared, lang), total=number(total, lang),
             units=t("unit.segment.n", lang), which=which, sum=number(summed, lang))


def crosstab_report(result: Any, measure: str = "segments", percent: str = "col",
                    lang: Lang = DEFAULT_LANG, caption: str | None = None,
                    command: str | None = None) -> Report:
    """Codes x groups: the ``measure`` counts, with row and/or column percentages."""
    counts = result.counts(measure)
    row_pct, col_pct = result.row_pct(measure), result.col_pct(measure)
    bases = result.group_segments if measure == "segments" else result.group_agents
    header, kinds = [t("code", lang)], [TEXT]
    for g, n in zip(result.groups, bases, strict=True):
        header.append(t("xt.n", lang, group=g, n=number(n, lang)))
        kinds.append(INT)
        if percent in ("row", "both"):
            header.append(t("xt.row_pct", lang, group=g))
            kinds.append(PCT)
        if percent in ("col", "both"):
            header.append(t("xt.col_pct", lang, group=g))
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
    what = t("xt.what.segments" if measure == "segments" else "xt.what.agents", lang)
    base_line = t("xt.base", lang, what=what, by=result.by,
                  unassigned=count(result.unassigned_segments, "segment", lang),
                  coders=_coders_text(b["coders"], lang))
    remarks = [note for note in (_overlap_note(result, lang),) if note]
    own = _caption(caption, None, lang, False)
    table = Table(result.by, own or t("xt.title", lang, by=result.by, what=what), header, kinds,
                  rows, base_line, captioned=own is not None, remarks=remarks)
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
    report = Report("crosstab", [table], records, result.to_json(), lang)
    return _finish(report, b, command)


def ci_text(value: float | None, low: float | None, high: float | None,
            lang: Lang = DEFAULT_LANG) -> str:
    """A statistic with its interval: ``0.600 [0.480, 0.750]`` (``0,600 [0,480 ; 0,750]`` in
    French); n/a where undefined."""
    if value is None:
        return t("n/a", lang)
    if low is None or high is None:
        return fmt(value, RATIO, lang)
    sep = ", " if lang == "en" else t("sep", lang)
    return f"{fmt(value, RATIO, lang)} [{fmt(low, RATIO, lang)}{sep}{fmt(high, RATIO, lang)}]"


AGREEMENT_STATS = (("kappa", "kappa"), ("alpha", "alpha"), ("ac1", "AC1"))


def agreement_report(result: Any, lang: Lang = DEFAULT_LANG, caption: str | None = None,
                     command: str | None = None) -> Report:
    """The agreement table (``caption`` replaces its title) and the disagreements table."""
    a, b = result.coders
    with_ci = bool(getattr(result, "bootstrap", 0))
    header = [t("code", lang), t("ag.both", lang), t("ag.only", lang, coder=a),
              t("ag.only", lang, coder=b), t("ag.neither", lang), t("ag.percent", lang),
              *(t("ag.ci", lang, stat=label) if with_ci else label
                for _, label in AGREEMENT_STATS),
              t("ag.prevalence", lang, coder=a), t("ag.prevalence", lang, coder=b),
              t("ag.mean_prevalence", lang)]
    stat_kind = TEXT if with_ci else RATIO
    kinds = [TEXT, INT, INT, INT, INT, PCT, stat_kind, stat_kind, stat_kind, PCT, PCT, PCT]

    def pct(x: float | None) -> float | None:
        return None if x is None else 100 * x

    def row(label: str, tb: Any, index: int | None) -> list[Any]:
        stats = []
        for key, _ in AGREEMENT_STATS:
            value = getattr(tb, key)
            if with_ci:
                ci = result.interval(index, key)
                stats.append(ci_text(value, ci.low, ci.high, lang))
            else:
                stats.append(value)
        return [label, tb.both, tb.only_a, tb.only_b, tb.neither, pct(tb.percent), *stats,
                pct(tb.prevalence_a), pct(tb.prevalence_b), pct(tb.prevalence)]

    overall = "(overall, pooled)"
    labelled = [*((c, tb, i) for i, (c, tb) in enumerate(zip(result.codes, result.tables,
                                                               strict=True))),
                (overall, result.overall, None)]
    rows = [row(t("ag.overall", lang) if c == overall else c, tb, i) for c, tb, i in labelled]
    base = result.base
    n_docs = len(result.documents)
    base_line = t("ag.base", lang, units=count(result.units, "segment", lang),
                  docs=count(n_docs, "document", lang), a=a, b=b)
    if with_ci:
        base_line += t("sep", lang) + t("ag.bootstrap", lang, n=number(result.bootstrap, lang),
                                        seed=result.seed)
    extreme = [t("ag.overall", lang) if c == overall else c
               for c, tb, _ in labelled if tb.extreme_prevalence]
    notes = [t("ag.paradox", lang, codes=", ".join(extreme))] if extreme else []
    own = _caption(caption, None, lang, False)
    stats = Table(t("ag.sheet", lang), own or t("ag.title", lang, a=a, b=b), header, kinds, rows,
                  base_line, notes, captioned=own is not None)
    listed, total = len(result.disagreements), getattr(result, "disagreements_total", 0)
    dis_base = (t("ag.dis.first", lang, listed=number(listed, lang), total=number(total, lang))
                if listed < total else t("ag.dis.base", lang, n=number(listed, lang)))
    dis = Table(t("ag.dis.sheet", lang), t("ag.dis.title", lang, a=a, b=b),
                [t("ag.document", lang), t("ag.segment", lang), t("code", lang),
                 t("ag.coded_by", lang)], [TEXT, INT, TEXT, TEXT],
                [[d["document"], d["segment"], d["code"], d["coder"]]
                 for d in result.disagreements], dis_base)
    trace = {"coder_a": a, "coder_b": b, "units": result.units, **_trace(base)}
    records = []
    for c, tb, i in labelled:
        record: dict[str, Any] = {"code": c, "both": tb.both, "only_a": tb.only_a,
                                  "only_b": tb.only_b, "neither": tb.neither, "po": tb.percent,
                                  "kappa": tb.kappa, "alpha": tb.alpha, "ac1": tb.ac1}
        for key, _ in AGREEMENT_STATS:
            ci = result.interval(i, key)
            record[f"{key}_low"], record[f"{key}_high"] = ci.low, ci.high
            record[f"{key}_ci"] = ci_text(getattr(tb, key), ci.low, ci.high)
        record.update(prevalence_a=tb.prevalence_a, prevalence_b=tb.prevalence_b,
                      prevalence=tb.prevalence, extreme_prevalence=tb.extreme_prevalence,
                      bootstrap=getattr(result, "bootstrap", 0), **trace)
        records.append(record)
    report = Report("agreement", [stats, dis], records, result.to_json(), lang)
    return _finish(report, base, command)
