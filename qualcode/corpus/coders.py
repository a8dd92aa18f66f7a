"""Coders: the people (or tools) whose codings are stored."""

from __future__ import annotations

import getpass
import os

from sqlalchemy import select
from sqlmodel import Session

from ..errors import NotFound
from ..models import Coder


def default_coder() -> str:
    """`QUALCODE_CODER`, else the system user name."""
    name = os.environ.get("QUALCODE_CODER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser() or "coder"
    except (KeyError, OSError):
        return "coder"


def get_or_create_coder(session: Session, name: str | None = None) -> Coder:
    name = (name or default_coder()).strip()
    coder = session.scalar(select(Coder).where(Coder.name == name))
    if coder is None:
        coder = Coder(name=name)
        session.add(coder)
        session.flush()
    return coder


def get_coder(session: Session, name: str) -> Coder:
    coder = session.scalar(select(Coder).where(Coder.name == name))
    if coder is None:
        known = ", ".join(session.scalars(select(Coder.name).order_by(Coder.name))) or "none yet"
        raise NotFound(f"unknown coder {name!r}", f"coders in this corpus: {known}")
    return coder
