"""Where the coding stands: documents coded and not, codings per coder, codes never used,
suggestions waiting for review (`qualcode status`)."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from ..models import Code, Coder, Coding, Document, Segment, Suggestion


def coding_status(session: Session) -> dict[str, Any]:
    """The payload of `qualcode status --json` (shape in docs/coding.md)."""
    # segment starts/ends per document, in text order, for the overlap of spans
    segs: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    for doc_id, start, end, interviewer in session.execute(
            select(Segment.document_id, Segment.start, Segment.end, Segment.is_interviewer)
            .order_by(Segment.document_id, Segment.start)):
        segs[doc_id].append((start, end, interviewer))
    starts = {doc_id: [s for s, _, _ in rows] for doc_id, rows in segs.items()}

    coded: dict[int, set[int]] = defaultdict(set)  # document -> indexes of coded segments
    coders_of: dict[int, set[str]] = defaultdict(set)
    per_coder: Counter[str] = Counter()
    per_doc: Counter[int] = Counter()
    used: set[int] = set()
    for doc_id, start, end, code_id, coder in session.execute(
            select(Coding.document_id, Coding.start, Coding.end, Coding.code_id, Coder.name)
            .join(Coder, Coder.id == Coding.coder_id)):
        per_coder[coder] += 1
        per_doc[doc_id] += 1
        coders_of[doc_id].add(coder)
        used.add(code_id)
        rows = segs.get(doc_id, [])
        # a coding counts on every segment its span overlaps (REFI selections may run over)
        i = max(bisect.bisect_right(starts.get(doc_id, []), start) - 1, 0)
        while i < len(rows) and rows[i][0] < max(end, start + 1):
            if rows[i][1] > start or rows[i][0] == start:
                coded[doc_id].add(i)
            i += 1

    documents = []
    for doc_id, name, kind in session.execute(
            select(Document.id, Document.name, Document.kind).order_by(Document.name)):
        rows = segs.get(doc_id, [])
        to_code = [i for i, (_, _, interviewer) in enumerate(rows) if not interviewer]
        documents.append({
            "name": name, "kind": kind, "segments": len(rows), "to_code": len(to_code),
            "coded": sum(1 for i in to_code if i in coded[doc_id]),
            "codings": per_doc[doc_id], "coders": sorted(coders_of[doc_id], key=str.casefold)})

    unused = [name for code_id, name in session.execute(
        select(Code.id, Code.name).where(Code.is_codable.is_(True))
        .order_by(Code.position, Code.id)) if code_id not in used]
    pending = session.execute(
        select(Code.name, func.count()).select_from(Suggestion)
        .join(Code, Code.id == Suggestion.code_id)
        .where(Suggestion.status == "pending").group_by(Code.name)).all()
    pending_rows = sorted(({"code": c, "count": n} for c, n in pending),
                          key=lambda r: (-r["count"], r["code"].casefold()))
    return {
        "documents": documents,
        "totals": {
            "documents": len(documents),
            "coded_documents": sum(1 for d in documents if d["codings"]),
            "to_code": sum(d["to_code"] for d in documents),
            "coded_segments": sum(d["coded"] for d in documents),
            "codings": sum(per_coder.values()),
        },
        "coders": [{"name": name, "codings": n}
                   for name, n in sorted(per_coder.items(), key=lambda kv: (-kv[1], kv[0]))],
        "unused_codes": unused,
        "pending_suggestions": {"total": sum(r["count"] for r in pending_rows),
                                "codes": pending_rows},
    }
