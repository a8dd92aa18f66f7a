"""Text with anchors: where comments and notes sit, carried through normalisation.

Readers mark positions in the raw text they build (a comment's range, a footnote's mark);
normalisation (`segment_text`) then joins lines, strips whitespace and repairs hyphenation.
`offset_map` aligns the raw text with the stored one so each mark lands on the same words.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Marked:
    """A piece of raw text and its marks: (offset in ``text``, kind, id)."""

    text: str = ""
    marks: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.text += text

    def mark(self, kind: str, ident: str) -> None:
        self.marks.append((len(self.text), kind, ident))

    def extend(self, other: Marked) -> None:
        base = len(self.text)
        self.text += other.text
        self.marks.extend((base + at, kind, ident) for at, kind, ident in other.marks)

    def squashed(self) -> Marked:
        """Runs of whitespace as one space, ends stripped; marks follow their characters.

        A mark inside a run of whitespace goes to the next word, or, for the end of a range
        (`...-end`), stays after the previous one.
        """
        out = Marked()
        new_at: list[tuple[int, int]] = []  # (after the previous word, before the next)
        pending_space = False
        for ch in self.text:
            if ch.isspace():
                pending_space = bool(out.text)
                new_at.append((len(out.text), len(out.text) + pending_space))
                continue
            if pending_space:
                out.text += " "
                pending_space = False
            new_at.append((len(out.text), len(out.text)))
            out.text += ch
        new_at.append((len(out.text), len(out.text)))
        out.marks = [(min(new_at[at][0 if kind.endswith("-end") else 1], len(out.text)),
                      kind, ident) for at, kind, ident in self.marks]
        return out


def join_marked(pieces: list[Marked], sep: str) -> Marked:
    """Non-empty pieces joined by ``sep``; marks of empty pieces stay at the join."""
    out = Marked()
    for piece in pieces:
        if piece.text.strip() and out.text:
            out.add(sep)
        if piece.text.strip():
            out.extend(piece)
        else:
            out.marks.extend((len(out.text), kind, ident) for _, kind, ident in piece.marks)
    return out


def offset_map(raw: str, stored: str) -> list[int]:
    """For each offset of ``raw`` (and its end), the matching offset in ``stored``.

    ``stored`` is ``raw`` with whitespace changed, lines stripped and a cut's hyphen dropped:
    equal characters advance both texts, whitespace is matched loosely and a character
    missing from ``stored`` maps to where it was dropped.
    """
    out = [0] * (len(raw) + 1)
    i = j = 0
    n = len(stored)
    while i < len(raw):
        out[i] = j
        ch = raw[i]
        if j < n and ch == stored[j]:
            i += 1
            j += 1
        elif ch.isspace():
            if j < n and stored[j].isspace():
                j += 1
            i += 1
        elif j < n and stored[j].isspace():
            j += 1  # whitespace stored where raw had none (a join): raw[i] maps after it
        else:
            i += 1  # a character normalisation dropped
    out[len(raw)] = j
    return out
