"""Memos on the project, a code, a document, a segment or an agent (audited, undoable).

Targets are written `project`, `code:NAME`, `doc:NAME`, `segment:DOC:N` or `agent:NAME`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ..audit import audited
from ..errors import InvalidInput, NotFound
from ..models import Agent, Code, Coder, Document, Memo, Segment, utcnow
from .service import coder_label

TARGET_HINT = "write project, code:NAME, doc:NAME, segment:DOC:N or agent:NAME"
_KINDS = {"code": "code", "doc": "document", "document": "document", "segment": "segment",
          "agent": "agent"}


def resolve_target(session: Session, target: str) -> tuple[str, int | None, str]:
    """-> (target_type, target_id, canonical label)."""
    from ..codebook.lookup import get_code
    from ..corpus.agents import get_agent
    from ..corpus.documents import get_document, get_segment

    target = target.strip()
    if target.casefold() == "project":
        return "project", None, "project"
    kind, sep, rest = target.partition(":")
    kind_name = _KINDS.get(kind.strip().casefold())
    if not sep or kind_name is None or not rest.strip():
        raise InvalidInput(f"{target!r} is not a memo target", TARGET_HINT)
    rest = rest.strip()
    if kind_name == "code":
        code = get_code(session, rest)
        return "code", code.id, f"code:{code.name}"
    if kind_name == "document":
        doc = get_document(session, rest)
        return "document", doc.id, f"doc:{doc.name}"
    if kind_name == "segment":
        doc, seg = get_segment(session, rest)
        return "segment", seg.id, f"segment:{doc.name}:{seg.n}"
    agent = get_agent(session, rest)
    return "agent", agent.id, f"agent:{agent.name}"


def _labels(session: Session, memos: list[Memo]) -> dict[int, str]:
    """Memo id -> target label, with one query per target type."""
    ids: dict[str, set[int]] = {}
    for m in memos:
        if m.target_id is not None:
            ids.setdefault(m.target_type, set()).add(m.target_id)
    names: dict[tuple[str, int], str] = {}
    if ids.get("code"):
        for i, n in session.execute(select(Code.id, Code.name).where(Code.id.in_(ids["code"]))):
            names["code", i] = f"code:{n}"
    if ids.get("document"):
        for i, n in session.execute(
                select(Document.id, Document.name).where(Document.id.in_(ids["document"]))):
            names["document", i] = f"doc:{n}"
    if ids.get("segment"):
        for i, d, n in session.execute(
                select(Segment.id, Document.name, Segment.n)
                .join(Document, Document.id == Segment.document_id)
                .where(Segment.id.in_(ids["segment"]))):
            names["segment", i] = f"segment:{d}:{n}"
    if ids.get("agent"):
        for i, n in session.execute(
                select(Agent.id, Agent.name).where(Agent.id.in_(ids["agent"]))):
            names["agent", i] = f"agent:{n}"
    out = {}
    for m in memos:
        if m.target_type == "project":
            out[m.id] = "project"
        else:
            out[m.id] = names.get((m.target_type, m.target_id),
                                  f"{m.target_type}:(deleted #{m.target_id})")
    return out


def _as_dict(m: Memo, label: str, coders: dict[int, str]) -> dict[str, Any]:
    return {"id": m.id, "target": label, "title": m.title, "text": m.text,
            "coder": coders.get(m.coder_id or -1, ""),
            "created_at": m.created_at.isoformat(timespec="seconds"),
            "updated_at": m.updated_at.isoformat(timespec="seconds")}


def add_memo(session: Session, *, target: str, text: str, title: str = "",
             coder: str | None = None) -> dict[str, Any]:
    from ..corpus.coders import get_or_create_coder

    if not text.strip():
        raise InvalidInput("a memo needs some text")
    target_type, target_id, label = resolve_target(session, target)
    name = coder_label(coder)
    with audited(session, action="memo", coder=name,
                 summary=f"memo on {label}" + (f": {title}" if title else "") + f" ({name})"):
        coder_obj = get_or_create_coder(session, name)
        now = utcnow()
        memo = Memo(target_type=target_type, target_id=target_id, title=title.strip(),
                    text=text.strip(), coder_id=coder_obj.id, created_at=now, updated_at=now)
        session.add(memo)
        session.flush()
    return _as_dict(memo, label, {coder_obj.id: coder_obj.name})


def list_memos(session: Session, target: str | None = None) -> list[dict[str, Any]]:
    stmt = select(Memo).order_by(Memo.created_at, Memo.id)
    if target:
        target_type, target_id, _label = resolve_target(session, target)
        stmt = stmt.where(Memo.target_type == target_type)
        stmt = stmt.where(Memo.target_id.is_(None) if target_id is None
                          else Memo.target_id == target_id)
    memos = list(session.scalars(stmt))
    labels = _labels(session, memos)
    coders = dict(session.execute(select(Coder.id, Coder.name)).all())
    return [_as_dict(m, labels[m.id], coders) for m in memos]


def get_memo(session: Session, memo_id: int) -> dict[str, Any]:
    memo = session.get(Memo, memo_id)
    if memo is None:
        raise NotFound(f"no memo {memo_id}", "see `qualcode memo list`")
    coders = dict(session.execute(select(Coder.id, Coder.name)).all())
    return _as_dict(memo, _labels(session, [memo])[memo.id], coders)
