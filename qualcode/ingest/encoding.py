"""Decode file bytes: UTF-8 (with or without BOM), UTF-16/32 with BOM, Windows-1252, Latin-1.

Binary content (NUL bytes without a UTF-16 shape, many control characters) is refused with a
clear message rather than stored as garbage.
"""

from __future__ import annotations

import codecs
import re

from ..errors import BINARY_HINT, UNICODE_HINT, InvalidInput

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
# Bytes that Windows-1252 leaves undefined: their presence means Latin-1 (ISO-8859-1).
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# Bytes where Windows-1252 and Latin-1 differ (’ œ … in Windows-1252).
_C1_BYTES = re.compile(rb"[\x80-\x9f]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _looks_utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def check_text(text: str, what: str) -> None:
    """Refuse decoded text that is really binary (control characters) or holds NUL bytes."""
    if "\x00" in text:
        raise InvalidInput(f"{what} contains NUL bytes: it looks like a binary file", BINARY_HINT)
    sample = text[:65536]
    controls = len(_CONTROLS.findall(sample))
    if sample and controls > max(3, len(sample) // 100):
        raise InvalidInput(f"{what} is not text (it holds control characters)", BINARY_HINT)


def decode_bytes(
    data: bytes, what: str = "the file", encoding: str | None = None
) -> tuple[str, str]:
    """Return ``(text, encoding name)``; the BOM is removed. ``encoding`` forces a codec."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InvalidInput(f"{what} cannot be read as {encoding}: {exc}",
                               UNICODE_HINT) from None
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(codec)
            except UnicodeDecodeError:
                raise InvalidInput(f"{what} starts with a {label} mark but is not valid {label}",
                                   UNICODE_HINT) from None
            check_text(text, what)
            return text, label
    guessed = _looks_utf16_without_bom(data)
    if guessed:
        try:
            text = data.decode(guessed)
            check_text(text, what)
            return text, guessed
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise InvalidInput(f"{what} contains NUL bytes: it looks like a binary file", BINARY_HINT)
    try:
        text = data.decode("utf-8")
        label = "utf-8"
    except UnicodeDecodeError:
        # The two agree outside 0x80-0x9F: without such bytes the file is plain Latin-1.
        if _CP1252_UNDEFINED.search(data) or not _C1_BYTES.search(data):
            text, label = data.decode("latin-1"), "latin-1"
        else:
            text, label = data.decode("cp1252"), "cp1252"
    check_text(text, what)
    return text, label
