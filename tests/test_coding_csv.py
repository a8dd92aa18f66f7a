"""`code import` / `code export`: whole-file validation, duplicates, undo, formula cells."""

from __future__ import annotations

import csv

import pytest
from support.coding import build_corpus, codings, count_codings, seg_span

DOC = "entretien_01.txt"


@pytest.fixture
def corpus(db, make_doc):
    return build_corpus(db, make_doc)


def test_import_segments_and_spans_semicolon_cp1252(cli, db, corpus, tmp_path):
    start2, end2, _ = seg_span(db, DOC, 2)
    start1, end1, _ = seg_span(db, "notes_01.txt", 1)
    f = tmp_path / "codages.csv"
    f.write_bytes((
        "document;segment;start;end;code;coder\n"
        "entretien_01.txt;2;;;attente;Hélène\n"
        f"notes_01.txt;;{start1 + 5};{start1 + 13};Attente;\n"
        "entretien_01;4;;;MÉPRIS;Zoé\n"
    ).encode("cp1252"))
    result = cli.ok("code", "import", f, "--coder", "défaut")
    assert "Imported 3 codings" in result.stderr
    s4, e4, _ = seg_span(db, DOC, 4)
    assert codings(db) == sorted([
        (DOC, start2, end2, "attente", "Hélène", "import"),
        (DOC, s4, e4, "mépris", "Zoé", "import"),
        ("notes_01.txt", start1 + 5, start1 + 13, "attente", "défaut", "import"),
    ])


def test_import_without_coder_column_uses_default_and_skips_duplicates(cli, db, corpus,
                                                                       tmp_path):
    cli.ok("code", "apply", f"{DOC}:2", "attente")
    f = tmp_path / "c.csv"
    f.write_text("document,segment,code\nentretien_01.txt,2,attente\n"
                 "entretien_01.txt,5,indifférence\nentretien_01.txt,5,indifférence\n",
                 encoding="utf-8")
    report = cli.json("code", "import", f)
    assert report["added"] == 1
    assert report["skipped_duplicates"] == 2
    assert report["coders"] == ["testeur"]
    assert count_codings(db) == 2


def test_import_lists_every_bad_line_and_writes_nothing(cli, db, corpus, tmp_path):
    cli.ok("code", "apply", f"{DOC}:2", "attente")
    f = tmp_path / "bad.csv"
    f.write_text(
        "document,segment,code,coder\n"
        "entretien_01.txt,2,mépris,a\n"          # line 2: fine
        "absent.txt,1,attente,a\n"               # line 3
        "entretien_01.txt,12,attente,a\n"        # line 4
        "entretien_01.txt,3,discredi,a\n"        # line 5
        "entretien_01.txt,trois,attente,a\n"     # line 6
        "entretien_01.txt,3,relations,a\n"       # line 7
        "entretien_01.txt,4,mépris,ana,bruno\n"  # line 8: unquoted comma in a value
        "entretien_01.txt,4,mépris,a,,\n",       # line 9: empty trailing cells are fine
        encoding="utf-8")
    result = cli("code", "import", f)
    assert result.exit_code == 1
    # One error line (after the notice of the automatic backup made before the import).
    (err,) = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    for expected in ["line 3: unknown document 'absent.txt'",
                     "line 4: document 'entretien_01.txt' has no segment 12 (it has 5)",
                     "line 5: unknown code 'discredi'",
                     "line 6: segment 'trois' is not a number",
                     "line 7: code 'relations' is a heading",
                     "line 8: 5 fields, expected 4 (quote a value that holds a comma)"]:
        assert expected in err
    assert "line 2" not in err and "line 9" not in err
    assert "nothing was written" in err
    assert count_codings(db) == 1


