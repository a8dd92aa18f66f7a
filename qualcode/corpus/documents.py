"""Documents and segments: store, find, list, and resolve `DOC:N` references."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from ..errors import UNKNOWN_DOC_HINT, AlreadyExists, InvalidInput, NotFound
from ..ingest.base import SegmentIn, check_segments
from ..models import Agent, AgentAttribute, Coding, Document, DocumentAgent, Segment
from ..reads import DOCUMENT_SETS_META
from ..textutil import closest_names, count_words, norm_name, sha256_text

KINDS = ("interview", "observation", "document")


def add_document(
    session: Session,
    *,
    name: str,
    text: str,
    segments: list[SegmentIn],
    kind: str = "document",
    source_path: str = "",
    format: str = "txt",
    encoding: str = "utf-8",
    content_hash: str = "",
    meta: dict[str, Any] | None = None,
    agents: list[str] | tuple[str, ...] = (),
    guid: str | None = None,
) -> Document:
    """Store one document and its segments (caller commits). Names are unique."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}", f"use one of {', '.join(KINDS)}")
    if session.scalar(select(Document.id).where(Document.name == name)) is not None:
        raise AlreadyExists(f"a document named {name!r} already exists",
                            "rename the file or pass --replace")
    check_segments(text, segments)
    doc = Document(
        name=name, kind=kind, source_path=source_path, format=format, encoding=encoding,
        text=text, text_hash=sha256_text(text), content_hash=content_hash,
        words=count_words(text), meta=meta or {},
    )
    if guid:
        doc.guid = guid
    session.add(doc)
    session.flush()
    from .agents import link_document_agents

    if agents:
        link_document_agents(session, doc, list(agents))
    # Speaker turns link to agents as `relink_speakers` would, without loading each segment.
    agent_of = _speaker_agents(session, segments)
    insert_segments(session, doc.id, text, segments, agent_of)
    linked = set(session.scalars(
        select(DocumentAgent.agent_id).where(DocumentAgent.document_id == doc.id))
    ) if agents else set()
    new_links = sorted(set(agent_of.values()) - linked - {None})
    if new_links:
        session.execute(DocumentAgent.__table__.insert(),
                        [{"document_id": doc.id, "agent_id": a} for a in new_links])
    return doc


def _speaker_agents(session: Session, segments: list[SegmentIn]) -> dict[str, int | None]:
    """Speaker label -> agent id (None when no agent has that name); interviewers excluded."""
    labels = {seg.speaker for seg in segments if seg.speaker and not seg.is_interviewer}
    if not labels:
        return {}
    keys = {label: norm_name(label) for label in labels}
    ids = dict(session.execute(select(Agent.norm_name, Agent.id)
                               .where(Agent.norm_name.in_(set(keys.values())))).all())
    from .agents import SPEAKER_KEY

    # An agent's `speaker` attribute (the label its turns carry) wins over a name.
    wanted = set(keys.values())
    for agent_id, label in session.execute(select(AgentAttribute.agent_id, AgentAttribute.value)
                                           .where(AgentAttribute.key == SPEAKER_KEY)):
        if norm_name(label) in wanted:
            ids[norm_name(label)] = agent_id
    return {label: ids.get(key) for label, key in keys.items()}


def insert_segments(session: Session, document_id: int, text: str,
                    segments: list[SegmentIn],
                    agent_of: dict[str, int | None] | None = None) -> None:
    """Bulk-insert a document's segments, numbered from 1 (no ORM object per segment).

    ``agent_of`` maps speaker labels to agent ids (interviewer turns get none).
    """
    if not segments:
        return
    agent_of = agent_of or {}
    rows = [
        {"document_id": document_id, "n": n, "start": seg.start, "end": seg.end,
         "speaker": seg.speaker, "is_interviewer": seg.is_interviewer,
         "agent_id": None if seg.is_interviewer else agent_of.get(seg.speaker or ""),
         "time_start": seg.time_start, "time_end": seg.time_end,
         "text_hash": sha256_text(text[seg.start:seg.end])}
        for n, seg in enumerate(segments, 1)
    ]
    # Core executemany: the ORM bulk path costs more than the insert itself here.
    session.connection().execute(Segment.__table__.insert(), rows)


