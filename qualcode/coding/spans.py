"""Spans inside a segment: numbered words, word ranges and words found by their text.

Pure functions over a segment's text (no database, no display), shared by the line-mode
session and the full-screen one. Offsets are code points of the segment text; the caller adds
the segment's start to store document offsets.

A *word* is a run of non-space characters without the punctuation at its edges
(`«Bonjour»,` is the word `Bonjour`, `s’énervent` and `peut-être` are one word each); a run
of punctuation alone (`«`, `:`, `—`) is no word. So a span of words never starts or ends on
a quote mark or a comma, and a coded quote reads as the researcher selected it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput, NotFound
from ..textutil import fold, same_apostrophes

_RUN = re.compile(r"\S+")
_RANGE = re.compile(r"(\d+)(?:\s*(?:-|–|\.\.)\s*(\d+))?")


@dataclass(frozen=True)
class Word:
    number: int  # 1-based, as shown to the user
    start: int
    end: int
    text: str


def words(text: str) -> list[Word]:
    """The numbered words of ``text``."""
    out: list[Word] = []
    for run in _RUN.finditer(text):
        start, end = run.start(), run.end()
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        if start < end:
            out.append(Word(len(out) + 1, start, end, text[start:end]))
    return out


def parse_range(value: str) -> tuple[int, int] | None:
    """`4-9`, `4–9`, `4..9` or `4` -> (first, last), in order; None if not a range."""
    found = _RANGE.fullmatch(value.strip())
    if found is None:
        return None
    first = int(found.group(1))
    last = int(found.group(2)) if found.group(2) else first
    return (first, last) if first <= last else (last, first)


def word_span(text: str, first: int, last: int) -> tuple[int, int]:
    """Offsets from the start of word ``first`` to the end of word ``last`` (1-based,
    inclusive): the selected words with what separates them in the source."""
    found = words(text)
    if not found:
        raise InvalidInput("this segment has no words to select", "code it whole")
    if not 1 <= first <= last <= len(found):
        raise InvalidInput(
            f"words {first}-{last} are not in this segment (it has {len(found)} words)",
            "press w to show the word numbers, then give e.g. 4-9")
    return found[first - 1].start, found[last - 1].end


@dataclass(frozen=True)
class Occurrence:
    start: int
    end: int
    exact: bool  # accents and case as typed (apostrophes aside)


def _snap(found: list[Word], start: int, end: int) -> tuple[int, int]:
    """Widen a match that cuts a word to that whole word (`guichet` in `guichets`)."""
    for w in found:
        if w.start < start < w.end:
            start = w.start
        if w.start < end < w.end:
            end = w.end
    return start, end


def find_words(text: str, query: str) -> list[Occurrence]:
    """Where ``query`` occurs in ``text``, as a French reader would look for it.

    Case, accents and the kind of apostrophe do not matter (`etat` finds `État`), and any
    space or line break between words matches any other. Occurrences made of whole words come
    first; if there are none, a match inside a word is widened to the whole word. When several
    occurrences remain and some have the accents and case as typed (`a` versus `à`), only those
    are kept. Several results mean the caller must ask which one.
    """
    parts = fold(query).split()
    if not parts:
        raise InvalidInput("no words to look for", 'give some words, e.g. "le guichet"')
    pattern = re.compile(r"\s+".join(re.escape(p) for p in parts))
    found = words(text)
    folded = fold(text)
    whole: list[Occurrence] = []
    cut: list[Occurrence] = []
    wanted = " ".join(same_apostrophes(query).casefold().split())
    for hit in pattern.finditer(folded):
        start, end = hit.start(), hit.end()
        # whole words: no letter or digit glued on either side (`État` in `l’État` is one)
        bounded = ((start == 0 or not text[start - 1].isalnum() or not text[start].isalnum())
                   and (end == len(text) or not text[end].isalnum()
                        or not text[end - 1].isalnum()))
        exact = " ".join(same_apostrophes(text[start:end]).casefold().split()) == wanted
        if bounded:
            whole.append(Occurrence(start, end, exact))
        else:
            s, e = _snap(found, start, end)
            cut.append(Occurrence(s, e, False))
    hits = whole or list(dict.fromkeys(cut))
    if len(hits) > 1 and any(h.exact for h in hits):
        hits = [h for h in hits if h.exact]
    return hits


def find_one(text: str, query: str) -> list[Occurrence]:
    """``find_words`` that refuses a query found nowhere (one clear error)."""
    hits = find_words(text, query)
    if not hits:
        raise NotFound(f"{query.strip()!r} does not occur in this segment",
                       "case, accents and apostrophes do not matter; check the spelling, "
                       "or press w and select the words by number")
    return hits


def in_context(text: str, start: int, end: int, width: int = 20) -> str:
    """The occurrence in brackets with a few characters around it, on one line:
    `…c’est [du mépris], du mépris pur.`"""
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    snippet = " ".join((left + "[" + text[start:end] + "]" + right).split())
    return ("…" if start > width else "") + snippet + ("…" if end + width < len(text) else "")


def evidence_spans(seg_start: int, seg_text: str,
                   evidence: dict[str, Any]) -> list[tuple[int, int]]:
    """Where the words that made a suggestion lie in the segment (offsets in its text).

    The scorer stores each keyword match with document offsets; they are used when they still
    point at the same words. Older or hand-made evidence with the words only is looked up.
    """
    spans: list[tuple[int, int]] = []
    for match in evidence.get("matches") or []:
        if not isinstance(match, dict):
            continue
        words_ = match.get("text") or match.get("keyword")
        start, end = match.get("start"), match.get("end")
        if isinstance(start, int) and isinstance(end, int):
            rs, re_ = start - seg_start, end - seg_start
            if 0 <= rs < re_ <= len(seg_text) and (
                    not words_ or fold(seg_text[rs:re_]) == fold(str(words_))):
                spans.append((rs, re_))
                continue
        if isinstance(words_, str) and words_.strip():
            spans += [(h.start, h.end) for h in find_words(seg_text, words_)]
    nearest = evidence.get("nearest")
    if isinstance(nearest, dict):
        for shared in nearest.get("shared") or []:
            if isinstance(shared, str) and shared.strip():
                spans += [(h.start, h.end) for h in find_words(seg_text, shared)
                          if (h.start, h.end) not in spans]
    return sorted(set(spans))
