"""Codebook edits with codings present: add, rename, move, merge, delete, and exact undo."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode import audit
from qualcode.codebook.service import (
    add_code,
    delete_code,
    import_codebook,
    merge_codes,
    move_code,
    rename_code,
)
from qualcode.codebook.yaml_io import parse_yaml
from qualcode.corpus.coders import get_or_create_coder
from qualcode.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from qualcode.models import Code, CodeSet, CodeSetMember, Coding, Memo, Segment, Suggestion

BOOK = """\
name: Edits
codes:
  - name: stratégies
    children:
      - name: ruse
        keywords: [ruser]
        examples: ["« On s’arrange. »"]
        children:
          - name: petite ruse
      - name: contournement
        keywords: [contourner, ruser]
  - name: l’usure
sets:
  - name: tactiques
    codes: [ruse]
"""


@pytest.fixture
def corpus(db, make_doc):
    """The codebook above, one interview of three turns, and codings by two coders:
    ruse on turns 1 and 2 (alice) and turn 2 (bruno); contournement on turn 2 (alice)."""
    doc = make_doc("entretien_07.txt", [("Hélène", "Je fais semblant de ne pas voir."),
                                        ("Hélène", "On remplit le formulaire à leur place."),
                                        ("Hélène", "Je suis fatiguée de tout ça.")])
    with db.session(write=True) as s:
        import_codebook(s, parse_yaml(BOOK), coder="alice")
        alice = get_or_create_coder(s, "alice").id
        bruno = get_or_create_coder(s, "bruno").id
        segs = list(s.scalars(select(Segment).where(Segment.document_id == doc)
                              .order_by(Segment.n)))
        ids = {c.name: c.id for c in s.scalars(select(Code))}
        for code, seg, coder in [("ruse", 0, alice), ("ruse", 1, alice), ("ruse", 1, bruno),
                                 ("contournement", 1, alice)]:
            sg = segs[seg]
            s.add(Coding(code_id=ids[code], document_id=doc, segment_id=sg.id, start=sg.start,
                         end=sg.end, coder_id=coder))
        s.add(Suggestion(segment_id=segs[0].id, code_id=ids["ruse"], score=0.8))
        s.add(Suggestion(segment_id=segs[1].id, code_id=ids["ruse"], score=0.7))
        s.add(Suggestion(segment_id=segs[1].id, code_id=ids["contournement"], score=0.9))
        s.add(Memo(target_type="code", target_id=ids["ruse"], text="À revoir avec Bruno."))
    return db


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of the tables a codebook edit touches (ids included)."""
    out = {}
    with db.session() as s:
        for model in (Code, Coding, Suggestion, CodeSetMember, CodeSet, Memo):
            cols = [c.key for c in model.__table__.columns]
            rows = s.scalars(select(model)).all()
            out[model.__tablename__] = sorted(
                tuple(str(getattr(r, c)) for c in cols) for r in rows)
    return out


def codings_of(db) -> list[tuple[str, int, str]]:
    with db.session() as s:
        rows = s.execute(select(Code.name, Segment.n, Coding.coder_id)
                         .join(Code, Code.id == Coding.code_id)
                         .join(Segment, Segment.id == Coding.segment_id)).all()
    return sorted((name, n, coder) for name, n, coder in rows)


def parents(db) -> dict[str, str | None]:
    with db.session() as s:
        rows = {c.id: (c.name, c.parent_id) for c in s.scalars(select(Code))}
    return {name: rows[parent][0] if parent else None for name, parent in rows.values()}


def undo(db) -> None:
    with db.session(write=True) as s:
        audit.undo(s)


# --- add -------------------------------------------------------------------------------------


def test_add_strips_spaces_keeps_accents_and_apostrophes(corpus):
    with corpus.session(write=True) as s:
        code = add_code(s, name="  l’ironie d'État  ", parent="STRATÉGIES", colour="#1f618d",
                        keywords=["ironiser", " "], coder="alice")
        assert (code.name, code.colour, code.keywords) == ("l’ironie d'État", "#1F618D",
                                                           ["ironiser"])
    assert parents(corpus)["l’ironie d'État"] == "stratégies"


