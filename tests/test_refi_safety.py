"""Malicious or broken .qdpx files: a clear error, and the corpus exactly as it was."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from test_refi_support import FIXTURES, snapshot

from qualcode.db import Database
from qualcode.errors import InvalidInput
from qualcode.refi import archive
from qualcode.refi.importer import import_qdpx

GOOD_QDE = ('<Project xmlns="urn:QDA-XML:project:1.0" name="t"><CodeBook><Codes>'
            '<Code guid="0a1b2c3d-0000-4000-8000-000000000001" name="piège" isCodable="true"/>'
            '</Codes></CodeBook><Sources><TextSource guid="0a1b2c3d-0000-4000-8000-00000000000'
            '2" name="t.txt"><PlainTextContent>Texte.</PlainTextContent></TextSource></Sources>'
            '</Project>')


def write_zip(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
    return path


@pytest.fixture
def corpus(db: Database, make_doc) -> Database:
    """A corpus with content, so 'unchanged' means something."""
    make_doc("entretien_01.txt", [("E", "Bonjour."), ("Hélène", "Bonjour à vous.")])
    with db.session(write=True) as s:
        import_qdpx(s, FIXTURES / "qualcoder_cases_variables.qdpx", coder="testeur")
    return db


def _refused(db: Database, path: Path, *words: str) -> None:
    before = snapshot(db)
    with pytest.raises(InvalidInput) as info, db.session(write=True) as s:
        import_qdpx(s, path, coder="testeur")
    message = str(info.value).lower()
    for word in words:
        assert word in message, message
    assert snapshot(db) == before


def test_dot_dot_entry(corpus: Database, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "evil.qdpx", {"project.qde": GOOD_QDE,
                                              "sources/../../evil.txt": "x"})
    _refused(corpus, path, "unsafe entry", "../../evil.txt")


@pytest.mark.parametrize("name", ["/etc/cron.d/evil", "C:/Windows/evil.txt", "\\\\srv\\x.txt"])
def test_absolute_entry(corpus: Database, tmp_path: Path, name: str) -> None:
    path = write_zip(tmp_path / "evil.qdpx", {"project.qde": GOOD_QDE, name: "x"})
    _refused(corpus, path, "unsafe entry")


def test_zip_bomb_ratio(corpus: Database, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "bomb.qdpx", {"project.qde": GOOD_QDE,
                                              "sources/zeros.txt": b"\0" * (8 * 1024**2)})
    _refused(corpus, path, "zip bomb")


def test_huge_declared_size(corpus: Database, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Declared sizes add up before anything is read (the limit is lowered for the test)."""
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 10_000)
    path = write_zip(tmp_path / "big.qdpx", {"project.qde": GOOD_QDE,
                                             "sources/a.txt": "mot " * 3000})
    _refused(corpus, path, "expand to more than")


def test_xxe(corpus: Database, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe")
    qde = (f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY xxe SYSTEM "file://{secret}">]>'
           + GOOD_QDE.replace("Texte.", "&xxe;"))
    _refused(corpus, write_zip(tmp_path / "xxe.qdpx", {"project.qde": qde}), "entities")


def test_billion_laughs(corpus: Database, tmp_path: Path) -> None:
    entities = '<!ENTITY a "ha">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    qde = f'<?xml version="1.0"?><!DOCTYPE Project [{entities}]>' + GOOD_QDE.replace(
        "Texte.", "&i;")
    _refused(corpus, write_zip(tmp_path / "lol.qdpx", {"project.qde": qde}), "entities")


def test_not_a_zip(corpus: Database, tmp_path: Path) -> None:
    path = tmp_path / "faux.qdpx"
    path.write_text("ceci n’est pas une archive")
    _refused(corpus, path, "not a zip")


def test_broken_xml(corpus: Database, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "cassé.qdpx", {"project.qde": GOOD_QDE[:-20]})
    _refused(corpus, path, "not well-formed")


def test_no_project_file(corpus: Database, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "vide.qdpx", {"sources/a.txt": "x"})
    _refused(corpus, path, "no project.qde")


def test_codebook_file_given_as_project(corpus: Database, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "cb.qdpx", {"project.qde": (
        FIXTURES / "spec_style_codebook.qdc").read_bytes()})
    _refused(corpus, path, "codebook")


def test_cli_reports_error_and_changes_nothing(cli, corpus: Database, tmp_path: Path) -> None:
    before = snapshot(corpus)
    path = write_zip(tmp_path / "evil.qdpx", {"project.qde": GOOD_QDE, "../x": "x"})
    result = cli("import", "qdpx", str(path))
    assert result.exit_code == 1
    # The automatic backup may be announced first; the error is one line of its own.
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "unsafe entry" in errors[0]
    assert "Traceback" not in result.stderr
    assert snapshot(corpus) == before
