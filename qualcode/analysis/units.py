"""The database side of the analyses: the corpus as arrays, and unit x code presence matrices.

Everything is loaded in a handful of queries (documents, segments, codings, codes, coders,
agents) and then computed with numpy: which segments each coding overlaps, which units hold
which codes, which units belong to which attribute group. Only human codings (the ``coding``
table) count: suggestions are another table and never enter here.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Select, case, func, select
from sqlmodel import Session

from ..codebook.lookup import get_code
from ..corpus.agents import resolve_attribute_key, shared_document_agents
from ..corpus.coders import get_coder
from ..errors import InvalidInput
from ..models import (
    Agent,
    AgentAttribute,
    Code,
    Coder,
    Coding,
    Document,
    Meta,
    Segment,
)
from ..textutil import norm_name

UNITS = ("segment", "document", "agent")
ALL_GROUP = "(all)"


@dataclass
class CodeTree:
    ids: list[int]  # codebook order: depth first, siblings by position
    names: dict[int, str]
    parent: dict[int, int | None]
    children: dict[int | None, list[int]]

    def descendants(self, code_id: int) -> list[int]:
        out, stack = [code_id], list(self.children.get(code_id, []))
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self.children.get(current, []))
        return out

    def fingerprint(self) -> str:
        """Short hash of the code names and their parents: changes whenever the tree does."""
        lines = sorted(f"{self.names[c]}\x1f{self.names.get(self.parent[c] or -1, '')}"
                       for c in self.ids)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


@dataclass
class Corpus:
    """Segments sorted by (document, start), codings of the chosen coders, agents, codes."""

    doc_ids: np.ndarray
    doc_names: list[str]
    seg_ids: np.ndarray
    seg_doc: np.ndarray  # index into doc_ids
    seg_n: np.ndarray
    seg_start: np.ndarray
    seg_end: np.ndarray
    seg_interviewer: np.ndarray
    cod_doc: np.ndarray  # index into doc_ids
    cod_start: np.ndarray
    cod_end: np.ndarray
    cod_code: np.ndarray  # code id
    cod_coder: np.ndarray  # coder id (-1 when all coders count: not loaded)
    agent_ids: np.ndarray
    agent_names: list[str]
    seg_agent: tuple[np.ndarray, np.ndarray]  # (segment index, agent index) pairs
    doc_agent: tuple[np.ndarray, np.ndarray]  # (document index, agent index) pairs
    tree: CodeTree
    coders: dict[int, str]  # every coder of the corpus
    coder_filter: list[int] | None  # None: all coders
    coding_coders: list[int]  # coders with at least one counted coding
    meta: dict[str, str] = field(default_factory=dict)

    def coder_names(self) -> list[str]:
        """The coders whose codings count (all coders who coded, when not filtered)."""
        if self.coder_filter is not None:
            return [self.coders[c] for c in self.coder_filter]
        return sorted(self.coders[c] for c in self.coding_coders)

    def codebook(self) -> dict[str, str]:
        return {"name": self.meta.get("codebook.name", ""),
                "version": self.meta.get("codebook.version", ""),
                "fingerprint": self.tree.fingerprint()}


def _ints(values: list) -> np.ndarray:
    return np.fromiter(values, dtype=np.int64, count=len(values))


def fetch_columns(session: Session, stmt: Select, n_columns: int) -> list[np.ndarray]:
    """Run a select of integer columns and return one int64 array per column.

    The statement is compiled for the session's own dialect (SQLite or PostgreSQL alike) and
    its rows go straight from the DBAPI cursor into one numpy structured array: no ORM row
    objects, no Python lists (the difference is most of the load time on 200,000 codings).
    """
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup or ())
    dtype = np.dtype([(f"c{i}", np.int64) for i in range(n_columns)])
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        data = np.fromiter(cursor, dtype=dtype)  # DBAPI rows are tuples
    finally:
        cursor.close()
    return [np.ascontiguousarray(data[f"c{i}"]) for i in range(n_columns)]


def load_code_tree(session: Session) -> CodeTree:
    rows = session.execute(
        select(Code.id, Code.name, Code.parent_id).order_by(Code.position, Code.id)).all()
    names = {r[0]: r[1] for r in rows}
    parent = {r[0]: r[2] for r in rows}
    children: dict[int | None, list[int]] = defaultdict(list)
    for code_id, _name, parent_id in rows:
        children[parent_id].append(code_id)
    ids: list[int] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        current = stack.pop()
        ids.append(current)
        stack.extend(reversed(children.get(current, [])))
    return CodeTree(ids, names, parent, dict(children))


def resolve_coders(session: Session, names: list[str] | None) -> list[int] | None:
    if not names:
        return None
    ids: list[int] = []
    for name in names:
        coder_id = get_coder(session, name).id
        if coder_id not in ids:
            ids.append(coder_id)
    return ids


def load_corpus(session: Session, *, coders: list[str] | None = None) -> Corpus:
    """Read the corpus into arrays; ``coders`` (names) restricts whose codings count."""
    coder_filter = resolve_coders(session, coders)
    docs = session.execute(select(Document.id, Document.name).order_by(Document.id)).all()
    doc_ids = _ints([d[0] for d in docs])
    # owner: -1 no speaker (the document's agents), -2 interviewer, 0 unknown speaker, else
    # the speaker's agent id: one column instead of three
    owner_sql = case((Segment.speaker.is_(None), -1), (Segment.is_interviewer, -2),
                     else_=func.coalesce(Segment.agent_id, 0))
    seg_id, seg_doc, seg_n, seg_start, seg_end, owner = fetch_columns(session, select(
        Segment.id, Segment.document_id, Segment.n, Segment.start, Segment.end, owner_sql), 6)
    order = np.lexsort((seg_n, seg_start, seg_doc))  # by document, then position
    seg_id, seg_doc, seg_n, seg_start, seg_end, owner = (
        a[order] for a in (seg_id, seg_doc, seg_n, seg_start, seg_end, owner))
    if coder_filter is None:
        # every coder counts: their names come from a DISTINCT query, not 200,000 values
        cod_doc, cod_start, cod_end, cod_code = fetch_columns(session, select(
            Coding.document_id, Coding.start, Coding.end, Coding.code_id), 4)
        cod_coder = np.full(len(cod_doc), -1, dtype=np.int64)
        coding_coders = sorted(session.scalars(select(Coding.coder_id).distinct()))
    else:
        cod_doc, cod_start, cod_end, cod_code, cod_coder = fetch_columns(session, select(
            Coding.document_id, Coding.start, Coding.end, Coding.code_id, Coding.coder_id)
            .where(Coding.coder_id.in_(coder_filter)), 5)
        coding_coders = coder_filter

    agents = session.execute(select(Agent.id, Agent.name).order_by(Agent.id)).all()
    agent_ids = _ints([a[0] for a in agents])
    da_doc, da_agent = fetch_columns(session, shared_document_agents(), 2)
    da_doc = np.searchsorted(doc_ids, da_doc)
    da_agent = np.searchsorted(agent_ids, da_agent)
    seg_doc = np.searchsorted(doc_ids, seg_doc)
    interviewer = owner == -2
    seg_agent = segment_agent_pairs(
        seg_doc, interviewer, owner == -1,
        np.where(owner > 0, np.searchsorted(agent_ids, owner), -1), (da_doc, da_agent))
    return Corpus(
        doc_ids=doc_ids,
        doc_names=[d[1] for d in docs],
        seg_ids=seg_id,
        seg_doc=seg_doc,
        seg_n=seg_n,
        seg_start=seg_start,
        seg_end=seg_end,
        seg_interviewer=interviewer,
        cod_doc=np.searchsorted(doc_ids, cod_doc),
        cod_start=cod_start,
        cod_end=cod_end,
        cod_code=cod_code,
        cod_coder=cod_coder,
        agent_ids=agent_ids,
        agent_names=[a[1] for a in agents],
        seg_agent=seg_agent,
        doc_agent=(da_doc, da_agent),
        tree=load_code_tree(session),
        coders=dict(session.execute(select(Coder.id, Coder.name)).all()),
        coder_filter=coder_filter,
        coding_coders=list(coding_coders),
        meta=dict(session.execute(
            select(Meta.key, Meta.value).where(Meta.key.like("codebook.%"))).all()),
    )


def segment_agent_pairs(seg_doc: np.ndarray, interviewer: np.ndarray, no_speaker: np.ndarray,
                        speaker_agent: np.ndarray, doc_agent: tuple[np.ndarray, np.ndarray]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(segment index, agent index) pairs: the rule of ``corpus.agents.segment_agents``.

    A turn of a known agent belongs to that agent; interviewer turns and turns of unknown
    speakers (``speaker_agent`` -1) to nobody; segments without a speaker to every agent of
    their document (``doc_agent``: the pairs of ``shared_document_agents``). Vectorised here
    because the analyses need it for 100,000 segments.
    """
    own = np.flatnonzero(~no_speaker & ~interviewer & (speaker_agent >= 0))
    da_doc, da_agent = doc_agent
    by_doc = np.argsort(da_doc, kind="stable")
    da_doc, da_agent = da_doc[by_doc], da_agent[by_doc]
    n_docs = int(max(seg_doc.max(initial=-1), da_doc.max(initial=-1))) + 1
    per_doc = np.bincount(da_doc, minlength=n_docs)
    first = np.concatenate(([0], np.cumsum(per_doc)[:-1]))
    shared = np.flatnonzero(no_speaker)
    counts = per_doc[seg_doc[shared]] if len(shared) else np.zeros(0, dtype=np.int64)
    total = int(counts.sum())
    run_start = np.repeat(np.cumsum(counts) - counts, counts)
    which = np.repeat(first[seg_doc[shared]], counts) + (np.arange(total) - run_start)
    segs = np.concatenate([own, np.repeat(shared, counts)])
    agents = np.concatenate([speaker_agent[own], da_agent[which]])
    return segs.astype(np.int64), agents.astype(np.int64)


