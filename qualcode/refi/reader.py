"""A project.qde read into plain data, whatever tool wrote it.

Elements are matched by local name (namespace variants), GUIDs normalised (lowercase, no
braces), and every text a source or note needs is fetched from the archive: `plainTextPath`
with or without `internal://`, `Sources/` or `sources/`, `PlainTextContent`, or the text of
the `.docx` behind `richTextPath` when there is no plain text.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement

from ..errors import InvalidInput, QualcodeError
from ..zipguard import NotAZip, TooLarge, check_office_zip
from . import positions
from .archive import BROKEN_HINT, QdpxArchive, iter_project, parse_project
from .xmltext import guid_or_derived, norm_guid, parse_datetime


@dataclass(slots=True)
class CodingIn:
    guid: str
    code: str | None  # code GUID
    user: str | None
    created: datetime | None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
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
    # For the text of a PDF or a transcript: what it is the text of, and for a transcript its
    # sync points (position in the text, time in milliseconds).
    text_of: str = ""
    sync: list[tuple[int, int]] = field(default_factory=list)
    # Codings on what qualcode does not keep (a PDF page region, a time span of a recording):
    # listed as not placed, with why.
    off_text: list[CodingIn] = field(default_factory=list)
    off_text_reason: str = ""


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
    codes: list[str] = field(default_factory=list)  # CodeRef: the case is what these code


@dataclass
class VariableIn:
    name: str
    type: str  # typeOfVariable: Text, Boolean, Integer, Float, Date, DateTime
    description: str = ""


@dataclass
class SetIn:
    """A project-level set: its codes go to the codebook, its sources make a document set."""

    guid: str
    name: str
    description: str
    codes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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
    variable_info: dict[str, VariableIn] = field(default_factory=dict)  # name -> declaration
    sets: list[SetIn] = field(default_factory=list)
    # Structures qualcode has no place for, one report line each ("3 links not imported ...").
    not_imported: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # e.g. an AudioSource -> transcript


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
    # One pass over the children: a project holds a million of these.
    code = None
    notes = []
    for c in el:
        if c.tag == "CodeRef":
            if code is None:
                code = norm_guid(c.get("targetGUID")) or ""
        elif c.tag == "NoteRef" and (g := norm_guid(c.get("targetGUID"))):
            notes.append(g)
    return CodingIn(
        guid=guid_or_derived(el.get("guid"), owner, "coding", str(n)),
        code=code or None,
        user=norm_guid(el.get("creatingUser")),
        created=parse_datetime(el.get("creationDateTime")),
        notes=notes,
    )


def _selection(el: Element, owner: str, n: int) -> SelectionIn:
    guid = guid_or_derived(el.get("guid"), owner, "selection", str(n))
    description: str | None = None
    codings: list[CodingIn] = []
    notes: list[str] = []
    for c in el:
        if c.tag == "Coding":
            codings.append(_coding(c, guid, len(codings)))
        elif c.tag == "NoteRef":
            if g := norm_guid(c.get("targetGUID")):
                notes.append(g)
        elif c.tag == "Description" and description is None:
            description = c.text or ""
    return SelectionIn(
        guid=guid, start=_int(el.get("startPosition")), end=_int(el.get("endPosition")),
        name=el.get("name") or "", user=norm_guid(el.get("creatingUser")),
        created=parse_datetime(el.get("creationDateTime")),
        description=description or "", codings=codings, notes=notes,
    )


def _value(vv: Element) -> str | None:
    for c in vv:
        if c.tag.endswith("Value"):
            return typed_text(c.tag[:-len("Value")], (c.text or "").strip())
    return None


def typed_text(kind: str, value: str) -> str:
    """A REFI typed value as qualcode stores attributes (text), in the canonical spelling of
    its type so that an export writes a value the schema accepts: booleans ``true``/``false``,
    integers without leading zeros or ``+``; other types as written."""
    if kind == "Boolean":
        return {"1": "true", "0": "false"}.get(value, value.lower())
    if kind == "Integer":
        try:
            return str(int(value))
        except ValueError:
            return value
    return value


def _variable_values(el: Element, variables: dict[str, str] | None = None) -> dict[str, str]:
    """Values by variable name, or by variable GUID without ``variables``."""
    out = {}
    for vv in _children(el, "VariableValue"):
        ref = _refs(vv, "VariableRef")
        value = _value(vv)
        if ref and value is not None and (variables is None or ref[0] in variables):
            out[variables[ref[0]] if variables is not None else ref[0]] = value
    return out


def _sync_points(el: Element) -> dict[str, tuple[int, int | None]]:
    out = {}
    for p in _children(el, "SyncPoint"):
        guid, position = norm_guid(p.get("guid")), _int(p.get("position"))
        if guid and position is not None:
            out[guid] = (position, _int(p.get("timeStamp")))
    return out


def _transcript_selection(el: Element, owner: str, n: int,
                          points: dict[str, tuple[int, int | None]]) -> SelectionIn:
    """A TranscriptSelection runs from one sync point to another: its span in the text is
    theirs."""
    sel = _selection(el, owner, n)
    start = points.get(norm_guid(el.get("fromSyncPoint")) or "")
    end = points.get(norm_guid(el.get("toSyncPoint")) or "")
    sel.start, sel.end = (start[0] if start else None), (end[0] if end else None)
    return sel


class _Texts:
    """Fetches the text of a source or note from the archive."""

    def __init__(self, archive: QdpxArchive) -> None:
        self.archive = archive
        # Sources sharing one entry share its text (one copy in memory); each use is still
        # charged to the archive's read budget, so a project naming it 50 times is refused.
        self._decoded: dict[str, str] = {}
        self._users: set[tuple[str, str]] = set()  # (entry, source) pairs already charged

    def _charge(self, entry: str, el: Element, what: str) -> None:
        # Each source using an entry is charged once, however many passes read it.
        user = (entry, el.get("guid") or what)
        if user not in self._users:
            self._users.add(user)
            self.archive.guard.charge(entry)

    def plain(self, el: Element, what: str) -> tuple[str | None, str]:
        from ..ingest.encoding import decode_bytes

        path = el.get("plainTextPath")
        if path:
            entry = self.archive.find_source(path)
            if entry is not None:
                if entry in self._decoded:
                    self._charge(entry, el, what)
                    return self._decoded[entry], ""
                try:
                    text, _encoding = decode_bytes(self.archive.read(entry), what)
                except TooLarge:
                    raise
                except QualcodeError as exc:
                    return None, exc.message
                self._decoded[entry] = text
                self._users.add((entry, el.get("guid") or what))
                return text, ""
        content = _children(el, "PlainTextContent")
        if content:
            return content[0].text or "", ""
        rich = el.get("richTextPath")
        if rich:
            entry = self.archive.find_source(rich)
            if entry is not None and entry.lower().endswith(".docx"):
                if entry in self._decoded:
                    self._charge(entry, el, what)
                    return self._decoded[entry], ""
                text, problem = self.docx(entry, what)
                if text is not None:
                    self._decoded[entry] = text
                    self._users.add((entry, el.get("guid") or what))
                return text, problem
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


class ProjectReader:
    """A project.qde read in two passes, so that a large project is never held whole: the
    outline (users, codebook, variables, cases, notes, links, sets: everything but the
    sources' selections), then the sources one at a time."""

    def __init__(self, archive: QdpxArchive) -> None:
        self.archive = archive
        entry = archive.project_entry()
        self.what = f"{archive.what}: {entry}"
        self.data = archive.read(entry)
        self.texts = _Texts(archive)

    def outline(self, chooser: positions.Chooser | None = None) -> ProjectIn:
        """First pass. With ``chooser``, each source's text and selection spans are handed to
        it (how the file counts positions is decided from all of them)."""
        aliases: dict[str, str] = {}
        count = 0

        def on_source(el: Element) -> None:
            nonlocal count
            texts = self.texts if chooser is not None else None
            for src in _source(el, count, texts, aliases, light=True):
                count += 1
                if chooser is not None and src.text:
                    chooser.add(src.text, [(sel.start, sel.end) for sel in src.selections
                                           if sel.start is not None and sel.end is not None])

        root = parse_project(self.data, self.what, on_source)
        if root.tag != "Project":
            raise InvalidInput(f"{self.what} has root <{root.tag}>, not <Project>",
                               "a .qdc codebook is imported with `qualcode codebook import`"
                               if root.tag == "CodeBook" else BROKEN_HINT)
        return _outline(root, self.texts, aliases)

    def sources(self, project: ProjectIn) -> Iterator[SourceIn]:
        """Second pass: each source in full (selections, codings, text), one at a time."""
        count = 0
        for kind, el in iter_project(self.data, self.what):
            if kind != "source":
                continue
            for src in _source(el, count, self.texts, {}):
                count += 1
                src.variables = {project.variables[g]: v for g, v in src.variables.items()
                                 if g in project.variables}
                yield src


def read_project(archive: QdpxArchive) -> ProjectIn:
    """The whole project, sources included (see :class:`ProjectReader` for large ones)."""
    reader = ProjectReader(archive)
    project = reader.outline()
    project.sources = list(reader.sources(project))
    return project


def _outline(root: Element, texts: _Texts, aliases: dict[str, str]) -> ProjectIn:
    warnings: list[str] = []
    sources: list[SourceIn] = []

    users: dict[str, str] = {}
    for users_el in _children(root, "Users"):
        for u in _children(users_el, "User"):
            guid = norm_guid(u.get("guid"))
            if guid:
                users[guid] = (u.get("name") or u.get("id") or "").strip()

    codebook = None
    books = _children(root, "CodeBook")
    sets = [_set(el, n) for sets_el in _children(root, "Sets")
            for n, el in enumerate(_children(sets_el, "Set"))]
    if books or any(st.codes for st in sets):
        codebook = Element("CodeBook")
        for book in books:
            codebook.extend(_children(book, "Codes"))
            codebook.extend(_children(book, "Sets"))
        # Project sets name members with targetGUID; the codebook reader wants guid. A mixed
        # set gives its codes to a code set and its sources to a document set of one name.
        copy = Element("Sets")
        for st in sets:
            if st.codes:
                new = Element("Set", {"guid": st.guid, "name": st.name})
                if st.description:
                    SubElement(new, "Description").text = st.description
                for code in st.codes:
                    SubElement(new, "MemberCode", {"guid": code})
                copy.append(new)
        if len(copy):
            codebook.append(copy)
    not_imported: list[str] = []
    for st in sets:
        if st.notes:
            not_imported.append(
                f"set {st.name!r}: {_n(len(st.notes), 'note')} not grouped: qualcode has no "
                "sets of memos (the notes themselves are imported as memos)")

    code_notes: dict[str, list[str]] = {}
    for book in books:
        for code in book.iter("Code"):
            guid, refs = norm_guid(code.get("guid")), _refs(code, "NoteRef")
            if guid and refs:
                code_notes.setdefault(guid, []).extend(refs)

    variables: dict[str, str] = {}
    variable_info: dict[str, VariableIn] = {}
    for vars_el in _children(root, "Variables"):
        for v in _children(vars_el, "Variable"):
            guid = norm_guid(v.get("guid"))
            if guid and v.get("name"):
                name = v.get("name", "").strip()
                variables[guid] = name
                variable_info[name] = VariableIn(
                    name=name, type=(v.get("typeOfVariable") or "Text").strip(),
                    description=_child_text(v, "Description").strip())

    cases = []
    for cases_el in _children(root, "Cases"):
        for n, c in enumerate(_children(cases_el, "Case")):
            guid = guid_or_derived(c.get("guid"), "case", str(n))
            cases.append(CaseIn(
                guid=guid, name=(c.get("name") or "").strip(),
                description=_child_text(c, "Description"),
                variables=_variable_values(c, variables),
                sources=_refs(c, "SourceRef"), selections=_refs(c, "SelectionRef"),
                codes=_refs(c, "CodeRef"),
            ))

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
    graphs = [g for graphs_el in _children(root, "Graphs") for g in _children(graphs_el, "Graph")]
    if graphs:
        vertices = sum(len(_children(g, "Vertex")) for g in graphs)
        edges = sum(len(_children(g, "Edge")) for g in graphs)
        not_imported.append(f"{_n(len(graphs), 'graph')} not imported ({_n(vertices, 'vertex')}, "
                            f"{_n(edges, 'edge')}): qualcode has no graphs")

    return ProjectIn(
        name=(root.get("name") or "").strip(), origin=(root.get("origin") or "").strip(),
        users=users, codebook=codebook, variables=variables, cases=cases, sources=sources,
        notes=notes, links=links, description=_child_text(root, "Description"),
        notes_on_project=_refs(root, "NoteRef"), code_notes=code_notes, warnings=warnings,
        variable_info=variable_info, sets=sets, not_imported=not_imported, aliases=aliases,
    )


def _n(count: int, word: str) -> str:
    plural = {"vertex": "vertices"}.get(word, word + "s")
    return f"{count} {word if count == 1 else plural}"


def _set(el: Element, n: int) -> SetIn:
    return SetIn(guid=guid_or_derived(el.get("guid"), "set", str(n)),
                 name=(el.get("name") or "").strip() or f"set {n + 1}",
                 description=_child_text(el, "Description"),
                 # Codebook-style sets name members with guid, project sets with targetGUID.
                 codes=[g for m in _children(el, "MemberCode")
                        if (g := norm_guid(m.get("targetGUID") or m.get("guid")))],
                 sources=_refs(el, "MemberSource"), notes=_refs(el, "MemberNote"))


def _source(s: Element, n: int, texts: _Texts | None, aliases: dict[str, str], *,
            light: bool = False) -> list[SourceIn]:
    """The documents a source gives: a text source its text; a PDF the text of its
    Representation; a recording each of its transcripts. Codings that sit on what qualcode
    does not keep (page regions, time spans, pictures) are listed as not placed.

    ``light``: only the text (when ``texts`` is given) and the span of each selection, for
    the first pass over a project; ``texts`` None: no text read."""

    def plain(el: Element, what: str) -> tuple[str | None, str]:
        return texts.plain(el, what) if texts is not None else (None, "")

    def selections(parent: Element, owner: str) -> list[SelectionIn]:
        els = _children(parent, "PlainTextSelection")
        if light:
            return [SelectionIn("", _int(e.get("startPosition")), _int(e.get("endPosition")),
                                "", None, None, "") for e in els]
        return [_selection(e, owner, i) for i, e in enumerate(els)]
    guid = guid_or_derived(s.get("guid"), "source", str(n))
    name = (s.get("name") or "").strip()
    if not name:
        path = s.get("plainTextPath") or s.get("richTextPath") or s.get("path") or ""
        name = path.replace("\\", "/").rsplit("/", 1)[-1] or guid

    def source(guid: str, name: str, el: Element, kind: str) -> SourceIn:
        return SourceIn(guid=guid, name=name, kind=kind, text=None,
                        description=_child_text(s, "Description"),
                        user=norm_guid(el.get("creatingUser") or s.get("creatingUser")),
                        created=parse_datetime(el.get("creationDateTime")
                                               or s.get("creationDateTime")),
                        notes=_refs(s, "NoteRef"), variables=_variable_values(s))

    if s.tag == "TextSource":
        src = source(guid, name, s, s.tag)
        src.text, src.problem = plain(s, f"source {name!r}")
        src.selections = selections(s, guid)
        if not light:
            src.codings = [_coding(e, guid, i) for i, e in enumerate(_children(s, "Coding"))]
        return [src]
    out: list[SourceIn] = []
    if s.tag == "PDFSource" and _children(s, "Representation"):
        rep = _children(s, "Representation")[0]
        src = source(guid, name, rep, s.tag)
        src.text_of = "PDF"
        src.text, src.problem = plain(rep, f"the text of PDF {name!r}")
        src.selections = selections(rep, guid)
        src.codings = [_coding(e, guid, i) for i, e in
                       enumerate([*_children(rep, "Coding"), *_children(s, "Coding")])]
        rep_guid = norm_guid(rep.get("guid"))
        if rep_guid:
            aliases[rep_guid] = guid
        src.off_text_reason = "it is on a region of a PDF page, not on its text"
        src.off_text = [_coding(c, f"{guid}/page", i) for i, c in enumerate(
            c for sel in _children(s, "PDFSelection") for c in sel.iter("Coding"))]
        return [src]
    if s.tag in ("AudioSource", "VideoSource") and _children(s, "Transcript"):
        what = "recording" if s.tag == "AudioSource" else "video"
        transcripts = _children(s, "Transcript")
        for k, tr in enumerate(transcripts):
            # The first transcript stands for the recording (cases and sets name it).
            t_guid = guid if k == 0 else guid_or_derived(tr.get("guid"), guid, "transcript",
                                                           str(k))
            label = (tr.get("name") or "").strip() or (
                f"{name} (transcript)" if len(transcripts) == 1
                else f"{name} (transcript {k + 1})")
            src = source(t_guid, label, tr, s.tag)
            src.text_of = what
            src.text, src.problem = plain(tr, f"the transcript of {name!r}")
            points = _sync_points(tr)
            src.sync = sorted((pos, ms) for pos, ms in points.values() if ms is not None)
            src.selections = [_transcript_selection(e, t_guid, i, points) for i, e in
                              enumerate(_children(tr, "TranscriptSelection"))]
            if k:
                src.notes, src.variables, src.description = [], {}, ""
            tr_guid = norm_guid(tr.get("guid"))
            if tr_guid and tr_guid != t_guid:
                aliases[tr_guid] = t_guid
            out.append(src)
        # A coding of the whole recording is a coding of its (first) transcript.
        out[0].codings = [_coding(e, guid, i) for i, e in enumerate(_children(s, "Coding"))]
        out[0].off_text_reason = f"it is on a time span of the {what}, not on its transcript"
        tag = "AudioSelection" if s.tag == "AudioSource" else "VideoSelection"
        out[0].off_text = [_coding(c, f"{guid}/time", i) for i, c in enumerate(
            c for sel in _children(s, tag) for c in sel.iter("Coding"))]
        return out
    src = source(guid, name, s, s.tag)
    src.problem = f"{s.tag} sources are not imported (qualcode keeps text only)"
    # Their codings are listed as not placed, never dropped silently.
    src.codings = [_coding(e, guid, i) for i, e in enumerate(s.iter("Coding"))]
    return [src]


def read_qdpx(path: Path) -> ProjectIn:
    archive = QdpxArchive.open(path)
    try:
        return read_project(archive)
    finally:
        archive.close()
