"""Ingest files into the corpus: one transaction per file, idempotent, codings kept on replace.

A file is read and segmented outside the database (pure readers in ``qualcode.ingest``), then
stored in one write transaction: a failed file leaves nothing, the other files still go in.
The same name with the same bytes (sha256) is ``unchanged``; changed bytes are refused unless
``replace``, which moves every coding to the same quoted text in the new version (or refuses,
listing the codings it cannot place). Options that would read unchanged bytes differently
(``kind``, ``encoding``, ``interviewers``, agents as speaker names) are applied only with
``replace``; without it the result lists them in ``not_applied``.
"""

from __future__ import annotations

import bisect
import codecs
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete, func, select
from sqlmodel import Session

from ..db import Database
from ..errors import Conflict, InvalidInput, QualcodeError, describe_unexpected
from ..ingest.answers import Columns
from ..ingest.base import Parsed
from ..ingest.plain import as_list
from ..ingest.registry import parse_bytes, read_file_bytes, reader_for, supported
from ..models import AuditEntry, Code, Coding, Document, Segment, Suggestion
from ..results import IngestedFile, IngestStatus
from ..textutil import norm_name, readable_path, sha256_bytes, sha256_text
from .documents import KINDS, add_document, insert_segments

Progress = Callable[[int, int, str], None]
PREFETCH = 8  # files parsed ahead of the database writer
# Files that describe a folder rather than hold its material: skipped when a folder is given.
FOLDER_NOTES = frozenset({"readme", "lisezmoi", "license", "licence", "changelog"})


@dataclass
class IngestResult:
    """What happened to one file."""

    document: str
    path: str
    status: str  # added | unchanged | replaced | error
    segments: int = 0
    words: int = 0
    encoding: str = ""
    kind: str = ""
    error: str | None = None
    unknown_speakers: list[str] = field(default_factory=list)
    duplicates: list[list[int]] = field(default_factory=list)
    moved_codings: int = 0
    linked: list[str] = field(default_factory=list)  # agents newly linked to an unchanged file
    # Options given for an unchanged file that would change it, not applied without --replace.
    not_applied: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # from the reader: what it left out
    # What the reader kept outside the text or left out, one line each.
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> IngestedFile:
        out: IngestedFile = {"document": self.document,
                             "status": cast(IngestStatus, self.status),
                             "segments": self.segments, "encoding": self.encoding}
        if self.error is not None:
            out["error"] = self.error
        if self.warnings:
            out["warnings"] = self.warnings
        if self.notes:
            out["notes"] = self.notes
        return out


@dataclass
class Batch:
    """The files a list of paths names, plus notes and errors found while listing them."""

    files: list[tuple[Path, str]] = field(default_factory=list)  # (path, document name)
    notes: list[str] = field(default_factory=list)
    errors: list[IngestResult] = field(default_factory=list)


def collect_files(paths: Iterable[Path | str], columns: Columns | None = None) -> Batch:
    """Files to ingest: a file given directly is named by its file name; files under a
    folder by their path relative to it (hidden files, README-like notes and unsupported
    types skipped with a note). `.csv` files are survey answers when ``columns`` are given,
    else skipped in folders (an agents CSV sits there often) and refused when named."""
    batch = Batch()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts) or not child.is_file():
                    continue
                if child.stem.casefold() in FOLDER_NOTES:
                    batch.notes.append(f"skipped {readable_path(rel.as_posix())} (a folder's "
                                       "notes; name the file itself to ingest it)")
                    continue
                if not supported(child, tables=columns is not None):
                    batch.notes.append(f"skipped {readable_path(rel.as_posix())} (unsupported "
                                       f"type {child.suffix or 'without suffix'})")
                    continue
                batch.files.append((child, readable_path(rel.as_posix())))
        elif path.is_file():
            try:
                reader_for(path, columns)
            except InvalidInput as exc:
                batch.errors.append(IngestResult(path.name, str(path), "error", error=str(exc)))
                continue
            batch.files.append((path, readable_path(path.name)))
        else:
            batch.errors.append(IngestResult(
                path.name or str(path), str(path), "error",
                error=f"{path}: no such file or folder"))
    return batch


