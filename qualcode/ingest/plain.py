"""Plain text and Markdown (`.txt`, `.md`), with optional YAML front matter.

Front matter is a block between `---` lines at the very top; the keys qualcode uses are
`kind`, `date`, `site`, `agents` (a list or `A, B`) and `interviewer` (one label or a list).
The stored text is the body after the front matter.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..errors import InvalidInput
from .base import Parsed
from .encoding import decode_bytes
from .normalise import clean
from .turns import segment_text

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$\n?", re.S | re.M)
KINDS = ("interview", "observation", "document")


def as_list(value: Any) -> list[str]:
    """A front-matter value as a list of names: `[A, B]`, `A, B` or `A`."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def split_front_matter(text: str, what: str, strict: bool = True) -> tuple[dict[str, Any], str]:
    """(metadata, body); text without front matter gives ({}, text).

    With ``strict=False`` (plain .txt, where `---` lines may be mere separators) a block that
    is not a YAML mapping is left in the text instead of being an error.
    """
    if not text.startswith("---"):
        return {}, text
    m = _FRONT.match(text)
    if m is None:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        if not strict:
            return {}, text
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise InvalidInput(f"{what}: the front matter is not valid YAML{where}",
                           "fix the block between the --- lines at the top") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        if not strict:
            return {}, text
        raise InvalidInput(f"{what}: the front matter must be `key: value` lines",
                           "write e.g. `kind: interview` between the --- lines")
    meta = _json_safe(data)
    kind = meta.get("kind")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"{what}: front matter kind {kind!r} is not one of "
                           f"{', '.join(KINDS)}", "fix the `kind:` line")
    return meta, text[m.end():]


def parse_plain(text: str, what: str = "the file", interviewers: tuple[str, ...] = (),
                fmt: str = "txt", encoding: str = "utf-8", names: tuple[str, ...] = ()) -> Parsed:
    """Decoded text -> Parsed (front matter, turns or paragraphs).

    ``names`` (the agents given with --agent) and the front matter's `agents` are speaker
    names that count as labels when alone on their line.
    """
    meta, body = split_front_matter(clean(text), what, strict=fmt == "md")
    labels = (*interviewers, *as_list(meta.get("interviewer")),
              *as_list(meta.get("interviewers")))
    speakers = (*names, *as_list(meta.get("agents")))
    stored, segments = segment_text(body, labels, names=speakers)
    return Parsed(stored, segments, fmt, encoding, meta)


def read(data: bytes, *, what: str, encoding: str | None = None,
         interviewers: tuple[str, ...] = (), fmt: str = "txt",
         names: tuple[str, ...] = ()) -> Parsed:
    text, used = decode_bytes(data, what, encoding)
    return parse_plain(text, what, interviewers, fmt, used, names)
