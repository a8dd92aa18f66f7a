"""Agents (participants) with profile attributes, and which segments belong to them.

A segment belongs to its speaker's agent when it is the turn of a known agent; interviewer
turns and turns of unknown speakers belong to no agent; segments without a speaker belong to
the document's agents, unless the document has speaker turns: there the only segment without a
speaker is the text before the first label (« Entretien avec Marc, le 12 mars »), which nobody
said. `shared_document_agents` is that rule's one query, used by every reader of it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ..csvfile import find_column, read_csv_rows
from ..errors import InvalidInput, NotFound
from ..models import Agent, AgentAttribute, Document, DocumentAgent, Segment
from ..results import AgentsImported
from ..textutil import clean_person_name, did_you_mean, norm_name

NAME_COLUMNS = ("name", "nom", "agent", "participant")
# The attribute holding the label an agent's turns carry in transcripts (`--speaker-column`).
SPEAKER_KEY = "speaker"


def shared_document_agents() -> Any:
    """SQL: (document id, agent id) for the agents that a segment without a speaker belongs
    to: the document's agents, in documents without speaker turns only."""
    with_turns = select(Segment.document_id).where(Segment.speaker.is_not(None)).distinct()
    return select(DocumentAgent.document_id, DocumentAgent.agent_id).where(
        DocumentAgent.document_id.not_in(with_turns))


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


def template_columns(template: str, header: list[str], what: str) -> list[int]:
    """Indexes of the columns a `--name-template` such as `{prenom} {nom}` names."""
    import string

    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise InvalidInput(f"--name-template {template!r} is not a valid template ({exc})",
                           'write column names in braces, e.g. "{prenom} {nom}"') from None
    if not fields or any(not f for f in fields):
        raise InvalidInput(f"--name-template {template!r} names no column",
                           'write column names in braces, e.g. "{prenom} {nom}"')
    return [find_column(header, f, what, "--name-template") for f in fields]


def _fill(template: str, header: list[str], row: list[str]) -> str:
    """The template with each `{column}` replaced by the row's value (columns matched as in
    `find_column`, so `{Prénom}` finds `prenom`)."""
    import string

    out = []
    for literal, field_name, _spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if field_name is not None:
            out.append(row[find_column(header, field_name, "", "")].strip())
    return " ".join("".join(out).split())


def read_agents_csv(
    path: Path, *, name_column: str | None = None, name_template: str | None = None,
    speaker_column: str | None = None,
) -> list[tuple[str, dict[str, str]]]:
    """Rows of an agents CSV: (name, attributes).

    The name is the `name` (or `nom`) column, or ``name_column``, or ``name_template`` filled
    from the row (`{prenom} {nom}`: surnames alone may be shared). ``speaker_column`` holds the
    label the agent's turns carry in transcripts, stored as the attribute `speaker`. Every
    other column is an attribute.
    """
    numbered = read_csv_rows(path, columns_hint="name (or nom), then one column per attribute")
    header = [h.strip() for h in numbered[0][1]]
    if name_column and name_template:
        raise InvalidInput("--name-column and --name-template both name the agents",
                           "give one of them")
    lowered = [h.casefold() for h in header]
    used: list[int]
    if name_template:
        used = template_columns(name_template, header, str(path))
    elif name_column:
        used = [find_column(header, name_column, str(path), "--name-column")]
    else:
        name_col = next((lowered.index(c) for c in NAME_COLUMNS if c in lowered), None)
        if name_col is None:
            raise InvalidInput(f"{path} has no `name` column (columns: {', '.join(header)})",
                               "name the column of agent names `name` or `nom`, or pass "
                               "--name-column COL or --name-template \"{prenom} {nom}\"")
        used = [name_col]
    speaker_col = (find_column(header, speaker_column, str(path), "--speaker-column")
                   if speaker_column else None)
    folded = [norm_name(h) for h in header]
    if len(set(folded)) != len(folded):
        twice = sorted({h for h, f in zip(header, folded, strict=True) if folded.count(f) > 1})
        raise InvalidInput(f"{path} has two columns with the same name: {', '.join(twice)}",
                           "names differing only by case or accents are the same attribute")
    if speaker_col is None and SPEAKER_KEY in folded:
        speaker_col = folded.index(SPEAKER_KEY)  # a `speaker` column is the label already
    out: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()
    labels: dict[str, int] = {}
    errors = []
    for line_no, row in numbered[1:]:
        if len(row) != len(header):
            errors.append(f"line {line_no}: {len(row)} fields, expected {len(header)}")
            continue
        name = (_fill(name_template, header, row) if name_template
                else row[used[0]].strip())
        if not name:
            errors.append(f"line {line_no}: empty name")
            continue
        if norm_name(name) in seen:
            errors.append(f"line {line_no}: agent {name!r} appears twice")
            continue
        seen.add(norm_name(name))
        attrs = {header[i]: row[i].strip() for i in range(len(header))
                 if i not in used and i != speaker_col}
        if speaker_col is not None:
            label = clean_person_name(row[speaker_col])
            if label and norm_name(label) in labels:
                errors.append(f"line {line_no}: speaker label {label!r} is already the label "
                              f"of line {labels[norm_name(label)]}")
                continue
            if label:
                labels[norm_name(label)] = line_no
            attrs[SPEAKER_KEY] = label
        out.append((name, attrs))
    if errors:
        hint = "fix these lines and import again"
        if any("appears twice" in e for e in errors) and not name_template:
            hint = ('several participants share a name: build names from several columns, '
                    'e.g. --name-template "{prenom} {nom}"')
        raise InvalidInput(f"{path} was not imported: " + "; ".join(errors), hint)
    return out


