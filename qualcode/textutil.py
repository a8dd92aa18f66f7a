"""Small text helpers shared by every layer (no heavy imports)."""

from __future__ import annotations

import hashlib
import re
import unicodedata


def norm_name(name: str) -> str:
    """Key for case- and accent-insensitive matching of names: `Hélène` ~ `HELENE`; invisible
    format characters (a zero-width space pasted with a name) do not count."""
    decomposed = unicodedata.normalize("NFD", name.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)
                       and unicodedata.category(c) != "Cf")
    return " ".join(stripped.replace("\u2019", "'").split())


def clean_person_name(name: str) -> str:
    """A coder's or agent's name as stored: NFC (`Zoe` + U+0301 is `Zoé`), without invisible
    format characters (zero-width spaces, direction marks), spaces collapsed. Two spellings
    a user cannot tell apart on screen must not make two people."""
    nfc = unicodedata.normalize("NFC", name)
    return " ".join("".join(c for c in nfc if unicodedata.category(c) != "Cf").split())


def closest_names(given: str, known: list[str], n: int = 3) -> list[str]:
    """The known names closest to a mistyped one, case and accents aside (`dequalif` finds
    `déqualification`): a name that starts with it, else one that looks like it."""
    import difflib

    wanted = norm_name(given)
    if not wanted:
        return []
    by_key: dict[str, str] = {}
    for name in known:
        by_key.setdefault(norm_name(name), name)
    starts = [name for key, name in by_key.items() if key.startswith(wanted)]
    close = difflib.get_close_matches(wanted, list(by_key), n=n, cutoff=0.6)
    out = list(dict.fromkeys([*starts[:n], *(by_key[k] for k in close)]))
    return out[:n]


def did_you_mean(given: str, known: list[str], then: str | None = None) -> str | None:
    """A hint naming the closest known names, followed by ``then`` (the usual hint)."""
    close = closest_names(given, known)
    if not close:
        return then
    names = " or ".join(repr(name) for name in close)
    return f"did you mean {names}?" + (f" {then}" if then else "")


# Typographic apostrophes (’ ‘ ʼ) read as the one people type.
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def same_apostrophes(text: str) -> str:
    """``text`` with every apostrophe written ' (same length, so offsets stay valid)."""
    return text.translate(APOSTROPHES)


def fold(text: str) -> str:
    """Casefolded, accent-stripped text of the same length for search (one code point each);
    apostrophes are all '."""
    out = []
    for ch in same_apostrophes(text):
        base = unicodedata.normalize("NFD", ch)[0]
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


# Characters that would break a line or a table, or reorder what follows on screen (bidi
# overrides make `gpj.exe` look like `exe.jpg`).
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def readable_path(text: str) -> str:
    """A file name as qualcode stores and shows it.

    A name that is not UTF-8 on disk (an old Latin-1 or Windows system) reaches Python with
    surrogate escapes that no database or terminal can encode: its bytes are read as
    Windows-1252 instead (`entr\\xe9tien` is `entrétien`). Line breaks, control characters
    and direction overrides are written as escapes (`a\\nb.txt`), so the name stays on one
    line, in its order, and can be typed back.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("cp1252", "replace")
    return _UNSHOWABLE.sub(lambda m: _ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text)


def count_words(text: str, chunk: int = 1 << 20) -> int:
    """``len(text.split())`` without building the list: a 60 MB transcript on one line would
    hold 15 million small strings (about 1 GB) just to be counted."""
    if len(text) <= chunk:
        return len(text.split())
    total = 0
    previous_ends_in_word = False
    for start in range(0, len(text), chunk):
        piece = text[start:start + chunk]
        total += len(piece.split())
        if previous_ends_in_word and not piece[0].isspace():
            total -= 1  # one word cut in two by the chunk boundary
        previous_ends_in_word = not piece[-1].isspace()
    return total


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
