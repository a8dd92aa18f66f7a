"""The review loop: most likely first, accept/reject/skip/undo/quit with scripted keys."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qualcode.codebook.lookup import code_key
from qualcode.models import AuditEntry, Code, Coder, Coding, Segment, Suggestion
from qualcode.suggest.review import Review, load_queue


@pytest.fixture
def pending(db, make_doc):
    """Three pending suggestions of one code with scores 0.55, 0.9 and 0.7 (no spaCy)."""
    make_doc("e", [("Sophie", "Le tableau de bord, encore."),
                   ("Sophie", "Un indicateur de plus."),
                   ("Sophie", "Les statistiques du mois.")])
    with db.session(write=True) as s:
        code = Code(name="culture du chiffre", norm_name=code_key("culture du chiffre"),
                    colour="#922B21")
        s.add(code)
        s.flush()
        segs = {n: sid for n, sid in s.execute(select(Segment.n, Segment.id))}
        for n, score in ((1, 0.55), (2, 0.9), (3, 0.7)):
            s.add(Suggestion(segment_id=segs[n], code_id=code.id, score=score,
                             scorer="qualcode.combine.v1",
                             evidence={"matches": [], "contributions": {"keywords": 0.5}}))
    return segs


def statuses(db):
    with db.session() as s:
        return dict(s.execute(select(Segment.n, Suggestion.status).join(
            Segment, Segment.id == Suggestion.segment_id)).all())


def codings(db):
    with db.session() as s:
        return [(n, origin, coder) for n, origin, coder in s.execute(
            select(Segment.n, Coding.origin, Coder.name)
            .join(Segment, Segment.id == Coding.segment_id)
            .join(Coder, Coder.id == Coding.coder_id).order_by(Segment.n))]


def test_queue_is_most_likely_first(db, pending):
    with db.session() as s:
        assert [(i.n, i.score) for i in load_queue(s)] == [(2, 0.9), (3, 0.7), (1, 0.55)]


def test_accept_reject_skip_then_undo_and_quit(cli, db, pending):
    result = cli.ok("review", "--coder", "ana", input="a\nr\ns\nu\nq\n")
    # 0.9 accepted, 0.7 rejected, 0.55 skipped then undone, then quit
    assert statuses(db) == {2: "accepted", 3: "rejected", 1: "pending"}
    assert codings(db) == [(2, "suggestion", "ana")]
    assert "culture du chiffre" in result.stdout
    assert "Le tableau de bord, encore." in result.stdout
    assert "Reviewed 2 of 3: 1 accepted, 1 rejected, 0 skipped; 1 left." in result.stderr
    with db.session() as s:
        decided_by = s.scalar(select(Coder.name).join(
            Suggestion, Suggestion.decided_by == Coder.id).where(Suggestion.status ==
                                                                  "accepted"))
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert decided_by == "ana"
    assert actions == ["suggestion accept", "suggestion reject", "suggestion skip",
                       "suggestion undo"]


def test_undo_of_accept_removes_the_coding_exactly(cli, db, pending):
    cli.ok("review", "--coder", "ana", input="a\nu\nq\n")
    assert codings(db) == []
    assert statuses(db) == {1: "pending", 2: "pending", 3: "pending"}
    with db.session() as s:
        sug = s.scalar(select(Suggestion).join(Segment).where(Segment.n == 2))
        assert sug.decided_by is None and sug.decided_at is None


def test_interrupted_review_resumes_without_asking_again(cli, db, pending):
    cli.ok("review", input="r\n")  # end of input reads as quit
    assert statuses(db)[2] == "rejected"
    second = cli.ok("review", input="s\ns\n")
    assert statuses(db) == {2: "rejected", 3: "skipped", 1: "skipped"}
    assert "Reviewed 2 of 2" in second.stderr
    assert "Nothing to review" in cli.ok("review", input="a\n").stderr
    # skipped is never a negative answer: they come back on request
    cli.ok("review", "--skipped", input="a\n")
    assert codings(db) == [(3, "suggestion", "testeur")]


def test_help_and_unknown_keys_do_not_decide(cli, db, pending):
    result = cli.ok("review", input="?\nx\nq\n")
    assert "a accept" in result.stderr
    assert statuses(db) == {1: "pending", 2: "pending", 3: "pending"}


def test_review_filters_by_code_and_skips_coded_segments(cli, db, pending):
    with db.session(write=True) as s:
        other = Code(name="autre", norm_name="autre")
        s.add(other)
        s.flush()
        seg1 = s.scalar(select(Segment).where(Segment.n == 1))
        s.add(Suggestion(segment_id=seg1.id, code_id=other.id, score=0.5, evidence={}))
        coder = Coder(name="ana")
        s.add(coder)
        s.flush()
        chiffre = s.scalar(select(Code.id).where(Code.name == "culture du chiffre"))
        seg3 = s.scalar(select(Segment).where(Segment.n == 3))
        s.add(Coding(code_id=chiffre, document_id=seg3.document_id, segment_id=seg3.id,
                     start=seg3.start, end=seg3.end, coder_id=coder.id))
    with db.session() as s:
        assert [(i.n, i.code) for i in load_queue(s, code="Culture du chiffre")] == [
            (2, "culture du chiffre"), (1, "culture du chiffre")]
    cli.ok("review", "--code", "autre", input="a\n")
    with db.session() as s:
        assert s.scalar(select(func.count(Coding.id)).where(Coding.code_id == other.id)) == 1


def test_review_service_without_terminal(db, pending):
    loop = Review(db, coder="ana")
    queue = loop.queue()
    loop.decide(queue[0], "accept")
    loop.decide(queue[1], "skip")
    assert loop.undo().action == "skip"
    assert loop.undo().action == "accept"
    assert loop.undo() is None
    assert statuses(db) == {1: "pending", 2: "pending", 3: "pending"}
    assert codings(db) == []


def test_review_retrains_and_resorts_after_decisions(cli, db, make_doc):
    """With --retrain-every 2, two decisions retrain the model on them and rescore the rest
    of the queue from the cached analyses."""
    with db.session(write=True) as s:
        s.add(Code(name="chiffre", norm_name="chiffre", keywords=["indicateur"]))
    make_doc("e", [(None, f"L’indicateur numéro {i} est affiché au mur du bureau.")
                   for i in range(4)], kind="observation")
    cli.ok("suggest", "--min-score", "0.1")
    with db.session() as s:
        before = sorted(s.scalars(select(Suggestion.score)))
    result = cli.ok("review", "--retrain-every", "2", input="r\nr\nq\n")
    assert "Learning from your 2 decisions" in result.stderr
    with db.session() as s:
        after = sorted(s.scalars(select(Suggestion.score).where(
            Suggestion.status == "pending")))
    assert len(after) == 2 and max(after) < min(before)  # two rejections lowered the rest


def test_review_shows_the_evidence_and_what_a_score_has_meant(cli, db, make_doc):
    """Each match says how often its keyword has been right; the nearest example names the
    words the segment shares with it; after five decisions near a score, the review says
    how many of them were accepted."""
    make_doc("e", [("Sophie", f"Le tableau de bord du chef, affiché au mur, semaine {i}.")
                   for i in range(7)])
    with db.session(write=True) as s:
        code = Code(name="culture du chiffre", norm_name=code_key("culture du chiffre"))
        s.add(code)
        s.flush()
        segs = list(s.scalars(select(Segment).order_by(Segment.n)))
        for k, seg in enumerate(segs):
            s.add(Suggestion(
                segment_id=seg.id, code_id=code.id, score=0.62 if k < 6 else 0.31,
                scorer="qualcode.rank.v1",
                status=("accepted" if k < 4 else "rejected") if k < 5 else "pending",
                evidence={"matches": [{"text": "tableau de bord", "start": 3, "end": 18,
                                       "keyword": "tableau de bord", "negated": False,
                                       "reliability": 0.64, "from_name": False}],
                          "nearest": {"segment": "codebook", "similarity": 0.42,
                                      "excerpt": "Le tableau de bord du chef.",
                                      "shared": ["tableau", "bord", "chef"]}}))
    out = " ".join(cli.ok("review", input="q\n").stdout.split())
    assert "score 0.62" in out
    assert "tableau de bord → tableau de bord (right 64%)" in out
    assert "shares tableau, bord, chef" in out
    assert "about 8 in 10 at this score accepted so far" in out  # 4 of the 5 decided
    assert statuses(db)[6] == "pending"


def test_two_coders_at_once_the_first_decision_stands(db, pending):
    """gina and hugo load the same queue; gina accepts, then hugo's reject of the same
    suggestion is not recorded (checked inside hugo's write transaction)."""
    from qualcode.suggest.review import AlreadyDecided

    gina, hugo = Review(db, coder="gina"), Review(db, coder="hugo")
    seen_by_gina, seen_by_hugo = gina.queue(), hugo.queue()
    gina.decide(seen_by_gina[0], "accept")
    with pytest.raises(AlreadyDecided) as exc:
        hugo.decide(seen_by_hugo[0], "reject")
    assert str(exc.value) == ("culture du chiffre on e:2 was already accepted by gina in the "
                              "meantime")
    assert statuses(db)[2] == "accepted"
    assert codings(db) == [(2, "suggestion", "gina")]
    with db.session() as s:
        assert s.scalar(select(Coder.name).join(
            Suggestion, Suggestion.decided_by == Coder.id).where(Suggestion.status ==
                                                                  "accepted")) == "gina"
    assert hugo.history == [] and hugo.done == 0
    hugo.decide(seen_by_hugo[1], "reject")  # the next one is hugo's
    assert statuses(db) == {2: "accepted", 3: "rejected", 1: "pending"}


def test_review_cli_says_another_coder_decided_and_moves_on(cli, db, pending, monkeypatch):
    """While hugo looks at the first suggestion, gina accepts it: hugo's `r` records nothing,
    one line says who decided what, and the review goes on to the next one."""
    from qualcode.cli import keys

    keys_pressed = iter(["r", "r", "q"])

    def read_key(prompt):
        if read_key.first:
            read_key.first = False
            gina = Review(db, coder="gina")
            gina.decide(gina.queue()[0], "accept")
        return next(keys_pressed, "q")

    read_key.first = True
    monkeypatch.setattr(keys, "read_key", read_key)
    result = cli.ok("review", "--coder", "hugo")
    assert ("Not recorded: culture du chiffre on e:2 was already accepted by gina in the "
            "meantime.") in result.stderr
    assert statuses(db) == {2: "accepted", 3: "rejected", 1: "pending"}
    assert codings(db) == [(2, "suggestion", "gina")]
    assert ("Reviewed 1 of 3: 0 accepted, 1 rejected, 0 skipped; 1 decided by another coder "
            "meanwhile; 1 left.") in result.stderr


def test_undo_never_reverts_another_coders_later_decision(db, pending):
    from qualcode.suggest.review import AlreadyDecided

    ana = Review(db, coder="ana")
    ana.decide(ana.queue()[0], "skip")
    gina = Review(db, coder="gina", include_skipped=True)
    item = next(it for it in gina.queue() if it.n == 2)
    gina.decide(item, "accept")
    with pytest.raises(AlreadyDecided, match="already accepted by gina"):
        ana.undo()
    assert statuses(db)[2] == "accepted"
    assert codings(db) == [(2, "suggestion", "gina")]


def test_review_of_a_code_whose_suggestions_are_all_decided_says_so(cli, db, pending):
    cli.ok("review", "--coder", "ana", input="a\nr\ns\n")
    result = cli.ok("review", "--code", "culture du chiffre", input="a\n")
    assert ("Nothing to review: all 3 suggestions of culture du chiffre are decided "
            "(1 accepted, 1 rejected, 1 skipped); ask the skipped ones again with --skipped."
            ) in result.stderr
    assert "run `qualcode suggest` first" not in result.stderr
    with db.session(write=True) as s:
        s.add(Code(name="autre", norm_name="autre"))
    assert ("Nothing to review: no suggestion of autre yet; run `qualcode suggest` first."
            in cli.ok("review", "--code", "autre").stderr)
