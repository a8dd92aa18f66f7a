"""Coding a span inside a segment in `qualcode code DOC`: words by number or by their text,
memos and suggestion evidence shown, interviewer turns skipped."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from support.coding import build_corpus, codings, seg_span

from qualcode.coding import spans
from qualcode.coding.interactive import CodeItem, Selection, split_answer
from qualcode.models import Segment, Suggestion

E = "entretien_01.txt"
# Segment 4 of E, words numbered as `w` shows them:
# La₁ direction₂ ne₃ nous₄ écoute₅ pas₆ : c’est₇ du₈ mépris₉, du₁₀ mépris₁₁ pur₁₂.
HELENE_4 = "La direction ne nous écoute pas : c’est du mépris, du mépris pur."


@pytest.fixture
def corpus(db, make_doc):
    return build_corpus(db, make_doc)


# ---------------------------------------------------------------- words and matching
def test_words_leave_out_punctuation_at_their_edges():
    text = "« Bonjour », dit-elle : l’État — c’est 25 ans…"
    assert [(w.number, w.text) for w in spans.words(text)] == [
        (1, "Bonjour"), (2, "dit-elle"), (3, "l’État"), (4, "c’est"), (5, "25"), (6, "ans")]
    first = spans.words(text)[0]
    assert (first.start, first.end) == (2, 9)


def test_word_span_runs_from_the_first_word_to_the_last():
    start, end = spans.word_span(HELENE_4, 10, 12)
    assert (start, end) == (51, 64)
    assert HELENE_4[start:end] == "du mépris pur"
    assert HELENE_4[slice(*spans.word_span(HELENE_4, 6, 7))] == "pas : c’est"
    with pytest.raises(Exception, match="words 4-30 are not in this segment .it has 12 words"):
        spans.word_span(HELENE_4, 4, 30)


@pytest.mark.parametrize("value, expected", [
    ("4-9", (4, 9)), ("4–9", (4, 9)), ("4..9", (4, 9)), (" 7 ", (7, 7)), ("9-4", (4, 9)),
    ("4-", None), ("quatre", None),
])
def test_parse_range(value, expected):
    assert spans.parse_range(value) == expected


def test_find_words_as_a_french_reader_expects():
    hits = lambda t, q: [t[h.start:h.end] for h in spans.find_words(t, q)]  # noqa: E731
    assert hits(HELENE_4, "MEPRIS PUR") == ["mépris pur"]      # case and accents aside
    assert hits(HELENE_4, "c'est du") == ["c’est du"]          # ' and ’ are one apostrophe
    assert hits(HELENE_4, "du mépris") == ["du mépris", "du mépris"]  # ask which
    assert hits("Les guichets ferment.", "guichet") == ["guichets"]   # widened to the word
    assert hits("Au guichet, les guichets.", "guichet") == ["guichet"]  # whole word first
    assert hits("Il a dit à tous", "a") == ["a"]              # the accent as typed wins
    assert hits("Il va à la gare", "a") == ["à"]              # ... else any accent
    assert hits("la file\nd’attente", "file d'attente") == ["file\nd’attente"]
    assert hits("réforme de l’État", "etat") == ["État"]       # after an apostrophe
    assert hits(HELENE_4, "zzz") == []


@pytest.mark.parametrize("answer, code, selection", [
    ("mépris", "mépris", Selection()),
    ("3 10-12", "3", Selection(words=(10, 12))),
    ("mépris 11", "mépris", Selection(words=(11, 11))),
    ('mépris "du mépris pur"', "mépris", Selection(text="du mépris pur")),
    ("mépris « mépris pur »", "mépris", Selection(text="mépris pur")),
    ("mépris --match du mépris pur", "mépris", Selection(text="du mépris pur")),
    ('mépris --match "pur"', "mépris", Selection(text="pur")),
    ("phase 2", "phase 2", Selection()),      # a code's whole name beats a range
    ("phase 2 3-4", "phase 2", Selection(words=(3, 4))),
])
def test_split_answer(answer, code, selection):
    items = [CodeItem(1, "mépris", 0, 1, None), CodeItem(2, "phase 2", 0, 2, None)]
    assert split_answer(answer, items) == (code, selection)


# ---------------------------------------------------------------- the property
TOKENS = st.sampled_from([
    "le", "guichet", "l’État", "s'énervent", "peut-être", "«", "»", ":", "—", ",", ".", "…",
    "25", "Œuvre", "ÇA", "(rires)", "« Bonjour »", "dit-il,", "x",
])
SEPARATORS = st.sampled_from([" ", "  ", "\n", " \u00a0", "\t", ""])


@st.composite
def segment_texts(draw):
    parts = draw(st.lists(st.tuples(TOKENS, SEPARATORS), min_size=1, max_size=25))
    return "".join(token + sep for token, sep in parts)


def test_a_word_range_stores_exactly_the_selected_words(db, corpus):
    """For any segment text and any range of its words, the coding stored by the session
    spans the selected words as they are written in the source, from the first to the last."""
    from qualcode.coding.interactive import CodingModel
    from qualcode.corpus.documents import SegmentIn, add_document
    from qualcode.models import Coding, Document

    counter = iter(range(10**6))

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text=segment_texts(), data=st.data())
    def check(text, data):
        found = spans.words(text)
        if not found:
            return
        first = data.draw(st.integers(1, len(found)))
        last = data.draw(st.integers(first, len(found)))
        name = f"prop_{next(counter)}.txt"
        label = "Hélène : "  # the segment starts after the label: offsets are shifted
        with db.session(write=True) as s:
            add_document(s, name=name, text=label + text, kind="interview",
                         segments=[SegmentIn(len(label), len(label) + len(text), "Hélène",
                                             False)])
        model = CodingModel(db, document=name, coder="testeur")
        state = model.state()
        span = model.occurrences(state, Selection(words=(first, last)))[0]
        mepris = next(c for c in model.codes if c.name == "mépris")
        assert model.apply(mepris, span) or span == (0, len(text))
        with db.session() as s:
            doc = s.scalar(select(Document).where(Document.name == name))
            coding = s.scalars(select(Coding).where(Coding.document_id == doc.id)).one()
            stored = doc.text[coding.start:coding.end]
        selected = found[first - 1:last]
        assert stored == text[selected[0].start:selected[-1].end]
        assert stored.startswith(selected[0].text) and stored.endswith(selected[-1].text)
        assert [w.text for w in spans.words(stored)] == [w.text for w in selected]

    check()


# ---------------------------------------------------------------- the session
def test_code_words_by_number(cli, db, corpus):
    out = cli.ok("code", f"{E}:4", input="w\nc mépris 10-12\nq\n").stdout
    assert "La₁ direction₂ ne₃ nous₄ écoute₅ pas₆ : c’est₇ du₈ mépris₉, du₁₀ mépris₁₁ pur₁₂." \
        in out
    assert "Applied mépris to «du mépris pur»." in out
    assert "codes: mépris («du mépris pur»)" in out
    s4, _e4, text = seg_span(db, E, 4)
    assert text == HELENE_4
    assert codings(db) == [(E, s4 + 51, s4 + 64, "mépris", "testeur", "manual")]
    history = cli.json("history")
    assert history[0]["summary"] == "apply mépris to entretien_01.txt:4 [51:64] (testeur)"


def test_code_words_by_their_text(cli, db, corpus):
    script = "\n".join([
        'm mépris "MEPRIS PUR"',            # one line: m CODE "words"
        "c", 'discrédit --match "c\'est"',  # c, then the code and the words on the prompt
        'c 4 "du mépris"', "2",              # twice in the segment: asked which
        'c 4 « du mépris »', "",             # Enter cancels
        "q"]) + "\n"
    out = cli.ok("code", f"{E}:4", input=script).stdout
    assert "Applied mépris to «mépris pur»." in out
    assert "Applied discrédit to «c’est»." in out
    assert ("«du mépris» occurs 2 times:\n  1: …écoute pas : c’est [du mépris], du mépris pur."
            "\n  2: …: c’est du mépris, [du mépris] pur.\n") in out
    assert "Applied indifférence to «du mépris»." in out
    assert "No code applied." in out
    s4, _e, _t = seg_span(db, E, 4)
    assert codings(db) == [(E, s4 + 34, s4 + 39, "discrédit", "testeur", "manual"),
                           (E, s4 + 51, s4 + 60, "indifférence", "testeur", "manual"),
                           (E, s4 + 54, s4 + 64, "mépris", "testeur", "manual")]


def test_span_refusals_keep_the_session_going(cli, db, corpus):
    script = "\n".join(['c mépris "zzz"', "c mépris 4-30", 'c "pur"', "m mépris", "u",
                        "c mépris 12", "u", "q"]) + "\n"
    out = cli.ok("code", f"{E}:4", input=script).stdout
    assert "'zzz' does not occur in this segment (case, accents and apostrophes do not " \
        "matter" in out
    assert "words 4-30 are not in this segment (it has 12 words) (press w to show the word " \
        "numbers" in out
    assert "name the code before the words" in out
    assert 'm CODE "words" codes those words; m alone writes a memo.' in out
    assert "Nothing to undo in this session." in out
    assert "Applied mépris to «pur»." in out
    assert "Undone: apply mépris to entretien_01.txt:4 [61:64] (testeur)" in out
    assert codings(db) == []


def test_a_span_and_the_whole_segment_are_two_codings(cli, db, corpus):
    out = cli.ok("code", f"{E}:4", input="c mépris 1-12\nc mépris 12\nc mépris 12\nq\n").stdout
    s4, e4, _t = seg_span(db, E, 4)
    # words 1-12 leave out the final full stop: a span, not the whole segment
    assert "mépris is already on this segment with this span." in out
    assert codings(db) == [(E, s4, e4 - 1, "mépris", "testeur", "manual"),
                           (E, s4 + 61, s4 + 64, "mépris", "testeur", "manual")]


# ---------------------------------------------------------------- interviewer turns
def test_interviewer_turns_are_skipped_by_default(cli, db, corpus):
    out = cli.ok("code", E, input="n\nn\nn\nq\n").stdout
    assert "2 interviewer turns skipped (--include-interviewer shows them)." in out
    assert "segment 2/5 (1 of 3 to code)\nHélène" in out
    assert "segment 4/5 (2 of 3 to code)" in out
    assert "segment 5/5 (3 of 3 to code)" in out
    assert "(interviewer)" not in out and "Comment se passe" not in out
    assert "Last segment (p: previous, q: quit)." in out
    shown = cli.ok("code", E, "--include-interviewer", input="q\n").stdout
    assert "segment 1/5\nE (interviewer)\nComment se passe" in shown
    assert "skipped" not in shown


def test_an_interviewer_turn_asked_for_is_shown(cli, corpus):
    out = cli.ok("code", f"{E}:3", input="n\nq\n").stdout
    assert "segment 3/5 (2 of 4 to code)\nE (interviewer)\nEt votre hiérarchie" in out
    assert "segment 4/5 (3 of 4 to code)" in out
    assert "1 interviewer turn skipped" in out


def test_a_document_of_interviewer_turns_only(cli, make_doc, corpus):
    make_doc("questions.txt", [("E", "Première question ?"), ("Enquêtrice", "Et ensuite ?")])
    result = cli("code", "questions.txt", input="q\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: document 'questions.txt' has only interviewer turns (add "
        "--include-interviewer to code them)"]
    assert "segment 1/2" in cli.ok("code", "questions.txt", "--include-interviewer",
                                   input="q\n").stdout


# ---------------------------------------------------------------- memos and evidence
def test_memos_of_the_document_and_the_segment_are_shown(cli, corpus):
    cli.ok("memo", "add", f"doc:{E}", "Entretien tendu, au guichet.")
    cli.ok("memo", "add", f"segment:{E}:4", "Formule répétée.", "--title", "Mépris")
    out = cli.ok("code", E, input="n\nd\nq\n").stdout
    assert out.count(f"memos on {E}\n  Entretien tendu, au guichet. (testeur, 20") == 2
    assert "du mépris pur.\ncodes: none\nmemo Mépris: Formule répétée. (testeur, 20" in out
    empty = cli.ok("code", "notes_01.txt", input="d\nq\n").stdout
    assert 'No memo on notes_01.txt (qualcode memo add doc:notes_01.txt "...").' in empty


def _evidence_corpus(db, ids):
    s2, _e2, text2 = seg_span(db, E, 2)
    at = text2.index("attendent")
    with db.session(write=True) as s:
        seg2 = s.scalar(select(Segment.id).where(Segment.n == 2, Segment.document_id == 1))
        s.add(Suggestion(segment_id=seg2, code_id=ids["attente"], score=0.82, evidence={
            "matches": [
                {"text": "attendent", "keyword": "attendre", "start": s2 + at,
                 "end": s2 + at + len("attendent"), "negated": False},
                {"text": "guichet", "keyword": "guichet", "negated": False}],
            "nearest": {"segment": "notes_01.txt:1", "shared": ["heures"]}}))
        s.add(Suggestion(segment_id=seg2, code_id=ids["indifférence"], score=0.31,
                         evidence={"matches": [{"text": "contre nous", "keyword": "contre",
                                                "negated": True}]}))
    return text2


def test_suggestion_evidence_is_listed(cli, db, corpus):
    _evidence_corpus(db, corpus)
    out = " ".join(cli.ok("code", E, input="q\n").stdout.split())  # lines as rich wraps them
    assert ("suggestion 1: attente 0.82 (words: «attendent» (attendre), «guichet»; like "
            "notes_01.txt:1 sharing «heures»)") in out
    assert "suggestion 2: indifférence 0.31 (words: «contre nous» (contre, negated))" in out


def test_suggestion_evidence_is_highlighted_in_the_text(db, corpus):
    from qualcode.cli.code_session import EVIDENCE_STYLE, segment_text
    from qualcode.coding.interactive import CodingModel

    text2 = _evidence_corpus(db, corpus)
    state = CodingModel(db, document=E, coder="testeur").state()
    assert state.text == text2
    rendered = segment_text(state)
    marked = sorted((sp.start, sp.end, text2[sp.start:sp.end], str(sp.style))
                    for sp in rendered.spans)
    # attente's colour (#1f77b4) on its words; indifférence has no colour: magenta
    assert marked == [
        (text2.index("attendent"), text2.index("attendent") + 9, "attendent",
         f"{EVIDENCE_STYLE} #1f77b4"),
        (text2.index("heures"), text2.index("heures") + 6, "heures", f"{EVIDENCE_STYLE} #1f77b4"),
        (text2.index("guichet"), text2.index("guichet") + 7, "guichet",
         f"{EVIDENCE_STYLE} #1f77b4"),
        (text2.index("contre nous"), text2.index("contre nous") + 11, "contre nous",
         f"{EVIDENCE_STYLE} magenta"),
    ]
    # word numbers keep the highlight on the words
    numbered = segment_text(state, numbered=True)
    assert numbered.plain.startswith("Les₁ usagers₂ attendent₃ des₄ heures₅")
    assert any(numbered.plain[sp.start:sp.end] == "attendent" for sp in numbered.spans)
