"""`qualcode code DOC --tui`: the full-screen session, driven by Textual's pilot."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from sqlalchemy import select
from support.coding import build_corpus, codings, seg_span

from qualcode.models import Memo, Segment, Suggestion

E = "entretien_01.txt"
# segment 4: La₁ direction₂ ne₃ nous₄ écoute₅ pas₆ : c’est₇ du₈ mépris₉, du₁₀ mépris₁₁ pur₁₂.
# codes: 1 attente, 2 discrédit, 3 mépris, 4 indifférence, 5 hiérarchie


@pytest.fixture
def corpus(db, make_doc):
    ids = build_corpus(db, make_doc)
    with db.session(write=True) as s:
        seg2 = s.scalar(select(Segment.id).where(Segment.n == 2, Segment.document_id == 1))
        s.add(Suggestion(segment_id=seg2, code_id=ids["attente"], score=0.8,
                         evidence={"matches": [{"text": "guichet", "keyword": "guichet"}]}))
        s.add(Suggestion(segment_id=seg2, code_id=ids["indifférence"], score=0.4))
    return ids


def drive(db, keys: list[str], *, start: int | None = None, include_interviewer=False,
          inspect=None):
    """Run the app headless, press ``keys``, return (status line, app); ``inspect(app)`` is
    called before quitting."""
    from qualcode.cli.tui import CodingApp
    from qualcode.coding.interactive import CodingModel

    model = CodingModel(db, document=E, coder="testeur", start=start,
                        include_interviewer=include_interviewer)
    app = CodingApp(model)
    seen: dict = {}

    async def main() -> None:
        async with app.run_test(size=(130, 36)) as pilot:
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            seen["status"] = str(app.query_one("#status").render())
            if inspect is not None:
                inspect(app)
            await pilot.press("q")

    asyncio.run(main())
    return seen["status"], app


def typed(text: str) -> list[str]:
    return list(text)


def test_select_words_with_the_keys_and_code_them(db, corpus):
    keys = ["right"] * 10 + ["shift+right"] * 3 + ["3"]
    status, app = drive(db, keys, start=4)
    assert status == "Applied mépris to «du mépris pur»."
    s4, _e, text = seg_span(db, E, 4)
    assert text[51:64] == "du mépris pur"
    assert codings(db) == [(E, s4 + 51, s4 + 64, "mépris", "testeur", "manual")]
    assert app.return_value == 1


def test_v_opens_a_selection_and_escape_clears_it(db, corpus):
    # v at word 1, two words more: "La direction ne"; then a code without selection
    status, _app = drive(db, ["right", "v", "right", "right", "2", "escape", "right",
                              "v", "escape", "1"], start=4)
    s4, e4, _t = seg_span(db, E, 4)
    assert codings(db) == [(E, s4, s4 + 15, "discrédit", "testeur", "manual"),
                           (E, s4, e4, "attente", "testeur", "manual")]
    assert status == "Applied attente."


def test_find_words_then_code_by_name(db, corpus):
    keys = (["slash", *typed("MEPRIS PUR"), "enter", "c", *typed("indiff"), "enter"]
            + ["slash", *typed("du mépris"), "enter", "semicolon", "3"])
    status, _app = drive(db, keys, start=4)
    s4, _e, _t = seg_span(db, E, 4)
    assert codings(db) == [(E, s4 + 51, s4 + 60, "mépris", "testeur", "manual"),
                           (E, s4 + 54, s4 + 64, "indifférence", "testeur", "manual")]
    assert status == "Applied mépris to «du mépris»."


def test_words_that_do_not_occur_and_ambiguous_codes_are_said(db, corpus):
    status, _app = drive(db, ["slash", *typed("zzz"), "enter"], start=4)
    assert status.startswith("'zzz' does not occur in this segment")
    status, _app = drive(db, ["c", *typed("r"), "enter"], start=4)
    assert status.startswith("Which one? 2 discrédit, 3 mépris, 4 indifférence, 5 hiérarchie")
    assert codings(db) == []


def test_accept_reject_undo_and_remove(db, corpus):
    s2, e2, _t = seg_span(db, E, 2)
    status, _app = drive(db, ["a", "r"])          # segment 2: accept attente, reject the other
    assert status == "Rejected indifférence."
    assert codings(db) == [(E, s2, e2, "attente", "testeur", "suggestion")]
    with db.session() as s:
        assert sorted(s.scalars(select(Suggestion.status))) == ["accepted", "rejected"]
    status, _app = drive(db, ["x", "1", "enter"])
    assert status == "Removed attente."
    assert codings(db) == []
    status, _app = drive(db, ["n", "3", "u"])
    assert status == "Undone: apply mépris to entretien_01.txt:4 (testeur)"
    assert codings(db) == []


def test_memos_are_written_and_shown(cli, db, corpus):
    cli.ok("memo", "add", f"doc:{E}", "Entretien tendu.")
    panel = {}
    status, _app = drive(db, ["m", *typed("Formule forte."), "enter"], start=4,
                         inspect=lambda app: panel.update(
                             memos=str(app.query_one("#memos").render())))
    assert status == "Memo saved."
    assert "segment: Formule forte. (testeur, 20" in panel["memos"]
    assert "document: Entretien tendu. (testeur, 20" in panel["memos"]
    with db.session() as s:
        memo = s.scalars(select(Memo).where(Memo.target_type == "segment")).one()
        assert s.get(Segment, memo.target_id).n == 4


def test_segment_list_skips_interviewer_turns_and_shows_evidence(db, corpus):
    seen = {}

    def look(app):
        seen["list"] = app.query_one("#segments").option_count
        seen["heading"] = str(app.query_one("#heading").render())
        seen["codes"] = str(app.query_one("#codes").render())
        text = app.state.text
        seen["marked"] = [text[s.start:s.end] for s in
                          app.query_one("#text").render().spans if "underline" in str(s.style)]

    status, _app = drive(db, [], inspect=look)
    assert status.startswith("2 interviewer turns skipped (--include-interviewer shows them).")
    assert seen["list"] == 3
    assert seen["heading"] == "segment 2/5 (1 of 3) · Hélène (centre: Nord, profil: social)"
    assert "suggestion 1: attente 0.80 (words: «guichet»)" in seen["codes"]
    assert seen["marked"] == ["guichet"]
    drive(db, ["n", "n", "n", "p"], include_interviewer=True, inspect=look)
    assert seen["list"] == 5
    assert seen["heading"].startswith("segment 3/5 (3 of 5) · E (interviewer)")


def test_the_cli_option_runs_the_screen(cli, corpus, monkeypatch):
    import qualcode.cli.tui as tui

    calls = []

    def fake_run(db, **kwargs):
        calls.append(kwargs)
        return 2

    monkeypatch.setattr(tui, "run_tui", fake_run)
    result = cli.ok("code", f"{E}:4", "--tui", "--include-interviewer", "--coder", "Zoé")
    assert calls == [{"document": E, "coder": "Zoé", "include_interviewer": True, "start": 4}]
    assert "Session ended: 2 change(s) saved." in result.stderr


def test_textual_is_imported_only_for_the_tui(tmp_path):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from qualcode.cli.main import app\n"
        f"db = {str(tmp_path / 'c.db')!r}\n"
        "r = CliRunner()\n"
        "r.invoke(app, ['--db', db, 'init'])\n"
        "r.invoke(app, ['--help'])\n"
        "r.invoke(app, ['--db', db, 'code', '--help'])\n"
        "print('textual' in sys.modules, 'qualcode.cli.tui' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_screen_needs_a_terminal(cli, corpus):
    result = cli("code", E, "--tui", input="q\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: --tui needs a terminal (standard input and output are not one) (drop --tui: "
        "the line mode reads one answer per line from a script)"]


def test_a_click_in_the_list_and_end_select_from_the_last_word(db, corpus):
    from qualcode.cli.tui import CodingApp
    from qualcode.coding.interactive import CodingModel

    app = CodingApp(CodingModel(db, document=E, coder="testeur"))
    seen = {}

    async def main() -> None:
        async with app.run_test(size=(130, 36)) as pilot:
            await pilot.click("#segments", offset=(5, 6))  # the third line: segment 5
            await pilot.press("end", "shift+left", "shift+left", "5")
            await pilot.pause()
            seen["heading"] = str(app.query_one("#heading").render())
            seen["status"] = str(app.query_one("#status").render())
            await pilot.press("q")

    asyncio.run(main())
    assert seen["heading"].startswith("segment 5/5 (3 of 3) · Marc")
    assert seen["status"] == "Applied hiérarchie to «regarde pas»."
    s5, e5, text = seg_span(db, E, 5)
    assert codings(db) == [(E, e5 - len("regarde pas."), e5 - 1, "hiérarchie", "testeur",
                            "manual")]