@pytest.mark.parametrize(("name", "error", "message"), [
    ("L'USURE", AlreadyExists, "a code named 'l’usure' already exists"),
    ("Ruse", AlreadyExists, "a code named 'ruse' already exists"),
    ("   ", InvalidInput, "cannot be empty"),
    ("ligne\nsuivante", InvalidInput, "control character"),
])
def test_add_refuses_taken_or_bad_names(corpus, name, error, message):
    before = snapshot(corpus)
    with pytest.raises(error, match=message), corpus.session(write=True) as s:
        add_code(s, name=name)
    assert snapshot(corpus) == before


def test_add_under_unknown_parent_or_bad_colour(corpus):
    with pytest.raises(NotFound, match="unknown code 'nulle part'"), \
            corpus.session(write=True) as s:
        add_code(s, name="x", parent="nulle part")
    with pytest.raises(InvalidInput, match="not #RRGGBB"), corpus.session(write=True) as s:
        add_code(s, name="x", colour="rouge")


# --- rename and move -------------------------------------------------------------------------


def test_rename_keeps_guid_and_codings(corpus):
    with corpus.session() as s:
        guid = s.scalar(select(Code.guid).where(Code.name == "ruse"))
    with corpus.session(write=True) as s:
        assert rename_code(s, old="RUSE", new="ruse ordinaire") == ("ruse", "ruse ordinaire")
    with corpus.session() as s:
        assert s.scalar(select(Code.guid).where(Code.name == "ruse ordinaire")) == guid
    assert [c for c in codings_of(corpus) if c[0] == "ruse ordinaire"] == [
        ("ruse ordinaire", 1, 1), ("ruse ordinaire", 2, 1), ("ruse ordinaire", 2, 2)]
    undo(corpus)
    assert "ruse" in parents(corpus)


def test_rename_case_only_and_refusals(corpus):
    with corpus.session(write=True) as s:
        rename_code(s, old="l'usure", new="L’Usure")
    assert "L’Usure" in parents(corpus)
    with pytest.raises(AlreadyExists), corpus.session(write=True) as s:
        rename_code(s, old="ruse", new="Contournement")


def test_move_to_parent_to_top_and_cycles_refused(corpus):
    with corpus.session(write=True) as s:
        move_code(s, name="petite ruse", parent="contournement")
    assert parents(corpus)["petite ruse"] == "contournement"
    with corpus.session(write=True) as s:
        move_code(s, name="ruse", parent=None)
    assert parents(corpus)["ruse"] is None
    before = snapshot(corpus)
    for name, parent in [("stratégies", "petite ruse"), ("stratégies", "stratégies")]:
        with pytest.raises(Conflict, match="is 'stratégies' itself or one of its sub-codes"), \
                corpus.session(write=True) as s:
            move_code(s, name=name, parent=parent)
    assert snapshot(corpus) == before
    undo(corpus)
    assert parents(corpus)["ruse"] == "stratégies"


# --- merge -----------------------------------------------------------------------------------


def test_merge_moves_codings_without_duplicates_and_undo_reverts_exactly(corpus):
    before = snapshot(corpus)
    with corpus.session(write=True) as s:
        report = merge_codes(s, source="Ruse", target="contournement", coder="alice")
    # alice's coding of turn 2 was already on contournement: dropped; bruno's is not the same
    assert (report["moved"], report["duplicates"], report["subcodes"]) == (2, 1, 1)
    assert (report["suggestions_moved"], report["suggestions_dropped"]) == (1, 1)
    assert codings_of(corpus) == [("contournement", 1, 1), ("contournement", 2, 1),
                                  ("contournement", 2, 2)]
    tree = parents(corpus)
    assert "ruse" not in tree
    assert tree["petite ruse"] == "contournement"
    with corpus.session() as s:
        target = s.scalar(select(Code).where(Code.name == "contournement"))
        assert target.keywords == ["contourner", "ruser"]
        assert target.examples == ["« On s’arrange. »"]
        assert s.scalar(select(Memo.target_id)) == target.id
        assert s.scalars(select(CodeSetMember.code_id)).all() == [target.id]
        assert sorted(s.scalars(select(Suggestion.score))) == [0.8, 0.9]
    undo(corpus)
    assert snapshot(corpus) == before


