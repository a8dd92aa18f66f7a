"""Transcriber `.trs` files (XML, often ISO-8859-1), parsed with defusedxml.

`<Speakers>` maps ids to names; each `<Turn speaker="spk1" startTime= endTime=>` is a turn.
What the file says beside the words is kept outside them:
- the topic of a `<Section topic=..>` (named in `<Topics>`) is the segment's ``topic`` meta;
- `<Sync time=..>` points: the first gives the segment's start time when the turn has none;
  the others are kept in the segment meta (``sync``: [offset in the stored text, seconds]);
- overlapping speech (`speaker="spk1 spk2"` with `<Who nb="1"/>` markers) becomes one
  segment per voice, with the turn's times, each marked ``overlap`` with the other voices;
- `<Event desc= type= extent=>` (a laugh, a noise, a pronunciation) becomes an ``event``
  annotation on the words it covers (``begin``..``end``, the ``previous`` or ``next`` word, or
  the point where it was), kept in the document's meta;
- `<Comment desc=..>` becomes a memo on its segment, anchored where it was.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput
from .anchors import Marked, offset_map
from .base import Annotation, Parsed
from .turns import Turn, render_turns

_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")
MALFORMED_HINT = "open the transcription in Transcriber and save it again"


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _tag(node: Any) -> str:
    return node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


@dataclass
class _Voice:
    """The words of one speaker in a turn, with the marks of its events, comments, syncs."""

    text: Marked = field(default_factory=Marked)


@dataclass
class _Reading:
    events: list[tuple[str, str, str]] = field(default_factory=list)  # desc, type, extent
    comments: list[str] = field(default_factory=list)
    syncs: list[float] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def voices(self, turn: Any) -> list[Marked]:
        """Text per voice (one voice unless `<Who>` markers split the turn), with marks."""
        voices = [Marked()]
        current = 0
        if turn.text:
            voices[0].add(_nfc(turn.text))
        for child in turn:
            tag = _tag(child)
            if tag == "Who":
                try:
                    current = max(int(child.get("nb", "1")) - 1, 0)
                except ValueError:
                    current = 0
                while len(voices) <= current:
                    voices.append(Marked())
            elif tag == "Event":
                self.events.append(((child.get("desc") or "").strip(),
                                    (child.get("type") or "").strip(),
                                    (child.get("extent") or "instantaneous").strip()))
                voices[current].mark("event", str(len(self.events) - 1))
            elif tag == "Comment":
                desc = " ".join((child.get("desc") or "").split())
                if desc:
                    self.comments.append(desc)
                    voices[current].mark("comment", str(len(self.comments) - 1))
            elif tag == "Sync":
                time = _float(child.get("time"))
                if time is not None:
                    self.syncs.append(time)
                    voices[current].mark("sync", str(len(self.syncs) - 1))
            elif tag == "Background":
                self.counts["background"] += 1
            if child.tail:
                voices[current].add(" " + _nfc(child.tail))
        return voices


def _word_before(text: str, pos: int) -> tuple[int, int]:
    end = pos
    while end > 0 and text[end - 1].isspace():
        end -= 1
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return start, end


def _word_after(text: str, pos: int) -> tuple[int, int]:
    start = pos
    while start < len(text) and text[start].isspace():
        start += 1
    end = start
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def _event_spans(voice: Marked, events: list[tuple[str, str, str]]) -> dict[int, tuple[int, int]]:
    """Event index -> span in the voice's (squashed) text; `end` events close a `begin`."""
    spans: dict[int, tuple[int, int]] = {}
    open_at: dict[str, tuple[int, int]] = {}
    for at, kind, ident in voice.marks:
        if kind != "event":
            continue
        i = int(ident)
        desc, _type, extent = events[i]
        if extent == "previous":
            spans[i] = _word_before(voice.text, at)
        elif extent == "next":
            spans[i] = _word_after(voice.text, at)
        elif extent == "begin":
            open_at[desc] = (i, at)
            spans[i] = (at, at)
        elif extent == "end" and desc in open_at:
            first, begin = open_at.pop(desc)
            while at > begin and voice.text[at - 1].isspace():
                at -= 1
            spans[first] = (begin, at)
            spans[i] = (-1, -1)  # the pair is one annotation, held by its `begin`
        else:
            spans[i] = (at, at)
    return spans


def read(data: bytes, *, what: str, encoding: str | None = None,
         interviewers: tuple[str, ...] = (), fmt: str = "trs",
         names: tuple[str, ...] = ()) -> Parsed:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    start = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    declared = _DECLARED.match(start[:200])
    used = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding:
        # Re-encode to UTF-8 under a forced codec so the XML parser sees one encoding.
        try:
            text = start.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InvalidInput(f"{what} cannot be read as {encoding}: {exc}") from None
        start = re.sub(r"^\s*<\?xml[^>]*\?>", "", text).encode("utf-8")
        used = encoding
    try:
        root = fromstring(start)
    except (ParseError, DefusedXmlException, LookupError, ValueError) as exc:
        raise InvalidInput(f"{what} is not a valid Transcriber file ({exc})",
                           MALFORMED_HINT) from None
    if root.tag != "Trans":
        raise InvalidInput(f"{what} is XML but not a Transcriber file (root <{root.tag}>)",
                           MALFORMED_HINT)
    return _read_root(root, fmt, used, interviewers)


