"""REFI-QDA .qdc: every sample imports with the right tree, every export validates, XML is safe.

The samples (other tools' files) and the official schema are in ../shared/refi-qda/, beside the
project's checkouts only: tests that need them are marked refi_shared and skipped elsewhere;
test_refi_fixtures.py checks the same behaviours on our own files."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import REFI_FIXTURES, REFI_SHARED
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import func, select

from qualcode.codebook.model import Codebook, CodeSpec
from qualcode.codebook.qdc import (
    codebook_from_element,
    codes_to_element,
    compose_description,
    parse_xml,
    read_qdc,
    read_qdc_bytes,
    split_description,
    write_qdc,
)
from qualcode.codebook.service import import_codebook, load_codebook
from qualcode.codebook.yaml_io import parse_yaml
from qualcode.errors import InvalidInput
from qualcode.models import Code

SAMPLES = REFI_SHARED / "samples"
XSD = REFI_SHARED / "xsd" / "Codebook.xsd"
SAMPLE_QDC = ["atlasti23_win_codebook_from_requal_test.qdc",
              "qualcoder4_codebook_terrain_st_etienne.qdc",
              "spec_REFI-QDA-1-5_annexA1_codebook.qdc", "taguette141_codebook.qdc"]


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def assert_valid(schema: etree.XMLSchema, data: bytes) -> None:
    doc = etree.fromstring(data)
    assert schema.validate(doc), schema.error_log


def tree(codes: list[CodeSpec]) -> list:
    """Names with their sub-trees: `name` for a leaf, `(name, [...])` otherwise."""
    return [(c.name, tree(c.children)) if c.children else c.name for c in codes]


def depths(book: Codebook) -> dict[int, int]:
    out: Counter[int] = Counter()

    def visit(codes: list[CodeSpec], depth: int) -> None:
        for c in codes:
            out[depth] += 1
            visit(c.children, depth + 1)

    visit(book.codes, 1)
    return dict(out)


def qdpx_codebook(name: str) -> Codebook:
    """The codebook part of a sample project, through the API the .qdpx importer uses."""
    with zipfile.ZipFile(SAMPLES / name) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".qde"))
        root = parse_xml(archive.read(member), member)
    books = [el for el in root if el.tag.endswith("}CodeBook")]
    assert len(books) == 1
    return codebook_from_element(books[0])


ST_ETIENNE_TREE = [
    "trajectoire migratoire",
    ("réseau", [("famille", ["garde des enfants"]), "voisinage"]),
    ("travail", ["syndicat", ("conditions d'emploi", ["précarité"])]),
]


# --- every sample ----------------------------------------------------------------------------


@pytest.mark.refi_shared
def test_sample_spec_annex():
    book = read_qdc(SAMPLES / "spec_REFI-QDA-1-5_annexA1_codebook.qdc")
    assert tree(book.codes) == ["Topics", "Economy", "Health care", "Values", "Conservatives",
                                "Liberals"]
    topics, economy = book.codes[0], book.codes[1]
    assert (topics.is_codable, topics.guid) == (False, "5215cc69-b628-4e02-afb9-9beeaee55808")
    assert book.codes[3].guid == "9fa9bcb7-5b59-47a9-8c3e-f65cffdc7520"  # no braces there
    assert (economy.colour, economy.description) == (
        "#FFFF00", "Anything about jobs or taxes or business")
    assert [c.is_codable for c in book.codes] == [False, True, True, False, True, True]
    assert book.sets == []


@pytest.mark.refi_shared
def test_sample_atlasti_codebook_with_a_code_group():
    book = read_qdc(SAMPLES / "atlasti23_win_codebook_from_requal_test.qdc")
    assert tree(book.codes) == ["code1"]
    code = book.codes[0]
    assert (code.guid, code.colour, code.description) == (
        "1ff58b12-6f6f-4b0c-8be5-bbdc91f55294", "#46AA00", "description")
    assert len(book.sets) == 1
    group = book.sets[0]
    assert (group.name, group.description, group.guid, group.members) == (
        "code group 1", "kategorie 1", "eca18d76-2b8b-4f26-bc1d-19eca19fb3f0",
        ["1ff58b12-6f6f-4b0c-8be5-bbdc91f55294"])


@pytest.mark.refi_shared
def test_sample_taguette_with_empty_sets():
    book = read_qdc(SAMPLES / "taguette141_codebook.qdc")
    assert tree(book.codes) == ["xsd:element name", "CodeBook", "Variables"]
    assert book.codes[0].guid == "098ac082-a9c7-50f4-9728-48730081a95e"
    assert book.sets == []


@pytest.mark.refi_shared
def test_sample_qualcoder_codebook_with_bom_and_folders():
    assert (SAMPLES / "qualcoder4_codebook_terrain_st_etienne.qdc").read_bytes()[:3] == \
        b"\xef\xbb\xbf"
    book = read_qdc(SAMPLES / "qualcoder4_codebook_terrain_st_etienne.qdc")
    assert tree(book.codes) == ST_ETIENNE_TREE
    assert book.count() == 9
    folders = [c.name for c, _ in book.walk() if not c.is_codable]
    assert folders == ["réseau", "travail", "conditions d'emploi"]
    famille = book.codes[1].children[0]
    assert famille.description == "Soutien familial (garde d'enfants, embauche)"
    assert famille.colour == "#F5A9A9"


@pytest.mark.refi_shared
def test_sample_qualcoder_project_codebook():
    book = qdpx_codebook("qualcoder4_terrain_st_etienne.qdpx")
    assert tree(book.codes) == ST_ETIENNE_TREE
    assert book.codes[0].guid == "4ecebd89-00d5-4e9f-b8ad-e1ca10f212b5"


@pytest.mark.refi_shared
def test_sample_atlasti_project_codebook():
    book = qdpx_codebook("atlasti23_win_target-atlas-project.qdpx")
    assert tree(book.codes) == [("Commits", ["2022-05-10T02:05:59Z 19e4dce",
                                             "2022-02-11T10:39:25Z cdbfd92"])]
    assert book.codes[0].guid == "a182cd3a-d83c-4d8c-bc80-26d9103ec6d6"


# Counted by hand in the files: 3 research questions at the top, 7 + 3 + 8 codes below them,
# seven levels deep, 262 codes in all; nine names repeat (citizenship three times).
NVIVO_DEPTHS = {1: 3, 2: 18, 3: 112, 4: 91, 5: 26, 6: 9, 7: 3}


@pytest.mark.refi_shared
@pytest.mark.parametrize("name", ["nvivo15_mac_nvivo_project.qdpx", "qc132_demo.qdpx"])
def test_sample_nvivo_and_qc_projects_have_262_nested_codes(name, db):
    book = qdpx_codebook(name)
    assert book.count() == 262
    assert depths(book) == NVIVO_DEPTHS
    assert [c.name for c in book.codes] == ["rq1_definition", "rq2_curriculum_and_instruction",
                                            "rq3_process"]
    assert [c.name for c in book.codes[1].children] == ["curriculum", "implementation",
                                                        "pedagogy"]
    assert book.codes[0].guid == "34653336-3766-3235-6466-363134396437"
    with db.session(write=True) as s:
        report = import_codebook(s, book)
    assert len(report.added) == 262
    assert len(report.renamed) == 10  # 2 for citizenship, 1 for each of 8 others
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Code)) == 262
        assert depths(load_codebook(s)) == NVIVO_DEPTHS


@pytest.mark.refi_shared
@pytest.mark.parametrize("name", SAMPLE_QDC)
def test_every_sample_qdc_imports_and_exports_valid(name, db, schema):
    book = read_qdc(SAMPLES / name)
    with db.session(write=True) as s:
        import_codebook(s, book)
    with db.session() as s:
        loaded = load_codebook(s)
    assert tree(loaded.codes) == tree(book.codes)
    data = write_qdc(loaded)
    assert_valid(schema, data)
    again = read_qdc_bytes(data)
    assert tree(again.codes) == tree(book.codes)
    assert [c.guid for c, _ in again.walk()] == [c.guid for c, _ in book.walk()]
    assert [s.members for s in again.sets] == [s.members for s in book.sets]


# --- tolerance -------------------------------------------------------------------------------


VARIANT = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="{ns}"><Codes>
<Code guid="{{ABCDEF01-2345-6789-ABCD-EF0123456789}}" name="Attente" isCodable="true" color="#abc">
<Description>Le temps au guichet</Description>
<Code guid="abcdef01-2345-6789-abcd-ef012345678a" name="file" isCodable="TRUE"/>
</Code></Codes><Sets/></CodeBook>"""