def ingest_paths(
    db: Database,
    paths: Iterable[Path | str],
    *,
    kind: str | None = None,
    agents: Sequence[str] = (),
    interviewers: Sequence[str] = (),
    replace: bool = False,
    encoding: str | None = None,
    coder: str | None = None,
    progress: Progress | None = None,
    batch: Batch | None = None,
    columns: Columns | None = None,
    merge_backchannels: bool = False,
) -> list[IngestResult]:
    """Ingest files and folders, each file in its own transaction; never raises per file.

    ``columns`` (the answer column, optionally the id column) make `.csv` files survey
    answers: one segment per respondent, respondents as agents (see `ingest.answers`).
    ``merge_backchannels`` joins a turn cut by another speaker's backchannel (see
    ``qualcode.ingest.backchannels``).
    """
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}", f"use one of {', '.join(KINDS)}")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInput(f"unknown encoding {encoding!r}",
                               "use e.g. utf-8, cp1252, latin-1 or utf-16") from None
    batch = batch or collect_files(paths, columns)
    results = list(batch.errors)
    with db.session() as s:
        stored = _stored(s)
    known = {name: row[0] for name, row in stored.items()}
    total = len(batch.files)
    options = {"kind": kind, "agents": tuple(agents), "replace": replace, "coder": coder}
    reading = _Reading(encoding, tuple(interviewers), tuple(agents), columns,
                       merge_backchannels)
    for i, (path, name, prepared) in enumerate(_prepared(batch.files, known, reading), 1):
        if prepared.error is None and name in stored and prepared.same_bytes:
            results.append(_same_bytes(db, path, name, prepared, reading, options))
        else:
            results.append(_store_one(db, path, name, prepared, known, options))
        if progress is not None:
            progress(i, total, name)
    return results


@dataclass(frozen=True)
class _Reading:
    """The options that change how a file is read (not only how it is stored)."""

    encoding: str | None = None
    interviewers: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()  # speaker names a label may hold alone on its line
    columns: Columns | None = None  # the answer and id columns of survey CSVs
    merge_backchannels: bool = False

    def __bool__(self) -> bool:
        return bool(self.encoding or self.interviewers or self.agents or self.columns
                    or self.merge_backchannels)

    def reads(self, path: Path) -> bool:
        """Whether these options may read ``path`` otherwise (columns only touch `.csv`)."""
        return bool(self.encoding or self.interviewers or self.agents
                    or self.merge_backchannels) or (
            self.columns is not None and path.suffix.lower() == ".csv")


@dataclass
class _Prepared:
    """A file read, hashed and (unless known unchanged) parsed, or the error doing it.

    An unchanged file (``same_bytes``) is parsed only when reading options were given, to
    tell whether they would change the stored document.
    """

    content_hash: str = ""
    parsed: Parsed | None = None
    error: BaseException | None = None
    same_bytes: bool = False


def _prepare(path: Path, name: str, known: dict[str, str], reading: _Reading) -> _Prepared:
    try:
        data = read_file_bytes(path)
        content_hash = sha256_bytes(data)
        same = known.get(name) == content_hash
        if same and not reading.reads(path):
            return _Prepared(content_hash, same_bytes=True)
        parsed = parse_bytes(data, path, encoding=reading.encoding,
                             interviewers=reading.interviewers, names=reading.agents,
                             columns=reading.columns)
        if reading.merge_backchannels:
            from ..ingest.backchannels import merge_backchannels

            parsed = merge_backchannels(parsed)
        return _Prepared(content_hash, parsed, same_bytes=same)
    except Exception as exc:  # handed to the writer, which reports it for this file only
        return _Prepared(error=exc)


