"""The codebook in the database: import (merge), load, export, show, and audited edits.

Every change goes through the ORM inside :func:`qualcode.audit.audited`, so `qualcode undo`
reverts it exactly. Services never commit: the caller's session is the one transaction.
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from ..audit import audited
from ..corpus.coders import default_coder
from ..errors import AlreadyExists, Conflict, InvalidInput
from ..i18n import Lang
from ..models import Code, CodeSet, CodeSetMember, Coding, Memo, Meta, Suggestion
from ..textutil import clean_person_name
from .lookup import children_map, code_key, descendants, get_code
from .model import Codebook, CodeSetSpec, CodeSpec
from .names import check_colour, clean_name

EXPORT_SUFFIXES = (".yaml", ".yml", ".qdc", ".md", ".tex")
IMPORT_SUFFIXES = (".yaml", ".yml", ".qdc")
_FIELDS = ("description", "inclusion", "exclusion", "examples", "keywords", "colour",
           "is_codable")


@dataclass
class ImportReport:
    """What an import did. ``renamed`` lists codes renamed because a file repeated a name
    (REFI tools allow it, qualcode does not); ``code_ids`` maps each GUID of the imported
    codebook to the database code it became, for callers that import codings next."""

    name: str = ""
    version: str = ""
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    code_ids: dict[str, int] = field(default_factory=dict)
    previous_name: str = ""  # the corpus's codebook had another name before this import

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("code_ids")
        data["renamed"] = [{"from": a, "to": b} for a, b in self.renamed]
        return data


def _coder(coder: str | None) -> str:
    return clean_person_name(coder or "") or default_coder()


def _meta_get(session: Session, key: str) -> str:
    row = session.get(Meta, key)
    return row.value if row else ""


def _meta_set(session: Session, key: str, value: str) -> None:
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value
        session.add(row)


# --- import ------------------------------------------------------------------------------------


def _dedupe_names(book: Codebook) -> list[tuple[str, str]]:
    """Rename repeated names (case-insensitive) to `name (parent)`, `name (parent 2)`, ..."""
    taken = {code_key(code.name) for code, _ in book.walk()}
    seen: set[str] = set()
    renamed = []
    for code, parent in book.walk():
        key = code_key(code.name)
        if key not in seen:
            seen.add(key)
            continue
        base = f"{code.name} ({parent.name if parent else 'top'})"
        candidate, n = base, 1
        while code_key(candidate) in taken:
            n += 1
            candidate = f"{code.name} ({parent.name if parent else 'top'} {n})"
        renamed.append((code.name, candidate))
        code.name = candidate
        taken.add(code_key(candidate))
        seen.add(code_key(candidate))
    return renamed


def _apply(code: Code, spec: CodeSpec, fields: frozenset[str]) -> bool:
    changed = False
    for name in _FIELDS:
        if name not in fields:
            continue
        value = getattr(spec, name)
        if isinstance(value, list):
            value = list(value)
        if getattr(code, name) != value:
            setattr(code, name, value)
            changed = True
    return changed


def import_codebook(session: Session, codebook: Codebook, *, coder: str | None = None,
                    ) -> ImportReport:
    """Merge ``codebook`` into the database: codes matched by name (case-insensitively), then
    by GUID (a rename); new codes added, matched ones updated, nothing deleted. Only the fields
    the source holds (``codebook.fields``) are updated."""
    book = copy.deepcopy(codebook)
    report = ImportReport(name=book.name, version=book.version)
    report.renamed = _dedupe_names(book)
    existing = list(session.scalars(select(Code)))
    by_key = {c.norm_name: c for c in existing}
    by_guid = {c.guid: c for c in existing}
    used: set[int] = set()
    spec_ids: dict[int, int] = {}  # id(spec) -> Code.id
    positions: dict[int | None, int] = defaultdict(int)

    with audited(session, action="codebook import", coder=_coder(coder),
                 summary=f"import codebook {book.name or '(unnamed)'}"):
        for spec, parent in book.walk():
            parent_id = spec_ids[id(parent)] if parent is not None else None
            position = positions[parent_id]
            positions[parent_id] += 1
            key = code_key(spec.name)
            code = by_key.get(key)
            if code is not None and code.id in used:
                code = None
            if code is None and spec.guid and spec.guid in by_guid:
                code = by_guid[spec.guid] if by_guid[spec.guid].id not in used else None
            if code is None:
                code = Code(name=spec.name, norm_name=key, parent_id=parent_id,
                            position=position)
                if spec.guid and spec.guid not in by_guid:
                    code.guid = spec.guid
                _apply(code, spec, book.fields)
                session.add(code)
                session.flush()
                by_key[key] = code
                by_guid[code.guid] = code
                report.added.append(spec.name)
            else:
                changed = _apply(code, spec, book.fields)
                if code.name != spec.name:  # same GUID under another name, or case change
                    by_key.pop(code.norm_name, None)
                    code.name, code.norm_name = spec.name, key
                    by_key[key] = code
                    changed = True
                if code.parent_id != parent_id:
                    code.parent_id = parent_id
                    changed = True
                code.position = position
                session.add(code)
                (report.updated if changed else report.unchanged).append(spec.name)
            used.add(code.id)
            spec_ids[id(spec)] = code.id
            if spec.guid:
                report.code_ids[spec.guid] = code.id
        session.flush()
        _import_sets(session, book, spec_ids, report)
        # inside the audited block: undo puts the previous name and version back
        before = _meta_get(session, "codebook.name")
        if book.name and before and before != book.name:
            report.previous_name = before
        for key, value in (("name", book.name), ("version", book.version),
                           ("description", book.description)):
            if value and value != _meta_get(session, f"codebook.{key}"):
                _meta_set(session, f"codebook.{key}", value)
        session.flush()
    return report


def _import_sets(session: Session, book: Codebook, spec_ids: dict[int, int],
                 report: ImportReport) -> None:
    if not book.sets:
        return
    ids_by_ref: dict[str, int] = dict(report.code_ids)
    for spec, _ in book.walk():
        ids_by_ref[code_key(spec.name)] = spec_ids[id(spec)]
    sets_by_key = {code_key(s.name): s for s in session.scalars(select(CodeSet))}
    set_guids = set(session.scalars(select(CodeSet.guid)))
    for spec in book.sets:
        code_set = sets_by_key.get(code_key(spec.name))
        if code_set is None:
            code_set = CodeSet(name=spec.name, description=spec.description)
            if spec.guid and spec.guid not in set_guids:
                code_set.guid = spec.guid
            session.add(code_set)
            session.flush()
        elif spec.description and code_set.description != spec.description:
            code_set.description = spec.description
            session.add(code_set)
        members = set(session.scalars(
            select(CodeSetMember.code_id).where(CodeSetMember.set_id == code_set.id)))
        for ref in spec.members:
            code_id = ids_by_ref.get(ref) or ids_by_ref.get(code_key(ref))
            if code_id is not None and code_id not in members:
                session.add(CodeSetMember(set_id=code_set.id, code_id=code_id))
                members.add(code_id)
        report.sets.append(spec.name)
    session.flush()


# --- load, show, export ------------------------------------------------------------------------


def _ordered_codes(session: Session) -> list[Code]:
    return list(session.scalars(select(Code).order_by(Code.position, Code.id)))


def load_codebook(session: Session) -> Codebook:
    """The database codebook as plain data, in tree order, with GUIDs."""
    codes = _ordered_codes(session)
    specs = {c.id: CodeSpec(
        name=c.name, description=c.description, inclusion=c.inclusion, exclusion=c.exclusion,
        examples=list(c.examples or []), keywords=list(c.keywords or []), colour=c.colour,
        guid=c.guid, is_codable=c.is_codable) for c in codes}
    # a corpus whose codebook came from a .qdc (REFI has no codebook name) still exports a
    # YAML file that imports again
    book = Codebook(name=_meta_get(session, "codebook.name") or "Codebook",
                    version=_meta_get(session, "codebook.version"),
                    description=_meta_get(session, "codebook.description"))
    for c in codes:
        if c.parent_id is None or c.parent_id not in specs:
            book.codes.append(specs[c.id])
        else:
            specs[c.parent_id].children.append(specs[c.id])
    order = {id(spec): n for n, (spec, _) in enumerate(book.walk())}
    members: dict[int, list[CodeSpec]] = defaultdict(list)
    for set_id, code_id in session.execute(select(CodeSetMember.set_id, CodeSetMember.code_id)):
        members[set_id].append(specs[code_id])
    for s in session.scalars(select(CodeSet).order_by(CodeSet.id)):
        in_tree_order = sorted(members[s.id], key=lambda spec: order[id(spec)])
        book.sets.append(CodeSetSpec(name=s.name, description=s.description, guid=s.guid,
                                     members=[spec.name for spec in in_tree_order]))
    return book


def coding_counts(session: Session) -> dict[int, int]:
    return dict(session.execute(select(Coding.code_id, func.count()).group_by(Coding.code_id))
                .all())


def codebook_tree(session: Session) -> list[dict[str, Any]]:
    """Every code in tree order with its parent, depth, fields and coding counts
    (``codings``: its own; ``codings_total``: with its sub-codes)."""
    codes = {c.id: c for c in _ordered_codes(session)}
    children = children_map(session)
    own = coding_counts(session)
    out: list[dict[str, Any]] = []

    def visit(code_id: int, depth: int) -> int:
        c = codes[code_id]
        row = {
            "name": c.name,
            "parent": codes[c.parent_id].name if c.parent_id in codes else None,
            "description": c.description,
            "keywords": list(c.keywords or []),
            "examples": list(c.examples or []),
            "inclusion": c.inclusion,
            "exclusion": c.exclusion,
            "colour": c.colour,
            "guid": c.guid,
            "codable": c.is_codable,
            "depth": depth,
            "codings": own.get(code_id, 0),
        }
        out.append(row)
        total = row["codings"] + sum(visit(child, depth + 1) for child in children[code_id])
        row["codings_total"] = total
        return total

    for top in children[None]:
        visit(top, 0)
    return out


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_codebook(book: Codebook, suffix: str, lang: Lang = "en") -> bytes:
    """The codebook in the format of a file suffix (see EXPORT_SUFFIXES); ``lang`` sets the
    labels of the .md and .tex renders (YAML and .qdc are data: the same in every language)."""
    suffix = suffix.lower()
    if suffix in (".yaml", ".yml"):
        from .yaml_io import dump_yaml

        return dump_yaml(book).encode("utf-8")
    if suffix == ".qdc":
        from .qdc import write_qdc

        return write_qdc(book)
    if suffix == ".md":
        from .render import to_markdown

        return to_markdown(book, lang).encode("utf-8")
    if suffix == ".tex":
        from .render import to_latex

        return to_latex(book, lang).encode("utf-8")
    raise InvalidInput(f"cannot export a codebook as {suffix or 'a file without suffix'!r}",
                       f"use one of {', '.join(EXPORT_SUFFIXES)}")


def export_codebook(session: Session, path: str | Path, lang: Lang = "en") -> dict[str, Any]:
    """Write the database codebook to ``path``, format from its suffix."""
    path = Path(path)
    data = render_codebook(load_codebook(session), path.suffix, lang)
    if not path.parent.exists():
        raise InvalidInput(f"folder {path.parent} does not exist", "create it first")
    _write_atomic(path, data)
    return {"path": str(path), "format": path.suffix.lower().lstrip("."),
            "codes": session.scalar(select(func.count()).select_from(Code)) or 0}


def read_codebook_file(path: str | Path) -> Codebook:
    """A codebook file by suffix: `.yaml`/`.yml` or `.qdc`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise InvalidInput(f"no such file: {path}", "check the path")
    if suffix in (".yaml", ".yml"):
        from .yaml_io import load_yaml

        return load_yaml(path)
    if suffix == ".qdc":
        from .qdc import read_qdc

        return read_qdc(path)
    raise InvalidInput(f"cannot import a codebook from {path.name}",
                       f"use a file ending in {', '.join(IMPORT_SUFFIXES)}")


