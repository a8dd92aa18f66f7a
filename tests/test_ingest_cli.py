"""`qualcode ingest`: JSON contract, human output, errors per file, exit codes."""

from __future__ import annotations

import json
import os

TURNS = ("Enquêtrice : Depuis quand travaillez-vous à l’accueil ?\n"
         "Karim : Depuis six ans, après la plateforme.\n")
NOTES = "Mardi matin, la file\ndéborde sur le trottoir.\n\nLe vigile ouvre à huit heures."


def test_json_contract_and_idempotence(cli, tmp_path):
    (tmp_path / "entretien_01.txt").write_text(TURNS, encoding="utf-8")
    (tmp_path / "notes.txt").write_bytes(NOTES.encode("cp1252"))
    files = [tmp_path / "entretien_01.txt", tmp_path / "notes.txt"]
    assert cli.json("ingest", *files) == [
        {"document": "entretien_01.txt", "status": "added", "segments": 2, "encoding": "utf-8"},
        {"document": "notes.txt", "status": "added", "segments": 2, "encoding": "latin-1"},
    ]
    assert [d["status"] for d in cli.json("ingest", *files)] == ["unchanged", "unchanged"]
    docs = cli.json("docs", "list")
    assert [(d["name"], d["kind"], d["segments"]) for d in docs] == [
        ("entretien_01.txt", "interview", 2), ("notes.txt", "document", 2)]
    shown = cli.json("docs", "show", "notes.txt")
    assert shown["text"] == ("Mardi matin, la file déborde sur le trottoir.\n\n"
                             "Le vigile ouvre à huit heures.")


def test_human_output(cli, tmp_path):
    (tmp_path / "entretien_01.txt").write_text(TURNS, encoding="utf-8")
    result = cli.ok("ingest", tmp_path / "entretien_01.txt")
    assert result.stdout == "added entretien_01.txt: 2 segments, 16 words, utf-8\n"
    assert "Speakers that match no agent (add them with `qualcode agents import`): Karim" in (
        result.stderr)
    assert "1 file: 1 added." in result.stderr
    again = cli.ok("ingest", tmp_path / "entretien_01.txt")
    assert again.stdout == "unchanged entretien_01.txt: 2 segments, 16 words, utf-8\n"


def test_several_files_one_bad(cli, tmp_path):
    (tmp_path / "a.txt").write_text(TURNS, encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "cassé.docx").write_bytes(os.urandom(1500))
    (tmp_path / "binaire.txt").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(40) + b"\x03\x00")
    (tmp_path / "vide.md").write_bytes(b"")
    (tmp_path / "z.txt").write_text(NOTES, encoding="utf-8")
    names = ["a.txt", "photo.png", "cassé.docx", "binaire.txt", "vide.md", "z.txt"]
    result = cli("ingest", *(tmp_path / n for n in names))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 4
    assert errors[0].startswith("Error: photo.png: unsupported file type .png")
    assert any(e.startswith("Error: cassé.docx is not a readable .docx file") for e in errors)
    assert any(e.startswith("Error: binaire.txt contains NUL bytes") for e in errors)
    assert any(e.startswith("Error: vide.md is empty") for e in errors)
    assert "6 files: 4 errors, 2 added." in result.stderr
    assert [d["name"] for d in cli.json("docs", "list")] == ["a.txt", "z.txt"]


def test_json_lists_failed_files(cli, tmp_path):
    (tmp_path / "vide.txt").write_bytes(b"")
    result = cli("ingest", tmp_path / "vide.txt", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{
        "document": "vide.txt", "status": "error", "segments": 0, "encoding": "",
        "error": "vide.txt is empty (check that the file was saved completely)"}]


def test_changed_then_replace(cli, tmp_path):
    path = tmp_path / "entretien.txt"
    path.write_text(TURNS, encoding="utf-8")
    cli.ok("ingest", path)
    path.write_text(TURNS + "Enquêtrice : Et avant ?\nKarim : J’étais au siège.\n",
                    encoding="utf-8")
    refused = cli("ingest", path)
    assert refused.exit_code == 1
    assert ("Error: entretien.txt has changed since it was ingested (pass --replace to replace "
            "it (its codings move to the new text))") in refused.stderr
    assert cli.json("docs", "list")[0]["segments"] == 2
    assert cli.json("ingest", path, "--replace") == [
        {"document": "entretien.txt", "status": "replaced", "segments": 4,
         "encoding": "utf-8"}]


def test_folder_options_and_notes(cli, tmp_path):
    folder = tmp_path / "terrain"
    (folder / "sous-dossier").mkdir(parents=True)
    (folder / "sous-dossier" / "entretien.txt").write_text(
        "Sociologue : Et le lundi ?\nNadia : Le pire jour.\n", encoding="utf-8")
    (folder / "tableau.xlsx").write_bytes(b"PK")
    result = cli("ingest", folder, "--interviewer", "Sociologue", "--agent", "Nadia",
                 "--kind", "interview")
    assert result.exit_code == 0, result.stderr
    assert "skipped tableau.xlsx (unsupported type .xlsx)" in result.stderr
    doc = cli.json("docs", "show", "sous-dossier/entretien.txt")
    assert [(s["speaker"], s["interviewer"], s["agent"]) for s in doc["segments"]] == [
        ("Sociologue", True, None), ("Nadia", False, "Nadia")]
    assert doc["agents"] == ["Nadia"]


def test_unknown_kind_is_an_error(cli, tmp_path):
    (tmp_path / "a.txt").write_text(NOTES, encoding="utf-8")
    result = cli("ingest", tmp_path / "a.txt", "--kind", "roman")
    assert result.exit_code == 1
    assert "unknown kind 'roman'" in result.stderr


def test_duplicate_warning(cli, tmp_path):
    teaser = "La caisse ferme trois accueils de proximité et renvoie vers le site."
    (tmp_path / "presse.txt").write_text(f"{teaser}\n\nSuite.\n\n{teaser}\n", encoding="utf-8")
    result = cli.ok("ingest", tmp_path / "presse.txt")
    assert ("warning: presse.txt: segments 1, 3 are the same paragraph (kept; they count "
            "several times)") in result.stderr
