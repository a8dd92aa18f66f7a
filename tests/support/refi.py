"""Helpers shared by the REFI-QDA tests (not a test module: no test functions)."""

from __future__ import annotations

import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from conftest import REFI_FIXTURES, REFI_SHARED
from sqlalchemy import select

from qualcode.db import Database
from qualcode.models import (
    Agent,
    AgentAttribute,
    Code,
    Coder,
    CodeSet,
    CodeSetMember,
    Coding,
    Document,
    DocumentAgent,
    Memo,
    Segment,
)

# Present only beside the project's checkouts: tests using them are marked refi_shared.
XSD = REFI_SHARED / "xsd" / "Project.xsd"
SAMPLES = REFI_SHARED / "samples"
# Our own files with the same quirks (tests/make_refi_fixtures.py writes them).
FIXTURES = REFI_FIXTURES


@lru_cache(maxsize=1)
def schema() -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(XSD)))


def read_qde(qdpx: Path) -> bytes:
    """The project.qde of ``qdpx``, after checking that it is well-formed XML."""
    from lxml import etree

    with zipfile.ZipFile(qdpx) as zf:
        qde = zf.read("project.qde")
    etree.fromstring(qde)
    return qde


def assert_valid(qdpx: Path) -> bytes:
    """The project.qde of ``qdpx``, after checking it against Project.xsd (refi_shared tests
    only: the schema is not in the repository)."""
    from lxml import etree

    qde = read_qde(qdpx)
    assert schema().validate(etree.fromstring(qde)), str(schema().error_log)
    return qde


def snapshot(db: Database) -> dict[str, Any]:
    """Everything a round trip must keep, keyed by names (ids differ between databases)."""
    with db.session() as s:
        docs = {d.id: d for d in s.scalars(select(Document))}
        codes = {c.id: c for c in s.scalars(select(Code))}
        coders = {c.id: c.name for c in s.scalars(select(Coder))}
        agents = {a.id: a for a in s.scalars(select(Agent))}
        segs = {g.id: g for g in s.scalars(select(Segment))}
        attrs: dict[str, dict[str, str]] = {a.name: {} for a in agents.values()}
        for row in s.scalars(select(AgentAttribute)):
            attrs[agents[row.agent_id].name][row.key] = row.value

        def target(memo: Memo) -> str:
            kind, i = memo.target_type, memo.target_id
            if kind == "code":
                return codes[i].name
            if kind == "document":
                return docs[i].name
            if kind == "agent":
                return agents[i].name
            if kind == "segment":
                seg = segs[i]
                return f"{docs[seg.document_id].name}:{seg.n}"
            return ""

        return {
            "documents": {d.name: (d.text, d.kind, d.guid) for d in docs.values()},
            "segments": sorted(
                (docs[g.document_id].name, g.n, g.start, g.end, g.speaker, g.is_interviewer,
                 agents[g.agent_id].name if g.agent_id else None) for g in segs.values()),
            "codes": {c.name: (codes[c.parent_id].name if c.parent_id else None,
                               c.description, c.inclusion, c.exclusion, c.colour,
                               c.is_codable, c.guid) for c in codes.values()},
            "sets": sorted(
                (cs.name, cs.guid, sorted(codes[m.code_id].name for m in s.scalars(
                    select(CodeSetMember).where(CodeSetMember.set_id == cs.id))))
                for cs in s.scalars(select(CodeSet))),
            "agents": {a.name: a.guid for a in agents.values()},
            "attributes": attrs,
            "document_agents": sorted(
                (docs[r.document_id].name, agents[r.agent_id].name)
                for r in s.scalars(select(DocumentAgent))),
            "coders": sorted(coders.values()),
            "codings": sorted(
                (docs[c.document_id].name, c.start, c.end, codes[c.code_id].name,
                 coders[c.coder_id], c.guid) for c in s.scalars(select(Coding))),
            "memos": sorted(
                (m.target_type, target(m), m.title, m.text,
                 coders.get(m.coder_id) if m.coder_id else None, m.guid)
                for m in s.scalars(select(Memo))),
        }


def coded_texts(db: Database) -> list[tuple[str, str, str, str]]:
    """(document, code, coder, selected text) of every coding, sorted."""
    with db.session() as s:
        rows = s.execute(
            select(Document.name, Code.name, Coder.name, Document.text, Coding.start,
                   Coding.end)
            .join(Coding, Coding.document_id == Document.id)
            .join(Code, Code.id == Coding.code_id).join(Coder, Coder.id == Coding.coder_id))
        return sorted((d, c, k, text[a:b]) for d, c, k, text, a, b in rows)