# --- edits -------------------------------------------------------------------------------------


def _check_free(session: Session, name: str, except_id: int | None = None) -> None:
    other = session.scalar(select(Code).where(Code.norm_name == code_key(name)))
    if other is not None and other.id != except_id:
        raise AlreadyExists(f"a code named {other.name!r} already exists",
                            "choose another name, or `qualcode codebook merge` the two codes")


def _next_position(session: Session, parent_id: int | None) -> int:
    cond = Code.parent_id.is_(None) if parent_id is None else Code.parent_id == parent_id
    top = session.scalar(select(func.max(Code.position)).where(cond))
    return 0 if top is None else top + 1


def add_code(session: Session, *, name: str, parent: str | None = None, description: str = "",
             inclusion: str = "", exclusion: str = "", colour: str | None = None,
             keywords: list[str] | tuple[str, ...] = (),
             examples: list[str] | tuple[str, ...] = (), coder: str | None = None) -> Code:
    name = clean_name(name)
    _check_free(session, name)
    parent_code = get_code(session, parent) if parent else None
    parent_id = parent_code.id if parent_code else None
    code = Code(name=name, norm_name=code_key(name), parent_id=parent_id,
                description=description.strip(), inclusion=inclusion.strip(),
                exclusion=exclusion.strip(), keywords=[k.strip() for k in keywords if k.strip()],
                examples=list(examples),
                colour=check_colour(colour, f"code {name!r}") if colour else None,
                position=_next_position(session, parent_id))
    with audited(session, action="code add", coder=_coder(coder), summary=f"add code {name}"):
        session.add(code)
    return code


