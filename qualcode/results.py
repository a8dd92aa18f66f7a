"""Typed shapes of the JSON some commands print (``--json``), as the services return them.

A script that reads ``qualcode ingest --json`` and a notebook that calls the service see the
same keys; the type checker knows them. Only typing here: importing this module costs nothing.
"""

# No `from __future__ import annotations`: TypedDict reads NotRequired from real annotations.
from typing import Any, Literal, NotRequired, TypedDict

IngestStatus = Literal["added", "unchanged", "replaced", "error"]


class IngestedFile(TypedDict):
    """One file of ``qualcode ingest --json`` (``IngestResult.as_json()``)."""

    document: str
    status: IngestStatus
    segments: int
    encoding: str
    error: NotRequired[str]  # only when status is "error"
    warnings: NotRequired[list[str]]  # what the reader read differently (a markup .txt, ...)
    notes: NotRequired[list[str]]  # what the reader kept outside the text or left out


class AgentsImported(TypedDict):
    """``qualcode agents import --json`` (``import_agents``)."""

    added: list[str]
    updated: list[str]
    unknown_speakers: list[str]  # transcript speakers that still match no agent


class CodesApplied(TypedDict):
    """``qualcode code apply --json`` (``apply_codes``)."""

    document: str
    segment: int  # the segment's number in its document, from 1
    start: int  # offsets of the coded span in the document's text
    end: int
    applied: list[str]
    already: list[str]  # codes this coder had already put on this span
    coder: str
    note: str  # "" or, e.g., which occurrence of --match was coded
    summary: str  # the audit line (empty when nothing was applied)


class CooccurrenceTable(TypedDict):
    group: str  # "(all)" first, then one per value of the attribute
    units: int
    codes: list[str]
    matrix: list[list[float]]  # ints for the count measure
    counts: list[list[int]]
    warnings: list[str]


class Cooccurrence(TypedDict):
    """``qualcode cooccurrence --json`` (``cooccurrence_report(...).to_json()``)."""

    by: str | None
    unit: str
    measure: str
    base: dict[str, Any]  # what was counted: coders, date, codebook, rollup...
    tables: list[CooccurrenceTable]
    provenance: dict[str, Any]  # date, codebook, command line, qualcode version
    permutation_test: NotRequired[dict[str, Any]]  # with --test: groups compared