def _prepared(files: list[tuple[Path, str]], known: dict[str, str],
              reading: _Reading) -> Iterator[tuple[Path, str, _Prepared]]:
    """Read and parse files in a helper thread, a few files ahead of the writer.

    The writer spends much of its time waiting for SQLite to write (the GIL is released
    then), so parsing the next files meanwhile nearly hides the parse time. At most
    ``PREFETCH`` parsed files wait in memory, so memory stays flat in the corpus size.
    """
    if len(files) < 2:
        for path, name in files:
            yield path, name, _prepare(path, name, known, reading)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qualcode-parse") as pool:
        pending: deque[tuple[Path, str, Future[_Prepared]]] = deque()
        queue = iter(files)
        for path, name in queue:
            pending.append((path, name, pool.submit(_prepare, path, name, known, reading)))
            if len(pending) >= PREFETCH:
                break
        while pending:
            path, name, future = pending.popleft()
            for next_path, next_name in queue:
                pending.append((next_path, next_name, pool.submit(
                    _prepare, next_path, next_name, known, reading)))
                break
            yield path, name, future.result()


def _store_one(db: Database, path: Path, name: str, prepared: _Prepared,
               known: dict[str, str], options: dict[str, Any]) -> IngestResult:
    try:
        if prepared.error is not None:
            raise prepared.error
        if prepared.parsed is None:
            with db.session() as s:
                return _unchanged(s, name, path)
        with db.session(write=True) as s:
            result = store(s, name=name, parsed=prepared.parsed,
                           content_hash=prepared.content_hash,
                           source_path=readable_path(str(path)),
                           **options)
        known[name] = prepared.content_hash
        return result
    except QualcodeError as exc:
        return _error_result(exc, name, path)
    except Exception as exc:  # one broken file must not stop a batch of hundreds
        from ..db import friendly_error

        friendly = friendly_error(exc, db.url)
        if friendly is not None:  # a lost server, a full disk: named like everywhere else
            return _error_result(friendly, name, path)
        return IngestResult(name, str(path), "error",
                            error=f"{name}: unexpected {describe_unexpected(exc)}")


def _error_result(exc: QualcodeError, name: str, path: Path) -> IngestResult:
    """The error of one file, named once (a batch goes on with the next file)."""
    message = str(exc)
    if not message.startswith((name, path.name, str(path))):
        message = f"{name}: {message}"
    return IngestResult(name, str(path), "error", error=message)


def _same_bytes(db: Database, path: Path, name: str, prepared: _Prepared, reading: _Reading,
                options: dict[str, Any]) -> IngestResult:
    """A file whose bytes are already stored under ``name``.

    Without options that change it: ``unchanged`` (an --agent forgotten the first time is
    linked now). Options that would change it (another kind, or an encoding, interviewer label
    or agent name that reads other text or turns) are applied only with ``replace``, keeping
    the codings; otherwise the result names them in ``not_applied``.
    """
    kind, agents, replace = options["kind"], options["agents"], options["replace"]
    try:
        with db.session(write=True) as s:
            doc = s.scalar(select(Document).where(Document.name == name))
            assert doc is not None
            parsed = prepared.parsed
            new_text = new_turns = new_encoding = False
            new_kind = kind or doc.kind
            if parsed is not None:
                new_text = parsed.text != doc.text
                new_turns = (_segment_rows(parsed.segments)
                             != _segment_rows(s.scalars(select(Segment).where(
                                 Segment.document_id == doc.id).order_by(Segment.n))))
                new_encoding = parsed.encoding != doc.encoding
                new_kind = kind or _replace_kind(s, doc, parsed)
            reads_otherwise = new_text or new_turns or new_encoding
            if replace and parsed is not None and (new_text or new_turns):
                return store(s, name=name, parsed=parsed, content_hash=prepared.content_hash,
                             source_path=readable_path(str(path)), reread=True, **options)
            if replace and (new_encoding or new_kind != doc.kind):
                # Same text and turns: only the kind or the encoding's name change, in place.
                doc.kind = new_kind
                if parsed is not None:
                    doc.encoding = parsed.encoding
                s.add(doc)
                if agents:
                    from .agents import link_document_agents

                    link_document_agents(s, doc, list(agents))
                result = _unchanged(s, name, path)
                result.status = "replaced"
                return result
            result = _unchanged(s, name, path)
            if kind and kind != doc.kind:
                result.not_applied.append(f"--kind {kind}")
            if reads_otherwise:
                if reading.encoding:
                    result.not_applied.append(f"--encoding {reading.encoding}")
                result.not_applied += [f"--interviewer {label}"
                                       for label in reading.interviewers]
                if reading.columns is not None and path.suffix.lower() == ".csv":
                    result.not_applied.append(f"--text-column {reading.columns.text}")
                if reading.merge_backchannels:
                    result.not_applied.append("--merge-backchannels")
                if agents and not reading.encoding and not reading.interviewers:
                    result.not_applied.append("--agent as a speaker label")
        if agents:  # --agent forgotten the first time: link now, the text stays as it is
            result.linked = _link_agents(db, name, agents)
        return result
    except QualcodeError as exc:
        return _error_result(exc, name, path)


