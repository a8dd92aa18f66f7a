"""`code apply` / `code remove`: whole segments, spans, matches, bad references, undo."""

from __future__ import annotations

import pytest
from support.coding import build_corpus, codings, count_codings, seg_span

DOC = "entretien_01.txt"


@pytest.fixture
def corpus(db, make_doc):
    return build_corpus(db, make_doc)


def test_apply_whole_segment_with_accents_and_case(cli, db, corpus):
    start, end, _ = seg_span(db, DOC, 4)
    result = cli.ok("code", "apply", f"{DOC}:4", "Discrédit", "MÉPRIS")
    assert "Applied discrédit, mépris to entretien_01.txt:4 (testeur)" in result.stderr
    assert codings(db) == [(DOC, start, end, "discrédit", "testeur", "manual"),
                           (DOC, start, end, "mépris", "testeur", "manual")]


def test_apply_twice_changes_nothing_and_says_so(cli, db, corpus):
    cli.ok("code", "apply", f"{DOC}:4", "mépris")
    result = cli.ok("code", "apply", f"{DOC}:4", "mépris")
    assert "Already there: mépris" in result.stderr
    assert count_codings(db) == 1
    history = cli.json("history")
    assert len(history) == 1


def test_apply_by_other_coder_and_document_without_extension(cli, db, corpus):
    cli.ok("code", "apply", "entretien_01:2", "attente", "--coder", "Hélène B")
    assert [c[4] for c in codings(db)] == ["Hélène B"]


def test_apply_span_is_relative_to_segment(cli, db, corpus):
    start, _end, text = seg_span(db, DOC, 2)
    cli.ok("code", "apply", f"{DOC}:2", "attente", "--span", "4:11")
    assert text[4:11] == "usagers"
    assert codings(db) == [(DOC, start + 4, start + 11, "attente", "testeur", "manual")]


def test_apply_match_takes_first_occurrence_and_warns(cli, db, corpus):
    start, _end, text = seg_span(db, DOC, 4)
    result = cli.ok("code", "apply", f"{DOC}:4", "mépris", "--match", "du mépris")
    assert "occurs 2 times" in result.stderr
    first = text.index("du mépris")
    assert codings(db) == [(DOC, start + first, start + first + 9, "mépris", "testeur",
                            "manual")]


def test_match_takes_either_apostrophe(cli, db, corpus):
    start, _end, text = seg_span(db, DOC, 4)
    cli.ok("code", "apply", f"{DOC}:4", "mépris", "--match", "c'est du mépris")
    first = text.index("c’est du mépris")
    assert codings(db) == [(DOC, start + first, start + first + 15, "mépris", "testeur",
                            "manual")]


def test_match_is_accent_sensitive(cli, db, corpus):
    result = cli("code", "apply", f"{DOC}:4", "mépris", "--match", "du mepris")
    assert result.exit_code == 1
    assert "does not occur" in result.stderr
    assert count_codings(db) == 0


@pytest.mark.parametrize("args, message", [
    (["absent.txt:1", "attente"], "Error: unknown document 'absent.txt'"),
    ([f"{DOC}:9", "attente"], "Error: document 'entretien_01.txt' has no segment 9 (it has 5)"),
    ([f"{DOC}:0", "attente"], "has no segment 0"),
    ([f"{DOC}", "attente"], "is not a segment reference"),
    ([f"{DOC}:2", "attente", "discredi"], "Error: unknown code 'discredi'"),
    ([f"{DOC}:2", "relations"], "is a grouping heading"),
    ([f"{DOC}:2", "attente", "--span", "5:500"], "outside the segment"),
    ([f"{DOC}:2", "attente", "--span", "7:7"], "outside the segment or empty"),
    ([f"{DOC}:2", "attente", "--span", "abc"], "is not a span"),
    ([f"{DOC}:2", "attente", "--span", "1:3", "--match", "les"], "cannot be used together"),
])
def test_bad_references_change_nothing(cli, db, corpus, args, message):
    cli.ok("code", "apply", f"{DOC}:4", "mépris")
    before = codings(db)
    result = cli("code", "apply", *args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert codings(db) == before


def test_unknown_code_among_several_writes_none(cli, db, corpus):
    result = cli("code", "apply", f"{DOC}:2", "attente", "inconnu")
    assert result.exit_code == 1
    assert count_codings(db) == 0


def test_remove_removes_spans_inside_the_segment_of_that_coder_only(cli, db, corpus):
    cli.ok("code", "apply", f"{DOC}:4", "mépris")
    cli.ok("code", "apply", f"{DOC}:4", "mépris", "--match", "du mépris pur")
    cli.ok("code", "apply", f"{DOC}:4", "mépris", "--coder", "autre")
    cli.ok("code", "apply", f"{DOC}:2", "mépris")
    result = cli.ok("code", "remove", f"{DOC}:4", "Mépris")
    assert "Removed 2 codings mépris from entretien_01.txt:4 (testeur)" in result.stderr
    start2, end2, _ = seg_span(db, DOC, 2)
    start4, end4, _ = seg_span(db, DOC, 4)
    assert codings(db) == [(DOC, start2, end2, "mépris", "testeur", "manual"),
                           (DOC, start4, end4, "mépris", "autre", "manual")]


def test_remove_without_such_coding_is_an_error(cli, db, corpus):
    cli.ok("code", "apply", f"{DOC}:4", "mépris", "--coder", "autre")
    result = cli("code", "remove", f"{DOC}:4", "mépris")
    assert result.exit_code == 1
    assert "has no coding 'mépris' by testeur" in result.stderr
    assert count_codings(db) == 1


def test_undo_apply_and_remove(cli, db, corpus):
    cli.ok("code", "apply", f"{DOC}:4", "mépris", "attente")
    after_apply = codings(db)
    cli.ok("code", "remove", f"{DOC}:4", "attente")
    assert len(codings(db)) == 1
    result = cli.ok("undo")
    assert "remove attente from entretien_01.txt:4 (testeur)" in result.stdout
    assert codings(db) == after_apply
    cli.ok("undo")
    assert codings(db) == []
    result = cli("undo")
    assert result.exit_code == 1
    assert "nothing to undo" in result.stderr


def test_add_coding_service_skips_duplicates_and_finds_segment(db, corpus):
    from qualcode.coding.service import add_coding
    from qualcode.models import Segment

    start, end, _ = seg_span(db, DOC, 4)
    with db.session(write=True) as s:
        # a span that starts in the speaker label before segment 4 belongs to segment 4
        made = add_coding(s, document=DOC, start=start - 3, end=start + 5, code="attente",
                          coder="x")
        seg = s.get(Segment, made.segment_id)
        assert seg.n == 4
        again = add_coding(s, document=DOC, start=start - 3, end=start + 5, code="attente",
                           coder="x")
        assert again is None
