"""Export details: characters XML cannot carry, CRs, empty containers, stable GUIDs."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from support.refi import assert_valid, read_qde

from qualcode.corpus.agents import upsert_agent
from qualcode.db import Database, open_db
from qualcode.models import Memo
from qualcode.refi.exporter import export_qdpx, variable_type
from qualcode.refi.importer import import_qdpx


def test_empty_corpus_exports_a_project_without_empty_containers(db: Database,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "vide.qdpx"
    with db.session() as s:
        result = export_qdpx(s, path)
    qde = read_qde(path).decode()
    assert result["sources"] == 0 and zipfile.ZipFile(path).namelist() == ["project.qde"]
    # No empty container: the XSD refuses <Sources/>, <Users/>, <Sets/>...
    assert not re.search(r"<(Users|CodeBook|Codes|Variables|Cases|Sources|Notes|Links|Sets)\b",
                         qde)


def _dirty_project(db: Database, make_doc, path: Path) -> Path:
    """A corpus whose names and memos hold characters XML 1.0 cannot carry, exported."""
    make_doc("notes\x1f.txt", [(None, "Texte avec \x0b tabulation verticale.")])
    with db.session(write=True) as s:
        upsert_agent(s, "Zoé", {"remarque": "valeur\x01bizarre"})
        s.add(Memo(target_type="project", text="un\x08deux\x0ctrois\x1bquatre\r\ncinq",
                   title="titre\x02"))
    with db.session() as s:
        export_qdpx(s, path)
    return path


@pytest.mark.refi_shared
def test_empty_and_dirty_corpora_export_valid_projects(db: Database, make_doc,
                                                       tmp_path: Path) -> None:
    with db.session() as s:
        export_qdpx(s, tmp_path / "vide.qdpx")
    assert_valid(tmp_path / "vide.qdpx")
    assert_valid(_dirty_project(db, make_doc, tmp_path / "p.qdpx"))


def test_illegal_characters_replaced_same_length(db: Database, make_doc,
                                                 tmp_path: Path) -> None:
    path = _dirty_project(db, make_doc, tmp_path / "p.qdpx")
    read_qde(path)
    fresh = open_db(str(tmp_path / "fresh.db"))
    with fresh.session(write=True) as s:
        import_qdpx(s, path)
    with fresh.session() as s:
        memo = s.scalar(select(Memo))
        assert memo.text == "un\ufffddeux\ufffdtrois\ufffdquatre\r\ncinq"
        assert memo.title == "titre\ufffd"
    # The source text is a file, not XML: it keeps its vertical tab, positions unchanged.
    with zipfile.ZipFile(path) as zf:
        txt = [n for n in zf.namelist() if n.startswith("sources/")]
        assert zf.read(txt[0]).decode() == "Texte avec \x0b tabulation verticale."


def test_two_exports_same_bytes_but_stamp(db: Database, make_doc, tmp_path: Path) -> None:
    make_doc("e.txt", [("E", "Question ?"), ("Léa", "Réponse.")])
    with db.session(write=True) as s:
        upsert_agent(s, "Léa", {"âge": "30"})
    out = []
    for name in ("a.qdpx", "b.qdpx"):
        with db.session() as s:
            export_qdpx(s, tmp_path / name)
        qde = zipfile.ZipFile(tmp_path / name).read("project.qde").decode()
        out.append(re.sub(r' creationDateTime="[^"]*"', "", qde, count=1))
    assert out[0] == out[1]


def test_variable_types() -> None:
    assert variable_type(["50", "007", "-3"]) == "Integer"
    assert variable_type(["25.5", "7"]) == "Float"
    assert variable_type(["true", "false"]) == "Boolean"
    assert variable_type(["True", "false"]) == "Text"  # written back verbatim: no case change
    assert variable_type(["1,5"]) == "Text"  # a French decimal comma is not xsd:decimal
    assert variable_type(["Nord", "12"]) == "Text"
