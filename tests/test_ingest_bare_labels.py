"""A speaker's name alone on its line, without a colon (a common Word layout), opens a turn
only with evidence; headings and one-word lines stay text."""

from __future__ import annotations

import pytest

from qualcode.ingest.turns import segment_text


def turns(raw, **kw):
    text, segs = segment_text(raw, **kw)
    return text, [(s.speaker, s.is_interviewer, text[s.start:s.end]) for s in segs]


BRIEF = ("ENQUÊTRICE\nEt au travail ?\n\n"
         "GISÈLE\nAu travail c’est plus dur, on court tout le temps.\n")


def test_known_interviewer_alone_then_participant_in_the_same_case():
    text, got = turns(BRIEF)
    assert got == [("ENQUÊTRICE", True, "Et au travail ?"),
                   ("GISÈLE", False, "Au travail c’est plus dur, on court tout le temps.")]
    # The name keeps its own line in the stored text; the segment quotes the speech only.
    assert text == ("ENQUÊTRICE\nEt au travail ?\n\n"
                    "GISÈLE\nAu travail c’est plus dur, on court tout le temps.")
    assert text.index("Au travail") == 35  # 10 + 1 + 15 + 2 + 6 + 1 code points


def test_capitalised_names_without_blank_lines():
    _, got = turns("Enquêtrice\nVous êtes là depuis quand ?\nGisèle\nDepuis l’hiver.\n"
                   "Enquêtrice\nPourquoi ?\nGisèle\nLa mutation.\n")
    assert got == [("Enquêtrice", True, "Vous êtes là depuis quand ?"),
                   ("Gisèle", False, "Depuis l’hiver."),
                   ("Enquêtrice", True, "Pourquoi ?"), ("Gisèle", False, "La mutation.")]


def test_two_recurring_names_without_any_known_label():
    _, got = turns("MARC\nOn ferme à midi.\n\nLÉA\nPas le samedi.\n\n"
                   "MARC\nSi, depuis mars.\n\nLÉA\nJe ne savais pas.\n")
    assert [s for s, _, _ in got] == ["MARC", "LÉA", "MARC", "LÉA"]
    assert not any(inter for _, inter, _ in got)


def test_agent_names_and_configured_interviewers_count_as_labels():
    raw = "Sociologue\nEt le lundi ?\n\nNadia\nLe pire jour.\n"
    assert turns(raw)[1] == [(None, False, "Sociologue Et le lundi ?"),
                             (None, False, "Nadia Le pire jour.")]
    _, got = turns(raw, interviewers=["Sociologue"], names=["Nadia"])
    assert got == [("Sociologue", True, "Et le lundi ?"), ("Nadia", False, "Le pire jour.")]


def test_name_of_a_speaker_labelled_with_a_colon_elsewhere():
    _, got = turns("Gisèle : Bonjour.\nSociologue : Et au travail ?\nGisèle\n"
                   "Au travail c’est plus dur.\n")
    assert got == [("Gisèle", False, "Bonjour."),
                   ("Sociologue", False, "Et au travail ?"),
                   ("Gisèle", False, "Au travail c’est plus dur.")]


@pytest.mark.parametrize("raw", [
    # A heading alone on its line, a shouted one-word line, a place name: all text.
    "INTRODUCTION\n\nLe centre ouvre à neuf heures.\n\nNON.\nIl refuse de signer.\n",
    "Parcours\nElle arrive en 2015 à la caisse.\n\nMarseille\nElle y est née.\n",
    # One recurring heading is not two speakers.
    "MATINÉE\nLa file est longue.\n\nMATINÉE\nLa file est courte.\n",
])
def test_headings_and_one_word_lines_stay_paragraphs(raw):
    _, got = turns(raw)
    assert all(speaker is None for speaker, _, _ in got)


def test_heading_and_shout_inside_a_bare_label_transcript_are_not_speakers():
    _, got = turns("INTRODUCTION\nEntretien du 3 mars.\n\n" + BRIEF
                   + "\nENQUÊTRICE\nVraiment ?\n\nGISÈLE\nNON.\nOn ne s’arrête jamais.\n")
    assert [(s, t) for s, _, t in got] == [
        (None, "INTRODUCTION Entretien du 3 mars."),
        ("ENQUÊTRICE", "Et au travail ?"),
        ("GISÈLE", "Au travail c’est plus dur, on court tout le temps."),
        ("ENQUÊTRICE", "Vraiment ?"),
        ("GISÈLE", "NON. On ne s’arrête jamais."),
    ]


def test_answer_on_its_own_line_in_a_colon_transcript_is_speech():
    _, got = turns("Enquêtrice : Vous venez d’où ?\nMarseille\nJ’y suis née.\n"
                   "Claire : Moi aussi.\n")
    assert got == [("Enquêtrice", True, "Vous venez d’où ? Marseille J’y suis née."),
                   ("Claire", False, "Moi aussi.")]


def test_list_read_out_by_the_interviewer_is_not_a_speaker():
    _, got = turns("ENQUÊTRICE\nJe vous lis la liste :\nLOGEMENT\nSANTÉ\nTRAVAIL\n"
                   "Lequel compte le plus ?\n\nGISÈLE\nLe travail.\n")
    assert [s for s, _, _ in got] == ["ENQUÊTRICE", "GISÈLE"]


def test_participant_case_must_match_the_interviewer_label():
    # ENQUÊTRICE in capitals: a capitalised `Marseille` after her turn is speech.
    _, got = turns("ENQUÊTRICE\nVous venez d’où ?\nMarseille\nJ’y suis née.\n\n"
                   "ENQUÊTRICE\nEt ensuite ?\nGISÈLE\nParis.\n")
    assert [s for s, _, _ in got] == ["ENQUÊTRICE", "ENQUÊTRICE", "GISÈLE"]


def test_bare_labels_through_the_cli_link_agents(cli, tmp_path):
    path = tmp_path / "gisèle.txt"
    path.write_text(BRIEF, encoding="utf-8")
    cli.ok("ingest", path, "--agent", "Gisèle")
    doc = cli.json("docs", "show", "gisèle.txt")
    assert doc["kind"] == "interview"
    assert [(s["speaker"], s["interviewer"], s["agent"]) for s in doc["segments"]] == [
        ("ENQUÊTRICE", True, None), ("GISÈLE", False, "Gisèle")]
