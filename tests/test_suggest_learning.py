"""What a researcher sees the engine learn and check, on small corpora written for the test:
one coded document changes the scores of another, a code's own name is evidence, the
codebook check warns before suggestions are weak, and keyword proposals go into the codebook
only when approved, with their provenance."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qualcode.codebook.lookup import code_key
from qualcode.models import Code, Coder, Coding, Memo, Segment
from qualcode.suggest import pipeline
from qualcode.suggest.lint import check_codebook
from qualcode.suggest.proposals import approve, propose, refuse
from qualcode.suggest.service import suggest


@pytest.fixture(scope="module")
def nlp():
    return pipeline.get_nlp()


def add_code(db, name, keywords, examples=(), description=""):
    with db.session(write=True) as s:
        code = Code(name=name, norm_name=code_key(name), keywords=list(keywords),
                    examples=list(examples), description=description)
        s.add(code)
        s.flush()
        return code.id


def code_segments(db, doc_id, code_id, ns, coder="ana"):
    with db.session(write=True) as s:
        who = s.scalar(select(Coder).where(Coder.name == coder))
        if who is None:
            who = Coder(name=coder)
            s.add(who)
            s.flush()
        for seg in s.scalars(select(Segment).where(Segment.document_id == doc_id,
                                                   Segment.n.in_(list(ns)))):
            s.add(Coding(code_id=code_id, document_id=doc_id, segment_id=seg.id,
                         start=seg.start, end=seg.end, coder_id=who.id))


def scores(db, doc, code):
    with db.session(write=True) as s:
        rows = suggest(s, documents=[doc], min_score=0.0)
    return {r["segment"]: r for r in rows if r["code"] == code}


TALK = [
    "Le dossier de madame est arrivé, je l’ai posé sur la pile.",
    "Je range le dossier dans l’armoire du bureau avant midi.",
    "On a discuté du dossier de la cantine avec les collègues.",
    "Le chef nous a humiliés devant tout le monde, au dossier près.",
    "Ce matin il pleuvait, on a pris un café avant d’ouvrir.",
    "Le dossier du parking est encore sur la table.",
]


def test_one_coded_document_teaches_the_next(nlp, db, make_doc):
    """In the first document the coder never took « dossier » as a sign of humiliation but
    coded the passage where someone was humiliated: in the second document the segment with
    « dossier » alone falls, the one with « humilier » rises."""
    code = add_code(db, "humiliation", ["dossier", "humilier"])
    filler = [(None, f"Pause de {i} minutes, on parle du temps qu’il fait.") for i in range(30)]
    first = make_doc("un", [(None, t) for t in TALK] + filler, kind="observation")
    make_doc("deux", [(None, "Encore un dossier à classer, rien de plus."),
                      (None, "On se fait humilier au guichet, voilà la vérité.")],
             kind="observation")
    before = scores(db, "deux", "humiliation")
    code_segments(db, first, code, [4])
    after = scores(db, "deux", "humiliation")
    assert after[1]["score"] < before[1]["score"] - 0.1
    assert after[2]["score"] > before[2]["score"]
    match = after[1]["evidence"]["matches"][0]
    # read up to the last coded segment: 4 segments with « dossier », one coded
    assert match["keyword"] == "dossier" and match["decisions"] == 4
    assert after[1]["evidence"]["learned_from"] == 4  # read up to the last coded segment


def test_the_code_name_is_evidence(nlp, db, make_doc):
    """« déqualifiés » is not among the keywords, but the code is named after it."""
    add_code(db, "agents déqualifiés", ["perdre la main"])
    add_code(db, "entraide", ["collègue"])
    make_doc("e", [(None, "Franchement, on se sent déqualifiés depuis la réforme."),
                   (None, "Il fait beau sur le parking ce matin.")], kind="observation")
    got = scores(db, "e", "agents déqualifiés")
    match = got[1]["evidence"]["matches"][0]
    assert match["from_name"] is True and match["keyword"] == "déqualifiés"
    assert got[1]["score"] >= 0.5 > got.get(2, {"score": 0})["score"]


def test_codebook_check_warns_before_suggestions_are_weak(nlp, cli, db, make_doc):
    add_code(db, "chiffre", ["dossier", "indicateur", "objectif", "tableau de bord"],
             examples=["Les poulpes chantent sous la mer violette."])
    add_code(db, "usine", ["cadence"])
    add_code(db, "silence", [])
    make_doc("e", [(None, f"Le dossier numéro {i} attend sur la pile.") for i in range(5)]
             + [(None, "La cadence est terrible, les indicateurs aussi.")], kind="observation")
    with db.session() as s:
        found = {(f.code, f.kind, f.keyword) for f in check_codebook(s)}
    assert ("chiffre", "common-keyword", "dossier") in found  # 5 of 6 segments
    assert ("chiffre", "unused-keyword", "tableau de bord") in found
    assert ("chiffre", "unused-keyword", "objectif") in found
    assert ("chiffre", "foreign-examples", None) in found
    assert ("usine", "few-keywords", None) in found
    assert ("silence", "no-evidence", None) in found
    assert ("chiffre", "name-unmatched", None) in found  # « chiffre » is never said
    assert ("usine", "unused-keyword", "cadence") not in found
    data = cli.json("codebook", "check")
    assert {d["kind"] for d in data} >= {"common-keyword", "unused-keyword", "few-keywords"}
    assert "warning" in cli.ok("codebook", "check").stdout


def test_keyword_proposals_need_approval_and_keep_their_provenance(nlp, cli, db, make_doc):
    code = add_code(db, "surcharge", ["débordé"])
    doc = make_doc("e", [
        ("Ana", "Avec la pénurie de personnel, on court toute la journée."),
        ("Ana", "Nous avons parlé des vacances et du jardin de Lucien."),
        ("Ana", "On mange debout, la pénurie de remplaçants dure depuis l’hiver."),
        ("Ana", "Le jardin de Lucien est superbe au printemps."),
        ("Ana", "Lucien passe nous voir le jeudi avec des gâteaux."),
        ("Ana", "La pénurie, encore elle, et les dossiers qui s’empilent."),
        ("Ana", "On a fêté l’anniversaire de Lucien à la cantine."),
    ])
    code_segments(db, doc, code, [1, 3, 6])
    with db.session() as s:
        found = propose(s)
    words = [p.keyword for p in found]
    assert "pénurie" in words
    assert "lucien" not in [w.casefold() for w in words]  # a name says who, not what
    best = next(p for p in found if p.keyword == "pénurie")
    assert (best.coded, best.others) == (3, 0) and best.segments[0] == "e:1"
    with db.session() as s:  # nothing changed by proposing
        assert s.scalar(select(Code.keywords).where(Code.id == code)) == ["débordé"]
    with db.session(write=True) as s:
        approve(s, best, coder="ana")
        others = [p for p in found if p.keyword != "pénurie"]
        for p in others:
            refuse(s, p.code, p.keyword)
    with db.session() as s:
        assert s.scalar(select(Code.keywords).where(Code.id == code)) == ["débordé",
                                                                         "pénurie"]
        memo = s.scalar(select(Memo).where(Memo.target_id == code))
        assert "pénurie" in memo.text and "e:1" in memo.text and "ana" in memo.text
        assert propose(s) == []  # approved and refused ones are not proposed again
    history = cli.ok("history").stdout
    assert "keyword pénurie added to surcharge" in " ".join(history.split())


def test_propose_cli_approves_with_one_key(nlp, cli, db, make_doc):
    code = add_code(db, "surcharge", ["débordé"])
    doc = make_doc("e", [("Ana", "La pénurie de personnel nous épuise."),
                         ("Ana", "On a mangé une crêpe au soleil."),
                         ("Ana", "Le chat dort sur le rebord de la fenêtre."),
                         ("Ana", "Encore la pénurie, on ne s’en sort pas."),
                         ("Ana", "Il a plu toute la nuit sur la ville."),
                         ("Ana", "Le marché du samedi était plein de fraises."),
                         ("Ana", "Mon fils apprend la guitare depuis un mois."),
                         ("Ana", "Une pénurie pareille, je n’en avais jamais vu.")])
    code_segments(db, doc, code, [1, 4, 8])
    listed = cli.json("codebook", "propose")
    assert [p["keyword"] for p in listed] == ["pénurie"]
    result = cli.ok("codebook", "propose", "--coder", "ana", input="a\n")
    assert "1 keyword approved" in result.stderr
    with db.session() as s:
        assert "pénurie" in s.scalar(select(Code.keywords).where(Code.id == code))


def test_a_colleague_can_code_while_suggest_runs(nlp, db, make_doc):
    """`suggest` reads in one transaction and writes in short ones: a coding applied by
    someone else while it analyses is saved at once (it used to wait for the whole run),
    and the run still stores its suggestions."""
    from qualcode.coding.service import apply_codes

    add_code(db, "humiliation", ["humilier"])
    make_doc("a", [(None, "On se fait humilier au guichet.")], kind="observation")
    make_doc("b", [(None, "Le chef nous humilie devant tout le monde."),
                   (None, "Il fait beau.")], kind="observation")
    saved = []

    def meanwhile(done, total):
        if done and not saved:
            with db.session(write=True) as w:
                saved.append(apply_codes(w, ref="b:2", codes=["humiliation"], coder="gina"))

    with db.session() as s:
        rows = suggest(s, db=db, progress=meanwhile)
    assert saved
    with db.session() as s:
        coded = s.scalar(select(Coding.id).join(Coder).where(Coder.name == "gina"))
        assert coded is not None
    assert {(r["document"], r["segment"]) for r in rows} >= {("a", 1), ("b", 1)}