def _turns_by_topic(root: Any) -> list[tuple[Any, str | None]]:
    """Each `<Turn>` with the topic of its section (its description, else its id)."""
    topics = {t.get("id"): " ".join((t.get("desc") or t.get("id") or "").split())
              for t in root.iter("Topic")}
    out: list[tuple[Any, str | None]] = []
    sections = list(root.iter("Section"))
    if not sections:
        return [(turn, None) for turn in root.iter("Turn")]
    for section in sections:
        topic_id = section.get("topic")
        topic = topics.get(topic_id, topic_id) if topic_id else None
        out.extend((turn, topic or None) for turn in section.iter("Turn"))
    return out


def _read_root(root: Any, fmt: str, used: str, interviewers: tuple[str, ...]) -> Parsed:
    names = {spk.get("id"): (spk.get("name") or spk.get("id") or "").strip()
             for spk in root.iter("Speaker")}
    reading = _Reading()
    turns: list[Turn] = []
    voices_kept: list[Marked] = []
    metas: list[dict[str, Any]] = []
    pending: list[tuple[int, str, str]] = []  # marks of voices without words
    topics_seen: set[str] = set()
    overlaps = 0
    for turn, topic in _turns_by_topic(root):
        ids = (turn.get("speaker") or "").split()
        t0, t1 = _float(turn.get("startTime")), _float(turn.get("endTime"))
        voices = reading.voices(turn)
        # Voice k is the k-th speaker id; extra `<Who>` voices fall back to the first.
        voice_ids = [ids[k] if k < len(ids) else (ids[0] if ids else None)
                     for k in range(len(voices))]
        speakers = [names.get(i, i) if i else None for i in voice_ids]
        spoken = [k for k, v in enumerate(voices) if v.text.split()]
        if len(spoken) > 1:
            overlaps += 1
        for k, voice in enumerate(voices):
            squashed = voice.squashed()
            if not squashed.text:
                pending.extend((0, kind, ident) for _, kind, ident in squashed.marks)
                continue
            if pending:
                squashed.marks[:0] = pending
                pending = []
            syncs = [reading.syncs[int(i)] for _, kind, i in squashed.marks if kind == "sync"]
            start_time = t0 if t0 is not None else (syncs[0] if syncs else None)
            meta: dict[str, Any] = {}
            if topic:
                meta["topic"] = topic
                topics_seen.add(topic)
            if len(spoken) > 1:
                meta["overlap"] = True
                meta["overlap_with"] = [speakers[j] for j in spoken if j != k and speakers[j]]
            turns.append(Turn(speakers[k] or None, [squashed.text], start_time, t1))
            voices_kept.append(squashed)
            metas.append(meta)
    if pending and voices_kept:  # marks after the last words: at the end of the last turn
        last = voices_kept[-1]
        last.marks.extend((len(last.text), kind, ident) for _, kind, ident in pending)
    text, segments = render_turns(turns, interviewers)
    annotations: list[Annotation] = []
    for seg, voice, meta in zip(segments, voices_kept, metas, strict=True):
        words = text[seg.start:seg.end]
        if words != voice.text:  # normalisation changed the words (a stray BOM): realign
            where = offset_map(voice.text, words)
            voice = Marked(words, [(where[at], kind, ident) for at, kind, ident in voice.marks])
        syncs = [[seg.start + at, reading.syncs[int(i)]] for at, kind, i in voice.marks
                 if kind == "sync"]
        if len(syncs) > 1:
            meta["sync"] = syncs
        seg.meta = meta
        spans = _event_spans(voice, reading.events)
        for at, kind, ident in voice.marks:
            if kind == "event" and spans[int(ident)][0] >= 0:
                desc, type_, extent = reading.events[int(ident)]
                a, b = spans[int(ident)]
                annotations.append(Annotation(
                    "event", seg.start + a, seg.start + b, desc,
                    f"{type_} event: {desc}" if type_ else f"event: {desc}",
                    extra={k: v for k, v in (("type", type_), ("extent", extent)) if v}))
            elif kind == "comment":
                pos = seg.start + at
                annotations.append(Annotation("comment", pos, pos,
                                              reading.comments[int(ident)],
                                              "transcriber comment"))
    annotations.sort(key=lambda a: (a.start, a.end))
    meta = {key: root.get(key) for key in ("audio_filename", "scribe", "version_date")
            if root.get(key)}
    return Parsed(text, segments, fmt, used, meta, annotations=annotations,
                  notes=_notes(annotations, topics_seen, overlaps, reading.counts))


def _notes(annotations: list[Annotation], topics: set[str], overlaps: int,
           counts: Counter[str]) -> list[str]:
    kinds = Counter(a.kind for a in annotations)
    notes = []
    if topics:
        notes.append(f"{len(topics)} topic{'s' if len(topics) > 1 else ''} kept as the "
                     "segments' topic")
    if overlaps:
        notes.append(f"{overlaps} overlapping turn{'s' if overlaps > 1 else ''} split by "
                     "speaker and marked as overlap")
    if kinds["event"]:
        n = kinds["event"]
        notes.append(f"{n} event{'s' if n > 1 else ''} kept as annotations (not in the text)")
    if kinds["comment"]:
        n = kinds["comment"]
        notes.append(f"{n} transcriber comment{'s' if n > 1 else ''} kept as "
                     + ("a memo" if n == 1 else "memos"))
    if counts["background"]:
        n = counts["background"]
        notes.append(f"{n} background marker{'s' if n > 1 else ''} left out")
    return notes
