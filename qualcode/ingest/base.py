"""What every reader returns, and checks shared by the readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput
from ..textutil import count_words

# Segments shorter than this (in words) may repeat without being reported: `Oui.`, `D'accord.`
DUPLICATE_MIN_WORDS = 8


# Annotation kinds that become memos on their segment; the others (Transcriber events,
# backchannels) are many per hour and stay in the document's meta, anchored, without a memo.
MEMO_KINDS = frozenset({"comment", "footnote", "endnote"})


@dataclass
class Annotation:
    """Words about the text that are not its speech: a comment, a note, an event.

    ``start``/``end`` are offsets in the stored text (``start == end`` for a point, e.g. a
    footnote mark); ``label`` names it in one line (`comment by Claire`, `footnote 2`).
    """

    kind: str  # comment | footnote | endnote | event | backchannel
    start: int
    end: int
    text: str
    label: str = ""
    author: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_meta(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "start": self.start, "end": self.end,
                               "text": self.text}
        if self.label:
            out["label"] = self.label
        if self.author:
            out["author"] = self.author
        out.update(self.extra)
        return out


@dataclass
class SegmentIn:
    """A segment as a reader produces it: offsets into the normalised text."""

    start: int
    end: int
    speaker: str | None = None
    is_interviewer: bool = False
    time_start: float | None = None
    time_end: float | None = None
    # Facts about this segment a reader knows (a Transcriber topic, an overlap, the turns a
    # merge joined); ingest keeps them in the document's meta under ``segments``.
    meta: dict[str, Any] = field(default_factory=dict)


def check_segments(text: str, segments: list[SegmentIn]) -> None:
    """Segments must lie inside the text, in order, without overlapping."""
    previous_end = 0
    for i, seg in enumerate(segments, 1):
        if not (previous_end <= seg.start <= seg.end <= len(text)):
            raise InvalidInput(f"segment {i} ({seg.start}-{seg.end}) is outside the text "
                               f"or overlaps the previous one")
        previous_end = seg.end


@dataclass
class Parsed:
    """A file read and segmented: ``text[seg.start:seg.end]`` is each segment's text.

    ``annotations`` are anchored on the stored text; ``notes`` say, one line each, what the
    reader kept outside the text or left out (`2 comments kept as memos`).
    """

    text: str
    segments: list[SegmentIn]
    format: str
    encoding: str = "utf-8"
    meta: dict[str, Any] = field(default_factory=dict)
    # Lines for the ingest report: what was read differently or left out of the text.
    warnings: list[str] = field(default_factory=list)
    # Agents (name -> attributes) the file itself describes: survey respondents of a CSV.
    agents: dict[str, dict[str, str]] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_turns(self) -> bool:
        return any(seg.speaker for seg in self.segments)

    @property
    def words(self) -> int:
        return count_words(self.text)

    def duplicates(self) -> list[list[int]]:
        """Groups of segment numbers (1-based) whose texts are the same paragraph.

        Press articles repeat their teaser and notes get pasted twice: repeated paragraphs
        inflate counts, so ingest reports them (it never drops them).
        """
        # Stored text is already normalised (lines joined), so equal paragraphs are equal
        # strings: group by text first and count words only for the rare repeats.
        seen: dict[str, list[int]] = {}
        text = self.text
        for n, seg in enumerate(self.segments, 1):
            if seg.end - seg.start >= 2 * DUPLICATE_MIN_WORDS:
                seen.setdefault(text[seg.start:seg.end].casefold(), []).append(n)
        return [ns for key, ns in seen.items()
                if len(ns) > 1 and len(key.split()) >= DUPLICATE_MIN_WORDS]
