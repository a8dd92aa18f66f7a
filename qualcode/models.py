"""SQLModel tables of a qualcode corpus.

Offsets (``start``/``end``) always count code points in ``Document.text``, end exclusive.
A schema change needs a new Alembic migration in ``qualcode/migrations/versions`` (a test fails
when the models and the migrations disagree).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_guid() -> str:
    return str(uuid.uuid4())


class Meta(SQLModel, table=True):
    """Key/value facts about the corpus (project GUID, codebook version, ...)."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(default="", sa_column_kwargs={"nullable": False})


class Document(SQLModel, table=True):
    __tablename__ = "document"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=500)
    kind: str = Field(default="document", max_length=20)  # interview | observation | document
    source_path: str = Field(default="", max_length=2000)
    format: str = Field(default="txt", max_length=20)
    encoding: str = Field(default="utf-8", max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_hash: str = Field(max_length=64)  # sha256 of the stored (normalised) text
    content_hash: str = Field(default="", max_length=64, index=True)  # sha256 of the file bytes
    words: int = Field(default=0)
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    guid: str = Field(default_factory=new_guid, unique=True, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


class Segment(SQLModel, table=True):
    __tablename__ = "segment"
    __table_args__ = (UniqueConstraint("document_id", "n"),)
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True, ondelete="CASCADE")
    n: int  # 1-based number inside its document
    start: int
    end: int
    speaker: str | None = Field(default=None, max_length=200)
    is_interviewer: bool = Field(default=False)
    # The speaker's agent when the speaker label names a known agent (kept up to date by
    # ingest and `agents import`).
    agent_id: int | None = Field(
        default=None, foreign_key="agent.id", index=True, ondelete="SET NULL"
    )
    time_start: float | None = None  # seconds, for vtt/srt/trs
    time_end: float | None = None
    text_hash: str = Field(default="", max_length=64)


class Agent(SQLModel, table=True):
    __tablename__ = "agent"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    # casefolded, accent-stripped name: speaker labels match agents through it
    norm_name: str = Field(unique=True, index=True, max_length=200)
    guid: str = Field(default_factory=new_guid, unique=True, max_length=40)


class AgentAttribute(SQLModel, table=True):
    __tablename__ = "agent_attribute"
    __table_args__ = (Index("ix_agent_attribute_key_value", "key", "value"),)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True, ondelete="CASCADE")
    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(default="", max_length=500)


class DocumentAgent(SQLModel, table=True):
    __tablename__ = "document_agent"
    document_id: int = Field(foreign_key="document.id", primary_key=True, ondelete="CASCADE")
    agent_id: int = Field(
        foreign_key="agent.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class Code(SQLModel, table=True):
    __tablename__ = "code"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    norm_name: str = Field(unique=True, index=True, max_length=200)  # casefolded
    parent_id: int | None = Field(
        default=None, foreign_key="code.id", index=True, ondelete="RESTRICT"
    )
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    inclusion: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    exclusion: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    examples: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    colour: str | None = Field(default=None, max_length=7)  # #RRGGBB
    is_codable: bool = Field(default=True)
    position: int = Field(default=0)
    guid: str = Field(default_factory=new_guid, unique=True, max_length=40)


class CodeSet(SQLModel, table=True):
    """A REFI-QDA code group (``Sets``)."""

    __tablename__ = "code_set"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    guid: str = Field(default_factory=new_guid, unique=True, max_length=40)


class CodeSetMember(SQLModel, table=True):
    __tablename__ = "code_set_member"
    set_id: int = Field(foreign_key="code_set.id", primary_key=True, ondelete="CASCADE")
    code_id: int = Field(foreign_key="code.id", primary_key=True, ondelete="CASCADE")


class Coder(SQLModel, table=True):
    __tablename__ = "coder"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    guid: str = Field(default_factory=new_guid, unique=True, max_length=40)


class Coding(SQLModel, table=True):
    """A human coding: a code on a span of a document, by a coder.

    ``segment_id`` is the segment holding ``start``; a span may run over several segments
    (REFI-QDA selections), so analyses use span overlap, never ``segment_id`` alone.
    """

    __tablename__ = "coding"
    __table_args__ = (
        UniqueConstraint("code_id", "document_id", "start", "end", "coder_id"),
        Index("ix_coding_document_span", "document_id", "start", "end"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code_id: int = Field(foreign_key="code.id", index=True, ondelete="RESTRICT")
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE")
    segment_id: int | None = Field(
        default=None, foreign_key="segment.id", index=True, ondelete="SET NULL"
    )
    start: int
    end: int
    coder_id: int = Field(foreign_key="coder.id", index=True, ondelete="RESTRICT")
    origin: str = Field(default="manual", max_length=20)  # manual | import | suggestion | refi
    guid: str = Field(default_factory=new_guid, unique=True, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


class Suggestion(SQLModel, table=True):
    """A machine proposal; it counts nowhere until a coder accepts it (then a Coding exists)."""

    __tablename__ = "suggestion"
    __table_args__ = (UniqueConstraint("segment_id", "code_id"),)
    id: int | None = Field(default=None, primary_key=True)
    segment_id: int = Field(foreign_key="segment.id", index=True, ondelete="CASCADE")
    code_id: int = Field(foreign_key="code.id", index=True, ondelete="CASCADE")
    score: float
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    scorer: str = Field(default="", max_length=100)  # versioned name of the combination
    # pending | accepted | rejected | skipped
    status: str = Field(default="pending", max_length=20, index=True)
    decided_by: int | None = Field(default=None, foreign_key="coder.id", ondelete="SET NULL")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Memo(SQLModel, table=True):
    __tablename__ = "memo"
    __table_args__ = (Index("ix_memo_target", "target_type", "target_id"),)
    id: int | None = Field(default=None, primary_key=True)
    target_type: str = Field(max_length=20)  # project | code | document | segment | agent
    target_id: int | None = None
    title: str = Field(default="", max_length=300)
    text: str = Field(sa_column=Column(Text, nullable=False))
    coder_id: int | None = Field(default=None, foreign_key="coder.id", ondelete="SET NULL")
    guid: str = Field(default_factory=new_guid, unique=True, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Who changed what and when; ``payload`` holds what ``undo`` needs to revert it exactly."""

    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    coder: str = Field(default="", max_length=200)
    command: str = Field(default="", max_length=500)
    action: str = Field(max_length=50)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    undone: bool = Field(default=False)


class AnalysisCache(SQLModel, table=True):
    """spaCy analyses of segment texts, keyed by text hash and model version."""

    __tablename__ = "analysis_cache"
    text_hash: str = Field(primary_key=True, max_length=64)
    model: str = Field(primary_key=True, max_length=100)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
