"""What real files do that the spec does not say: qualcode imports them anyway."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import select
from support.refi import coded_texts

from qualcode.db import Database
from qualcode.models import Coder, Document, Memo
from qualcode.refi.importer import import_qdpx

CODE = "0A1B2C3D-0000-4000-8000-000000000001"
USER = "0A1B2C3D-0000-4000-8000-0000000000AA"


def write_zip(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def project(sources: str, *, ns: str = "urn:QDA-XML:project:1.0", extra: str = "",
            users: bool = True) -> str:
    user_el = f'<Users><User guid="{{{USER}}}" name="Léa"/></Users>' if users else ""
    return (f'<Project xmlns="{ns}" name="t" origin="Outil 2">{user_el}'
            f'<CodeBook><Codes><Code guid="{{{CODE}}}" name="accueil" isCodable="true"/>'
            f'</Codes></CodeBook><Sources>{sources}</Sources>{extra}</Project>')


def selection(start: int, end: int, n: int = 1, user: str = USER.lower()) -> str:
    return (f'<PlainTextSelection guid="0A1B2C3D-0000-4000-8000-{n:012d}" '
            f'startPosition="{start}" endPosition="{end}">'
            f'<Coding guid="0A1B2C3D-0000-4000-9000-{n:012d}" creatingUser="{user}">'
            f'<CodeRef targetGUID="{CODE.lower()}"/></Coding></PlainTextSelection>')


def _import(db: Database, path: Path) -> dict:
    with db.session(write=True) as s:
        return import_qdpx(s, path, coder="testeur")


TEXT = "Le guichet ouvre à huit heures.\n\nLa file commence avant."


def test_odd_names_paths_namespaces_and_guids(db: Database, tmp_path: Path) -> None:
    """`Trial.qde`, `Sources/`, a bare relative path, an absolute Windows path, no namespace,
    GUIDs in upper case with braces, a BOM."""
    src = (f'<TextSource guid="{{AAAAAAAA-0000-4000-8000-000000000001}}" name="a.txt" '
           f'plainTextPath="a.txt">{selection(0, 10, 1)}</TextSource>'
           f'<TextSource guid="AAAAAAAA-0000-4000-8000-000000000002" name="b.txt" '
           f'plainTextPath="C:\\Users\\lea\\Projet\\b.txt">{selection(3, 10, 2)}</TextSource>')
    path = write_zip(tmp_path / "p.qdpx", {
        "Trial.qde": project(src, ns=""),
        "Sources/a.txt": "\ufeff" + TEXT,
        "Sources/b.txt": TEXT,
    })
    report = _import(db, path)
    assert report["unplaced"] == [] and report["skipped_sources"] == []
    assert coded_texts(db) == [("a.txt", "accueil", "Léa", "Le guichet"),
                               ("b.txt", "accueil", "Léa", "guichet")]
    with db.session() as s:
        guids = sorted(s.scalars(select(Document.guid)))
        assert guids == ["aaaaaaaa-0000-4000-8000-000000000001",
                         "aaaaaaaa-0000-4000-8000-000000000002"]
        assert s.scalar(select(Coder.guid).where(Coder.name == "Léa")) == USER.lower()


def test_plain_text_content_and_whole_source_coding(db: Database, tmp_path: Path) -> None:
    src = ('<TextSource guid="AAAAAAAA-0000-4000-8000-000000000003" name="notes">'
           f'<PlainTextContent>{TEXT}</PlainTextContent>{selection(36, 40, 3)}'
           f'<Coding guid="0A1B2C3D-0000-4000-a000-000000000001" creatingUser="{USER}">'
           f'<CodeRef targetGUID="{CODE}"/></Coding></TextSource>')
    path = write_zip(tmp_path / "p.qdpx", {"project.qde": project(src)})
    _import(db, path)
    assert coded_texts(db) == sorted([("notes", "accueil", "Léa", "file"),
                                      ("notes", "accueil", "Léa", TEXT)])


def test_docx_only_source(db: Database, tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Premier paragraphe du compte rendu.")
    document.add_paragraph("Second paragraphe, plus court.")
    buffer = io.BytesIO()
    document.save(buffer)
    src = ('<TextSource guid="AAAAAAAA-0000-4000-8000-000000000004" name="cr.docx" '
           f'richTextPath="internal://AAAAAAAA-0000-4000-8000-000000000004.docx">'
           f'{selection(36, 53, 4)}</TextSource>')
    path = write_zip(tmp_path / "p.qdpx", {
        "project.qde": project(src),
        "sources/AAAAAAAA-0000-4000-8000-000000000004.docx": buffer.getvalue(),
    })
    report = _import(db, path)
    assert report["unplaced"] == []
    assert coded_texts(db) == [("cr.docx", "accueil", "Léa", "Second paragraphe")]


def test_unknown_user_and_missing_user(db: Database, tmp_path: Path) -> None:
    """A creatingUser the file never declares becomes a coder named after its GUID; a coding
    without creatingUser belongs to the importing coder."""
    ghost = "9f8e7d6c-0000-4000-8000-000000000000"
    src = ('<TextSource guid="AAAAAAAA-0000-4000-8000-000000000005" name="c.txt">'
           f'<PlainTextContent>{TEXT}</PlainTextContent>{selection(0, 2, 5, user=ghost)}'
           '<PlainTextSelection guid="0A1B2C3D-0000-4000-8000-000000000099" startPosition="3" '
           'endPosition="10"><Coding guid="0A1B2C3D-0000-4000-9000-000000000099">'
           f'<CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection></TextSource>')
    path = write_zip(tmp_path / "p.qdpx", {"project.qde": project(src, users=False)})
    _import(db, path)
    assert coded_texts(db) == [("c.txt", "accueil", "9f8e7d6c", "Le"),
                               ("c.txt", "accueil", "testeur", "guichet")]


def test_missing_source_file_and_unknown_code_are_reported(db: Database, tmp_path: Path) -> None:
    src = ('<TextSource guid="AAAAAAAA-0000-4000-8000-000000000006" name="perdu.txt" '
           f'plainTextPath="internal://perdu.txt">{selection(0, 4, 6)}</TextSource>'
           '<TextSource guid="AAAAAAAA-0000-4000-8000-000000000007" name="ok.txt">'
           f'<PlainTextContent>{TEXT}</PlainTextContent>'
           '<PlainTextSelection guid="0A1B2C3D-0000-4000-8000-000000000077" startPosition="0" '
           'endPosition="2"><Coding guid="0A1B2C3D-0000-4000-9000-000000000077">'
           '<CodeRef targetGUID="deadbeef-0000-4000-8000-000000000000"/></Coding>'
           '</PlainTextSelection></TextSource>'
           '<PictureSource guid="AAAAAAAA-0000-4000-8000-000000000008" name="photo.jpg">'
           '<PictureSelection guid="0A1B2C3D-0000-4000-8000-000000000066" firstX="1" '
           'firstY="1" secondX="9" secondY="9"><Coding guid="0A1B2C3D-0000-4000-9000-00000000'
           f'0066"><CodeRef targetGUID="{CODE}"/></Coding></PictureSelection></PictureSource>')
    path = write_zip(tmp_path / "p.qdpx", {"project.qde": project(src)})
    report = _import(db, path)
    skipped = {s["source"]: s["reason"] for s in report["skipped_sources"]}
    assert set(skipped) == {"perdu.txt", "photo.jpg"}
    assert "not in the archive" in skipped["perdu.txt"]
    reasons = sorted((u["source"], u["reason"]) for u in report["unplaced"])
    assert reasons == [("ok.txt", "code deadbeef-0000-4000-8000-000000000000 is not in the "
                                  "codebook"),
                       ("perdu.txt", "its source was not imported"),
                       ("photo.jpg", "its source was not imported")]


def test_memos_as_description_note_and_link(db: Database, tmp_path: Path) -> None:
    note = "0A1B2C3D-0000-4000-b000-000000000001"
    src = ('<TextSource guid="AAAAAAAA-0000-4000-8000-000000000009" name="m.txt">'
           '<Description>Source décrite.</Description>'
           f'<PlainTextContent>{TEXT}</PlainTextContent>'
           '<PlainTextSelection guid="0A1B2C3D-0000-4000-8000-000000000088" startPosition="36"'
           ' endPosition="40"><Description>Sélection sans codage.</Description>'
           '</PlainTextSelection>'
           f'<NoteRef targetGUID="{note}"/></TextSource>')
    extra = (f'<Notes><Note guid="{note}" name="Mémo" creatingUser="{USER}">'
             '<PlainTextContent>Note liée.</PlainTextContent></Note></Notes>'
             '<Description>Projet décrit.</Description>')
    path = write_zip(tmp_path / "p.qdpx", {"project.qde": project(src, extra=extra)})
    report = _import(db, path)
    assert report["memos"]["added"] == 4
    with db.session() as s:
        memos = {(m.target_type, m.title, m.text) for m in s.scalars(select(Memo))}
    assert memos == {("document", "", "Source décrite."), ("segment", "", "Sélection sans codage."),
                     ("document", "Mémo", "Note liée."), ("project", "", "Projet décrit.")}
