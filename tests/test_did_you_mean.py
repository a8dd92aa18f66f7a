"""A mistyped code, document, coder, agent or attribute names the closest known ones in the
error's hint (case and accents aside); a code typed without quotes is caught."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def corpus(cli, make_doc, tmp_path: Path) -> None:
    make_doc("entretien_01.txt", [("E", "Bonjour."), ("Hélène", "On ne sert plus à rien.")])
    make_doc("notes_gare.md", [(None, "La file déborde.")], kind="observation")
    for code in ("déqualification", "perte de sens", "discrédit"):
        cli.ok("codebook", "add", code)
    agents = tmp_path / "agents.csv"
    agents.write_text("name,profil\nHélène,pragmatique\n", encoding="utf-8")
    cli.ok("agents", "import", agents)
    cli.ok("code", "apply", "entretien_01.txt:2", "discrédit", "--coder", "ana")


def error(cli, *args: str) -> str:
    result = cli(*args)
    assert result.exit_code == 1, result.stdout
    [line] = result.stderr.splitlines()
    return line


def test_unknown_code_names_the_closest(cli, corpus) -> None:
    assert error(cli, "code", "apply", "entretien_01.txt:2", "dequalif") == (
        "Error: unknown code 'dequalif' (did you mean 'déqualification'? see `qualcode "
        "codebook show` for the code names)")
    assert "did you mean 'discrédit'?" in error(cli, "segments", "--code", "DISCREDI")


def test_a_multi_word_code_typed_without_quotes(cli, corpus) -> None:
    assert error(cli, "code", "apply", "entretien_01.txt:2", "perte", "de", "sens") == (
        "Error: unknown code 'perte' (a code name with spaces needs quotes: \"perte de sens\")")
    assert error(cli, "code", "apply", "entretien_01.txt:2", "discrédit", "perte", "de",
                 "sens", "--coder", "bea").startswith("Error: unknown code 'perte' (a code")
    # nothing was applied, not even the code before it
    assert [r["codes"] for r in cli.json("segments", "--coder", "ana")] == [["discrédit"]]
    assert error(cli, "segments", "--coder", "bea") == (
        "Error: unknown coder 'bea' (coders in this corpus: ana)")


def test_unknown_document_coder_and_agent(cli, corpus) -> None:
    assert error(cli, "docs", "show", "entretien_1") == (
        "Error: unknown document 'entretien_1' (did you mean 'entretien_01.txt'? see "
        "`qualcode docs list` for the document names)")
    assert "did you mean 'entretien_01.txt'?" in error(
        cli, "code", "apply", "Entretien-01.txt:2", "discrédit")
    assert error(cli, "segments", "--coder", "anna") == (
        "Error: unknown coder 'anna' (did you mean 'ana'? coders in this corpus: ana)")
    assert "did you mean 'Hélène'?" in error(cli, "agents", "show", "helen")


def test_unknown_attribute_key_and_value(cli, corpus) -> None:
    assert error(cli, "segments", "--where", "profl=pragmatique") == (
        "Error: no agent has an attribute 'profl' (did you mean 'profil'? known attributes: "
        "profil)")
    assert error(cli, "segments", "--where", "profil=pragmatque") == (
        "Error: no agent has profil = 'pragmatque' (did you mean 'pragmatique'? values of "
        "profil: pragmatique)")


def test_nothing_close_keeps_the_usual_hint(cli, corpus) -> None:
    assert error(cli, "code", "apply", "entretien_01.txt:2", "xyz") == (
        "Error: unknown code 'xyz' (see `qualcode codebook show` for the code names)")
    assert error(cli, "docs", "show", "zzz.txt") == (
        "Error: unknown document 'zzz.txt' (see `qualcode docs list` for the document names)")
