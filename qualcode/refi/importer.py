"""Import a REFI-QDA project (.qdpx) into the corpus, in the caller's one transaction.

Merging with what the corpus holds:
- coders by name (a user GUID the file never names becomes a coder named after its first
  8 hex digits); codes by name (the codebook import); agents by name (case, accents ignored);
- a document whose name exists with the same stored text is the same document: its codings
  are added to it; with a different text the source comes in as `NAME (2)` (`(3)`...);
- a coding already stored (same code, span and coder) or a memo already stored (same GUID) is
  counted, not added again, so importing the same file twice changes nothing.
Selections that cannot be placed (unknown code, position outside the text or inside a
character, no text) are listed in the report, never dropped silently.
"""

from __future__ import annotations

import bisect
import itertools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from ..audit import audited, inserted_ids_op
from ..corpus.agents import relink_speakers, upsert_agent
from ..corpus.coders import default_coder
from ..corpus.documents import KINDS, add_document, merge_document_sets
from ..errors import InvalidInput
from ..models import Agent, Code, Coder, Coding, Document, Memo, Segment
from ..textutil import clean_person_name, norm_name, sha256_text
from . import positions, structures
from .archive import QdpxArchive
from .exporter import KIND_VARIABLE, SELECTIONS_META
from .reader import ProjectIn, ProjectReader, SourceIn
from .segmenting import segment
from .structures import CodingWriter as _CodingWriter
from .xmltext import derive, format_datetime, norm_guid


@dataclass(slots=True)
class _DocRef:
    """What the end of an import needs of a document already written."""

    id: int
    guid: str
    name: str
    text: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Holder:
    """Who wrote a description and when (for its memo)."""

    user: str | None
    created: Any


_NO_TEXT = positions.RawPositions("", ("cp", 2))


@dataclass
class _Doc:
    """An imported source in the corpus, with what positions need."""

    source: SourceIn
    doc: Any  # the Document while its source is imported, then a _DocRef
    raw_map: positions.RawPositions
    to_stored: Sequence[int]
    segments: list[Any]  # (id, start, end) rows, not ORM objects: big projects stay light
    starts: list[int] = field(default_factory=list)
    row: dict[str, Any] = field(default_factory=dict)  # its line of the report

    def place(self, start: int | None, end: int | None) -> tuple[int, int] | str:
        """Stored span of a selection, or why it cannot be placed."""
        if start is None or end is None:
            return "the selection has no start or end position"
        s, e = self.raw_map.to_raw(start), self.raw_map.to_raw(end)
        if s is None or e is None:
            return (f"position {start}-{end} is outside the text "
                    f"({self.raw_map.length} units) or splits a character")
        if s > e:
            return f"the selection starts after it ends ({start}-{end})"
        s, e = self.to_stored[s], self.to_stored[e]
        if s == e:
            return "the selection is empty"
        if not 0 <= s < e <= len(self.doc.text):
            return f"position {start}-{end} is outside the text"
        return s, e

    def segment_at(self, start: int, end: int) -> Any:
        i = bisect.bisect_right(self.starts, start) - 1
        if i >= 0 and self.segments[i].start <= start < self.segments[i].end:
            return self.segments[i]
        for seg in self.segments:  # start in a gap (a speaker label): first overlapped
            if seg.start < end and seg.end > start:
                return seg
        return None


