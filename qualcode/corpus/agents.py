"""Agents (participants) with profile attributes, and which segments belong to them.

A segment belongs to its speaker's agent when it is the turn of a known agent; interviewer
turns and turns of unknown speakers belong to no agent; segments without a speaker belong to
the document's agents.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ..csvfile import read_csv_rows
from ..errors import InvalidInput, NotFound
from ..models import Agent, AgentAttribute, Document, DocumentAgent, Segment
from ..results import AgentsImported
from ..textutil import clean_person_name, did_you_mean, norm_name

NAME_COLUMNS = ("name", "nom", "agent", "participant")


def get_agent(session: Session, name: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.norm_name == norm_name(name)))
    if agent is None:
        names = list(session.scalars(select(Agent.name).order_by(Agent.name)))
        raise NotFound(f"unknown agent {name!r}",
                       did_you_mean(name, names, "see `qualcode agents list`"))
    return agent


def upsert_agent(session: Session, name: str, attributes: dict[str, str] | None = None) -> Agent:
    """Create the agent or update its attributes (an empty value removes the attribute)."""
    name = clean_person_name(name)
    if not name:
        raise InvalidInput("an agent needs a name")
    agent = session.scalar(select(Agent).where(Agent.norm_name == norm_name(name)))
    if agent is None:
        agent = Agent(name=name, norm_name=norm_name(name))
        session.add(agent)
        session.flush()
    for key, value in (attributes or {}).items():
        current = session.get(AgentAttribute, (agent.id, key))
        value = (value or "").strip()
        if not value:
            if current is not None:
                session.delete(current)
        elif current is None:
            session.add(AgentAttribute(agent_id=agent.id, key=key, value=value))
        else:
            current.value = value
            session.add(current)
    session.flush()
    return agent


def read_agents_csv(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Rows of an agents CSV: `name` (or `nom`) column, every other column an attribute."""
    numbered = read_csv_rows(path, columns_hint="name (or nom), then one column per attribute")
    header = [h.strip() for h in numbered[0][1]]
    lowered = [h.casefold() for h in header]
    name_col = next((lowered.index(c) for c in NAME_COLUMNS if c in lowered), None)
    if name_col is None:
        raise InvalidInput(f"{path} has no `name` column (columns: {', '.join(header)})",
                           "name the column of agent names `name` or `nom`")
    folded = [norm_name(h) for h in header]
    if len(set(folded)) != len(folded):
        twice = sorted({h for h, f in zip(header, folded, strict=True) if folded.count(f) > 1})
        raise InvalidInput(f"{path} has two columns with the same name: {', '.join(twice)}",
                           "names differing only by case or accents are the same attribute")
    out: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()
    errors = []
    for line_no, row in numbered[1:]:
        if len(row) != len(header):
            errors.append(f"line {line_no}: {len(row)} fields, expected {len(header)}")
            continue
        name = row[name_col].strip()
        if not name:
            errors.append(f"line {line_no}: empty name")
            continue
        if norm_name(name) in seen:
            errors.append(f"line {line_no}: agent {name!r} appears twice")
            continue
        seen.add(norm_name(name))
        attrs = {header[i]: row[i].strip() for i in range(len(header)) if i != name_col}
        out.append((name, attrs))
    if errors:
        raise InvalidInput(f"{path} was not imported: " + "; ".join(errors),
                           "fix these lines and import again")
    return out


def import_agents(session: Session, path: Path) -> AgentsImported:
    """Upsert every agent of the CSV, then link transcript speakers to them."""
    rows = read_agents_csv(path)
    existing = set(session.scalars(select(Agent.norm_name)))
    # a column `Profil` updates the attribute `profil` already stored, never a twin of it
    stored = {norm_name(k): k for k in session.scalars(select(AgentAttribute.key).distinct())}
    added, updated = [], []
    for name, attrs in rows:
        (updated if norm_name(name) in existing else added).append(name)
        attrs = {stored.get(norm_name(k), k): v for k, v in attrs.items()}
        upsert_agent(session, name, attrs)
    unknown = relink_speakers(session)
    return {"added": added, "updated": updated, "unknown_speakers": unknown}


