"""The coding commands on the demo corpus: gold codings import, retrieval, export, undo."""

from __future__ import annotations

import csv

import pytest
from conftest import DEMO, REPO


@pytest.fixture
def demo(cli):
    cli.ok("ingest", DEMO)
    cli.ok("agents", "import", DEMO / "agents.csv")
    cli.ok("codebook", "import", REPO / "codebooks" / "guichet.yaml")
    return cli


def gold_rows() -> list[dict[str, str]]:
    with (DEMO / "codings.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_demo_gold_codings_import_export_and_undo(demo, tmp_path):
    rows = gold_rows()
    report = demo.json("code", "import", DEMO / "codings.csv")
    assert report["added"] == len(rows)
    assert report["coders"] == sorted({r["coder"] for r in rows})
    # importing again adds nothing
    again = demo.json("code", "import", DEMO / "codings.csv")
    assert (again["added"], again["skipped_duplicates"]) == (0, len(rows))
    out = tmp_path / "export.csv"
    demo.ok("code", "export", out)
    with out.open(encoding="utf-8") as f:
        exported = {(r["document"], r["segment"], r["code"], r["coder"])
                    for r in csv.DictReader(f)}
    assert exported == {(r["document"], r["segment"], r["code"], r["coder"]) for r in rows}
    assert "Undone: import codings from codings.csv" in demo.ok("undo").stdout
    assert demo.json("segments", "--coded") == []


def test_demo_retrieval_by_code_and_profile(demo):
    demo.ok("code", "import", DEMO / "codings.csv")
    parents = {c["name"]: c["parent"] for c in demo.json("codebook", "show")}

    def under(code: str, top: str) -> bool:
        while code is not None:
            if code == top:
                return True
            code = parents.get(code)
        return False

    profil = {a["name"]: a["attributes"].get("profil") for a in demo.json("agents", "list")}
    docs = {d["name"]: d for d in demo.json("docs", "list")}
    segment_agents = {}
    for name in docs:
        for seg in demo.json("docs", "show", name)["segments"]:
            owners = ([seg["agent"]] if seg["agent"] else
                      [] if seg["speaker"] else docs[name]["agents"])
            segment_agents[name, int(seg["n"])] = owners
    expected = sorted({(r["document"], int(r["segment"])) for r in gold_rows()
                       if under(r["code"], "discrédit") and any(
                           profil.get(a) == "pragmatique"
                           for a in segment_agents[r["document"], int(r["segment"])])})
    found = demo.json("segments", "--code", "discrédit", "--where", "profil=pragmatique")
    assert expected, "the demo should hold discrédit excerpts of pragmatique agents"
    assert [(r["document"], r["segment"]) for r in found] == expected
    for r in found:
        assert any(p.get("profil") == "pragmatique" for p in r["profiles"].values())
    md = demo.ok("segments", "--code", "discrédit", "--where", "profil=pragmatique",
                 "--format", "md", "--lang", "fr").stdout
    assert md.count("\n> «\u00a0") + md.startswith("> «\u00a0") == len(expected)
    assert ", pragmatique, " in md  # « — Marc, pragmatique, entretien…:N »
