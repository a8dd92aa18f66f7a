"""Text with anchors: where comments and notes sit, carried through normalisation.

Readers mark positions in the raw text they build (a comment's range, a footnote's mark);
normalisation (`segment_text`) then joins lines, strips whitespace and repairs hyphenation.
`offset_map` aligns the raw text with the stored one so each mark lands on the same words.
"""

from __future__ import annotations


class Marked:
    """A piece of raw text and its marks: (offset in ``text``, kind, id).

    Text is gathered in a list and joined when read: a book-length document is built from
    thousands of pieces, and growing one string would copy it each time.
    """

    def __init__(self, text: str = "",
                 marks: list[tuple[int, str, str]] | None = None) -> None:
        self._parts = [text] if text else []
        self._len = len(text)
        self.marks: list[tuple[int, str, str]] = marks if marks is not None else []

    @property
    def text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def __len__(self) -> int:
        return self._len

    def add(self, text: str) -> None:
        if text:
            self._parts.append(text)
            self._len += len(text)

    def mark(self, kind: str, ident: str) -> None:
        self.marks.append((self._len, kind, ident))

    def extend(self, other: Marked) -> None:
        base = self._len
        self.add(other.text)
        self.marks.extend((base + at, kind, ident) for at, kind, ident in other.marks)

    def squashed(self) -> Marked:
        """Runs of whitespace as one space, ends stripped; marks follow their characters.

        A mark inside a run of whitespace goes to the next word, or, for the end of a range
        (`...-end`), stays after the previous one.
        """
        chars: list[str] = []
        new_at: list[tuple[int, int]] = []  # (after the previous word, before the next)
        pending_space = False
        for ch in self.text:
            if ch.isspace():
                pending_space = bool(chars)
                new_at.append((len(chars), len(chars) + pending_space))
                continue
            if pending_space:
                chars.append(" ")
                pending_space = False
            new_at.append((len(chars), len(chars)))
            chars.append(ch)
        new_at.append((len(chars), len(chars)))
        size = len(chars)
        return Marked("".join(chars), [(min(new_at[at][0 if kind.endswith("-end") else 1], size),
                                        kind, ident) for at, kind, ident in self.marks])


def join_marked(pieces: list[Marked], sep: str) -> Marked:
    """Non-empty pieces joined by ``sep``; marks of empty pieces stay at the join."""
    out = Marked()
    for piece in pieces:
        if piece.text.strip():
            if len(out):
                out.add(sep)
            out.extend(piece)
        else:
            out.marks.extend((len(out), kind, ident) for _, kind, ident in piece.marks)
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
