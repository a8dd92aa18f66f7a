"""init, docs and agents commands, and the global error contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.sqlite_only
def test_init_is_harmless_twice(cli, db_path):
    cli.ok("init")
    cli.ok("init")
    assert db_path.exists()


@pytest.mark.sqlite_only
def test_read_command_on_missing_database_is_a_clear_error(cli, db_path):
    result = cli("docs", "list")
    assert result.exit_code == 1
    assert "no corpus database" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db_path.exists()


def test_unknown_document_is_one_line_and_exit_1(cli):
    cli.ok("init")
    result = cli("docs", "show", "absent.txt")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: unknown document 'absent.txt' (see `qualcode docs list` for the document names)"
    ]


def test_agents_import_semicolon_cp1252_and_update(cli, tmp_path):
    csv_file = tmp_path / "agents.csv"
    csv_file.write_bytes("nom;profil;ancienneté\nHélène Durand;social;25\nMarc;pragmatique;3\n"
                         .encode("cp1252"))
    cli.ok("agents", "import", csv_file)
    assert cli.json("agents", "list") == [
        {"name": "Hélène Durand", "attributes": {"ancienneté": "25", "profil": "social"}},
        {"name": "Marc", "attributes": {"ancienneté": "3", "profil": "pragmatique"}},
    ]
    csv_file.write_text("name,profil\nhélène durand,pragmatique\n", encoding="utf-8")
    cli.ok("agents", "import", csv_file)
    agents = {a["name"]: a["attributes"] for a in cli.json("agents", "list")}
    assert agents["Hélène Durand"]["profil"] == "pragmatique"
    assert agents["Hélène Durand"]["ancienneté"] == "25"


def test_agents_csv_without_name_column_changes_nothing(cli, tmp_path):
    cli.ok("init")
    bad = tmp_path / "bad.csv"
    bad.write_text("prénom;profil\nAnne;social\n", encoding="utf-8")
    result = cli("agents", "import", bad)
    assert result.exit_code == 1
    assert "no `name` column" in result.stderr
    assert cli.json("agents", "list") == []


def test_agents_csv_with_bad_lines_lists_them_all(cli, tmp_path):
    cli.ok("init")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,profil\nAnne,social\nBruno\n,social\nAnne,social\n", encoding="utf-8")
    result = cli("agents", "import", bad)
    assert result.exit_code == 1
    assert "line 3" in result.stderr and "line 4" in result.stderr and "line 5" in result.stderr
    assert cli.json("agents", "list") == []


def test_speaker_turns_link_to_agents_accent_insensitively(cli, make_doc, tmp_path):
    make_doc("entretien.txt", [("Enquêtrice", "Bonjour."), ("HELENE", "Bonjour."),
                               ("Inconnu", "Oui.")])
    csv_file = tmp_path / "agents.csv"
    csv_file.write_text("name,profil\nHélène,social\n", encoding="utf-8")
    result = cli.ok("agents", "import", csv_file)
    assert "Inconnu" in result.stderr
    doc = cli.json("docs", "show", "entretien.txt")
    assert [s["agent"] for s in doc["segments"]] == [None, "Hélène", None]
    assert cli.json("docs", "list")[0]["agents"] == ["Hélène"]


def test_docs_show_json_contract(cli, make_doc):
    make_doc("notes.txt", [(None, "Premier paragraphe."), (None, "Deuxième.")],
             kind="observation")
    data = cli.json("docs", "show", "notes")
    assert data["name"] == "notes.txt" and data["kind"] == "observation"
    for seg in data["segments"]:
        assert data["text"][seg["start"]:seg["end"]] == seg["text"]
    assert [s["n"] for s in data["segments"]] == [1, 2]


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys, runpy\n"
        "sys.argv = ['qualcode', '--help']\n"
        "try:\n    runpy.run_module('qualcode', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(json.dumps([m for m in ('spacy', 'thinc', 'numpy', 'pandas', 'matplotlib',"
        " 'sqlalchemy') if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", "import json\n" + code], capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_db_option_also_works_after_the_command(tmp_path):
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    db = tmp_path / "apres.db"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", str(db)]).exit_code == 0
    assert db.exists()
    result = runner.invoke(app, ["docs", "list", f"--db={db}", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []
