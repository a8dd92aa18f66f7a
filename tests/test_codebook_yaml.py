"""Codebook YAML: strict loading with errors that name the code and line, exact round trip."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.codebook.model import Codebook, CodeSetSpec, CodeSpec
from qualcode.codebook.yaml_io import dump_yaml, load_yaml, parse_yaml
from qualcode.errors import InvalidInput

SMALL = """\
name: Accueil
version: "3"
description: >-
  Codes pour les observations
  au guichet.
codes:
  - name: attente
    colour: "#1a5276"
    description: |
      Le temps passé à attendre.
      Deux lignes.
    inclusion: Toute mention d’une file ou d’un délai.
    exclusion: L’attente d’une décision administrative.
    examples: ["« On attend depuis une heure »", "Il regarde sa montre."]
    keywords: [attendre, "file d'attente"]
    children:
      - name: l’impatience
        keywords: [s'énerver]
      - name: Résignation
        codable: false
  - name: tension
sets:
  - name: émotions
    description: Ce que ressentent les usagers.
    codes: [L'impatience, tension]
"""


def test_small_codebook_fields_and_tree():
    book = parse_yaml(SMALL)
    assert (book.name, book.version) == ("Accueil", "3")
    assert book.description == "Codes pour les observations au guichet."
    assert [c.name for c in book.codes] == ["attente", "tension"]
    attente = book.codes[0]
    assert attente.colour == "#1A5276"  # normalised to upper case
    assert attente.description == "Le temps passé à attendre.\nDeux lignes."
    assert attente.exclusion == "L’attente d’une décision administrative."
    assert attente.examples == ["« On attend depuis une heure »", "Il regarde sa montre."]
    assert attente.keywords == ["attendre", "file d'attente"]
    assert [c.name for c in attente.children] == ["l’impatience", "Résignation"]
    assert attente.children[1].is_codable is False
    assert book.sets == [CodeSetSpec(name="émotions", description="Ce que ressentent les usagers.",
                                     members=["L'impatience", "tension"])]
    assert book.count() == 4


def test_dump_then_load_gives_back_every_field():
    book = parse_yaml(SMALL)
    text = dump_yaml(book)
    assert parse_yaml(text) == book
    assert dump_yaml(parse_yaml(text)) == text  # stable bytes
    assert "« On attend depuis une heure »" in text  # allow_unicode, no \\u escapes
    assert "description: |-\n      Le temps passé" in text  # multi-line text as a block


def test_load_yaml_reads_utf8_with_bom(tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SMALL.encode("utf-8"))
    assert load_yaml(path).codes[0].name == "attente"


@pytest.mark.parametrize(("text", "message"), [
    ("codes:\n  - name: a\n    colour: rouge\n", "line 2, code 'a': colour 'rouge' is not #RRGGBB"),
    ("codes:\n  - name: a\n    definition: x\n    couleur: y\n",
     "line 2, code 'a': unknown keys 'definition', 'couleur'"),
    ("codes:\n  - name: a\n    children: b\n", "code 'a': `children` must be a list"),
    ("codes:\n  - name: Sens\n  - name: x\n    children:\n      - name: sens\n",
     "code 'sens' appears twice"),
    ("codes:\n  - name: l’usure\n  - name: L'USURE\n", "appears twice"),
    ("codes:\n  - description: sans nom\n", "line 2: a code has no `name`"),
    ("codes:\n  - name: a\n", "top level: the codebook has no `name`"),
    ("name: ''\ncodes:\n  - name: a\n", "top level: the codebook has no `name`"),
    ("codes:\n  - name: '   '\n", "a code name cannot be empty"),
    ("codes:\n  - name: \"a\\tb\"\n", "control character (U+0009)"),
    ("codes:\n  - name: a\n    keywords: sens\n", "`keywords` must be a list"),
    ("titre: x\ncodes: []\n", "top level: unknown key 'titre'"),
    ("codes:\n  - name: a\n   - name: b\n", "not valid YAML at line 3"),
    ("- a\n- b\n", "expected a mapping"),
    ("codes:\n  - name: a\nsets:\n  - name: s\n    codes: [zzz]\n", "unknown code 'zzz'"),
])
def test_invalid_yaml_is_a_clear_error(text, message):
    with pytest.raises(InvalidInput) as info:
        parse_yaml(text, source="cb.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("cb.yaml")


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).map(str.strip)
_name = st.text(st.characters(whitelist_categories=("L", "Nd"), whitelist_characters=" ’'-"),
                min_size=1, max_size=20).map(lambda n: unicodedata.normalize("NFC", n).strip()
                                             ).filter(bool)  # names are stored NFC
_list = st.lists(_text.filter(bool), max_size=3)


@st.composite
def _codebooks(draw):
    names = draw(st.lists(_name, min_size=1, max_size=6,
                          unique_by=lambda n: " ".join(n.replace("’", "'").casefold().split())))
    codes = [CodeSpec(name=n, description=draw(_text), inclusion=draw(_text),
                      exclusion=draw(_text), examples=draw(_list), keywords=draw(_list),
                      colour=draw(st.none() | st.just("#A1B2C3")),
                      is_codable=draw(st.booleans())) for n in names]
    # nest the second half under the first code
    top = codes[: max(1, len(codes) // 2)]
    top[0].children = codes[len(top):]
    return Codebook(name=draw(_name), version=draw(_text), description=draw(_text), codes=top)


@settings(max_examples=60, deadline=None)
@given(_codebooks())
def test_yaml_round_trip_property(book):
    assert parse_yaml(dump_yaml(book)) == book
