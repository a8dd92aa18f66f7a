"""`memo add / list / show` on every kind of target, bad targets, undo."""

from __future__ import annotations

import pytest
from support.coding import build_corpus

E = "entretien_01.txt"


@pytest.fixture
def corpus(db, make_doc):
    return build_corpus(db, make_doc)


def test_memos_on_every_target(cli, corpus):
    cli.ok("memo", "add", "project", "Question de recherche : le discrédit au guichet.",
           "--title", "Cadrage")
    cli.ok("memo", "add", "code:Discrédit", "Distinguer mépris ressenti et mépris dit.")
    cli.ok("memo", "add", "doc:entretien_01", "Entretien tendu, interrompu deux fois.")
    cli.ok("memo", "add", f"segment:{E}:4", "Formule répétée : « du mépris ».")
    result = cli.ok("memo", "add", "agent:helene", "Vingt-cinq ans d’ancienneté.")
    assert "Memo 5 saved on agent:Hélène." in result.stderr
    memos = cli.json("memo", "list")
    assert [(m["id"], m["target"], m["title"], m["coder"]) for m in memos] == [
        (1, "project", "Cadrage", "testeur"),
        (2, "code:discrédit", "", "testeur"),
        (3, f"doc:{E}", "", "testeur"),
        (4, f"segment:{E}:4", "", "testeur"),
        (5, "agent:Hélène", "", "testeur"),
    ]
    only = cli.json("memo", "list", f"segment:{E}:4")
    assert [m["text"] for m in only] == ["Formule répétée : « du mépris »."]
    assert [m["id"] for m in cli.json("memo", "list", "project")] == [1]
    shown = cli.json("memo", "show", "2")
    assert shown["target"] == "code:discrédit"
    assert shown["text"] == "Distinguer mépris ressenti et mépris dit."
    human = cli.ok("memo", "show", "1").stdout
    assert "Memo 1 on project — Cadrage" in human
    assert "Question de recherche : le discrédit au guichet." in human


@pytest.mark.parametrize("args, message", [
    (["code:inconnu", "x"], "unknown code 'inconnu'"),
    (["doc:absent", "x"], "unknown document 'absent'"),
    ([f"segment:{E}:9", "x"], "has no segment 9"),
    (["agent:Personne", "x"], "unknown agent 'Personne'"),
    ([f"{E}:4", "x"], "is not a memo target"),
    (["project", "   "], "a memo needs some text"),
])
def test_bad_targets_write_nothing(cli, corpus, args, message):
    result = cli("memo", "add", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert cli.json("memo", "list") == []


def test_show_unknown_memo(cli, corpus):
    result = cli("memo", "show", "42")
    assert result.exit_code == 1
    assert "no memo 42" in result.stderr


def test_memo_undo(cli, corpus):
    cli.ok("memo", "add", "code:attente", "À revoir.")
    assert "memo on code:attente (testeur)" in cli.ok("undo").stdout
    assert cli.json("memo", "list") == []
