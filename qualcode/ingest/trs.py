"""Transcriber `.trs` files (XML, often ISO-8859-1), parsed with defusedxml.

`<Speakers>` maps ids to names; each `<Turn speaker="spk1" startTime= endTime=>` is a turn.
Overlapping speech (`speaker="spk1 spk2"` with `<Who nb="1"/>` markers) becomes one turn per
voice, with the times of the turn. Events and comments are not speech and are left out.
"""

from __future__ import annotations

import re

from ..errors import InvalidInput
from .base import Parsed
from .turns import Turn, render_turns

_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")
MALFORMED_HINT = "open the transcription in Transcriber and save it again"


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _voices(turn) -> list[list[str]]:  # noqa: ANN001
    """Text pieces per voice (one voice unless `<Who>` markers split the turn)."""
    voices: list[list[str]] = [[]]
    current = 0
    if turn.text:
        voices[0].append(turn.text)
    for child in turn:
        tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
        if tag == "Who":
            try:
                current = max(int(child.get("nb", "1")) - 1, 0)
            except ValueError:
                current = 0
            while len(voices) <= current:
                voices.append([])
        if child.tail:
            voices[current].append(child.tail)
    return voices


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
    names = {spk.get("id"): (spk.get("name") or spk.get("id") or "").strip()
             for spk in root.iter("Speaker")}
    turns: list[Turn] = []
    for turn in root.iter("Turn"):
        ids = (turn.get("speaker") or "").split()
        t0, t1 = _float(turn.get("startTime")), _float(turn.get("endTime"))
        for k, pieces in enumerate(_voices(turn)):
            words = " ".join(" ".join(pieces).split())
            if not words:
                continue
            spk = ids[k] if k < len(ids) else (ids[0] if ids else None)
            speaker = names.get(spk, spk) if spk else None
            turns.append(Turn(speaker or None, [words], t0, t1))
    text, segments = render_turns(turns, interviewers)
    meta = {key: root.get(key) for key in ("audio_filename", "scribe", "version_date")
            if root.get(key)}
    return Parsed(text, segments, fmt, used, meta)
