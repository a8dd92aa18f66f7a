"""Malicious or broken .qdpx files: a clear error, and the corpus exactly as it was."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from support.refi import FIXTURES, snapshot

from qualcode import zipguard
from qualcode.db import Database
from qualcode.errors import InvalidInput
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


def test_entry_over_the_size_limit(corpus: Database, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Declared sizes are checked before an entry is read (the limit is lowered for the test)."""
    monkeypatch.setattr(zipguard, "MAX_ENTRY_BYTES", 10_000)
    qde = GOOD_QDE.replace('name="t.txt"><PlainTextContent>Texte.</PlainTextContent>',
                           'name="t.txt" plainTextPath="internal://a.txt">')
    path = write_zip(tmp_path / "big.qdpx", {"project.qde": qde, "sources/a.txt": "mot " * 3000})
    _refused(corpus, path, "would expand to", "zip bomb")


def test_one_entry_named_by_many_sources(corpus: Database, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read counts: fifty sources naming one entry are refused once their reads add up
    past the limit (200 MB x 50 in the issue; 12 KB x 50 against 100 KB here)."""
    monkeypatch.setattr(zipguard, "MAX_READ_BYTES", 100_000)
    sources = "".join(f'<TextSource guid="0a1b2c3d-0000-4000-8000-{i:012d}" name="s{i}.txt" '
                      'plainTextPath="internal://a.txt"/>' for i in range(50))
    qde = GOOD_QDE.replace("</Sources>", sources + "</Sources>")
    path = write_zip(tmp_path / "amp.qdpx", {"project.qde": qde, "sources/a.txt": "mot " * 3000})
    _refused(corpus, path, "in all", "zip bomb")


def test_one_entry_named_by_a_few_sources_is_imported(db: Database, tmp_path: Path) -> None:
    """Sharing an entry is legal: within the limits every source gets its text."""
    sources = "".join(f'<TextSource guid="0a1b2c3d-0000-4000-8000-{i:012d}" name="s{i}.txt" '
                      'plainTextPath="internal://a.txt"/>' for i in range(4, 7))
    qde = GOOD_QDE.replace("</Sources>", sources + "</Sources>")
    path = write_zip(tmp_path / "ok.qdpx", {"project.qde": qde, "sources/a.txt": "Des mots."})
    with db.session(write=True) as s:
        import_qdpx(s, path, coder="testeur")
    assert {"s4.txt", "s5.txt", "s6.txt"} <= set(snapshot(db)["documents"])


def test_repeated_source_guid_is_skipped_not_a_crash(db: Database, tmp_path: Path) -> None:
    twin = ('<TextSource guid="0a1b2c3d-0000-4000-8000-000000000002" name="jumeau.txt">'
            '<PlainTextContent>Autre.</PlainTextContent></TextSource>')
    qde = GOOD_QDE.replace("</Sources>", twin + "</Sources>")
    with db.session(write=True) as s:
        report = import_qdpx(s, write_zip(tmp_path / "twin.qdpx", {"project.qde": qde}),
                             coder="testeur")
    assert report["skipped_sources"] == [{"source": "jumeau.txt",
                                          "reason": "its GUID repeats an earlier source's"}]
    assert set(snapshot(db)["documents"]) == {"t.txt"}


def test_large_entries_never_read_do_not_matter(db: Database, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A project's videos or PDFs are not read, so their size is no reason to refuse it."""
    import os

    monkeypatch.setattr(zipguard, "MAX_ENTRY_BYTES", 10_000)
    path = write_zip(tmp_path / "media.qdpx", {"project.qde": GOOD_QDE,
                                               "sources/video.mp4": os.urandom(50_000)})
    with db.session(write=True) as s:
        import_qdpx(s, path, coder="testeur")
    assert "t.txt" in snapshot(db)["documents"]


def test_docx_source_with_external_entity(corpus: Database, tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Bonjour.")
    document.save(tmp_path / "t.docx")
    with zipfile.ZipFile(tmp_path / "t.docx") as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"?>", b'?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
    inner = write_zip(tmp_path / "inner.docx", parts).read_bytes()
    qde = GOOD_QDE.replace('name="t.txt"><PlainTextContent>Texte.</PlainTextContent>',
                           'name="t.txt" richTextPath="internal://t.docx">')
    path = write_zip(tmp_path / "xxe.qdpx", {"project.qde": qde, "sources/t.docx": inner})
    _refused(corpus, path, "declares a dtd or xml entities")


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