def upsert_agents(session: Session, rows: dict[str, dict[str, str]] | list[
        tuple[str, dict[str, str]]]) -> tuple[list[str], list[str]]:
    """Create or update agents with their attributes; returns (added, updated) names.

    An attribute spelt like one already stored (`Profil` for `profil`) updates that one,
    never a twin of it.
    """
    items = list(rows.items()) if isinstance(rows, dict) else rows
    existing = set(session.scalars(select(Agent.norm_name)))
    stored = {norm_name(k): k for k in session.scalars(select(AgentAttribute.key).distinct())}
    added, updated = [], []
    for name, attrs in items:
        (updated if norm_name(name) in existing else added).append(name)
        upsert_agent(session, name, {stored.get(norm_name(k), k): v for k, v in attrs.items()})
    return added, updated


def import_agents(session: Session, path: Path, *, name_column: str | None = None,
                  name_template: str | None = None,
                  speaker_column: str | None = None) -> AgentsImported:
    """Upsert every agent of the CSV, then link transcript speakers to them."""
    rows = read_agents_csv(path, name_column=name_column, name_template=name_template,
                           speaker_column=speaker_column)
    _check_labels(session, rows)
    added, updated = upsert_agents(session, rows)
    unknown = relink_speakers(session)
    return {"added": added, "updated": updated, "unknown_speakers": unknown}


def _check_labels(session: Session, rows: list[tuple[str, dict[str, str]]]) -> None:
    """A speaker label must name one agent: refuse one already held by another agent."""
    new = {norm_name(attrs[SPEAKER_KEY]): name for name, attrs in rows
           if attrs.get(SPEAKER_KEY)}
    if not new:
        return
    for agent_name, label in session.execute(
        select(Agent.name, AgentAttribute.value)
        .join(AgentAttribute, AgentAttribute.agent_id == Agent.id)
        .where(AgentAttribute.key == SPEAKER_KEY)
    ):
        owner = new.get(norm_name(label))
        if owner is not None and norm_name(owner) != norm_name(agent_name):
            renamed = any(norm_name(n) == norm_name(agent_name) for n, _ in rows)
            if not renamed:
                raise InvalidInput(f"speaker label {label!r} of {owner!r} is already the "
                                   f"label of agent {agent_name!r}",
                                   "give each participant their own label in the speaker "
                                   "column")


def speaker_index(session: Session) -> dict[str, int]:
    """Normalised speaker label -> agent id: each agent's name, and its `speaker` attribute
    (the label its turns carry in transcripts), which wins over a name."""
    index = {norm: agent_id for agent_id, norm in session.execute(
        select(Agent.id, Agent.norm_name))}
    for agent_id, label in session.execute(
        select(AgentAttribute.agent_id, AgentAttribute.value)
        .where(AgentAttribute.key == SPEAKER_KEY)
    ):
        if norm_name(label):
            index[norm_name(label)] = agent_id
    return index


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
    by_norm = speaker_index(session)
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
    for doc_id, agent_id in session.execute(shared_document_agents()):
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
