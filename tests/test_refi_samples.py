"""Real .qdpx files from other tools import with the counts and selected texts they hold.

Counts were made by hand from each project.qde (Code, TextSource, Coding elements) and the
selected texts by reading the source files at the given positions. The files live in
../shared/refi-qda/samples, beside the project's checkouts only (they are not ours to copy):
without it these tests are skipped, and test_refi_fixtures.py checks the same behaviours on
our own files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from support.refi import SAMPLES, coded_texts

from qualcode.corpus.agents import list_agents
from qualcode.db import Database
from qualcode.models import Code, Coder, Coding, Document, Memo, Segment
from qualcode.refi.exporter import export_qdpx
from qualcode.refi.importer import import_qdpx

pytestmark = pytest.mark.refi_shared

QUALCODER = SAMPLES / "qualcoder4_terrain_st_etienne.qdpx"
QC = SAMPLES / "qc132_demo.qdpx"
NVIVO_MAC = SAMPLES / "nvivo15_mac_nvivo_project.qdpx"
ATLAS = SAMPLES / "atlasti23_win_target-atlas-project.qdpx"


def _count(db: Database, model: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _import(db: Database, path: Path) -> dict:
    with db.session(write=True) as s:
        return import_qdpx(s, path, coder="testeur")


def test_every_sample_is_covered() -> None:
    assert sorted(p.name for p in SAMPLES.glob("*.qdpx")) == sorted(
        p.name for p in (QUALCODER, QC, NVIVO_MAC, ATLAS))


@pytest.mark.parametrize(("path", "sources", "codes", "codings"), [
    (QUALCODER, 2, 9, 8),
    (QC, 2, 262, 205),
    (NVIVO_MAC, 2, 262, 0),
    (ATLAS, 0, 3, 0),
])
def test_sample_counts(db: Database, path: Path, sources: int, codes: int,
                       codings: int) -> None:
    report = _import(db, path)
    assert _count(db, Document) == sources
    assert _count(db, Code) == codes
    assert _count(db, Coding) == codings
    assert report["codings"]["added"] == codings
    assert report["unplaced"] == [] and report["skipped_sources"] == []
    # a clean import is a sound corpus: qc starts some codings inside a speaker label, in
    # the gap before a turn, and they belong to that turn
    from qualcode.maintenance import check

    assert check(db).problems == []


def test_qualcoder_project(db: Database) -> None:
    report = _import(db, QUALCODER)
    assert report["positions"] == "code points"
    texts = coded_texts(db)
    assert texts == sorted([
        ("entretien_marie.txt", "précarité", "enqueteur1", "l'hôpital m'a embauchée en intérim"),
        ("entretien_marie.txt", "garde des enfants", "enqueteur1",
         "Mes parents gardaient les enfants le mercredi."),
        ("entretien_marie.txt", "voisinage", "enqueteur1",
         "Élise, la voisine du dessus, m'a trouvé une crèche."),
        ("entretien_marie.txt", "famille", "enqueteur1",
         "Élise, la voisine du dessus, m'a trouvé une crèche."),
        ("entretien_marie.txt", "trajectoire migratoire", "enqueteur1", "on est arrivés en 2009"),
        ("entretien_karim.txt", "famille", "enqueteur1",
         "Par mon cousin. Ici, tout passe par la famille, le réseau."),
        ("entretien_karim.txt", "syndicat", "enqueteur1",
         "le syndicat, j'y suis entré parce que les collègues m'ont poussé"),
        ("entretien_karim.txt", "famille", "enqueteur2", "Par mon cousin."),
    ])
    with db.session() as s:
        marie = s.scalar(select(Document).where(Document.name == "entretien_marie.txt"))
        assert not marie.text.startswith("\ufeff") and marie.text.endswith("😊\n")
        assert marie.kind == "interview"
        speakers = [g.speaker for g in s.scalars(
            select(Segment).where(Segment.document_id == marie.id).order_by(Segment.n))]
        assert speakers == ["Enquêtrice", "Marie", "Enquêtrice", "Marie"]
        assert marie.meta["variables"] == {"lieu d'entretien": "domicile"}
        memos = {(m.target_type, m.text) for m in s.scalars(select(Memo))}
        assert memos == {
            ("project", "Mémo de projet : terrain Saint-Étienne"),
            ("project", "Premier entretien : ambiance détendue, café."),  # unreferenced note
            ("document", "mémo fichier entretien_marie.txt"),
            ("document", "mémo fichier entretien_karim.txt"),
            ("segment", "intérim = porte d'entrée"),  # selection Description
            ("segment", "Norme de réciprocité ?"),  # note anchored by its own selection
            ("agent", "aide-soignante, 42 ans"),
            ("agent", "ouvrier"),
        }
        anchored = s.scalar(select(Memo).where(Memo.text == "Norme de réciprocité ?"))
        seg = s.get(Segment, anchored.target_id)
        assert "« Ça se fait entre nous »" in marie.text[seg.start:seg.end]
        assert sorted(s.scalars(select(Coder.name))) == ["enqueteur1", "enqueteur2"]
        agents = {a["name"]: a for a in list_agents(s)}
    assert agents["Marie"]["attributes"] == {"profession": "aide-soignante", "âge": "42"}
    assert agents["Karim"]["attributes"] == {"profession": "ouvrier qualifié", "âge": "35"}
    assert agents["Marie"]["documents"] == ["entretien_marie.txt"]
    # Karim's case points at a GUID no source has: reported, not guessed.
    assert any("Karim" in w and "e2b1b2c6" in w for w in report["warnings"])


def test_qc_demo_without_internal_prefix(db: Database) -> None:
    report = _import(db, QC)
    assert [d["name"] for d in report["documents"]] == ["board_2017.txt", "admin-1.txt"]
    texts = coded_texts(db)
    assert ("board_2017.txt", "fun", "cp", "This district goal is engage every student in "
            "joyful, purposeful learning that \n") in texts
    assert ("board_2017.txt", "learning_opportunities", "cp", "maximizes each student's "
            "opportunity to excel academically. Action step five \n") in texts
    assert ("board_2017.txt", "equity", "cp", "similar equity issues [inaudible 00:54:11] "
            "access to that curriculum, which we \n") in texts
    # Repeated code names in the file stay distinct codes.
    assert {"from": "fun", "to": "fun (affect_toward_cs)"} in report["codes"]["renamed"]


def test_nvivo_mac_and_atlas_projects(db: Database) -> None:
    report = _import(db, NVIVO_MAC)
    with db.session() as s:
        names = sorted(s.scalars(select(Document.name)))
        assert names == ["33663939-3636-3632-3038-613431643463",
                         "66653866-6334-3535-3435-366637306566"]
        assert sorted(s.scalars(select(Coder.name))) == ["chrisp", "cp"]
    assert len(report["codes"]["renamed"]) == 10
    _import(db, ATLAS)
    with db.session() as s:
        commits = s.scalar(select(Code).where(Code.name == "Commits"))
        children = s.scalars(select(Code.name).where(Code.parent_id == commits.id)).all()
        assert sorted(children) == ["2022-02-11T10:39:25Z cdbfd92",
                                    "2022-05-10T02:05:59Z 19e4dce"]
        assert "Enric Llagostera" in s.scalars(select(Coder.name)).all()


def test_samples_reexport_valid(db: Database, tmp_path: Path) -> None:
    from support.refi import assert_valid

    for path in (QUALCODER, QC, NVIVO_MAC, ATLAS):
        _import(db, path)
    out = tmp_path / "all.qdpx"
    with db.session() as s:
        result = export_qdpx(s, out)
    assert_valid(out)
    assert result["codings"] == 8 + 205
