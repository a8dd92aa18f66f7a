"""Checks and normal forms shared by every codebook source: names, colours, GUIDs."""

from __future__ import annotations

import re
import unicodedata
import uuid

from ..errors import InvalidInput

MAX_NAME = 200
# Real codebooks nest a few levels; a limit keeps every recursive walk far from Python's.
MAX_DEPTH = 100
_COLOUR = re.compile(r"#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def code_key(name: str) -> str:
    """Key for case-insensitive matching of code names (accents still count; ’ is ')."""
    name = unicodedata.normalize("NFC", name).replace("\u2019", "'")
    return " ".join(name.casefold().split())


def clean_name(name: str, what: str = "code") -> str:
    """A code name as stored: NFC, spaces at both ends stripped; empty or control chars refused."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise InvalidInput(f"a {what} name cannot be empty", f"give the {what} a name")
    bad = [c for c in cleaned if unicodedata.category(c) in ("Cc", "Zl", "Zp")]
    if bad:
        raise InvalidInput(f"the {what} name {cleaned!r} contains a control character "
                           f"(U+{ord(bad[0]):04X})", "use letters, digits, spaces and apostrophes")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"the {what} name {cleaned[:40]!r}... is longer than {MAX_NAME} "
                           "characters", "shorten it")
    return cleaned


def check_depth(depth: int, name: str) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput(f"the codebook nests codes more than {MAX_DEPTH} levels deep (at "
                           f"code {name[:40]!r})", "no real codebook is that deep: check the file")


def parse_colour(value: str) -> str | None:
    """`#RRGGBB` (or `#RGB`) -> `#RRGGBB` upper case; None when it is not a colour."""
    value = value.strip()
    if not _COLOUR.fullmatch(value):
        return None
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.upper()


def check_colour(value: str, where: str) -> str:
    colour = parse_colour(value)
    if colour is None:
        raise InvalidInput(f"{where}: colour {value!r} is not #RRGGBB",
                           'write a quoted colour like "#B03A2E"')
    return colour


def normalise_guid(value: str | None) -> str | None:
    """GUIDs compare case-insensitively without braces; a malformed one becomes a stable UUID
    derived from it, so references to it inside the same file still match."""
    if value is None:
        return None
    raw = value.strip()
    if not raw:
        return None
    guid = raw.strip("{}").lower()
    if _GUID.fullmatch(guid):
        return guid
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "qualcode-guid:" + raw))
