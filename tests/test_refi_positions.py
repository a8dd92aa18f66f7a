"""Positions: UTF-16 code units (NVivo for Windows), CRLF, NFC, and the offset maps."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from support.refi import coded_texts

from qualcode.db import Database
from qualcode.refi import positions
from qualcode.refi.importer import import_qdpx
from qualcode.refi.xmltext import serialise, xml_safe

CODE_A = "11111111-aaaa-4aaa-8aaa-000000000001"
CODE_B = "11111111-aaaa-4aaa-8aaa-000000000002"
USER = "22222222-bbbb-4bbb-8bbb-000000000001"
SOURCE = "33333333-cccc-4ccc-8ccc-000000000001"

# CRLF line ends and characters outside the BMP (each is 2 UTF-16 code units).
NVIVO_TEXT = ("Enquêtrice : Vous prenez le bus ?\r\n"
              "Samia : Oui 🚌 tous les jours, puis à pied 🚶.\r\n"
              "Enquêtrice : Et au guichet ?\r\n"
              "Samia : Toujours bondé 😤, on attend debout.")


def u16(text: str, fragment: str) -> tuple[int, int]:
    """UTF-16 offsets of ``fragment`` in ``text``, as NVivo for Windows counts them."""
    i = text.index(fragment)
    start = len(text[:i].encode("utf-16-le")) // 2
    return start, start + len(fragment.encode("utf-16-le")) // 2


def build_qdpx(path: Path, *, origin: str, text: str, selections: list[tuple[int, int, str]],
               encoding_bom: bool = True) -> Path:
    """A one-source project: ``selections`` are (start, end, code GUID)."""
    sels = "".join(
        f'<PlainTextSelection guid="{{44444444-DDDD-4DDD-8DDD-{n:012d}}}" '
        f'startPosition="{a}" endPosition="{b}" creatingUser="{USER.upper()}">'
        f'<Coding guid="55555555-eeee-4eee-8eee-{n:012d}" creatingUser="{USER}">'
        f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
        for n, (a, b, code) in enumerate(selections))
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="Bus" origin="{origin}">'
        f'<Users><User guid="{USER}" name="Samia K."/></Users>'
        f'<CodeBook><Codes><Code guid="{CODE_A}" name="transport" isCodable="true"/>'
        f'<Code guid="{CODE_B}" name="attente" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{SOURCE}" name="samia.txt" '
        f'plainTextPath="internal://{SOURCE}.txt">{sels}</TextSource></Sources></Project>')
    data = text.encode("utf-8")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr(f"sources/{SOURCE}.txt", (b"\xef\xbb\xbf" if encoding_bom else b"") + data)
    return path


def test_utf16_helper_by_hand() -> None:
    # "Samia : Oui " starts after line 1 (33 chars + CRLF = 35 units); 🚌 is 2 units.
    assert u16(NVIVO_TEXT, "tous les jours") == (35 + 15, 35 + 29)


def _import(db: Database, path: Path) -> dict:
    with db.session(write=True) as s:
        return import_qdpx(s, path, coder="testeur")


EXPECTED = [
    ("samia.txt", "attente", "Samia K.", "Toujours bondé 😤, on attend debout."),
    ("samia.txt", "transport", "Samia K.", "Oui 🚌 tous les jours"),
    ("samia.txt", "transport", "Samia K.", "pied 🚶."),
]


def _selections() -> list[tuple[int, int, str]]:
    return [(*u16(NVIVO_TEXT, "Oui 🚌 tous les jours"), CODE_A),
            (*u16(NVIVO_TEXT, "pied 🚶."), CODE_A),
            (*u16(NVIVO_TEXT, "Toujours bondé 😤, on attend debout."), CODE_B)]


def test_nvivo_windows_utf16_positions(db: Database, tmp_path: Path) -> None:
    path = build_qdpx(tmp_path / "nvivo.qdpx", origin="NVivo 14 (Windows)", text=NVIVO_TEXT,
                      selections=_selections())
    report = _import(db, path)
    assert report["positions"] == "UTF-16 code units"
    assert report["unplaced"] == []
    assert coded_texts(db) == EXPECTED
    with db.session() as s:
        from sqlalchemy import select

        from qualcode.models import Document

        text = s.scalar(select(Document.text))
    assert "\r" not in text and text.count("\n") == 3  # stored with LF line ends


def test_utf16_detected_without_origin(db: Database, tmp_path: Path) -> None:
    """The last selection ends past the code-point length: only UTF-16 fits."""
    path = build_qdpx(tmp_path / "x.qdpx", origin="", text=NVIVO_TEXT,
                      selections=_selections())
    report = _import(db, path)
    assert report["positions"] == "UTF-16 code units"
    assert coded_texts(db) == EXPECTED


def test_code_points_with_emoji_stay_code_points(db: Database, tmp_path: Path) -> None:
    start = NVIVO_TEXT.index("pied 🚶.")
    path = build_qdpx(tmp_path / "cp.qdpx", origin="QualCoder 3.5", text=NVIVO_TEXT,
                      selections=[(start, start + len("pied 🚶."), CODE_A)])
    report = _import(db, path)
    assert report["positions"] == "code points"
    assert coded_texts(db) == [("samia.txt", "transport", "Samia K.", "pied 🚶.")]


def test_selection_splitting_a_surrogate_pair_is_reported(db: Database, tmp_path: Path) -> None:
    start, end = u16(NVIVO_TEXT, "Oui 🚌")
    bad = (start, end - 1, CODE_A)  # ends between the two halves of 🚌
    path = build_qdpx(tmp_path / "bad.qdpx", origin="NVivo 14 (Windows)", text=NVIVO_TEXT,
                      selections=[*_selections(), bad])
    report = _import(db, path)
    assert coded_texts(db) == EXPECTED
    assert len(report["unplaced"]) == 1
    unplaced = report["unplaced"][0]
    assert (unplaced["start"], unplaced["end"], unplaced["code"]) == (start, end - 1,
                                                                      "transport")
    assert "splits a character" in unplaced["reason"]


def test_selection_outside_text_is_reported(db: Database, tmp_path: Path) -> None:
    path = build_qdpx(tmp_path / "out.qdpx", origin="QualCoder", text="Court texte.",
                      selections=[(0, 5, CODE_A), (6, 400, CODE_B), (3, 3, CODE_A)])
    report = _import(db, path)
    assert coded_texts(db) == [("samia.txt", "transport", "Samia K.", "Court")]
    reasons = sorted(u["reason"] for u in report["unplaced"])
    assert len(reasons) == 2 and "empty" in reasons[1] and "outside" in reasons[0]


def test_atlas_counts_crlf_once(db: Database, tmp_path: Path) -> None:
    lf = NVIVO_TEXT.replace("\r\n", "\n")
    start = lf.index("Toujours")
    path = build_qdpx(tmp_path / "atlas.qdpx", origin="ATLAS.ti 23 Windows", text=NVIVO_TEXT,
                      selections=[(start, start + len("Toujours bondé"), CODE_B)])
    report = _import(db, path)
    assert report["positions"] == "code points, CRLF counted once"
    assert coded_texts(db) == [("samia.txt", "attente", "Samia K.", "Toujours bondé")]


def test_nfc_normalisation_moves_positions(db: Database, tmp_path: Path) -> None:
    """A decomposed é (e + U+0301) is stored composed: later positions shift by one."""
    text = "Le cafe\u0301 ferme. Le guichet ouvre."
    start = text.index("guichet")
    path = build_qdpx(tmp_path / "nfd.qdpx", origin="", text=text,
                      selections=[(start, start + 7, CODE_A), (3, 8, CODE_B)])
    _import(db, path)
    assert coded_texts(db) == [("samia.txt", "attente", "Samia K.", "café"),
                               ("samia.txt", "transport", "Samia K.", "guichet")]


# --- the maps themselves -----------------------------------------------------------------------

def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


@given(st.lists(st.sampled_from(["a", "é", "e\u0301", "\r\n", "\r", "\n", "🚌", " ", "x"]),
                max_size=25))
def test_normalise_map_follows_every_piece(pieces: list[str]) -> None:
    raw = "".join(pieces)
    stored, mapping = positions.normalise(raw)
    assert stored == _norm(raw)
    assert len(mapping) == len(raw) + 1 and mapping[-1] == len(stored)
    assert all(a <= b for a, b in zip(mapping, mapping[1:], strict=False))
    pos = 0
    for piece in pieces:
        pos += len(piece)
        if raw[pos - 1:pos + 1] != "\r\n":  # a boundary between CR and LF has no image
            assert mapping[pos] == len(_norm(raw[:pos]))


@given(st.text(max_size=40))
def test_utf16_positions_round_trip(text: str) -> None:
    conv = positions.RawPositions(text, ("utf16", 2))
    for i in range(len(text) + 1):
        unit = len(text[:i].encode("utf-16-le", "surrogatepass")) // 2
        assert conv.to_raw(unit) == i


def test_xml_safe_keeps_length() -> None:
    dirty = "a\x00b\x0bc\x0cd\x1fe\ud800f\ufffeg\uffffh\ti\nj\rk🚌"
    clean = xml_safe(dirty)
    assert len(clean) == len(dirty)
    assert clean == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg\ufffdh\ti\nj\rk🚌"


def test_serialise_writes_cr_as_reference() -> None:
    import xml.etree.ElementTree as ET

    import defusedxml.ElementTree as DET

    root = ET.Element("Note", {"name": "a\rb"})
    root.text = "ligne 1\r\nligne 2\r"
    data = serialise(root)
    assert b"ligne 1&#13;\nligne 2&#13;" in data
    back = DET.fromstring(data)
    assert back.text == "ligne 1\r\nligne 2\r" and back.get("name") == "a\rb"
    assert root.text == "ligne 1\r\nligne 2\r"  # the tree given is left as it was
