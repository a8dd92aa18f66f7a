"""REFI-QDA structures beyond texts and codings: document sets, typed variables, a case's
codes, the text of a PDF, the transcript of a recording, and what has no place in qualcode
(links, graphs, notes in sets), each said in one report line. The project is written here."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from support.refi import assert_valid, coded_texts, snapshot

from qualcode.db import Database, open_db
from qualcode.models import Agent, AgentAttribute, Document, Memo, Segment
from qualcode.refi.exporter import export_qdpx
from qualcode.refi.importer import import_qdpx


def g(n: int) -> str:
    return f"5e1f0000-0000-4000-8000-{n:012d}"


USER = g(1)
ACCUEIL, ATTENTE, CAS_ROUX = g(10), g(11), g(12)
V_AGE, V_DATE, V_REVENU, V_RETRAITE, V_COMMUNE = g(20), g(21), g(22), g(23), g(24)
ROUX, BENALI = g(30), g(31)
S_ROUX, S_PDF, S_AUDIO, S_PHOTO = g(40), g(41), g(42), g(43)
NOTE = g(50)

ROUX_TEXT = ("Enquêtrice : Comment se passe l’accueil ?\n"
             "Mme Roux : On nous reçoit « vite », mais on attend.")
PDF_TEXT = "Rapport d’activité 2023\n\nLa file d’attente dépasse souvent une heure."
AUDIO_TEXT = ("Enquêtrice : Vous attendez depuis longtemps ?\n"
              "M. Benali : Depuis l’ouverture, à peu près une heure.")


def span(text: str, fragment: str) -> tuple[int, int]:
    i = text.index(fragment)
    return i, i + len(fragment)


def coded_selection(n: int, text: str, fragment: str, code: str) -> str:
    start, end = span(text, fragment)
    return (f'<PlainTextSelection guid="{g(100 + n)}" startPosition="{start}" '
            f'endPosition="{end}" creatingUser="{USER}"><Coding guid="{g(200 + n)}" '
            f'creatingUser="{USER}"><CodeRef targetGUID="{code}"/></Coding>'
            '</PlainTextSelection>')


def coding(n: int, code: str) -> str:
    return f'<Coding guid="{g(200 + n)}"><CodeRef targetGUID="{code}"/></Coding>'


def project_qde() -> str:
    line2 = AUDIO_TEXT.index("M. Benali")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="Guichets" origin="MAXQDA 2022">'
        f'<Users><User guid="{USER}" name="Léa Martin"/></Users>'
        '<CodeBook><Codes>'
        f'<Code guid="{ACCUEIL}" name="accueil" isCodable="true"/>'
        f'<Code guid="{ATTENTE}" name="attente" isCodable="true"/>'
        f'<Code guid="{CAS_ROUX}" name="Cas : Mme Roux" isCodable="true"/>'
        '</Codes></CodeBook>'
        '<Variables>'
        f'<Variable guid="{V_AGE}" name="âge" typeOfVariable="Integer"/>'
        f'<Variable guid="{V_DATE}" name="date de l’entretien" typeOfVariable="Date">'
        '<Description>Jour de la rencontre au guichet</Description></Variable>'
        f'<Variable guid="{V_REVENU}" name="revenu" typeOfVariable="Float"/>'
        f'<Variable guid="{V_RETRAITE}" name="retraitée" typeOfVariable="Boolean"/>'
        f'<Variable guid="{V_COMMUNE}" name="commune" typeOfVariable="Text"/>'
        '</Variables>'
        '<Cases>'
        f'<Case guid="{ROUX}" name="Mme Roux"><Description>Usagère rencontrée deux fois'
        f'</Description><CodeRef targetGUID="{CAS_ROUX}"/>'
        f'<VariableValue><VariableRef targetGUID="{V_AGE}"/><IntegerValue>067</IntegerValue>'
        '</VariableValue>'
        f'<VariableValue><VariableRef targetGUID="{V_DATE}"/><DateValue>2023-03-14</DateValue>'
        '</VariableValue>'
        f'<VariableValue><VariableRef targetGUID="{V_REVENU}"/><FloatValue>1234.50'
        '</FloatValue></VariableValue>'
        f'<VariableValue><VariableRef targetGUID="{V_RETRAITE}"/><BooleanValue>1'
        '</BooleanValue></VariableValue>'
        f'<VariableValue><VariableRef targetGUID="{V_COMMUNE}"/><TextValue>Saint-Étienne'
        '</TextValue></VariableValue>'
        '</Case>'
        f'<Case guid="{BENALI}" name="M. Benali"><SourceRef targetGUID="{S_AUDIO}"/></Case>'
        '</Cases>'
        '<Sources>'
        f'<TextSource guid="{S_ROUX}" name="Entretien Roux" '
        'plainTextPath="internal://roux.txt">'
        f'{coded_selection(1, ROUX_TEXT, "On nous reçoit « vite »", ACCUEIL)}'
        f'{coded_selection(2, ROUX_TEXT, "mais on attend", CAS_ROUX)}'
        '</TextSource>'
        f'<PDFSource guid="{S_PDF}" name="Rapport 2023" path="internal://rapport.pdf">'
        f'<PDFSelection guid="{g(110)}" page="1" firstX="10" firstY="10" secondX="200" '
        f'secondY="40">{coding(10, ACCUEIL)}</PDFSelection>'
        f'<Representation guid="{g(44)}" name="Rapport 2023" '
        'plainTextPath="internal://rapport.txt">'
        f'{coded_selection(3, PDF_TEXT, "La file d’attente", ATTENTE)}'
        '</Representation></PDFSource>'
        f'<AudioSource guid="{S_AUDIO}" name="Entretien Benali" path="internal://benali.m4a">'
        f'<Transcript guid="{g(45)}" plainTextPath="internal://benali.txt">'
        f'<SyncPoint guid="{g(60)}" timeStamp="0" position="0"/>'
        f'<SyncPoint guid="{g(61)}" timeStamp="4000" position="{line2}"/>'
        f'<SyncPoint guid="{g(62)}" timeStamp="9500" position="{len(AUDIO_TEXT)}"/>'
        f'<TranscriptSelection guid="{g(120)}" fromSyncPoint="{g(61)}" toSyncPoint="{g(62)}" '
        f'creatingUser="{USER}">{coding(4, ATTENTE)}</TranscriptSelection>'
        '</Transcript>'
        f'<AudioSelection guid="{g(121)}" begin="1000" end="3000">{coding(11, ACCUEIL)}'
        '</AudioSelection></AudioSource>'
        f'<PictureSource guid="{S_PHOTO}" name="Photo du hall" path="internal://hall.jpg"/>'
        '</Sources>'
        f'<Notes><Note guid="{NOTE}" name="Idée"><PlainTextContent>Comparer avec la CAF.'
        '</PlainTextContent></Note></Notes>'
        '<Links>'
        f'<Link guid="{g(70)}" name="mène à" direction="OneWay" originGUID="{ATTENTE}" '
        f'targetGUID="{ACCUEIL}"/>'
        f'<Link guid="{g(71)}" name="illustre" originGUID="{S_ROUX}" targetGUID="{ROUX}"/>'
        f'<Link guid="{g(72)}" name="voir" originGUID="{S_PDF}" targetGUID="{S_ROUX}"/>'
        f'<Link guid="{g(73)}" name="memo" originGUID="{ROUX}" targetGUID="{NOTE}"/>'
        '</Links>'
        '<Sets>'
        f'<Set guid="{g(80)}" name="Entretiens de mars"><Description>Première vague'
        f'</Description><MemberSource targetGUID="{S_ROUX}"/>'
        f'<MemberSource targetGUID="{S_AUDIO}"/><MemberNote targetGUID="{NOTE}"/></Set>'
        f'<Set guid="{g(81)}" name="Terrain"><MemberCode targetGUID="{ACCUEIL}"/>'
        f'<MemberSource targetGUID="{S_PDF}"/><MemberSource targetGUID="{S_PHOTO}"/></Set>'
        '</Sets>'
        f'<Graphs><Graph guid="{g(90)}" name="Carte"><Vertex guid="{g(91)}" '
        f'representedGUID="{ACCUEIL}" firstX="0" firstY="0"/><Vertex guid="{g(92)}" '
        f'representedGUID="{ATTENTE}" firstX="50" firstY="0"/><Edge guid="{g(93)}" '
        f'sourceVertex="{g(91)}" targetVertex="{g(92)}"/></Graph></Graphs>'
        '</Project>')


def write_project(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", project_qde())
        zf.writestr("sources/roux.txt", ROUX_TEXT)
        zf.writestr("sources/rapport.txt", PDF_TEXT)
        zf.writestr("sources/rapport.pdf", b"%PDF-1.4 not read")
        zf.writestr("sources/benali.txt", AUDIO_TEXT)
    return path


def _import(db: Database, path: Path) -> dict:
    with db.session(write=True) as s:
        return import_qdpx(s, path, coder="testeur")


@pytest.fixture
def imported(db: Database, tmp_path: Path) -> dict:
    return _import(db, write_project(tmp_path / "guichets.qdpx"))


def test_pdf_text_and_transcript_are_documents_with_their_codings(
        db: Database, imported: dict) -> None:
    assert [(d["name"], d["status"], d.get("text_of"), d["codings"])
            for d in imported["documents"]] == [
        ("Entretien Roux", "added", None, 2),
        ("Rapport 2023", "added", "PDF", 1),
        ("Entretien Benali (transcript)", "added", "recording", 1)]
    assert coded_texts(db) == [
        ("Entretien Benali (transcript)", "attente", "Léa Martin",
         "M. Benali : Depuis l’ouverture, à peu près une heure."),
        ("Entretien Roux", "Cas : Mme Roux", "Léa Martin", "mais on attend"),
        ("Entretien Roux", "accueil", "Léa Martin", "On nous reçoit « vite »"),
        ("Rapport 2023", "attente", "Léa Martin", "La file d’attente")]
    with db.session() as s:
        doc = s.scalar(select(Document).where(Document.name == "Rapport 2023"))
        assert doc.text == PDF_TEXT and doc.guid == S_PDF
        transcript = s.scalar(select(Document).where(
            Document.name == "Entretien Benali (transcript)"))
        turns = s.execute(select(Segment.speaker, Segment.time_start, Segment.time_end)
                          .where(Segment.document_id == transcript.id)
                          .order_by(Segment.n)).all()
    # Times come from the sync points: 0 s, 4 s at the second turn, 9.5 s at the end.
    assert turns == [("Enquêtrice", 0.0, 4.0), ("M. Benali", 4.0, 9.5)]
    # Codings on a page region or a time span have no text to sit on: listed, with why.
    assert [(u["source"], u["code"], u["reason"]) for u in imported["unplaced"]] == [
        ("Rapport 2023", "accueil", "it is on a region of a PDF page, not on its text"),
        ("Entretien Benali (transcript)", "accueil",
         "it is on a time span of the recording, not on its transcript")]
    assert imported["skipped_sources"] == [
        {"source": "Photo du hall",
         "reason": "PictureSource sources are not imported (qualcode keeps text only)"}]


def test_typed_variables_are_agent_attributes_with_their_type_kept(
        db: Database, imported: dict) -> None:
    with db.session() as s:
        roux_id = s.scalar(select(Agent.id).where(Agent.name == "Mme Roux"))
        attrs = dict(s.execute(select(AgentAttribute.key, AgentAttribute.value)
                               .where(AgentAttribute.agent_id == roux_id)).all())
        memo = s.scalar(select(Memo.target_id).where(
            Memo.target_type == "agent", Memo.text == "Usagère rencontrée deux fois"))
    assert attrs == {"âge": "67", "date de l’entretien": "2023-03-14", "revenu": "1234.50",
                     "retraitée": "true", "commune": "Saint-Étienne"}
    assert memo == roux_id
    assert imported["variables"] == {
        "commune": {"type": "Text", "description": ""},
        "date de l’entretien": {"type": "Date", "description": "Jour de la rencontre au guichet"},
        "revenu": {"type": "Float", "description": ""},
        "retraitée": {"type": "Boolean", "description": ""},
        "âge": {"type": "Integer", "description": ""}}


def test_case_codes_and_source_refs_link_agents_to_documents(
        db: Database, imported: dict) -> None:
    assert imported["case_codes"] == [
        {"agent": "Mme Roux", "code": "Cas : Mme Roux", "documents": 1}]
    assert snapshot(db)["document_agents"] == [
        ("Entretien Benali (transcript)", "M. Benali"), ("Entretien Roux", "Mme Roux")]


def test_document_sets_and_what_is_not_imported(db: Database, imported: dict, cli) -> None:
    assert imported["document_sets"] == {"Entretiens de mars": 2, "Terrain": 1}
    assert imported["not_imported"] == [
        "set 'Entretiens de mars': 1 note not grouped: qualcode has no sets of memos (the "
        "notes themselves are imported as memos)",
        "1 graph not imported (2 vertices, 1 edge): qualcode has no graphs",
        "set 'Terrain': 1 of its 2 sources not in the set (they were not imported)",
        "3 links not imported: qualcode has no links between codes, documents, cases or "
        "selections"]
    # The set that also groups a code is a code set too.
    assert [(name, members) for name, _g, members in snapshot(db)["sets"]] == [
        ("Terrain", ["accueil"])]
    rows = cli.json("docs", "list", "--set", "entretiens de mars")
    assert [(r["name"], r["sets"]) for r in rows] == [
        ("Entretien Benali (transcript)", ["Entretiens de mars"]),
        ("Entretien Roux", ["Entretiens de mars"])]
    assert {r["name"]: r["sets"] for r in cli.json("docs", "list")}["Rapport 2023"] == [
        "Terrain"]
    result = cli("docs", "list", "--set", "Vague 3")
    assert result.exit_code == 1
    assert "there is no document set 'Vague 3'" in result.stderr


def test_the_report_says_each_loss_in_one_line(cli, tmp_path: Path) -> None:
    path = write_project(tmp_path / "guichets.qdpx")
    out = cli.ok("import", "qdpx", str(path)).stderr
    lines = [line for line in out.splitlines() if line.startswith("Not imported:")]
    assert lines == [
        "Not imported: set 'Entretiens de mars': 1 note not grouped: qualcode has no sets of "
        "memos (the notes themselves are imported as memos)",
        "Not imported: 1 graph not imported (2 vertices, 1 edge): qualcode has no graphs",
        "Not imported: set 'Terrain': 1 of its 2 sources not in the set (they were not "
        "imported)",
        "Not imported: 3 links not imported: qualcode has no links between codes, documents, "
        "cases or selections"]
    assert "Document set 'Entretiens de mars': 2 documents" in out
    assert "Document set 'Terrain': 1 document (" in out
    assert "Case 'Mme Roux' is what 'Cas : Mme Roux' codes: linked to 1 document." in out
    assert "  Rapport 2023 accueil: it is on a region of a PDF page, not on its text" in out


def _variables(qdpx: Path) -> dict[str, tuple[str, str]]:
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(qdpx) as zf:
        root = ET.fromstring(zf.read("project.qde"))
    ns = "{urn:QDA-XML:project:1.0}"
    return {v.get("name"): (v.get("typeOfVariable"), v.findtext(f"{ns}Description") or "")
            for v in root.iter(f"{ns}Variable")}


def test_round_trip_keeps_sets_types_and_case_codes(db: Database, imported: dict,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "export.qdpx"
    with db.session() as s:
        export_qdpx(s, out)
    assert _variables(out) == {
        "commune": ("Text", ""), "date de l’entretien": ("Date",
                                                        "Jour de la rencontre au guichet"),
        "revenu": ("Float", ""), "retraitée": ("Boolean", ""), "âge": ("Integer", ""),
        "qualcode:kind": ("Text", "")}
    again = open_db(str(tmp_path / "again.db"))
    report = _import(again, out)
    assert report["document_sets"] == {"Entretiens de mars": 2, "Terrain": 1}
    assert report["case_codes"] == imported["case_codes"]
    assert report["not_imported"] == []
    first, second = snapshot(db), snapshot(again)
    for key in ("documents", "codings", "attributes", "document_agents", "sets"):
        assert second[key] == first[key], key
    with again.session() as s:
        from qualcode.corpus.documents import document_sets
        from qualcode.refi.structures import variable_info

        assert document_sets(s)["Entretiens de mars"]["description"] == "Première vague"
        assert variable_info(s)["date de l’entretien"]["type"] == "Date"
    # Exported twice: the same file (stable GUIDs, same types).
    out2 = tmp_path / "export2.qdpx"
    with again.session() as s:
        export_qdpx(s, out2)
    assert _variables(out2) == _variables(out)


def test_an_edited_value_that_no_longer_fits_its_type_is_written_as_text(
        db: Database, imported: dict, tmp_path: Path, cli) -> None:
    with db.session(write=True) as s:
        row = s.scalar(select(AgentAttribute).where(AgentAttribute.key == "date de l’entretien"))
        row.value = "mi-mars 2023"
        s.add(row)
    out = tmp_path / "export.qdpx"
    with db.session() as s:
        export_qdpx(s, out)
    assert _variables(out)["date de l’entretien"][0] == "Text"


@pytest.mark.refi_shared
def test_export_with_sets_and_typed_values_is_valid(db: Database, imported: dict,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "export.qdpx"
    with db.session() as s:
        export_qdpx(s, out)
    qde = assert_valid(out).decode()
    assert "<DateValue>2023-03-14</DateValue>" in qde
    assert f'<CodeRef targetGUID="{CAS_ROUX}"' in qde
    assert qde.count("<MemberSource") == 3


def test_undo_takes_back_the_sets_and_types_with_the_codings(db: Database, imported: dict,
                                                             cli) -> None:
    cli.ok("undo", "--any")
    with db.session() as s:
        from qualcode.corpus.documents import document_sets
        from qualcode.refi.structures import case_codes, variable_info

        assert document_sets(s) == {} and variable_info(s) == {} and case_codes(s) == {}
    assert coded_texts(db) == []
    assert json.loads(json.dumps(cli.json("docs", "list")[0]["sets"])) == []
