"""TEI speech transcriptions (`.tei`, or `.xml` with a TEI root), parsed with defusedxml.

Each utterance `<u who="#id">` is a speaker turn; `who` is resolved to the `<person xml:id>`
of the header (its `<persName>`, else its `n`, else the id). Person details (sex, age, role,
occupation...) are kept in the document's meta under `speakers`, by speaker name. Times come
from `start`/`end` on the utterance (or on its `<annotationBlock>`): pointers to `<when>`
points of the `<timeline>` (`interval` after `since`, in the timeline's `unit`) or plain
numbers of seconds.

Inside an utterance, words and punctuation are kept; `<pause/>`, `<anchor/>`, `<lb/>` and
word elements separate words (never glue them); `<vocal>`, `<incident>` and `<kinesic>`
become `(rires)` from their `<desc>`; `<gap/>` becomes `(…)`; of a `<choice>` the regularised,
corrected or expanded reading is kept; `<note>` and `<del>` are left out and counted. A TEI
file without utterances (a written text) is read paragraph by paragraph (`<p>`, `<head>`,
`<l>`, `<ab>`).
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput
from .base import Parsed
from .turns import Turn, parse_time, render_turns, segment_text
from .xmlfile import local, parse_xml

MALFORMED_HINT = "check that the file is complete, or validate it with a TEI tool"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
# Inline events shown in the text as `(desc)`: a laugh is part of what was said.
EVENTS = frozenset({"vocal", "incident", "kinesic"})
# Elements that separate words: the TEI may put no space between `<w>` tokens.
SEPARATORS = frozenset({"pause", "anchor", "lb", "w", "pc", "seg", "c", "shift", "gap",
                        *EVENTS})
LEFT_OUT = frozenset({"note", "del", "spanGrp", "fw", "figure"})
# Of a <choice>, the reading a reader of the interview wants.
PREFERRED = ("reg", "corr", "expan", "orig", "sic", "abbr")
PERSON_FIELDS = ("sex", "age", "role", "occupation", "education", "residence", "birth",
                 "langKnowledge", "socecStatus", "faith", "nationality")
INTERVIEWER_ROLES = ("interviewer", "enquêteur", "enquêtrice", "enqueteur", "enqueteuse",
                     "intervieweur", "intervieweuse", "chercheur", "chercheuse", "investigator")
TIME_UNITS = {"s": 1.0, "ms": 0.001, "min": 60.0, "h": 3600.0}
TEXT_BLOCKS = frozenset({"p", "head", "l", "ab"})


def read(data: bytes, *, what: str, encoding: str | None = None,
         interviewers: tuple[str, ...] = (), fmt: str = "tei",
         names: tuple[str, ...] = ()) -> Parsed:
    from .xmlfile import TEI_ROOTS

    root, used = parse_xml(data, what, encoding, MALFORMED_HINT)
    if local(root.tag) not in TEI_ROOTS:
        raise InvalidInput(f"{what} is XML but not TEI (root <{local(root.tag)}>)",
                           "a TEI file has the root <TEI>; rename other XML files to .xml")
    return read_root(root, what=what, encoding=used, interviewers=interviewers, fmt=fmt)


def read_root(root: Any, *, what: str, encoding: str, interviewers: tuple[str, ...] = (),
              fmt: str = "tei") -> Parsed:
    """A parsed TEI tree -> turns (utterances) or paragraphs (a written text)."""
    try:
        return _read_root(root, what, encoding, interviewers, fmt)
    except RecursionError:
        raise InvalidInput(f"{what}: elements are nested too deeply to be a transcription",
                           MALFORMED_HINT) from None


def _read_root(root: Any, what: str, encoding: str, interviewers: tuple[str, ...],
               fmt: str) -> Parsed:
    persons = _persons(root)
    times = _timeline(root)
    dropped: dict[str, int] = {}
    turns: list[Turn] = []
    extra = list(interviewers)
    for person in persons.values():
        if any(r in person["details"].get("role", "").casefold() for r in INTERVIEWER_ROLES):
            extra.append(person["name"])
    for u, block in _utterances(root, dropped):
        who = (u.get("who") or (block.get("who") if block is not None else None) or "").strip()
        speaker = _speaker(who, persons)
        start = _time(u.get("start") or (block.get("start") if block is not None else None),
                      times)
        end = _time(u.get("end") or (block.get("end") if block is not None else None), times)
        words = _words(u, dropped)
        if words:
            turns.append(Turn(speaker, [words], start, end))
    meta: dict[str, Any] = {}
    title = _title(root)
    if title:
        meta["title"] = title
    speakers = {p["name"]: p["details"] for p in persons.values() if p["details"]}
    if speakers:
        meta["speakers"] = speakers
    if turns:
        text, segments = render_turns(turns, tuple(extra))
    else:
        text, segments = segment_text(_paragraphs(root, dropped), tuple(extra))
    parsed = Parsed(text, segments, fmt, encoding, meta)
    if dropped:
        listed = ", ".join(f"{n} <{tag}>" for tag, n in sorted(dropped.items()))
        parsed.warnings.append(f"left out of the text (not speech): {listed}")
    if speakers:
        parsed.warnings.append(
            "speaker details are in the document's meta (`docs show --json`), not agent "
            "attributes: " + "; ".join(f"{name} ({', '.join(f'{k}={v}' for k, v in d.items())})"
                                       for name, d in speakers.items())
            + "; to group tables by them, put them in an agents CSV (`qualcode agents import`)")
    return parsed


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split())


def _title(root: Any) -> str:
    for el in root.iter():
        if local(el.tag) == "title":
            return _text(el)
        if local(el.tag) == "text":
            break
    return ""


def _persons(root: Any) -> dict[str, dict[str, Any]]:
    """xml:id -> {"name", "details"} for every <person> (or <personGrp>) of the file."""
    out: dict[str, dict[str, Any]] = {}
    for el in root.iter():
        if local(el.tag) not in ("person", "personGrp"):
            continue
        pid = el.get(XML_ID) or el.get("id") or ""
        name = ""
        details: dict[str, str] = {}
        for key in PERSON_FIELDS:
            if el.get(key):
                details[key] = el.get(key).strip()
        for child in el:
            tag = local(child.tag)
            if tag == "persName" and not name:
                name = _text(child)
            elif tag in PERSON_FIELDS:
                value = _text(child) or (child.get("value") or child.get("when") or "").strip()
                if value:
                    details.setdefault(tag, value)
        name = name or (el.get("n") or "").strip() or pid
        if pid or name:
            out[pid or name] = {"name": name, "details": details}
    return out


def _speaker(who: str, persons: dict[str, dict[str, Any]]) -> str | None:
    """`#spk1` -> the person's name; several pointers (overlap) -> the first one."""
    if not who:
        return None
    first = who.split()[0]
    key = first.split("#", 1)[1] if "#" in first else first
    person = persons.get(key)
    return person["name"] if person else key


