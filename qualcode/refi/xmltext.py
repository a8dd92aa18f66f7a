"""XML details of REFI-QDA files: safe text, GUIDs, dates, and serialisation that keeps CRs.

XML 1.0 cannot carry some characters (C0 controls other than tab/LF/CR, lone surrogates,
U+FFFE/U+FFFF): they become U+FFFD, one code point for one, so no position ever shifts. A raw
CR inside element text would be read back as LF, so it is written as the reference ``&#13;``.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from functools import lru_cache

PROJECT_NS = "urn:QDA-XML:project:1.0"
# Fixed namespace for GUIDs qualcode derives from names (variables), so they are stable
# across exports and across databases.
QUALCODE_NS = uuid.UUID("8f5b7a52-2f0e-5b43-9a43-5b1c6f0a9e71")

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                   r"-[0-9a-fA-F]{12})\}?")


def xml_safe(text: str) -> str:
    """Replace characters XML 1.0 cannot hold by U+FFFD (same length)."""
    return _ILLEGAL.sub("\ufffd", text)


@lru_cache(maxsize=4096)
def norm_guid(value: str | None) -> str | None:
    """Lowercase GUID without braces; None when ``value`` is not a GUID. Cached: the GUIDs a
    project repeats on every selection (its users, its codes) become one string each."""
    if not value:
        return None
    if len(value) == 36 and value.islower() and _GUID.fullmatch(value):
        return value  # already normal: no new string
    match = _GUID.fullmatch(value.strip())
    return match.group(1).lower() if match else None


def guid_or_derived(value: str | None, *key: str) -> str:
    """The normalised GUID, or a stable one derived from the raw value and ``key``."""
    guid = norm_guid(value)
    if guid:
        return guid
    return str(uuid.uuid5(QUALCODE_NS, "|".join([value or "", *key])))


def derive(base_guid: str, key: str) -> str:
    """A stable GUID for an object derived from a stored one (a selection of a coding...)."""
    try:
        namespace = uuid.UUID(base_guid)
    except ValueError:
        namespace = uuid.uuid5(QUALCODE_NS, base_guid)
    return str(uuid.uuid5(namespace, key))


def format_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes: they were stored in UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def local(tag: str) -> str:
    """Tag without its namespace: files use several namespace spellings."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def strip_namespaces(root: ET.Element) -> ET.Element:
    for el in root.iter():
        el.tag = local(el.tag)
        for key in [k for k in el.attrib if k.startswith("{")]:
            el.attrib[local(key)] = el.attrib.pop(key)
    return root


def sub(parent: ET.Element, tag: str, attrib: dict[str, str | None] | None = None,
        text: str | None = None) -> ET.Element:
    """A child with the attributes that have a value, all made XML-safe."""
    el = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in (attrib or {}).items()
                                     if v is not None})
    if text is not None:
        el.text = xml_safe(text)
    return el


def _sentinel(used: str) -> str:
    for code in range(0xE000, 0xF900):  # private use area: absent from almost every text
        if chr(code) not in used:
            return chr(code)
    raise ValueError("no free private-use character to stand for CR")


def serialise(root: ET.Element) -> bytes:
    """UTF-8 XML with a declaration; CRs inside element text written as ``&#13;``."""
    texts = [t for el in root.iter() for t in (el.text, el.tail) if t]
    crs = any("\r" in t for t in texts)
    mark = ""
    if crs:
        mark = _sentinel("".join(texts)
                         + "".join(v for el in root.iter() for v in el.attrib.values()))
        for el in root.iter():
            if el.text and "\r" in el.text:
                el.text = el.text.replace("\r", mark)
            if el.tail and "\r" in el.tail:
                el.tail = el.tail.replace("\r", mark)
    body = ET.tostring(root, encoding="unicode")
    if crs:
        body = body.replace(mark, "&#13;")
        for el in root.iter():  # leave the tree as it was given
            if el.text and mark in el.text:
                el.text = el.text.replace(mark, "\r")
            if el.tail and mark in el.tail:
                el.tail = el.tail.replace(mark, "\r")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")
