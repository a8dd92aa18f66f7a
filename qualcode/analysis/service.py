"""Co-occurrence, crosstab and agreement over the corpus: load arrays, compute, return results.

Results are plain dataclasses with ``to_json()``; ``qualcode.export`` renders them as tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlmodel import Session

from ..corpus.agents import resolve_attribute_key
from ..errors import InvalidInput
from ..results import Cooccurrence
from . import units as U
from .agreement import (
    BOOTSTRAP_SEED,
    STATISTICS,
    Agreement,
    Interval,
    agreement_tables,
    bootstrap_intervals,
    pooled,
)
from .cooccurrence import (
    IMBALANCE_RATIO,
    MEASURES,
    apply_measure,
    cooccurrence_counts,
    imbalanced_pairs,
)
from .crosstab import crosstab_counts, group_overlap, percentages
from .permutation import DEFAULT_PERMUTATIONS, DEFAULT_SEED, PermutationTest, permutation_test

CROSSTAB_MEASURES = ("segments", "agents")
PERCENTS = ("col", "row", "both", "none")


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _base(corpus: U.Corpus, **extra: Any) -> dict[str, Any]:
    return {**extra, "coders": corpus.coder_names(), "date": _now(),
            "codebook": corpus.codebook()}


# --- co-occurrence -------------------------------------------------------------------------


@dataclass
class CoTable:
    group: str
    units: int
    codes: list[str]
    counts: np.ndarray
    matrix: np.ndarray
    warnings: list[str] = field(default_factory=list)


@dataclass
class CooccurrenceResult:
    by: str | None
    unit: str
    measure: str
    rollup: bool
    base: dict[str, Any]
    tables: list[CoTable]
    permutation: PermutationTest | None = None  # with ``test=True``: groups compared

    def to_json(self) -> Cooccurrence:
        def cell(v: Any) -> Any:
            return int(v) if self.measure == "count" else float(v)

        out = {
            "by": self.by, "unit": self.unit, "measure": self.measure,
            "base": {**self.base, "rollup": self.rollup},
            "tables": [{"group": t.group, "units": t.units, "codes": t.codes,
                        "matrix": [[cell(v) for v in row] for row in t.matrix.tolist()],
                        "counts": t.counts.tolist(), "warnings": t.warnings}
                       for t in self.tables],
        }
        if self.permutation is not None:
            out["permutation_test"] = self.permutation.to_json(self.tables[0].codes)
        return out


def _imbalance_warnings(counts: np.ndarray, names: list[str]) -> list[str]:
    out = []
    diag = np.diag(counts)
    for i, j in imbalanced_pairs(counts):
        out.append(f"{names[i]} (n={diag[i]}) and {names[j]} (n={diag[j]}) co-occur "
                   f"{counts[i, j]} times but their frequencies differ more than "
                   f"{IMBALANCE_RATIO} times: the c-coefficient (jaccard) understates the link")
    return out


def cooccurrence_tables(presence: np.ndarray, membership: np.ndarray,
                        groups: list[str], names: list[str], measure: str
                        ) -> list[CoTable]:
    """One table for all units, then one per group (pure: arrays in, tables out)."""
    tables = []
    masks = [np.ones(len(presence), dtype=bool)] + [membership[:, g] for g in range(len(groups))]
    for group, mask in zip([U.ALL_GROUP, *groups], masks, strict=True):
        counts = cooccurrence_counts(presence[mask])
        tables.append(CoTable(group, int(mask.sum()), names, counts,
                              apply_measure(counts, measure), _imbalance_warnings(counts, names)))
    return tables


def cooccurrence_report(session: Session, *, by: str | None, unit: str = "segment",
                        measure: str = "count", codes: list[str] | None = None,
                        rollup: bool = True, coders: list[str] | None = None,
                        test: bool = False, permutations: int = DEFAULT_PERMUTATIONS,
                        seed: int = DEFAULT_SEED) -> CooccurrenceResult:
    """Co-occurrence of codes per unit, one table for ``(all)`` and one per value of ``by``.

    ``test``: compare the groups pair by pair with a permutation test of the unit labels
    (``permutations`` arrangements, ``seed``); it tests Jaccard when ``measure`` is jaccard,
    else the share of the group's units coded with both codes.
    """
    if test and not by:
        raise InvalidInput("the permutation test compares groups", "add --by ATTR")
    if test and permutations < 1:
        raise InvalidInput(f"the number of permutations must be 1 or more, not {permutations}",
                           "pass --permutations N, e.g. 999")
    if measure not in MEASURES:
        raise InvalidInput(f"unknown measure {measure!r}", f"use one of {', '.join(MEASURES)}")
    if unit not in U.UNITS:
        raise InvalidInput(f"unknown unit {unit!r}", f"use one of {', '.join(U.UNITS)}")
    corpus = U.load_corpus(session, coders=coders)
    if by:
        by = resolve_attribute_key(session, by)  # titles name the key as stored
    values = U.attribute_values(session, corpus, by) if by else None
    columns = U.choose_columns(session, corpus.tree, codes, rollup)
    units = U.build_units(corpus, U.segment_presence(corpus, columns), unit)
    groups, membership = (U.group_membership(units, values) if values is not None
                          else ([], np.zeros((len(units.presence), 0), dtype=bool)))
    tables = cooccurrence_tables(units.presence, membership, groups, columns.names,
                                 measure)
    permutation = None
    if test:
        if len(groups) < 2:
            raise InvalidInput(f"the permutation test needs two groups or more; {by} has "
                               f"{len(groups)} value{'s' if len(groups) != 1 else ''}",
                               "choose another --by attribute")
        permutation = permutation_test(
            units.presence, membership, groups,
            statistic="jaccard" if measure == "jaccard" else "share",
            permutations=permutations, seed=seed)
    return CooccurrenceResult(by, unit, measure, rollup,
                              _base(corpus, unit=unit, measure=measure, by=by), tables,
                              permutation)


# --- crosstab ------------------------------------------------------------------------------


@dataclass
class CrosstabResult:
    """Codes x groups (attribute values, then ``(total)``) for segments and for agents."""

    by: str
    codes: list[str]
    groups: list[str]
    segments: np.ndarray  # codes x groups
    agents: np.ndarray
    group_segments: list[int]  # segments per group (column bases)
    group_agents: list[int]
    unassigned_segments: int  # segments in no group (left out)
    base: dict[str, Any]
    overlap_segments: int = 0  # segments in more than one group
    overlap_pairs: list[tuple[str, str, int]] = field(default_factory=list)  # shared by 2 groups

    def counts(self, measure: str) -> np.ndarray:
        return self.segments if measure == "segments" else self.agents

    def col_pct(self, measure: str) -> np.ndarray:
        bases = self.group_segments if measure == "segments" else self.group_agents
        return percentages(self.counts(measure), np.array(bases), axis=0)

    def row_pct(self, measure: str) -> np.ndarray:
        counts = self.counts(measure)
        return percentages(counts, counts[:, -1], axis=1)

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by, "codes": self.codes, "groups": self.groups,
            "base": {**self.base, "group_segments": self.group_segments,
                     "group_agents": self.group_agents,
                     "unassigned_segments": self.unassigned_segments,
                     "overlap_segments": self.overlap_segments,
                     "overlap_pairs": [list(p) for p in self.overlap_pairs]},
            "segments": self.segments.tolist(), "agents": self.agents.tolist(),
            "row_pct": {m: self.row_pct(m).tolist() for m in CROSSTAB_MEASURES},
            "col_pct": {m: self.col_pct(m).tolist() for m in CROSSTAB_MEASURES},
        }


TOTAL_GROUP = "(total)"


def crosstab_report(session: Session, *, by: str, codes: list[str] | None = None,
                    rollup: bool = True, coders: list[str] | None = None) -> CrosstabResult:
    """Codes x values of ``by``: segments and distinct agents per cell, plus a total column.

    The total counts each unit once even when it belongs to two groups, so row percentages
    may add up to more than 100.
    """
    corpus = U.load_corpus(session, coders=coders)
    by = resolve_attribute_key(session, by)
    values = U.attribute_values(session, corpus, by)
    columns = U.choose_columns(session, corpus.tree, codes, rollup)
    seg_presence = U.segment_presence(corpus, columns)
    segs = U.build_units(corpus, seg_presence, "segment")
    groups, seg_groups = U.group_membership(segs, values)
    agents = U.build_units(corpus, seg_presence, "agent")
    _, agent_groups = U.group_membership(agents, values)
    shared, pairs = group_overlap(seg_groups)
    seg_groups = np.column_stack([seg_groups, seg_groups.any(axis=1)])
    agent_groups = np.column_stack([agent_groups, agent_groups.any(axis=1)])
    return CrosstabResult(
        by=by, codes=columns.names, groups=[*groups, TOTAL_GROUP],
        segments=crosstab_counts(segs.presence, seg_groups),
        agents=crosstab_counts(agents.presence, agent_groups),
        group_segments=seg_groups.sum(axis=0).tolist(),
        group_agents=agent_groups.sum(axis=0).tolist(),
        unassigned_segments=int((~seg_groups[:, -1]).sum()),
        base=_base(corpus, unit="segment", by=by),
        overlap_segments=shared,
        overlap_pairs=[(groups[i], groups[j], n) for i, j, n in pairs],
    )


# --- agreement -----------------------------------------------------------------------------


@dataclass
class AgreementResult:
    coders: tuple[str, str]
    codes: list[str]
    tables: list[Agreement]
    overall: Agreement
    documents: list[str]
    units: int
    disagreements: list[dict[str, Any]]  # the first ``limit`` (all when no limit)
    base: dict[str, Any]
    disagreements_total: int = 0  # how many there are in all
    bootstrap: int = 0  # resamples behind the intervals (0: none)
    seed: int = BOOTSTRAP_SEED
    # 95 % percentile intervals of kappa, alpha, ac1: one dict per code, and pooled
    intervals: list[dict[str, Interval]] = field(default_factory=list)
    overall_intervals: dict[str, Interval] = field(default_factory=dict)

    def interval(self, index: int | None, stat: str) -> Interval:
        """Interval of ``stat`` for code ``index`` (None: pooled); (None, None) if none."""
        found = self.overall_intervals if index is None else (
            self.intervals[index] if index < len(self.intervals) else {})
        return found.get(stat, Interval(None, None))

    def to_json(self) -> dict[str, Any]:
        def stats(t: Agreement, index: int | None) -> dict[str, Any]:
            return {"both": t.both, "only_a": t.only_a, "only_b": t.only_b,
                    "neither": t.neither, "po": t.percent, "kappa": t.kappa, "alpha": t.alpha,
                    "ac1": t.ac1, "prevalence_a": t.prevalence_a,
                    "prevalence_b": t.prevalence_b, "prevalence": t.prevalence,
                    "extreme_prevalence": t.extreme_prevalence,
                    "intervals": {k: {"value": getattr(t, k),
                                      "low": self.interval(index, k).low,
                                      "high": self.interval(index, k).high}
                                  for k in STATISTICS}}

        return {"coders": list(self.coders), "unit": "segment", "units": self.units,
                "documents": self.documents, "base": self.base,
                "bootstrap": {"resamples": self.bootstrap, "seed": self.seed, "level": 0.95,
                              "method": "percentile, units resampled"},
                "codes": [{"code": c, **stats(t, i)}
                          for i, (c, t) in enumerate(zip(self.codes, self.tables, strict=True))],
                "overall": stats(self.overall, None), "disagreements": self.disagreements,
                "disagreements_total": self.disagreements_total}


DISAGREEMENTS_LIMIT = 100


def agreement_report(session: Session, *, coders: list[str], codes: list[str] | None = None,
                     rollup: bool = False,
                     limit: int | None = DISAGREEMENTS_LIMIT, bootstrap: int = 1000,
                     seed: int = BOOTSTRAP_SEED) -> AgreementResult:
    """Agreement of two coders per code and pooled, at segment level.

    Units: every non-interviewer segment of the documents both coders coded (at least one
    coding each). Codes: ``codes``, else every code either coder used there (each code on its
    own; ``rollup`` counts sub-codes in their top-level code instead). Disagreements: the
    first ``limit`` in (document, segment, code) order, all of them when ``limit`` is None;
    ``disagreements_total`` counts them all. ``bootstrap``: resamples of the units behind the
    95 % intervals of kappa, alpha and AC1 (0: no intervals); ``seed`` makes them reproducible.
    """
    if bootstrap < 0:
        raise InvalidInput(f"the number of bootstrap resamples must be 0 or more, not {bootstrap}",
                           "pass --bootstrap N, or --bootstrap 0 to skip the intervals")
    if limit is not None and limit < 0:
        raise InvalidInput(f"the limit of listed disagreements must be 0 or more, not {limit}",
                           "pass --limit N, or --all to list them all")
    if len(coders) != 2 or coders[0] == coders[1]:
        raise InvalidInput("agreement compares exactly two different coders",
                           "pass --coders A B")
    corpus = U.load_corpus(session, coders=coders)
    ids = corpus.coder_filter or []
    a_id, b_id = ids
    docs_a = set(np.unique(corpus.cod_doc[corpus.cod_coder == a_id]).tolist())
    docs_b = set(np.unique(corpus.cod_doc[corpus.cod_coder == b_id]).tolist())
    shared = sorted(docs_a & docs_b)
    if not shared:
        raise InvalidInput(f"{coders[0]} and {coders[1]} have coded no document in common",
                           "agreement needs documents that both coders coded")
    in_shared = np.isin(corpus.cod_doc, shared)
    if codes or rollup:
        columns = U.choose_columns(session, corpus.tree, codes, rollup)
    else:
        used = set(np.unique(corpus.cod_code[in_shared]).tolist())
        chosen = [c for c in corpus.tree.ids if c in used]
        columns = U.Columns([corpus.tree.names[c] for c in chosen], [[c] for c in chosen], False)
    keep = np.isin(corpus.seg_doc, shared) & ~corpus.seg_interviewer
    pres_a = U.segment_presence(corpus, columns, in_shared & (corpus.cod_coder == a_id))[keep]
    pres_b = U.segment_presence(corpus, columns, in_shared & (corpus.cod_coder == b_id))[keep]
    tables = agreement_tables(pres_a, pres_b)
    intervals, overall_intervals = (bootstrap_intervals(pres_a, pres_b, bootstrap, seed)
                                    if bootstrap else ([], {}))
    seg_doc, seg_n = corpus.seg_doc[keep], corpus.seg_n[keep]
    rows, cols = np.nonzero(pres_a != pres_b)
    # Sorted by document name, segment number and column with arrays, and only the listed
    # ones become dicts: at corpus scale there are hundreds of thousands.
    doc_rank = np.zeros(max(shared) + 1, dtype=np.int64)
    for rank, d in enumerate(sorted(shared, key=lambda d: corpus.doc_names[d])):
        doc_rank[d] = rank
    order = np.lexsort((cols, seg_n[rows], doc_rank[seg_doc[rows]]))
    if limit is not None:
        order = order[:limit]
    disagreements = [{"document": corpus.doc_names[int(seg_doc[r])], "segment": int(seg_n[r]),
                      "code": columns.names[c], "coder": coders[0] if pres_a[r, c] else coders[1]}
                     for r, c in zip(rows[order].tolist(), cols[order].tolist(), strict=True)]
    return AgreementResult(
        coders=(coders[0], coders[1]), codes=columns.names, tables=tables,
        overall=pooled(tables), documents=[corpus.doc_names[d] for d in shared],
        units=int(keep.sum()), disagreements=disagreements,
        base=_base(corpus, unit="segment", rollup=rollup), disagreements_total=int(rows.size),
        bootstrap=bootstrap, seed=seed, intervals=intervals,
        overall_intervals=overall_intervals,
    )
