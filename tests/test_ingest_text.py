"""Normalisation and segmentation of plain text: labels, turns, paragraphs, hyphenation."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qualcode.ingest.base import Parsed
from qualcode.ingest.normalise import CLITICS, NUMBERS, PREFIXES, clean, keep_hyphen
from qualcode.ingest.turns import segment_text


def seg_view(text: str, segments) -> list[tuple]:
    return [(s.start, s.end, text[s.start:s.end], s.speaker, s.is_interviewer, s.time_start)
            for s in segments]


def test_two_turns_hand_computed_offsets():
    text, segs = segment_text("Enquêtrice : Vous êtes là depuis quand ?\nClaire : Depuis 2015.\n")
    assert text == "Enquêtrice : Vous êtes là depuis quand ?\nClaire : Depuis 2015."
    assert seg_view(text, segs) == [
        (13, 40, "Vous êtes là depuis quand ?", "Enquêtrice", True, None),
        (50, 62, "Depuis 2015.", "Claire", False, None),
    ]


@pytest.mark.parametrize("label, speaker, time", [
    ("Enquêtrice :", "Enquêtrice", None),
    ("E :", "E", None),
    ("Claire :", "Claire", None),
    ("CLAIRE:", "CLAIRE", None),
    ("Jean-Marc :", "Jean-Marc", None),
    ("Mme Lefèvre :", "Mme Lefèvre", None),
    ("Locuteur 2 :", "Locuteur 2", None),
    ("[00:12:34] Claire :", "Claire", 754.0),
    ("(00:12) Claire :", "Claire", 12.0),
    ("[01:02:03.5] Claire :", "Claire", 3723.5),
    ("Claire\u00a0:", "Claire", None),
    ("Claire\u202f:", "Claire", None),
])
def test_label_forms_open_a_turn_without_the_label(label, speaker, time):
    raw = f"{label} Je travaille à l’accueil.\nMarc : D’accord."
    text, segs = segment_text(raw)
    first = segs[0]
    assert text[first.start:first.end] == "Je travaille à l’accueil."
    assert first.start == len(label) + 1
    assert (first.speaker, first.time_start) == (speaker, time)
    assert text[segs[1].start:segs[1].end] == "D’accord."


def test_label_alone_on_its_line_speech_on_the_next():
    text, segs = segment_text("CLAIRE :\nJe suis arrivée en mars.\n\nE :\nEt ensuite ?")
    assert [text[s.start:s.end] for s in segs] == ["Je suis arrivée en mars.", "Et ensuite ?"]
    assert [s.speaker for s in segs] == ["CLAIRE", "E"]


def test_false_labels_keep_the_text_in_paragraphs():
    raw = ("Il m’a dit : « non », et c’est tout.\n"
           "Alors voilà : on recommence.\n\n"
           "Bref : la file d’attente s’allonge.\n"
           "Date : mardi matin.")
    text, segs = segment_text(raw)
    assert [s.speaker for s in segs] == [None, None]
    assert text == ("Il m’a dit : « non », et c’est tout. Alors voilà : on recommence.\n\n"
                    "Bref : la file d’attente s’allonge. Date : mardi matin.")


def test_one_speaker_only_is_not_a_transcript():
    text, segs = segment_text("Claire : premier point.\n\nClaire : second point.")
    assert [s.speaker for s in segs] == [None, None]
    assert [text[s.start:s.end] for s in segs] == ["Claire : premier point.",
                                                   "Claire : second point."]


def test_label_longer_than_thirty_characters_is_not_a_label():
    raw = ("Madame Clothilde Vanderbroucke-Lemaire : bonjour.\n"
           "Marc : bonjour.\nE : au revoir.")
    text, segs = segment_text(raw)
    assert segs[0].speaker is None
    assert text[segs[0].start:segs[0].end] == "Madame Clothilde Vanderbroucke-Lemaire : bonjour."


@pytest.mark.parametrize("label", ["Enquêteur", "ENQUETRICE", "enquêtrice", "Intervieweuse",
                                   "Chercheuse", "Q", "I", "Enquêteur·rice"])
def test_default_interviewer_labels_case_and_accent_insensitive(label):
    _, segs = segment_text(f"{label} : Vous aimez ce poste ?\nNadia : Beaucoup.")
    assert [s.is_interviewer for s in segs] == [True, False]


def test_configured_interviewer_label():
    raw = "Sociologue : Racontez-moi une journée.\nNadia : Ça commence tôt."
    _, segs = segment_text(raw)
    assert [s.is_interviewer for s in segs] == [False, False]
    _, segs = segment_text(raw, ["sociologue"])
    assert [s.is_interviewer for s in segs] == [True, False]


def test_text_before_the_first_label_is_its_own_segment():
    raw = ("Entretien du 3 mars, au centre.\nDurée une heure.\n\n"
           "E : On commence ?\nPaul : Oui.")
    text, segs = segment_text(raw)
    assert seg_view(text, segs)[0] == (0, 48, "Entretien du 3 mars, au centre. Durée une heure.",
                                       None, False, None)
    assert [s.speaker for s in segs] == [None, "E", "Paul"]


def test_a_turn_runs_over_paragraphs_until_the_next_label():
    raw = "E : Et le soir ?\n\nNadia : Je rentre.\n\nJe prépare le dîner.\nE : Merci."
    text, segs = segment_text(raw)
    assert [text[s.start:s.end] for s in segs] == [
        "Et le soir ?", "Je rentre.\n\nJe prépare le dîner.", "Merci."]


def test_paragraphs_with_wrapped_lines_joined():
    raw = ("Le guichet ouvre à huit heures et\n  la file\tattend déjà\n"
           "dehors.\n\n\n\nDeuxième paragraphe, court.\n")
    text, segs = segment_text(raw)
    assert text == ("Le guichet ouvre à huit heures et la file\tattend déjà dehors.\n\n"
                    "Deuxième paragraphe, court.")
    assert [(s.start, s.end) for s in segs] == [(0, 61), (63, 90)]


def test_list_items_and_headings_keep_their_lines():
    text, _ = segment_text("# Notes\nPremière visite.\n- accueil\n- attente\n* * *\nFin.")
    assert text == "# Notes\nPremière visite.\n- accueil\n- attente\n* * *\nFin."


@pytest.mark.parametrize("first, second, joined", [
    ("néan-", "moins la suite", "néanmoins la suite"),
    ("l’institu-", "tion tient", "l’institution tient"),
    ("pré-", "accueil ouvert", "pré-accueil ouvert"),
    ("un rendez-", "vous pris", "un rendez-vous pris"),
    ("peut-", "être demain", "peut-être demain"),
    ("Jean-", "David arrive", "Jean-David arrive"),
    ("c’est-à-", "dire rien", "c’est-à-dire rien"),
    ("au-", "delà du guichet", "au-delà du guichet"),
    ("vis-à-", "vis des usagers", "vis-à-vis des usagers"),
    ("dit-", "elle souvent", "dit-elle souvent"),
    ("l’ex-", "directrice part", "l’ex-directrice part"),
    ("vingt-", "deux dossiers", "vingt-deux dossiers"),
    ("non-", "recours aux droits", "non-recours aux droits"),
    ("sur-", "tout le lundi", "surtout le lundi"),
])
def test_end_of_line_hyphenation(first, second, joined):
    text, _ = segment_text(f"Elle note {first}\n{second}.")
    assert text == f"Elle note {joined}."


def test_hyphenation_uses_the_document_own_spelling():
    text, _ = segment_text("Le pré-\nsent dossier.\n\nLe présent compte.")
    assert text.startswith("Le présent dossier.")
    text, _ = segment_text("Le co-\nvoiturage, puis le covoiturage.")
    assert text.startswith("Le covoiturage,")
    assert keep_hyphen("pré", "accueil") and not keep_hyphen("néan", "moins")


def test_crlf_bom_nfc_nbsp():
    raw = "\ufeffE\u00a0: Ça va\u202f?\r\nZoe\u0301 : Oui, merci\r\nde demander.\r\n"
    text, segs = segment_text(raw)
    assert text == "E\u00a0: Ça va\u202f?\nZoé : Oui, merci de demander."
    assert seg_view(text, segs) == [
        (4, 11, "Ça va\u202f?", "E", True, None),
        (18, 41, "Oui, merci de demander.", "Zoé", False, None),
    ]
    assert clean("a\rb\r\nc") == "a\nb\nc"


def test_duplicated_paragraphs_are_reported_not_dropped():
    teaser = "La caisse annonce la fermeture de trois accueils de proximité cet été."
    raw = f"{teaser}\n\nLe détail suit.\n\n{teaser}\n\nOui.\n\nOui."
    text, segs = segment_text(raw)
    parsed = Parsed(text, segs, "txt")
    assert len(segs) == 5
    assert parsed.duplicates() == [[1, 3]]  # short repeats such as `Oui.` are not reported


# ---- property tests -------------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghijlmnoprstuvéèàçô", min_size=1, max_size=9)
SPEAKERS = ["Claire", "Jean-Marc", "E", "Enquêtrice", "HÉLÈNE", "Locuteur 2", "Mme Roux"]


@st.composite
def transcript(draw):
    turns = draw(st.lists(st.tuples(st.sampled_from(SPEAKERS), st.lists(WORD, min_size=1,
                                                                        max_size=25)),
                          min_size=2, max_size=8))
    assume(len({s for s, _ in turns}) >= 2)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines_out = []
    for speaker, words in turns:
        colon = draw(st.sampled_from([" :", "\u00a0:", "\u202f:", ":"]))
        stamp = draw(st.sampled_from(["", "[00:01:02] ", "(03:04) "]))
        pieces = [f"{stamp}{speaker}{colon}"]
        for word in words:
            sep = draw(st.sampled_from([" ", " ", " ", newline, newline + "  "]))
            cut = draw(st.integers(0, len(word)))
            a, b = word[:cut], word[cut:]
            if (sep == newline and len(a) >= 3 and b and a not in PREFIXES
                    and b not in CLITICS and a not in NUMBERS):
                pieces.append(" " + a + "-" + newline + b)  # a word cut at the line end
            else:
                pieces.append(sep + word)
        lines_out.append("".join(pieces))
        lines_out.append(draw(st.sampled_from(["", newline])))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return bom + newline.join(lines_out), turns


@settings(max_examples=200, deadline=None)
@given(transcript())
def test_property_turns_quote_the_speech(case):
    raw, turns = case
    text, segs = segment_text(raw)
    check_invariants(text, segs)
    assert [s.speaker for s in segs] == [s for s, _ in turns]
    assert [" ".join(text[s.start:s.end].split()) for s in segs] == [
        " ".join(words) for _, words in turns]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(WORD, min_size=1, max_size=20), min_size=1, max_size=6),
       st.randoms(use_true_random=False))
def test_property_paragraphs(paragraphs, rnd):
    raw = "\n\n".join(
        "".join((rnd.choice([" ", "\n", " \u00a0"]) if i else "") + w for i, w in enumerate(p))
        for p in paragraphs)
    text, segs = segment_text(raw)
    check_invariants(text, segs)
    assert [" ".join(text[s.start:s.end].split()) for s in segs] == [
        " ".join(p) for p in paragraphs]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab É:-\n\r\t\u00a0[]()0123'’«»")) | st.characters(),
               max_size=300))
def test_property_any_text_gives_valid_segments(raw):
    text, segs = segment_text(raw)
    check_invariants(text, segs)
    assert "\r" not in text and not text.startswith("\ufeff")


def check_invariants(text, segs):
    end = 0
    for seg in segs:
        assert end <= seg.start < seg.end <= len(text)
        piece = text[seg.start:seg.end]
        assert piece == piece.strip() and piece
        end = seg.end