class _Importer:
    def __init__(self, session: Session, project: ProjectIn, coder: str, file: str,
                 positions_told: str | None = None) -> None:
        self.s = session
        self.positions_told = positions_told
        self.p = project
        self.coder_name = coder
        self.file = file
        self.coders: dict[str, Coder] = {}
        self.code_ids: dict[str, int] = {}
        self.agents: dict[str, Agent] = {}  # case GUID -> agent
        self.docs: dict[str, _Doc] = {}  # source GUID -> imported document
        self._doc_ids: set[int] = set()
        self._source_variables: set[str] = set()  # names of the sources' variables
        self._case_selections: set[str] = set()  # selection GUIDs the cases name
        self._selection_doc: dict[str, int] = {}  # ... -> document id
        self._doc_memos: list[tuple[Any, ...]] = []  # see _memos_of
        self._max_coding = 0
        self.writer: _CodingWriter | None = None
        self._names: dict[str, int] = {}  # the corpus's document names -> ids
        self._guids: set[str] = set()
        self._code_names: dict[str | None, str] | None = None  # file code GUID -> name
        self.report: dict[str, Any] = {
            "file": file, "project": project.name, "origin": project.origin,
            "positions": "", "documents": [], "skipped_sources": [], "codes": {},
            "agents": {"added": [], "merged": []}, "coders": {"added": [], "existing": []},
            "codings": {"added": 0, "already_present": 0},
            "memos": {"added": 0, "already_present": 0},
            "unplaced": [], "warnings": list(project.warnings),
            "document_sets": {}, "variables": {}, "case_codes": [],
            "not_imported": list(project.not_imported),
        }

    # --- coders ------------------------------------------------------------------------------

    def coder(self, guid: str | None) -> Coder:
        key = guid or ""
        if key in self.coders:
            return self.coders[key]
        name = self.coder_name if guid is None else (
            clean_person_name(self.p.users.get(guid) or "") or guid[:8])
        coder = self.s.scalar(select(Coder).where(Coder.name == name))
        if coder is None:
            coder = Coder(name=name)
            if guid and self.s.scalar(select(Coder.id).where(Coder.guid == guid)) is None:
                coder.guid = guid
            self.s.add(coder)
            self.s.flush()
            self.report["coders"]["added"].append(name)
        elif name not in self.report["coders"]["existing"]:
            self.report["coders"]["existing"].append(name)
        self.coders[key] = coder
        return coder

    # --- codebook ----------------------------------------------------------------------------

    def codebook(self) -> None:
        """Merge the codebook (its own audited change) and map file GUIDs to codes."""
        if self.p.codebook is None:
            return
        from ..codebook.qdc import codebook_from_element
        from ..codebook.service import import_codebook

        book = codebook_from_element(self.p.codebook)
        if not book.codes and not book.sets:
            return
        result = import_codebook(self.s, book, coder=self.coder_name)
        self.report["codes"] = result.as_dict()
        self.code_ids = dict(result.code_ids)

    # --- agents ------------------------------------------------------------------------------

    def cases(self) -> None:
        existing = set(self.s.scalars(select(Agent.norm_name)))
        for case in self.p.cases:
            name = case.name or f"case {case.guid[:8]}"
            merged = norm_name(name) in existing
            agent = upsert_agent(self.s, name, case.variables)
            if not merged and agent.guid != case.guid and self.s.scalar(
                    select(Agent.id).where(Agent.guid == case.guid)) is None:
                agent.guid = case.guid
                self.s.add(agent)
            existing.add(norm_name(name))
            self.report["agents"]["merged" if merged else "added"].append(agent.name)
            self.agents[case.guid] = agent
        self.s.flush()

    def variables(self) -> None:
        """Keep each variable's REFI type and description (attributes are stored as text), so
        that `export qdpx` writes the same typeOfVariable back."""
        used = {k for case in self.p.cases for k in case.variables} | {
            k for k in self._source_variables if k != KIND_VARIABLE}
        declared = {name: {"type": v.type, "description": v.description}
                    for name, v in self.p.variable_info.items() if name in used}
        if declared:
            self.report["variables"] = structures.merge_variables(self.s, declared)

    # --- documents ---------------------------------------------------------------------------

    def _store_document(self, src: SourceIn, convention: positions.Convention) -> _Doc | None:
        for c in src.off_text:
            self._unplaced(src, c.guid, None, None, c.code, src.off_text_reason)
        if src.guid in self.docs:  # codings name sources by GUID: a repeat is ambiguous
            src.text, src.problem = None, "its GUID repeats an earlier source's"
        if src.text is None:
            self.report["skipped_sources"].append({"source": src.name, "reason": src.problem})
            for sel in src.selections:
                for c in sel.codings:
                    self._unplaced(src, sel.guid, sel.start, sel.end, c.code,
                                   "its source was not imported")
            for c in src.codings:
                self._unplaced(src, c.guid, None, None, c.code, "its source was not imported")
            return None
        stored, to_stored = positions.normalise(src.text)
        raw_map = positions.RawPositions(src.text, convention)
        doc, status = self._document(src, stored, raw_map, to_stored)
        row = {"name": doc.name, "source": src.name, "status": status, "codings": 0}
        if src.text_of:
            row["text_of"] = src.text_of
        self.report["documents"].append(row)
        d = _Doc(src, doc, raw_map, to_stored, [], row=row)
        self.docs[src.guid] = d
        self._doc_ids.add(doc.id)
        # Core rows: no ORM work per segment
        d.segments = self.s.connection().execute(
            select(Segment.id, Segment.start, Segment.end)
            .where(Segment.document_id == doc.id).order_by(Segment.n)).all()
        d.starts = [seg.start for seg in d.segments]
        row["segments"] = len(d.segments)
        return d

    def source(self, src: SourceIn, convention: positions.Convention) -> None:
        """One source, whole: its document, its codings (into the writer's chunks), where its
        memos go; then only what the end of the import needs is kept (its GUID, document id
        and name), so a large project is never held whole."""
        self._source_variables.update(src.variables)
        d = self._store_document(src, convention)
        if d is None:
            return
        self._codings_of(d)
        self._memos_of(d)
        for sel in src.selections:
            if sel.guid in self._case_selections:
                self._selection_doc[sel.guid] = d.doc.id
        self.s.flush()
        self.docs[src.guid] = _Doc(
            SourceIn(guid=src.guid, name=src.name, kind=src.kind, text=None),
            _DocRef(d.doc.id, d.doc.guid, d.doc.name), _NO_TEXT, range(1), [], row=d.row)

    def _document(self, src: SourceIn, text: str, raw_map: positions.RawPositions,
                  to_stored: Sequence[int]) -> tuple[Document, str]:
        digest = sha256_text(text)
        base = src.name
        candidates = itertools.chain([base], (f"{base} ({n})" for n in range(2, 1000)))
        for n, name in enumerate(candidates):
            # Names and GUIDs of the corpus are read once: a new document costs no lookup.
            if name not in self._names:
                break
            found = self.s.get(Document, self._names[name])
            if found is None:
                break
            if found.text_hash == digest:
                if found.id in self._doc_ids:
                    continue  # two sources of this file with the same text stay two documents
                status = "merged" if n == 0 else "merged (renamed earlier)"
                return found, status
        else:
            name = f"{base} ({uuid.uuid4().hex[:8]})"
        same_guid = self.s.scalar(select(Document).where(Document.guid == src.guid)) if (
            src.guid in self._guids) else None
        if same_guid is not None and same_guid.text_hash == digest and (
                same_guid.id not in self._doc_ids):
            return same_guid, "merged (same source, renamed here)"
        segments = segment(text)
        if src.sync:
            structures.time_segments(segments, src.sync, raw_map, to_stored)
        meta: dict[str, Any] = {"refi": {"file": Path(self.file).name, "source": src.name,
                                         "origin": self.p.origin}}
        if src.text_of:
            meta["refi"]["text_of"] = src.text_of
        variables = {k: v for k, v in src.variables.items() if k != KIND_VARIABLE}
        if variables:
            meta["variables"] = variables
        kind = src.variables.get(KIND_VARIABLE, "")
        if kind not in KINDS:
            kind = "interview" if any(seg.speaker for seg in segments) else "document"
        doc = add_document(
            self.s, name=name, text=text, segments=segments, kind=kind,
            source_path=self.file, format="refi", meta=meta,
            guid=src.guid if same_guid is None else None,
        )
        if src.created is not None:
            doc.created_at = src.created
            self.s.add(doc)
        self._names[doc.name] = doc.id
        self._guids.add(doc.guid)
        return doc, "added" if name == base else "renamed"

    def case_links(self) -> None:
        """Documents of each case (its SourceRefs and SelectionRefs), written at once."""
        pairs: set[tuple[int, int]] = set()
        for case in self.p.cases:
            agent = self.agents[case.guid]
            for guid in case.sources:
                guid = self.p.aliases.get(guid, guid)
                if guid in self.docs:
                    pairs.add((self.docs[guid].doc.id, agent.id))
                else:
                    self.report["warnings"].append(
                        f"case {agent.name!r} refers to source {guid}, which is not in the "
                        "project: link ignored")
            pairs.update((self._selection_doc[g], agent.id) for g in case.selections
                         if g in self._selection_doc)
        structures.link_documents(self.s, pairs)

    # --- codings -----------------------------------------------------------------------------

    def _codings_of(self, d: _Doc) -> None:
        """Hand the document's codings to the writer (chunks of Core inserts, no ORM object,
        no audit copy per row)."""
        writer = self.writer
        # A document this import created holds no coding yet: nothing to compare with.
        existing = set() if d.row["status"] in ("added", "renamed") else set(
            self.s.execute(select(Coding.code_id, Coding.start, Coding.end, Coding.coder_id)
                           .where(Coding.document_id == d.doc.id)).all())
        whole = [(c, None) for c in d.source.codings]
        items = [(c, sel) for sel in d.source.selections for c in sel.codings] + whole
        added = 0
        kept: dict[str, dict[str, str | None]] = {}
        for c, sel in items:
            code_id = self.code_ids.get(c.code or "")
            start, end = (sel.start, sel.end) if sel else (0, None)
            if code_id is None:
                reason = (f"code {c.code} is not in the codebook" if c.code
                          else "the coding names no code (no CodeRef)")
                self._unplaced(d.source, sel.guid if sel else c.guid, start, end, c.code,
                               reason)
                continue
            span = d.place(sel.start, sel.end) if sel else (
                (0, len(d.doc.text)) if d.doc.text else "the source is empty")
            if isinstance(span, str):
                self._unplaced(d.source, sel.guid if sel else c.guid, start, end, c.code, span)
                continue
            # Who made the selection made the coding: NVivo names the project's owner on
            # every Coding and the person who coded on the selection.
            user = (sel.user if sel else None) or c.user or d.source.user
            coder = self.coder(user)
            key = (code_id, span[0], span[1], coder.id)
            if key in existing:
                self.report["codings"]["already_present"] += 1
                continue
            existing.add(key)
            seg = d.segment_at(*span)
            # A GUID repeated in this document (a damaged file) is new here; the writer finds
            # the other repeats (see CodingWriter).
            guid = writer.add(code_id, d.doc.id, seg.id if seg else None, span, coder.id,
                              c.guid if c.guid not in kept else str(uuid.uuid4()),
                              c.created or (sel.created if sel else None))
            if sel is not None:
                kept[guid] = self._selection_record(sel, c)
            added += 1
        if kept:
            # The GUIDs a chunk had to replace (taken in the corpus) are known once written.
            writer.flush()
            kept = {writer.renamed.get(g, g): record for g, record in kept.items()}
            writer.renamed.clear()
            meta = dict(d.doc.meta or {})
            meta[SELECTIONS_META] = {**(meta.get(SELECTIONS_META) or {}), **kept}
            d.doc.meta = meta
            self.s.add(d.doc)
        self.report["codings"]["added"] += added
        d.row["codings"] += added

    def _codings_done(self) -> list[dict[str, Any]]:
        """The audit operation naming the range of the ids of the codings written."""
        self.writer.flush()
        if not self.writer.written:
            return []
        max_after = self.s.scalar(select(func.max(Coding.id))) or 0
        return [inserted_ids_op("coding", self._max_coding + 1, max_after,
                                self.writer.written)]

    def _selection_record(self, sel: Any, c: Any) -> dict[str, str | None]:
        """What a qualcode coding cannot hold of its selection, kept for the next export: the
        selection's GUID, creator and date, and the creator of the Coding element."""
        return {
            "selection": sel.guid,
            "creatingUser": self.coder(sel.user).guid if sel.user else None,
            "creationDateTime": format_datetime(sel.created),
            "codingUser": self.coder(c.user).guid if c.user else None,
        }

    def _unplaced(self, src: SourceIn, guid: str, start: int | None, end: int | None,
                  code: str | None, reason: str) -> None:
        if self._code_names is None:
            self._code_names = {} if self.p.codebook is None else {
                norm_guid(el.get("guid")): el.get("name") or "" for el in
                self.p.codebook.iter("Code")}
        self.report["unplaced"].append({
            "source": src.name, "selection": guid, "start": start, "end": end,
            "code": self._code_names.get(code, code), "reason": reason})

    # --- memos -------------------------------------------------------------------------------

    def memos(self) -> None:
        p = self.p
        used = set(self.s.scalars(select(Memo.guid)))
        code_of = self.code_ids
        wanted: list[tuple[str, str, int | None, str, str, Any]] = []
        # (guid, target_type, target_id, title, text, user/created holder)
        noted: set[str] = set()

        def note(guid: str, target: str, target_id: int | None, key: str) -> None:
            n = p.notes.get(guid)
            if n is None:
                self.report["warnings"].append(f"note {guid} is referenced but missing")
                return
            memo_guid = guid if guid not in noted else derive(guid, key)
            noted.add(guid)
            wanted.append((memo_guid, target, target_id, n.name, n.text, n))

        for guid in p.notes_on_project:
            note(guid, "project", None, "project")
        for code_guid, refs in p.code_notes.items():
            for guid in refs:
                if code_guid in code_of:
                    note(guid, "code", code_of[code_guid], f"code:{code_guid}")
        for request in self._doc_memos:  # where each source's memos go (see _memos_of)
            if request[0] == "note":
                note(*request[1:])
            else:
                wanted.append(request[1:])
        for case in p.cases:
            agent = self.agents[case.guid]
            if case.description.strip():
                wanted.append((derive(case.guid, "description"), "agent", agent.id, "",
                               case.description, None))
        objects = {case.guid: ("agent", self.agents[case.guid].id) for case in p.cases}
        objects.update({g: ("document", d.doc.id) for g, d in self.docs.items()})
        objects.update({g: ("code", i) for g, i in code_of.items()})
        for link in p.links:
            ends = [(link.origin, link.target), (link.target, link.origin)]
            for obj, target in ends:
                if obj in objects and target in p.notes:
                    kind, target_id = objects[obj]
                    note(target, kind, target_id, f"link:{link.guid}")
        if p.description.strip():
            key = f"project description|{p.name}|{sha256_text(p.description)}"
            wanted.append((str(uuid.uuid5(uuid.NAMESPACE_URL, key)), "project", None, "",
                           p.description, None))
        for guid in p.notes:
            if guid not in noted:
                note(guid, "project", None, "project")

        for guid, target, target_id, title, text, holder in wanted:
            if guid in used:
                self.report["memos"]["already_present"] += 1
                continue
            used.add(guid)
            user = getattr(holder, "user", None)
            memo = Memo(target_type=target, target_id=target_id, title=title[:300], text=text,
                        coder_id=self.coder(user).id if user else None, guid=guid)
            created = getattr(holder, "created", None)
            if created is not None:
                memo.created_at = created
                memo.updated_at = getattr(holder, "modified", None) or created
            self.s.add(memo)
            self.report["memos"]["added"] += 1
        self.s.flush()

    def _memos_of(self, d: _Doc) -> None:
        """Where the memos of a source go (its notes, its description, its selections' notes
        and descriptions), found while its positions are at hand; ``memos`` writes them."""
        src, requests = d.source, self._doc_memos
        for guid in src.notes:
            n = self.p.notes.get(guid)
            target = self._note_anchor(d, n) if n is not None else None
            if target is not None:
                requests.append(("note", guid, "segment", target.id, f"source:{src.guid}"))
            else:
                requests.append(("note", guid, "document", d.doc.id, f"source:{src.guid}"))
        if src.description.strip():
            requests.append(("text", derive(src.guid, "description"), "document", d.doc.id, "",
                             src.description, _Holder(src.user, src.created)))
        for sel in src.selections:
            refs = list(sel.notes) + [g for c in sel.codings for g in c.notes]
            text = sel.description.strip()
            if not refs and not text:
                continue
            span = d.place(sel.start, sel.end)
            seg = d.segment_at(*span) if not isinstance(span, str) else None
            target, target_id = ("segment", seg.id) if seg else ("document", d.doc.id)
            if seg is None:
                self.report["warnings"].append(
                    f"a memo on selection {sel.guid} of {src.name!r} was attached to the "
                    "whole document (the selection could not be placed)")
            for guid in refs:
                requests.append(("note", guid, target, target_id, f"selection:{sel.guid}"))
            if text:
                requests.append(("text", derive(sel.guid, "description"), target, target_id,
                                 "", sel.description, _Holder(sel.user, sel.created)))

    def _note_anchor(self, d: _Doc, n: Any) -> Any:
        """A note with its own selection, referenced from a source (QualCoder's annotations):
        the segment of that source the selection falls in."""
        for sel in n.selections:
            span = d.place(sel.start, sel.end)
            if not isinstance(span, str):
                return d.segment_at(*span)
        return None

    # --- all ---------------------------------------------------------------------------------

    def run(self, sources: Iterable[SourceIn] | None = None,
            convention: positions.Convention | None = None
            ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Import the project; ``sources`` (default: the project's list) may be a stream read
        as the import goes, ``convention`` then decided beforehand (:class:`ProjectReader`)."""
        if convention is None:
            if self.positions_told in TOLD:
                convention = TOLD[self.positions_told]
            else:
                spans = [(src.text, sel.start, sel.end) for src in self.p.sources if src.text
                         for sel in src.selections
                         if sel.start is not None and sel.end is not None]
                convention = positions.choose(self.p.origin, spans).convention
        self.report["positions"] = positions.LABELS[convention]
        for guid in self.p.users:
            self.coder(guid)
        self.cases()
        self._names = dict(self.s.execute(select(Document.name, Document.id)).all())
        self._guids = set(self.s.scalars(select(Document.guid)))
        self._case_selections = {g for case in self.p.cases for g in case.selections}
        self._max_coding = self.s.scalar(select(func.max(Coding.id))) or 0
        self.writer = _CodingWriter(self.s)
        for src in self.p.sources if sources is None else sources:
            self.source(src, convention)
        ops = self._codings_done()
        self.variables()
        # New agents may name speakers of documents already in the corpus too (the imported
        # ones were linked as they were stored).
        if self.report["agents"]["added"]:
            relink_speakers(self.s)
        self.case_links()
        self.case_codes()
        self.document_sets()
        self.links_report()
        self.memos()
        return self.report, ops

    # --- structures qualcode keeps elsewhere (qualcode/refi/structures.py) -------------------

    def case_codes(self) -> None:
        """A case with CodeRefs is what those codes code (MAXQDA and ATLAS.ti cases): its agent
        is linked to every document holding a coding of them, and the reference is kept for
        the next export."""
        for case in self.p.cases:
            if not case.codes:
                continue
            agent = self.agents[case.guid]
            for code_guid in case.codes:
                code_id = self.code_ids.get(code_guid)
                if code_id is None:
                    self.report["warnings"].append(
                        f"case {agent.name!r} refers to code {code_guid}, which is not in the "
                        "codebook: reference ignored")
                    continue
                docs = structures.case_code(self.s, agent, code_id, self._doc_ids)
                self.report["case_codes"].append({
                    "agent": agent.name, "code": self.s.get(Code, code_id).name,
                    "documents": docs})

    def document_sets(self) -> None:
        sets = [st for st in self.p.sets if st.sources]
        if not sets:
            return
        wanted: dict[str, tuple[str, str, list[str]]] = {}
        for st in sets:
            members = []
            lost = 0
            for guid in st.sources:
                d = self.docs.get(self.p.aliases.get(guid, guid))
                if d is None:
                    lost += 1
                else:
                    members.append(d.doc.guid)
            if lost:
                self.report["not_imported"].append(
                    f"set {st.name!r}: {lost} of its {len(st.sources)} sources not in the set "
                    "(they were not imported)")
            wanted[st.name] = (st.guid, st.description, members)
        self.report["document_sets"] = merge_document_sets(self.s, wanted)

    def links_report(self) -> None:
        """Links between objects have no place in qualcode; a link to a note makes that note a
        memo on the object (see ``memos``), so only the others are reported."""
        other = [link for link in self.p.links
                 if link.origin not in self.p.notes and link.target not in self.p.notes]
        if other:
            n = len(other)
            self.report["not_imported"].append(
                f"{n} link{'s' if n > 1 else ''} not imported: qualcode has no links between "
                "codes, documents, cases or selections")


# `import qdpx --positions`: the convention the user knows the file uses (else detected).
TOLD: dict[str, positions.Convention] = {"codepoints": ("cp", 2), "utf16": ("utf16", 2)}
POSITIONS = ("auto", *TOLD)


def import_project(session: Session, project: ProjectIn, *, coder: str | None = None,
                   file: str = "", positions_told: str | None = None,
                   sources: Iterable[SourceIn] | None = None,
                   convention: positions.Convention | None = None) -> dict[str, Any]:
    """Import a project in the caller's transaction (its sources listed in ``project``, or
    streamed by ``sources`` with the ``convention`` decided beforehand).

    Two audited changes: the codebook merge (the codebook service records its own), then the
    coders, codings and memos; `qualcode undo 2` reverts both.
    """
    name = clean_person_name(coder or "") or default_coder()
    if positions_told not in (None, *POSITIONS):
        raise InvalidInput(f"unknown positions {positions_told!r}",
                           "use --positions auto, codepoints or utf16")
    importer = _Importer(session, project, name, file, positions_told)
    importer.codebook()
    with audited(session, action="import-qdpx", summary=f"import {Path(file).name}",
                 coder=name) as ops:
        report, bulk = importer.run(sources, convention)
        ops.extend(bulk)
    return report


def import_qdpx(session: Session, path: str | Path, *, coder: str | None = None,
                positions_told: str | None = None) -> dict[str, Any]:
    """Import the .qdpx at ``path`` in two passes over its XML: the outline of the project
    (and how it counts positions) before touching the database, then each source read,
    stored and let go. A file that turns out broken in the second pass raises, and the
    caller's transaction is rolled back: nothing is changed.

    ``positions_told``: ``codepoints`` or ``utf16`` when the user knows how the file counts;
    ``None`` or ``auto`` to detect it."""
    path = Path(path)
    if positions_told not in (None, *POSITIONS):
        raise InvalidInput(f"unknown positions {positions_told!r}",
                           "use --positions auto, codepoints or utf16")
    archive = QdpxArchive.open(path)
    try:
        reader = ProjectReader(archive)
        if positions_told in TOLD:
            project = reader.outline()
            convention = TOLD[positions_told]
        else:
            chooser = positions.Chooser()
            project = reader.outline(chooser)
            convention = chooser.verdict(project.origin).convention
        return import_project(session, project, coder=coder, file=str(path),
                              positions_told=positions_told, sources=reader.sources(project),
                              convention=convention)
    finally:
        archive.close()
