"""Small text helpers shared by every layer (no heavy imports)."""

from __future__ import annotations

import hashlib
import unicodedata


def norm_name(name: str) -> str:
    """Key for case- and accent-insensitive matching of names: `Hélène` ~ `HELENE`."""
    decomposed = unicodedata.normalize("NFD", name.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.replace("\u2019", "'").split())


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


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
