"""Coders: the people (or tools) whose codings are stored."""

from __future__ import annotations

import getpass
import os

from sqlalchemy import select
from sqlmodel import Session, col

from ..errors import NotFound
from ..models import Coder
from ..textutil import clean_person_name, did_you_mean


def default_coder() -> str:
    """`QUALCODE_CODER`, else the system user name."""
    name = clean_person_name(os.environ.get("QUALCODE_CODER", ""))
    if name:
        return name
    try:
        return clean_person_name(getpass.getuser()) or "coder"
    except (KeyError, OSError):
        return "coder"


def get_or_create_coder(session: Session, name: str | None = None) -> Coder:
    name = clean_person_name(name or "") or default_coder()
    coder = session.scalar(select(Coder).where(col(Coder.name) == name))
    if coder is None:
        coder = Coder(name=name)
        session.add(coder)
        session.flush()
    return coder


def get_coder(session: Session, name: str) -> Coder:
    name = clean_person_name(name)
    coder = session.scalar(select(Coder).where(col(Coder.name) == name))
    if coder is None:
        names = list(session.scalars(select(col(Coder.name)).order_by(col(Coder.name))))
        raise NotFound(f"unknown coder {name!r}", did_you_mean(
            name, names, f"coders in this corpus: {', '.join(names) or 'none yet'}"))
    return coder