def _segment_rows(segments: Iterable[Any]) -> list[tuple[Any, ...]]:
    return [(g.start, g.end, g.speaker, bool(g.is_interviewer), g.time_start, g.time_end)
            for g in segments]


def _replace_kind(session: Session, doc: Document, parsed: Parsed) -> str:
    """The kind a re-read document gets without --kind: the front matter's, else the stored
    one when it was chosen by hand, else the automatic one again (interview when turns)."""
    if parsed.meta.get("kind"):
        return str(parsed.meta["kind"])
    had_turns = session.scalar(select(func.count()).where(
        Segment.document_id == doc.id, Segment.speaker.is_not(None))) or 0
    if doc.kind != ("interview" if had_turns else "document"):
        return doc.kind
    return "interview" if parsed.has_turns else "document"


def _link_agents(db: Database, name: str, agents: Sequence[str]) -> list[str]:
    """Link an already stored document to more agents; returns the names newly linked."""
    from ..models import Agent, DocumentAgent
    from .agents import link_document_agents

    with db.session(write=True) as s:
        doc = s.scalar(select(Document).where(Document.name == name))
        assert doc is not None
        before = set(s.scalars(select(DocumentAgent.agent_id)
                               .where(DocumentAgent.document_id == doc.id)))
        link_document_agents(s, doc, list(agents))
        added = s.scalars(
            select(Agent.name).join(DocumentAgent, DocumentAgent.agent_id == Agent.id)
            .where(DocumentAgent.document_id == doc.id, DocumentAgent.agent_id.not_in(before)))
        return sorted(added)


def _stored(session: Session) -> dict[str, tuple[str, int, int, str, str]]:
    """Name -> (content hash, segments, words, encoding, kind) of every stored document."""
    rows = session.execute(
        select(Document.name, Document.content_hash, func.count(Segment.id), Document.words,
               Document.encoding, Document.kind)
        .outerjoin(Segment, Segment.document_id == Document.id).group_by(Document.id))
    return {name: (h, count, words, enc, kind) for name, h, count, words, enc, kind in rows}


def _unchanged(session: Session, name: str, path: Path) -> IngestResult:
    doc = session.scalar(select(Document).where(Document.name == name))
    assert doc is not None
    count = session.scalar(select(func.count()).where(Segment.document_id == doc.id)) or 0
    return IngestResult(name, str(path), "unchanged", count, doc.words, doc.encoding, doc.kind)


