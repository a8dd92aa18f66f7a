"""`qualcode codebook import/export/show`: the contract other commands and users rely on."""

from __future__ import annotations

import json

import pytest

from qualcode.codebook.yaml_io import load_yaml

BOOK = """\
name: Mini
version: "1"
codes:
  - name: déqualification
    colour: "#7D3C98"
    description: Perte de compétences reconnues.
    examples: ["« On ne fait plus que de la saisie. »"]
    keywords: [déqualifier, polyvalence]
    children:
      - name: l’écran
        description: Le logiciel fait le travail.
  - name: discrédit
"""


@pytest.fixture
def book_file(tmp_path):
    path = tmp_path / "mini.yaml"
    path.write_text(BOOK, encoding="utf-8")
    return path


def test_import_summary_and_show_json_contract(cli, book_file):
    result = cli.ok("codebook", "import", book_file)
    assert "Codebook Mini (version 1) imported from mini.yaml: 3 added, 0 updated, " \
           "0 unchanged." in " ".join(result.stderr.split())
    rows = cli.json("codebook", "show")
    assert [{k: r[k] for k in ("name", "parent", "description", "keywords", "examples")}
            for r in rows] == [
        {"name": "déqualification", "parent": None,
         "description": "Perte de compétences reconnues.",
         "keywords": ["déqualifier", "polyvalence"],
         "examples": ["« On ne fait plus que de la saisie. »"]},
        {"name": "l’écran", "parent": "déqualification",
         "description": "Le logiciel fait le travail.", "keywords": [], "examples": []},
        {"name": "discrédit", "parent": None, "description": "", "keywords": [],
         "examples": []},
    ]
    assert rows[0]["colour"] == "#7D3C98"
    assert (rows[0]["codings"], rows[0]["codings_total"]) == (0, 0)


def test_import_json_report_and_second_import_unchanged(cli, book_file):
    cli.ok("codebook", "import", book_file)
    report = cli.json("codebook", "import", book_file)
    assert report["added"] == report["updated"] == []
    assert report["unchanged"] == ["déqualification", "l’écran", "discrédit"]


def test_show_tree_has_names_and_counts(cli, book_file):
    cli.ok("codebook", "import", book_file)
    out = cli.ok("codebook", "show").stdout
    assert "déqualification" in out and "l’écran" in out
    assert out.index("déqualification") < out.index("l’écran") < out.index("discrédit")
    assert "(0)" in out


def test_export_yaml_round_trips_through_the_cli(cli, book_file, tmp_path):
    cli.ok("codebook", "import", book_file)
    out = tmp_path / "copie.yaml"
    cli.ok("codebook", "export", out)
    exported = load_yaml(out)
    original = load_yaml(book_file)
    for spec, _ in exported.walk():
        spec.guid = None
    assert exported == original


def test_export_unknown_suffix(cli, book_file, tmp_path):
    cli.ok("codebook", "import", book_file)
    result = cli("codebook", "export", tmp_path / "livre.odt")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("Error: unknown codebook format '.odt' "
                                     "(use a file ending in .yaml, .yml, .qdc, .md, .tex)")


def test_malformed_yaml_is_one_line_and_changes_nothing(cli, book_file, tmp_path):
    cli.ok("codebook", "import", book_file)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncodes:\n  - name: nouveau\n  - name: [oops\n", encoding="utf-8")
    result = cli("codebook", "import", bad)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: bad.yaml is not valid YAML at line")
    assert [r["name"] for r in cli.json("codebook", "show")] == \
        ["déqualification", "l’écran", "discrédit"]


def test_invalid_code_in_the_middle_changes_nothing(cli, book_file, tmp_path):
    cli.ok("codebook", "import", book_file)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BOOK.replace("  - name: discrédit\n",
                                "  - name: discrédit\n    colour: bleu\n  - name: neuf\n"),
                   encoding="utf-8")
    result = cli("codebook", "import", bad)
    assert result.exit_code == 1
    assert "line 12, code 'discrédit': colour 'bleu' is not #RRGGBB" in result.stderr
    assert len(cli.json("codebook", "show")) == 3


def test_import_unsupported_file(cli, tmp_path):
    path = tmp_path / "livre.json"
    path.write_text("{}", encoding="utf-8")
    result = cli("codebook", "import", path)
    assert result.exit_code == 1
    assert "use a file ending in .yaml, .yml, .qdc" in result.stderr


def test_show_json_is_only_json(cli, book_file):
    """stdout is one JSON document and nothing else (no status line, no table, no colour
    codes), so `qualcode codebook show --json | jq` works; messages go to stderr."""
    cli.ok("codebook", "import", book_file)
    result = cli.ok("codebook", "show", "--json")
    out = result.stdout
    assert out.startswith("[") and out.endswith("]\n") and "\x1b" not in out
    decoded, end = json.JSONDecoder().raw_decode(out)
    assert out[end:] == "\n"
    assert [r["name"] for r in decoded] == ["déqualification", "l’écran", "discrédit"]
    assert "imported" not in out and "Codebook" not in out


def test_import_under_another_name_says_so_and_undo_restores_it(cli, book_file, tmp_path):
    cli.ok("codebook", "import", book_file)
    other = tmp_path / "autre.yaml"
    other.write_text("name: Accueil\nversion: \"2\"\ncodes:\n  - name: discrédit\n",
                     encoding="utf-8")
    out = cli.ok("codebook", "import", other)
    assert "was called 'Mini'; it is now 'Accueil'" in out.stderr
    def name_version():
        cli.ok("codebook", "export", tmp_path / "now.yaml")
        book = load_yaml(tmp_path / "now.yaml")
        return book.name, book.version

    assert name_version() == ("Accueil", "2")
    cli.ok("undo")
    assert name_version() == ("Mini", "1")


def test_codebook_from_a_qdc_exports_a_yaml_that_imports_again(cli, book_file, tmp_path):
    """REFI-QDA codebooks have no name: the export still writes one."""
    cli.ok("codebook", "import", book_file)
    cli.ok("codebook", "export", tmp_path / "mini.qdc")
    fresh = tmp_path / "fresh.db"
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(fresh), "codebook", "import",
                               str(tmp_path / "mini.qdc")]).exit_code == 0
    assert runner.invoke(app, ["--db", str(fresh), "codebook", "export",
                               str(tmp_path / "back.yaml")]).exit_code == 0
    assert load_yaml(tmp_path / "back.yaml").name == "Codebook"


def test_move_with_both_top_and_parent_says_they_contradict(cli, book_file):
    cli.ok("codebook", "import", book_file)
    result = cli("codebook", "move", "l’écran", "--top", "--parent", "discrédit")
    assert result.exit_code == 1
    assert "--parent and --top contradict each other" in result.stderr