def attribute_values(session: Session, corpus: Corpus, key: str) -> list[str | None]:
    """Value of attribute ``key`` per agent index (None: the agent has no such attribute).

    ``key`` is matched like a name (see :func:`resolve_attribute_key`); an attribute no agent
    has is an error that lists the known keys. Values that differ only by case, accents or
    spacing (`Social`, `social `) are one group, as `--where` matches them, spelt as most
    agents spell it.
    """
    key = resolve_attribute_key(session, key)
    rows = dict(session.execute(
        select(AgentAttribute.agent_id, AgentAttribute.value)
        .where(AgentAttribute.key == key)).all())
    spellings: dict[str, Counter[str]] = {}
    for value in rows.values():
        spellings.setdefault(norm_name(value), Counter())[value.strip()] += 1
    canonical = {k: min(c, key=lambda v: (-c[v], v)) for k, c in spellings.items()}
    return [canonical[norm_name(v)] if (v := rows.get(int(a))) is not None else None
            for a in corpus.agent_ids]


# --- codes -> columns ----------------------------------------------------------------------


@dataclass
class Columns:
    names: list[str]
    members: list[list[int]]  # code ids counted in each column
    rollup: bool


def choose_columns(session: Session, tree: CodeTree, codes: list[str] | None = None,
                   rollup: bool = True) -> Columns:
    """The codes to tabulate: ``codes`` (names) or, by default, the top-level codes.

    With ``rollup`` a column counts the code's codings and those of all its sub-codes; without
    it, only the code's own codings (and by default every code is its own column).
    """
    if codes:
        chosen: list[int] = []
        for name in codes:
            code_id = get_code(session, name).id
            if code_id not in chosen:
                chosen.append(code_id)
    elif rollup:
        chosen = list(tree.children.get(None, []))
    else:
        chosen = list(tree.ids)
    if not chosen:
        raise InvalidInput("the codebook is empty",
                           "import one with `qualcode codebook import codebook.yaml`")
    members = [tree.descendants(c) if rollup else [c] for c in chosen]
    return Columns([tree.names[c] for c in chosen], members, rollup)


