"""Where the coding stands: documents coded and not, codings per coder, codes never used,
suggestions waiting for review (`qualcode status`)."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from ..reads import Reader

if TYPE_CHECKING:
    from sqlmodel import Session


def coding_status(session: Session | Reader) -> dict[str, Any]:
    """The payload of `qualcode status --json` (shape in docs/coding.md).

    Plain SQL through a :class:`qualcode.reads.Reader`, so `qualcode status` runs without
    importing the ORM; a session is read through its connection."""
    r = session if isinstance(session, Reader) else Reader(session.connection(), dbapi=False)
    # segment starts/ends per document, in text order, for the overlap of spans
    segs: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    for doc_id, start, end, interviewer in r.rows(
            'SELECT document_id, start, "end", is_interviewer FROM segment '
            "ORDER BY document_id, start"):
        segs[doc_id].append((start, end, bool(interviewer)))
    starts = {doc_id: [s for s, _, _ in rows] for doc_id, rows in segs.items()}

    coded: dict[int, set[int]] = defaultdict(set)  # document -> indexes of coded segments
    coders_of: dict[int, set[str]] = defaultdict(set)
    per_coder: Counter[str] = Counter()
    per_doc: Counter[int] = Counter()
    used: set[int] = set()
    for doc_id, start, end, code_id, coder in r.rows(
            'SELECT c.document_id, c.start, c."end", c.code_id, k.name FROM coding c '
            "JOIN coder k ON k.id = c.coder_id"):
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
    for doc_id, name, kind in r.rows("SELECT id, name, kind FROM document ORDER BY name"):
        rows = segs.get(doc_id, [])
        to_code = [i for i, (_, _, interviewer) in enumerate(rows) if not interviewer]
        documents.append({
            "name": name, "kind": kind, "segments": len(rows), "to_code": len(to_code),
            "coded": sum(1 for i in to_code if i in coded[doc_id]),
            "codings": per_doc[doc_id], "coders": sorted(coders_of[doc_id], key=str.casefold)})

    unused = [name for code_id, name in r.rows(
        "SELECT id, name FROM code WHERE is_codable = :yes ORDER BY position, id", yes=True)
        if code_id not in used]
    pending = r.rows(
        "SELECT c.name, count(*) FROM suggestion s JOIN code c ON c.id = s.code_id "
        "WHERE s.status = 'pending' GROUP BY c.name")
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
