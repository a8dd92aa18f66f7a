"""Codebook in the database: merge-import, load, tree with counts, export by suffix."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode.codebook.model import REFI_FIELDS, Codebook, CodeSpec
from qualcode.codebook.service import (
    codebook_tree,
    export_codebook,
    import_codebook,
    load_codebook,
)
from qualcode.codebook.yaml_io import load_yaml, parse_yaml
from qualcode.corpus.coders import get_or_create_coder
from qualcode.errors import InvalidInput
from qualcode.models import AuditEntry, Code, Coding, Meta, Segment

BOOK = """\
name: Guichet test
version: "1"
codes:
  - name: perte de sens
    colour: "#B03A2E"
    description: Le travail ne veut plus rien dire.
    inclusion: L’agent le dit lui-même.
    exclusion: La fatigue seule.
    examples: ["« Je tamponne, c’est tout. »"]
    keywords: [sens, "perdre le sens"]
    children:
      - name: routine
        description: Gestes répétés sans fin.
      - name: l’absurde
  - name: stratégies
    colour: "#1F618D"
    children:
      - name: contournement
"""


def _import(db, text: str, **kw):
    with db.session(write=True) as s:
        return import_codebook(s, parse_yaml(text), coder="alice", **kw)


def _tree(db):
    with db.session() as s:
        return [(r["name"], r["parent"]) for r in codebook_tree(s)]


def test_import_then_load_gives_the_same_codebook(db):
    report = _import(db, BOOK)
    assert report.added == ["perte de sens", "routine", "l’absurde", "stratégies",
                            "contournement"]
    assert report.updated == report.unchanged == []
    with db.session() as s:
        loaded = load_codebook(s)
        assert s.get(Meta, "codebook.name").value == "Guichet test"
        assert s.get(Meta, "codebook.version").value == "1"
        entry = s.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.coder) == ("codebook import", "alice")
    original = parse_yaml(BOOK)
    for spec, _ in loaded.walk():  # the database gave each code a GUID
        assert len(spec.guid) == 36
        spec.guid = None
    assert loaded == original


def test_reimport_merges_by_name_and_deletes_nothing(db):
    _import(db, BOOK)
    again = _import(db, BOOK)
    assert again.added == again.updated == []
    assert len(again.unchanged) == 5
    changed = BOOK.replace("Gestes répétés sans fin.", "Gestes répétés.") \
        .replace("  - name: stratégies\n    colour: \"#1F618D\"\n    children:\n"
                 "      - name: contournement\n",
                 "  - name: STRATÉGIES\n    colour: \"#1F618D\"\n  - name: retrait\n")
    report = _import(db, changed)
    assert report.added == ["retrait"]
    assert report.updated == ["routine", "STRATÉGIES"]  # new definition; new spelling
    # `contournement` is not in the file any more: it stays, still under its parent
    assert ("contournement", "STRATÉGIES") in _tree(db)
    with db.session() as s:
        assert s.scalar(select(Code).where(Code.name == "routine")).description == \
            "Gestes répétés."


def test_import_moves_a_code_to_its_new_parent(db):
    _import(db, BOOK)
    moved = BOOK.replace("      - name: l’absurde\n", "") + "      - name: l'absurde\n"
    report = _import(db, moved)
    assert report.updated == ["l'absurde"]  # ’ and ' are the same name; parent changed
    assert ("l'absurde", "stratégies") in _tree(db)


def test_import_matches_by_guid_when_the_name_changed(db):
    _import(db, BOOK)
    with db.session() as s:
        guid = s.scalar(select(Code.guid).where(Code.name == "routine"))
    renamed = BOOK.replace("      - name: routine\n",
                           f"      - name: répétition\n        guid: \"{{{guid.upper()}}}\"\n")
    report = _import(db, renamed)
    assert report.updated == ["répétition"]
    with db.session() as s:
        code = s.scalar(select(Code).where(Code.guid == guid))
        assert code.name == "répétition"
        assert s.scalar(select(Code).where(Code.name == "routine")) is None


def test_refi_import_keeps_examples_and_keywords(db):
    _import(db, BOOK)
    refi = Codebook(codes=[CodeSpec(name="Perte de sens", description="Nouvelle définition.",
                                    colour="#000000")], fields=REFI_FIELDS)
    with db.session(write=True) as s:
        report = import_codebook(s, refi, coder="alice")
    assert report.updated == ["Perte de sens"]
    with db.session() as s:
        code = s.scalar(select(Code).where(Code.norm_name == "perte de sens"))
        assert code.description == "Nouvelle définition."
        assert code.inclusion == ""  # REFI holds inclusion (inside Description): now empty
        assert code.keywords == ["sens", "perdre le sens"]
        assert code.examples == ["« Je tamponne, c’est tout. »"]
        assert s.get(Meta, "codebook.name").value == "Guichet test"  # unnamed source


def test_repeated_names_in_a_source_are_renamed_with_their_parent(db):
    book = Codebook(codes=[
        CodeSpec(name="choix", guid="00000000-0000-0000-0000-000000000001"),
        CodeSpec(name="école", children=[
            CodeSpec(name="Choix", guid="00000000-0000-0000-0000-000000000002")]),
    ], fields=REFI_FIELDS)
    with db.session(write=True) as s:
        report = import_codebook(s, book)
        ids = report.code_ids
    assert report.renamed == [("Choix", "Choix (école)")]
    assert book.codes[1].children[0].name == "Choix"  # the caller's codebook is untouched
    assert _tree(db) == [("choix", None), ("école", None), ("Choix (école)", "école")]
    with db.session() as s:
        assert s.get(Code, ids["00000000-0000-0000-0000-000000000002"]).name == "Choix (école)"


def test_tree_counts_own_codings_and_sub_codes(db, make_doc):
    _import(db, BOOK)
    doc = make_doc("entretien_01.txt", [("E", "Et le travail ?"),
                                        ("Hélène", "On tamponne, c’est tout."),
                                        ("Hélène", "Je passe des heures à recopier.")])
    with db.session(write=True) as s:
        coder = get_or_create_coder(s, "alice")
        segs = list(s.scalars(select(Segment).where(Segment.document_id == doc)
                              .order_by(Segment.n)))
        codes = {c.name: c.id for c in s.scalars(select(Code))}
        for name, seg in [("perte de sens", segs[1]), ("routine", segs[1]), ("routine", segs[2]),
                          ("l’absurde", segs[2]), ("contournement", segs[2])]:
            s.add(Coding(code_id=codes[name], document_id=doc, segment_id=seg.id,
                         start=seg.start, end=seg.end, coder_id=coder.id))
    with db.session() as s:
        counts = {r["name"]: (r["codings"], r["codings_total"]) for r in codebook_tree(s)}
    assert counts == {"perte de sens": (1, 4), "routine": (2, 2), "l’absurde": (1, 1),
                      "stratégies": (0, 1), "contournement": (1, 1)}


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".qdc", ".md", ".tex"])
def test_export_by_suffix(db, tmp_path, suffix):
    _import(db, BOOK)
    path = tmp_path / f"livre{suffix}"
    with db.session() as s:
        result = export_codebook(s, path)
    assert result["codes"] == 5
    text = path.read_text(encoding="utf-8")
    assert "l’absurde" in text
    if suffix in (".yaml", ".yml"):
        with db.session() as s:
            assert load_yaml(path) == load_codebook(s)


def test_export_unknown_suffix_lists_the_supported_ones(db, tmp_path):
    _import(db, BOOK)
    with db.session() as s, pytest.raises(InvalidInput) as info:
        export_codebook(s, tmp_path / "livre.docx")
    assert ".yaml, .yml, .qdc, .md, .tex" in str(info.value)
    assert not (tmp_path / "livre.docx").exists()


def test_markdown_appendix_layout(db, tmp_path):
    _import(db, BOOK)
    path = tmp_path / "annexe.md"
    with db.session() as s:
        export_codebook(s, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Guichet test (version 1)\n")
    assert "## perte de sens\n" in text
    assert "### routine\n\n**Definition.** Gestes répétés sans fin.\n" in text
    assert "**Inclusion.** L’agent le dit lui-même.\n" in text
    assert "**Exclusion.** La fatigue seule.\n" in text
    assert "> « Je tamponne, c’est tout. »\n" in text
    assert "**Keywords:** sens, perdre le sens\n" in text
    assert text.index("## perte de sens") < text.index("### routine") < text.index(
        "## stratégies") < text.index("### contournement")


def test_latex_escapes_special_characters_and_keeps_accents(db, tmp_path):
    _import(db, BOOK.replace("La fatigue seule.", "'Coût > 50 % & $ # _ {x} ~ ^ \\fin'"))
    path = tmp_path / "annexe.tex"
    with db.session() as s:
        export_codebook(s, path)
    text = path.read_text(encoding="utf-8")
    assert (r"\item[Exclusion] Coût \textgreater{} 50 \% \& \$ \# \_ \{x\} \textasciitilde{} "
            r"\textasciicircum{} \textbackslash{}fin") in text
    assert r"\subsection*{perte de sens}" in text
    assert r"\subsubsection*{l’absurde}" in text
    assert r"\begin{quote}« Je tamponne, c’est tout. »\end{quote}" in text


def test_sets_round_trip_through_the_database_in_tree_order(db):
    text = BOOK + "sets:\n  - name: à relire\n    description: Codes discutés.\n" \
                  "    codes: [stratégies, routine]\n  - name: vide\n"
    _import(db, text)
    with db.session() as s:
        loaded = load_codebook(s)
    assert [(x.name, x.description, x.members) for x in loaded.sets] == [
        ("à relire", "Codes discutés.", ["routine", "stratégies"]), ("vide", "", [])]
    _import(db, text)  # importing again adds no member twice
    with db.session() as s:
        assert load_codebook(s).sets == loaded.sets
