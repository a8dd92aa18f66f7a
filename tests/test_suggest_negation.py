"""Negation in the keyword scorer: what marks a match negated, what does not, and keywords
written with their own negation (`ne plus s’y retrouver`)."""

from __future__ import annotations

import pytest

from qualcode.suggest import analysis_cache, pipeline
from qualcode.suggest import keywords as kwmod


@pytest.fixture(scope="session")
def nlp():
    """The spaCy pipeline (get_nlp is cached per process: loaded once for the session)."""
    return pipeline.get_nlp()


def analyse(text):
    return next(analysis_cache.analyse_texts([text]))


def found(keyword, text):
    """(matched forms, negated) of every match of ``keyword`` in ``text``."""
    alone = analyse(keyword)
    carriers = [analyse(t) for t in kwmod.carrier_texts(keyword, alone)]
    index = kwmod.KeywordIndex()
    index.add(kwmod.compile_keyword(1, keyword, alone, carriers))
    a = analyse(text)
    return [(" ".join(a.forms[m.first:m.last + 1]), m.negated) for m in kwmod.match(a, index)]


@pytest.mark.parametrize(("keyword", "text", "words"), [
    # a pronoun and the conjugated verb between `ne` and `pas`
    ("déqualifier", "Franchement, je ne me sens pas déqualifiée au guichet.", "dequalifiee"),
    ("déqualifier", "Je ne me considère pas comme déqualifiée, moi.", "dequalifiee"),
    # two words between the adverb and the match
    ("déclassés", "Les anciens ne se sentent pas du tout déclassés.", "declasses"),
    ("prendre un ticket", "Madame Roux, je ne lui fais pas prendre de ticket.",
     "prendre de ticket"),
    # a negative subject
    ("déqualifier", "Personne ne nous a déqualifiés dans cette agence.", "dequalifies"),
    ("déqualifier", "Rien ne nous a déqualifiés, au contraire.", "dequalifies"),
    ("déqualifier", "Aucun directeur ne nous a déqualifiés.", "dequalifies"),
    # `sans` (or `ne ... pas`) inside an expression's span
    ("service public", "Ce serait un service sans public.", "service sans public"),
    ("service public", "Le service n’est pas public ici.", "service n' est pas public"),
    # what was negated before stays negated
    ("déqualifier", "Moi, je ne suis pas déqualifiée.", "dequalifiee"),
    ("déqualifier", "On ne nous a jamais déqualifiés.", "dequalifies"),
    ("déqualifier", "Je ne déqualifie pas mes collègues.", "dequalifie"),
])
def test_negations_mark_the_match(nlp, keyword, text, words):
    assert found(keyword, text) == [(words, True)]


@pytest.mark.parametrize(("keyword", "text", "words"), [
    # a comma or a colon ends the clause the negation bears on
    ("déqualifier", "Je ne sais pas, on nous a déqualifiés quand même.", "dequalifies"),
    ("déqualifier", "Il n’y a pas que ça : on nous a déqualifiés.", "dequalifies"),
    ("déqualifier", "Elle ne râle pas mais on l’a déqualifiée.", "dequalifiee"),
    # `ne ... que` is not a negation, and `que` opens another clause
    ("déqualifier", "Je ne pense pas qu’on nous ait déqualifiés.", "dequalifies"),
    ("déqualifier", "On ne fait que nous déqualifier.", "dequalifier"),
    # too far from the adverb
    ("déqualifier", "Je n’ai jamais dit à la cheffe que tu étais déqualifiée.", "dequalifiee"),
    # `la personne` is not the pronoun `personne`
    ("déqualifier", "La personne ne nous a déqualifiés qu’une fois.", "dequalifies"),
    # `plus` inside a span is not a negation (`plus ou moins`, `de plus en plus`)
    ("service public", "Il veut un service plus ou moins public.", "service plus ou moins public"),
    ("service public", "Un service public qui ferme.", "service public"),
])
def test_no_negation_across_a_clause_or_too_far(nlp, keyword, text, words):
    assert found(keyword, text) == [(words, False)]


@pytest.mark.parametrize(("text", "words"), [
    ("Je ne m’y retrouve plus avec ces formulaires.", "m' y retrouve"),
    ("On ne s’y retrouve plus du tout.", "s' y retrouve"),
    ("Franchement je ne m’y suis jamais retrouvée.", "m' y suis jamais retrouvee"),
    ("Avec le logiciel on ne peut plus s’y retrouver.", "s' y retrouver"),
    ("Nous ne nous y retrouvons pas.", "nous y retrouvons"),
    ("Je m’y retrouve pas, moi.", "m' y retrouve"),  # spoken: `ne` dropped
])
def test_a_keyword_written_with_its_negation_matches_spoken_word_order(nlp, text, words):
    """`ne plus s’y retrouver`: its other words in order, reflexive clitics alike, adverbs
    and auxiliaries allowed in between, and a negation around it. The match itself is the
    evidence of the code, never "negated"."""
    assert found("ne plus s’y retrouver", text) == [(words, False)]


@pytest.mark.parametrize("text", [
    "Au début je m’y retrouve bien.",
    "Je m’y retrouve plus facilement avec le nouveau classement.",  # `plus` = more
    "Je ne m’y retrouve que le lundi.",  # `ne ... que` = only
    "Je ne sais pas, je m’y retrouve.",  # the negation is in another clause
])
def test_a_negative_keyword_needs_its_negation(nlp, text):
    assert found("ne plus s’y retrouver", text) == []


def test_other_negative_keywords_keep_working(nlp):
    assert found("ne servir à rien", "Ce tableau ne sert à rien.") == [("sert a rien", False)]
    assert found("ne servir à rien", "Ça ne sert plus à rien.") == [("sert plus a rien", False)]
    assert found("ne servir à rien", "Ça sert à tout.") == []
    # `n’importe qui` has no negative word: it stays a plain expression
    assert found("n’importe qui", "N’importe qui peut le faire.") == [("n' importe qui", False)]
    assert found("sans solution", "Ils repartent sans solution.") == [("sans solution", False)]
