"""`segments`: filters computed by hand on a small corpus, JSON shape, md/docx/csv excerpts."""

from __future__ import annotations

import csv
import io

import pytest
from test_coding_support import build_corpus, seg_span

E = "entretien_01.txt"
N = "notes_01.txt"


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


def test_markdown_excerpts(cli, coded):
    md = cli.ok("segments", "--code", "discrédit", "--where", "profil=social",
                "--format", "md").stdout
    assert md == (
        "## discrédit\n\n"
        "> « La direction ne nous écoute pas : c’est du mépris, du mépris pur. »\n\n"
        "— Hélène (social), entretien_01.txt, segment 4; codes: discrédit, mépris\n\n"
        "> « Un usager crie ; Marc hausse les épaules, Hélène vient l’apaiser. »\n\n"
        "— Hélène (social) & Marc (pragmatique), notes_01.txt, segment 2; codes: discrédit\n"
    )


def test_markdown_interviewer_and_several_attributes(cli, coded, tmp_path):
    out = tmp_path / "x.md"
    cli.ok("segments", "--doc", E, "--where", "profil=social", "--where", "centre=nord",
           "--format", "md", "-o", out)
    assert "— Hélène (centre=Nord, profil=social), entretien_01.txt, segment 2; codes: " \
           "attente" in out.read_text(encoding="utf-8")
    md = cli.ok("segments", "--code", "hiérarchie", "--format", "md").stdout
    assert "— E (interviewer), entretien_01.txt, segment 3; codes: hiérarchie" in md


def test_docx_excerpts(cli, coded, tmp_path):
    import docx

    out = tmp_path / "extraits.docx"
    cli.ok("segments", "--code", "discrédit", "--code", "mépris", "--exact",
           "--format", "docx", "-o", out)
    paragraphs = [(p.style.name, p.text) for p in docx.Document(str(out)).paragraphs]
    assert paragraphs == [
        ("Heading 1", "Excerpts"),
        ("Heading 2", "discrédit (1)"),
        ("Quote", "« La direction ne nous écoute pas : c’est du mépris, du mépris pur. »"),
        ("Normal", "— Hélène (social), entretien_01.txt, segment 4; codes: discrédit, mépris"),
        ("Heading 2", "mépris (1)"),
        ("Quote", "« La direction ne nous écoute pas : c’est du mépris, du mépris pur. »"),
        ("Normal", "— Hélène (social), entretien_01.txt, segment 4; codes: discrédit, mépris"),
    ]


def test_docx_needs_output(cli, coded):
    result = cli("segments", "--format", "docx")
    assert result.exit_code == 2
    assert "needs -o PATH" in result.stderr


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
    from test_coding_support import add_codes

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
    from test_coding_support import add_codes

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
