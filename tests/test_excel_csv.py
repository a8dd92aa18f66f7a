"""`--excel`: CSV files a French Excel opens right (UTF-8 with BOM, `;` between cells,
decimal commas); the default CSV is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

BOM = b"\xef\xbb\xbf"
E = "entretien_01.txt"


@pytest.fixture
def corpus(cli, make_doc, tmp_path: Path) -> None:
    make_doc(E, [("E", "Bonjour."), ("Hélène", "Le guichet déborde, on est méprisés."),
                 ("Karim", "Les délais, c'est la galère.")])
    for code in ("délai", "mépris"):
        cli.ok("codebook", "add", code)
    agents = tmp_path / "agents.csv"
    agents.write_text("name,profil\nHélène,pragmatique\nKarim,militant\n", encoding="utf-8")
    cli.ok("agents", "import", agents)
    cli.ok("code", "apply", f"{E}:2", "délai", "mépris", "--coder", "ana")
    cli.ok("code", "apply", f"{E}:3", "délai", "--coder", "ana")


def test_code_export_for_excel_and_back(cli, corpus, tmp_path: Path) -> None:
    plain, excel = tmp_path / "codages.csv", tmp_path / "codages_excel.csv"
    cli.ok("code", "export", plain)
    cli.ok("code", "export", excel, "--excel")
    assert plain.read_bytes().startswith(b"document,segment,code,coder\n")  # unchanged
    data = excel.read_bytes()
    assert data.startswith(BOM + b"document;segment;code;coder\n")
    assert f"{E};2;mépris;ana".encode() in data
    # `code import` reads it back: every coding is already there
    result = cli.ok("code", "import", excel)
    assert "Imported 0 codings" in result.stderr and "3 already present" in result.stderr


def test_segments_csv_for_excel(cli, corpus, tmp_path: Path) -> None:
    out = tmp_path / "extraits.csv"
    cli.ok("segments", "--code", "délai", "--excel", "-o", out)  # --excel alone means csv
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "document;segment;speaker;agents;profil;codes;text"
    # commas need no quotes any more; the `; ` that joins codes does
    assert lines[1] == (f'{E};2;Hélène;Hélène;pragmatique;"délai; mépris";'
                        'Le guichet déborde, on est méprisés.')
    refused = cli("segments", "--format", "md", "--excel")
    assert refused.exit_code == 2 and "--excel writes CSV" in refused.stderr


def test_analysis_tables_for_excel(cli, corpus, tmp_path: Path) -> None:
    plain, excel = tmp_path / "cooc.csv", tmp_path / "cooc_excel.csv"
    cli.ok("cooccurrence", "--by", "profil", "--measure", "jaccard", "-o", plain)
    cli.ok("cooccurrence", "--by", "profil", "--measure", "jaccard", "-o", excel, "--excel")
    text = plain.read_text(encoding="utf-8")
    assert not text.startswith("\ufeff") and text.splitlines()[0].count(",") > 2
    data = excel.read_bytes()
    assert data.startswith(BOM)
    rows = data.decode("utf-8-sig").splitlines()
    assert rows[0] == text.splitlines()[0].replace(",", ";")
    assert len(rows) == len(text.splitlines())
    assert any("0,5" in row for row in rows) and not any("0.5" in row for row in rows)
    stdout = cli.ok("crosstab", "--by", "profil", "--excel").stdout
    assert stdout.startswith("\ufeff") and ";" in stdout.splitlines()[0]
    refused = cli("cooccurrence", "--by", "profil", "--format", "md", "--excel")
    assert refused.exit_code == 2