def rename_code(session: Session, *, old: str, new: str, coder: str | None = None,
                ) -> tuple[str, str]:
    """Rename a code; its GUID and codings stay. Returns (old name, new name)."""
    code = get_code(session, old)
    new = clean_name(new)
    _check_free(session, new, except_id=code.id)
    before = code.name
    with audited(session, action="code rename", coder=_coder(coder),
                 summary=f"rename code {before} -> {new}"):
        code.name, code.norm_name = new, code_key(new)
        session.add(code)
    return before, new


def move_code(session: Session, *, name: str, parent: str | None,
              coder: str | None = None) -> Code:
    """Re-parent a code (``parent=None``: to the top level); refuses to create a cycle."""
    code = get_code(session, name)
    new_parent = get_code(session, parent) if parent else None
    if new_parent is not None and new_parent.id in descendants(session, code.id):
        raise Conflict(f"cannot move {code.name!r} under {new_parent.name!r}: "
                       f"{new_parent.name!r} is {code.name!r} itself or one of its sub-codes",
                       "move the sub-code out first, or choose another parent")
    parent_id = new_parent.id if new_parent else None
    if code.parent_id == parent_id:
        return code
    with audited(session, action="code move", coder=_coder(coder),
                 summary=f"move code {code.name} under {new_parent.name if new_parent else 'top'}"):
        code.parent_id = parent_id
        code.position = _next_position(session, parent_id)
        session.add(code)
    return code


