"""The default codebook codebooks/guichet.yaml: shape, complete fields, valid exports."""

from __future__ import annotations

import pytest
from conftest import REFI_SHARED, REPO

from qualcode.codebook.model import Codebook
from qualcode.codebook.qdc import read_qdc_bytes, write_qdc
from qualcode.codebook.service import import_codebook, load_codebook
from qualcode.codebook.yaml_io import dump_yaml, load_yaml, parse_yaml

GUICHET = REPO / "codebooks" / "guichet.yaml"


def test_four_top_level_codes_with_two_to_four_sub_codes():
    book = load_yaml(GUICHET)
    assert book.name and book.version and book.description
    assert [c.name for c in book.codes] == ["perte de sens", "déqualification", "stratégies",
                                            "discrédit"]
    for code in book.codes:
        assert 2 <= len(code.children) <= 4, code.name
        assert all(not child.children for child in code.children)


def test_every_code_has_every_field():
    for code, _ in load_yaml(GUICHET).walk():
        assert code.description and code.inclusion and code.exclusion, code.name
        assert len(code.examples) >= 3, code.name
        assert code.keywords, code.name
        assert code.colour, code.name


def _through_the_database(db) -> tuple[Codebook, bytes]:
    """guichet.yaml, and its .qdc export after a trip through the corpus."""
    book = load_yaml(GUICHET)
    with db.session(write=True) as s:
        report = import_codebook(s, book)
    assert len(report.added) == book.count()
    with db.session() as s:
        return book, write_qdc(load_codebook(s))


def test_guichet_round_trips_through_yaml_database_and_qdc(db):
    book = load_yaml(GUICHET)
    assert parse_yaml(dump_yaml(book)) == book
    book, data = _through_the_database(db)
    back = read_qdc_bytes(data)
    assert _shape(back) == _shape(book)


@pytest.mark.refi_shared
def test_guichet_qdc_export_is_valid_against_the_codebook_schema(db):
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(REFI_SHARED / "xsd" / "Codebook.xsd")))
    data = _through_the_database(db)[1]
    assert schema.validate(etree.fromstring(data)), schema.error_log


def _shape(book: Codebook) -> list[tuple]:
    return [(c.name, p.name if p else None, c.description, c.inclusion, c.exclusion, c.colour)
            for c, p in book.walk()]
