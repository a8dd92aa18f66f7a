"""What the suggestion engine reads from a corpus: codes, segments and human decisions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlmodel import Session

from ..models import Code, Coding, Document, Segment, Suggestion
from .scoring import CodeInfo


@dataclass
class SegRow:
    id: int
    document_id: int
    document: str
    n: int
    start: int
    end: int
    text: str
    text_hash: str
    is_interviewer: bool

    @property
    def ref(self) -> str:
        return f"{self.document}:{self.n}"


def load_codes(session: Session) -> list[CodeInfo]:
    """Codable codes in codebook order, with their keywords and prototype texts."""
    rows = session.scalars(select(Code).where(Code.is_codable.is_(True))
                           .order_by(Code.position, Code.id))
    out = []
    for c in rows:
        definition = " ".join(t for t in (c.description, c.inclusion) if t and t.strip())
        examples = [t for t in (c.examples or []) if t and t.strip()]
        texts = [definition, *examples] if definition else examples
        out.append(CodeInfo(c.id, c.name, [k for k in (c.keywords or []) if k.strip()], texts,
                            examples))
    return out


def segment_rows(session: Session, *, document_ids: Iterable[int] | None = None,
                 segment_ids: Iterable[int] | None = None,
                 include_interviewer: bool = True) -> list[SegRow]:
    stmt = (select(Segment.id, Segment.document_id, Document.name, Segment.n, Segment.start,
                   Segment.end, Segment.text_hash, Segment.is_interviewer)
            .join(Document, Document.id == Segment.document_id)
            .order_by(Segment.document_id, Segment.n))
    if document_ids is not None:
        stmt = stmt.where(Segment.document_id.in_(list(document_ids)))
    if segment_ids is not None:
        stmt = stmt.where(Segment.id.in_(list(segment_ids)))
    if not include_interviewer:
        stmt = stmt.where(Segment.is_interviewer.is_(False))
    texts: dict[int, str] = {}
    out = []
    for sid, did, name, n, start, end, text_hash, interviewer in session.execute(stmt):
        if did not in texts:
            texts = {did: session.scalar(select(Document.text).where(Document.id == did))}
        text = texts[did][start:end]
        out.append(SegRow(sid, did, name, n, start, end, text, text_hash, bool(interviewer)))
    return out


def coded_pairs(session: Session, *, coder_id: int | None = None,
                document_ids: Iterable[int] | None = None) -> dict[int, dict[int, set[int]]]:
    """segment id -> code id -> coder ids, for codings overlapping the segment."""
    stmt = (select(Segment.id, Coding.code_id, Coding.coder_id)
            .join(Coding, and_(Coding.document_id == Segment.document_id,
                               Coding.start < Segment.end, Coding.end > Segment.start)))
    if coder_id is not None:
        stmt = stmt.where(Coding.coder_id == coder_id)
    if document_ids is not None:
        stmt = stmt.where(Segment.document_id.in_(list(document_ids)))
    out: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for sid, code_id, coder in session.execute(stmt):
        out[sid][code_id].add(coder)
    return out


def rejected_pairs(session: Session) -> list[tuple[int, int]]:
    return [(sid, cid) for sid, cid in session.execute(
        select(Suggestion.segment_id, Suggestion.code_id)
        .where(Suggestion.status == "rejected"))]


@dataclass
class Decisions:
    """What the coders decided, as the engine learns from it.

    ``positive``: segment -> codes it carries (codings, accepted suggestions).
    ``negative``: segment -> codes it does not carry although a coder read it: rejected
    suggestions, and the codes left out on the segments of a coded document up to the last
    segment coded there (a coder who stopped halfway has not read the rest).
    ``rejected``: the explicit rejections only (the example pool's negatives).
    ``group``: segment -> its document, the unit of the held-out checks.
    """

    positive: dict[int, set[int]] = field(default_factory=dict)
    negative: dict[int, set[int]] = field(default_factory=dict)
    rejected: dict[int, set[int]] = field(default_factory=dict)
    group: dict[int, int] = field(default_factory=dict)

    def segments(self) -> list[int]:
        return sorted(set(self.positive) | set(self.negative))

    def label(self, sid: int, cid: int) -> bool | None:
        if cid in self.positive.get(sid, ()):
            return True
        if cid in self.negative.get(sid, ()):
            return False
        return None

    def restricted(self, sids: Iterable[int]) -> Decisions:
        keep = set(sids)
        return Decisions({s: v for s, v in self.positive.items() if s in keep},
                         {s: v for s, v in self.negative.items() if s in keep},
                         {s: v for s, v in self.rejected.items() if s in keep},
                         {s: v for s, v in self.group.items() if s in keep})


def decisions_from(rows: Sequence[SegRow], coded: dict[int, dict[int, set[int]]],
                   code_ids: Sequence[int], rejected: Iterable[tuple[int, int]] = (),
                   *, read_all: bool = False) -> Decisions:
    """Decisions over ``rows`` (interviewer turns never count). ``read_all`` says the coder
    read every segment of the documents with codings (an evaluation's gold standard)."""
    codes = set(code_ids)
    out = Decisions()
    last: dict[int, int] = {}
    for r in rows:
        if coded.get(r.id) and not r.is_interviewer:
            last[r.document_id] = max(last.get(r.document_id, 0), r.n)
    for r in rows:
        if r.is_interviewer or r.document_id not in last:
            continue
        if not read_all and r.n > last[r.document_id]:
            continue
        pos = set(coded.get(r.id, {})) & codes
        out.positive[r.id] = pos
        out.negative[r.id] = codes - pos
        out.group[r.id] = r.document_id
    by_id = {r.id: r for r in rows}
    for sid, cid in rejected:
        r = by_id.get(sid)
        if r is None or cid not in codes or cid in out.positive.get(sid, ()):
            continue
        out.rejected.setdefault(sid, set()).add(cid)
        out.negative.setdefault(sid, set()).add(cid)
        out.positive.setdefault(sid, set())
        out.group.setdefault(sid, r.document_id)
    return out
