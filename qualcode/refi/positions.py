"""Selection positions: from what another tool counted to code points in the stored text.

REFI-QDA counts code points over the plain text. NVivo for Windows counts UTF-16 code units
(a character outside the BMP counts 2); ATLAS.ti is reported to count CRLF as one character.
Which convention a file uses is decided once per project, from how its selections fall (a
convention under which selections leave their text or split a surrogate pair is wrong) and
from the tool named in ``origin``. Then the text is normalised like ingest does (LF line
ends, NFC), with an explicit map so every position follows the change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# (unit, crlf): unit "cp" or "utf16"; crlf 2 = CRLF counts two characters, 1 = one.
Convention = tuple[str, int]
CONVENTIONS: tuple[Convention, ...] = (("cp", 2), ("utf16", 2), ("cp", 1), ("utf16", 1))
LABELS = {
    ("cp", 2): "code points",
    ("utf16", 2): "UTF-16 code units",
    ("cp", 1): "code points, CRLF counted once",
    ("utf16", 1): "UTF-16 code units, CRLF counted once",
}


def _crlf_as_one(raw: str) -> tuple[str, list[int]]:
    """Text with CRLF -> LF, and map from its boundaries to boundaries of ``raw``."""
    out: list[str] = []
    back: list[int] = []
    i = 0
    while i < len(raw):
        back.append(i)
        if raw[i] == "\r" and raw[i + 1:i + 2] == "\n":
            out.append("\n")
            i += 2
        else:
            out.append(raw[i])
            i += 1
    back.append(len(raw))
    return "".join(out), back


def _utf16_to_cp(text: str) -> list[int]:
    """UTF-16 offset -> code point index; -1 for an offset inside a surrogate pair."""
    out: list[int] = []
    for i, ch in enumerate(text):
        out.append(i)
        if ord(ch) > 0xFFFF:
            out.append(-1)
    out.append(len(text))
    return out


class RawPositions:
    """Converts a position under one convention into a code point index of the raw text."""

    def __init__(self, raw: str, convention: Convention) -> None:
        unit, crlf = convention
        self.raw = raw
        base, back = (_crlf_as_one(raw) if crlf == 1 and "\r\n" in raw
                      else (raw, None))
        self._back = back
        self._u16 = _utf16_to_cp(base) if unit == "utf16" and _has_astral(base) else None
        self.length = len(self._u16) - 1 if self._u16 is not None else len(base)

    def to_raw(self, pos: int) -> int | None:
        if pos < 0 or pos > self.length:
            return None
        if self._u16 is not None:
            pos = self._u16[pos]
            if pos < 0:
                return None
        return self._back[pos] if self._back is not None else pos


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _has_astral(text: str) -> bool:
    return _ASTRAL.search(text) is not None


def relevant(raw_texts: list[str]) -> list[Convention]:
    """Conventions that can differ for these texts (others give the same positions)."""
    astral = any(_has_astral(t) for t in raw_texts)
    crlf = any("\r\n" in t for t in raw_texts)
    return [c for c in CONVENTIONS
            if (c[0] == "cp" or astral) and (c[1] == 2 or crlf)]


def _edge(text: str, start: int, end: int) -> int:
    """2 when both ends fall on word boundaries (a sign the convention is right)."""
    def boundary(i: int) -> bool:
        return i <= 0 or i >= len(text) or not (text[i - 1].isalnum() and text[i].isalnum())
    return int(boundary(start)) + int(boundary(end))


@dataclass
class Verdict:
    convention: Convention
    failures: int
    checked: int


# What qualcode writes in ``origin`` when it exports UTF-16 positions (read back below).
UTF16_ORIGIN_MARK = "positions in UTF-16 code units"


def preference(origin: str) -> tuple[list[Convention], bool]:
    """Conventions in the order the exporting tool makes likely, and whether the tool is known."""
    low = origin.casefold()
    if "qualcode" in low:  # qualcode says which it wrote
        if UTF16_ORIGIN_MARK.casefold() in low:
            return [("utf16", 2), ("cp", 2), ("utf16", 1), ("cp", 1)], True
        return list(CONVENTIONS), True
    if "nvivo" in low and "mac" not in low:
        return [("utf16", 2), ("utf16", 1), ("cp", 2), ("cp", 1)], True
    if "atlas" in low:
        return [("cp", 1), ("cp", 2), ("utf16", 1), ("utf16", 2)], True
    return list(CONVENTIONS), False


class Chooser:
    """The convention of a project from its texts given one at a time (with their selections),
    so that a large project's texts need not be held together: the same verdict as
    :func:`choose` over all of them."""

    def __init__(self) -> None:
        self.failures = dict.fromkeys(CONVENTIONS, 0)
        self.quality = dict.fromkeys(CONVENTIONS, 0)
        self.astral = self.crlf = False
        self.checked = 0

    def add(self, text: str, spans: list[tuple[int, int]]) -> None:
        if not spans:
            return  # a text without selections says nothing
        self.astral = self.astral or _has_astral(text)
        self.crlf = self.crlf or "\r\n" in text
        self.checked += len(spans)
        for conv in CONVENTIONS:
            m = RawPositions(text, conv)
            for start, end in spans:
                s, e = m.to_raw(start), m.to_raw(end)
                if s is None or e is None or s > e:
                    self.failures[conv] += 1
                else:
                    self.quality[conv] += _edge(text, s, e)

    def verdict(self, origin: str) -> Verdict:
        candidates = [c for c in CONVENTIONS
                      if (c[0] == "cp" or self.astral) and (c[1] == 2 or self.crlf)]
        order, known_tool = preference(origin)
        scored = []
        for conv in candidates:
            failures, quality, rank = self.failures[conv], self.quality[conv], order.index(conv)
            key = (failures, rank, -quality) if known_tool else (failures, -quality, rank)
            scored.append((key, Verdict(conv, failures, self.checked)))
        scored.sort(key=lambda item: item[0])
        return scored[0][1] if scored else Verdict(("cp", 2), 0, self.checked)


def choose(origin: str, spans: list[tuple[str, int, int]]) -> Verdict:
    """Pick the convention for a project from its selections ``(raw text, start, end)``."""
    chooser = Chooser()
    by_text: dict[int, tuple[str, list[tuple[int, int]]]] = {}
    for text, start, end in spans:
        by_text.setdefault(id(text), (text, []))[1].append((start, end))
    for text, text_spans in by_text.values():
        chooser.add(text, text_spans)
    return chooser.verdict(origin)


def _clusters(text: str) -> list[tuple[int, int]]:
    """Runs of a starter and the combining marks after it (NFC works inside them)."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or unicodedata.combining(text[i]) == 0:
            out.append((start, i))
            start = i
    return out


