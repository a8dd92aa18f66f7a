"""`segments`: filters computed by hand on a small corpus, JSON shape, md/docx/csv excerpts."""

from __future__ import annotations

import csv
import io

import pytest
from support.coding import build_corpus, seg_span

E = "entretien_01.txt"
N = "notes_01.txt"


@pytest.fixture(autouse=True)
def french_excerpts(monkeypatch):
    """These tests pin the French excerpts (the project-wide setting); English ones are in
    test_export_lang.py."""
    monkeypatch.setenv("QUALCODE_LANG", "fr")


@pytest.fixture
def coded(cli, db, make_doc):
    """Codings: E:2 attente; E:4 mépris (sub-code of discrédit) + discrédit by `autre`;
    E:5 indifférence (sub-code of discrédit); E:3 (interviewer) hiérarchie;
    N:1 attente by `autre`; N:2 discrédit on a span. N has both agents (social, pragmatique)."""
    build_corpus(db, make_doc)
    cli.ok("code", "apply", f"{E}:2", "attente")
    cli.ok("code", "apply", f"{E}:4", "mépris")
    cli.ok("code", "apply", f"{E}:4", "discrédit", "--coder", "autre")
    cli.ok("code", "apply", f"{E}:5", "indifférence")
    cli.ok("code", "apply", f"{E}:3", "hiérarchie")
    cli.ok("code", "apply", f"{N}:1", "attente", "--coder", "autre")
    cli.ok("code", "apply", f"{N}:2", "discrédit", "--match", "hausse les épaules")


def refs(cli, *args):
    return [f"{r['document']}:{r['segment']}" for r in cli.json("segments", *args)]


@pytest.mark.parametrize("args, expected", [
    (["--code", "discrédit"], [f"{E}:4", f"{E}:5", f"{N}:2"]),
    (["--code", "Discredit", "--exact"], [f"{E}:4", f"{N}:2"]),
    (["--code", "mépris"], [f"{E}:4"]),
    (["--code", "discrédit", "--where", "profil=social"], [f"{E}:4", f"{N}:2"]),
    (["--code", "discrédit", "--where", "profil=pragmatique"], [f"{E}:5", f"{N}:2"]),
    (["--where", "PROFIL=Pragmatique", "--where", "centre=sud"], [f"{E}:5", f"{N}:1", f"{N}:2"]),
    # no single agent is both social and from Sud, even where both agents are present
    (["--where", "profil=social", "--where", "centre=Sud"], []),
    (["--code", "discrédit", "--code", "attente"], []),
    (["--code", "discrédit", "--coder", "testeur"], [f"{E}:4", f"{E}:5", f"{N}:2"]),
    (["--code", "discrédit", "--exact", "--coder", "testeur"], [f"{N}:2"]),
    (["--coder", "autre", "--coded"], [f"{E}:4", f"{N}:1"]),
    (["--coded", "--kind", "observation"], [f"{N}:1", f"{N}:2"]),
    (["--doc", "notes_01"], [f"{N}:1", f"{N}:2"]),
    (["--text", "EPAULES"], [f"{N}:2"]),
    (["--text", "mepris pur"], [f"{E}:4"]),
    (["--text", "s'enervent"], [f"{E}:2"]),  # typed ' finds the transcript's ’
    (["--uncoded"], []),
    # for `testeur`, N:1 is uncoded; E:1 is uncoded but an interviewer turn
    (["--uncoded", "--coder", "testeur"], [f"{N}:1"]),
    (["--code", "relations"], [f"{E}:3"]),
])
def test_filters(cli, coded, args, expected):
    assert refs(cli, *args) == expected


def test_without_filters_lists_every_segment(cli, coded):
    assert len(refs(cli)) == 7


def test_json_shape(cli, db, coded):
    start, end, text = seg_span(db, E, 4)
    rows = cli.json("segments", "--code", "mépris")
    assert rows == [{
        "document": E, "segment": 4, "text": text, "codes": ["discrédit", "mépris"],
        "agents": ["Hélène"], "speaker": "Hélène", "interviewer": False, "kind": "interview",
        "start": start, "end": end,
        "profiles": {"Hélène": {"centre": "Nord", "profil": "social"}},
        "coded_by": {"discrédit": ["autre"], "mépris": ["testeur"]},
    }]
    notes = cli.json("segments", "--doc", N, "--code", "discrédit")
    assert notes[0]["agents"] == ["Hélène", "Marc"]
    assert set(notes[0]["profiles"]) == {"Hélène", "Marc"}


