"""File readers: Markdown front matter, docx, odt, vtt, srt, trs, encodings, bad files."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.errors import InvalidInput
from qualcode.ingest.registry import read_path


def turns(parsed) -> list[tuple]:
    return [(s.speaker, parsed.text[s.start:s.end], s.is_interviewer, s.time_start, s.time_end)
            for s in parsed.segments]


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def test_markdown_front_matter(tmp_path):
    path = write(tmp_path, "entretien.md", (
        "---\nkind: interview\ndate: 2024-03-12\nsite: Centre Nord\n"
        "agents: [Hélène, Marc]\ninterviewer: Sociologue\n---\n"
        "Sociologue : Vous commencez à quelle heure ?\n"
        "Hélène : À huit heures, avant l’ouverture.\n"))
    parsed = read_path(path)
    assert parsed.meta == {"kind": "interview", "date": "2024-03-12", "site": "Centre Nord",
                           "agents": ["Hélène", "Marc"], "interviewer": "Sociologue"}
    assert parsed.text.startswith("Sociologue : Vous")
    assert turns(parsed) == [
        ("Sociologue", "Vous commencez à quelle heure ?", True, None, None),
        ("Hélène", "À huit heures, avant l’ouverture.", False, None, None),
    ]
    assert parsed.segments[0].start == 13 and parsed.format == "md"


def test_dashes_in_a_txt_file_are_text(tmp_path):
    parsed = read_path(write(tmp_path, "notes.txt", "---\nUne matinée calme.\n---\nMardi.\n"))
    assert parsed.meta == {} and parsed.text == "---\nUne matinée calme.\n---\nMardi."
    with pytest.raises(InvalidInput, match="front matter must be"):
        read_path(write(tmp_path, "notes.md", "---\nUne matinée calme.\n---\nMardi.\n"))


def test_front_matter_errors_are_clear(tmp_path):
    path = write(tmp_path, "notes.md", "---\nkind: [interview\n---\nTexte.\n")
    with pytest.raises(InvalidInput, match="front matter is not valid YAML"):
        read_path(path)
    path = write(tmp_path, "notes2.md", "---\nkind: roman\n---\nTexte.\n")
    with pytest.raises(InvalidInput, match="kind 'roman'"):
        read_path(path)


@pytest.mark.parametrize("encoding, label", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1252", "cp1252"),
])
def test_encodings_of_a_transcript(tmp_path, encoding, label):
    source = "E : Et l’œuvre sociale ?\r\nAndré : C’est ça… le cœur du métier.\r\n"
    parsed = read_path(write(tmp_path, "t.txt", source, encoding))
    assert parsed.encoding == label
    assert turns(parsed) == [("E", "Et l’œuvre sociale ?", True, None, None),
                             ("André", "C’est ça… le cœur du métier.", False, None, None)]


def test_latin1_text(tmp_path):
    parsed = read_path(write(tmp_path, "n.txt", "Réunion à Noël, très animée.\n", "latin-1"))
    assert (parsed.text, parsed.encoding) == ("Réunion à Noël, très animée.", "latin-1")


def test_forced_encoding(tmp_path):
    path = write(tmp_path, "n.txt", "Réunion du matin.", "cp1252")
    assert read_path(path, encoding="cp1252").text == "Réunion du matin."
    with pytest.raises(InvalidInput, match="cannot be read as utf-8"):
        read_path(path, encoding="utf-8")


def test_docx_paragraphs_and_turns(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Enquêtrice : Comment se passe l’accueil le lundi ?")
    document.add_paragraph("Sophie : C’est la cohue, vraiment.")
    document.add_paragraph("")
    document.add_paragraph("Les gens attendent dehors.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "E"
    table.cell(0, 1).text = "Et le mardi ?"
    document.save(tmp_path / "entretien.docx")
    parsed = read_path(tmp_path / "entretien.docx")
    assert parsed.format == "docx"
    assert turns(parsed) == [
        ("Enquêtrice", "Comment se passe l’accueil le lundi ?", True, None, None),
        ("Sophie", "C’est la cohue, vraiment.\n\nLes gens attendent dehors.", False, None,
         None),
        ("E", "Et le mardi ?", True, None, None),
    ]


def test_odt_paragraphs(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Observation du 5 avril"))
    document.text.addElement(P(text="La salle d’attente est pleine dès l’ouverture."))
    document.text.addElement(P(text="Une conseillère appelle les numéros un par un."))
    document.save(str(tmp_path / "notes.odt"))
    parsed = read_path(tmp_path / "notes.odt")
    assert parsed.text == ("Observation du 5 avril\n\n"
                           "La salle d’attente est pleine dès l’ouverture.\n\n"
                           "Une conseillère appelle les numéros un par un.")
    assert [(s.start, s.end) for s in parsed.segments] == [(0, 22), (24, 70), (72, 118)]


def test_vtt_voices_merge_and_keep_times(tmp_path):
    path = write(tmp_path, "visio.vtt", (
        "WEBVTT\n\nNOTE enregistrement de test\n\n"
        "1\n00:00:01.000 --> 00:00:04.000\n<v Enquêtrice>Vous pouvez vous présenter ?</v>\n\n"
        "2\n00:00:04.500 --> 00:00:06.000 align:start\n<v Claire>Oui, je suis\n\n"
        "3\n00:06.000 --> 00:09.250\n<v Claire><i>conseillère</i> &amp; référente.</v>\n"))
    parsed = read_path(path)
    assert parsed.text == ("Enquêtrice : Vous pouvez vous présenter ?\n\n"
                           "Claire : Oui, je suis conseillère & référente.")
    assert turns(parsed) == [
        ("Enquêtrice", "Vous pouvez vous présenter ?", True, 1.0, 4.0),
        ("Claire", "Oui, je suis conseillère & référente.", False, 4.5, 9.25),
    ]
    assert parsed.segments[1].start == 52


def test_srt_labels_in_cue_text(tmp_path):
    path = write(tmp_path, "visio.srt", (
        "1\r\n00:00:01,000 --> 00:00:03,000\r\nE : Depuis quand ?\r\n\r\n"
        "2\r\n00:00:03,500 --> 00:00:05,000\r\nMarc : Six ans.\r\n\r\n"
        "3\r\n00:00:05,000 --> 00:00:07,500\r\nEt avant,\r\nau siège.\r\n\r\n"
        "4\r\n01:00:00,000 --> 01:00:02,000\r\nE : Merci.\r\n"), "cp1252")
    parsed = read_path(path)
    assert turns(parsed) == [
        ("E", "Depuis quand ?", True, 1.0, 3.0),
        ("Marc", "Six ans. Et avant, au siège.", False, 3.5, 7.5),
        ("E", "Merci.", True, 3600.0, 3602.0),
    ]


def test_subtitles_without_cues_are_refused(tmp_path):
    with pytest.raises(InvalidInput, match="no subtitle cue"):
        read_path(write(tmp_path, "vide.srt", "juste du texte\n"))
    with pytest.raises(InvalidInput, match="WEBVTT"):
        read_path(write(tmp_path, "x.vtt", "00:00:01.000 --> 00:00:02.000\nBonjour\n"))


TRS = """<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE Trans SYSTEM "trans-14.dtd">
<Trans scribe="anne" audio_filename="entretien_07" version="2" version_date="240312">
<Speakers>
<Speaker id="spk1" name="Enquêteur" check="no" dialect="native" accent="" scope="local"/>
<Speaker id="spk2" name="Hélène" check="no" dialect="native" accent="" scope="local"/>
</Speakers>
<Episode>
<Section type="report" startTime="0" endTime="20.5">
<Turn speaker="spk1" startTime="0" endTime="4.5">
<Sync time="0"/>
Vous êtes arrivée
quand au centre ?
</Turn>
<Turn speaker="spk2" startTime="4.5" endTime="12.25">
<Sync time="4.5"/>
En deux mille dix.
<Event desc="rire" type="noise" extent="instantaneous"/>
Ça fait un bail.
</Turn>
<Turn speaker="spk1 spk2" startTime="12.25" endTime="14">
<Sync time="12.25"/>
<Who nb="1"/>
D'accord.
<Who nb="2"/>
Voilà.
</Turn>
</Section>
</Episode>
</Trans>
"""


def test_trs_latin1(tmp_path):
    parsed = read_path(write(tmp_path, "e7.trs", TRS, "latin-1"))
    assert parsed.encoding == "iso-8859-1"
    assert turns(parsed) == [
        ("Enquêteur", "Vous êtes arrivée quand au centre ?", True, 0.0, 4.5),
        ("Hélène", "En deux mille dix. Ça fait un bail.", False, 4.5, 12.25),
        ("Enquêteur", "D'accord.", True, 12.25, 14.0),
        ("Hélène", "Voilà.", False, 12.25, 14.0),
    ]
    assert parsed.meta["audio_filename"] == "entretien_07"


def test_malformed_trs(tmp_path):
    with pytest.raises(InvalidInput, match="not a valid Transcriber file"):
        read_path(write(tmp_path, "cassé.trs", TRS[:400], "latin-1"))
    with pytest.raises(InvalidInput, match="not a Transcriber file"):
        read_path(write(tmp_path, "autre.trs", "<html><body>x</body></html>"))


def test_trs_entities_are_refused(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE Trans [<!ENTITY a "aaaa">]>'
            "<Trans><Episode>&a;</Episode></Trans>")
    with pytest.raises(InvalidInput, match="not a valid Transcriber file"):
        read_path(write(tmp_path, "bombe.trs", bomb))


def test_bad_files(tmp_path):
    with pytest.raises(InvalidInput, match="not a readable .docx"):
        read_path(write(tmp_path, "cassé.docx", os.urandom(2000)))
    with pytest.raises(InvalidInput, match="not a readable .odt"):
        read_path(write(tmp_path, "cassé.odt", b"PK\x03\x04 pas vraiment un zip"))
    with pytest.raises(InvalidInput, match="binary"):
        read_path(write(tmp_path, "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    with pytest.raises(InvalidInput, match="is empty"):
        read_path(write(tmp_path, "vide.txt", b""))
    with pytest.raises(InvalidInput, match="is empty"):
        read_path(write(tmp_path, "blanc.txt", b"  \n\n \t\n"))
    with pytest.raises(InvalidInput, match="holds no text"):
        read_path(write(tmp_path, "bom.txt", codecs.BOM_UTF16_LE))
    with pytest.raises(InvalidInput, match=r"unsupported file type \.png.*\.docx"):
        read_path(write(tmp_path, "photo.png", b"\x89PNG"))
    with pytest.raises(InvalidInput, match="cannot read"):
        read_path(tmp_path / "absent.txt")


def test_srt_without_speakers_forms_paragraphs_at_pauses(tmp_path):
    path = write(tmp_path, "conf.srt", (
        "1\n00:00:00,000 --> 00:00:02,000\nLa réforme de l’accueil\n\n"
        "2\n00:00:02,000 --> 00:00:04,000\na commencé en mars.\n\n"
        "3\n00:00:09,000 --> 00:00:11,000\nPersonne ne l’a vue venir.\n"))
    parsed = read_path(path)
    assert turns(parsed) == [
        (None, "La réforme de l’accueil a commencé en mars.", False, 0.0, 4.0),
        (None, "Personne ne l’a vue venir.", False, 9.0, 11.0),
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Claire", "claire", "E", "Marc", None]),
                          st.lists(st.text(alphabet="abcdeéàç ’«»:-", min_size=1, max_size=30),
                                   min_size=1, max_size=3)),
                min_size=1, max_size=12))
def test_property_vtt_segments(cues):
    from qualcode.ingest.subtitles import read

    lines = ["WEBVTT", ""]
    for i, (voice, texts) in enumerate(cues):
        lines.append(f"00:{i // 60:02d}:{i % 60:02d}.000 --> 00:{i // 60:02d}:{i % 60:02d}.900")
        tag = f"<v {voice}>" if voice else ""
        lines.extend(tag + t for t in texts)
        lines.append("")
    try:
        parsed = read("\n".join(lines).encode(), what="p.vtt")
    except InvalidInput:
        return  # every cue was blank
    end = 0
    for seg in parsed.segments:
        piece = parsed.text[seg.start:seg.end]
        assert end <= seg.start < seg.end and piece == piece.strip()
        assert seg.time_start <= seg.time_end
        end = seg.end
    speakers = [s.speaker.casefold() for s in parsed.segments if s.speaker]
    assert all(a != b for a, b in zip(speakers, speakers[1:], strict=False))