def store(
    session: Session,
    *,
    name: str,
    parsed: Parsed,
    content_hash: str,
    source_path: str = "",
    kind: str | None = None,
    agents: Sequence[str] = (),
    replace: bool = False,
    coder: str | None = None,
    reread: bool = False,
) -> IngestResult:
    """Store one parsed file under ``name`` (the caller's transaction commits).

    ``reread`` replaces a document even when its bytes are unchanged (other reading options).
    """
    doc_kind = kind or parsed.meta.get("kind") or ("interview" if parsed.has_turns
                                                   else "document")
    doc_agents = list(dict.fromkeys([*agents, *as_list(parsed.meta.get("agents"))]))
    existing = session.scalar(select(Document).where(Document.name == name))
    moved = 0
    if existing is not None and existing.content_hash == content_hash and not reread:
        return _unchanged(session, name, Path(source_path))
    if parsed.agents:  # respondents of a survey CSV: created before their answers link to them
        from .agents import upsert_agents

        upsert_agents(session, parsed.agents)
    if existing is None:
        doc = add_document(
            session, name=name, text=parsed.text, segments=parsed.segments, kind=doc_kind,
            source_path=source_path, format=parsed.format, encoding=parsed.encoding,
            content_hash=content_hash, meta=parsed.meta, agents=doc_agents)
        status = "added"
    elif not replace:
        raise Conflict(f"{name} has changed since it was ingested",
                       "pass --replace to replace it (its codings move to the new text)")
    else:
        doc = existing
        doc_kind = kind or _replace_kind(session, doc, parsed)
        drop_file_memos(session, doc)
        moved = replace_document(session, doc, parsed, kind=doc_kind,
                                 content_hash=content_hash, source_path=source_path,
                                 agents=doc_agents, coder=coder)
        status = "replaced"
    store_annotations(session, doc, parsed, coder=coder)
    unknown = sorted(set(session.scalars(
        select(Segment.speaker).where(Segment.document_id == doc.id,
                                      Segment.speaker.is_not(None),
                                      Segment.agent_id.is_(None),
                                      Segment.is_interviewer.is_(False)))))
    return IngestResult(name, source_path, status, len(parsed.segments), parsed.words,
                        parsed.encoding, doc_kind, unknown_speakers=unknown,
                        duplicates=parsed.duplicates(), moved_codings=moved,
                        warnings=list(parsed.warnings), notes=list(parsed.notes))


def store_annotations(session: Session, doc: Document, parsed: Parsed,
                      coder: str | None = None) -> None:
    """Keep what a reader found beside the speech: segment facts and annotations.

    Both go in the document's meta (``segments``: segment number -> facts; ``annotations``:
    kind, span, text, segment number), so an export finds every span again. Comments and notes
    also become memos on their segment, titled with their label and the words they are on;
    events and backchannels, dozens per hour, stay in the meta only.
    """
    from ..ingest.base import MEMO_KINDS
    from ..models import Memo, utcnow
    from .coders import get_or_create_coder

    seg_meta = {str(n): seg.meta for n, seg in enumerate(parsed.segments, 1) if seg.meta}
    if not seg_meta and not parsed.annotations:
        return
    meta = dict(doc.meta or {})
    if seg_meta:
        meta[SEGMENTS_META] = seg_meta
    if parsed.annotations:
        rows = session.execute(select(Segment.id, Segment.n, Segment.start, Segment.end)
                               .where(Segment.document_id == doc.id)
                               .order_by(Segment.start)).all()
        starts = [row.start for row in rows]
        coder_id = None
        kept = []
        for ann in parsed.annotations:
            row = _annotated_segment(rows, starts, ann.start)
            entry = {**ann.as_meta(), "segment": row.n if row is not None else None}
            if ann.kind in MEMO_KINDS and row is not None:
                if coder_id is None:
                    coder_id = get_or_create_coder(session, coder).id
                now = utcnow()
                memo = Memo(target_type="segment", target_id=row.id,
                            title=_memo_title(ann.label or ann.kind, doc.text[ann.start:ann.end]),
                            text=ann.text, coder_id=coder_id, created_at=now, updated_at=now)
                session.add(memo)
                entry["memo"] = memo.guid
            kept.append(entry)
        meta[ANNOTATIONS_META] = kept
    doc.meta = meta
    session.add(doc)
    session.flush()