def get_document(session: Session, name: str) -> Document:
    """Find a document by exact name, else by case- and accent-insensitive name."""
    doc = session.scalar(select(Document).where(Document.name == name))
    if doc is not None:
        return doc
    wanted = norm_name(name)
    matches = [d for d in session.scalars(select(Document)) if norm_name(d.name) == wanted]
    if len(matches) == 1:
        return matches[0]
    # A name given without its extension (`entretien_01` for `entretien_01.txt`).
    stems = [d for d in session.scalars(select(Document))
             if norm_name(d.name.rsplit(".", 1)[0]) == wanted]
    if len(stems) == 1:
        return stems[0]
    names = list(session.scalars(select(Document.name).order_by(Document.name)))
    # `entretien_1` finds `entretien_01.txt` through its stem
    stems_of = {n.rsplit(".", 1)[0]: n for n in names}
    close = [stems_of.get(n, n) for n in closest_names(name, [*names, *stems_of])]
    hint = UNKNOWN_DOC_HINT
    if close:
        hint = f"did you mean {' or '.join(map(repr, dict.fromkeys(close)))}? {hint}"
    raise NotFound(f"unknown document {name!r}", hint)


def segments_of(session: Session, document_id: int) -> list[Segment]:
    stmt = select(Segment).where(Segment.document_id == document_id).order_by(Segment.n)
    return list(session.scalars(stmt))


def parse_segment_ref(ref: str) -> tuple[str, int]:
    """`DOC:N` -> (DOC, N); the document name may itself contain colons."""
    name, sep, number = ref.rpartition(":")
    if not sep or not name or not number.strip().isdigit():
        raise InvalidInput(f"{ref!r} is not a segment reference",
                           "write DOC:N, e.g. entretien_01:3 (see `qualcode docs show DOC`)")
    return name, int(number)


def get_segment(session: Session, ref: str) -> tuple[Document, Segment]:
    name, n = parse_segment_ref(ref)
    doc = get_document(session, name)
    seg = session.scalar(select(Segment).where(Segment.document_id == doc.id, Segment.n == n))
    if seg is None:
        count = session.scalar(select(func.count()).where(Segment.document_id == doc.id))
        raise NotFound(f"document {doc.name!r} has no segment {n} (it has {count})",
                       f"see `qualcode docs show {doc.name}`")
    return doc, seg


def document_ref(session: Session, value: str) -> tuple[Document, int | None]:
    """A document given as `DOC` or `DOC:N`: the document, and the segment number if any.

    A name is tried whole first, since a document name may itself end in `:N`; the segment
    number is checked against the document.
    """
    try:
        return get_document(session, value), None
    except NotFound:
        name, sep, number = value.rpartition(":")
        if not (sep and name and number.isdigit()):
            raise
    doc, seg = get_segment(session, value)
    return doc, seg.n


# The document sets live in one audited Meta row (DOCUMENT_SETS_META), so an
# import that made a set is undone with it; GUIDs survive a document's renaming.


def document_sets(session: Session) -> dict[str, dict[str, Any]]:
    """The document sets by name (members as document GUIDs, in the order kept)."""
    from ..reads import Reader
    from ..reads import document_sets as read_sets

    return read_sets(Reader(session.connection(), dbapi=False))


def merge_document_sets(session: Session, wanted: dict[str, tuple[str, str, list[str]]]
                        ) -> dict[str, int]:
    """Add sets (name -> (GUID, description, member GUIDs)); a set of an existing name gains
    the new members. Returns the number of members of each set named."""
    import json

    from ..models import Meta

    sets = document_sets(session)
    for name, (guid, description, members) in wanted.items():
        current = sets.setdefault(name, {"guid": guid, "description": description,
                                         "documents": []})
        if description and not current.get("description"):
            current["description"] = description
        docs = current.setdefault("documents", [])
        docs.extend(m for m in members if m not in docs)
    text = json.dumps(sets, ensure_ascii=False, sort_keys=True)
    row = session.get(Meta, DOCUMENT_SETS_META)
    if row is None:
        session.add(Meta(key=DOCUMENT_SETS_META, value=text))
    else:
        row.value = text
        session.add(row)
    session.flush()
    return {name: len(sets[name]["documents"]) for name in wanted}


