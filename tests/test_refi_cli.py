"""`qualcode export qdpx` and `qualcode import qdpx` through the command line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from support.refi import FIXTURES, assert_valid, read_qde

QUALCODER = FIXTURES / "qualcoder_cases_variables.qdpx"


def test_import_then_export_json(cli, tmp_path: Path) -> None:
    report = cli.json("import", "qdpx", str(QUALCODER))
    assert report["codings"] == {"added": 7, "already_present": 0}
    assert [d["name"] for d in report["documents"]] == ["entretien_nadia.txt",
                                                        "entretien_bruno.txt"]
    assert report["unplaced"] == []
    out = tmp_path / "export.qdpx"
    result = cli.json("export", "qdpx", str(out))
    assert result == {"file": str(out), "positions": "codepoints", "sources": 2, "codes": 9,
                      "codings": 7, "cases": 2, "variables": 4, "notes": 8, "users": 2,
                      "selections": 11}
    read_qde(out)
    docs = cli.json("docs", "list")
    assert {d["name"]: d["segments"] for d in docs} == {"entretien_nadia.txt": 4,
                                                        "entretien_bruno.txt": 3}


@pytest.mark.refi_shared
def test_cli_export_is_valid_against_the_project_schema(cli, tmp_path: Path) -> None:
    cli.ok("import", "qdpx", str(QUALCODER))
    out = tmp_path / "export.qdpx"
    cli.ok("export", "qdpx", str(out))
    assert_valid(out)


def test_import_human_summary(cli) -> None:
    result = cli.ok("import", "qdpx", str(QUALCODER))
    assert result.stdout == ""
    err = result.stderr
    assert "entretien_nadia.txt: added, 4 segments, 4 codings" in err
    assert "Codings: 7 added, 0 already present." in err
    again = cli.ok("import", "qdpx", str(QUALCODER)).stderr
    assert "entretien_nadia.txt: merged" in again and "same text: codings added" in again
    assert "Codings: 0 added, 7 already present." in again


def test_unplaced_selections_listed(cli, tmp_path: Path) -> None:
    qde = ('<Project xmlns="urn:QDA-XML:project:1.0" name="t"><CodeBook><Codes>'
           '<Code guid="0a1b2c3d-0000-4000-8000-000000000001" name="accueil" isCodable="true"/>'
           '</Codes></CodeBook><Sources><TextSource guid="0a1b2c3d-0000-4000-8000-0000000000'
           '02" name="court.txt"><PlainTextContent>Texte court.</PlainTextContent>'
           '<PlainTextSelection guid="0a1b2c3d-0000-4000-8000-000000000003" startPosition="6" '
           'endPosition="90"><Coding guid="0a1b2c3d-0000-4000-8000-000000000004">'
           '<CodeRef targetGUID="0a1b2c3d-0000-4000-8000-000000000001"/></Coding>'
           '</PlainTextSelection></TextSource></Sources></Project>')
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
    result = cli.ok("import", "qdpx", str(path))
    assert "1 selections could not be placed:" in result.stderr
    assert "court.txt 6-90 accueil: position 6-90 is outside the text" in result.stderr
    report = cli.json("import", "qdpx", str(path))
    assert report["unplaced"][0]["selection"] == "0a1b2c3d-0000-4000-8000-000000000003"


def test_groups_list_their_subcommands(cli) -> None:
    assert "qdpx" in cli("export", "--help").stdout
    assert "qdpx" in cli("import", "--help").stdout


def test_export_to_missing_folder(cli, tmp_path: Path) -> None:
    cli.ok("init")
    result = cli("export", "qdpx", str(tmp_path / "nulle" / "part.qdpx"))
    assert result.exit_code == 1 and "does not exist" in result.stderr
