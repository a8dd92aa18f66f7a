"""Find codes by name (case-insensitively) and walk the code tree stored in the database."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlmodel import Session, col

from ..errors import UNKNOWN_CODE_HINT, NotFound
from ..models import Code
from ..textutil import did_you_mean, norm_name
from .names import code_key


def get_code(session: Session, name: str) -> Code:
    code = session.scalar(select(Code).where(col(Code.norm_name) == code_key(name)))
    if code is not None:
        return code
    # Accent-insensitive fallback, only when it designates exactly one code.
    wanted = norm_name(name)
    matches = [c for c in session.scalars(select(Code)) if norm_name(c.name) == wanted]
    if len(matches) == 1:
        return matches[0]
    known = list(session.scalars(select(col(Code.name)).order_by(col(Code.position), col(Code.id))))
    raise NotFound(f"unknown code {name!r}", did_you_mean(name, known, UNKNOWN_CODE_HINT))


def children_map(session: Session) -> dict[int | None, list[int]]:
    """Parent id (None for the top level) -> child ids, in codebook order."""
    out: dict[int | None, list[int]] = defaultdict(list)
    for code_id, parent_id in session.execute(
        select(col(Code.id), col(Code.parent_id)).order_by(col(Code.position), col(Code.id))
    ):
        out[parent_id].append(code_id)
    return out


def descendants(session: Session, code_id: int, include_self: bool = True) -> list[int]:
    """The code and all codes below it."""
    children = children_map(session)
    out = [code_id] if include_self else []
    stack = list(children.get(code_id, []))
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current, []))
    return out


def top_level_of(session: Session) -> dict[int, int]:
    """Code id -> id of its top-level ancestor (itself for a top-level code)."""
    parents: dict[int, int | None] = dict(
        session.execute(select(col(Code.id), col(Code.parent_id))).tuples().all())
    out: dict[int, int] = {}
    for code_id in parents:
        current = code_id
        seen: set[int] = set()
        while (parent := parents.get(current)) is not None and current not in seen:
            seen.add(current)
            current = parent
        out[code_id] = current
    return out
