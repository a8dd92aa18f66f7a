"""`DOC:N` wherever a document is expected: `docs show` shows that segment, `code DOC:N`
starts there, `segments --doc DOC:N` retrieves it alone."""

from __future__ import annotations

import pytest

E = "entretien_01.txt"


@pytest.fixture
def corpus(cli, make_doc) -> None:
    make_doc(E, [("E", "Bonjour."), ("Hélène", "Le guichet déborde."),
                 ("E", "Et ensuite ?"), ("Hélène", "On ne sert plus à rien.")])
    cli.ok("codebook", "add", "attente")
    cli.ok("code", "apply", f"{E}:2", "attente")


def test_docs_show_one_segment(cli, corpus) -> None:
    data = cli.json("docs", "show", f"{E}:4")
    assert data["name"] == E
    assert [(s["n"], s["text"]) for s in data["segments"]] == [(4, "On ne sert plus à rien.")]
    out = cli.ok("docs", "show", "entretien_01:2").stdout
    assert "Le guichet déborde." in out and "attente" in out
    assert "Bonjour." not in out and "On ne sert plus" not in out
    assert len(cli.json("docs", "show", E)["segments"]) == 4  # the whole document


def test_a_bad_segment_number_says_how_many_there_are(cli, corpus) -> None:
    result = cli("docs", "show", f"{E}:9")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: document '{E}' has no segment 9 (it has 4) (see `qualcode docs show {E}`)"]


def test_segments_doc_ref(cli, corpus) -> None:
    rows = cli.json("segments", "--doc", f"{E}:2")
    assert [(r["document"], r["segment"], r["codes"]) for r in rows] == [(E, 2, ["attente"])]


def test_interactive_session_starts_at_the_segment(cli, corpus) -> None:
    out = cli.ok("code", f"{E}:3", input="q\n").stdout
    assert f"{E} · segment 3/4" in out and "segment 1/4" not in out
    # --from still wins when given
    assert "segment 2/4" in cli.ok("code", f"{E}:3", "--from", "2", input="q\n").stdout
