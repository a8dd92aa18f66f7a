"""Suggestion engine: lemma matching, negation, evidence offsets, storage rules, learning,
the analysis cache, the evaluation arithmetic and the `suggest --json` contract."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from qualcode.codebook.lookup import code_key
from qualcode.models import Code, Coder, Coding, Document, Segment, Suggestion
from qualcode.suggest import analysis_cache, pipeline
from qualcode.suggest import keywords as kwmod
from qualcode.suggest.analysis_cache import fast_fold
from qualcode.suggest.evaluate import metrics, prf
from qualcode.suggest.service import suggest
from qualcode.textutil import fold


@pytest.fixture(scope="session")
def nlp():
    """The one spaCy pipeline of the test session (get_nlp is cached per process)."""
    return pipeline.get_nlp()


def add_code(db, name, keywords, *, parent=None, description="", examples=()):
    with db.session(write=True) as s:
        parent_id = None
        if parent:
            parent_id = s.scalar(select(Code.id).where(Code.name == parent))
        code = Code(name=name, norm_name=code_key(name), keywords=list(keywords),
                    description=description, examples=list(examples), parent_id=parent_id)
        s.add(code)
        s.flush()
        return code.id


def run(db, **kw):
    """Suggest with a low threshold: these tests check matching and storage, not the
    calibration (one keyword alone scores about 0.27; see `suggest --evaluate`)."""
    kw.setdefault("min_score", 0.2)
    stats = {}
    with db.session(write=True) as s:
        rows = suggest(s, stats=stats, **kw)
    return rows, stats


def by_segment(rows, code):
    return {r["segment"]: r for r in rows if r["code"] == code}


def test_keyword_matches_inflected_forms_with_document_offsets(nlp, db, make_doc):
    add_code(db, "déqualification", ["déqualifier"])
    make_doc("notes", [(None, "Au fond, on nous a déqualifiés."),
                       (None, "Je me sens déqualifiée depuis la réforme."),
                       (None, "Les agents déqualifiés partent."),
                       (None, "Il pleut sur le parking.")], kind="observation")
    rows, _ = run(db)
    got = by_segment(rows, "déqualification")
    assert sorted(got) == [1, 2, 3]
    first = got[1]["evidence"]["matches"]
    # "Au fond, on nous a " is 19 characters: the word starts at 19 in the document.
    assert [{k: m[k] for k in ("text", "start", "end", "keyword", "negated")}
            for m in first] == [{"text": "déqualifiés", "start": 19, "end": 30,
                                 "keyword": "déqualifier", "negated": False}]
    # matched in 3 of 4 segments, counted as 3 of 4 + 20 (a tiny corpus says little)
    assert first[0]["share"] == 0.125 and first[0]["decisions"] == 0
    # Second turn starts after the first (31 chars) and the blank line: 33; "Je me sens " = 11.
    assert got[2]["evidence"]["matches"][0]["start"] == 44
    assert got[2]["evidence"]["matches"][0]["text"] == "déqualifiée"


def test_participle_keyword_matches_the_verb_and_nouns_get_no_carrier(nlp, db, make_doc):
    """A keyword written as a participle (`déclassés`) is lemmatised in a carrier sentence
    too, so every form of the verb matches; a noun or an infinitive needs no carrier."""
    def carriers(keyword):
        return kwmod.carrier_texts(keyword, next(analysis_cache.analyse_texts([keyword])))

    assert carriers("déclassés") == ["On nous a déclassés hier."]
    assert carriers("mal vu") and carriers("compte rendu") and carriers("mis de côté")
    for keyword in ("déqualifier", "usine", "tableau de bord", "statistique", "cadence"):
        assert carriers(keyword) == [], keyword
    add_code(db, "déclassement", ["déclassés"])
    make_doc("notes", [(None, "Elle s’est sentie déclassée après la fusion."),
                       (None, "On finit par déclasser tout le monde."),
                       (None, "Il pleut sur le parking.")], kind="observation")
    rows, _ = run(db)
    got = by_segment(rows, "déclassement")
    assert sorted(got) == [1, 2]
    assert got[1]["evidence"]["matches"][0]["text"] == "déclassée"


def test_expression_matches_content_words_in_order_with_short_gaps(nlp, db, make_doc):
    add_code(db, "désenchantement", ["perdre le sens"])
    make_doc("e", [(None, "Avec les nouvelles règles, on a perdu tout le sens du métier."),
                   (None, "Le sens perdu du métier revient souvent."),
                   (None, "J’ai perdu mes clés, et le bus avait un autre sens.")],
             kind="observation")
    rows, _ = run(db)
    got = by_segment(rows, "désenchantement")
    assert sorted(got) == [1]  # in order, within three tokens and one sentence only
    assert got[1]["evidence"]["matches"][0]["text"] == "perdu tout le sens"


def test_negated_match_is_flagged_and_keeps_its_weight(nlp, db, make_doc):
    """A code of loss is often said with a negation: the negated match still counts (a
    little less until decisions say how far this code's negations hold) and is flagged."""
    add_code(db, "déqualification", ["déqualifier"])
    make_doc("e", [(None, "Moi, je ne suis pas déqualifiée, je fais tout le dossier."),
                   (None, "Eux, ils nous ont déqualifiés.")], kind="observation")
    rows, _ = run(db, min_score=0.0)
    got = by_segment(rows, "déqualification")
    neg, pos = got[1]["evidence"], got[2]["evidence"]
    assert neg["matches"][0]["negated"] is True
    assert pos["matches"][0]["negated"] is False
    assert got[2]["score"] > got[1]["score"] > 0.8 * got[2]["score"]
    assert neg["negation_holds"] == pytest.approx(0.9)


def test_suggestions_never_create_codings_and_skip_coded_segments(nlp, db, make_doc):
    cid = add_code(db, "déqualification", ["déqualifier", "compétence"])
    doc_id = make_doc("e", [("Sophie", "On nous a déqualifiés, franchement."),
                            ("E", "Vous diriez qu’on vous a déqualifiés ?"),
                            ("Sophie", "Mes compétences ne servent plus, on nous a déqualifiés.")])
    with db.session(write=True) as s:
        seg3 = s.scalar(select(Segment).where(Segment.n == 3))
        coder = Coder(name="ana")
        s.add(coder)
        s.flush()
        s.add(Coding(code_id=cid, document_id=doc_id, segment_id=seg3.id, start=seg3.start,
                     end=seg3.end, coder_id=coder.id))
    rows, _ = run(db)
    with db.session() as s:
        assert s.scalar(select(func.count(Coding.id))) == 1
        assert s.scalar(select(func.count(Suggestion.id))) == 1
    # segment 2 is the interviewer's, segment 3 is already coded
    assert [(r["segment"], r["code"]) for r in rows] == [(1, "déqualification")]
    rows, _ = run(db, include_interviewer=True)
    assert sorted(r["segment"] for r in rows) == [1, 2]


def test_rerun_keeps_decisions_and_refreshes_pending(nlp, db, make_doc):
    add_code(db, "chiffre", ["indicateur", "statistique"])
    make_doc("e", [(None, "Les indicateurs, toujours les indicateurs."),
                   (None, "La statistique du mois est tombée.")], kind="observation")
    run(db)
    with db.session(write=True) as s:
        first = s.scalar(select(Suggestion).join(Segment).where(Segment.n == 1))
        first.status = "rejected"
        s.add(first)
        second = s.scalar(select(Suggestion).join(Segment).where(Segment.n == 2))
        second.score = 0.01  # a stale pending score is recomputed
        s.add(second)
    run(db)
    with db.session() as s:
        statuses = dict(s.execute(select(Segment.n, Suggestion.status)
                                  .join(Segment, Segment.id == Suggestion.segment_id)).all())
        score2 = s.scalar(select(Suggestion.score).join(Segment).where(Segment.n == 2))
    assert statuses == {1: "rejected", 2: "pending"}
    assert score2 >= 0.2


def test_learning_moves_scores_after_decisions(nlp, db, make_doc):
    """Rejected suggestions about receipts and accepted ones about the queue teach the engine
    which uses of the keyword `ticket` the coder means."""
    add_code(db, "travail à la chaîne", ["ticket"])
    add_code(db, "autre", ["parking"])
    turns = []
    for i in range(6):
        turns.append((None, f"Le ticket {i} sort de la borne, la file avance, le flux ne "
                            "s’arrête jamais, on enchaîne."))
        turns.append((None, f"Le ticket de caisse numéro {i} est agrafé au remboursement "
                            "de pharmacie."))
    make_doc("train", turns, kind="observation")
    make_doc("test", [(None, "Encore un ticket, la file avance, le flux continue."),
                      (None, "Un ticket de caisse agrafé à la feuille de pharmacie.")],
             kind="observation")
    rows, _ = run(db, min_score=0.0)
    before = {(r["document"], r["segment"]): r["score"] for r in rows
              if r["code"] == "travail à la chaîne"}
    # `ticket` is in every segment: alone it needs corroboration, whatever its context
    assert before[("test", 1)] == pytest.approx(before[("test", 2)], abs=0.15)
    assert before[("test", 1)] < 0.3
    with db.session(write=True) as s:
        coder = Coder(name="ana")
        s.add(coder)
        s.flush()
        for sug, seg in s.execute(select(Suggestion, Segment).join(
                Segment, Segment.id == Suggestion.segment_id).where(Segment.document_id == 1)):
            if seg.n % 2 == 1:  # the queue's tickets: accept
                s.add(Coding(code_id=sug.code_id, document_id=seg.document_id,
                             segment_id=seg.id, start=seg.start, end=seg.end,
                             coder_id=coder.id, origin="suggestion"))
                sug.status = "accepted"
            else:
                sug.status = "rejected"
            s.add(sug)
    rows, _ = run(db, min_score=0.0, documents=["test"])
    after = {r["segment"]: r["score"] for r in rows if r["code"] == "travail à la chaîne"}
    # half the tickets were accepted: the keyword is worth more than its prior said, and
    # the accepted look-alikes lift the queue's ticket while the rejected ones hold the
    # receipt's ticket under the decision threshold
    assert after[1] > 0.5 > after[2]
    assert after[1] - after[2] > 0.4
    # one coded document teaches through the example pool: the accepted turns are the
    # nearest examples, with the words they share
    ev = by_segment(rows, "travail à la chaîne")[1]["evidence"]
    assert ev["contributions"]["examples"] > 0
    assert ev["nearest"]["segment"].startswith("train:")
    assert {"file", "avance", "flux"} <= set(ev["nearest"]["shared"])


def test_second_run_reads_the_cache_and_parses_nothing(nlp, db, make_doc, monkeypatch):
    add_code(db, "chiffre", ["indicateur"], description="Le travail jugé par des chiffres.",
             examples=["Le tableau de bord du chef."])
    make_doc("e", [(None, "Les indicateurs du mois."), (None, "Un autre paragraphe.")],
             kind="observation")
    calls = []  # (function, number of texts)
    real_pipe = pipeline.pipe

    def counting(real, name):
        def call(texts, **kw):
            texts = list(texts)
            calls.append((name, len(texts)))
            return real(texts, **kw)
        return call

    monkeypatch.setattr(pipeline, "pipe", counting(real_pipe, "pipe"))
    _rows, first = run(db)
    # segments, the code's name, keywords, definition and examples are lemmatised
    assert first["parsed"] > 0 and sum(n for _f, n in calls) == first["parsed"]
    calls.clear()
    # a codebook edit (new description) reparses only the new text, never the corpus
    with db.session(write=True) as s:
        code = s.scalar(select(Code))
        code.description = "Objectifs, statistiques et indicateurs."
        s.add(code)
    _rows, second = run(db)
    assert calls == [("pipe", 1)] and second["parsed"] == 1
    calls.clear()
    # a new keyword: the keyword alone, nothing else
    with db.session(write=True) as s:
        code = s.scalar(select(Code))
        code.keywords = [*code.keywords, "tableau de bord"]
        s.add(code)
    _rows, third = run(db)
    assert calls == [("pipe", 1)] and third["parsed"] == 1
    calls.clear()
    # a keyword that may be a participle: alone, then in its carrier sentence
    with db.session(write=True) as s:
        code = s.scalar(select(Code))
        code.keywords = [*code.keywords, "déclassés"]
        s.add(code)
    _rows, third = run(db)
    assert calls == [("pipe", 1), ("pipe", 1)] and third["parsed"] == 2
    calls.clear()
    _rows, fourth = run(db)
    assert calls == [] and fourth["parsed"] == 0 and fourth["cached"] > 0


def test_analysis_round_trips_through_bytes(nlp):
    a = next(analysis_cache.analyse_texts(["Je ne sais plus à quoi je sers, voilà."]))
    b = analysis_cache.from_bytes(analysis_cache.to_bytes(a))
    assert b.lemmas == a.lemmas and b.forms == a.forms
    assert (b.starts == a.starts).all() and (b.ends == a.ends).all()
    assert (b.flags == a.flags).all() and (b.vector == a.vector).all()
    assert b.vector.dtype.name == "float32"
    assert a.lemmas[a.forms.index("sers")] == "servir"
    assert a.flags[a.forms.index("ne")] & analysis_cache.NEG_NE


def test_fast_lemmatizer_gives_the_same_lemmas(nlp):
    """The set-based lookup tables give the lemmas of the original list-based ones."""
    words = ["déqualifiés", "déqualifiée", "réorganisations", "guichetières",
             "bureaucratisées", "rechronométrés", "polyvalentes", "dématérialisait",
             "ressaisissions", "écœurées", "désinvestis", "tamponnerions", "orientâmes",
             "infantilisées", "recadrait"]
    sentences = [f"Elles se disaient {w} et nous {w} aussi, malgré les {w}." for w in words]
    sentences += ["Les agents enchaînaient les tickets, les usagers patientaient, "
                  "les chefs recadraient les guichetières fatiguées."] * 3
    lem = nlp.get_pipe("lemmatizer")
    index = lem.lookups.get_table("lemma_index")
    fast = {k: index[k] for k in list(index.keys())}
    try:
        for k, v in fast.items():
            index[k] = sorted(v)  # lists again, as shipped
        lem.cache.clear()
        slow_lemmas = [[t.lemma_ for t in d] for d in nlp.pipe(sentences)]
    finally:
        for k, v in fast.items():
            index[k] = v
        lem.cache.clear()
    fast_lemmas = [[t.lemma_ for t in d] for d in nlp.pipe(sentences)]
    assert sum(len(x) for x in fast_lemmas) > 200
    assert fast_lemmas == slow_lemmas
    assert all(isinstance(v, frozenset) for v in fast.values())


def test_prf_and_metrics_by_hand():
    assert prf(3, 1, 2) == {"precision": 0.75, "recall": 0.6, "f1": 0.6667,
                            "tp": 3, "fp": 1, "fn": 2}
    assert prf(0, 0, 0)["f1"] == 0.0
    codes = {1: "A", 2: "B"}
    gold = {10: {1}, 11: {1, 2}, 12: set(), 13: {2}}
    pred = {10: {1}, 11: {2}, 12: {1}, 13: set()}
    m = metrics(gold, pred, codes)
    # A: tp=1 (10), fp=1 (12), fn=1 (11) -> P=R=F1=0.5
    assert m["codes"]["A"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5,
                               "tp": 1, "fp": 1, "fn": 1}
    # B: tp=1 (11), fp=0, fn=1 (13) -> P=1, R=0.5, F1=2/3
    assert m["codes"]["B"]["f1"] == 0.6667
    # micro: tp=2 fp=1 fn=2 -> P=2/3, R=1/2, F1=4/7
    assert m["micro"]["f1"] == round(4 / 7, 4)
    assert m["macro_f1"] == round((0.5 + 2 / 3) / 2, 4)


def test_suggest_json_contract_and_summary(nlp, cli, db, make_doc):
    add_code(db, "déqualification", ["déqualifier"])
    make_doc("e", [(None, "On nous a déqualifiés."), (None, "Rien à signaler.")],
             kind="observation")
    with db.session() as s:
        before = s.scalar(select(func.count(Coding.id)))
    data = cli.json("suggest", "--min-score", "0.2")
    assert [{k: r[k] for k in ("document", "segment", "code")} for r in data] == [
        {"document": "e", "segment": 1, "code": "déqualification"}]
    assert set(data[0]) == {"document", "segment", "code", "score", "evidence"}
    ev = data[0]["evidence"]
    assert ev["scorer"] == "qualcode.rank.v1"
    assert ev["scorers"]["keywords"] == "qualcode.keywords.v4"
    assert ev["scorers"]["reliability"] == "qualcode.reliability.v1"
    assert ev["scorers"]["examples"] == "qualcode.examples.v1"
    assert set(ev["contributions"]) == {"base", "keywords", "similarity", "examples"}
    assert sum(ev["contributions"].values()) == pytest.approx(data[0]["score"], abs=1e-3)
    assert ev["calibrated"] is False
    (match,) = ev["matches"]
    assert match["keyword"] == "déqualifier" and match["reliability"] > 0.5
    assert match["from_name"] is False
    assert 0.2 <= data[0]["score"] <= 1
    human = cli.ok("suggest", "--min-score", "0.9")
    assert "0 suggestions" in human.stderr
    with db.session() as s:
        assert s.scalar(select(func.count(Coding.id))) == before


def test_suggest_rejects_bad_min_score_and_unknown_code(nlp, cli, db, make_doc):
    add_code(db, "déqualification", ["déqualifier"])
    make_doc("e", [(None, "On nous a déqualifiés.")], kind="observation")
    # out of range is a usage error (exit 2, like any bad option), not a failure (exit 1)
    for value in ("2", "-0.5"):
        bad = cli("suggest", "--min-score", value)
        assert bad.exit_code == 2 and "--min-score" in bad.stderr, value
    unknown = cli("suggest", "--code", "absent")
    assert unknown.exit_code == 1 and "unknown code" in unknown.stderr


def test_evaluate_against_a_coder(nlp, cli, db, make_doc):
    a = add_code(db, "chiffre", ["indicateur"])
    add_code(db, "usine", ["cadence"])
    docs = []
    for name in ("d1", "d2"):
        docs.append(make_doc(name, [(None, "Les indicateurs du mois sont mauvais."),
                                    (None, "La cadence est infernale."),
                                    (None, "On déjeune ensemble à midi.")],
                             kind="observation"))
    with db.session(write=True) as s:
        coder = Coder(name="ana")
        s.add(coder)
        s.flush()
        for doc_id in docs:
            seg = s.scalar(select(Segment).where(Segment.document_id == doc_id,
                                                 Segment.n == 1))
            s.add(Coding(code_id=a, document_id=doc_id, segment_id=seg.id, start=seg.start,
                         end=seg.end, coder_id=coder.id))
    report = cli.json("suggest", "--evaluate", "--min-score", "0.2")
    # gold: d1:1 and d2:1 are `chiffre`; both cadence turns are predicted `usine` (2 FP)
    assert report["coder"] == "ana" and report["segments"] == 6
    assert report["codebook"]["codes"]["chiffre"]["f1"] == 1.0
    assert report["codebook"]["codes"]["usine"]["fp"] == 2
    assert report["codebook"]["micro"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667,
                                           "tp": 2, "fp": 2, "fn": 0}
    # the plain keyword lookup, measured in the same run, makes the same calls here
    assert report["keyword_lookup"]["micro"]["f1"] == 0.6667
    assert report["learned"] is not None and report["one_document"]["runs"] == 2
    assert report["codebook"]["ranking"]["queue"] == 4
    out = cli.ok("suggest", "--evaluate").stdout
    assert "micro" in out and "keyword lookup" in out


@given(st.text(alphabet=st.sampled_from(list("aeéèêàçîôùüœ’ABÉÈÀÇÎŒ-İßǅ ")) | st.characters(),
               max_size=12))
def test_fast_fold_is_textutil_fold_with_one_apostrophe(text):
    """Offsets stay valid (same length) and matching is case/accent-insensitive."""
    assert fast_fold(text) == fold(text).replace("\u2019", "'")
    assert len(fast_fold(text)) == len(text)


def test_example_margins_by_hand():
    """cos of lemma sets = shared / sqrt(|a|·|b|); margin = nearest positive - nearest
    negative; a segment is never its own example."""
    from qualcode.suggest.examples import Entry, ExamplePool

    pool = ExamplePool([
        Entry("codebook", "", frozenset({"ticket", "file", "flux", "usine"}),
              frozenset({1}), frozenset({2})),
        Entry("codebook", "", frozenset({"chiffre", "indicateur"}), frozenset({2}),
              frozenset({1})),
        Entry("d:3", "", frozenset({"ticket", "chiffre", "tableau", "mur"}), frozenset({2}),
              frozenset(), segment_id=3),
    ], [1, 2])
    cos = pool.cosines([{"ticket", "file", "indicateur", "chef"}, {"ticket", "chiffre",
                                                                   "tableau", "mur"}],
                       [7, 3])
    # segment 7: 2 shared of 4x4 -> 0.5; 1 of 4x2 -> 1/sqrt(8); 1 of 4x4 -> 0.25
    assert cos[0].tolist() == pytest.approx([0.5, 1 / 8 ** 0.5, 0.25])
    # segment 3 is entry 3 itself: that cosine is 0, not 1
    assert cos[1].tolist() == pytest.approx([0.25, 1 / 8 ** 0.5, 0.0])
    margin, nearest = pool.margins(cos)
    assert margin[0].tolist() == pytest.approx([0.5 - 1 / 8 ** 0.5, 1 / 8 ** 0.5 - 0.5])
    assert nearest[0].tolist() == [0, 1]
    assert nearest[1].tolist() == [0, 1]
    # a code without positives keeps the negative side (a rejected look-alike lowers it)
    only_neg = ExamplePool([Entry("d:1", "", frozenset({"a", "b"}), frozenset(),
                                  frozenset({5}), segment_id=1)], [5])
    m, n = only_neg.margins(only_neg.cosines([{"a", "b"}]))
    assert m.tolist() == [[pytest.approx(-1.0)]] and n.tolist() == [[-1]]


def test_evaluation_never_sees_the_test_documents_codings(nlp, db, make_doc):
    """Leave-out for real: predictions on a document are identical whatever its own codings
    are, while the same codings do change what is learned when that document trains."""
    import numpy as np

    from qualcode.suggest import evaluate

    chaine = add_code(db, "travail à la chaîne", ["cadence"],
                      examples=["Les tickets défilent à la cadence de l’usine."])
    aide = add_code(db, "entraide", ["relais"],
                    examples=["Ma collègue prend le relais quand je craque."])
    texts = [(None, "La cadence ne baisse jamais, les tickets défilent, la file avance."),
             (None, "Une collègue prend le relais et me laisse souffler un moment."),
             (None, "On parle du parking, de la cantine et des vacances d’été."),
             (None, "La file avance, le flux continue, on enchaîne sans lever la tête.")]
    docs = [make_doc(name, texts, kind="observation") for name in ("a", "b", "c")]

    def code_all(doc_id, code_of):
        with db.session(write=True) as s:
            coder = s.scalar(select(Coder).where(Coder.name == "ana"))
            if coder is None:
                coder = Coder(name="ana")
                s.add(coder)
                s.flush()
            for old in s.scalars(select(Coding).where(Coding.document_id == doc_id)):
                s.delete(old)
            for seg in s.scalars(select(Segment).where(Segment.document_id == doc_id)):
                s.add(Coding(code_id=code_of(seg.n), document_id=doc_id, segment_id=seg.id,
                             start=seg.start, end=seg.end, coder_id=coder.id))

    def truthful(n):
        return chaine if n in (1, 4) else aide

    def contrary(n):
        return aide if n in (1, 4) else chaine

    def snapshot():
        with db.session() as s:
            data = evaluate.eval_data(s, coder="ana")
            test_c = data.by_doc[docs[2]]
            scores_on_c = [evaluate.scores(data, evaluate.trained_on(data, train), test_c)
                           for train in ([docs[0]], [docs[0], docs[1]])]
            a_sids = data.by_doc[docs[0]]
            from_c = evaluate.scores(data, evaluate.trained_on(data, [docs[2]]), a_sids)
            report = evaluate.evaluate_data(data)
        return report, scores_on_c, from_c

    for d in docs:
        code_all(d, truthful)
    report1, on_c1, from_c1 = snapshot()
    code_all(docs[2], contrary)  # only the test document's codings change
    report2, on_c2, from_c2 = snapshot()
    # the reference changed, so the figures move; what the engine predicts on c does not
    assert report1["learned"]["micro"] != report2["learned"]["micro"]
    for before, after in zip(on_c1, on_c2, strict=True):
        assert np.array_equal(before, after)  # not a single score moved
    # the same change is seen when document c trains: the test is not blind
    assert not np.allclose(from_c1, from_c2)


def test_suggest_help_says_which_coder_evaluate_uses(cli):
    """`--coder` only matters with --evaluate, whose default is the coder with most codings
    (not $QUALCODE_CODER)."""
    out = " ".join(cli.ok("suggest", "--help").stdout.split())
    assert "default: the coder with most codings" in out
    assert "QUALCODE_CODER" not in out


def test_a_run_without_interviewer_removes_pending_interviewer_suggestions(nlp, cli, db,
                                                                           make_doc):
    """`suggest --interviewer` then `suggest`: the pending suggestions on interviewer turns
    leave the queue (in the run's documents only), decided ones stay, and the run says how
    many it removed."""
    add_code(db, "déqualification", ["déqualifier"])
    make_doc("a", [("E", "On vous a déqualifiés, vous trouvez ?"),
                   ("Sophie", "Oui, on nous a déqualifiés."),
                   ("E", "Déqualifiés comment, concrètement ?"),
                   ("E", "Et vos collègues, déqualifiés aussi ?")])
    make_doc("b", [("E", "Vous vous sentez déqualifiée ?"),
                   ("Karim", "Pas moi, mais les autres sont déqualifiés.")])

    def pending_on(doc):
        with db.session() as s:
            return sorted(n for n, status, who in s.execute(
                select(Segment.n, Suggestion.status, Segment.is_interviewer)
                .join(Segment, Segment.id == Suggestion.segment_id)
                .join(Document, Document.id == Segment.document_id)
                .where(Document.name == doc)) if status == "pending" and who)

    cli.ok("suggest", "--interviewer", "--min-score", "0.2")
    assert pending_on("a") == [1, 3, 4] and pending_on("b") == [1]
    with db.session(write=True) as s:  # one interviewer suggestion of `a` was rejected
        sug = s.scalar(select(Suggestion).join(Segment).join(Document).where(
            Document.name == "a", Segment.n == 4))
        sug.status = "rejected"
    result = cli.ok("suggest", "a", "--min-score", "0.2")
    assert "Removed 2 pending suggestions on interviewer turns" in result.stderr
    assert pending_on("a") == [] and pending_on("b") == [1]  # b was not in this run
    with db.session() as s:
        assert s.scalar(select(func.count(Suggestion.id)).where(
            Suggestion.status == "rejected")) == 1
    result = cli.ok("suggest", "--min-score", "0.2")
    assert "Removed 1 pending suggestion on interviewer turns" in result.stderr
    assert pending_on("b") == []
    assert "interviewer turns" not in cli.ok("suggest", "--min-score", "0.2").stderr