def split_codes(values: list[str] | None) -> list[str] | None:
    """`--codes A,B --codes C` -> [A, B, C]."""
    if not values:
        return None
    out = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return out or None


# --- presence --------------------------------------------------------------------------


def coding_segment_pairs(corpus: Corpus, coding_mask: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """(segment index, coding index) for every segment a coding overlaps.

    Overlap: ``coding.start < seg.end and coding.end > seg.start`` in the same document.
    Each document gets its own stretch of one global axis (offset by the lengths of the
    documents before it), so one ``searchsorted`` over the sorted segment bounds finds the
    range of segments of every coding at once; a coding spanning several segments yields
    several pairs.
    """
    n_docs = len(corpus.doc_ids)
    idx = np.arange(len(corpus.cod_start)) if coding_mask is None else np.flatnonzero(coding_mask)
    if n_docs == 0 or len(idx) == 0 or len(corpus.seg_ids) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    length = np.zeros(n_docs, dtype=np.int64)
    np.maximum.at(length, corpus.seg_doc, corpus.seg_end)
    np.maximum.at(length, corpus.cod_doc[idx], corpus.cod_end[idx])
    offset = np.concatenate(([0], np.cumsum(length + 1)[:-1]))
    seg_lo = offset[corpus.seg_doc] + corpus.seg_start
    seg_hi = offset[corpus.seg_doc] + corpus.seg_end
    cod_lo = offset[corpus.cod_doc[idx]] + corpus.cod_start[idx]
    cod_hi = offset[corpus.cod_doc[idx]] + corpus.cod_end[idx]
    first = np.searchsorted(seg_hi, cod_lo, side="right")  # first segment ending after start
    stop = np.searchsorted(seg_lo, cod_hi, side="left")  # segments starting before the end
    counts = np.maximum(stop - first, 0)
    total = int(counts.sum())
    coding = np.repeat(idx, counts)
    run_start = np.repeat(np.cumsum(counts) - counts, counts)
    segment = np.repeat(first, counts) + (np.arange(total) - run_start)
    return segment, coding


def segment_presence(corpus: Corpus, columns: Columns,
                     coding_mask: np.ndarray | None = None) -> np.ndarray:
    """Segments x columns: True when a counted coding of a column's codes overlaps the segment."""
    seg, cod = coding_segment_pairs(corpus, coding_mask)
    presence = np.zeros((len(corpus.seg_ids), len(columns.names)), dtype=bool)
    if len(seg) == 0:
        return presence
    known = max(corpus.tree.ids, default=0)
    max_id = int(max(known, corpus.cod_code.max(initial=0))) + 1
    code_cols = np.zeros((max_id, len(columns.names)), dtype=bool)
    for j, members in enumerate(columns.members):
        code_cols[members, j] = True
    rows, cols = np.nonzero(code_cols[corpus.cod_code[cod]])
    presence[seg[rows], cols] = True
    return presence


def aggregate(presence: np.ndarray, unit_of: np.ndarray, segment: np.ndarray,
              n_units: int) -> np.ndarray:
    """Units x columns: a unit holds a code when one of its segments does.

    ``(unit_of[k], segment[k])`` are the unit-segment links (a segment may belong to several
    units, e.g. the two agents of an observation paragraph).
    """
    out = np.zeros((n_units, presence.shape[1]), dtype=bool)
    rows, cols = np.nonzero(presence[segment])
    out[unit_of[rows], cols] = True
    return out


@dataclass
class Units:
    """Units of one kind with their presence matrix and their agents."""

    kind: str
    presence: np.ndarray  # units x columns
    agent_links: tuple[np.ndarray, np.ndarray]  # (unit index, agent index)


def build_units(corpus: Corpus, seg_presence: np.ndarray, unit: str) -> Units:
    """Segment presence turned into presence per ``unit`` (segment, document or agent).

    A document belongs to its document agents plus the agents of its segments; an agent unit
    exists for each agent with at least one segment.
    """
    seg_of, agent_of = corpus.seg_agent
    if unit == "segment":
        return Units(unit, seg_presence, (seg_of, agent_of))
    if unit == "document":
        n_docs = len(corpus.doc_ids)
        presence = aggregate(seg_presence, corpus.seg_doc, np.arange(len(corpus.seg_ids)),
                             n_docs)
        links = (np.concatenate([corpus.doc_agent[0], corpus.seg_doc[seg_of]]),
                 np.concatenate([corpus.doc_agent[1], agent_of]))
        return Units(unit, presence, links)
    if unit == "agent":
        present = np.unique(agent_of)
        position = np.full(len(corpus.agent_ids), -1, dtype=np.int64)
        position[present] = np.arange(len(present))
        presence = aggregate(seg_presence, position[agent_of], seg_of, len(present))
        return Units(unit, presence, (np.arange(len(present)), present))
    raise InvalidInput(f"unknown unit {unit!r}", f"use one of {', '.join(UNITS)}")


def group_membership(units: Units, agent_values: list[str | None]
                     ) -> tuple[list[str], np.ndarray]:
    """Groups (attribute values, sorted) and units x groups membership.

    A unit is in group g when at least one of its agents has the value g; a unit with agents
    of two values is in both groups; a unit without agents (interviewer turn) is in none.
    """
    values = sorted({v for v in agent_values if v is not None}, key=lambda v: (v.casefold(), v))
    index = {v: i for i, v in enumerate(values)}
    value_of_agent = np.array([index.get(v, -1) if v is not None else -1 for v in agent_values],
                              dtype=np.int64)
    membership = np.zeros((len(units.presence), len(values)), dtype=bool)
    unit_of, agent_of = units.agent_links
    if len(agent_of):
        g = value_of_agent[agent_of]
        keep = g >= 0
        membership[unit_of[keep], g[keep]] = True
    return values, membership
