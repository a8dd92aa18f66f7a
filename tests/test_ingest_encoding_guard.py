"""Encoding guards: a UTF-8 file with a stray byte of another encoding is refused with its
place; BOM-less UTF-16 needs strong evidence, so a short file with a NUL byte stays binary."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.errors import InvalidInput
from qualcode.ingest.encoding import decode_bytes

# UTF-8 everywhere except the `é` of `café` on line 2, written as the Latin-1 byte 0xE9.
MIXED = ("Enquêtrice : Ça se passe comment ?\n".encode()
         + "Hélène : Le caf".encode() + b"\xe9" + " était froid, mais l’équipe est là.\n".encode()
         + "Enquêtrice : Et après ?\n".encode())


def test_mostly_utf8_with_one_latin1_byte_is_refused_with_its_place():
    with pytest.raises(InvalidInput) as caught:
        decode_bytes(MIXED, "hélène.txt")
    message = str(caught.value)
    # Line 2: `Hélène : Le caf` is 15 characters, so the stray byte is column 16.
    assert message.startswith("hélène.txt is UTF-8 except for byte 0xE9 at line 2, column 16")
    assert "\n" not in message
    assert "froid" not in message and "caf" not in message  # a position, not the words
    assert "re-save the file as UTF-8" in caught.value.hint
    assert "--encoding" in caught.value.hint


def test_mixed_file_on_the_command_line_one_error_line_nothing_stored(cli, tmp_path):
    path = tmp_path / "hélène.txt"
    path.write_bytes(MIXED)
    result = cli("ingest", path)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "Error: hélène.txt is UTF-8 except for byte 0xE9 at line 2, column 16")
    assert cli.json("docs", "list") == []
    # --encoding still forces one encoding for the whole file.
    assert cli.json("ingest", path, "--encoding", "cp1252")[0]["encoding"] == "cp1252"


@pytest.mark.parametrize("text, label", [
    ("L’été, « déjà » : œuvre… 10 €", "cp1252"),
    # `É…` is C9 85, a well-formed UTF-8 pair (U+0245) by accident: still Windows-1252.
    ("CAFÉ… l’été à Noël", "cp1252"),
    ("Réunion à Noël, très animée.", "latin-1"),
])
def test_pure_windows_1252_and_latin1_are_still_read(text, label):
    assert decode_bytes(text.encode(label)) == (text, label)


FRENCH = "abcdefghijklmnopqrstuvwxyzéèêëàâîïôùûüçœÉÈÊÀÇŒ’«»…–— .,;:!?'-\n"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=FRENCH, max_size=60), st.text(alphabet=FRENCH, max_size=60))
def test_property_windows_1252_text_round_trips(before, after):
    # `été` makes the bytes invalid UTF-8 (E9 74), as in any real French cp1252 file.
    text = f"{before} été {after}".replace("\r", "")
    decoded, label = decode_bytes(text.encode("cp1252"))
    assert decoded == text and label in ("cp1252", "latin-1")


@pytest.mark.parametrize("data", [
    b"a\x00b\n",  # the tester's 4-byte file: once read as UTF-16 "a\u0a62"
    b"ab\x00\x00cd\x00\x00ef\x00\x00",  # NULs in both positions
    "Bonjour à tous".encode("utf-16-le") + b"x",  # odd length
    # NULs in the odd positions, but the characters are C1 controls U+0080-U+009F
    bytes(b for c in range(0x80, 0xA0) for b in (c, 0)),
])
def test_nul_bytes_without_strong_utf16_evidence_are_binary(data):
    with pytest.raises(InvalidInput, match="contains NUL bytes: it looks like a binary file"):
        decode_bytes(data, "f.txt")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_bomless_utf16_text_is_still_read(codec):
    for text in ("Oui.", "E : Ça va ?\nNadia : L’été, oui… « très » bien.\n"):
        assert decode_bytes(text.encode(codec)) == (text, codec)


def test_tiny_nul_file_on_the_command_line(cli, tmp_path):
    (tmp_path / "f.txt").write_bytes(b"a\x00b\n")
    result = cli("ingest", tmp_path / "f.txt")
    assert result.exit_code == 1
    assert result.stderr == ("Error: f.txt contains NUL bytes: it looks like a binary file "
                             "(qualcode reads .txt, .md, .docx, .odt, .rtf, .pdf, .html, .vtt, "
                             ".srt, .trs, .xml/.tei (TEI) and .TextGrid files)\n")
    assert cli.json("docs", "list") == []
