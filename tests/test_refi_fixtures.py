"""Our own REFI-QDA files reproduce what other tools' exports do beyond the spec, and qualcode
imports each of them as a researcher expects.

The files are tests/data/refi/*, written by tests/make_refi_fixtures.py; the expected texts
were read off the fixture texts by hand. The real files these behaviours come from are checked
by test_refi_samples.py when ../shared/refi-qda/ is beside the checkout.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import make_refi_fixtures as gen
import pytest
from sqlalchemy import func, select
from support.refi import FIXTURES, XSD, assert_valid, coded_texts, snapshot

from qualcode.codebook.model import Codebook, CodeSpec
from qualcode.codebook.qdc import read_qdc, read_qdc_bytes, write_qdc
from qualcode.codebook.service import import_codebook, load_codebook
from qualcode.corpus.agents import list_agents, upsert_agent
from qualcode.db import Database, open_db
from qualcode.maintenance import check
from qualcode.models import Code, Coder, Coding, Document, Memo, Segment
from qualcode.refi.exporter import export_qdpx
from qualcode.refi.importer import import_qdpx

NVIVO = FIXTURES / "nvivo_windows_utf16.qdpx"
MAXQDA = FIXTURES / "maxqda_sets_duplicates.qdpx"
ATLAS = FIXTURES / "atlasti_users_only.qdpx"
QUALCODER = FIXTURES / "qualcoder_cases_variables.qdpx"
QC = FIXTURES / "qc_plain_path.qdpx"
PROJECTS = [NVIVO, MAXQDA, ATLAS, QUALCODER, QC]
CODEBOOKS = ["spec_style_codebook.qdc", "atlasti_codebook_0_4.qdc", "taguette_empty_sets.qdc",
             "qualcoder_codebook_bom.qdc"]


def _import(db: Database, path: Path) -> dict:
    with db.session(write=True) as s:
        return import_qdpx(s, path, coder="testeur")


def _count(db: Database, model: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def tree(codes: list[CodeSpec]) -> list:
    return [(c.name, tree(c.children)) if c.children else c.name for c in codes]


def test_the_committed_files_are_what_the_generator_writes() -> None:
    written = gen.build_all()
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(written)
    for name, data in written.items():
        assert (FIXTURES / name).read_bytes() == data, (
            f"{name} differs: run `python tests/make_refi_fixtures.py` and commit the result")


@pytest.mark.parametrize("path", PROJECTS, ids=lambda p: p.name)
def test_every_project_imports_whole_and_sound(db: Database, path: Path) -> None:
    report = _import(db, path)
    assert report["unplaced"] == [] and report["skipped_sources"] == []
    assert report["codings"]["added"] == _count(db, Coding)
    assert check(db).problems == []


# --- projects ---------------------------------------------------------------------------------


def test_nvivo_windows_utf16_positions_over_crlf_and_emoji(db: Database) -> None:
    report = _import(db, NVIVO)
    assert report["positions"] == "UTF-16 code units"
    assert coded_texts(db) == [
        ("entretien_lucie.txt", "affluence", "Awa Diallo", "la cohue 😅"),
        ("entretien_lucie.txt", "affluence", "Léa Martin",
         "c'est la cohue 😅 : les gens attendent dehors sous la pluie."),
        ("entretien_lucie.txt", "marche", "Léa Martin", "dix minutes à pied 🚶\u200d♀\ufe0f."),
        ("entretien_lucie.txt", "transports en commun", "Léa Martin",
         "En tram 🚋 jusqu'à la place"),
        ("notes_accueil.txt", "affluence", "Awa Diallo", "File de douze personnes à l'ouverture"),
        ("notes_accueil.txt", "autres", "Léa Martin", "« ce n'est pas contre vous »"),
        ("notes_accueil.txt", "isolement", "Awa Diallo", "un agent seul au guichet"),
    ]
    with db.session() as s:
        texts = dict(s.execute(select(Document.name, Document.text)).all())
        kinds = dict(s.execute(select(Document.name, Document.kind)).all())
    assert all("\r" not in text and not text.startswith("\ufeff") for text in texts.values())
    assert texts["notes_accueil.txt"].startswith("📋 Samedi 9 mars")
    assert kinds == {"entretien_lucie.txt": "interview", "notes_accueil.txt": "document"}
    # The same name under two parents stays two codes.
    assert report["codes"]["renamed"] == [{"from": "autres",
                                           "to": "autres (conditions de travail)"}]


def test_maxqda_sets_and_repeated_code_names(db: Database) -> None:
    report = _import(db, MAXQDA)
    assert report["codes"]["renamed"] == [{"from": "Autres", "to": "Autres (Difficultés)"},
                                          {"from": "Accueil", "to": "Accueil (top)"}]
    assert ("Entretien Marc", "Autres", "Claire", "les primes, les horaires") in coded_texts(db)
    assert ("Entretien Marc", "Autres (Difficultés)", "Claire",
            "les pannes d'imprimante, les badges") in coded_texts(db)
    shot = snapshot(db)
    assert [(name, members) for name, _guid, members in shot["sets"]] == [
        ("Thèmes du rapport", ["charge de travail", "sens du travail"])]
    assert shot["codes"]["Autres"][0] == "Motivation"
    assert shot["codes"]["Autres (Difficultés)"][0] == "Difficultés"
    assert shot["codes"]["Motivation"][4] == "#2E86C1"
    # A MAXQDA document set becomes a document set (`docs list --set`).
    assert report["warnings"] == [] and report["not_imported"] == []
    assert report["document_sets"] == {"Entretiens de mars": 1}


def test_atlasti_project_with_users_and_codes_only(db: Database) -> None:
    report = _import(db, ATLAS)
    assert report["documents"] == [] and report["codings"]["added"] == 0
    with db.session() as s:
        top = s.scalar(select(Code).where(Code.name == "Réunions"))
        children = s.scalars(select(Code.name).where(Code.parent_id == top.id)).all()
        assert top.guid == gen.guid("atlas/code/réunions")  # upper case in the file
        assert sorted(s.scalars(select(Coder.name))) == ["ATLAS.ti", "Inès Moreau"]
    assert sorted(children) == ["2023-03-14 équipe", "2023-04-02 direction"]


def test_qualcoder_cases_variables_notes_and_boms(db: Database) -> None:
    report = _import(db, QUALCODER)
    assert report["positions"] == "code points"
    assert coded_texts(db) == sorted([
        ("entretien_nadia.txt", "précarité", "enquetrice1", "J'ai commencé en contrat aidé"),
        ("entretien_nadia.txt", "parcours", "enquetrice1", "Depuis 2015."),
        ("entretien_nadia.txt", "entraide", "enquetrice1",
         "Sophie, ma voisine de guichet, me remplace quand mon fils est malade."),
        ("entretien_nadia.txt", "réciprocité", "enquetrice1",
         "Sophie, ma voisine de guichet, me remplace quand mon fils est malade."),
        ("entretien_bruno.txt", "usagers", "enquetrice1", "Les gens âgés, on les perd."),
        ("entretien_bruno.txt", "syndicat", "enquetrice1",
         "le syndicat nous a alertés dès le début, c'est pour ça que j'ai adhéré"),
        ("entretien_bruno.txt", "usagers", "enquetrice2", "Les gens âgés"),
    ])
    with db.session() as s:
        nadia = s.scalar(select(Document).where(Document.name == "entretien_nadia.txt"))
        text, variables = nadia.text, nadia.meta["variables"]
        speakers = {name: [g.speaker for g in s.scalars(
            select(Segment).join(Document).where(Document.name == name).order_by(Segment.n))]
            for name in ("entretien_nadia.txt", "entretien_bruno.txt")}
        memos = {(m.target_type, m.title, m.text) for m in s.scalars(select(Memo))}
        anchored = s.scalar(select(Memo).where(Memo.text == "Norme de réciprocité ?"))
        seg = s.get(Segment, anchored.target_id)
        quoted = text[seg.start:seg.end]
        agents = {a["name"]: a for a in list_agents(s)}
    assert not text.startswith("\ufeff") and text.endswith("🙂\n")
    assert variables == {"lieu de l'entretien": "domicile"}
    assert speakers == {"entretien_nadia.txt": ["Enquêtrice", "Nadia", "Enquêtrice", "Nadia"],
                        "entretien_bruno.txt": ["Enquêteur", "Bruno", "Bruno"]}
    assert "« On se rend la pareille »" in quoted
    assert memos == {
        ("project", "", "Mémo de projet : accueil en agence, vague 1"),
        ("project", "Journal de terrain 1",  # a note no element refers to, kept in a file
         "Premier entretien : Nadia a préféré la salle de pause."),
        ("document", "", "mémo du fichier entretien_nadia.txt"),
        ("document", "", "mémo du fichier entretien_bruno.txt"),
        ("segment", "", "contrat aidé = porte d'entrée"),  # a selection's Description
        ("segment", "", "Norme de réciprocité ?"),  # a note anchored by its own selection
        ("agent", "", "agente d'accueil, 41 ans"),
        ("agent", "", "agent polyvalent"),
    }
    assert agents["Nadia"]["attributes"] == {"métier": "agente d'accueil", "âge": "41"}
    assert agents["Bruno"]["attributes"] == {"métier": "agent polyvalent", "âge": "52"}
    assert agents["Nadia"]["documents"] == ["entretien_nadia.txt"]
    # Bruno's case points at a stale file of the archive, not at a source: said, not guessed.
    stale = gen.guid("qc4/file/stale")
    assert report["warnings"] == [f"case 'Bruno' refers to source {stale}, which is not in the "
                                  "project: link ignored"]


def test_qc_paths_without_internal_prefix_and_wrapped_lines(db: Database) -> None:
    report = _import(db, QC)
    assert [d["name"] for d in report["documents"]] == ["reunion_conseil.txt", "admin.txt"]
    texts = coded_texts(db)
    assert ("reunion_conseil.txt", "attente", "cp",
            "il faut bien dire que l'attente moyenne a doublé depuis janvier. Le \n") in texts
    assert ("admin.txt", "autres (organisation)", "cp", "fermeture à 16 h.") in texts
    # A coding that starts in the padding after a speaker label belongs to that turn.
    with db.session() as s:
        coding = s.scalar(select(Coding).join(Code).where(Code.name == "téléphone"))
        turn = s.get(Segment, coding.segment_id)
        text = s.get(Document, coding.document_id).text
        coded, spoken = text[coding.start:coding.end], text[turn.start:turn.end]
    assert coded.strip() == "Oui." and spoken.startswith("Oui. Nous avons reçu")


def test_importing_twice_changes_nothing(db: Database) -> None:
    _import(db, QUALCODER)
    before = snapshot(db)
    again = _import(db, QUALCODER)
    assert again["codings"] == {"added": 0, "already_present": 7}
    assert again["memos"] == {"added": 0, "already_present": 8}
    assert {d["status"] for d in again["documents"]} == {"merged"}
    assert snapshot(db) == before


def test_merge_into_existing_corpus(db: Database, make_doc) -> None:
    """Same name, other text: imported under a new name; agents and codes merge by name."""
    make_doc("entretien_nadia.txt", [("E", "Autre entretien."), ("nadia", "Rien à voir.")])
    with db.session(write=True) as s:
        upsert_agent(s, "nadia", {"âge": "40", "centre": "Nord"})
    report = _import(db, QUALCODER)
    rows = {d["source"]: d for d in report["documents"]}
    assert rows["entretien_nadia.txt"]["name"] == "entretien_nadia.txt (2)"
    assert rows["entretien_nadia.txt"]["status"] == "renamed"
    assert report["agents"] == {"added": ["Bruno"], "merged": ["nadia"]}
    with db.session() as s:
        agents = {a["name"]: a for a in list_agents(s)}
    # The file's attribute values win; attributes it does not have are kept.
    assert agents["nadia"]["attributes"] == {"métier": "agente d'accueil", "âge": "41",
                                             "centre": "Nord"}
    assert agents["nadia"]["documents"] == ["entretien_nadia.txt", "entretien_nadia.txt (2)"]
    assert ("entretien_nadia.txt (2)", "parcours", "enquetrice1", "Depuis 2015.") in \
        coded_texts(db)


def _all_projects_exported(db: Database, path: Path) -> dict:
    for project in PROJECTS:
        _import(db, project)
    with db.session() as s:
        return export_qdpx(s, path)


def test_all_projects_in_one_corpus_travel_through_an_export(db: Database,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "tout.qdpx"
    result = _all_projects_exported(db, out)
    assert result["sources"] == 7 and result["codings"] == 7 + 5 + 0 + 7 + 6
    fresh = open_db(str(tmp_path / "fresh.db"))
    _import(fresh, out)
    before, after = snapshot(db), snapshot(fresh)
    for key in ("documents", "segments", "codes", "sets", "agents", "attributes", "codings",
                "memos"):
        assert after[key] == before[key], key


@pytest.mark.refi_shared
def test_their_export_is_valid_against_the_project_schema(db: Database,
                                                         tmp_path: Path) -> None:
    _all_projects_exported(db, tmp_path / "tout.qdpx")
    assert_valid(tmp_path / "tout.qdpx")


@pytest.mark.refi_shared
def test_fixtures_are_as_valid_as_the_files_they_imitate() -> None:
    """Every fixture passes the official schemas, except the empty <Sets/>, which real files
    have and the schema refuses."""
    from lxml import etree

    project = etree.XMLSchema(etree.parse(str(XSD)))
    codebook = etree.XMLSchema(etree.parse(str(XSD.with_name("Codebook.xsd"))))
    for path in PROJECTS:
        with zipfile.ZipFile(path) as zf:
            assert project.validate(etree.fromstring(zf.read("project.qde"))), path.name
    for name in CODEBOOKS:
        doc = etree.fromstring((FIXTURES / name).read_bytes().removeprefix(b"\xef\xbb\xbf"))
        assert codebook.validate(doc) is (name != "taguette_empty_sets.qdc"), name


# --- codebooks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CODEBOOKS)
def test_every_codebook_imports_and_exports_the_same_tree(db: Database, name: str) -> None:
    book = read_qdc(FIXTURES / name)
    with db.session(write=True) as s:
        import_codebook(s, book)
    with db.session() as s:
        loaded = load_codebook(s)
    assert tree(loaded.codes) == tree(book.codes)
    again = read_qdc_bytes(write_qdc(loaded))
    assert tree(again.codes) == tree(book.codes)
    assert [c.guid for c, _ in again.walk()] == [c.guid for c, _ in book.walk()]
    assert [s.members for s in again.sets] == [s.members for s in book.sets]


def test_spec_style_categories_braces_and_colours() -> None:
    book = read_qdc(FIXTURES / "spec_style_codebook.qdc")
    assert tree(book.codes) == ["Thèmes", "Logement", "Santé", "Valeurs", "Solidarité", "Mérite"]
    assert [c.is_codable for c in book.codes] == [False, True, True, False, True, True]
    assert book.codes[0].guid == gen.guid("spec/thèmes")  # braces stripped
    assert book.codes[3].guid == gen.guid("spec/valeurs")  # none there
    assert (book.codes[1].colour, book.codes[1].description) == (
        "#FFCC00", "Loyer, voisinage, recherche d'un logement")
    assert book.sets == []


def test_atlasti_namespace_0_4_and_code_group() -> None:
    book = read_qdc(FIXTURES / "atlasti_codebook_0_4.qdc")
    assert tree(book.codes) == ["attente", "colère"]
    assert (book.codes[0].guid, book.codes[0].colour) == (gen.guid("atlasqdc/attente"),
                                                          "#46AA00")
    [group] = book.sets
    assert (group.name, group.description, group.members) == (
        "groupe de codes 1", "catégorie 1", [gen.guid("atlasqdc/attente")])


def test_taguette_empty_sets_and_markup_like_names() -> None:
    book = read_qdc(FIXTURES / "taguette_empty_sets.qdc")
    assert tree(book.codes) == ["xsd:element name", "<guichet>", "file d'attente"]
    assert book.sets == []


def test_qualcoder_bom_and_folders() -> None:
    path = FIXTURES / "qualcoder_codebook_bom.qdc"
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    book = read_qdc(path)
    assert tree(book.codes) == [
        "parcours",
        ("relations", [("entraide", ["réciprocité"]), "usagers"]),
        ("travail", ["syndicat", ("statut", ["précarité"])]),
    ]
    assert [c.name for c, _ in book.walk() if not c.is_codable] == ["relations", "travail",
                                                                    "statut"]
    entraide = book.codes[1].children[0]
    assert entraide.description == "Entraide entre collègues (remplacements, garde d'enfants)"
    assert entraide.colour == "#F5A9A9"
    assert isinstance(book, Codebook)
