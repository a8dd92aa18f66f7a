"""`export qdpx --positions utf16`: positions as NVivo for Windows counts them, and back."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest
from conftest import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from support.refi import FIXTURES, assert_valid, coded_texts

from qualcode.audit import audited
from qualcode.codebook.model import Codebook, CodeSpec
from qualcode.codebook.service import import_codebook
from qualcode.corpus.coders import get_or_create_coder
from qualcode.corpus.documents import add_document
from qualcode.db import Database, open_db
from qualcode.models import Code, Coding, Document
from qualcode.refi import positions
from qualcode.refi.exporter import export_qdpx
from qualcode.refi.importer import import_qdpx
from qualcode.refi.segmenting import segment

NS = {"q": "urn:QDA-XML:project:1.0"}
NVIVO = FIXTURES / "nvivo_windows_utf16.qdpx"


def _sources(path: Path) -> list[tuple[str, str, list[tuple[int, int, str | None]]]]:
    """(name, text file as written, [(start, end, creatingUser)]) of every TextSource."""
    with zipfile.ZipFile(path) as zf:
        root = DET.fromstring(zf.read("project.qde"))
        out = []
        for src in root.findall("q:Sources/q:TextSource", NS):
            text = zf.read(f"sources/{src.get('guid')}.txt").decode("utf-8")
            sels = [(int(s.get("startPosition")), int(s.get("endPosition")),
                     s.get("creatingUser"))
                    for s in src.findall("q:PlainTextSelection", NS)]
            out.append((src.get("name"), text, sels))
    return out


def _origin(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return DET.fromstring(zf.read("project.qde")).get("origin")


def _utf16_slice(text: str, start: int, end: int) -> str:
    """What a tool counting UTF-16 code units selects."""
    return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")


def _fresh(tmp_path: Path, name: str) -> Database:
    return open_db(str(tmp_path / name))


TEXT = ("Marie : Je prends le bus 🚌 tous les jours, 😤 il est bondé.\r\n"
        "E : Et ensuite ?\r\n"
        "Marie : À pied 🚶 jusqu’au bureau 🏢.\r\n")


def test_cli_utf16_export_selects_the_same_characters_in_nvivo_terms(cli, tmp_path: Path
                                                                     ) -> None:
    """The text file has CRLF line ends and each selection, counted in UTF-16 code units of
    that file, covers exactly the characters coded in qualcode."""
    (tmp_path / "marie.txt").write_bytes(TEXT.encode("utf-8"))
    cli.ok("ingest", str(tmp_path / "marie.txt"))
    (tmp_path / "book.yaml").write_text(
        "name: test\ncodes:\n  - name: transport\n  - name: attente\n", encoding="utf-8")
    cli.ok("codebook", "import", str(tmp_path / "book.yaml"))
    cli.ok("code", "apply", "marie.txt:1", "transport")
    cli.ok("code", "apply", "marie.txt:3", "transport", "attente", "--coder", "bruno")
    out = tmp_path / "nvivo.qdpx"
    result = cli.json("export", "qdpx", str(out), "--positions", "utf16")
    assert result["positions"] == "utf16" and result["codings"] == 3
    [(name, text, sels)] = _sources(out)
    assert text.count("\r\n") == 2 and "\n" not in text.replace("\r\n", "")
    selected = sorted(_utf16_slice(text, a, b) for a, b, _ in sels)
    assert selected == ["Je prends le bus 🚌 tous les jours, 😤 il est bondé.",
                        "À pied 🚶 jusqu’au bureau 🏢.", "À pied 🚶 jusqu’au bureau 🏢."]
    # By hand: line 3 starts after 57 characters + 2 emoji (2 units each) + CRLF, then
    # "E : Et ensuite ?" + CRLF, then "Marie : ".
    line1 = len("Marie : Je prends le bus 🚌 tous les jours, 😤 il est bondé.") + 2 + 2
    assert sorted(a for a, _, _ in sels)[-1] == line1 + len("E : Et ensuite ?") + 2 + 8

    # Imported again (detected, or told), every coding lands on the same characters.
    before = cli.json("segments")
    for told in ((), ("--positions", "utf16")):
        other = Cli(tmp_path / f"other{len(told)}.db")
        report = other.json("import", "qdpx", str(out), *told)
        assert report["positions"] == "UTF-16 code units" and report["unplaced"] == []
        assert report["codings"]["added"] == 3
        assert coded_texts(open_db(str(other.db_path))) == coded_texts(open_db(str(cli.db_path)))
        assert other.json("segments") == before


def test_default_export_is_unchanged_code_points(cli, tmp_path: Path) -> None:
    (tmp_path / "marie.txt").write_bytes(TEXT.encode("utf-8"))
    cli.ok("ingest", str(tmp_path / "marie.txt"))
    (tmp_path / "book.yaml").write_text("name: test\ncodes:\n  - name: transport\n",
                                        encoding="utf-8")
    cli.ok("codebook", "import", str(tmp_path / "book.yaml"))
    cli.ok("code", "apply", "marie.txt:3", "transport")
    for args in ((), ("--positions", "codepoints")):
        out = tmp_path / f"cp{len(args)}.qdpx"
        cli.ok("export", "qdpx", str(out), *args)
        [(_, text, sels)] = _sources(out)
        assert "\r" not in text and "UTF-16" not in _origin(out)
        [(a, b, _)] = [s for s in sels if s[2]]
        assert text[a:b] == "À pied 🚶 jusqu’au bureau 🏢."


def test_unknown_positions_is_one_line_error(cli, tmp_path: Path) -> None:
    for cmd in (("export", "qdpx", str(tmp_path / "x.qdpx")),
                ("import", "qdpx", str(NVIVO))):
        result = cli(*cmd, "--positions", "bytes")
        assert result.exit_code == 1
        assert result.stderr.strip().count("\n") == 0 and "--positions" in result.stderr
    assert not (tmp_path / "x.qdpx").exists()


def test_nvivo_project_exported_back_with_nvivo_positions(db: Database, tmp_path: Path) -> None:
    """A project from NVivo for Windows, imported then exported with --positions utf16, gives
    each coding the very positions NVivo wrote, over the same (CRLF) text."""
    with db.session(write=True) as s:
        import_qdpx(s, NVIVO)
    out = tmp_path / "back.qdpx"
    with db.session() as s:
        export_qdpx(s, out, positions="utf16")
    theirs = {name: (text.lstrip("\ufeff"), sorted((a, b) for a, b, _ in sels))
              for name, text, sels in _sources(NVIVO)}
    ours = {name: (text, sorted((a, b) for a, b, user in sels if user))
            for name, text, sels in _sources(out)}
    assert ours == theirs
    fresh = _fresh(tmp_path, "fresh.db")
    with fresh.session(write=True) as s:
        report = import_qdpx(s, out)
    assert report["positions"] == "UTF-16 code units" and report["unplaced"] == []
    assert coded_texts(fresh) == coded_texts(db)


@pytest.mark.refi_shared
def test_utf16_export_is_valid_against_the_project_schema(db: Database, tmp_path: Path) -> None:
    with db.session(write=True) as s:
        import_qdpx(s, NVIVO)
    with db.session() as s:
        export_qdpx(s, tmp_path / "u.qdpx", positions="utf16")
    assert_valid(tmp_path / "u.qdpx")


def test_utf16_units_mirror_the_import_map() -> None:
    text = "a🚌\nb\r\n😤"
    units = positions.utf16_units(text, crlf=True)
    raw = positions.to_crlf(text)
    assert raw == "a🚌\r\nb\r\n😤"
    back = positions.RawPositions(raw, ("utf16", 2))
    stored, to_stored = positions.normalise(raw)
    assert [to_stored[back.to_raw(u)] for u in units] == [
        0, 1, 2, 3, 4, 4, 5, 6]  # a CRLF becomes LF: both its boundaries meet
    assert stored == "a🚌\nb\n😤"


# --- property: any text with astral characters and CRLF, any codings -------------------------

PIECES = ["a", "é", "e\u0301", " ", "x", "\r\n", "\n", "\r", "🚌", "😤", "𝔸", "\U0001f6b6",
          "\u200d", "\ufe0f", ".", "’"]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=40), st.data())
def test_utf16_round_trip_lands_on_the_same_characters(pieces: list[str], data) -> None:
    stored, _ = positions.normalise("".join(pieces))
    n = len(stored)
    spans = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n))
                               .map(sorted).filter(lambda p: p[0] < p[1]),
                               min_size=1, max_size=6, unique_by=tuple))
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        db = _fresh(tmp_path, "a.db")
        with db.session(write=True) as s:
            import_codebook(s, Codebook(codes=[CodeSpec("c")]), coder="alice")
            add_document(s, name="t.txt", text=stored, segments=segment(stored))
            with audited(s, action="test", summary="codings", coder="alice"):
                code = s.scalar(select(Code))
                doc = s.scalar(select(Document))
                alice = get_or_create_coder(s, "alice")
                for a, b in spans:
                    s.add(Coding(code_id=code.id, document_id=doc.id, start=a, end=b,
                                 coder_id=alice.id))
        out = tmp_path / "u.qdpx"
        with db.session() as s:
            export_qdpx(s, out, positions="utf16")
        [(_, text, sels)] = _sources(out)
        assert sorted(_utf16_slice(text, a, b).replace("\r\n", "\n") for a, b, _ in sels) \
            == sorted(stored[a:b] for a, b in spans)
        fresh = _fresh(tmp_path, "b.db")
        with fresh.session(write=True) as s:
            report = import_qdpx(s, out)
        assert report["unplaced"] == [] and report["codings"]["added"] == len(spans)
        astral = any(ord(ch) > 0xFFFF for ch in stored)
        assert report["positions"] == ("UTF-16 code units" if astral else "code points")
        assert coded_texts(fresh) == coded_texts(db)