def list_agents(session: Session) -> list[dict[str, Any]]:
    attrs: dict[int, dict[str, str]] = defaultdict(dict)
    for agent_id, key, value in session.execute(
        select(AgentAttribute.agent_id, AgentAttribute.key, AgentAttribute.value)
    ):
        attrs[agent_id][key] = value
    docs: dict[int, list[str]] = defaultdict(list)
    for agent_id, doc_name in session.execute(
        select(DocumentAgent.agent_id, Document.name)
        .join(Document, Document.id == DocumentAgent.document_id).order_by(Document.name)
    ):
        docs[agent_id].append(doc_name)
    return [
        {"name": a.name, "attributes": dict(sorted(attrs[a.id].items())),
         "documents": docs.get(a.id, [])}
        for a in session.scalars(select(Agent).order_by(Agent.name))
    ]


def link_document_agents(session: Session, doc: Document, names: list[str]) -> None:
    """Link a document to agents by name; unknown names create agents without attributes."""
    for name in names:
        agent = upsert_agent(session, name)
        if session.get(DocumentAgent, (doc.id, agent.id)) is None:
            session.add(DocumentAgent(document_id=doc.id, agent_id=agent.id))
    session.flush()


def relink_speakers(session: Session, document_ids: list[int] | None = None) -> list[str]:
    """Link speaker turns to agents by name (case- and accent-insensitive).

    Returns the speaker labels that match no agent (interviewers excluded): they are listed
    for the user, never guessed.
    """
    by_norm = {norm: agent_id for agent_id, norm in session.execute(
        select(Agent.id, Agent.norm_name))}
    stmt = select(Segment).where(Segment.speaker.is_not(None))
    if document_ids is not None:
        stmt = stmt.where(Segment.document_id.in_(document_ids))
    unknown: set[str] = set()
    links: set[tuple[int, int]] = set()
    for seg in session.scalars(stmt):
        agent_id = None if seg.is_interviewer else by_norm.get(norm_name(seg.speaker or ""))
        if agent_id is None and not seg.is_interviewer:
            unknown.add(seg.speaker or "")
        if seg.agent_id != agent_id:
            seg.agent_id = agent_id
            session.add(seg)
        if agent_id is not None:
            links.add((seg.document_id, agent_id))
    for doc_id, agent_id in links:
        if session.get(DocumentAgent, (doc_id, agent_id)) is None:
            session.add(DocumentAgent(document_id=doc_id, agent_id=agent_id))
    session.flush()
    return sorted(unknown)


def segment_agents(session: Session) -> dict[int, list[int]]:
    """Segment id -> ids of the agents it belongs to (see the module docstring)."""
    doc_agents: dict[int, list[int]] = defaultdict(list)
    for doc_id, agent_id in session.execute(
        select(DocumentAgent.document_id, DocumentAgent.agent_id)
    ):
        doc_agents[doc_id].append(agent_id)
    out: dict[int, list[int]] = {}
    for seg_id, doc_id, speaker, is_interviewer, agent_id in session.execute(
        select(Segment.id, Segment.document_id, Segment.speaker, Segment.is_interviewer,
               Segment.agent_id)
    ):
        if speaker is None:
            out[seg_id] = sorted(doc_agents.get(doc_id, []))
        elif is_interviewer or agent_id is None:
            out[seg_id] = []
        else:
            out[seg_id] = [agent_id]
    return out


def resolve_attribute_key(session: Session, key: str) -> str:
    """The stored attribute key a user means: exact, else case- and accent-insensitive.

    `--by anciennete` finds a CSV column `ancienneté` (and `Profil` finds `profil`): the same
    leniency as for agent and code names. No match, or two keys that fold alike, is an error.
    """
    keys = sorted(set(session.scalars(select(AgentAttribute.key))))
    if key in keys:
        return key
    matches = [k for k in keys if norm_name(k) == norm_name(key)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InvalidInput(f"attribute {key!r} is ambiguous: {', '.join(matches)}",
                           "write the attribute exactly as in the agents CSV")
    if not keys:
        raise InvalidInput(f"no agent has the attribute {key!r} (no agent has any attribute)",
                           "import participants with `qualcode agents import agents.csv`")
    raise InvalidInput(f"no agent has the attribute {key!r}",
                       f"known attributes: {', '.join(keys)}")


def agent_attribute_values(session: Session, key: str) -> dict[int, str]:
    """Agent id -> value of attribute ``key`` (agents without it are absent)."""
    return dict(session.execute(
        select(AgentAttribute.agent_id, AgentAttribute.value).where(AgentAttribute.key == key)
    ).all())