@pytest.mark.parametrize("args, message", [
    (["--code", "inconnu"], "unknown code 'inconnu'"),
    (["--where", "âge=50"], "no agent has an attribute 'âge'"),
    (["--where", "profil"], "is not KEY=VALUE"),
    (["--coder", "personne"], "unknown coder 'personne'"),
    (["--doc", "absent"], "unknown document 'absent'"),
    (["--kind", "roman"], "unknown kind 'roman'"),
    (["--uncoded", "--code", "attente"], "cannot be combined"),
])
def test_bad_filters(cli, coded, args, message):
    result = cli("segments", *args)
    assert result.exit_code == 1
    assert message in result.stderr


def test_rich_rendering_shows_provenance_and_codes(cli, coded):
    out = cli.ok("segments", "--code", "discrédit", "--where", "profil=social").stdout
    assert "entretien_01.txt:4  Hélène (social)  discrédit · mépris" in out
    assert "La direction ne nous écoute pas" in out
    assert "Hélène (social) & Marc (pragmatique)" in out


TURN = "La direction ne nous écoute pas : c’est du mépris, du mépris pur."
NOTE = "Un usager crie ; Marc hausse les épaules, Hélène vient l’apaiser."


def test_markdown_quotes_the_coded_span_and_signs_by_kind(cli, coded):
    md = cli.ok("segments", "--code", "discrédit", "--where", "profil=social",
                "--format", "md").stdout
    assert md == (
        "## discrédit\n\n"
        f"> «\u00a0{TURN}\u00a0»\n\n"
        "— Hélène, social, entretien_01.txt:4\n\n"
        "> «\u00a0… hausse les épaules …\u00a0»\n\n"
        "— note d’observation, notes_01.txt:2\n"
    )
    # the agents a fieldnote mentions do not sign it
    assert "Marc" not in md.split("> «\u00a0… hausse")[1]


def test_context_adds_words_around_the_span(cli, coded):
    md = cli.ok("segments", "--code", "discrédit", "--doc", N, "--format", "md",
                "--context", "2").stdout
    # `;` is not a word: two words on each side are « crie », « Marc » and « Hélène vient »
    assert "> «\u00a0… crie ; Marc hausse les épaules, Hélène vient …\u00a0»\n" in md
    md = cli.ok("segments", "--code", "discrédit", "--doc", N, "--format", "md",
                "--context", "50").stdout
    assert f"> «\u00a0{NOTE}\u00a0»\n" in md  # the whole paragraph: nothing cut, no ellipsis


def test_whole_segment_quotes_the_turn_or_paragraph(cli, coded):
    md = cli.ok("segments", "--code", "discrédit", "--doc", N, "--format", "md",
                "--whole-segment").stdout
    assert md == f"## discrédit\n\n> «\u00a0{NOTE}\u00a0»\n\n— note d’observation, notes_01.txt:2\n"


def test_several_spans_are_joined_with_an_ellipsis(cli, coded):
    cli.ok("code", "apply", f"{E}:4", "attente", "--match", "La direction")
    cli.ok("code", "apply", f"{E}:4", "attente", "--match", "du mépris pur")
    cli.ok("code", "apply", f"{E}:4", "attente", "--match", "mépris pur.")
    md = cli.ok("segments", "--code", "attente", "--format", "md").stdout
    # overlapping spans read as one; the end of the turn is reached: no closing ellipsis
    assert ("> «\u00a0La direction … du mépris pur.\u00a0»\n\n"
            "— Hélène, social, entretien_01.txt:4") in md


def test_without_code_the_whole_segment_with_its_codes(cli, coded):
    md = cli.ok("segments", "--doc", N, "--format", "md").stdout
    assert md == (
        "> «\u00a0File d’attente de vingt personnes devant le guichet dès huit heures.\u00a0»\n\n"
        "— note d’observation, notes_01.txt:1\u00a0; codes\u00a0: attente\n\n"
        f"> «\u00a0{NOTE}\u00a0»\n\n"
        "— note d’observation, notes_01.txt:2\u00a0; codes\u00a0: discrédit\n"
    )


def test_attribution_interviewer_several_attributes_other_document(cli, coded, make_doc,
                                                                    tmp_path):
    out = tmp_path / "x.md"
    cli.ok("segments", "--doc", E, "--where", "profil=social", "--where", "centre=nord",
           "--format", "md", "-o", out)
    assert "— Hélène, centre=Nord, profil=social, entretien_01.txt:2\u00a0; codes\u00a0: attente" \
        in out.read_text(encoding="utf-8")
    md = cli.ok("segments", "--code", "hiérarchie", "--format", "md").stdout
    assert "— E (enquêteur), entretien_01.txt:3" in md
    make_doc("rapport.txt", [(None, "Le rapport annuel parle de mépris.")], kind="document",
             agents=("Marc",))
    cli.ok("code", "apply", "rapport.txt:1", "mépris", "--match", "mépris")
    md = cli.ok("segments", "--code", "mépris", "--doc", "rapport.txt", "--format", "md").stdout
    assert md == "## mépris\n\n> «\u00a0… mépris.\u00a0»\n\n— rapport.txt:1\n"


