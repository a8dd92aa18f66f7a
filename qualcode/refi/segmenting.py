"""Segments of an imported text, cut without changing the text.

Ingest normalises and re-flows a file before cutting it; an imported REFI source must keep its
exact text (the other tool's positions point into it), so this module applies ingest's label
rules (:mod:`qualcode.ingest.turns`) line by line over the text as it is: speaker turns when the
text is a transcript (the segment is the speech after the label), paragraphs otherwise.
"""

from __future__ import annotations

import re

from ..ingest.base import SegmentIn

_BLANK = re.compile(r"\n[ \t\u00a0]*\n")


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, without its LF."""
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraphs(text: str) -> list[SegmentIn]:
    out, pos = [], 0
    for match in [*_BLANK.finditer(text), None]:
        stop = match.start() if match else len(text)
        start, end = _trim(text, pos, stop)
        if end > start:
            out.append(SegmentIn(start, end))
        pos = match.end() if match else len(text)
    return out


def segment(text: str) -> list[SegmentIn]:
    """Speaker turns (ingest's label rules) or paragraphs, over ``text`` unchanged."""
    try:
        from ..ingest.turns import find_labels, interviewer_keys, is_transcript
    except ImportError:  # ingest not available: paragraphs still give usable segments
        return paragraphs(text)
    spans = _lines(text)
    stripped = []
    for start, end in spans:
        line = text[start:end]
        stripped.append(line.strip())
    labels = find_labels(stripped, interviewer_keys(()))
    if not is_transcript(labels):
        return paragraphs(text)
    out: list[SegmentIn] = []
    first = min(labels)
    if first:
        out.extend(paragraphs(text[:spans[first][0]]))
    indices = sorted(labels)
    for k, i in enumerate(indices):
        label = labels[i]
        line_start, line_end = spans[i]
        indent = len(text[line_start:line_end]) - len(text[line_start:line_end].lstrip())
        speech = line_start + indent + label.length
        stop = spans[indices[k + 1]][0] if k + 1 < len(indices) else len(text)
        start, end = _trim(text, speech, stop)
        if end > start:
            out.append(SegmentIn(start, end, label.speaker, label.is_interviewer, label.time))
    return out