def test_import_span_outside_text_and_bad_numbers(cli, db, corpus, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("document,start,end,code\nentretien_01.txt,10,99999,attente\n"
                 "entretien_01.txt,x,4,attente\nentretien_01.txt,8,8,attente\n",
                 encoding="utf-8")
    result = cli("code", "import", f)
    assert result.exit_code == 1
    assert "line 2: span 10:99999 is outside 'entretien_01.txt'" in result.stderr
    assert "line 3: start/end 'x'/'4' are not whole numbers" in result.stderr
    assert "line 4: span 8:8 is outside 'entretien_01.txt' or empty" in result.stderr
    assert count_codings(db) == 0


def test_import_caps_the_list_of_problems(cli, db, corpus, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("document,segment,code\n" + "".join(
        f"entretien_01.txt,1,inconnu{i}\n" for i in range(30)), encoding="utf-8")
    result = cli("code", "import", f)
    assert result.exit_code == 1
    assert "(30 problems)" in result.stderr
    assert "line 21: unknown code 'inconnu19'" in result.stderr
    assert "inconnu20" not in result.stderr
    assert "and 10 more" in result.stderr


def test_import_without_needed_columns(cli, db, corpus, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("doc,seg,code\nentretien_01.txt,1,attente\n", encoding="utf-8")
    result = cli("code", "import", f)
    assert result.exit_code == 1
    assert "lacks the column(s) document, segment (or start and end)" in result.stderr


def test_undo_reverts_the_whole_import(cli, db, corpus, tmp_path):
    cli.ok("code", "apply", f"{DOC}:4", "mépris")
    before = codings(db)
    f = tmp_path / "c.csv"
    f.write_text("document,segment,code,coder\n" + "".join(
        f"entretien_01.txt,{n},attente,nouveau\n" for n in range(1, 6)), encoding="utf-8")
    cli.ok("code", "import", f)
    assert count_codings(db) == 6
    result = cli.ok("undo")
    assert "import codings from c.csv (nouveau)" in result.stdout
    assert codings(db) == before
    with db.session() as s:
        from sqlalchemy import select

        from qualcode.models import Coder
        assert "nouveau" not in set(s.scalars(select(Coder.name)))


def test_export_round_trip_and_spans(cli, db, corpus, tmp_path):
    cli.ok("code", "apply", f"{DOC}:2", "attente")
    cli.ok("code", "apply", f"{DOC}:4", "mépris", "--match", "du mépris pur", "--coder", "b")
    out = tmp_path / "out.csv"
    cli.ok("code", "export", out)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    s4, _e4, text4 = seg_span(db, DOC, 4)
    pos = s4 + text4.index("du mépris pur")
    assert rows == [["document", "segment", "start", "end", "code", "coder"],
                    [DOC, "2", "", "", "attente", "testeur"],
                    [DOC, "4", str(pos), str(pos + 13), "mépris", "b"]]
    cli.ok("code", "export", out, "--coder", "testeur")
    assert out.read_text(encoding="utf-8").splitlines() == [
        "document,segment,code,coder", f"{DOC},2,attente,testeur"]
    # exported file imports back into an empty coding table unchanged
    cli.ok("code", "export", out)
    before = codings(db)
    cli.ok("undo", "-n", "2")
    assert count_codings(db) == 0
    cli.ok("code", "import", out)
    assert [c[:5] for c in codings(db)] == [c[:5] for c in before]


def test_export_neutralises_formula_cells(cli, db, make_doc, tmp_path):
    from support.coding import add_codes

    make_doc("=HYPERLINK(x).txt", [("Anne", "Bonjour à tous.")])
    add_codes(db, [("-moins", None, None, True), ("@at", None, None, True)])
    cli.ok("code", "apply", "--coder", "+plus", "--", "=HYPERLINK(x).txt:1", "-moins", "@at")
    out = tmp_path / "out.csv"
    cli.ok("code", "export", out)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[1:] == [["'=HYPERLINK(x).txt", "1", "'-moins", "'+plus"],
                        ["'=HYPERLINK(x).txt", "1", "'@at", "'+plus"]]
    # and the neutralised file imports back
    cli.ok("undo")
    cli.ok("code", "import", out)
    assert sorted(c[3] for c in codings(db)) == ["-moins", "@at"]


def test_neutralise_cases():
    from qualcode.coding.csvio import neutralise

    assert [neutralise(v) for v in ["=1+1", "+33", "-x", "@f", "\tx", "\rx", "ok", 12, None]] \
        == ["'=1+1", "'+33", "'-x", "'@f", "'\tx", "'\rx", "ok", "12", ""]


def test_neutralise_round_trip_property():
    from hypothesis import given
    from hypothesis import strategies as st

    from qualcode.coding.csvio import FORMULA_START, _unneutralise, neutralise

    @given(st.text().filter(lambda t: not t.startswith("'")))
    def check(value):
        cell = neutralise(value)
        assert not cell.startswith(FORMULA_START)
        assert _unneutralise(cell) == value

    check()


def test_export_to_standard_output(cli, db, corpus, tmp_path):
    cli.ok("code", "apply", f"{DOC}:2", "attente")
    result = cli.ok("code", "export", "-")
    assert result.stdout.splitlines()[0].startswith("document,")
    assert "attente" in result.stdout and "standard output" in result.stderr
    assert not (tmp_path / "-").exists()


def _many_rows(n: int) -> str:
    """``n`` rows over the small corpus: 5 segments x 4 codes x 3 coders = 60 distinct
    codings, the rest duplicates (a long file is written in several chunks)."""
    codes = ["attente", "mépris", "indifférence", "hiérarchie"]
    return "".join(f"{DOC},{1 + i % 5},{codes[i // 5 % 4]},c{i // 20 % 3}\n" for i in range(n))


def test_long_import_skips_duplicates_across_chunks_and_undoes_exactly(cli, db, corpus,
                                                                      tmp_path):
    cli.ok("code", "apply", f"{DOC}:2", "attente", "--coder", "c0")
    before = codings(db)
    f = tmp_path / "long.csv"
    f.write_text("document,segment,code,coder\n" + _many_rows(12_000), encoding="utf-8")
    report = cli.json("code", "import", f)
    assert (report["rows"], report["added"], report["skipped_duplicates"]) == (12_000, 59, 11_941)
    assert report["coders"] == ["c0", "c1", "c2"]
    assert count_codings(db) == 60
    imported = codings(db)
    assert cli.json("history", "-n", "1")[0]["summary"] == "import codings from long.csv " \
        "(c0, c1, c2)"
    cli.ok("undo", "--any")
    assert codings(db) == before
    cli.ok("redo", "--any")
    assert codings(db) == imported


def test_a_bad_line_after_thousands_of_good_ones_imports_nothing(cli, db, corpus, tmp_path):
    cli.ok("code", "apply", f"{DOC}:2", "attente")
    history = cli.json("history")
    f = tmp_path / "long.csv"
    f.write_text("document,segment,code,coder\n" + _many_rows(11_999)
                 + f"{DOC},9,attente,c0\n", encoding="utf-8")
    result = cli("code", "import", f)
    assert result.exit_code == 1
    (err,) = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert "(1 problems): line 12001: document 'entretien_01.txt' has no segment 9" in err
    assert "nothing was written" in err
    assert count_codings(db) == 1
    assert cli.json("history") == history
    with db.session() as s:
        from sqlalchemy import select

        from qualcode.models import Coder
        assert set(s.scalars(select(Coder.name))) == {"testeur"}


def test_import_with_an_unclosed_quote_names_its_line(cli, db, corpus, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(f'document,segment,code\n{DOC},2,attente\n{DOC},3,"mépris\n{DOC},4,mépris\n',
                 encoding="utf-8")
    result = cli("code", "import", f)
    assert result.exit_code == 1
    assert "unclosed quote (\") at line 3" in result.stderr
    assert count_codings(db) == 0
