"""RTF files (`.rtf`), read with striprtf.

RTF is ASCII with escapes (`\\'e9` in the file's code page, `\\u233?` for any character): the
code page named by `\\ansicpg` (Windows-1252 by default) decodes the 8-bit escapes. Each
paragraph (`\\par`) is a paragraph of the text; tables become one line per row; headers,
footers, footnotes and comments are destinations striprtf leaves out.
"""

from __future__ import annotations

import re

from ..errors import InvalidInput
from .base import Parsed
from .turns import segment_text

_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")
RTF_HINT = "open it in a word processor and save it again as .rtf, .docx or .odt"


def read(data: bytes, *, what: str, encoding: str | None = None,
         interviewers: tuple[str, ...] = (), fmt: str = "rtf",
         names: tuple[str, ...] = ()) -> Parsed:
    from striprtf.striprtf import rtf_to_text

    start = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not start.lstrip().startswith(b"{\\rtf"):
        raise InvalidInput(f"{what} is not an RTF file (it does not start with {{\\rtf)",
                           RTF_HINT)
    m = _CODEPAGE.search(start[:4000])
    codepage = encoding or (f"cp{m.group(1).decode()}" if m else "cp1252")
    if codepage == "cp65001":
        codepage = "utf-8"
    try:
        source = start.decode("latin-1")  # the markup itself is ASCII; escapes carry the rest
        raw = rtf_to_text(source, encoding=codepage, errors="replace")
    except LookupError:
        raise InvalidInput(f"{what}: unknown code page {codepage}",
                           "pass --encoding with the file's code page, e.g. cp1252") from None
    except Exception as exc:  # striprtf raises bare errors on broken groups
        raise InvalidInput(f"{what} is not a readable RTF file ({exc})", RTF_HINT) from None
    # One paragraph per RTF paragraph: a blank line between them keeps them apart.
    body = "\n\n".join(line.strip() for line in raw.replace("\r", "\n").split("\n")
                       if line.strip())
    text, segments = segment_text(body, interviewers, names=names)
    return Parsed(text, segments, fmt, codepage)
