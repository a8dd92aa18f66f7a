"""`qualcode code DOC`: the interactive session driven by a scripted input stream."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support.coding import build_corpus, codings, count_codings, seg_span

from qualcode.models import Code, Coder, Memo, Segment, Suggestion

E = "entretien_01.txt"


@pytest.fixture
def corpus(db, make_doc):
    """Codes numbered 1 attente, 2 discrédit, 3 mépris, 4 indifférence, 5 hiérarchie
    (`relations` is a heading). Pending suggestions: attente on E:2; discrédit (0.6) and
    indifférence (0.3) on E:4."""
    ids = build_corpus(db, make_doc)
    with db.session(write=True) as s:
        seg = {n: s.scalar(select(Segment.id).where(Segment.n == n, Segment.document_id == 1))
               for n in (2, 4)}
        s.add(Suggestion(segment_id=seg[2], code_id=ids["attente"], score=0.8,
                         evidence={"matches": [{"text": "guichet", "keyword": "guichet"}]}))
        s.add(Suggestion(segment_id=seg[4], code_id=ids["discrédit"], score=0.6))
        s.add(Suggestion(segment_id=seg[4], code_id=ids["indifférence"], score=0.3))
    return ids


def suggestions(db) -> list[tuple]:
    with db.session() as s:
        rows = s.execute(
            select(Segment.n, Code.name, Suggestion.status, Coder.name,
                   Suggestion.decided_at.is_not(None))
            .join(Segment, Segment.id == Suggestion.segment_id)
            .join(Code, Code.id == Suggestion.code_id)
            .outerjoin(Coder, Coder.id == Suggestion.decided_by)).all()
    return sorted(tuple(r) for r in rows)


SCRIPT = "\n".join([
    "n",                                # -> segment 2
    "a",                                # accept the suggestion attente
    "n",                                # -> segment 3 (interviewer)
    "1",                                # apply code 1 (attente)
    "u",                                # undo it
    "n",                                # -> segment 4
    "r",                                # reject discrédit (highest pending)
    "c", "mep",                         # fuzzy prefix -> mépris
    "c", "r", "hier",                   # `r` is ambiguous, asked again -> hiérarchie
    "m", "Mépris exprimé sans détour.",  # memo on the segment
    "x", "1",                           # remove the first of my codes (hiérarchie)
    "p",                                # -> segment 3
    "q",
]) + "\n"


def test_scripted_session(cli, db, corpus):
    # interviewer turns shown, as the session did before they were skipped by default
    result = cli.ok("code", E, "--include-interviewer", input=SCRIPT)
    out = result.stdout
    assert "entretien_01.txt · segment 1/5\nE (interviewer)\n" in out
    assert "segment 2/5\nHélène (centre: Nord, profil: social)\nLes usagers" in out
    assert "suggestion 1: attente 0.80 (words: «guichet»)" in out
    assert "Accepted attente." in out
    assert "Undone: apply attente to entretien_01.txt:3 (testeur)" in out
    assert "Rejected discrédit." in out
    assert "Which one? 2 discrédit, 3 mépris, 4 indifférence, 5 hiérarchie" in out
    assert "Applied hiérarchie." in out
    assert "Memo saved." in out
    assert "Removed hiérarchie." in out
    assert "Session ended: 6 change(s) saved." in out

    s2, e2, _ = seg_span(db, E, 2)
    s4, e4, _ = seg_span(db, E, 4)
    assert codings(db) == [(E, s2, e2, "attente", "testeur", "suggestion"),
                           (E, s4, e4, "mépris", "testeur", "manual")]
    assert suggestions(db) == [(2, "attente", "accepted", "testeur", True),
                               (4, "discrédit", "rejected", "testeur", True),
                               (4, "indifférence", "pending", None, False)]
    with db.session() as s:
        memo = s.scalars(select(Memo)).one()
        assert memo.target_type == "segment"
        assert s.get(Segment, memo.target_id).n == 4
        assert memo.text == "Mépris exprimé sans détour."


def test_session_changes_are_undoable_one_by_one(cli, db, corpus):
    cli.ok("code", E, "--include-interviewer", input=SCRIPT)
    history = cli.json("history")
    assert [h["summary"] for h in history if not h["undone"]] == [
        "remove hiérarchie from entretien_01.txt:4 (testeur)",
        "memo on segment:entretien_01.txt:4 (testeur)",
        "apply hiérarchie to entretien_01.txt:4 (testeur)",
        "apply mépris to entretien_01.txt:4 (testeur)",
        "reject suggestion discrédit on entretien_01.txt:4 (testeur)",
        "accept suggestion attente on entretien_01.txt:2 (testeur)",
    ]
    cli.ok("undo", "-n", "6")
    assert count_codings(db) == 0
    assert [r[2] for r in suggestions(db)] == ["pending", "pending", "pending"]


def test_interrupted_session_keeps_what_was_decided(cli, db, corpus):
    # the script stops without `q`: end of input quits, earlier decisions are saved
    cli.ok("code", "session", E, "--from", "4", input="a2\n2\n")
    s4, e4, _ = seg_span(db, E, 4)
    assert codings(db) == [(E, s4, e4, "discrédit", "testeur", "manual"),
                           (E, s4, e4, "indifférence", "testeur", "suggestion")]


def test_session_other_coder_and_one_line_answers(cli, db, corpus):
    cli.ok("code", "session", E, "--from", "5", "--coder", "Zoé", input="c indiff\nq\n")
    s5, e5, _ = seg_span(db, E, 5)
    assert codings(db) == [(E, s5, e5, "indifférence", "Zoé", "manual")]


def test_session_refusals_do_not_stop_it(cli, db, corpus):
    script = "\n".join(["c", "zzz", "", "9", "", "x", "a", "u", "p", "?", "z", "q"]) + "\n"
    out = cli.ok("code", E, "--include-interviewer", input=script).stdout
    assert "No code matches 'zzz'." in out
    assert "No code matches '9'." in out
    assert "No code applied." in out
    assert "You have no code on this segment." in out
    assert "No pending suggestion on this segment." in out
    assert "Nothing to undo in this session." in out
    assert "First segment." in out
    assert "accept / reject the first pending suggestion" in out
    assert "Unknown key 'z'" in out
    assert count_codings(db) == 0


def test_session_does_not_undo_someone_elses_change(cli, db, corpus):
    from qualcode.cli.code_session import RichView
    from qualcode.coding.interactive import CodingSession
    from qualcode.coding.service import apply_codes

    printed: list[str] = []

    class Out:
        def print(self, text="", **_kw):
            printed.append(str(text))

    def other_process_codes() -> str:
        with db.session(write=True) as s:
            apply_codes(s, ref=f"{E}:2", codes=["mépris"], coder="autre")
        return "u"

    # apply code 1, then someone else codes, then the session is asked to undo
    answers = iter([lambda: "1", other_process_codes, lambda: "q"])

    def read_key(_prompt=""):
        return next(answers, lambda: "q")()

    loop = CodingSession(db, document=E, coder="testeur", view=RichView(Out()),
                         read_key=read_key, read_line=lambda _p="": "")
    loop.run()
    # Its own change goes; the colleague's, made since, stays.
    assert any(p.startswith("Undone: apply") for p in printed)
    assert [c[4] for c in codings(db)] == ["autre"]


@pytest.mark.parametrize("args, message", [
    (["absent.txt"], "unknown document 'absent.txt'"),
    ([E, "--from", "9"], "has no segment 9 (it has 5)"),
])
def test_session_bad_references(cli, corpus, args, message):
    result = cli("code", *args, input="q\n")
    assert result.exit_code == 1
    assert message in result.stderr


def test_code_group_still_lists_subcommands(cli):
    out = cli.ok("code", "--help").stdout
    assert "apply" in out and "import" in out and "qualcode code DOC" in out


def test_fuzzy_matching():
    from qualcode.coding.interactive import CodeItem, match_codes

    items = [CodeItem(1, "attente", 0, 1, None), CodeItem(2, "Attentes déçues", 0, 2, None),
             CodeItem(3, "relations", 0, None, None), CodeItem(4, "Hiérarchie", 1, 3, None)]
    names = lambda q: [c.name for c in match_codes(q, items)]  # noqa: E731
    assert names("2") == ["Attentes déçues"]
    assert names("7") == []
    assert names("ATTENTE") == ["attente"]          # exact beats prefix
    assert names("att") == ["attente", "Attentes déçues"]
    assert names("decu") == ["Attentes déçues"]      # accent-insensitive substring
    assert names("hier") == ["Hiérarchie"]
    assert names("relations") == []                 # headings cannot be applied


def test_suggestion_of_a_code_already_present_is_not_offered(cli, db, corpus):
    cli.ok("code", "apply", f"{E}:4", "discrédit", "--coder", "autre")
    out = cli.ok("code", E, "--from", "4", input="a\nq\n").stdout
    assert "suggestion 1: indifférence 0.30" in out
    assert "suggestion 1: discrédit" not in out
    assert "Accepted indifférence." in out