def _number(value: str) -> float | None:
    try:
        return parse_time(value.strip())
    except ValueError:
        return None


def _timeline(root: Any) -> dict[str, float]:
    """`<when>` id -> seconds from the start of the recording."""
    raw: dict[str, tuple[str | None, str | None, float]] = {}
    for timeline in root.iter():
        if local(timeline.tag) != "timeline":
            continue
        base = TIME_UNITS.get((timeline.get("unit") or "s").strip(), 1.0)
        for when in timeline:
            if local(when.tag) != "when":
                continue
            wid = when.get(XML_ID) or when.get("id")
            if wid:
                unit = TIME_UNITS.get((when.get("unit") or "").strip(), base)
                since = (when.get("since") or "").lstrip("#") or None
                raw[wid] = (when.get("interval"), since, unit)
    out: dict[str, float] = {}

    def resolve(wid: str, depth: int = 0) -> float | None:
        if wid in out:
            return out[wid]
        if wid not in raw or depth > len(raw):
            return None
        interval, since, unit = raw[wid]
        if interval is None:  # the origin: times count from it
            value: float | None = 0.0
        else:
            offset = _number(interval)
            origin = resolve(since, depth + 1) if since else 0.0
            value = None if offset is None or origin is None else origin + offset * unit
        if value is not None:
            out[wid] = value
        return value

    for wid in raw:
        resolve(wid)
    return out


def _time(value: str | None, times: dict[str, float]) -> float | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.startswith("#"):
        return times.get(value[1:])
    return times.get(value, _number(value))


def _utterances(root: Any, dropped: dict[str, int]) -> list[tuple[Any, Any]]:
    """(utterance, its annotationBlock or None) in document order; events and annotations
    between utterances are counted in ``dropped``."""
    out: list[tuple[Any, Any]] = []

    def walk(el: Any, block: Any) -> None:
        for child in el:
            tag = local(child.tag)
            if tag == "u":
                out.append((child, block))
            elif tag == "teiHeader":
                continue
            elif tag in EVENTS or tag in LEFT_OUT or tag == "pause":
                dropped[tag] = dropped.get(tag, 0) + 1
            else:
                walk(child, child if tag == "annotationBlock" else block)

    walk(root, None)
    return out


def _words(u: Any, dropped: dict[str, int]) -> str:
    """The spoken text of an utterance, one space between words."""
    pieces: list[str] = []
    _inline(u, pieces, dropped, top=True)
    return " ".join("".join(pieces).split())


def _inline(el: Any, pieces: list[str], dropped: dict[str, int], top: bool = False) -> None:
    tag = local(el.tag)
    if not top:
        if not tag:  # a comment or processing instruction: only its tail is text
            pieces.append(el.tail or "")
            return
        if tag in LEFT_OUT or tag == "u":
            dropped[tag] = dropped.get(tag, 0) + 1
            pieces.append(" " + (el.tail or ""))
            return
        if tag in EVENTS:
            desc = next((_text(c) for c in el if local(c.tag) == "desc"), "")
            desc = desc or (el.get("type") or "").strip() or _text(el)
            pieces.append(f" ({desc}) " if desc else " ")
            pieces.append(el.tail or "")
            return
        if tag == "gap":
            pieces.append(" (…) " + (el.tail or ""))
            return
        if tag == "choice":
            kids = {local(c.tag): c for c in el}
            chosen = next((kids[t] for t in PREFERRED if t in kids), None)
            if chosen is not None:
                _inline(chosen, pieces, dropped, top=True)
            pieces.append(el.tail or "")
            return
        if tag in SEPARATORS:
            pieces.append(" ")
    pieces.append(el.text or "")
    for child in el:
        _inline(child, pieces, dropped)
    if not top:
        if tag in SEPARATORS:
            pieces.append(" ")
        pieces.append(el.tail or "")


def _paragraphs(root: Any, dropped: dict[str, int]) -> str:
    """A TEI text without utterances: its paragraphs, headings and verse lines."""
    blocks: list[str] = []

    def walk(el: Any) -> None:
        for child in el:
            tag = local(child.tag)
            if tag == "teiHeader":
                continue
            if tag in TEXT_BLOCKS:
                words = _words(child, dropped)
                if words:
                    blocks.append(words)
            else:
                walk(child)

    walk(root)
    return "\n\n".join(blocks)
