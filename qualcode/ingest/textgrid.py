"""Praat TextGrid files (`.TextGrid`), long or short text format, UTF-8 or UTF-16.

Each interval tier is one speaker (its name is the speaker label). Non-empty intervals of all
tiers are ordered by start time; consecutive intervals of the same speaker make one turn, with
the start of the first and the end of the last. Point tiers (`TextTier`) mark instants, not
speech: they are left out and reported. Praat's binary format is refused with a hint.

Both text formats are the same sequence of values (the long one adds `key =` labels and
`[n]` indexes): strings in double quotes (a quote inside is doubled), numbers, and the
`<exists>` flag. Reading that sequence reads both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidInput
from .base import Parsed
from .encoding import decode_bytes
from .turns import Turn, render_turns

MALFORMED_HINT = "open it in Praat and save it again (Save as text file)"
_TOKEN = re.compile(
    r'"((?:[^"]|"")*)"'  # a string
    r"|<(exists|absent)>"  # the tiers flag
    r"|\[\s*\d*\s*\]"  # an index of the long format: skipped
    r"|(?<![\w.])(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)(?![\w.])"  # a number
    r"|!.*"  # a comment line
)


@dataclass
class Interval:
    start: float
    end: float
    text: str
    tier: int


class _Values:
    """The values of a TextGrid in order, read one kind at a time."""

    def __init__(self, text: str, what: str) -> None:
        self.items: list[tuple[str, str]] = []
        for m in _TOKEN.finditer(text):
            if m.group(1) is not None:
                self.items.append(("str", m.group(1).replace('""', '"')))
            elif m.group(2) is not None:
                self.items.append(("flag", m.group(2)))
            elif m.group(3) is not None:
                self.items.append(("num", m.group(3)))
        self.pos = 0
        self.what = what

    def _next(self, kind: str) -> str:
        if self.pos >= len(self.items):
            raise InvalidInput(f"{self.what} ends too early for a TextGrid", MALFORMED_HINT)
        got, value = self.items[self.pos]
        if got != kind:
            raise InvalidInput(f"{self.what} is not a valid TextGrid (a {got} where a "
                               f"{kind} was expected)", MALFORMED_HINT)
        self.pos += 1
        return value

    def string(self) -> str:
        return self._next("str")

    def number(self) -> float:
        return float(self._next("num"))

    def count(self) -> int:
        value = self.number()
        if value < 0 or value != int(value):
            raise InvalidInput(f"{self.what} is not a valid TextGrid (count {value})",
                               MALFORMED_HINT)
        return int(value)

    def flag(self) -> bool:
        return self._next("flag") == "exists"


def read(data: bytes, *, what: str, encoding: str | None = None,
         interviewers: tuple[str, ...] = (), fmt: str = "textgrid",
         names: tuple[str, ...] = ()) -> Parsed:
    if data.startswith(b"ooBinaryFile"):
        raise InvalidInput(f"{what} is a binary TextGrid",
                           "open it in Praat and use Save as text file")
    text, used = decode_bytes(data, what, encoding)
    values = _Values(text, what)
    if values.string().split()[0:1] != ["ooTextFile"] or values.string() != "TextGrid":
        raise InvalidInput(f"{what} is not a Praat TextGrid", MALFORMED_HINT)
    values.number()
    values.number()
    intervals: list[Interval] = []
    tiers: list[str] = []
    points = 0
    if values.flag():
        for tier in range(values.count()):
            kind, name = values.string(), values.string()
            values.number()
            values.number()
            n = values.count()
            if kind == "IntervalTier":
                tiers.append(name.strip() or f"Tier {tier + 1}")
                for _ in range(n):
                    start, end, label = values.number(), values.number(), values.string()
                    if label.strip():
                        intervals.append(Interval(start, end, label, len(tiers) - 1))
            elif kind == "TextTier":
                for _ in range(n):
                    values.number()
                    values.string()
                points += n
            else:
                raise InvalidInput(f"{what}: unknown tier class {kind!r}", MALFORMED_HINT)
    intervals.sort(key=lambda i: (i.start, i.end, i.tier))
    turns: list[Turn] = []
    last_tier = -1
    for interval in intervals:
        if turns and interval.tier == last_tier:
            turns[-1].lines.append(interval.text)
            turns[-1].time_end = max(turns[-1].time_end or interval.end, interval.end)
        else:
            turns.append(Turn(tiers[interval.tier], [interval.text], interval.start,
                              interval.end))
        last_tier = interval.tier
    for turn in turns:  # intervals of one turn are one paragraph
        turn.lines = [" ".join(" ".join(turn.lines).split())]
    stored, segments = render_turns(turns, interviewers)
    parsed = Parsed(stored, segments, fmt, used, {"tiers": tiers})
    if points:
        parsed.warnings.append(f"left out: {points} point{'s' if points > 1 else ''} of point "
                               "tiers (instants, not speech)")
    return parsed
