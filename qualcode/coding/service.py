"""Apply and remove codes on segments or on exact spans inside them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ..audit import audited
from ..codebook.lookup import get_code
from ..corpus.coders import default_coder, get_or_create_coder
from ..corpus.documents import get_document, get_segment
from ..errors import InvalidInput, NotFound
from ..models import Code, Coder, Coding, Document, Segment
from ..results import CodesApplied
from ..textutil import clean_person_name, same_apostrophes


def segment_at(session: Session, document_id: int, start: int, end: int) -> Segment | None:
    """The segment holding ``start``; else (``start`` in a gap such as a speaker label) the
    first segment the span overlaps; else None."""
    seg = session.scalar(
        select(Segment).where(Segment.document_id == document_id, Segment.start <= start,
                              Segment.end > start))
    if seg is not None:
        return seg
    return session.scalar(
        select(Segment).where(Segment.document_id == document_id, Segment.start < end,
                              Segment.end > start).order_by(Segment.start).limit(1))


def check_codable(code: Code) -> None:
    if not code.is_codable:
        raise InvalidInput(f"code {code.name!r} is a grouping heading and cannot be applied",
                           "apply one of its sub-codes (see `qualcode codebook show`)")


def check_span(doc: Document, start: int, end: int) -> None:
    if not 0 <= start < end <= len(doc.text):
        raise InvalidInput(
            f"span {start}:{end} is outside {doc.name!r} or empty "
            f"(its text has {len(doc.text)} characters)",
            "give 0 <= START < END <= text length")


def _resolve(session: Session, value: Any, cls: type, finder: Any) -> Any:
    return value if isinstance(value, cls) else finder(session, value)


def add_coding(
    session: Session,
    *,
    document: Document | str,
    start: int,
    end: int,
    code: Code | str,
    coder: Coder | str | None,
    origin: str = "manual",
) -> Coding | None:
    """Store one coding (no audit of its own: call it inside ``audited``).

    Returns None, writing nothing, when the same (code, document, span, coder) exists.
    """
    doc = _resolve(session, document, Document, get_document)
    code_obj = _resolve(session, code, Code, get_code)
    coder_obj = coder if isinstance(coder, Coder) else get_or_create_coder(session, coder)
    check_span(doc, start, end)
    existing = session.scalar(select(Coding.id).where(
        Coding.code_id == code_obj.id, Coding.document_id == doc.id, Coding.start == start,
        Coding.end == end, Coding.coder_id == coder_obj.id))
    if existing is not None:
        return None
    seg = segment_at(session, doc.id, start, end)
    coding = Coding(code_id=code_obj.id, document_id=doc.id, segment_id=seg.id if seg else None,
                    start=start, end=end, coder_id=coder_obj.id, origin=origin)
    session.add(coding)
    session.flush()
    return coding


def parse_span(value: str, length: int) -> tuple[int, int]:
    """`START:END` relative to a segment text of ``length`` characters."""
    left, sep, right = value.partition(":")
    if not sep or not left.strip().isdigit() or not right.strip().isdigit():
        raise InvalidInput(f"{value!r} is not a span", "write START:END, e.g. --span 10:42")
    start, end = int(left), int(right)
    if not 0 <= start < end <= length:
        raise InvalidInput(f"span {start}:{end} is outside the segment or empty "
                           f"(its text has {length} characters)",
                           "give 0 <= START < END <= segment length")
    return start, end


def _span_in_segment(seg_text: str, span: str | None, match: str | None) -> tuple[int, int, str]:
    """Offsets relative to the segment and a note for the user."""
    if span and match:
        raise InvalidInput("--span and --match cannot be used together", "choose one")
    if span:
        start, end = parse_span(span, len(seg_text))
        return start, end, ""
    if match is not None:
        if not match.strip():
            raise InvalidInput("--match needs some words", 'e.g. --match "le guichet"')
        # ' and ’ are the same character to a coder; both texts keep their length
        haystack, needle = same_apostrophes(seg_text), same_apostrophes(match)
        pos = haystack.find(needle)
        if pos < 0:
            raise NotFound(f"{match!r} does not occur in the segment text",
                           "the match is exact (accents and case count, apostrophes ' and ’ "
                           "do not); see `qualcode docs show DOC`")
        count = haystack.count(needle)
        note = (f"{match!r} occurs {count} times in the segment; coded the first"
                if count > 1 else "")
        return pos, pos + len(match), note
    if not seg_text:
        raise InvalidInput("the segment is empty", "choose another segment")
    return 0, len(seg_text), ""


def _unquoted_code(session: Session, words: list[str]) -> str | None:
    """The code that ``words`` (or their first few) name once joined: the shell split
    `perte de sens` typed without quotes into three code names."""
    for end in range(len(words), 1, -1):
        try:
            return get_code(session, " ".join(words[:end])).name
        except NotFound:
            continue
    return None


def apply_codes(
    session: Session,
    *,
    ref: str,
    codes: list[str],
    coder: str | None,
    span: str | None = None,
    match: str | None = None,
    origin: str = "manual",
) -> CodesApplied:
    """Apply codes to segment ``DOC:N`` (whole, or a span/match inside it), audited.

    Every reference is checked before anything is written.
    """
    if not codes:
        raise InvalidInput("no code given", "name at least one code")
    doc, seg = get_segment(session, ref)
    code_objs: list[Code] = []
    for i, name in enumerate(codes):
        try:
            code = get_code(session, name)
        except NotFound as exc:
            joined = _unquoted_code(session, codes[i:])
            if joined is None:
                raise
            raise NotFound(exc.message, f'a code name with spaces needs quotes: "{joined}"') \
                from None
        check_codable(code)
        if code not in code_objs:
            code_objs.append(code)
    rel_start, rel_end, note = _span_in_segment(doc.text[seg.start:seg.end], span, match)
    start, end = seg.start + rel_start, seg.start + rel_end
    where = f"{doc.name}:{seg.n}"
    if (start, end) != (seg.start, seg.end):
        where += f" [{rel_start}:{rel_end}]"
    coder_name = coder_label(coder)
    existing = _existing_codes(session, doc.id, start, end, coder_name)
    applied = [c.name for c in code_objs if c.id not in existing]
    already = [c.name for c in code_objs if c.id in existing]
    summary = f"apply {', '.join(applied)} to {where} ({coder_name})"
    if applied:
        with audited(session, action="apply", summary=summary, coder=coder_name):
            coder_obj = get_or_create_coder(session, coder_name)
            for code in code_objs:
                if code.id not in existing:
                    add_coding(session, document=doc, start=start, end=end, code=code,
                               coder=coder_obj, origin=origin)
    return {"document": doc.name, "segment": seg.n, "start": start, "end": end,
            "applied": applied, "already": already, "coder": coder_name, "note": note,
            "summary": summary if applied else ""}


def coder_label(coder: str | None) -> str:
    """The coder name a change is made under: the given one, else the default coder."""
    return clean_person_name(coder or "") or default_coder()


def _existing_codes(session: Session, doc_id: int, start: int, end: int,
                    coder_name: str) -> set[int]:
    return set(session.scalars(
        select(Coding.code_id).join(Coder, Coder.id == Coding.coder_id).where(
            Coding.document_id == doc_id, Coding.start == start, Coding.end == end,
            Coder.name == coder_name)))


def remove_code(session: Session, *, ref: str, code: str, coder: str | None) -> dict[str, Any]:
    """Remove the coder's codings of ``code`` that overlap segment ``DOC:N``, audited."""
    doc, seg = get_segment(session, ref)
    code_obj = get_code(session, code)
    coder_name = coder_label(coder)
    codings = list(session.scalars(
        select(Coding).join(Coder, Coder.id == Coding.coder_id).where(
            Coding.document_id == doc.id, Coding.code_id == code_obj.id,
            Coder.name == coder_name, Coding.start < seg.end, Coding.end > seg.start)))
    if not codings:
        raise NotFound(f"{doc.name}:{seg.n} has no coding {code_obj.name!r} by {coder_name}",
                       f"see `qualcode segments --doc {doc.name}` (use --coder for another "
                       "coder's codings)")
    summary = f"remove {code_obj.name} from {doc.name}:{seg.n} ({coder_name})"
    with audited(session, action="remove", summary=summary, coder=coder_name):
        for coding in codings:
            session.delete(coding)
    return {"document": doc.name, "segment": seg.n, "code": code_obj.name,
            "removed": len(codings), "coder": coder_name, "summary": summary}
