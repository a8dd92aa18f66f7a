"""Decode file bytes: UTF-8 (with or without BOM), UTF-16/32 with BOM, Windows-1252, Latin-1.

Binary content (NUL bytes without a clear UTF-16 shape, many control characters) is refused
with a clear message rather than stored as garbage, and so is a UTF-8 file holding a stray
byte of another encoding: reading all of it as Windows-1252 would garble every other accent.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

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
# Well-formed UTF-8 sequences for the characters French text uses: U+00A0-U+017F (é è à ç œ
# « » no-break space...), U+2000-U+206F (’ “ ” … – —) and €. Windows-1252 text does not hold
# them by accident: they would read `Ã©`, `Å“` or `â€™` there. Accidental pairs such as `É…`
# (C9 85, U+0245) fall outside these ranges, so a real Windows-1252 file is still read as one.
_FRENCH_UTF8 = re.compile(rb"\xc2[\xa0-\xbf]|[\xc3-\xc5][\x80-\xbf]|\xe2\x80[\x80-\xbf]"
                          rb"|\xe2\x81[\x80-\xaf]|\xe2\x82\xac")
# BOM-less UTF-16 needs strong evidence: a NUL in the high byte of most characters.
UTF16_MIN_BYTES = 8
UTF16_NUL_SHARE = 0.7  # of the characters, NUL in the high byte
UTF16_TEXT_SHARE = 0.95  # of the decoded characters, letters, digits, spaces or punctuation


def _looks_utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the bytes clearly are BOM-less UTF-16 text, else None.

    Strong evidence only: an even length of at least ``UTF16_MIN_BYTES``, NUL bytes in the
    high-byte position of most characters and almost never in the other, and a decoded sample
    that is mostly letters, digits, spaces and punctuation. `a\\0b` is binary, not UTF-16.
    """
    if len(data) < UTF16_MIN_BYTES or len(data) % 2:
        return None
    sample = data[:4096]
    half = len(sample) // 2
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls >= UTF16_NUL_SHARE * half and even_nuls <= 0.05 * half:
        codec = "utf-16-le"
    elif even_nuls >= UTF16_NUL_SHARE * half and odd_nuls <= 0.05 * half:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = sample.decode(codec, errors="strict")
    except UnicodeDecodeError:  # a surrogate pair cut at the sample's end, or not UTF-16
        text = sample[:-2].decode(codec, errors="replace")
    textual = sum(1 for ch in text
                  if ch in "\n\r\t" or unicodedata.category(ch)[0] in "LNPZ")
    return codec if text and textual >= UTF16_TEXT_SHARE * len(text) else None


def _mixed_utf8_error(data: bytes, error: UnicodeDecodeError, what: str) -> InvalidInput:
    """The refusal of a UTF-8 file holding a byte of another encoding, with its place."""
    # A position, never the words around it: error lines end up in terminals and logs.
    bad = error.start
    line_start = data.rfind(b"\n", 0, bad) + 1
    line = data.count(b"\n", 0, bad) + 1
    before = data[line_start:bad].decode("utf-8", errors="replace")
    return InvalidInput(
        f"{what} is UTF-8 except for byte 0x{data[bad]:02X} at line {line}, column "
        f"{len(before) + 1} (byte offset {bad}): it mixes two encodings",
        "re-save the file as UTF-8 after fixing that character, or force one encoding for the "
        "whole file with --encoding, e.g. --encoding cp1252")


# What Windows-1252 / Latin-1 text in French (and the names and notes around it) holds
# beyond ASCII. A file whose only non-ASCII bytes read as none of these (`ÿþý`, stray bytes
# of a binary or of a broken copy) is not taken for Latin-1 silently.
_WESTERN = set("àâäáãåçéèêëíìîïñóòôöõúùûüœæøßÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜŒÆØ"
               "«»‘’‚“”„…–—•€£$¢¥§©®°±²³µ¶·¹º½¼¾¿¡ª×÷\xa0\xad")


def _refuse_implausible_single_byte(data: bytes, text: str, label: str, what: str) -> None:
    if any(ch in _WESTERN for ch in text if ord(ch) > 127):
        return
    bad = next(i for i, b in enumerate(data) if b > 127)
    line = data.count(b"\n", 0, bad) + 1
    column = bad - (data.rfind(b"\n", 0, bad) + 1) + 1
    found = " ".join(f"0x{b:02X}" for b in dict.fromkeys(b for b in data if b > 127))
    raise InvalidInput(
        f"{what} is ASCII except for byte(s) {found[:60]} (first at line {line}, column "
        f"{column}), which are no accented letters in {label} or UTF-8",
        f"fix those bytes, or pass --encoding {label} if they are really meant")


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
    except UnicodeDecodeError as exc:
        if _FRENCH_UTF8.search(data):
            raise _mixed_utf8_error(data, exc, what) from None
        # The two agree outside 0x80-0x9F: without such bytes the file is plain Latin-1.
        if _CP1252_UNDEFINED.search(data) or not _C1_BYTES.search(data):
            text, label = data.decode("latin-1"), "latin-1"
        else:
            text, label = data.decode("cp1252"), "cp1252"
        _refuse_implausible_single_byte(data, text, label, what)
    check_text(text, what)
    return text, label