SEGMENTS_META = "segments"
ANNOTATIONS_META = "annotations"
MEMO_QUOTE_CHARS = 60


def _memo_title(label: str, quoted: str) -> str:
    quoted = " ".join(quoted.split())
    if not quoted:
        return label
    if len(quoted) > MEMO_QUOTE_CHARS:
        quoted = quoted[:MEMO_QUOTE_CHARS - 1].rstrip() + "…"
    return f"{label} on « {quoted} »"


def _annotated_segment(rows: list[Any], starts: list[int], pos: int) -> Any:
    """The segment holding ``pos`` (its end included), else the next one, else the last."""
    if not rows:
        return None
    i = bisect.bisect_right(starts, pos) - 1
    if i >= 0 and rows[i].start <= pos <= rows[i].end:
        return rows[i]
    return rows[i + 1] if i + 1 < len(rows) else rows[-1]


def drop_file_memos(session: Session, doc: Document) -> None:
    """Remove the memos an earlier ingest made from the file's comments and notes: the new
    version's own are made again (memos written in qualcode are left alone)."""
    from ..models import Memo

    guids = [a["memo"] for a in (doc.meta or {}).get(ANNOTATIONS_META) or []
             if isinstance(a, dict) and a.get("memo")]
    if guids:
        session.execute(delete(Memo).where(Memo.guid.in_(guids)))


CONTEXT = 40  # characters around a coded passage that tell repeated passages apart


def reanchor(old_text: str, new_text: str,
             spans: Sequence[tuple[int, int]]) -> list[tuple[int, int] | None]:
    """Where each span's text is in ``new_text``, or None when the text is gone.

    A unique exact match wins; among several (a coded `Oui.`), the one whose surrounding text
    matches the old surroundings best, then the nearest to the old position.
    """
    out: list[tuple[int, int] | None] = []
    for start, end in spans:
        piece = old_text[start:end]
        if not piece:
            pos = min(start, len(new_text))
            out.append((pos, pos))
            continue
        matches = []
        at = new_text.find(piece)
        while at != -1:
            matches.append(at)
            at = new_text.find(piece, at + 1)
        if not matches:
            out.append(None)
            continue
        best = matches[0] if len(matches) == 1 else _closest(old_text, new_text, start, end,
                                                             matches)
        out.append((best, best + len(piece)))
    return out


