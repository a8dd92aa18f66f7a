"""`--lang fr|en` on every export, read back from the produced files.

Counts of the corpus (see test_cooccurrence_corpus): social [[4,2,1],[2,2,0],[1,0,2]] over 5
segments (H2 H4 O1 O2 O3), pragmatique [[3,2,0],[2,3,1],[0,1,3]] over 6 (M1 M3 Z1 O1 O2 O3);
the three observation paragraphs belong to Hélène (social) and Marc (pragmatique): the
groups share 3 of the 8 segments and their sizes add up to 11.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_cooccurrence_corpus import corpus  # noqa: F401  (the hand-counted corpus fixture)

from qualcode.analysis.crosstab import group_overlap
from qualcode.errors import InvalidInput
from qualcode.i18n import LANGS, NBSP, NNBSP, WORDS, lang_of, number, quote, t

NB = NBSP


# --- the i18n module -----------------------------------------------------------------------


def test_every_word_exists_in_both_languages_and_formats():
    for key, words in WORDS.items():
        assert set(words) == set(LANGS), key
        # the same placeholders in both languages, so a caller never misses one
        import string

        fields = [{f for _, f, _, _ in string.Formatter().parse(words[lang]) if f}
                  for lang in LANGS]
        assert fields[0] == fields[1], key


def test_t_quote_and_number():
    assert t("cooc.title", "fr", group="profil = social") == \
        "Cooccurrence des codes, profil = social"
    assert t("base", "fr", text="x") == f"Base{NB}: x"
    assert quote("je tiens", "fr") == f"«{NB}je tiens{NB}»"
    assert quote("je tiens", "en") == "“je tiens”"
    assert number(66.666, "fr", 1) == "66,7"
    assert number(66.666, "en", 1) == "66.7"
    assert number(12345, "fr") == f"12{NNBSP}345"
    assert number(12345, "en") == "12,345"
    assert number(None, "fr") == "n.d."


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 4))
def test_french_number_is_the_english_one_with_comma_and_thin_space(x, digits):
    en, fr = number(x, "en", digits), number(x, "fr", digits)
    assert fr == en.replace(",", NNBSP).replace(".", ",")
    assert float(fr.replace(NNBSP, "").replace(",", ".")) == float(en.replace(",", ""))


def test_language_from_option_then_environment(monkeypatch):
    monkeypatch.delenv("QUALCODE_LANG", raising=False)
    assert lang_of(None) == "en"
    monkeypatch.setenv("QUALCODE_LANG", "FR")
    assert lang_of(None) == "fr"
    assert lang_of("en") == "en"
    with pytest.raises(InvalidInput, match="unknown language 'de'"):
        lang_of("de")


def test_unknown_language_is_one_clear_line(corpus, cli):  # noqa: F811
    result = cli("cooccurrence", "--by", "profil", "--lang", "de", "--format", "md")
    assert result.exit_code == 1
    assert "unknown language 'de' in --lang" in result.stderr and "fr or en" in result.stderr
    assert "Traceback" not in result.stderr


# --- tables ---------------------------------------------------------------------------------


def test_markdown_in_french(corpus, cli):  # noqa: F811
    md = cli.ok("cooccurrence", "--by", "profil", "--format", "md", "--lang", "fr").stdout
    lines = md.splitlines()
    i = lines.index("## Cooccurrence des codes, profil = social")
    assert lines[i + 2].startswith(
        f"Base{NB}: 5 segments (profil = social){NB}; mesure{NB}: effectif (unités)")
    assert f"codeurs{NB}: alice, bob" in lines[i + 2]
    assert lines[i + 4:i + 6] == ["| code | Relation | Règle | Temps |", "|:---|---:|---:|---:|"]
    assert "## Cooccurrence des codes, (ensemble)" in lines
    pct = cli.ok("cooccurrence", "--by", "profil", "--format", "md", "--measure", "row-pct",
                 "--lang", "fr").stdout
    assert "| Relation | 100,0 | 66,7 | 0,0 |" in pct  # pragmatique: decimal comma
    assert "100.0" not in pct


def test_latex_in_french(corpus, cli):  # noqa: F811
    tex = cli.ok("cooccurrence", "--by", "profil", "--format", "tex", "--measure", "jaccard",
                 "--lang", "fr").stdout
    assert "\\caption{Cooccurrence des codes, profil = social. Base~: 5 segments " in tex
    assert "Relation & 1,000 & 0,500 & 0,200 \\\\" in tex  # social, jaccard
    assert NB not in tex and NNBSP not in tex  # pdfLaTeX gets ~ and \,
    assert "\\usepackage[T1]{fontenc}" in tex.splitlines()[0]


def test_xlsx_in_french_keeps_numbers(corpus, cli, tmp_path):  # noqa: F811
    from openpyxl import load_workbook

    out = tmp_path / "cooc_fr.xlsx"
    cli.ok("cooccurrence", "--by", "profil", "--measure", "jaccard", "--lang", "fr", "-o", out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["(ensemble)", "pragmatique", "social", "provenance"]
    ws = wb["social"]
    assert ws["A1"].value == "Cooccurrence des codes, profil = social"
    assert ws["A2"].value.startswith(f"Base{NB}: 5 segments")
    header = next(r for r in ws.iter_rows() if r[0].value == "code")
    values = {r[0].value: [c.value for c in r[1:]] for r in ws.iter_rows(min_row=header[0].row + 1)}
    assert values["Relation"] == [1.0, 0.5, 0.2]  # numbers, not "0,500"
    prov = wb["provenance"]
    assert [c.value for c in prov[1]] == ["champ", "valeur"]
    assert {r[0].value for r in prov.iter_rows(min_row=2)} >= {"date", "livre de codes",
                                                               "qualcode"}


def test_csv_and_json_data_do_not_depend_on_the_language(corpus, cli):  # noqa: F811
    for command in (("cooccurrence", "--by", "profil", "--measure", "row-pct"),
                    ("crosstab", "--by", "profil", "--percent", "both")):
        en = cli.ok(*command, "--format", "csv", "--lang", "en").stdout
        fr = cli.ok(*command, "--format", "csv", "--lang", "fr").stdout
        assert en == fr
        rows = list(csv.DictReader(io.StringIO(fr)))
        assert all("," not in v for r in rows for k, v in r.items() if k.endswith("pct"))
        data = [json.loads(cli.ok(*command, "--format", "json", "--lang", lang).stdout)
                for lang in ("en", "fr")]
        for d in data:
            d.pop("provenance"), d["base"].pop("date")
        assert data[0] == data[1]


def test_crosstab_in_french_says_groups_overlap(corpus, cli):  # noqa: F811
    md = cli.ok("crosstab", "--by", "profil", "--format", "md", "--lang", "fr").stdout
    assert "## Codes par profil (segments)" in md
    assert (f"| code | pragmatique (n=6) | pragmatique %{NB}colonne | social (n=5) | "
            f"social %{NB}colonne | (total) (n=8) | (total) %{NB}colonne |") in md
    # Relation: pragmatique M3 O1 O3 = 3 of 6 -> 50,0; social H2 H4 O1 O3 = 4 of 5 -> 80,0
    assert "| Relation | 3 | 50,0 | 4 | 80,0 | 5 | 62,5 |" in md
    assert (f"Note{NB}: les groupes se recouvrent{NB}: 3 des 8 segments du tableau "
            "appartiennent à la fois à pragmatique et à social") in md
    assert "vaut donc 11 et non 8" in md
    en = cli.ok("crosstab", "--by", "profil", "--format", "md").stdout
    assert ("Note: groups overlap: 3 of the 8 segments of the table belong to both pragmatique "
            "and social") in en
    assert "add up to 11, not 8" in en


def test_terminal_table_shows_the_overlap(corpus, cli):  # noqa: F811
    out = cli.ok("crosstab", "--by", "profil").stdout
    assert "groups overlap: 3 of the 8 segments" in " ".join(out.split())


def test_group_overlap_by_hand():
    # units x groups: u1 in A, u2 in A and B, u3 in A, B and C, u4 in none
    m = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 1], [0, 0, 0]], dtype=bool)
    shared, pairs = group_overlap(m)
    assert shared == 2
    assert pairs == [(0, 1, 2), (0, 2, 1), (1, 2, 1)]
    assert group_overlap(np.zeros((3, 2), dtype=bool)) == (0, [])


def test_agreement_in_french(corpus, cli, tmp_path):  # noqa: F811
    from openpyxl import load_workbook

    md = cli.ok("agreement", "--coders", "alice", "bob", "--format", "md", "--lang", "fr",
                "--bootstrap", "0").stdout
    assert "## Accord entre alice et bob" in md
    assert "| code | les deux | seulement alice | seulement bob | aucun | accord (%) |" in md
    assert "## Désaccords entre alice et bob" in md
    out = tmp_path / "accord.xlsx"
    cli.ok("agreement", "--coders", "alice", "bob", "--lang", "fr", "--bootstrap", "0",
           "-o", out)
    assert load_workbook(out).sheetnames == ["accord", "désaccords", "provenance"]


# --- excerpts ------------------------------------------------------------------------------


@pytest.fixture
def excerpts(cli, db, make_doc, tmp_path):
    with db.session(write=True) as s:
        from qualcode.corpus.agents import upsert_agent

        upsert_agent(s, "Hélène", {"profil": "social"})
    make_doc("entretien_h.txt", [("Enquêtrice", "Et le public ?"),
                                 ("Hélène", "On encaisse, c’est tout.")], agents=("Hélène",))
    make_doc("notes.txt", [(None, "Hélène soupire après le départ de l’usager.")],
             kind="observation", agents=("Hélène",))
    cli.ok("codebook", "import", _codebook(tmp_path))
    cli.ok("code", "apply", "entretien_h.txt:2", "usure")
    cli.ok("code", "apply", "entretien_h.txt:1", "usure")
    cli.ok("code", "apply", "notes.txt:1", "usure")


def _codebook(folder):
    path = folder / "livre.yaml"
    path.write_text("name: Usure\ncodes:\n  - name: usure\n    description: fatigue du "
                    "métier\n    keywords: [encaisser]\n", encoding="utf-8")
    return path


def test_markdown_excerpts_in_both_languages(excerpts, cli):
    fr = cli.ok("segments", "--code", "usure", "--format", "md", "--lang", "fr").stdout
    assert f"> «{NB}On encaisse, c’est tout.{NB}»\n\n— Hélène, social, entretien_h.txt:2" in fr
    assert "— Enquêtrice (enquêteur), entretien_h.txt:1" in fr
    assert "— note d’observation, notes.txt:1" in fr
    en = cli.ok("segments", "--code", "usure", "--format", "md", "--lang", "en").stdout
    assert "> “On encaisse, c’est tout.”\n\n— Hélène, social, entretien_h.txt:2" in en
    assert "— Enquêtrice (interviewer), entretien_h.txt:1" in en
    assert "— observation note, notes.txt:1" in en
    assert "«" not in en


def test_docx_and_xlsx_excerpts_in_french(excerpts, cli, tmp_path):
    import docx
    from openpyxl import load_workbook

    out = tmp_path / "extraits.docx"
    cli.ok("segments", "--code", "usure", "--format", "docx", "-o", out, "--lang", "fr")
    paragraphs = [p.text for p in docx.Document(str(out)).paragraphs]
    assert paragraphs[0] == "Extraits"
    assert f"«{NB}On encaisse, c’est tout.{NB}»" in paragraphs
    for lang, header in (("fr", ["document", "segment", "locuteur", "codes", "codeurs",
                                 "extrait", "source"]),
                         ("en", ["document", "segment", "speaker", "codes", "coders",
                                 "excerpt", "source"])):
        path = tmp_path / f"extraits_{lang}.xlsx"
        cli.ok("segments", "--code", "usure", "--format", "xlsx", "-o", path, "--lang", lang)
        ws = load_workbook(path).active
        assert [c.value for c in ws[1]] == header
        assert ws.title == ("extraits" if lang == "fr" else "excerpts")
        assert ws["B2"].value == 1  # segment numbers stay numbers
        for cell in ws[1]:  # no header is cut
            assert ws.column_dimensions[cell.column_letter].width >= len(cell.value)


# --- codebook --------------------------------------------------------------------------------


def test_codebook_renders_in_french_and_yaml_is_unchanged(excerpts, cli, tmp_path):
    md, tex = tmp_path / "livre.md", tmp_path / "livre.tex"
    cli.ok("codebook", "export", md, "--lang", "fr")
    cli.ok("codebook", "export", tex, "--lang", "fr")
    text = md.read_text(encoding="utf-8")
    assert "**Définition.** fatigue du métier" in text
    assert f"**Mots-clés{NB}:** encaisser" in text
    latex = tex.read_text(encoding="utf-8")
    assert "\\item[Définition] fatigue du métier" in latex
    assert "\\item[Mots-clés] encaisser" in latex
    assert latex.startswith("% Livre de codes exporté par qualcode")
    en = tmp_path / "book.md"
    cli.ok("codebook", "export", en, "--lang", "en")
    assert "**Definition.** fatigue du métier" in en.read_text(encoding="utf-8")
    yamls = []
    for lang in ("fr", "en"):
        path = tmp_path / f"livre_{lang}.yaml"
        cli.ok("codebook", "export", path, "--lang", lang)
        yamls.append(path.read_text(encoding="utf-8"))
    assert yamls[0] == yamls[1] and "description:" in yamls[0]
