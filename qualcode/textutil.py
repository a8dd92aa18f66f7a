"""Small text helpers shared by every layer (no heavy imports)."""

from __future__ import annotations

import hashlib
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


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