@pytest.mark.parametrize("ns", ["urn:QDA-XML:codebook:1.0", "urn:QDA-XML:codebook:1:0",
                                "urn:QDA-XML:codebook:0:4", "urn:QDA-XML:project:1.0", ""])
def test_namespace_variants_guid_braces_and_short_colours(ns):
    text = VARIANT.format(ns=ns) if ns else VARIANT.format(ns="x").replace(' xmlns="x"', "")
    book = read_qdc_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert tree(book.codes) == [("Attente", ["file"])]
    assert book.codes[0].guid == "abcdef01-2345-6789-abcd-ef0123456789"
    assert book.codes[0].colour == "#AABBCC"
    assert book.codes[0].children[0].is_codable is True


def test_code_without_guid_gets_one_at_import_and_keeps_it(db):
    data = b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="sans guid" ' \
           b'isCodable="true"/></Codes></CodeBook>'
    book = read_qdc_bytes(data)
    assert book.codes[0].guid is None
    with db.session(write=True) as s:
        import_codebook(s, book)
    with db.session() as s:
        first = write_qdc(load_codebook(s))
        second = write_qdc(load_codebook(s))
        guid = s.scalar(select(Code.guid))
    assert first == second
    assert read_qdc_bytes(first).codes[0].guid == guid


