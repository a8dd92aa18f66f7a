"""Decoding file bytes: UTF-8 with or without BOM, UTF-16, Windows-1252, Latin-1, binary."""

from __future__ import annotations

import codecs

import pytest

from qualcode.errors import InvalidInput
from qualcode.ingest.encoding import decode_bytes

PHRASE = "L’œuvre d’accueil, déjà évoquée… à Noël"


@pytest.mark.parametrize("data, text, label", [
    ("Été à l’accueil".encode(), "Été à l’accueil", "utf-8"),
    (codecs.BOM_UTF8 + "Été".encode(), "Été", "utf-8-sig"),
    (codecs.BOM_UTF16_LE + "Été".encode("utf-16-le"), "Été", "utf-16"),
    (codecs.BOM_UTF16_BE + "Été".encode("utf-16-be"), "Été", "utf-16"),
    (PHRASE.encode("cp1252"), PHRASE, "cp1252"),
    ("Été déjà à Noël".encode("latin-1"), "Été déjà à Noël", "latin-1"),
    (b"plain ascii", "plain ascii", "utf-8"),
])
def test_detects_and_decodes(data, text, label):
    assert decode_bytes(data) == (text, label)


def test_utf16_without_bom_is_recognised():
    data = "Bonjour à toutes et à tous".encode("utf-16-le")
    assert decode_bytes(data) == ("Bonjour à toutes et à tous", "utf-16-le")


def test_cp1252_typographic_characters_survive():
    text, label = decode_bytes("c\x92est l\x9cuvre\x85".encode("latin-1"))
    assert (text, label) == ("c’est lœuvre…", "cp1252")


def test_byte_undefined_in_cp1252_means_latin1():
    text, label = decode_bytes(b"caf\xe9 \x81")
    assert label == "latin-1" and text.startswith("café")


def test_forced_encoding():
    assert decode_bytes("Été".encode("cp1252"), encoding="cp1252") == ("Été", "cp1252")
    with pytest.raises(InvalidInput, match="cannot be read as utf-8"):
        decode_bytes("Été".encode("cp1252"), "notes.txt", encoding="utf-8")


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    bytes(range(256)) * 4,
    b"\x01\x02\x03\x04\x05\x06 texte \x07\x08\x0e\x0f\x10",
])
def test_binary_is_refused(data):
    with pytest.raises(InvalidInput, match="binary|not text"):
        decode_bytes(data, "photo.png")


def test_bad_utf8_after_bom_is_refused():
    with pytest.raises(InvalidInput, match="utf-8-sig"):
        decode_bytes(codecs.BOM_UTF8 + b"caf\xe9")
