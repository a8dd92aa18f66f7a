"""Export -> import into a fresh corpus -> export again: nothing lost, same GUIDs."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from support.refi import assert_valid, coded_texts, read_qde, snapshot

from qualcode.audit import audited
from qualcode.codebook.model import Codebook, CodeSetSpec, CodeSpec
from qualcode.codebook.service import import_codebook
from qualcode.corpus.agents import upsert_agent
from qualcode.corpus.coders import get_or_create_coder
from qualcode.db import Database, open_db
from qualcode.models import Code, Coding, Document, Memo, Segment
from qualcode.refi.exporter import export_qdpx
from qualcode.refi.importer import import_qdpx

INTERVIEW = [
    ("Enquêtrice", "Comment se passe l’accueil le matin ?"),
    ("Hélène", "Les usagers attendent au guichet, ils s’énervent contre nous."),
    ("Enquêtrice", "Et la hiérarchie ?"),
    ("Hélène", "La direction ne nous écoute pas : « c’est du mépris », voilà."),
    ("Marc", "Moi je fais mon travail 🙂 et le reste ne me regarde pas."),
]
NOTES = [
    (None, "Matinée au guichet du centre Nord, file d’attente jusqu’à la porte."),
    (None, "Un usager crie ; l’agente garde son calme et note le numéro."),
]

BOOK = Codebook(
    codes=[
        CodeSpec("attente", description="L’usager attend.", colour="#1F77B4"),
        CodeSpec("discrédit", description="Mise en cause de l’agent.",
                 inclusion="reproches explicites", exclusion="plaintes sur le délai",
                 children=[CodeSpec("mépris", colour="#FF9896"), CodeSpec("indifférence")]),
        CodeSpec("relations", is_codable=False, children=[CodeSpec("hiérarchie")]),
    ],
    sets=[CodeSetSpec("tensions", members=["discrédit", "hiérarchie"])],
)


def _segment(s, doc_id: int, n: int) -> Segment:
    return s.scalar(select(Segment).where(Segment.document_id == doc_id, Segment.n == n))


def _code(s, name: str) -> Code:
    return s.scalar(select(Code).where(Code.name == name))


@pytest.fixture
def project(db: Database, make_doc) -> Database:
    with db.session(write=True) as s:
        upsert_agent(s, "Hélène", {"profil": "pragmatique", "age": "50", "anciennete": "25.5",
                                   "titulaire": "true", "centre": "Nord"})
        upsert_agent(s, "Marc", {"profil": "militant", "age": "38", "anciennete": "7",
                                 "titulaire": "false", "centre": "Sud"})
    interview = make_doc("entretien_01.txt", INTERVIEW)
    notes = make_doc("notes_nord.txt", NOTES, kind="observation", agents=("Hélène",))
    with db.session(write=True) as s:
        import_codebook(s, BOOK, coder="alice")
        with audited(s, action="test", summary="codings and memos", coder="alice"):
            alice, bruno = get_or_create_coder(s, "alice"), get_or_create_coder(s, "bruno")
            text = s.get(Document, interview).text
            seg2, seg4 = _segment(s, interview, 2), _segment(s, interview, 4)
            inner = text.index("« c’est du mépris »", seg4.start)
            spans = [
                (interview, seg2.start, seg2.end, "attente", alice),
                (interview, seg2.start, seg2.end, "attente", bruno),
                (interview, seg4.start, seg4.end, "hiérarchie", alice),
                (interview, inner, inner + len("« c’est du mépris »"), "mépris", alice),
                (interview, inner + 2, inner + 17, "mépris", bruno),
                (notes, 0, len("Matinée au guichet"), "attente", bruno),
            ]
            for doc_id, start, end, code, coder in spans:
                s.add(Coding(code_id=_code(s, code).id, document_id=doc_id, start=start,
                             end=end, coder_id=coder.id, origin="manual"))
            agent_ids = dict(s.execute(select(Document.name, Document.id)).all())
            from qualcode.corpus.agents import get_agent

            memos = [
                ("project", None, "Plan", "Comparer Nord et Sud.\r\nPuis relire.", alice),
                ("code", _code(s, "mépris").id, "", "Distinguer du simple agacement.", bruno),
                ("document", agent_ids["notes_nord.txt"], "Contexte", "Jour de marché.", alice),
                ("segment", seg4.id, "", "Passage clé\tà citer.", alice),
                ("agent", get_agent(s, "Marc").id, "Profil", "Délégué syndical.", None),
            ]
            for kind, target_id, title, body, coder in memos:
                s.add(Memo(target_type=kind, target_id=target_id, title=title, text=body,
                           coder_id=coder.id if coder else None))
    return db


def _without_stamp(qde: bytes) -> str:
    return re.sub(r' creationDateTime="[^"]*"', "", qde.decode("utf-8"), count=1)


def test_round_trip_keeps_everything_and_guids(project: Database, tmp_path: Path) -> None:
    first = tmp_path / "first.qdpx"
    with project.session() as s:
        counts = export_qdpx(s, first)
    assert counts["sources"] == 2 and counts["codings"] == 6 and counts["cases"] == 2
    assert counts["codes"] == 6 and counts["notes"] == 5
    qde1 = read_qde(first)

    fresh = open_db(str(tmp_path / "fresh.db"))
    with fresh.session(write=True) as s:
        report = import_qdpx(s, first, coder="importeur")
    assert report["codings"] == {"added": 6, "already_present": 0}
    assert report["memos"] == {"added": 5, "already_present": 0}
    assert report["unplaced"] == []
    assert [d["status"] for d in report["documents"]] == ["added", "added"]

    before, after = snapshot(project), snapshot(fresh)
    for key in before:
        assert after[key] == before[key], key
    # The importing coder made nothing: every coding and memo kept its author.
    assert "importeur" not in after["coders"]

    second = tmp_path / "second.qdpx"
    with fresh.session() as s:
        export_qdpx(s, second)
    qde2 = read_qde(second)
    guids = re.compile(r'(?:guid|GUID)="([^"]+)"')
    assert sorted(guids.findall(qde1.decode())) == sorted(guids.findall(qde2.decode()))
    assert _without_stamp(qde1) == _without_stamp(qde2)
    with zipfile.ZipFile(first) as z1, zipfile.ZipFile(second) as z2:
        assert sorted(z1.namelist()) == sorted(z2.namelist())
        for name in z1.namelist():
            assert z1.read(name) == z2.read(name) or name == "project.qde"


def test_round_trip_selected_texts(project: Database, tmp_path: Path) -> None:
    path = tmp_path / "p.qdpx"
    with project.session() as s:
        export_qdpx(s, path)
    fresh = open_db(str(tmp_path / "fresh.db"))
    with fresh.session(write=True) as s:
        import_qdpx(s, path)
    texts = coded_texts(fresh)
    assert ("entretien_01.txt", "mépris", "alice", "« c’est du mépris »") in texts
    assert ("entretien_01.txt", "mépris", "bruno", "c’est du mépris") in texts
    assert ("notes_nord.txt", "attente", "bruno", "Matinée au guichet") in texts
    assert texts == coded_texts(project)


def test_export_structure(project: Database, tmp_path: Path) -> None:
    """Cases link their documents and speaker turns; variables are typed by their values."""
    import defusedxml.ElementTree as ET

    path = tmp_path / "p.qdpx"
    with project.session() as s:
        export_qdpx(s, path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        root = ET.fromstring(zf.read("project.qde"))
        ns = {"q": "urn:QDA-XML:project:1.0"}
        types = {v.get("name"): v.get("typeOfVariable")
                 for v in root.findall("q:Variables/q:Variable", ns)}
        assert types == {"age": "Integer", "anciennete": "Float", "titulaire": "Boolean",
                         "centre": "Text", "profil": "Text", "qualcode:kind": "Text"}
        helene = next(c for c in root.findall("q:Cases/q:Case", ns) if c.get("name") == "Hélène")
        sel_refs = [r.get("targetGUID") for r in helene.findall("q:SelectionRef", ns)]
        assert len(sel_refs) == 2  # her two speaker turns
        sources = {s.get("guid"): s for s in root.findall("q:Sources/q:TextSource", ns)}
        assert len(helene.findall("q:SourceRef", ns)) == 2  # interview (turns) and notes
        interview = next(s for s in sources.values() if s.get("name") == "entretien_01.txt")
        selections = {sel.get("guid"): sel for sel in interview.findall(
            "q:PlainTextSelection", ns)}
        text = zf.read(f"sources/{interview.get('guid')}.txt").decode("utf-8")
        turn = selections[sel_refs[1]]
        assert text[int(turn.get("startPosition")):int(turn.get("endPosition"))] == INTERVIEW[3][1]
        assert not text.startswith("\ufeff")
        assert f"sources/{interview.get('guid')}.txt" in names
        assert interview.get("plainTextPath") == f"internal://{interview.get('guid')}.txt"
    raw = zipfile.ZipFile(path).read("project.qde").decode()
    assert "Comparer Nord et Sud.&#13;\nPuis relire." in raw  # a CR survives XML parsing


def _demo_corpus(db: Database) -> int:
    """Load the demo project (files, codebook, agents, both coders' codings) into ``db``;
    returns the number of files."""
    from qualcode.codebook.service import read_codebook_file
    from qualcode.coding.csvio import import_codings_csv
    from qualcode.corpus.agents import import_agents
    from qualcode.corpus.ingest import ingest_paths
    from qualcode.demo import SUPPORTED_SUFFIXES, find_demo_data

    corpus_dir, codebook_file = find_demo_data()
    with db.session(write=True) as s:
        import_codebook(s, read_codebook_file(codebook_file), coder="demo")
        import_agents(s, corpus_dir / "agents.csv")
    files = sorted(p for p in corpus_dir.iterdir()
                   if p.suffix.lower() in SUPPORTED_SUFFIXES and not p.stem.startswith("README"))
    ingest_paths(db, files)
    with db.session(write=True) as s:
        import_codings_csv(s, corpus_dir / "codings.csv", default_coder="ana")
    return len(files)


@pytest.mark.refi_shared
def test_exports_are_valid_against_the_project_schema(project: Database,
                                                      tmp_path: Path) -> None:
    first, second = tmp_path / "first.qdpx", tmp_path / "second.qdpx"
    with project.session() as s:
        export_qdpx(s, first)
    assert_valid(first)
    fresh = open_db(str(tmp_path / "fresh.db"))
    with fresh.session(write=True) as s:
        import_qdpx(s, first)
    with fresh.session() as s:
        export_qdpx(s, second)
    assert_valid(second)
    demo = open_db(str(tmp_path / "demo.db"))
    _demo_corpus(demo)
    with demo.session() as s:
        export_qdpx(s, tmp_path / "demo.qdpx")
    assert_valid(tmp_path / "demo.qdpx")


def test_demo_corpus_round_trip(db: Database, tmp_path: Path) -> None:
    """The demo project (ingested files, codebook, agents, two coders' codings) survives
    export -> import -> export, segments and speakers included."""
    files = _demo_corpus(db)
    first, second = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    with db.session() as s:
        counts = export_qdpx(s, first)
    assert counts["codings"] > 100 and counts["sources"] == files
    read_qde(first)
    fresh = open_db(str(tmp_path / "fresh.db"))
    with fresh.session(write=True) as s:
        report = import_qdpx(s, first)
    assert report["unplaced"] == [] and report["codings"]["added"] == counts["codings"]
    before, after = snapshot(db), snapshot(fresh)
    for key in ("documents", "segments", "agents", "attributes", "document_agents", "coders",
                "codings", "memos", "sets"):
        assert after[key] == before[key], key
    # Examples and keywords have no place in REFI: the rest of each code travels.
    assert after["codes"] == before["codes"]
    with fresh.session() as s:
        export_qdpx(s, second)
    a = zipfile.ZipFile(first).read("project.qde")
    b = zipfile.ZipFile(second).read("project.qde")
    assert _without_stamp(a) == _without_stamp(b)
