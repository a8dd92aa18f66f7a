"""Retrieve segments by code, agent attribute, kind, coder, document, text or absence of code.

A constant number of queries whatever the corpus size: segments, codings, codes, agents and
their attributes are each read once, then matched in memory (codings to segments by span
overlap, with a binary search over each document's segments).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ..codebook.lookup import children_map, get_code
from ..corpus.agents import segment_agents
from ..corpus.coders import get_coder
from ..corpus.documents import KINDS, get_document
from ..errors import InvalidInput, NotFound
from ..models import Agent, AgentAttribute, Code, Coder, Coding, Document, Segment
from ..textutil import fold


def parse_where(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`KEY=VALUE` strings -> {key: value}."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"{item!r} is not KEY=VALUE", "e.g. --where profil=social")
        out[key.strip()] = value.strip()
    return out


def _subtree(children: dict[int | None, list[int]], code_id: int) -> set[int]:
    out, stack = {code_id}, list(children.get(code_id, []))
    while stack:
        current = stack.pop()
        out.add(current)
        stack.extend(children.get(current, []))
    return out


def code_groups(
    session: Session, codes: list[str] | tuple[str, ...], exact: bool = False
) -> list[tuple[str, set[str]]]:
    """For each requested code: its name and the names that count as it (sub-codes too,
    unless ``exact``), to group retrieved excerpts under a heading per code."""
    children = children_map(session)
    names = dict(session.execute(select(Code.id, Code.name)).all())
    out = []
    for name in codes:
        code = get_code(session, name)
        ids = {code.id} if exact else _subtree(children, code.id)
        out.append((code.name, {names[i] for i in ids}))
    return out


def code_colours(session: Session) -> dict[str, str | None]:
    return dict(session.execute(select(Code.name, Code.colour)).all())


def find_segments(
    session: Session,
    *,
    codes: list[str] | tuple[str, ...] = (),
    exact: bool = False,
    where: dict[str, str] | None = None,
    kind: str | None = None,
    coders: list[str] | tuple[str, ...] = (),
    doc: str | None = None,
    text: str | None = None,
    uncoded: bool = False,
    coded: bool = False,
) -> list[dict[str, Any]]:
    """Segments matching every filter, in document and segment order.

    - ``codes``: each must be present (a coding of it, or unless ``exact`` of a sub-code,
      overlapping the segment);
    - ``where``: the segment belongs to at least one agent with each attribute value
      (keys and values compared case-insensitively);
    - ``coders``: only these coders' codings count (for matching and display);
    - ``text``: accent- and case-insensitive search in the segment text;
    - ``uncoded``: segments without any coding (interviewer turns excluded);
    - ``coded``: segments with at least one coding.
    """
    if uncoded and (codes or coded):
        raise InvalidInput("--uncoded cannot be combined with --code or --coded")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}", f"use one of {', '.join(KINDS)}")
    wanted_sets: list[tuple[str, set[int]]] = []
    children = children_map(session) if codes and not exact else {}
    for name in codes:
        code = get_code(session, name)
        wanted_sets.append((code.name, {code.id} if exact else _subtree(children, code.id)))
    coder_ids = [get_coder(session, name).id for name in coders]
    doc_id = get_document(session, doc).id if doc else None

    docs_stmt = select(Document.id, Document.name, Document.kind, Document.text)
    if doc_id is not None:
        docs_stmt = docs_stmt.where(Document.id == doc_id)
    if kind is not None:
        docs_stmt = docs_stmt.where(Document.kind == kind)
    docs = {d_id: (name, k, t) for d_id, name, k, t in session.execute(docs_stmt)}

    seg_stmt = select(Segment).order_by(Segment.document_id, Segment.n)
    if doc_id is not None:
        seg_stmt = seg_stmt.where(Segment.document_id == doc_id)
    segments = [s for s in session.scalars(seg_stmt) if s.document_id in docs]

    # agents and attributes (keys and values compared casefolded)
    seg_agents = segment_agents(session)
    agent_names = dict(session.execute(select(Agent.id, Agent.name)).all())
    attrs: dict[int, dict[str, str]] = defaultdict(dict)
    for agent_id, key, value in session.execute(
            select(AgentAttribute.agent_id, AgentAttribute.key, AgentAttribute.value)):
        attrs[agent_id][key] = value
    conditions = {k.casefold(): v.casefold() for k, v in (where or {}).items()}
    if conditions:
        known_keys = {k.casefold() for a in attrs.values() for k in a}
        for key in conditions:
            if key not in known_keys:
                raise NotFound(f"no agent has an attribute {key!r}",
                               "known attributes: " + (", ".join(sorted(known_keys)) or
                                                       "none (run `qualcode agents import`)"))

    def agent_ok(agent_id: int) -> bool:
        folded = {k.casefold(): v.casefold() for k, v in attrs.get(agent_id, {}).items()}
        return all(folded.get(k) == v for k, v in conditions.items())

    # codings overlapping each segment
    code_names = dict(session.execute(select(Code.id, Code.name)).all())
    coding_stmt = (select(Coding.document_id, Coding.start, Coding.end, Coding.code_id,
                          Coder.name).join(Coder, Coder.id == Coding.coder_id))
    if doc_id is not None:
        coding_stmt = coding_stmt.where(Coding.document_id == doc_id)
    if coder_ids:
        coding_stmt = coding_stmt.where(Coding.coder_id.in_(coder_ids))
    by_doc: dict[int, list[Segment]] = defaultdict(list)
    for seg in segments:
        by_doc[seg.document_id].append(seg)
    ends = {d: [s.end for s in segs] for d, segs in by_doc.items()}
    seg_codes: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for d_id, start, end, code_id, coder_name in session.execute(coding_stmt):
        segs = by_doc.get(d_id)
        if not segs:
            continue
        i = bisect_right(ends[d_id], start)
        while i < len(segs) and segs[i].start < end:
            if segs[i].end > start:
                seg_codes[segs[i].id][code_id].add(coder_name)
            i += 1

    needle = fold(text) if text else None
    out: list[dict[str, Any]] = []
    for seg in segments:
        doc_name, doc_kind, doc_text = docs[seg.document_id]
        present = seg_codes.get(seg.id, {})
        if uncoded and (present or seg.is_interviewer):
            continue
        if coded and not present:
            continue
        if any(not (ids & present.keys()) for _, ids in wanted_sets):
            continue
        agents = seg_agents.get(seg.id, [])
        if conditions and not any(agent_ok(a) for a in agents):
            continue
        seg_text = doc_text[seg.start:seg.end]
        if needle is not None and needle not in fold(seg_text):
            continue
        names = sorted((code_names[c] for c in present), key=lambda n: (n.casefold(), n))
        out.append({
            "document": doc_name, "segment": seg.n, "text": seg_text,
            "codes": names,
            "agents": sorted(agent_names[a] for a in agents),
            "speaker": seg.speaker, "interviewer": seg.is_interviewer, "kind": doc_kind,
            "start": seg.start, "end": seg.end,
            "profiles": {agent_names[a]: dict(sorted(attrs.get(a, {}).items()))
                         for a in sorted(agents, key=lambda a: agent_names[a])},
            "coded_by": {code_names[c]: sorted(who)
                         for c, who in sorted(present.items(),
                                              key=lambda item: code_names[item[0]].casefold())},
        })
    out.sort(key=lambda r: (r["document"], r["segment"]))
    return out