def normalise(raw: str) -> tuple[str, Sequence[int]]:
    """Stored text (LF line ends, NFC, NUL replaced) and the map raw boundary -> stored one.

    The map has ``len(raw) + 1`` entries. A boundary inside a CRLF pair maps to before the LF;
    one inside a composed sequence maps to the start of the composed character. A text that
    needs none of this (the usual case) maps onto itself: a ``range``, no list per character.
    """
    if "\r" not in raw and "\x00" not in raw and unicodedata.is_normalized("NFC", raw):
        return raw, range(len(raw) + 1)
    # Line ends first.
    chars: list[str] = []
    first: list[int] = []  # raw boundary -> boundary in the LF text
    i = 0
    while i < len(raw):
        ch = raw[i]
        first.append(len(chars))
        if ch == "\r":
            if raw[i + 1:i + 2] == "\n":
                first.append(len(chars))
                i += 1
            chars.append("\n")
        else:
            chars.append("\ufffd" if ch == "\x00" else ch)
        i += 1
    first.append(len(chars))
    lf = "".join(chars)
    if unicodedata.is_normalized("NFC", lf):
        return lf, first
    # NFC cluster by cluster, so each position can be followed.
    out: list[str] = []
    second = [0] * (len(lf) + 1)
    pos = 0
    for start, end in _clusters(lf):
        piece = unicodedata.normalize("NFC", lf[start:end])
        for j in range(start, end):
            second[j] = pos + min(j - start, len(piece)) if len(piece) == end - start else pos
        out.append(piece)
        pos += len(piece)
    second[len(lf)] = pos
    return "".join(out), [second[b] for b in first]


def utf16_units(text: str, *, crlf: bool = False) -> list[int]:
    """Code point index -> UTF-16 offset (``len(text) + 1`` entries): the mirror image of
    ``RawPositions(..., ("utf16", 2))``. With ``crlf``, offsets in the text once each bare LF
    is written CRLF (see ``to_crlf``), as NVivo for Windows writes its texts."""
    out = [0] * (len(text) + 1)
    unit = 0
    prev = ""
    for i, ch in enumerate(text):
        out[i] = unit
        unit += 2 if ord(ch) > 0xFFFF else 1
        if crlf and ch == "\n" and prev != "\r":
            unit += 1
        prev = ch
    out[len(text)] = unit
    return out


def to_crlf(text: str) -> str:
    """Every bare LF written CRLF (a CRLF already there is kept)."""
    return re.sub(r"(?<!\r)\n", "\r\n", text)
