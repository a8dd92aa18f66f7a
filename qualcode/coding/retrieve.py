"""Retrieve segments by code, agent attribute, kind, coder, document or absence of code.

The filters run in SQL: one query returns the matching segments, each joined to the codings
that overlap it, so a selective filter reads only what it lists. A coding overlaps a segment
when ``coding.start < segment.end and coding.end > segment.start``; the join also bounds
``coding.start`` from below by the longest coding's length, which changes nothing in the
result but lets the (document, start, end) index of codings answer each segment with a short
range scan. Agent attributes are compared like names (case, accents and apostrophes do not
count), which SQL cannot do portably: they are matched in Python over the small agent tables
and enter the query as agent ids. The text search (accent- and case-insensitive) runs in Python
over the texts of the documents that have candidate segments.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select
from sqlmodel import Session

from ..codebook.lookup import children_map, get_code
from ..corpus.agents import shared_document_agents
from ..corpus.coders import get_coder
from ..corpus.documents import KINDS, get_document
from ..errors import InvalidInput, NotFound
from ..models import (
    Agent,
    AgentAttribute,
    Code,
    Coder,
    Coding,
    Document,
    DocumentAgent,
    Segment,
)
from ..textutil import did_you_mean, fold, norm_name


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


def _fold_fast(text: str) -> str:
    """:func:`qualcode.textutil.fold` of a whole text through a translation table built from
    its distinct characters (same result, a fraction of the time on long texts)."""
    return text.translate({ord(c): fold(c) for c in set(text)})


def code_colours(session: Session) -> dict[str, str | None]:
    return dict(session.execute(select(Code.name, Code.colour)).all())


def agents_of(speaker: str | None, is_interviewer: bool, agent_id: int | None, d_id: int,
              doc_agents: dict[int, list[int]]) -> list[int]:
    """The agents a segment belongs to: the rule of qualcode.corpus.agents.segment_agents,
    on rows already loaded (``doc_agents``: document id -> its agents)."""
    if speaker is None:
        return doc_agents.get(d_id, [])
    if is_interviewer or agent_id is None:
        return []
    return [agent_id]


def _matching_agents(attrs: dict[int, dict[str, str]], where: dict[str, str]) -> set[int]:
    """Agents with every ``where`` attribute value (keys and values compared like names);
    an attribute or value no agent has is an error naming the known ones."""
    conditions = {norm_name(k): norm_name(v) for k, v in where.items()}
    known = sorted({k for a in attrs.values() for k in a})
    known_keys = {norm_name(k) for k in known}
    for given, value in where.items():
        if norm_name(given) not in known_keys:
            raise NotFound(f"no agent has an attribute {given!r}", did_you_mean(
                given, known, "known attributes: " + (
                    ", ".join(known) or "none (run `qualcode agents import`)")))
        # a mistyped value would silently list nothing
        values = sorted({v for a in attrs.values() for k, v in a.items()
                         if norm_name(k) == norm_name(given)}, key=str.casefold)
        if norm_name(value) not in {norm_name(v) for v in values}:
            raise NotFound(f"no agent has {given} = {value!r}", did_you_mean(
                value, values, f"values of {given}: " + ", ".join(values)))
    ok = set()
    for agent_id, values in attrs.items():
        folded = {norm_name(k): norm_name(v) for k, v in values.items()}
        if all(folded.get(k) == v for k, v in conditions.items()):
            ok.add(agent_id)
    return ok


def _overlaps(coding: Any, reach: int) -> Any:
    """SQL: ``coding`` overlaps the segment of the outer query. ``reach`` (the longest
    coding considered) bounds the start from below for the index; it excludes nothing."""
    return and_(coding.document_id == Segment.document_id,
                coding.start >= Segment.start - reach, coding.start < Segment.end,
                coding.end > Segment.start)


def _any_coding(coder_ids: list[int], reach: int, code_ids: set[int] | None = None) -> Any:
    """SQL: the segment overlaps a coding (of ``code_ids`` when given, by these coders)."""
    from sqlalchemy.orm import aliased

    c = aliased(Coding)
    cond = _overlaps(c, reach)
    if code_ids is not None:
        cond = and_(cond, c.code_id.in_(sorted(code_ids)))
    if coder_ids:
        cond = and_(cond, c.coder_id.in_(coder_ids))
    return exists().where(cond)


def _belongs_to(ok_agents: set[int]) -> Any:
    """SQL: the segment belongs to one of ``ok_agents`` (the rule of :func:`agents_of`)."""
    if not ok_agents:
        return false()
    ids = sorted(ok_agents)
    return or_(
        and_(Segment.speaker.is_(None), Segment.document_id.in_(
            shared_document_agents().where(DocumentAgent.agent_id.in_(ids))
            .with_only_columns(DocumentAgent.document_id))),
        and_(Segment.speaker.is_not(None), Segment.is_interviewer.is_(False),
             Segment.agent_id.in_(ids)))


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
    spans: bool = False,
) -> list[dict[str, Any]]:
    """Segments matching every filter, in document and segment order.

    - ``codes``: each must be present (a coding of it, or unless ``exact`` of a sub-code,
      overlapping the segment);
    - ``where``: the segment belongs to at least one agent with each attribute value
      (keys and values compared case-insensitively);
    - ``coders``: only these coders' codings count (for matching and display), and unless
      ``uncoded`` only segments they coded are listed (`--coder ana` asks for ana's work);
    - ``text``: accent- and case-insensitive search in the segment text;
    - ``uncoded``: segments without any coding (interviewer turns excluded);
    - ``coded``: segments with at least one coding;
    - ``spans``: each row also has `spans`, the `(code, start, end)` of the codings it
      holds, clipped to the segment, offsets relative to its text (for quotes).
    """
    if uncoded and (codes or coded):
        raise InvalidInput("--uncoded cannot be combined with --code or --coded")
    if coders and not uncoded:
        coded = True
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}", f"use one of {', '.join(KINDS)}")
    children = children_map(session) if codes and not exact else {}
    wanted_sets = []
    for name in codes:
        code = get_code(session, name)
        wanted_sets.append({code.id} if exact else _subtree(children, code.id))
    coder_ids = [get_coder(session, name).id for name in coders]
    doc_id = get_document(session, doc).id if doc else None
    attrs = _attributes(session)
    ok_agents = _matching_agents(attrs, where) if where else None

    reach_stmt = select(func.max(Coding.end - Coding.start))
    if coder_ids:
        reach_stmt = reach_stmt.where(Coding.coder_id.in_(coder_ids))
    reach = max(session.execute(reach_stmt).scalar() or 0, 0)
    stmt = _segments_query(doc_id=doc_id, kind=kind, wanted_sets=wanted_sets,
                           coder_ids=coder_ids, ok_agents=ok_agents, coded=coded,
                           uncoded=uncoded, reach=reach)
    return _rows(session, session.execute(stmt).all(), attrs, text=text, spans=spans)


def _attributes(session: Session) -> dict[int, dict[str, str]]:
    attrs: dict[int, dict[str, str]] = defaultdict(dict)
    for agent_id, key, value in session.execute(
            select(AgentAttribute.agent_id, AgentAttribute.key, AgentAttribute.value)
            .order_by(AgentAttribute.key)):
        attrs[agent_id][key] = value
    return attrs


def _segments_query(*, doc_id: int | None, kind: str | None, wanted_sets: list[set[int]],
                    coder_ids: list[int], ok_agents: set[int] | None, coded: bool,
                    uncoded: bool, reach: int) -> Any:
    """One query: the segments that pass every filter, each joined to the codings (of these
    coders) that overlap it, one row per (segment, coding), in text order."""
    from sqlalchemy.orm import aliased

    shown = aliased(Coding)
    join_on = _overlaps(shown, reach)
    if coder_ids:
        join_on = and_(join_on, shown.coder_id.in_(coder_ids))
    stmt = (select(Segment.id, Segment.document_id, Segment.n, Segment.start, Segment.end,
                   Segment.speaker, Segment.is_interviewer, Segment.agent_id,
                   shown.code_id.label("c_code"), shown.coder_id.label("c_coder"),
                   shown.start.label("c_start"), shown.end.label("c_end"))
            .outerjoin(shown, join_on)
            .order_by(Segment.document_id, Segment.start, Segment.id, shown.id))
    if doc_id is not None:
        stmt = stmt.where(Segment.document_id == doc_id)
    if kind is not None:
        stmt = stmt.where(Segment.document_id.in_(
            select(Document.id).where(Document.kind == kind)))
    if uncoded:
        stmt = stmt.where(Segment.is_interviewer.is_(False),
                          ~_any_coding(coder_ids, reach))
    elif coded and not wanted_sets:
        stmt = stmt.where(_any_coding(coder_ids, reach))
    for ids in wanted_sets:
        stmt = stmt.where(_any_coding(coder_ids, reach, ids))
    if ok_agents is not None:
        stmt = stmt.where(_belongs_to(ok_agents))
    return stmt


def _rows(session: Session, joined: list[Any], attrs: dict[int, dict[str, str]], *,
          text: str | None, spans: bool) -> list[dict[str, Any]]:
    """The result rows of the joined (segment, coding) rows: codes, coders, agents with
    their profiles, the text (read only for the documents listed), the text search."""
    segments: list[Any] = []
    present: dict[int, dict[int, set[int]]] = {}
    seg_spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for row in joined:
        seg_id = row[0]
        if not segments or segments[-1][0] != seg_id:
            segments.append(row)
            present[seg_id] = {}
        if row.c_code is not None:
            present[seg_id].setdefault(row.c_code, set()).add(row.c_coder)
            if spans:
                seg_spans[seg_id].append((row.c_code, row.c_start, row.c_end))
    doc_ids = sorted({seg.document_id for seg in segments})
    docs: dict[int, tuple[str, str, str]] = {}
    for i in range(0, len(doc_ids), 500):
        for d_id, name, kind, doc_text in session.execute(
                select(Document.id, Document.name, Document.kind, Document.text)
                .where(Document.id.in_(doc_ids[i:i + 500]))):
            docs[d_id] = (name, kind, doc_text)
    doc_agents: dict[int, list[int]] = defaultdict(list)
    for d_id, agent_id in session.execute(shared_document_agents()):
        doc_agents[d_id].append(agent_id)
    agent_names = dict(session.execute(select(Agent.id, Agent.name)).all())
    code_names = dict(session.execute(select(Code.id, Code.name)).all())
    coder_names = dict(session.execute(select(Coder.id, Coder.name)).all())
    needle = fold(text) if text else None
    folded_docs: dict[int, str] = {}
    out: list[dict[str, Any]] = []
    for seg in segments:
        doc_name, doc_kind, doc_text = docs[seg.document_id]
        if needle is not None:
            if seg.document_id not in folded_docs:
                folded_docs[seg.document_id] = _fold_fast(doc_text)
            if needle not in folded_docs[seg.document_id][seg.start:seg.end]:
                continue
        codes_here = present[seg.id]
        names = sorted((code_names[c] for c in codes_here), key=lambda n: (n.casefold(), n))
        by_name = {code_names[c]: who for c, who in codes_here.items()}
        agents = agents_of(seg.speaker, seg.is_interviewer, seg.agent_id, seg.document_id,
                           doc_agents)
        agent_list = sorted(agents, key=lambda a: agent_names[a])
        row = {
            "document": doc_name, "segment": seg.n, "text": doc_text[seg.start:seg.end],
            "codes": names,
            "agents": [agent_names[a] for a in agent_list],
            "speaker": seg.speaker, "interviewer": seg.is_interviewer, "kind": doc_kind,
            "start": seg.start, "end": seg.end,
            "profiles": {agent_names[a]: dict(attrs.get(a, {})) for a in agent_list},
            "coded_by": {n: sorted(coder_names[c] for c in by_name[n]) for n in names},
        }
        if spans:
            row["spans"] = sorted(
                (code_names[c], max(s, seg.start) - seg.start, min(e, seg.end) - seg.start)
                for c, s, e in seg_spans.get(seg.id, ()))
        out.append(row)
    out.sort(key=lambda r: (r["document"], r["segment"]))
    return out