def _memos_of(session: Session, code_id: int) -> list[Memo]:
    return list(session.scalars(select(Memo).where(Memo.target_type == "code",
                                                   Memo.target_id == code_id)))


def merge_codes(session: Session, *, source: str, target: str, coder: str | None = None,
                ) -> dict[str, Any]:
    """Merge code ``source`` into ``target``: codings move (a coding that ``target`` already
    has on the same document, span and coder is dropped), sub-codes, suggestions, memos and set
    memberships follow, keywords and examples are added to ``target``'s, ``source`` goes."""
    a = get_code(session, source)
    b = get_code(session, target)
    if a.id == b.id:
        raise InvalidInput(f"cannot merge {a.name!r} into itself", "name two different codes")
    report = {"source": a.name, "target": b.name, "moved": 0, "duplicates": 0,
              "subcodes": 0, "suggestions_moved": 0, "suggestions_dropped": 0}
    with audited(session, action="code merge", coder=_coder(coder),
                 summary=f"merge code {a.name} into {b.name}"):
        if b.id in descendants(session, a.id):
            # B takes A's place first, so A's other sub-codes can go under B without a cycle.
            b.parent_id = a.parent_id
            session.add(b)
            session.flush()
        held = {(c.document_id, c.start, c.end, c.coder_id)
                for c in session.scalars(select(Coding).where(Coding.code_id == b.id))}
        for coding in session.scalars(select(Coding).where(Coding.code_id == a.id)).all():
            key = (coding.document_id, coding.start, coding.end, coding.coder_id)
            if key in held:
                session.delete(coding)
                report["duplicates"] += 1
            else:
                coding.code_id = b.id
                session.add(coding)
                held.add(key)
                report["moved"] += 1
        session.flush()
        b_segments = set(session.scalars(
            select(Suggestion.segment_id).where(Suggestion.code_id == b.id)))
        for sug in session.scalars(select(Suggestion).where(Suggestion.code_id == a.id)).all():
            if sug.segment_id in b_segments:
                session.delete(sug)
                report["suggestions_dropped"] += 1
            else:
                sug.code_id = b.id
                session.add(sug)
                report["suggestions_moved"] += 1
        position = _next_position(session, b.id)
        for child in session.scalars(select(Code).where(Code.parent_id == a.id)
                                     .order_by(Code.position, Code.id)).all():
            child.parent_id, child.position = b.id, position
            position += 1
            session.add(child)
            report["subcodes"] += 1
        b_sets = set(session.scalars(
            select(CodeSetMember.set_id).where(CodeSetMember.code_id == b.id)))
        for member in session.scalars(
                select(CodeSetMember).where(CodeSetMember.code_id == a.id)).all():
            session.delete(member)
            if member.set_id not in b_sets:
                session.add(CodeSetMember(set_id=member.set_id, code_id=b.id))
        for memo in _memos_of(session, a.id):
            memo.target_id = b.id
            session.add(memo)
        b.keywords = _union(b.keywords, a.keywords)
        b.examples = _union(b.examples, a.examples)
        session.add(b)
        session.flush()
        session.delete(a)
    return report


