"""What a REFI-QDA project holds beyond texts and codings, kept where qualcode has room for it.

- Variable types and descriptions: attributes are text in qualcode; the type each variable had
  (``Date``, ``Float``...) and its description are kept in the ``refi.variables`` meta row, so
  that `export qdpx` writes the same ``typeOfVariable`` back.
- Cases that name codes (``<Case><CodeRef>``): the agent is linked to the documents holding
  codings of those codes; the references are kept in the ``refi.case_codes`` meta row.
- Document sets (``<Set><MemberSource>``): :mod:`qualcode.corpus.documents` keeps them.
- Codings are written by :class:`CodingWriter`, chunks of Core inserts, so a project of a
  million codings does not build a million ORM objects (the audit entry names their id range).

Meta rows are audited: undoing the import takes these records back with its codings.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, select
from sqlmodel import Session

from ..corpus.documents import SegmentIn
from ..models import Agent, Code, Coding, DocumentAgent, Meta, utcnow
from . import positions

VARIABLES_META = "refi.variables"
CASE_CODES_META = "refi.case_codes"
CHUNK = 5000


def read_json_meta(session: Session, key: str) -> dict[str, Any]:
    row = session.get(Meta, key)
    if row is None or not row.value:
        return {}
    try:
        value = json.loads(row.value)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def write_json_meta(session: Session, key: str, value: dict[str, Any]) -> None:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=text))
    elif row.value != text:
        row.value = text
        session.add(row)
    session.flush()


# --- variables ---------------------------------------------------------------------------------

def merge_variables(session: Session, declared: dict[str, dict[str, str]]
                    ) -> dict[str, dict[str, str]]:
    """Record the REFI type and description of these variables (a later import wins)."""
    kept = read_json_meta(session, VARIABLES_META)
    for name, info in declared.items():
        old = kept.get(name) or {}
        kept[name] = {"type": info.get("type") or "Text",
                      "description": info.get("description") or old.get("description", "")}
    write_json_meta(session, VARIABLES_META, kept)
    return {name: kept[name] for name in sorted(declared)}


def variable_info(session: Session) -> dict[str, dict[str, str]]:
    return read_json_meta(session, VARIABLES_META)


# --- cases -------------------------------------------------------------------------------------

def link_documents(session: Session, pairs: set[tuple[int, int]]) -> int:
    """Link (document id, agent id) pairs not linked yet, in one insert; how many were new."""
    if not pairs:
        return 0
    agents = {a for _d, a in pairs}
    have = set(session.execute(select(DocumentAgent.document_id, DocumentAgent.agent_id)
                               .where(DocumentAgent.agent_id.in_(agents))).all())
    new = sorted(pairs - have)
    if new:
        session.execute(DocumentAgent.__table__.insert(),
                        [{"document_id": d, "agent_id": a} for d, a in new])
    return len(new)


def case_code(session: Session, agent: Agent, code_id: int, doc_ids: set[int]) -> int:
    """Link the agent to the documents (among ``doc_ids``) holding codings of the code, and
    keep the reference for export; returns the number of those documents."""
    docs = set(session.scalars(select(Coding.document_id).distinct()
                               .where(Coding.code_id == code_id)))
    docs &= doc_ids
    link_documents(session, {(d, agent.id) for d in docs})
    code_guid = session.scalar(select(Code.guid).where(Code.id == code_id))
    kept = read_json_meta(session, CASE_CODES_META)
    refs = kept.setdefault(agent.guid, [])
    if code_guid not in refs:
        refs.append(code_guid)
        write_json_meta(session, CASE_CODES_META, kept)
    return len(docs)


def case_codes(session: Session) -> dict[str, list[str]]:
    """Agent GUID -> GUIDs of the codes its case named (see :func:`case_code`)."""
    return {k: [g for g in v if isinstance(g, str)]
            for k, v in read_json_meta(session, CASE_CODES_META).items() if isinstance(v, list)}


# --- transcripts -------------------------------------------------------------------------------

def time_segments(segments: list[SegmentIn], sync: list[tuple[int, int]],
                  raw_map: positions.RawPositions, to_stored: Sequence[int]) -> None:
    """Times of the segments of a transcript from its sync points (position, milliseconds):
    a segment starts at the last point between the previous segment's end and its own start,
    and ends at the first point between its end and the next segment's start."""
    points: list[tuple[int, float]] = []
    for pos, ms in sync:
        raw = raw_map.to_raw(pos)
        if raw is not None:
            points.append((to_stored[raw], ms / 1000))
    points.sort()
    for i, seg in enumerate(segments):
        before = segments[i - 1].end if i else 0
        after = segments[i + 1].start if i + 1 < len(segments) else None
        starts = [t for p, t in points if before <= p <= seg.start]
        ends = [t for p, t in points if seg.end <= p and (after is None or p <= after)]
        if starts:
            seg.time_start = starts[-1]
        if ends:
            seg.time_end = ends[0]


# --- codings -----------------------------------------------------------------------------------

class CodingWriter:
    """Codings written in chunks with the driver's executemany (no per-row work in SQLAlchemy,
    as `code import` does). A GUID already in the corpus or earlier in the file is replaced
    by a new one (``renamed`` maps the old to the new once its chunk is written; the caller
    empties it once used)."""

    COLUMNS = ("code_id", "document_id", "segment_id", "start", "end", "coder_id", "origin",
               "guid", "created_at")

    def __init__(self, session: Session) -> None:
        self.s = session
        self.conn = session.connection()
        dialect = self.conn.dialect
        mark = {"qmark": "?", "numeric": ":{}", "format": "%s", "pyformat": "%s"}.get(
            dialect.paramstyle)
        if mark is None:  # named parameters: no DBAPI qualcode runs on uses them
            raise NotImplementedError(f"paramstyle {dialect.paramstyle}")
        marks = ", ".join(mark.format(i + 1) for i in range(len(self.COLUMNS)))
        names = ", ".join(dialect.identifier_preparer.quote(c) for c in self.COLUMNS)
        self.sql = f"INSERT INTO {Coding.__tablename__} ({names}) VALUES ({marks})"
        process = DateTime().dialect_impl(dialect).bind_processor(dialect)
        self.stamp = process or (lambda value: value)
        self.now = self.stamp(utcnow())
        self.pending: list[list[Any]] = []
        self.seen: set[str] = set()
        self.renamed: dict[str, str] = {}
        self.written = 0

    def add(self, code_id: int, document_id: int, segment_id: int | None,
            span: tuple[int, int], coder_id: int, guid: str, created: datetime | None) -> str:
        # A GUID repeated inside the chunk is replaced now; one written by an earlier chunk
        # (or already in the corpus) is found in the table when the chunk is written. So
        # memory holds one chunk's GUIDs, not the project's.
        if guid in self.seen:
            guid = str(uuid.uuid4())
        self.seen.add(guid)
        self.pending.append([code_id, document_id, segment_id, span[0], span[1], coder_id,
                             "refi", guid, self.now if created is None else self.stamp(created)])
        if len(self.pending) >= CHUNK:
            self.flush()
        return guid

    def flush(self) -> None:
        if not self.pending:
            return
        taken = set(self.s.scalars(select(Coding.guid).where(
            Coding.guid.in_([row[7] for row in self.pending]))))
        for row in self.pending:
            if row[7] in taken:
                new = str(uuid.uuid4())
                self.renamed[row[7]] = new
                row[7] = new
        self.conn.exec_driver_sql(self.sql, [tuple(row) for row in self.pending])
        self.written += len(self.pending)
        self.pending = []
        self.seen = set()
