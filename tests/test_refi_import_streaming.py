"""`import qdpx` at corpus scale: codings written in chunks of Core inserts, one audited change
that names the range of their ids (not a copy of every row), undone and redone whole; the
project's XML parsed incrementally, each source dropped once read."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qualcode.db import Database
from qualcode.models import AuditEntry, Coding, Document
from qualcode.refi import structures
from qualcode.refi.archive import parse_project
from qualcode.refi.exporter import SELECTIONS_META
from qualcode.refi.importer import import_qdpx

USERS = ("7a000000-0000-4000-8000-000000000001", "7a000000-0000-4000-8000-000000000002")
CODES = ("7a000000-0000-4000-8000-0000000000c1", "7a000000-0000-4000-8000-0000000000c2")
PHRASE = "Enquêtrice : Et le guichet ?\nMme Durand : On m’a dit « revenez demain »."


def text_of(d: int) -> str:
    return "\n\n".join(f"{PHRASE} ({d}.{k})" for k in range(40))


def guid(kind: int, n: int) -> str:
    return f"7a000000-0000-4{kind:03d}-8000-{n:012d}"


def write_project(path: Path, docs: int = 3, per_doc: int = 40, *, shift: int = 0,
                  repeat: int = 0) -> Path:
    """``docs`` sources of 40 paragraphs; ``per_doc`` codings each, on « revenez demain »
    of successive paragraphs, alternating users and codes. ``shift`` changes the texts (so a
    second project with the same GUIDs is a different corpus); ``repeat``: coding GUIDs
    repeat every ``repeat`` codings (a damaged file)."""
    parts = ['<Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="Outil 3"><Users>',
             *(f'<User guid="{u}" name="{n}"/>'
               for u, n in zip(USERS, ("Léa", "Omar"), strict=True)),
             "</Users><CodeBook><Codes>",
             *(f'<Code guid="{c}" name="{n}" isCodable="true"/>'
               for c, n in zip(CODES, ("renvoi", "attente"), strict=True)),
             "</Codes></CodeBook><Sources>"]
    files = {}
    n = 0
    for d in range(docs):
        text = text_of(d + shift)
        files[f"sources/{d}.txt"] = text
        parts.append(f'<TextSource guid="{guid(1, d)}" name="entretien {d}.txt" '
                     f'plainTextPath="internal://{d}.txt">')
        pos = 0
        for k in range(per_doc):
            start = text.index("revenez demain", pos)
            pos = start + 1
            parts.append(
                f'<PlainTextSelection guid="{guid(2, n)}" startPosition="{start}" '
                f'endPosition="{start + 14}" creatingUser="{USERS[k % 2]}">'
                f'<Coding guid="{guid(3, n % repeat if repeat else n)}" '
                f'creatingUser="{USERS[0]}">'
                f'<CodeRef targetGUID="{CODES[k % 2]}"/></Coding></PlainTextSelection>')
            n += 1
        parts.append("</TextSource>")
    parts.append("</Sources></Project>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", "".join(parts))
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _import(db: Database, path: Path) -> dict:
    with db.session(write=True) as s:
        return import_qdpx(s, path, coder="testeur")


def stored(db: Database) -> list[tuple[str, int, int, str]]:
    with db.session() as s:
        return sorted(s.execute(select(Document.name, Coding.start, Coding.end, Coding.guid)
                                .join(Document, Document.id == Coding.document_id)).all())


@pytest.mark.parametrize("chunk", [1, 7, 5000])
def test_chunks_write_every_coding_once_whatever_their_size(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(structures, "CHUNK", chunk)
    report = _import(db, write_project(tmp_path / "p.qdpx"))
    assert report["codings"] == {"added": 120, "already_present": 0}
    rows = stored(db)
    assert len(rows) == 120 and {g for *_x, g in rows} == {guid(3, n) for n in range(120)}
    with db.session() as s:
        text = s.scalar(select(Document.text).where(Document.name == "entretien 1.txt"))
        spans = s.execute(select(Coding.start, Coding.end, Coding.segment_id)
                          .join(Document, Document.id == Coding.document_id)
                          .where(Document.name == "entretien 1.txt")).all()
    assert {text[a:b] for a, b, _seg in spans} == {"revenez demain"}
    assert all(seg is not None for *_x, seg in spans)


def test_one_audit_entry_names_the_range_not_the_rows(db: Database, tmp_path: Path) -> None:
    _import(db, write_project(tmp_path / "p.qdpx"))
    with db.session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "import-qdpx"))
        ops = entry.payload["ops"]
        lo, hi = s.execute(select(func.min(Coding.id), func.max(Coding.id))).one()
    ranges = [op for op in ops if op["op"] == "insert_ids"]
    assert ranges == [{"op": "insert_ids", "table": "coding", "lo": lo, "hi": hi,
                       "count": 120}]
    assert not [op for op in ops if op["table"] == "coding" and op["op"] == "insert"]


def test_undo_and_redo_take_the_whole_import(db: Database, tmp_path: Path, cli) -> None:
    _import(db, write_project(tmp_path / "p.qdpx"))
    before = stored(db)
    cli.ok("undo", "--any")
    assert stored(db) == []
    cli.ok("redo", "--any")
    assert stored(db) == before


def test_importing_twice_adds_nothing(db: Database, tmp_path: Path) -> None:
    path = write_project(tmp_path / "p.qdpx")
    _import(db, path)
    report = _import(db, path)
    assert report["codings"] == {"added": 0, "already_present": 120}
    assert len(stored(db)) == 120


def test_guids_taken_in_the_corpus_are_replaced_and_the_selection_kept(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second project reusing the GUIDs of the first (another tool's copy of it, edited)
    gets new coding GUIDs; what it kept of each selection follows the new GUID."""
    monkeypatch.setattr(structures, "CHUNK", 7)
    _import(db, write_project(tmp_path / "a.qdpx", docs=1))
    report = _import(db, write_project(tmp_path / "b.qdpx", docs=1, shift=5))
    assert report["codings"]["added"] == 40
    assert [d["name"] for d in report["documents"]] == ["entretien 0.txt (2)"]
    with db.session() as s:
        doc = s.scalar(select(Document).where(Document.name == "entretien 0.txt (2)"))
        guids = set(s.scalars(select(Coding.guid).where(Coding.document_id == doc.id)))
        kept = doc.meta[SELECTIONS_META]
    assert not guids & {guid(3, n) for n in range(40)}
    assert set(kept) == guids
    assert {record["selection"] for record in kept.values()} == {guid(2, n) for n in range(40)}


@pytest.mark.parametrize("chunk", [3, 5000])
def test_repeated_coding_guids_get_new_ones_across_chunks_and_documents(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(structures, "CHUNK", chunk)
    report = _import(db, write_project(tmp_path / "p.qdpx", repeat=10))
    assert report["codings"]["added"] == 120
    rows = stored(db)
    guids = [g for *_x, g in rows]
    assert len(set(guids)) == 120 and {guid(3, n) for n in range(10)} <= set(guids)
    with db.session() as s:
        kept: dict = {}
        for meta in s.scalars(select(Document.meta)):
            kept.update(meta[SELECTIONS_META])
    # Every coding's selection is kept under the GUID it was stored with.
    assert set(kept) == set(guids)
    assert {r["selection"] for r in kept.values()} == {guid(2, n) for n in range(120)}


def test_the_parse_drops_each_source_once_read(tmp_path: Path) -> None:
    path = write_project(tmp_path / "p.qdpx", docs=4, per_doc=5)
    seen: list[tuple[str, int]] = []
    with zipfile.ZipFile(path) as zf:
        data = zf.read("project.qde")
    root = parse_project(data, "p.qdpx", lambda el: seen.append(
        (el.get("name"), len(el.findall("PlainTextSelection")))))
    assert seen == [(f"entretien {d}.txt", 5) for d in range(4)]
    assert root.find("Sources") is not None and len(root.find("Sources")) == 0
    assert root.find("Users") is not None and len(root.find("Users")) == 2


def test_a_bad_project_is_refused_whole(db: Database, tmp_path: Path, cli) -> None:
    with zipfile.ZipFile(write_project(tmp_path / "p.qdpx")) as src:
        qde = src.read("project.qde").decode()
    path = tmp_path / "cassé.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde[: len(qde) // 2])  # cut in the middle of the sources
    result = cli("import", "qdpx", str(path))
    assert result.exit_code == 1
    assert "is not well-formed XML" in result.stderr
    assert stored(db) == []