def _union(first: list[str] | None, second: list[str] | None) -> list[str]:
    out = list(first or [])
    seen = {x.casefold() for x in out}
    for item in second or []:
        if item.casefold() not in seen:
            out.append(item)
            seen.add(item.casefold())
    return out


def delete_code(session: Session, *, name: str, force: bool = False,
                coder: str | None = None) -> dict[str, Any]:
    """Delete a code. Refused while it has codings or sub-codes, unless ``force``: then its
    codings go (counted in the report) and its sub-codes move up to its parent."""
    code = get_code(session, name)
    n_codings = session.scalar(
        select(func.count()).select_from(Coding).where(Coding.code_id == code.id)) or 0
    subcodes = list(session.scalars(select(Code).where(Code.parent_id == code.id)
                                    .order_by(Code.position, Code.id)))
    if not force and (n_codings or subcodes):
        what = []
        if n_codings:
            what.append(f"{n_codings} coding{'s' if n_codings != 1 else ''}")
        if subcodes:
            what.append(f"{len(subcodes)} sub-code{'s' if len(subcodes) != 1 else ''}")
        raise Conflict(f"code {code.name!r} has {' and '.join(what)}",
                       "pass --force to delete its codings and move its sub-codes up, or "
                       "`qualcode codebook merge` it into another code to keep them")
    report = {"code": code.name, "codings": n_codings, "subcodes": len(subcodes),
              "suggestions": 0, "memos": 0}
    with audited(session, action="code delete", coder=_coder(coder),
                 summary=f"delete code {code.name}" + (f" and {n_codings} codings"
                                                       if n_codings else "")):
        for coding in session.scalars(select(Coding).where(Coding.code_id == code.id)).all():
            session.delete(coding)
        for sug in session.scalars(select(Suggestion).where(Suggestion.code_id == code.id)).all():
            session.delete(sug)
            report["suggestions"] += 1
        for member in session.scalars(
                select(CodeSetMember).where(CodeSetMember.code_id == code.id)).all():
            session.delete(member)
        for memo in _memos_of(session, code.id):
            session.delete(memo)
            report["memos"] += 1
        position = _next_position(session, code.parent_id)
        for child in subcodes:
            child.parent_id, child.position = code.parent_id, position
            position += 1
            session.add(child)
        session.flush()
        session.delete(code)
    return report
