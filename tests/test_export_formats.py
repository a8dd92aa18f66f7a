"""Every table format, read back: csv, md, tex, xlsx, json, and the heatmaps; accents survive."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from sqlalchemy import select
from test_cooccurrence_corpus import corpus  # noqa: F401  (the hand-counted corpus fixture)

from qualcode.export.render import safe_cell, sheet_name, tex_escape
from qualcode.models import Code

# Counts of the corpus (see test_cooccurrence_corpus): social [[4,2,1],[2,2,0],[1,0,2]],
# pragmatique [[3,2,0],[2,3,1],[0,1,3]], (all) [[6,3,1],[3,5,1],[1,1,4]].


@pytest.fixture
def odd_names(corpus):  # noqa: F811
    """Rename Temps to a name full of LaTeX specials, and add a formula-looking code."""
    with corpus.session(write=True) as s:
        temps = s.scalar(select(Code).where(Code.name == "Temps"))
        temps.name, temps.norm_name = "Temps & attente_1 #2", "temps & attente_1 #2"
        s.add(Code(name="=HYPERLINK(x)", norm_name="=hyperlink(x)", position=9))
    return corpus


def test_csv_long_format(corpus, cli, tmp_path):  # noqa: F811
    text = cli.ok("cooccurrence", "--by", "profil", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:6] == ["group", "code_row", "code_col", "value", "n_ij", "units"]
    assert len(rows) == 3 * 9  # three groups x 3 x 3 cells
    cell = {(r["group"], r["code_row"], r["code_col"]): r for r in rows}
    assert cell[("pragmatique", "Relation", "Règle")]["value"] == "2"
    assert cell[("social", "Temps", "Temps")]["value"] == "2"
    assert cell[("(all)", "Règle", "Règle")]["units"] == "12"
    out = tmp_path / "cooc.csv"
    cli.ok("cooccurrence", "--by", "profil", "-o", out)  # format from the suffix
    assert out.read_text(encoding="utf-8") == text
    jac = list(csv.DictReader(io.StringIO(cli.ok(
        "cooccurrence", "--by", "profil", "--measure", "jaccard", "--format", "csv").stdout)))
    c = next(r for r in jac if (r["group"], r["code_row"], r["code_col"])
             == ("social", "Relation", "Temps"))
    assert (float(c["value"]), c["n_ij"]) == (0.2, "1")


def test_csv_neutralises_formulas_but_not_numbers(odd_names, cli):
    rows = list(csv.DictReader(io.StringIO(cli.ok(
        "cooccurrence", "--no-rollup", "--format", "csv").stdout)))
    assert {r["code_row"] for r in rows} >= {"'=HYPERLINK(x)", "Temps & attente_1 #2"}
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("@cmd") == "'@cmd"
    assert safe_cell("+33 6 12") == "'+33 6 12"
    assert safe_cell("-1") == "-1"
    assert safe_cell(-1) == -1
    assert safe_cell(-0.5) == -0.5
    assert safe_cell("Écoute") == "Écoute"


def test_json_format_is_the_contract(corpus, cli, tmp_path):  # noqa: F811
    text = cli.ok("cooccurrence", "--by", "profil", "--format", "json").stdout
    data = json.loads(text)
    assert set(data) >= {"by", "unit", "measure", "tables"}
    assert set(data["tables"][0]) >= {"group", "units", "codes", "matrix"}
    assert "Règle" in text  # accents as UTF-8, not \u escapes
    assert data["tables"][1]["matrix"] == [[3, 2, 0], [2, 3, 1], [0, 1, 3]]
    out = tmp_path / "cooc.json"
    cli.ok("cooccurrence", "--by", "profil", "--format", "json", "-o", out)
    assert json.loads(out.read_text(encoding="utf-8"))["tables"][1]["group"] == "pragmatique"


def test_markdown_tables(corpus, cli):  # noqa: F811
    md = cli.ok("cooccurrence", "--by", "profil", "--format", "md").stdout
    lines = md.splitlines()
    assert "## Code co-occurrence, profil = social" in lines
    i = lines.index("## Code co-occurrence, profil = social")
    assert lines[i + 2].startswith("Base: 5 segments (profil = social); measure: count")
    assert lines[i + 4:i + 9] == [
        "| code | Relation | Règle | Temps |",
        "|:---|---:|---:|---:|",
        "| Relation | 4 | 2 | 1 |",
        "| Règle | 2 | 2 | 0 |",
        "| Temps | 1 | 0 | 2 |",
    ]
    pct = cli.ok("cooccurrence", "--by", "profil", "--format", "md", "--measure",
                 "row-pct").stdout
    assert "| Relation | 100.0 | 66.7 | 0.0 |" in pct  # pragmatique row, 1 decimal


def test_latex_booktabs_caption_and_escapes(odd_names, cli):
    tex = cli.ok("cooccurrence", "--by", "profil", "--format", "tex").stdout
    assert tex.count("\\begin{table}") == 3
    for rule in ("\\toprule", "\\midrule", "\\bottomrule"):
        assert tex.count(rule) == 3
    assert ("\\caption{Code co-occurrence, profil = social. Base: 5 segments "
            "(profil = social); measure: count (units); coders: alice, bob;") in tex
    assert "Temps \\& attente\\_1 \\#2" in tex
    assert "Temps & attente" not in tex
    assert "Règle" in tex and "\\'" not in tex  # accents stay UTF-8
    assert "\\begin{tabular}{lrrrr}" in tex  # code + 4 top-level codes
    assert tex_escape("50% {a}~^\\") == (
        "50\\% \\{a\\}\\textasciitilde{}\\textasciicircum{}\\textbackslash{}")


def test_xlsx_one_sheet_per_group(corpus, cli, tmp_path):  # noqa: F811
    from openpyxl import load_workbook

    out = tmp_path / "cooc.xlsx"
    cli.ok("cooccurrence", "--by", "profil", "--measure", "jaccard", "-o", out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["(all)", "pragmatique", "social", "provenance"]
    ws = wb["social"]
    assert ws["A1"].value == "Code co-occurrence, profil = social"
    assert ws["A2"].value.startswith("Base: 5 segments (profil = social)")
    header = next(r for r in ws.iter_rows() if r[0].value == "code")
    assert [c.value for c in header] == ["code", "Relation", "Règle", "Temps"]
    assert all(c.font.bold for c in header)
    values = {r[0].value: [c.value for c in r[1:]] for r in ws.iter_rows(min_row=header[0].row + 1)}
    assert values["Relation"] == [1.0, 0.5, 0.2]
    assert values["Temps"] == [0.2, 0.0, 1.0]


def test_xlsx_needs_a_file_and_unknown_format(corpus, cli):  # noqa: F811
    result = cli("cooccurrence", "--format", "xlsx")
    assert result.exit_code == 1 and "pass -o tables.xlsx" in result.stderr
    result = cli("cooccurrence", "--format", "ods")
    assert result.exit_code == 1 and "unknown format" in result.stderr


def test_sheet_names_are_sanitised():
    taken: set[str] = set()
    assert sheet_name("a/b:c*d?[e]\\f", taken) == "a_b_c_d__e__f"
    long = sheet_name("représentation très longue du métier de guichetier", taken)
    assert len(long) == 31 and long.startswith("représentation")
    again = sheet_name("représentation très longue du métier de guichetier", taken)
    assert len(again) <= 31 and again != long and again.endswith("(2)")


def test_heatmaps_one_file_per_group(corpus, cli, tmp_path):  # noqa: F811
    plot = tmp_path / "heatmap.svg"
    result = cli.ok("cooccurrence", "--by", "profil", "--plot", plot, "--format", "csv")
    names = sorted(p.name for p in tmp_path.glob("heatmap_*.svg"))
    assert names == ["heatmap_all.svg", "heatmap_pragmatique.svg", "heatmap_social.svg"]
    svg = (tmp_path / "heatmap_social.svg").read_text(encoding="utf-8")
    assert "Règle" in svg and "profil = social" in svg
    assert "heatmap_social.svg" in result.stderr
    assert result.stdout.startswith("group,code_row")  # the table still goes to stdout
    png = tmp_path / "h.png"
    cli.ok("cooccurrence", "--plot", png, "--json")
    assert (tmp_path / "h_all.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = cli("cooccurrence", "--plot", tmp_path / "h.gif")
    assert bad.exit_code == 1 and "cannot draw h.gif" in bad.stderr


def test_help_imports_no_numpy_or_matplotlib():
    code = ("import sys; from typer.testing import CliRunner; from qualcode.cli.main import app;"
            "CliRunner().invoke(app, ['cooccurrence', '--help']);"
            "print(sorted(m for m in ('numpy', 'matplotlib', 'openpyxl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