def _closest(old_text: str, new_text: str, start: int, end: int, matches: list[int]) -> int:
    """The match whose surroundings agree most with the old ones, then the nearest."""
    size = end - start
    before, after = old_text[max(0, start - CONTEXT):start], old_text[end:end + CONTEXT]

    def score(pos: int) -> tuple[int, int]:
        agree = (_common_suffix(before, new_text[max(0, pos - CONTEXT):pos])
                 + _common_prefix(after, new_text[pos + size:pos + size + CONTEXT]))
        return agree, -abs(pos - start)

    return max(matches, key=score)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def replace_document(
    session: Session, doc: Document, parsed: Parsed, *, kind: str, content_hash: str,
    source_path: str, agents: Sequence[str], coder: str | None = None,
) -> int:
    """Put new text and segments under an existing document; returns the codings moved.

    Refused (Conflict, nothing changed) when a coded passage is no longer in the new text.
    """
    from ..corpus.coders import default_coder
    from .agents import link_document_agents, relink_speakers

    codings = list(session.scalars(
        select(Coding).where(Coding.document_id == doc.id).order_by(Coding.start)))
    places = reanchor(doc.text, parsed.text, [(c.start, c.end) for c in codings])
    lost = [c for c, place in zip(codings, places, strict=True) if place is None]
    if lost:
        names = dict(session.execute(select(Code.id, Code.name)).all())
        numbers = dict(session.execute(select(Segment.id, Segment.n).where(
            Segment.document_id == doc.id)).all())
        # Positions, never the coded words: error lines end up in terminals and logs.
        listed = "; ".join(f"{names.get(c.code_id, c.code_id)} on {_place(doc.name, c, numbers)}"
                           for c in lost[:10])
        more = f" and {len(lost) - 10} more" if len(lost) > 10 else ""
        raise Conflict(
            f"{doc.name}: {len(lost)} of {len(codings)} codings quote text that is not in the "
            f"new version, nothing was replaced: {listed}{more}",
            "restore those passages in the file, or remove the codings with "
            "`qualcode code remove`, then ingest with --replace again")
    old = {"content_hash": doc.content_hash, "text_hash": doc.text_hash}
    segment_ids = select(Segment.id).where(Segment.document_id == doc.id)
    session.execute(delete(Suggestion).where(Suggestion.segment_id.in_(segment_ids)))
    for coding in codings:  # detach before the old segments go
        coding.segment_id = None
    session.flush()
    session.execute(delete(Segment).where(Segment.document_id == doc.id))
    doc.text = parsed.text
    doc.text_hash = sha256_text(parsed.text)
    doc.content_hash = content_hash
    doc.words = parsed.words
    doc.kind = kind
    doc.format = parsed.format
    doc.encoding = parsed.encoding
    doc.meta = parsed.meta
    doc.source_path = source_path
    session.add(doc)
    session.flush()
    insert_segments(session, doc.id, parsed.text, parsed.segments)
    if agents:
        link_document_agents(session, doc, list(agents))
    relink_speakers(session, [doc.id])
    new_segments = session.execute(
        select(Segment.id, Segment.start, Segment.end)
        .where(Segment.document_id == doc.id).order_by(Segment.start)).all()
    starts = [row.start for row in new_segments]
    ops: list[dict[str, Any]] = [{
        "op": "update", "table": "document", "pk": {"id": doc.id}, "before": old,
        "after": {"content_hash": doc.content_hash, "text_hash": doc.text_hash}}]
    moved = 0
    for coding, place in zip(codings, places, strict=True):
        assert place is not None
        start, end = place
        segment_id = _segment_at(new_segments, starts, start, end)
        if (start, end) != (coding.start, coding.end):
            moved += 1
        ops.append({"op": "update", "table": "coding", "pk": {"id": coding.id},
                    "before": {"start": coding.start, "end": coding.end},
                    "after": {"start": start, "end": end, "segment_id": segment_id}})
        coding.start, coding.end, coding.segment_id = start, end, segment_id
        session.add(coding)
    session.flush()
    # The entry records the moves; `undo` refuses it (the old text is gone), so no later undo
    # can put old offsets on the new text.
    session.add(AuditEntry(
        coder=coder or default_coder(), action="ingest-replace",
        summary=f"replaced {doc.name}: {len(codings)} codings re-anchored ({moved} moved), "
                "suggestions dropped",
        payload={"ops": ops}))
    session.flush()
    return moved


def _segment_at(rows: list[Any], starts: list[int], start: int, end: int) -> int | None:
    """The segment holding ``start``, else the first one the span reaches."""
    i = bisect.bisect_right(starts, start) - 1
    if i >= 0 and rows[i].start <= start < rows[i].end:
        return rows[i].id
    j = i + 1
    if j < len(rows) and rows[j].start < max(end, start + 1):
        return rows[j].id
    return None


def _place(name: str, coding: Coding, numbers: dict[int, int]) -> str:
    """Where a coding sits: `DOC:N` when it belongs to a segment, and its characters."""
    span = f"characters {coding.start}-{coding.end}"
    n = numbers.get(coding.segment_id) if coding.segment_id is not None else None
    return f"{name}:{n} ({span})" if n is not None else span


def speakers_summary(results: Iterable[IngestResult]) -> list[str]:
    """Unknown speakers over a batch, each once (case- and accent-insensitively)."""
    seen: dict[str, str] = {}
    for result in results:
        for speaker in result.unknown_speakers:
            seen.setdefault(norm_name(speaker), speaker)
    return sorted(seen.values())
