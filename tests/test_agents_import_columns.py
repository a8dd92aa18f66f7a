"""`agents import --name-column / --name-template / --speaker-column`."""

from __future__ import annotations

from pathlib import Path

import pytest

# A metadata sheet as a French Excel saves it: BOM, `;`, two participants named Martin, and
# the labels their turns carry in the transcripts.
SHEET = ("\ufeffprenom;nom;profil;ancienneté;locuteur\n"
         "Gisèle;Martin;social;25;GISÈLE\n"
         "Paul;Martin;pragmatique;3;M. Martin\n"
         "Hélène;Durand;social;12;\n")
TRANSCRIPT = ("Enquêtrice : Vous êtes là depuis longtemps ?\n\n"
              "GISÈLE : Vingt-cinq ans, « au moins ».\n\n"
              "Enquêtrice : Et vous ?\n\n"
              "M. Martin : Trois ans.\n\n"
              "Hélène Durand : Moi douze.\n")


def sheet(tmp_path: Path, text: str = SHEET) -> Path:
    path = tmp_path / "participants.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_shared_surname_without_template_says_how_to_fix(cli, tmp_path):
    cli.ok("init")
    result = cli("agents", "import", sheet(tmp_path), "--name-column", "nom")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "line 3: agent 'Martin' appears twice" in result.stderr
    assert '--name-template "{prenom} {nom}"' in result.stderr
    assert cli.json("agents", "list") == []


def test_name_template_builds_names_and_keeps_other_columns(cli, tmp_path):
    cli.ok("agents", "import", sheet(tmp_path), "--name-template", "{prenom} {nom}")
    assert cli.json("agents", "list") == [
        {"name": "Gisèle Martin", "attributes": {
            "ancienneté": "25", "locuteur": "GISÈLE", "profil": "social"}},
        {"name": "Hélène Durand", "attributes": {"ancienneté": "12", "profil": "social"}},
        {"name": "Paul Martin", "attributes": {
            "ancienneté": "3", "locuteur": "M. Martin", "profil": "pragmatique"}},
    ]


@pytest.mark.parametrize("order", ["ingest first", "import first"])
def test_speaker_column_links_turns_to_agents(cli, tmp_path, order):
    transcript = tmp_path / "entretien.txt"
    transcript.write_text(TRANSCRIPT, encoding="utf-8")
    args = ("agents", "import", sheet(tmp_path), "--name-template", "{Prénom} {nom}",
            "--speaker-column", "locuteur")
    if order == "ingest first":
        cli.ok("ingest", transcript)
        result = cli.ok(*args)
        assert "match no agent" not in result.stderr
    else:
        cli.ok(*args)
        result = cli.ok("ingest", transcript)
        assert "match no agent" not in result.stderr
    agents = {a["name"]: a["attributes"] for a in cli.json("agents", "list")}
    assert agents["Gisèle Martin"] == {"ancienneté": "25", "profil": "social",
                                       "speaker": "GISÈLE"}
    assert "speaker" not in agents["Hélène Durand"]  # linked by her name, as before
    doc = cli.json("docs", "show", "entretien.txt")
    assert [(s["speaker"], s["agent"]) for s in doc["segments"]] == [
        ("Enquêtrice", None), ("GISÈLE", "Gisèle Martin"), ("Enquêtrice", None),
        ("M. Martin", "Paul Martin"), ("Hélène Durand", "Hélène Durand")]
    social = cli.json("segments", "--where", "profil=social")
    assert [s["text"] for s in social] == ["Vingt-cinq ans, « au moins ».", "Moi douze."]


def test_name_column_picks_the_column_of_names(cli, tmp_path):
    path = sheet(tmp_path, "Code;Identité;profil\nP01;Gisèle M.;social\nP02;Paul M.;rural\n")
    cli.ok("agents", "import", path, "--name-column", "identite")
    assert cli.json("agents", "list") == [
        {"name": "Gisèle M.", "attributes": {"Code": "P01", "profil": "social"}},
        {"name": "Paul M.", "attributes": {"Code": "P02", "profil": "rural"}},
    ]


@pytest.mark.parametrize(("args", "message"), [
    (("--name-column", "prenon"), "has no column 'prenon' (--name-column) (did you mean "
                                  "'prenom'? columns: prenom, nom, profil, ancienneté, "
                                  "locuteur)"),
    (("--name-template", "{prenom} {nomm}"), "has no column 'nomm' (--name-template) (did "
                                             "you mean 'nom'"),
    (("--name-template", "{prenom} {nom}", "--speaker-column", "locutrice"),
     "has no column 'locutrice' (--speaker-column) (did you mean 'locuteur'?"),
    (("--name-template", "Madame"), "--name-template 'Madame' names no column"),
    (("--name-template", "{prenom"), "--name-template '{prenom' is not a valid template"),
    (("--name-column", "nom", "--name-template", "{prenom} {nom}"),
     "--name-column and --name-template both name the agents"),
])
def test_bad_options_are_one_line_and_change_nothing(cli, tmp_path, args, message):
    cli.ok("init")
    result = cli("agents", "import", sheet(tmp_path), *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert cli.json("agents", "list") == []


def test_a_speaker_label_names_one_agent_only(cli, tmp_path):
    cli.ok("init")
    path = sheet(tmp_path, "name;locuteur\nGisèle Martin;G\nGilles Morin;g\n")
    result = cli("agents", "import", path, "--speaker-column", "locuteur")
    assert result.exit_code == 1
    assert "line 3: speaker label 'g' is already the label of line 2" in result.stderr
    cli.ok("agents", "import", sheet(tmp_path, "name;locuteur\nGisèle Martin;G\n"),
           "--speaker-column", "locuteur")
    result = cli("agents", "import", sheet(tmp_path, "name;locuteur\nGilles Morin;G\n"),
                 "--speaker-column", "locuteur")
    assert result.exit_code == 1
    assert "speaker label 'G' of 'Gilles Morin' is already the label of agent 'Gisèle " \
           "Martin'" in result.stderr
    assert [a["name"] for a in cli.json("agents", "list")] == ["Gisèle Martin"]


def test_a_column_named_speaker_is_the_label_without_the_option(cli, tmp_path):
    transcript = tmp_path / "e.txt"
    transcript.write_text("E : Bonjour.\n\nMme G : Bonjour à vous.\n", encoding="utf-8")
    cli.ok("ingest", transcript)
    cli.ok("agents", "import", sheet(tmp_path, "name,speaker,profil\nGisèle,Mme G,social\n"))
    doc = cli.json("docs", "show", "e.txt")
    assert [s["agent"] for s in doc["segments"]] == [None, "Gisèle"]