def test_docx_excerpts(cli, coded, tmp_path):
    import docx

    out = tmp_path / "extraits.docx"
    cli.ok("segments", "--code", "discrédit", "--code", "mépris", "--exact",
           "--format", "docx", "-o", out)
    paragraphs = [(p.style.name, p.text) for p in docx.Document(str(out)).paragraphs]
    assert paragraphs == [
        ("Heading 1", "Extraits"),
        ("Heading 2", "discrédit (1)"),
        ("Quote", f"«\u00a0{TURN}\u00a0»"),
        ("Normal", "— Hélène, social, entretien_01.txt:4"),
        ("Heading 2", "mépris (1)"),
        ("Quote", f"«\u00a0{TURN}\u00a0»"),
        ("Normal", "— Hélène, social, entretien_01.txt:4"),
    ]
    cli.ok("segments", "--code", "discrédit", "--kind", "observation", "--format", "docx",
           "-o", out, "--context", "1")
    paragraphs = [p.text for p in docx.Document(str(out)).paragraphs]
    assert paragraphs[2:] == ["«\u00a0… Marc hausse les épaules, Hélène …\u00a0»",
                              "— note d’observation, notes_01.txt:2"]
    cli.ok("segments", "--code", "discrédit", "--kind", "observation", "--format", "docx",
           "-o", out, "--whole-segment")
    assert [p.text for p in docx.Document(str(out)).paragraphs][2] == f"«\u00a0{NOTE}\u00a0»"


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_file_formats_need_output(cli, coded, fmt):
    result = cli("segments", "--format", fmt)
    assert result.exit_code == 2
    assert "needs -o PATH" in result.stderr


def test_context_and_whole_segment_exclude_each_other(cli, coded):
    result = cli("segments", "--code", "discrédit", "--format", "md", "--context", "3",
                 "--whole-segment")
    assert result.exit_code == 2
    assert "choose one" in result.stderr


def test_xlsx_excerpts(cli, coded, tmp_path):
    import openpyxl

    out = tmp_path / "extraits.xlsx"
    cli.ok("segments", "--code", "discrédit", "--format", "xlsx", "-o", out)
    ws = openpyxl.load_workbook(out).active
    rows = [[c.value for c in line] for line in ws.iter_rows()]
    assert rows == [
        ["document", "segment", "locuteur", "codes", "codeurs", "extrait", "source"],
        [E, 4, "Hélène", "discrédit, mépris", "autre, testeur", f"«\u00a0{TURN}\u00a0»",
         "— Hélène, social, entretien_01.txt:4"],
        [E, 5, "Marc", "indifférence", "testeur",
         "«\u00a0Moi je fais mon travail, le reste ne me regarde pas.\u00a0»",
         "— Marc, pragmatique, entretien_01.txt:5"],
        [N, 2, None, "discrédit", "testeur", "«\u00a0… hausse les épaules …\u00a0»",
         "— note d’observation, notes_01.txt:2"],
    ]
    assert all(c.font.bold for c in ws[1])
    assert all(c.alignment.wrap_text for line in ws.iter_rows(min_row=2) for c in line)
    assert ws.column_dimensions["F"].width >= 60  # the quote
    assert ws.column_dimensions["A"].width >= len(N)
    cli.ok("segments", "--code", "discrédit", "--kind", "observation", "--format", "xlsx",
           "-o", out, "--context", "1")
    assert openpyxl.load_workbook(out).active["F2"].value == \
        "«\u00a0… Marc hausse les épaules, Hélène …\u00a0»"
    cli.ok("segments", "--code", "discrédit", "--kind", "observation", "--format", "xlsx",
           "-o", out, "--whole-segment")
    assert openpyxl.load_workbook(out).active["F2"].value == f"«\u00a0{NOTE}\u00a0»"


def test_xlsx_excerpts_neutralise_formulas(cli, db, make_doc, tmp_path):
    import openpyxl

    make_doc("note.txt", [(None, "=SOMME(A1:A9) est écrit au tableau.")], kind="observation")
    make_doc("=calc.txt", [(None, "+33 6 12 34 56 78")])
    out = tmp_path / "x.xlsx"
    cli.ok("segments", "--format", "xlsx", "-o", out)
    ws = openpyxl.load_workbook(out).active
    assert ws["A2"].value == "'=calc.txt"
    assert ws["F2"].value == "«\u00a0+33 6 12 34 56 78\u00a0»"  # the quote mark keeps it text
    assert ws["G2"].value == "— =calc.txt:1"  # starts with the dash: not a formula
    assert ws["F3"].value == "«\u00a0=SOMME(A1:A9) est écrit au tableau.\u00a0»"
    assert all(c.data_type == "s" for line in ws.iter_rows() for c in line
               if c.value and c.column != 2)  # column B: the segment number


def test_csv_excerpts(cli, coded):
    text = cli.ok("segments", "--kind", "observation", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["document", "segment", "speaker", "agents", "centre", "profil", "codes", "text"],
        [N, "1", "", "Hélène; Marc", "Nord; Sud", "pragmatique; social", "attente",
         "File d’attente de vingt personnes devant le guichet dès huit heures."],
        [N, "2", "", "Hélène; Marc", "Nord; Sud", "pragmatique; social", "discrédit",
         "Un usager crie ; Marc hausse les épaules, Hélène vient l’apaiser."],
    ]


def test_csv_excerpts_neutralise_formulas(cli, db, make_doc):
    make_doc("note.txt", [(None, "=SOMME(A1:A9) est écrit au tableau.")], kind="observation")
    text = cli.ok("segments", "--format", "csv").stdout
    assert text.splitlines()[1].endswith(",'=SOMME(A1:A9) est écrit au tableau.")


def test_find_segments_query_count_is_constant(db, make_doc):
    """The same handful of queries whatever the number of segments and codings."""
    from sqlalchemy import event
    from support.coding import add_codes

    from qualcode.coding.retrieve import find_segments
    from qualcode.coding.service import add_coding

    add_codes(db)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    def run(n_docs: int) -> int:
        for i in range(n_docs):
            make_doc(f"d{n_docs}_{i}.txt",
                     [("Anne", f"tour {j} du document {i}") for j in range(40)])
        with db.session(write=True) as s:
            from qualcode.corpus.documents import list_documents, show_document

            for d in list_documents(s):
                for seg in show_document(s, d["name"])["segments"][::2]:
                    add_coding(s, document=d["name"], start=seg["start"], end=seg["end"],
                               code="attente", coder="x")
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            with db.session() as s:
                rows = find_segments(s, codes=["discrédit"], coded=True)
                assert rows == []
                rows = find_segments(s, codes=["attente"])
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(rows) == 20 * len(list_documents_names(db))
        return len(statements)

    assert run(1) == run(4)


def list_documents_names(db) -> list[str]:
    from qualcode.corpus.documents import list_documents

    with db.session() as s:
        return [d["name"] for d in list_documents(s)]


def test_overlap_matches_brute_force(db, make_doc):
    """Random spans (across segments, inside speaker labels, at the edges): a segment shows
    a code exactly when a coding of it overlaps the segment's span."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from support.coding import add_codes

    from qualcode.coding.retrieve import find_segments
    from qualcode.models import Coder, Coding

    ids = add_codes(db)
    make_doc("h.txt", [("E", "Alors ?"), ("Anne", "Oui."), ("Anne", "Non, pas du tout."),
                       (None, "Silence."), ("E", "Bien."), ("Anne", "C’est long, très long.")])
    with db.session() as s:
        from qualcode.corpus.documents import show_document

        shown = show_document(s, "h.txt")
    spans = [(seg["start"], seg["end"]) for seg in shown["segments"]]
    length = len(shown["text"])
    names = ["attente", "mépris", "hiérarchie"]
    coding = st.tuples(st.integers(0, length - 1), st.integers(1, 12), st.sampled_from(names))

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(coding, max_size=8,
                    unique_by=lambda c: (c[0], min(c[0] + c[1], length), c[2])))
    def check(codings):
        with db.session() as s:  # a read session: everything is rolled back at the end
            coder = Coder(name="h")
            s.add(coder)
            s.flush()
            for start, width, name in codings:
                s.add(Coding(code_id=ids[name], document_id=1, start=start,
                             end=min(start + width, length), coder_id=coder.id))
            s.flush()
            rows = find_segments(s, doc="h.txt")
        expected = [sorted({name for start, width, name in codings
                            if start < seg_end and min(start + width, length) > seg_start})
                    for seg_start, seg_end in spans]
        assert [r["codes"] for r in rows] == expected

    check()


def test_unknown_attribute_value_is_an_error_with_the_known_values(cli, coded):
    result = cli("segments", "--where", "profil=inconnu")
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "no agent has profil = 'inconnu'" in result.stderr
    assert "pragmatique, social" in result.stderr
