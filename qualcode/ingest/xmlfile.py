"""XML files (`.xml`, `.tei`): parsed once with defusedxml, then read by their root element.

An `.xml` file may be a TEI transcription (root `TEI`, `TEI.2` or `teiCorpus`) or a
Transcriber file saved under another suffix (root `Trans`); anything else is refused with
the root it has, so a user knows which tool made it.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidInput
from .base import Parsed

_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
TEI_ROOTS = frozenset({"TEI", "TEI.2", "teiCorpus"})


def local(tag: Any) -> str:
    """`{http://www.tei-c.org/ns/1.0}u` -> `u`; comments and processing instructions -> ``''``."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_xml(data: bytes, what: str, encoding: str | None, hint: str) -> tuple[Any, str]:
    """(root element, encoding name) of XML bytes; a forced ``encoding`` wins over the
    declaration. Malformed XML is one clear error with ``hint``."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        used = "utf-16"
    else:
        start = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        declared = _DECLARED.match(start[:200])
        used = declared.group(1).decode("ascii").lower() if declared else "utf-8"
        data = start
    if encoding:
        # Re-encode under the forced codec so the parser sees one encoding only.
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InvalidInput(f"{what} cannot be read as {encoding}: {exc}") from None
        data = _DECLARATION.sub("", text.lstrip("\ufeff")).encode("utf-8")
        used = encoding
    try:
        return fromstring(data), used
    except (ParseError, DefusedXmlException, LookupError, ValueError) as exc:
        raise InvalidInput(f"{what} is not well-formed XML ({exc})", hint) from None


def read(data: bytes, *, what: str, encoding: str | None = None,
         interviewers: tuple[str, ...] = (), fmt: str = "xml",
         names: tuple[str, ...] = ()) -> Parsed:
    """An `.xml` or `.tei` file: TEI, or a Transcriber file under another suffix."""
    from . import tei, trs

    root, used = parse_xml(data, what, encoding, tei.MALFORMED_HINT)
    tag = local(root.tag)
    if tag in TEI_ROOTS:
        return tei.read_root(root, what=what, encoding=used, interviewers=interviewers)
    if tag == "Trans":
        return trs.read(data, what=what, encoding=encoding, interviewers=interviewers,
                        names=names)
    raise InvalidInput(
        f"{what} is XML with root <{tag}>, not a format qualcode reads",
        "qualcode reads TEI (root <TEI>) and Transcriber (root <Trans>) XML; export the "
        "text from the tool that made it as .txt, .docx or .trs")
