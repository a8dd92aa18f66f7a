"""`--merge-backchannels`: an answer cut by a short `mm` from another speaker is one segment.

In a transcript, ``A : first part`` / ``B : mm`` / ``A : second part`` is one answer of A that
B acknowledged; coded as three segments, the answer counts twice and its halves lose each
other. A backchannel is a turn of another speaker of at most ``MAX_WORDS`` words, between two
turns of the same speaker, the first of which is not a question (`Vous avez des enfants ?` /
`Deux.` / `Et ils ont quel âge ?` is a question, its answer and a new question).

The merged segment reads `first part second part`; the backchannel leaves the text and is
kept as an annotation anchored at the exact place it was said (speaker, words, times), since a
short segment would have to move after the answer and claim an order that was not spoken.
The merged segment's meta lists the original turns (their spans in the stored text, speakers
and times) so an export can restore them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..textutil import count_words, norm_name
from .base import Annotation, Parsed, SegmentIn

MAX_WORDS = 3


def _is_backchannel(text: str, before: SegmentIn, seg: SegmentIn, after: SegmentIn,
                    question_end: str) -> bool:
    if not (before.speaker and seg.speaker and after.speaker):
        return False
    same = norm_name(before.speaker) == norm_name(after.speaker)
    other = norm_name(seg.speaker) != norm_name(before.speaker)
    return (same and other and 0 < count_words(text[seg.start:seg.end]) <= MAX_WORDS
            and not text[before.start:before.end].rstrip().endswith(question_end))


def find_groups(text: str, segments: list[SegmentIn]) -> list[list[int]]:
    """Indices of the segments each merge joins: A, b, A(, b, A...); at least three."""
    groups: list[list[int]] = []
    i = 0
    while i < len(segments):
        group = [i]
        while (group[-1] + 2 < len(segments)
               and _is_backchannel(text, segments[group[-1]], segments[group[-1] + 1],
                                   segments[group[-1] + 2], "?")):
            group += [group[-1] + 1, group[-1] + 2]
        if len(group) > 1:
            groups.append(group)
        i = group[-1] + 1
    return groups


def merge_backchannels(parsed: Parsed) -> Parsed:
    """A copy of ``parsed`` with each cut answer one segment (unchanged when none is cut)."""
    text, segments = parsed.text, parsed.segments
    groups = find_groups(text, segments)
    if not groups:
        return parsed
    # The new text: old ranges kept, the span from a part's end to the next part's start
    # (`\n\nB : mm\n\nA : `) replaced by one space.
    pieces: list[str] = []
    cuts: list[tuple[int, int, int]] = []  # (old start, old end, new position) of removals
    new_segments: list[SegmentIn] = []
    backchannels: list[Annotation] = []
    pos_old = pos_new = 0
    grouped = {g[0]: g for g in groups}
    k = 0
    while k < len(segments):
        seg = segments[k]
        group = grouped.get(k)
        if group is None:
            pieces.append(text[pos_old:seg.end])
            new_segments.append(_shift(seg, pos_new - pos_old))
            pos_new += seg.end - pos_old
            pos_old = seg.end
            k += 1
            continue
        parts = [segments[j] for j in group[0::2]]
        cut_by = [segments[j] for j in group[1::2]]
        pieces.append(text[pos_old:parts[0].end])
        pos_new += parts[0].end - pos_old
        start_new = parts[0].start + (pos_new - parts[0].end)
        turns: list[dict[str, Any]] = [_turn(parts[0], start_new, pos_new)]
        for previous, cut, part in zip(parts, cut_by, parts[1:], strict=False):
            cuts.append((previous.end, part.start, pos_new))
            pieces.append(" ")
            pos_new += 1
            words = " ".join(text[cut.start:cut.end].split())
            backchannels.append(Annotation(
                "backchannel", pos_new - 1, pos_new - 1, words, f"backchannel by {cut.speaker}",
                cut.speaker or "", _times(cut)))
            turns.append({**_turn(cut, pos_new - 1, pos_new - 1), "text": words,
                          "backchannel": True})
            pieces.append(text[part.start:part.end])
            turns.append(_turn(part, pos_new, pos_new + part.end - part.start))
            pos_new += part.end - part.start
        pos_old = parts[-1].end
        last = parts[-1]
        meta = {**parts[0].meta, "merged_turns": turns}
        new_segments.append(SegmentIn(start_new, pos_new, parts[0].speaker,
                                      parts[0].is_interviewer, parts[0].time_start,
                                      last.time_end if last.time_end is not None
                                      else parts[0].time_end, meta))
        k = group[-1] + 1
    pieces.append(text[pos_old:])
    new_text = "".join(pieces)
    moved = [_move(a, cuts) for a in parsed.annotations]
    merged = sum(len(g) // 2 for g in groups)
    note = (f"{merged} backchannel{'s' if merged > 1 else ''} merged: "
            f"{len(groups)} answer{'s' if len(groups) > 1 else ''} joined into one segment "
            "each (backchannels kept as annotations, original turns in the segment meta)")
    return replace(parsed, text=new_text, segments=new_segments,
                   annotations=sorted([*moved, *backchannels], key=lambda a: (a.start, a.end)),
                   notes=[*parsed.notes, note])


def _times(seg: SegmentIn) -> dict[str, float]:
    return {key: value for key, value in (("time_start", seg.time_start),
                                          ("time_end", seg.time_end)) if value is not None}


def _shift(seg: SegmentIn, by: int) -> SegmentIn:
    return replace(seg, start=seg.start + by, end=seg.end + by)


def _turn(seg: SegmentIn, start: int, end: int) -> dict[str, Any]:
    return {"start": start, "end": end, "speaker": seg.speaker, **_times(seg)}


def _move(ann: Annotation, cuts: list[tuple[int, int, int]]) -> Annotation:
    """An annotation's offsets in the merged text (inside a removed span: at the join)."""
    return replace(ann, start=_new_pos(ann.start, cuts), end=_new_pos(ann.end, cuts))


def _new_pos(pos: int, cuts: list[tuple[int, int, int]]) -> int:
    shift = 0
    for old_start, old_end, new_at in cuts:
        if pos < old_start:
            break
        if pos < old_end:
            return new_at
        shift = new_at + 1 - old_end  # the removed span became one space
    return pos + shift
