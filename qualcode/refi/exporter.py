"""Export the corpus as a REFI-QDA project (.qdpx): project.qde plus sources/<GUID>.txt.

GUIDs are stable: stored GUIDs for coders, codes, sets, agents, documents, codings and memos;
derived ones (uuid5) for what qualcode does not store as such: a variable from its name, the
selection of a coding from the coding, the selection of a segment from its document and span,
the link of an agent memo from the memo. Two exports of the same corpus have the same GUIDs.

Mapping (REFI has no place for some qualcode objects, so they travel as follows):
- coders -> Users; agents -> Cases with typed VariableValues, a SourceRef per document and a
  SelectionRef per speaker turn (a PlainTextSelection without coding);
- each coding -> a PlainTextSelection with one Coding and its CodeRef;
- memos -> Notes, referenced by NoteRef from the project, the source, the code or the
  segment's selection; a memo on an agent (Cases have no NoteRef) by a Link case -> note.
"""

from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from .. import __version__
from ..corpus.documents import document_sets
from ..errors import InvalidInput
from ..models import (
    Agent,
    AgentAttribute,
    Code,
    Coder,
    Coding,
    Document,
    DocumentAgent,
    Memo,
    Meta,
    Segment,
    utcnow,
)
from . import positions as _positions
from .structures import case_codes, variable_info
from .xmltext import PROJECT_NS, QUALCODE_NS, derive, format_datetime, serialise, strip_namespaces
from .xmltext import sub as _sub