def test_merge_a_parent_into_its_own_sub_code(corpus):
    with corpus.session(write=True) as s:
        merge_codes(s, source="stratégies", target="petite ruse")
    tree = parents(corpus)
    assert tree["petite ruse"] is None
    assert tree["ruse"] == tree["contournement"] == "petite ruse"


def test_merge_refuses_itself(corpus):
    with pytest.raises(InvalidInput, match="into itself"), corpus.session(write=True) as s:
        merge_codes(s, source="ruse", target="RUSE")


# --- delete ----------------------------------------------------------------------------------


def test_delete_refused_while_codings_or_sub_codes_exist(corpus):
    before = snapshot(corpus)
    with pytest.raises(Conflict, match="code 'ruse' has 3 codings and 1 sub-code"), \
            corpus.session(write=True) as s:
        delete_code(s, name="ruse")
    with pytest.raises(Conflict, match="code 'stratégies' has 2 sub-codes"), \
            corpus.session(write=True) as s:
        delete_code(s, name="stratégies")
    assert snapshot(corpus) == before


def test_delete_force_deletes_codings_moves_sub_codes_up_and_undo_reverts(corpus):
    before = snapshot(corpus)
    with corpus.session(write=True) as s:
        report = delete_code(s, name="ruse", force=True, coder="alice")
    assert (report["codings"], report["subcodes"], report["suggestions"], report["memos"]) == \
        (3, 1, 2, 1)
    assert codings_of(corpus) == [("contournement", 2, 1)]
    assert parents(corpus)["petite ruse"] == "stratégies"
    undo(corpus)
    assert snapshot(corpus) == before


def test_delete_unused_code(corpus):
    with corpus.session(write=True) as s:
        report = delete_code(s, name="L'usure")
    assert report["codings"] == 0
    assert "l’usure" not in parents(corpus)


# --- CLI -------------------------------------------------------------------------------------


def test_cli_edits(cli, corpus):
    cli.ok("codebook", "add", "détournement", "--parent", "stratégies", "--description",
           "Usage imprévu d’une règle.", "--colour", "#117A65", "--keyword", "détourner",
           "--keyword", "ruser")
    row = next(r for r in cli.json("codebook", "show") if r["name"] == "détournement")
    assert (row["parent"], row["colour"], row["keywords"]) == (
        "stratégies", "#117A65", ["détourner", "ruser"])
    cli.ok("codebook", "rename", "détournement", "détournement de règle")
    cli.ok("codebook", "move", "détournement de règle", "--top")
    assert parents(corpus)["détournement de règle"] is None
    result = cli("codebook", "move", "ruse")
    assert result.exit_code == 1 and "pass --parent CODE or --top" in result.stderr
    result = cli("codebook", "delete", "ruse")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: code 'ruse' has 3 codings and 1 sub-code (pass "
                                    "--force")
    result = cli.ok("codebook", "merge", "ruse", "contournement")
    assert "2 codings moved, 1 duplicates dropped" in " ".join(result.stderr.split())
    result = cli.ok("codebook", "delete", "contournement", "--force")
    assert "3 codings deleted" in result.stderr
    assert codings_of(corpus) == []
    rows = {r["name"]: r for r in cli.json("codebook", "show")}
    assert rows["petite ruse"]["parent"] == "stratégies"
    assert rows["stratégies"]["codings_total"] == 0