# --- Description layout ----------------------------------------------------------------------


def test_inclusion_and_exclusion_travel_inside_description():
    code = CodeSpec(name="c", description="Définition.\nSur deux lignes.",
                    inclusion="Quand l’agent le dit.", exclusion="La fatigue seule.")
    text = compose_description(code)
    assert text == ("Définition.\nSur deux lignes.\n\nInclusion: Quand l’agent le dit.\n\n"
                    "Exclusion: La fatigue seule.")
    assert split_description(text) == ("Définition.\nSur deux lignes.", "Quand l’agent le dit.",
                                       "La fatigue seule.")
    assert split_description("Inclusion: seulement ça") == ("", "seulement ça", "")
    assert split_description("Un texte libre.") == ("Un texte libre.", "", "")


_para = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n"),
                max_size=30).filter(
    lambda t: not any(line.lower().lstrip().startswith(("inclusion", "exclusion"))
                      for line in t.split("\n")))


@settings(max_examples=100, deadline=None)
@given(_para, _para, _para)
def test_description_layout_round_trip_property(definition, inclusion, exclusion):
    code = CodeSpec(name="c", description=definition, inclusion=inclusion, exclusion=exclusion)
    assert split_description(compose_description(code)) == (
        definition.strip(), inclusion.strip(), exclusion.strip())


# --- writing ---------------------------------------------------------------------------------


RICH = """\
name: Riche
codes:
  - name: perte de sens
    colour: "#B03A2E"
    description: "Définition & <balises> « guillemets »"
    inclusion: L’agent le dit.
    exclusion: La fatigue.
    examples: ["« exemple »"]
    keywords: [sens]
    children:
      - name: routine
        codable: false
        children:
          - name: répétition
  - name: vide
sets:
  - name: groupe
    description: Un groupe
    codes: [routine, vide]
  - name: groupe vide
"""


def _rich_qdc() -> bytes:
    book = parse_yaml(RICH)
    book.codes[0].description += "\u000b\r\nsuite"  # control char and CRLF in the text
    return write_qdc(book)


def test_export_never_writes_empty_containers_and_keeps_fields():
    data = _rich_qdc()
    text = data.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<CodeBook ')
    assert 'xmlns="urn:QDA-XML:codebook:1.0"' in text
    assert "<Description />" not in text and "<Description></Description>" not in text
    assert "<Sets />" not in text
    back = read_qdc_bytes(data)
    assert tree(back.codes) == [("perte de sens", [("routine", ["répétition"])]), "vide"]
    first = back.codes[0]
    assert first.description == "Définition & <balises> « guillemets »\nsuite"
    assert (first.inclusion, first.exclusion, first.colour) == (
        "L’agent le dit.", "La fatigue.", "#B03A2E")
    assert (first.examples, first.keywords) == ([], [])  # REFI has no field for them
    assert back.codes[0].children[0].is_codable is False
    assert [(s.name, len(s.members)) for s in back.sets] == [("groupe", 2), ("groupe vide", 0)]
    assert len({c.guid for c, _ in back.walk()}) == 4


def test_codes_to_element_in_the_project_namespace():
    book = parse_yaml(RICH)
    element = codes_to_element(book, "urn:QDA-XML:project:1.0")
    assert element.tag == "{urn:QDA-XML:project:1.0}CodeBook"
    assert [child.tag.split("}")[1] for child in element] == ["Codes", "Sets"]
    assert tree(codebook_from_element(element).codes) == tree(book.codes)
    assert codes_to_element(Codebook()) is None


def test_empty_codebook_cannot_be_a_qdc():
    with pytest.raises(InvalidInput, match="at least one code"):
        write_qdc(Codebook())


