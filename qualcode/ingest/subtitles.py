"""Subtitles: WebVTT (`.vtt`) and SubRip (`.srt`).

Each cue keeps its timestamps. The speaker of a cue is its voice tag (`<v Claire>`) or a
`Claire : words` label at the start of its text; consecutive cues of the same speaker merge
into one turn (first start, last end). A cue without speaker continues the current turn;
cues without any speaker form paragraphs that close at a sentence end once long enough, or at
a pause. A dash-dialogue cue (`- Claire : Oui.` / `- Marc : Non.`, or both in one line) gives
one turn per dash; a dash without a label opens a turn of an unnamed speaker.
"""

from __future__ import annotations

import html
import re

from ..errors import InvalidInput
from ..textutil import norm_name
from .base import Parsed
from .encoding import decode_bytes
from .normalise import clean
from .turns import Turn, interviewer_keys, match_label, render_turns

_TIMING = re.compile(
    r"^\s*(?P<a>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*"
    r"(?P<b>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})", re.M)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(r"[.!?…»]\s*$")
PARAGRAPH_WORDS = 40  # unlabelled cues close a paragraph at a sentence end past this length
PAUSE_S = 3.0


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def parse_cues(text: str, what: str) -> list[tuple[float, float, str | None, list[str]]]:
    """(start, end, voice or None, text lines) per cue, tags removed."""
    cues = []
    for block in re.split(r"\n[ \t]*\n", clean(text)):
        m = _TIMING.search(block)
        if m is None:
            continue
        body = block[m.end():].split("\n", 1)
        lines = body[1].split("\n") if len(body) > 1 else []
        voice = None
        out_lines = []
        for line in lines:
            v = _VOICE.search(line)
            if v and voice is None:
                voice = v.group(1).strip()
            plain = html.unescape(_TAG.sub("", line)).strip()
            if plain:
                out_lines.append(plain)
        cues.append((_seconds(m.group("a")), _seconds(m.group("b")), voice, out_lines))
    if not cues:
        raise InvalidInput(f"{what} holds no subtitle cue (no `00:00:01.000 --> ...` line)",
                           "check that the file is a .vtt or .srt subtitle file")
    return cues


_DASH = re.compile(r"[-‐–—]\s+")
_INLINE_DASH = re.compile(r"\s[-‐–—]\s+")


def split_dialogue(lines: list[str], keys: frozenset[str]) -> list[list[str]] | None:
    """The speakers' parts of a dash-dialogue cue (`- Claire : Oui.` / `- Marc : Non.`, on
    lines or in one line), dashes removed; None when the cue is not a dialogue.

    A dash inside a line opens a part only before a speaker label (`- B : ...`), since a
    spaced dash is also a pause in the speech.
    """
    if not lines or _DASH.match(lines[0]) is None:
        return None
    parts: list[list[str]] = []
    for line in lines:
        m = _DASH.match(line)
        if m is None and parts:
            parts[-1].append(line)
            continue
        rest = line[m.end():] if m is not None else line
        pieces, at = [], 0
        for inner in _INLINE_DASH.finditer(rest):
            label = match_label(rest[inner.end():], keys)
            if label is not None and label.time is None:
                pieces.append(rest[at:inner.start()])
                at = inner.end()
        pieces.append(rest[at:])
        parts.extend([piece.strip()] for piece in pieces if piece.strip())
    return parts


def cues_to_turns(cues, interviewers: tuple[str, ...]) -> list[Turn]:  # noqa: ANN001
    keys = interviewer_keys(interviewers)
    units: list[tuple[float, float, str | None, list[str], bool]] = []
    for start, end, voice, lines in cues:
        dialogue = split_dialogue(lines, keys) if voice is None else None
        if dialogue is None:
            units.append((start, end, voice, lines, False))
        else:
            units.extend((start, end, None, part, True) for part in dialogue)
    turns: list[Turn] = []
    for start, end, voice, lines, dash in units:
        if not lines:
            continue
        speaker = voice
        if speaker is None:
            label = match_label(lines[0], keys)
            if label is not None and label.time is None:
                speaker = label.speaker
                lines = [lines[0][label.length:].strip(), *lines[1:]]
        current = turns[-1] if turns else None
        if dash and speaker is None:
            same = False  # a dash opens another speaker's words, name unknown
        elif current is not None and speaker is None and current.speaker is not None:
            same = True
        elif current is not None and speaker is not None and current.speaker is not None:
            same = norm_name(speaker) == norm_name(current.speaker)
        elif current is not None and speaker is None and current.speaker is None:
            words = sum(len(line.split()) for line in current.lines)
            closed = words >= PARAGRAPH_WORDS and _SENTENCE_END.search(current.lines[-1])
            paused = current.time_end is not None and start - current.time_end >= PAUSE_S
            same = not (closed or paused)
        else:
            same = False
        if same and current is not None:
            current.lines.extend(lines)
            current.time_end = end
        else:
            turns.append(Turn(speaker, list(lines), start, end))
    return turns


def read(data: bytes, *, what: str, encoding: str | None = None,
         interviewers: tuple[str, ...] = (), fmt: str = "vtt",
         names: tuple[str, ...] = ()) -> Parsed:
    text, used = decode_bytes(data, what, encoding)
    if fmt == "vtt" and not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise InvalidInput(f"{what} does not start with WEBVTT",
                           "check that the file is a WebVTT subtitle file")
    turns = cues_to_turns(parse_cues(text, what), interviewers)
    stored, segments = render_turns(turns, interviewers)
    return Parsed(stored, segments, fmt, used)


def read_srt(data: bytes, *, what: str, encoding: str | None = None,
             interviewers: tuple[str, ...] = (), fmt: str = "srt",
             names: tuple[str, ...] = ()) -> Parsed:
    return read(data, what=what, encoding=encoding, interviewers=interviewers, fmt=fmt)