def list_documents(session: Session, set_name: str | None = None) -> list[dict[str, Any]]:
    """Every document (or only the members of the document set ``set_name``); one
    implementation with the light `docs list` (qualcode.reads), which needs no ORM."""
    from ..reads import Reader, document_list

    return document_list(Reader(session.connection(), dbapi=False), set_name)


def show_document(session: Session, name: str) -> dict[str, Any]:
    """The contract's `docs show --json` shape, plus timestamps, agents and codes per segment."""
    from ..models import Code, Coder

    doc = get_document(session, name)
    segs = segments_of(session, doc.id)
    agent_names = dict(session.execute(select(Agent.id, Agent.name)).all())
    codings = session.execute(
        select(Coding.start, Coding.end, Code.name, Coder.name)
        .join(Code, Code.id == Coding.code_id).join(Coder, Coder.id == Coding.coder_id)
        .where(Coding.document_id == doc.id)
    ).all()
    doc_agents = [agent_names[a] for a in session.scalars(
        select(DocumentAgent.agent_id).where(DocumentAgent.document_id == doc.id))]
    # codings by start: each segment looks only at those that can reach it (the longest
    # coding bounds how far back), not at every coding of the document
    from bisect import bisect_left, bisect_right

    codings = sorted(codings, key=lambda c: c[0])
    starts = [c[0] for c in codings]
    reach = max((end - start for start, end, _, _ in codings), default=0)
    out_segments = []
    for seg in segs:
        near = codings[bisect_left(starts, seg.start - reach):
                       bisect_right(starts, max(seg.end, seg.start))]
        codes = sorted({code for start, end, code, _ in near
                        if start < seg.end and end > seg.start or start == end == seg.start})
        out_segments.append({
            "n": seg.n, "start": seg.start, "end": seg.end,
            "text": doc.text[seg.start:seg.end], "speaker": seg.speaker,
            "interviewer": seg.is_interviewer,
            "agent": agent_names.get(seg.agent_id) if seg.agent_id else None,
            "time_start": seg.time_start, "time_end": seg.time_end, "codes": codes,
        })
    return {"name": doc.name, "kind": doc.kind, "text": doc.text, "encoding": doc.encoding,
            "words": doc.words, "agents": sorted(doc_agents), "meta": doc.meta,
            "segments": out_segments}


def delete_document(session: Session, name: str, *, force: bool = False,
                    coder: str = "") -> dict[str, int]:
    """Remove a document with its segments and suggestions; refused while it has codings or
    memos unless ``force``, which removes them too. Recorded in the history (it cannot be
    undone: the text is gone). Returns the number of codings and memos removed."""
    from ..audit import audited
    from ..errors import Conflict
    from ..models import Memo

    doc = get_document(session, name)
    codings = list(session.scalars(select(Coding).where(Coding.document_id == doc.id)))
    seg_ids = list(session.scalars(select(Segment.id).where(Segment.document_id == doc.id)))
    memos = list(session.scalars(select(Memo).where(or_(
        and_(Memo.target_type == "document", Memo.target_id == doc.id),
        and_(Memo.target_type == "segment", Memo.target_id.in_(seg_ids))))))
    lost = " and ".join(f"{n} {what}" for n, what in ((len(codings), "codings"),
                                                       (len(memos), "memos")) if n)
    if lost and not force:
        raise Conflict(f"document {doc.name!r} has {lost}",
                       "pass --force to remove it with them (a backup is made first)")
    with audited(session, action="docs-remove", coder=coder,
                 summary=f"remove document {doc.name}" + (f" with {lost}" if lost else "")):
        for row in (*codings, *memos):
            session.delete(row)
        session.flush()
        session.delete(doc)
        session.flush()
    return {"codings": len(codings), "memos": len(memos)}
