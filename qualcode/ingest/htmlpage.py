"""HTML pages (`.html`, `.htm`), read with lxml.html.

The page's block elements (paragraphs, headings, list items, table rows, quotes, `div`s that
hold text) are the paragraphs of the text; inline elements stay inside their paragraph; `<br>`
breaks a line. Scripts, styles, forms, the `<head>` and comments are not text and are dropped.
The encoding is the byte-order mark's, else the `<meta charset>`'s, else detected.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidInput
from .base import Parsed
from .encoding import decode_bytes
from .turns import segment_text

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._-]+)""", re.I)
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
DROPPED = frozenset({"script", "style", "noscript", "template", "head", "title", "meta",
                     "link", "iframe", "object", "svg", "math", "form", "button", "select",
                     "textarea", "input", "nav"})
BLOCKS = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "pre",
    "tr", "section", "article", "aside", "header", "footer", "main", "figcaption", "caption",
    "address", "table", "ul", "ol", "dl", "hr", "body", "details", "summary", "center",
})
CELLS = frozenset({"td", "th"})
BR = "\u2028"  # a <br>: source newlines are mere spaces in HTML, this one is a line break


def read(data: bytes, *, what: str, encoding: str | None = None,
         interviewers: tuple[str, ...] = (), fmt: str = "html",
         names: tuple[str, ...] = ()) -> Parsed:
    import lxml.html
    from lxml.etree import ParserError

    declared = _CHARSET.search(data[:4096])
    if encoding is None and declared and not data.startswith(
            (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        encoding = declared.group(1).decode("ascii").lower()
        try:
            source, used = data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            source, used = decode_bytes(data, what)
    else:
        source, used = decode_bytes(data, what, encoding)
    try:
        root = lxml.html.document_fromstring(_DECLARATION.sub("", source))
    except (ParserError, ValueError) as exc:
        raise InvalidInput(f"{what} is not a readable HTML page ({exc})",
                           "save the page again from a browser as HTML") from None
    blocks: list[str] = []
    current: list[str] = []
    _walk(root, blocks, current)
    _flush(blocks, current)
    text, segments = segment_text("\n\n".join(blocks), interviewers, names=names)
    meta: dict[str, Any] = {}
    title = root.findtext(".//title")
    if title and title.strip():
        meta["title"] = " ".join(title.split())
    return Parsed(text, segments, fmt, used, meta)


def _flush(blocks: list[str], current: list[str]) -> None:
    lines = [" ".join(line.split()) for line in "".join(current).split(BR)]
    block = "\n".join(line for line in lines if line)
    if block:
        blocks.append(block)
    current.clear()


def _walk(el: Any, blocks: list[str], current: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag.lower() in DROPPED or not tag:  # comments and processing instructions too
        current.append(el.tail or "")
        return
    tag = tag.lower()
    block = tag in BLOCKS
    if block:
        _flush(blocks, current)
    if tag == "br":
        current.append(BR)
    elif tag in CELLS and current and "".join(current).strip():
        current.append(" | ")
    if tag == "pre":
        current.append(BR.join(el.text_content().split("\n")))
    else:
        current.append(el.text or "")
        for child in el:
            _walk(child, blocks, current)
    if block:
        _flush(blocks, current)
    current.append(el.tail or "")
