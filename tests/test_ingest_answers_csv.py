"""`ingest answers.csv --text-column COL [--id-column COL]`: survey open answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.errors import InvalidInput
from qualcode.ingest.answers import Columns
from qualcode.ingest.registry import read_path

# As a French Excel saves it: BOM, `;`, Windows line ends, a quoted answer holding `;` and a
# line break, an empty answer.
ANSWERS = ("\ufeffid;sexe;âge;reponse\r\n"
           "R01;F;52;Le travail de nuit « use », mais l’équipe tient.\r\n"
           'R02;H;34;"Trop de tâches; pas assez de temps.\r\nOn court."\r\n'
           "R03;F;;\r\n"
           "R04;H;41;Rien à signaler.\r\n")


def answers(tmp_path: Path, text: str = ANSWERS, encoding: str = "utf-8",
            name: str = "reponses.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_one_segment_per_answer_and_respondents_as_agents(tmp_path):
    parsed = read_path(answers(tmp_path), columns=Columns("reponse", "id"))
    assert parsed.text == ("R01 : Le travail de nuit « use », mais l’équipe tient.\n\n"
                           "R02 : Trop de tâches; pas assez de temps. On court.\n\n"
                           "R04 : Rien à signaler.")
    assert [(s.speaker, parsed.text[s.start:s.end], s.is_interviewer)
            for s in parsed.segments] == [
        ("R01", "Le travail de nuit « use », mais l’équipe tient.", False),
        ("R02", "Trop de tâches; pas assez de temps. On court.", False),
        ("R04", "Rien à signaler.", False)]
    assert parsed.agents == {"R01": {"sexe": "F", "âge": "52"}, "R02": {"sexe": "H", "âge": "34"},
                             "R03": {"sexe": "F"}, "R04": {"sexe": "H", "âge": "41"}}
    assert parsed.meta == {"kind": "document", "respondents": 4, "text_column": "reponse",
                           "id_column": "id"}
    assert parsed.warnings == ["1 respondent with an empty answer (kept as agents with their "
                               "attributes, no segment)"]


def test_without_id_column_respondents_are_numbered_by_row(tmp_path):
    text = "reponse;groupe\nOui, très souvent.;A\nJamais le dimanche, c’est sacré.;B\n"
    parsed = read_path(answers(tmp_path, text, "cp1252"), columns=Columns("Réponse"))
    assert [s.speaker for s in parsed.segments] == ["reponses #1", "reponses #2"]
    assert parsed.encoding == "cp1252"


def test_ids_like_interviewer_labels_are_still_respondents(tmp_path):
    text = "id;reponse\nE;Oui.\nQ;Non.\n"
    parsed = read_path(answers(tmp_path, text), columns=Columns("reponse", "id"))
    assert [(s.speaker, s.is_interviewer) for s in parsed.segments] == [("E", False),
                                                                         ("Q", False)]


def test_cli_answers_grouped_by_attribute(cli, tmp_path):
    result = cli.ok("ingest", answers(tmp_path), "--text-column", "reponse", "--id-column", "id")
    assert "added reponses.csv: 3 segments" in result.stdout
    assert "1 respondent with an empty answer" in result.stderr
    assert "match no agent" not in result.stderr
    assert cli.json("docs", "list")[0]["kind"] == "document"
    agents = {a["name"]: a["attributes"] for a in cli.json("agents", "list")}
    assert agents == {"R01": {"sexe": "F", "âge": "52"}, "R02": {"sexe": "H", "âge": "34"},
                      "R03": {"sexe": "F"}, "R04": {"sexe": "H", "âge": "41"}}
    women = cli.json("segments", "--where", "sexe=F")
    assert [(s["segment"], s["agents"]) for s in women] == [(1, ["R01"])]
    cli.ok("codebook", "import", _codebook(tmp_path))
    cli.ok("code", "apply", "reponses.csv:1", "fatigue")
    cli.ok("code", "apply", "reponses.csv:2", "fatigue")
    cli.ok("code", "apply", "reponses.csv:2", "temps")
    table = cli.json("cooccurrence", "--by", "sexe")
    groups = {t["group"]: t for t in table["tables"]}
    assert groups["H"]["units"] == 2 and groups["F"]["units"] == 1
    fatigue = groups["H"]["codes"].index("fatigue")
    assert groups["H"]["matrix"][fatigue][fatigue] == 1


def _codebook(tmp_path: Path) -> Path:
    path = tmp_path / "codes.yaml"
    path.write_text("name: Enquête\ncodes:\n  - name: fatigue\n  - name: temps\n", encoding="utf-8")
    return path


def test_reingest_is_unchanged(cli, tmp_path):
    path = answers(tmp_path)
    cli.ok("ingest", path, "--text-column", "reponse", "--id-column", "id")
    again = cli.json("ingest", path, "--text-column", "reponse", "--id-column", "id")
    assert again == [{"document": "reponses.csv", "status": "unchanged", "segments": 3,
                      "encoding": "utf-8-sig"}]


@pytest.mark.parametrize(("args", "message"), [
    (("--text-column", "réponses"), "reponses.csv has no column 'réponses' (--text-column) "
                                    "(did you mean 'reponse'?"),
    (("--text-column", "reponse", "--id-column", "idd"),
     "reponses.csv has no column 'idd' (--id-column) (did you mean 'id'?"),
    (("--text-column", "reponse", "--id-column", "reponse"),
     "--id-column and --text-column name the same column"),
    ((), "reponses.csv is a table: name the column of answers with --text-column COL"),
    (("--id-column", "id"), "--id-column needs --text-column"),
])
def test_bad_columns_are_one_line_and_nothing_is_written(cli, tmp_path, args, message):
    cli.ok("init")
    result = cli("ingest", answers(tmp_path), *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert cli.json("docs", "list") == [] and cli.json("agents", "list") == []


@pytest.mark.parametrize(("text", "message"), [
    ("id;reponse\nR1;Oui.\nR1;Non.\n", "line 3: respondent 'R1' appears twice"),
    ("id;reponse\nR1;Oui.\nR2;Non;en trop\n", "line 3: 3 fields, expected 2"),
    ('id;reponse\nR1;"Oui.\nR2;Non.\n', "unclosed quote"),
    ("id;reponse\nR1;\nR2; \n", "the column 'reponse' holds no answer"),
])
def test_malformed_csv_is_one_line_and_nothing_is_written(cli, tmp_path, text, message):
    cli.ok("init")
    result = cli("ingest", answers(tmp_path, text), "--text-column", "reponse",
                 "--id-column", "id")
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert cli.json("docs", "list") == [] and cli.json("agents", "list") == []


def test_folder_csv_files_are_skipped_without_the_option(cli, tmp_path):
    folder = tmp_path / "terrain"
    folder.mkdir()
    answers(folder, name="agents.csv")
    (folder / "notes.txt").write_text("Arrivée à 8 h.", encoding="utf-8")
    result = cli.ok("ingest", folder)
    assert "skipped agents.csv (unsupported type .csv)" in result.stderr
    assert [d["name"] for d in cli.json("docs", "list")] == ["notes.txt"]


def test_reader_needs_columns_for_a_csv(tmp_path):
    with pytest.raises(InvalidInput, match="is a table"):
        read_path(answers(tmp_path))