# --- database round trip ---------------------------------------------------------------------


def _rich_through_a_database(path: Path) -> tuple[Any, bytes]:
    """The RICH codebook imported into a corpus at ``path``, and that corpus's .qdc export."""
    from qualcode.db import open_db

    first = open_db(str(path))
    with first.session(write=True) as s:
        import_codebook(s, parse_yaml(RICH))
    with first.session() as s:
        return first, write_qdc(load_codebook(s))


@pytest.mark.refi_shared
def test_exports_are_valid_against_the_codebook_schema(tmp_path, schema, cli):
    assert_valid(schema, _rich_qdc())
    assert_valid(schema, _rich_through_a_database(tmp_path / "a.db")[1])
    cli.ok("codebook", "import", REFI_FIXTURES / "qualcoder_codebook_bom.qdc")
    cli.ok("codebook", "export", tmp_path / "export.qdc")
    assert_valid(schema, (tmp_path / "export.qdc").read_bytes())


def test_round_trip_yaml_db_qdc_db_yaml(tmp_path):
    from qualcode.db import open_db

    first, qdc = _rich_through_a_database(tmp_path / "a.db")
    second = open_db(str(tmp_path / "b.db"))
    with second.session(write=True) as s:
        import_codebook(s, read_qdc_bytes(qdc))
    with first.session() as s:
        a = load_codebook(s)
    with second.session() as s:
        b = load_codebook(s)
    assert tree(b.codes) == tree(a.codes)
    for (x, _), (y, _) in zip(a.walk(), b.walk(), strict=True):
        assert (y.name, y.guid, y.description, y.inclusion, y.exclusion, y.colour,
                y.is_codable) == (x.name, x.guid, x.description, x.inclusion, x.exclusion,
                                  x.colour, x.is_codable)
        assert (y.examples, y.keywords) == ([], [])  # not in REFI: they stay in YAML / db
    assert [(s.name, s.members) for s in b.sets] == [(s.name, s.members) for s in a.sets]
    # back into the first corpus: examples and keywords survive there
    with first.session(write=True) as s:
        report = import_codebook(s, read_qdc_bytes(qdc))
        assert report.added == report.updated == []
    with first.session() as s:
        assert load_codebook(s) == a
        assert load_codebook(s).codes[0].keywords == ["sens"]


# --- safety ----------------------------------------------------------------------------------


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE CodeBook [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
<Code guid="11111111-1111-1111-1111-111111111111" name="&secret;" isCodable="true"/>
</Codes></CodeBook>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
<Code guid="11111111-1111-1111-1111-111111111111" name="&lol3;" isCodable="true"/>
</Codes></CodeBook>"""


@pytest.mark.parametrize(("data", "message"), [
    (XXE, "declares XML entities or external references"),
    (LAUGHS, "declares XML entities or external references"),
    (b"<CodeBook><Codes><Code name='a'></Codes>", "is not well-formed XML (line 1"),
    (b"", "is not well-formed XML"),
    (b'<Project xmlns="urn:QDA-XML:project:1.0"/>', "the root element is <Project>"),
])
def test_unsafe_or_malformed_xml_is_refused_and_changes_nothing(cli, tmp_path, data, message):
    cli.ok("init")
    good = tmp_path / "bon.qdc"
    good.write_bytes(write_qdc(Codebook(codes=[CodeSpec(name="existant")])))
    cli.ok("codebook", "import", good)
    bad = tmp_path / "mauvais.qdc"
    bad.write_bytes(data)
    result = cli("codebook", "import", bad)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: mauvais.qdc")
    assert message in lines[0]
    assert "root:" not in result.stderr  # nothing of /etc/passwd leaked
    assert [r["name"] for r in cli.json("codebook", "show")] == ["existant"]


def test_cli_qdc_import_then_export(cli, tmp_path):
    cli.ok("codebook", "import", REFI_FIXTURES / "qualcoder_codebook_bom.qdc")
    out = tmp_path / "export.qdc"
    cli.ok("codebook", "export", out)
    assert tree(read_qdc(out).codes) == [
        "parcours",
        ("relations", [("entraide", ["réciprocité"]), "usagers"]),
        ("travail", ["syndicat", ("statut", ["précarité"])]),
    ]


@pytest.mark.refi_shared
def test_sample_files_are_where_the_tests_expect_them():
    assert sorted(p.name for p in SAMPLES.glob("*.qdc")) == SAMPLE_QDC
    assert len(list(SAMPLES.glob("*.qdpx"))) == 4
    assert Path(XSD).exists()
