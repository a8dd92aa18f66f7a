"""A project.qde read into plain data, whatever tool wrote it.

Elements are matched by local name (namespace variants), GUIDs normalised (lowercase, no
braces), and every text a source or note needs is fetched from the archive: `plainTextPath`
with or without `internal://`, `Sources/` or `sources/`, `PlainTextContent`, or the text of
the `.docx` behind `richTextPath` when there is no plain text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import InvalidInput, QualcodeError
from ..zipguard import NotAZip, TooLarge, check_office_zip
from .archive import BROKEN_HINT, QdpxArchive, parse_xml
from .xmltext import guid_or_derived, norm_guid, parse_datetime


@dataclass
class CodingIn:
    guid: str
    code: str | None  # code GUID
    user: str | None
    created: datetime | None
    notes: list[str] = field(default_factory=list)


@dataclass
class SelectionIn:
    guid: str
    start: int | None
    end: int | None
    name: str
    user: str | None
    created: datetime | None
    description: str
    codings: list[CodingIn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class SourceIn:
    guid: str
    name: str
    kind: str  # TextSource, PDFSource, ... (only text sources are imported)
    text: str | None  # raw text (BOM removed), None when it could not be found
    problem: str = ""  # why the text is missing
    description: str = ""
    user: str | None = None
    created: datetime | None = None
    selections: list[SelectionIn] = field(default_factory=list)
    codings: list[CodingIn] = field(default_factory=list)  # whole-source codings
    notes: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)


@dataclass
class NoteIn:
    guid: str
    name: str
    text: str
    user: str | None
    created: datetime | None
    modified: datetime | None
    selections: list[SelectionIn] = field(default_factory=list)


@dataclass
class CaseIn:
    guid: str
    name: str
    description: str
    variables: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    selections: list[str] = field(default_factory=list)


@dataclass
class LinkIn:
    guid: str
    origin: str | None
    target: str | None


@dataclass
class ProjectIn:
    name: str
    origin: str
    users: dict[str, str]  # GUID -> name
    codebook: Element | None  # a <CodeBook> holding <Codes> and the project's <Sets>
    variables: dict[str, str]  # GUID -> name
    cases: list[CaseIn]
    sources: list[SourceIn]
    notes: dict[str, NoteIn]
    links: list[LinkIn]
    description: str
    notes_on_project: list[str]
    code_notes: dict[str, list[str]] = field(default_factory=dict)  # code GUID -> note GUIDs
    warnings: list[str] = field(default_factory=list)


def _children(el: Element, tag: str) -> list[Element]:
    return [c for c in el if c.tag == tag]


def _child_text(el: Element, tag: str) -> str:
    found = _children(el, tag)
    return (found[0].text or "") if found else ""


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _refs(el: Element, tag: str) -> list[str]:
    return [g for c in _children(el, tag) if (g := norm_guid(c.get("targetGUID")))]


def _coding(el: Element, owner: str, n: int) -> CodingIn:
    code_ref = _children(el, "CodeRef")
    return CodingIn(
        guid=guid_or_derived(el.get("guid"), owner, "coding", str(n)),
        code=norm_guid(code_ref[0].get("targetGUID")) if code_ref else None,
        user=norm_guid(el.get("creatingUser")),
        created=parse_datetime(el.get("creationDateTime")),
        notes=_refs(el, "NoteRef"),
    )


def _selection(el: Element, owner: str, n: int) -> SelectionIn:
    guid = guid_or_derived(el.get("guid"), owner, "selection", str(n))
    return SelectionIn(
        guid=guid, start=_int(el.get("startPosition")), end=_int(el.get("endPosition")),
        name=el.get("name") or "", user=norm_guid(el.get("creatingUser")),
        created=parse_datetime(el.get("creationDateTime")),
        description=_child_text(el, "Description"),
        codings=[_coding(c, guid, i) for i, c in enumerate(_children(el, "Coding"))],
        notes=_refs(el, "NoteRef"),
    )


def _value(vv: Element) -> str | None:
    for c in vv:
        if c.tag.endswith("Value"):
            return (c.text or "").strip()
    return None


def _variable_values(el: Element, variables: dict[str, str]) -> dict[str, str]:
    out = {}
    for vv in _children(el, "VariableValue"):
        ref = _refs(vv, "VariableRef")
        value = _value(vv)
        if ref and value is not None and ref[0] in variables:
            out[variables[ref[0]]] = value
    return out


class _Texts:
    """Fetches the text of a source or note from the archive."""

    def __init__(self, archive: QdpxArchive) -> None:
        self.archive = archive
        # Sources sharing one entry share its text (one copy in memory); each use is still
        # charged to the archive's read budget, so a project naming it 50 times is refused.
        self._decoded: dict[str, str] = {}

    def plain(self, el: Element, what: str) -> tuple[str | None, str]:
        from ..ingest.encoding import decode_bytes

        path = el.get("plainTextPath")
        if path:
            entry = self.archive.find_source(path)
            if entry is not None:
                if entry in self._decoded:
                    self.archive.guard.charge(entry)
                    return self._decoded[entry], ""
                try:
                    text, _encoding = decode_bytes(self.archive.read(entry), what)
                except TooLarge:
                    raise
                except QualcodeError as exc:
                    return None, exc.message
                self._decoded[entry] = text
                return text, ""
        content = _children(el, "PlainTextContent")
        if content:
            return content[0].text or "", ""
        rich = el.get("richTextPath")
        if rich:
            entry = self.archive.find_source(rich)
            if entry is not None and entry.lower().endswith(".docx"):
                return self.docx(entry, what)
            if entry is None:
                return None, f"its file {rich!r} is not in the archive"
            return None, f"its file {rich!r} is not plain text or .docx"
        if path:
            return None, f"its file {path!r} is not in the archive"
        return None, "it has no text"

    def docx(self, entry: str, what: str) -> tuple[str | None, str]:
        data = self.archive.read(entry)
        try:
            # Its parts are read on the .qdpx's budget: fifty sources naming one .docx add up.
            check_office_zip(data, f"{self.archive.what}: {entry}",
                             "export the project again", parent=self.archive.guard)
            import docx

            document = docx.Document(io.BytesIO(data))
        except NotAZip:
            return None, "its .docx cannot be read (not a zip archive)"
        except InvalidInput:
            raise
        except Exception as exc:  # python-docx raises many kinds on a damaged file
            return None, f"its .docx cannot be read ({type(exc).__name__})"
        return "\n".join(p.text for p in document.paragraphs), ""


def read_project(archive: QdpxArchive) -> ProjectIn:
    entry = archive.project_entry()
    root = parse_xml(archive.read(entry), f"{archive.what}: {entry}")
    if root.tag != "Project":
        raise InvalidInput(f"{archive.what}: {entry} has root <{root.tag}>, not <Project>",
                           "a .qdc codebook is imported with `qualcode codebook import`"
                           if root.tag == "CodeBook" else BROKEN_HINT)
    texts = _Texts(archive)
    warnings: list[str] = []

    users: dict[str, str] = {}
    for users_el in _children(root, "Users"):
        for u in _children(users_el, "User"):
            guid = norm_guid(u.get("guid"))
            if guid:
                users[guid] = (u.get("name") or u.get("id") or "").strip()

    codebook = None
    books = _children(root, "CodeBook")
    sets = _children(root, "Sets")
    if books or sets:
        codebook = Element("CodeBook")
        for book in books:
            codebook.extend(_children(book, "Codes"))
            codebook.extend(_children(book, "Sets"))
        for sets_el in sets:
            # Project sets name members with targetGUID; the codebook reader wants guid.
            copy = Element("Sets")
            for s in _children(sets_el, "Set"):
                members = _children(s, "MemberCode")
                if not members:
                    if _children(s, "MemberSource") or _children(s, "MemberNote"):
                        warnings.append(f"set {s.get('name')!r} groups sources or notes, "
                                        "which qualcode does not keep: not imported")
                    continue
                new = Element("Set", dict(s.attrib))
                new.extend(_children(s, "Description"))
                for m in members:
                    new.append(Element("MemberCode",
                                       {"guid": m.get("targetGUID") or m.get("guid") or ""}))
                copy.append(new)
            if len(copy):
                codebook.append(copy)

    code_notes: dict[str, list[str]] = {}
    for book in books:
        for code in book.iter("Code"):
            guid, refs = norm_guid(code.get("guid")), _refs(code, "NoteRef")
            if guid and refs:
                code_notes.setdefault(guid, []).extend(refs)

    variables: dict[str, str] = {}
    for vars_el in _children(root, "Variables"):
        for v in _children(vars_el, "Variable"):
            guid = norm_guid(v.get("guid"))
            if guid and v.get("name"):
                variables[guid] = v.get("name", "").strip()

    cases = []
    for cases_el in _children(root, "Cases"):
        for n, c in enumerate(_children(cases_el, "Case")):
            guid = guid_or_derived(c.get("guid"), "case", str(n))
            cases.append(CaseIn(
                guid=guid, name=(c.get("name") or "").strip(),
                description=_child_text(c, "Description"),
                variables=_variable_values(c, variables),
                sources=_refs(c, "SourceRef"), selections=_refs(c, "SelectionRef"),
            ))

    sources = []
    for sources_el in _children(root, "Sources"):
        for n, s in enumerate(sources_el):
            guid = guid_or_derived(s.get("guid"), "source", str(n))
            name = (s.get("name") or "").strip()
            if not name:
                path = s.get("plainTextPath") or s.get("richTextPath") or s.get("path") or ""
                name = path.replace("\\", "/").rsplit("/", 1)[-1] or guid
            src = SourceIn(guid=guid, name=name, kind=s.tag, text=None,
                           description=_child_text(s, "Description"),
                           user=norm_guid(s.get("creatingUser")),
                           created=parse_datetime(s.get("creationDateTime")),
                           notes=_refs(s, "NoteRef"),
                           variables=_variable_values(s, variables))
            if s.tag == "TextSource":
                src.text, src.problem = texts.plain(s, f"source {name!r}")
                src.selections = [_selection(e, guid, i) for i, e in
                                  enumerate(_children(s, "PlainTextSelection"))]
                src.codings = [_coding(e, guid, i) for i, e in enumerate(_children(s, "Coding"))]
            else:
                src.problem = f"{s.tag} sources are not imported (qualcode keeps text only)"
                # Their codings are listed as not placed, never dropped silently.
                src.codings = [_coding(e, guid, i) for i, e in enumerate(s.iter("Coding"))]
            sources.append(src)

    notes: dict[str, NoteIn] = {}
    for notes_el in _children(root, "Notes"):
        for n, el in enumerate(_children(notes_el, "Note")):
            guid = guid_or_derived(el.get("guid"), "note", str(n))
            text, problem = texts.plain(el, f"note {el.get('name') or guid!r}")
            if text is None:
                text = _child_text(el, "Description")
                if not text:
                    warnings.append(f"note {el.get('name') or guid}: {problem}; imported empty")
            notes[guid] = NoteIn(
                guid=guid, name=(el.get("name") or "").strip(), text=text,
                user=norm_guid(el.get("creatingUser")),
                created=parse_datetime(el.get("creationDateTime")),
                modified=parse_datetime(el.get("modifiedDateTime")),
                selections=[_selection(e, guid, i) for i, e in
                            enumerate(_children(el, "PlainTextSelection"))],
            )

    links = []
    for links_el in _children(root, "Links"):
        for n, el in enumerate(_children(links_el, "Link")):
            links.append(LinkIn(guid=guid_or_derived(el.get("guid"), "link", str(n)),
                                origin=norm_guid(el.get("originGUID")),
                                target=norm_guid(el.get("targetGUID"))))

    return ProjectIn(
        name=(root.get("name") or "").strip(), origin=(root.get("origin") or "").strip(),
        users=users, codebook=codebook, variables=variables, cases=cases, sources=sources,
        notes=notes, links=links, description=_child_text(root, "Description"),
        notes_on_project=_refs(root, "NoteRef"), code_notes=code_notes, warnings=warnings,
    )


def read_qdpx(path: Path) -> ProjectIn:
    archive = QdpxArchive.open(path)
    try:
        return read_project(archive)
    finally:
        archive.close()
