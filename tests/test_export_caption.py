"""`--caption` replaces the generated caption; the provenance (date, codebook, command line)
is a note under the table, a sheet, or a JSON object, never part of the caption."""

from __future__ import annotations

import json
import re
import sys

import pytest
from test_cooccurrence_corpus import corpus  # noqa: F401  (the hand-counted corpus fixture)

from qualcode.i18n import NBSP

DATE = re.compile(r"\d{4}-\d{2}-\d{2}T")  # an ISO timestamp
NB = NBSP


@pytest.fixture
def as_typed(monkeypatch):
    """Run the CLI as if typed in a shell: `qualcode ARGS` in sys.argv (what the provenance
    quotes); returns a function that sets the arguments."""
    def _set(*args: str) -> None:
        monkeypatch.setattr(sys, "argv", ["/usr/local/bin/qualcode", *map(str, args)])
    return _set


def test_latex_caption_replaced_and_provenance_under_the_table(corpus, cli, as_typed):  # noqa: F811
    args = ("cooccurrence", "--by", "profil", "--format", "tex", "--caption",
            "Tableau 2. Cooccurrences & profils")
    as_typed(*args)
    tex = cli.ok(*args).stdout
    captions = re.findall(r"\\caption\{(.*)\}", tex)
    assert captions == ["Tableau 2. Cooccurrences \\& profils (all)",
                        "Tableau 2. Cooccurrences \\& profils (pragmatique)",
                        "Tableau 2. Cooccurrences \\& profils (social)"]
    social = tex.split("\\caption{Tableau 2. Cooccurrences \\& profils (social)}")[1]
    table = social.split("\\end{table}")[0]
    after = table.split("\\end{tabular}")[1]
    # the base moves under the table, then the provenance, both in footnote size
    assert "\\par\\smallskip{\\footnotesize Base: 5 segments (profil = social)" in after
    assert "Made on " in after and "with codebook " in after
    assert ("command: \\texttt{qualcode cooccurrence --by profil --format tex --caption "
            "'Tableau 2. Cooccurrences \\& profils'}") in after
    assert not any(DATE.search(c) or "#" in c for c in captions)


def test_generated_caption_keeps_the_base_but_not_the_provenance(corpus, cli):  # noqa: F811
    tex = cli.ok("cooccurrence", "--by", "profil", "--format", "tex").stdout
    captions = re.findall(r"\\caption\{(.*)\}", tex)
    assert captions[2].startswith("Code co-occurrence, profil = social. Base: 5 segments")
    assert not any(DATE.search(c) or "codebook" in c for c in captions)
    assert tex.count("{\\footnotesize Made on ") == 3
    # a command not run as `qualcode` (here: pytest) has no command line to quote
    assert "command:" not in tex


def test_markdown_caption_and_provenance_note(corpus, cli, as_typed):  # noqa: F811
    args = ("crosstab", "--by", "profil", "--format", "md", "--lang", "fr", "--caption",
            "Tableau 3. Codes par profil")
    as_typed(*args)
    md = cli.ok(*args).stdout
    lines = md.splitlines()
    assert lines[0] == "## Tableau 3. Codes par profil"
    assert lines[2].startswith(f"Base{NB}: segments par code et par profil")
    assert not DATE.search(lines[2]) and "livre de codes" not in lines[2]
    note = lines[-1]
    assert note.startswith("*Produit le ") and note.endswith("`.*")
    assert (f"commande{NB}: `qualcode crosstab --by profil --format md --lang fr --caption "
            "'Tableau 3. Codes par profil'`") in note
    # the table comes before the notes
    assert lines.index(note) > max(i for i, line in enumerate(lines) if line.startswith("|"))


def test_xlsx_caption_provenance_sheet_and_header_widths(corpus, cli, tmp_path,  # noqa: F811
                                                         as_typed):
    from openpyxl import load_workbook

    out = tmp_path / "croise.xlsx"
    args = ("crosstab", "--by", "profil", "--percent", "both", "-o", out, "--caption",
            "Table 1. Codes by profile")
    as_typed(*args)
    cli.ok(*args)
    wb = load_workbook(out)
    assert wb.sheetnames == ["profil", "provenance"]
    ws = wb["profil"]
    assert ws["A1"].value == "Table 1. Codes by profile" and ws["A1"].font.bold
    assert not any(DATE.search(str(c.value)) for row in ws.iter_rows() for c in row if c.value)
    header = next(r for r in ws.iter_rows() if r[0].value == "code")
    assert [c.value for c in header][:4] == ["code", "pragmatique (n=6)", "pragmatique row %",
                                             "pragmatique col %"]
    for cell in header:  # every header fits its column
        assert ws.column_dimensions[cell.column_letter].width >= len(cell.value), cell.value
    prov = {r[0].value: r[1].value for r in wb["provenance"].iter_rows(min_row=2)}
    assert DATE.match(prov["date"])
    assert re.search(r"#[0-9a-f]{12}$", prov["codebook"])
    assert prov["command"].startswith("qualcode crosstab --by profil --percent both -o ")
    assert prov["qualcode"]


def test_json_has_a_provenance_object(corpus, cli, as_typed):  # noqa: F811
    args = ("cooccurrence", "--by", "profil", "--json")
    as_typed(*args)
    data = json.loads(cli.ok(*args).stdout)
    prov = data["provenance"]
    assert prov["command"] == "qualcode cooccurrence --by profil --json"
    assert len(prov["codebook"]["fingerprint"]) == 12 and DATE.match(prov["date"])
    assert data["tables"][1]["matrix"] == [[3, 2, 0], [2, 3, 1], [0, 1, 3]]  # data unchanged


def test_csv_has_no_provenance_rows(corpus, cli, as_typed):  # noqa: F811
    args = ("cooccurrence", "--by", "profil", "--format", "csv", "--caption", "Ignored")
    as_typed(*args)
    text = cli.ok(*args).stdout
    assert text.splitlines()[0].startswith("group,code_row,code_col,value")
    assert "Ignored" not in text and "qualcode cooccurrence" not in text


def test_agreement_caption_names_the_statistics_table_only(corpus, cli):  # noqa: F811
    md = cli.ok("agreement", "--coders", "alice", "bob", "--format", "md", "--bootstrap", "0",
                "--caption", "Table 4. Inter-coder agreement").stdout
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings == ["## Table 4. Inter-coder agreement",
                        "## Disagreements between alice and bob"]


def test_segments_caption_titles_the_excerpts(corpus, cli):  # noqa: F811
    md = cli.ok("segments", "--code", "Temps", "--format", "md", "--caption",
                "Extraits : le temps").stdout
    assert md.startswith("# Extraits : le temps\n")


def test_empty_caption_is_refused(corpus, cli):  # noqa: F811
    result = cli("cooccurrence", "--by", "profil", "--format", "md", "--caption", "  ")
    assert result.exit_code == 1 and "--caption is empty" in result.stderr