# Source variable carrying the document kind (interview, observation, document).
KIND_VARIABLE = "qualcode:kind"
# Document meta key: coding GUID -> what an import kept of its selection (its GUID, creator and
# date, the Coding's creator), so that the next export writes them back.
SELECTIONS_META = "refi_selections"
_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE = re.compile(r"-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
# What a value of each REFI type must look like to be written with that type's element.
_FITS = {"Integer": _INT.fullmatch, "Float": _DECIMAL.fullmatch,
         "Boolean": lambda v: v in ("true", "false", "1", "0"),
         "Date": _DATE.fullmatch, "DateTime": _DATETIME.fullmatch}


def variable_type(values: list[str]) -> str:
    """REFI type of an attribute from all its values (written back verbatim)."""
    if values and all(_INT.fullmatch(v) for v in values):
        return "Integer"
    if values and all(_DECIMAL.fullmatch(v) for v in values):
        return "Float"
    if values and all(v in ("true", "false") for v in values):
        return "Boolean"
    return "Text"


def kept_type(declared: str | None, values: list[str]) -> str:
    """The type an import kept for a variable when every value still fits it (an edited
    value that no longer does makes it Text rather than an invalid file), else inferred."""
    if declared == "Text":
        return "Text"
    fits = _FITS.get(declared or "")
    if fits is not None and all(fits(v) for v in values):
        return declared or "Text"
    return variable_type(values)


_VALUE_TAG = {"Integer": "IntegerValue", "Float": "FloatValue", "Boolean": "BooleanValue",
              "Text": "TextValue", "Date": "DateValue", "DateTime": "DateTimeValue"}


def derive_set_guid(name: str) -> str:
    import uuid

    return str(uuid.uuid5(QUALCODE_NS, "document set:" + name))


def variable_guid(name: str) -> str:
    import uuid

    return str(uuid.uuid5(QUALCODE_NS, "variable:" + name))


def segment_selection_guid(doc: Document, seg: Segment) -> str:
    return derive(doc.guid, f"segment:{seg.start}:{seg.end}")


def _doc_variables(doc: Document) -> dict[str, str]:
    """The document's REFI variables (kept from an import) and its kind."""
    out = {str(k): str(v) for k, v in ((doc.meta or {}).get("variables") or {}).items()}
    out[KIND_VARIABLE] = doc.kind
    return out


def _text_file(text: str) -> bytes:
    # Lone surrogates cannot be encoded: one U+FFFD each keeps every position.
    return re.sub("[\ud800-\udfff]", "\ufffd", text).encode("utf-8")


# `export qdpx --positions`: how selection positions are counted.
POSITIONS = ("codepoints", "utf16")


class _Builder:
    def __init__(self, session: Session, positions: str = "codepoints") -> None:
        if positions not in POSITIONS:
            raise InvalidInput(f"unknown positions {positions!r}",
                               "use --positions codepoints (the standard) or utf16 (NVivo for "
                               "Windows)")
        self.s = session
        self.utf16 = positions == "utf16"
        self.coders = {c.id: c for c in session.scalars(select(Coder).order_by(Coder.name))}
        self.coder_guids = {c.guid for c in self.coders.values()}
        self.selection_guids: set[str] = set()
        self.codes = {c.id: c for c in session.scalars(select(Code))}
        self.docs = list(session.scalars(select(Document).order_by(Document.name)))
        self.agents = list(session.scalars(select(Agent).order_by(Agent.name)))
        self.memos = sorted(session.scalars(select(Memo)),
                            key=lambda m: (format_datetime(m.created_at) or "", m.guid))
        self.memos_by_target: dict[tuple[str, int | None], list[Memo]] = defaultdict(list)
        for memo in self.memos:
            self.memos_by_target[(memo.target_type, memo.target_id)].append(memo)
        self.files: dict[str, bytes] = {}
        self.counts: dict[str, int] = defaultdict(int)

    def known_user(self, guid: str | None) -> str | None:
        """``guid`` if it is a coder's (kept from an import), else None."""
        return guid if guid and guid in self.coder_guids else None

    def user(self, coder_id: int | None) -> str | None:
        coder = self.coders.get(coder_id) if coder_id is not None else None
        return coder.guid if coder else None

    def build(self) -> ET.Element:
        name = self.s.get(Meta, "project.name")
        root = ET.Element("Project", {
            "xmlns": PROJECT_NS, "name": name.value if name else "qualcode project",
            "origin": f"qualcode {__version__}" + (
                f" ({_positions.UTF16_ORIGIN_MARK})" if self.utf16 else ""),
            "creationDateTime": format_datetime(utcnow()) or "",
        })
        if self.coders:
            users = _sub(root, "Users")
            for coder in self.coders.values():
                _sub(users, "User", {"guid": coder.guid, "name": coder.name})
                self.counts["users"] += 1
        sets = self.document_sets(self.codebook(root))
        self.variables_and_cases(root)
        self.sources(root)
        self.notes(root)
        self.links(root)
        if sets is not None:
            root.append(sets)
        for memo in self.memos_by_target[("project", None)]:
            _sub(root, "NoteRef", {"targetGUID": memo.guid})
        return root

    # --- codebook ----------------------------------------------------------------------------

    def codebook(self, root: ET.Element) -> ET.Element | None:
        """Append the CodeBook; return the project-level Sets (written later, XSD order)."""
        from ..codebook.qdc import codes_to_element
        from ..codebook.service import load_codebook

        book = load_codebook(self.s)
        element = codes_to_element(book, PROJECT_NS)
        if element is None:
            return None
        strip_namespaces(element)
        guid_memos = {self.codes[target_id].guid: memos
                      for (kind, target_id), memos in self.memos_by_target.items()
                      if kind == "code" and target_id in self.codes}
        for code_el in element.iter("Code"):
            self.counts["codes"] += 1
            memos = guid_memos.get(code_el.get("guid", ""), [])
            if memos:  # NoteRefs go after the Description, before the sub-codes
                at = 1 if len(code_el) and code_el[0].tag == "Description" else 0
                for k, memo in enumerate(memos):
                    ref = ET.Element("NoteRef", {"targetGUID": memo.guid})
                    code_el.insert(at + k, ref)
        book_el = ET.SubElement(root, "CodeBook")
        book_el.extend(element.findall("Codes"))
        sets = element.find("Sets")
        if sets is None or not len(sets):
            return None
        for member in sets.iter("MemberCode"):  # project sets name members by targetGUID
            member.attrib = {"targetGUID": member.get("guid", "")}
        return sets

    def document_sets(self, sets: ET.Element | None) -> ET.Element | None:
        """Add the document sets (MemberSource) to the project's Sets; a set holding codes and
        documents (one name, one GUID) is written once with both kinds of members."""
        doc_sets = document_sets(self.s)
        if not doc_sets:
            return sets
        doc_guids = {d.guid for d in self.docs}
        if sets is None:
            sets = ET.Element("Sets")
        by_name = {el.get("name"): el for el in sets.findall("Set")}
        for name, info in sorted(doc_sets.items()):
            members = [g for g in info.get("documents") or [] if g in doc_guids]
            if not members:
                continue
            el = by_name.get(name)
            if el is None:
                el = _sub(sets, "Set", {"guid": info.get("guid") or derive_set_guid(name),
                                        "name": name})
                if info.get("description"):
                    _sub(el, "Description", text=info["description"])
            for guid in members:
                _sub(el, "MemberSource", {"targetGUID": guid})
            self.counts["document_sets"] += 1
        return sets if len(sets) else None

    # --- agents ------------------------------------------------------------------------------

    def variables_and_cases(self, root: ET.Element) -> None:
        attrs: dict[int, dict[str, str]] = defaultdict(dict)
        for agent_id, key, value in self.s.execute(
                select(AgentAttribute.agent_id, AgentAttribute.key, AgentAttribute.value)):
            attrs[agent_id][key] = value
        values: dict[str, list[str]] = defaultdict(list)
        for agent_attrs in attrs.values():
            for key, value in agent_attrs.items():
                values[key].append(value)
        for doc in self.docs:
            for key, value in _doc_variables(doc).items():
                values[key].append(value)
        kept = variable_info(self.s)
        self.types = {key: kept_type((kept.get(key) or {}).get("type"), vals)
                      for key, vals in values.items()}
        if self.types:
            variables = _sub(root, "Variables")
            for key in sorted(self.types):
                var = _sub(variables, "Variable", {"guid": variable_guid(key), "name": key,
                                                   "typeOfVariable": self.types[key]})
                description = (kept.get(key) or {}).get("description")
                if description:
                    _sub(var, "Description", text=description)
                self.counts["variables"] += 1
        if not self.agents:
            return
        doc_by_id = {d.id: d for d in self.docs}
        doc_links: dict[int, list[Document]] = defaultdict(list)
        for doc_id, agent_id in self.s.execute(
                select(DocumentAgent.document_id, DocumentAgent.agent_id)):
            doc_links[agent_id].append(doc_by_id[doc_id])
        turns_of: dict[int, list[tuple[Document, Segment]]] = defaultdict(list)
        for seg in self.s.scalars(select(Segment).where(Segment.agent_id.is_not(None))
                                  .order_by(Segment.document_id, Segment.n)):
            turns_of[seg.agent_id].append((doc_by_id[seg.document_id], seg))
        code_guids = {c.guid for c in self.codes.values()}
        refs = case_codes(self.s)
        cases = _sub(root, "Cases")
        for agent in self.agents:
            case = _sub(cases, "Case", {"guid": agent.guid, "name": agent.name})
            for code_guid in refs.get(agent.guid, []):
                if code_guid in code_guids:  # a code removed since is not referenced
                    _sub(case, "CodeRef", {"targetGUID": code_guid})
            for key, value in sorted(attrs[agent.id].items()):
                vv = _sub(case, "VariableValue")
                _sub(vv, "VariableRef", {"targetGUID": variable_guid(key)})
                _sub(vv, _VALUE_TAG[self.types[key]], text=value)
            for doc in sorted(doc_links[agent.id], key=lambda d: d.name):
                _sub(case, "SourceRef", {"targetGUID": doc.guid})
            for doc, seg in sorted(turns_of[agent.id], key=lambda t: (t[0].name, t[1].n)):
                _sub(case, "SelectionRef", {"targetGUID": segment_selection_guid(doc, seg)})
            self.counts["cases"] += 1

    # --- sources -----------------------------------------------------------------------------

    def sources(self, root: ET.Element) -> None:
        if not self.docs:
            return
        segments: dict[int, list[Segment]] = defaultdict(list)
        for seg in self.s.scalars(select(Segment).order_by(Segment.document_id, Segment.n)):
            segments[seg.document_id].append(seg)
        codings: dict[int, list[Coding]] = defaultdict(list)
        for coding in self.s.scalars(select(Coding).order_by(Coding.start, Coding.end,
                                                             Coding.guid)):
            codings[coding.document_id].append(coding)
        sources = _sub(root, "Sources")
        for doc in self.docs:
            entry = f"{doc.guid}.txt"
            if self.utf16:  # as NVivo for Windows writes them: CRLF, UTF-16 code units
                self.files[f"sources/{entry}"] = _text_file(_positions.to_crlf(doc.text))
                units = _positions.utf16_units(doc.text, crlf=True)

                def pos(i: int, units: list[int] = units) -> str:
                    return str(units[i])
            else:
                self.files[f"sources/{entry}"] = _text_file(doc.text)

                def pos(i: int) -> str:
                    return str(i)
            src = _sub(sources, "TextSource", {
                "guid": doc.guid, "name": doc.name, "plainTextPath": f"internal://{entry}",
                "creationDateTime": format_datetime(doc.created_at)})
            selections: list[tuple[int, int, str, ET.Element]] = []
            kept = (doc.meta or {}).get(SELECTIONS_META) or {}
            by_selection: dict[tuple[str, int, int], ET.Element] = {}
            for coding in codings[doc.id]:
                code = self.codes[coding.code_id]
                record = kept.get(coding.guid) or {}
                user = self.user(coding.coder_id)
                created = format_datetime(coding.created_at)
                key = (record.get("selection") or "", coding.start, coding.end)
                sel = by_selection.get(key) if key[0] else None
                if sel is None:
                    guid = key[0] if key[0] and key[0] not in self.selection_guids else (
                        derive(coding.guid, "selection"))
                    self.selection_guids.add(guid)
                    sel = ET.Element("PlainTextSelection", {
                        "guid": guid, "startPosition": pos(coding.start),
                        "endPosition": pos(coding.end)})
                    sel_user = self.known_user(record.get("creatingUser")) or user
                    sel_created = record.get("creationDateTime") or created
                    for attr, value in (("creatingUser", sel_user),
                                        ("creationDateTime", sel_created)):
                        if value:
                            sel.set(attr, value)
                    if key[0] and guid == key[0]:
                        by_selection[key] = sel
                    selections.append((coding.start, coding.end, guid, sel))
                coding_user = self.known_user(record.get("codingUser")) or user
                c = _sub(sel, "Coding", {"guid": coding.guid, "creatingUser": coding_user,
                                         "creationDateTime": created})
                _sub(c, "CodeRef", {"targetGUID": code.guid})
                self.counts["codings"] += 1
            for seg in segments[doc.id]:
                memos = self.memos_by_target[("segment", seg.id)]
                if seg.agent_id is None and not memos:
                    continue
                guid = segment_selection_guid(doc, seg)
                label = f"{doc.name}:{seg.n}" + (f" {seg.speaker}" if seg.speaker else "")
                sel = ET.Element("PlainTextSelection", {
                    "guid": guid, "name": label, "startPosition": pos(seg.start),
                    "endPosition": pos(seg.end)})
                for memo in memos:
                    _sub(sel, "NoteRef", {"targetGUID": memo.guid})
                selections.append((seg.start, seg.end, guid, sel))
            for *_key, sel in sorted(selections, key=lambda t: t[:3]):
                src.append(sel)
                self.counts["selections"] += 1
            for memo in self.memos_by_target[("document", doc.id)]:
                _sub(src, "NoteRef", {"targetGUID": memo.guid})
            for key, value in sorted(_doc_variables(doc).items()):
                vv = _sub(src, "VariableValue")
                _sub(vv, "VariableRef", {"targetGUID": variable_guid(key)})
                _sub(vv, _VALUE_TAG[self.types[key]], text=value)
            self.counts["sources"] += 1

    # --- memos -------------------------------------------------------------------------------

    def notes(self, root: ET.Element) -> None:
        if not self.memos:
            return
        notes = _sub(root, "Notes")
        for memo in self.memos:
            note = _sub(notes, "Note", {
                "guid": memo.guid, "name": memo.title or None,
                "creatingUser": self.user(memo.coder_id),
                "creationDateTime": format_datetime(memo.created_at),
                "modifiedDateTime": format_datetime(memo.updated_at)})
            _sub(note, "PlainTextContent", text=memo.text)
            self.counts["notes"] += 1

    def links(self, root: ET.Element) -> None:
        agent_guid = {a.id: a.guid for a in self.agents}
        agent_memos = [m for m in self.memos
                       if m.target_type == "agent" and m.target_id in agent_guid]
        if not agent_memos:
            return
        links = _sub(root, "Links")
        for memo in agent_memos:
            _sub(links, "Link", {"guid": derive(memo.guid, "link"), "name": "memo",
                                 "direction": "OneWay", "originGUID": agent_guid[memo.target_id],
                                 "targetGUID": memo.guid})


def build_qdpx(session: Session, positions: str = "codepoints"
               ) -> tuple[bytes, dict[str, bytes], dict[str, int]]:
    """(project.qde bytes, other zip entries, counts) for the corpus.

    ``positions``: ``codepoints`` (the standard) or ``utf16`` (NVivo for Windows: texts with
    CRLF line ends, positions in UTF-16 code units of that text, CRLF counting 2)."""
    builder = _Builder(session, positions)
    root = builder.build()
    return serialise(root), builder.files, dict(builder.counts)


def export_qdpx(session: Session, path: str | Path, *, positions: str = "codepoints"
                ) -> dict[str, Any]:
    """Write the corpus to ``path`` (written to a temporary file, then moved in place);
    ``positions`` as in ``build_qdpx``."""
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder", "give a file name ending in .qdpx")
    if not path.parent.exists():
        raise InvalidInput(f"folder {path.parent} does not exist", "create it first")
    qde, files, counts = build_qdpx(session, positions)
    fd, tmp = tempfile.mkstemp(prefix=".qualcode-", suffix=".qdpx", dir=path.parent)
    os.close(fd)
    try:
        stamp = datetime.now().timetuple()[:6]
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo("project.qde", stamp), qde, zipfile.ZIP_DEFLATED)
            for name, data in sorted(files.items()):
                zf.writestr(zipfile.ZipInfo(name, stamp), data, zipfile.ZIP_DEFLATED)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    keys = ("sources", "codes", "codings", "cases", "variables", "notes", "users",
            "selections")
    return {"file": str(path), "positions": positions,
            **{k: counts.get(k, 0) for k in keys}}
