"""TEI speech transcriptions: turns from <u who>, speakers from <person>, times, inline events."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.errors import InvalidInput
from qualcode.ingest.registry import read_path

HEADER = """<?xml version="1.0" encoding="{enc}"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
 <teiHeader>
  <fileDesc><titleStmt><title>Entretien avec Gisèle, aide-soignante</title></titleStmt>
  </fileDesc>
  <profileDesc><particDesc><listPerson>
   <person xml:id="enq" role="interviewer"><persName>Enquêtrice</persName></person>
   <person xml:id="g1" sex="2" age="52"><persName>Gisèle</persName>
    <occupation>aide-soignante de nuit</occupation></person>
   <person xml:id="m1"><sex value="1"/><age>34</age><persName>Marc</persName></person>
  </listPerson></particDesc></profileDesc>
 </teiHeader>
"""

TRANSCRIPT = HEADER + """ <text>
  <timeline unit="s" origin="#T0">
   <when xml:id="T0"/>
   <when xml:id="T1" interval="3.5" since="#T0"/>
   <when xml:id="T2" interval="9.25" since="#T0"/>
   <when xml:id="T3" interval="2.5" since="#T2"/>
  </timeline>
  <body>
   <u who="#enq" start="#T0" end="#T1">Vous êtes dans le service depuis<pause/>combien
     de temps ?</u>
   <incident><desc>une porte claque</desc></incident>
   <u who="#g1" start="#T1" end="#T3">Oh, ça fait<vocal><desc>rires</desc></vocal>vingt
     ans<note>date à vérifier</note> « au moins », l’équipe a <choice><orig>ben</orig>
     <reg>bien</reg></choice>
     changé<gap reason="inaudible"/>.</u>
   <annotationBlock who="#m1" start="14.5" end="16">
    <u><w>Moi</w><w>aussi</w><pc>,</pc><w>un</w><w>peu</w></u>
    <spanGrp type="pos"><span>PRO</span></spanGrp>
   </annotationBlock>
   <u who="#inconnu">Qui parle ?</u>
  </body>
 </text>
</TEI>
"""


def write(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def turns(parsed) -> list[tuple]:
    return [(s.speaker, parsed.text[s.start:s.end], s.is_interviewer, s.time_start, s.time_end)
            for s in parsed.segments]


@pytest.mark.parametrize("name", ["entretien.tei", "entretien.xml"])
def test_utterances_are_turns_with_names_times_and_events(tmp_path, name):
    parsed = read_path(write(tmp_path, name, TRANSCRIPT.format(enc="UTF-8")))
    assert parsed.format == "tei"
    assert turns(parsed) == [
        ("Enquêtrice", "Vous êtes dans le service depuis combien de temps ?", True, 0.0, 3.5),
        ("Gisèle", "Oh, ça fait (rires) vingt ans « au moins », l’équipe a bien changé (…) .",
         False, 3.5, 11.75),
        ("Marc", "Moi aussi , un peu", False, 14.5, 16.0),
        ("inconnu", "Qui parle ?", False, None, None),
    ]
    assert parsed.text == (
        "Enquêtrice : Vous êtes dans le service depuis combien de temps ?\n\n"
        "Gisèle : Oh, ça fait (rires) vingt ans « au moins », l’équipe a bien changé (…) .\n\n"
        "Marc : Moi aussi , un peu\n\ninconnu : Qui parle ?")


def test_person_details_are_kept_as_speaker_metadata(tmp_path):
    parsed = read_path(write(tmp_path, "e.tei", TRANSCRIPT.format(enc="UTF-8")))
    assert parsed.meta["title"] == "Entretien avec Gisèle, aide-soignante"
    assert parsed.meta["speakers"] == {
        "Enquêtrice": {"role": "interviewer"},
        "Gisèle": {"sex": "2", "age": "52", "occupation": "aide-soignante de nuit"},
        "Marc": {"sex": "1", "age": "34"},
    }
    assert ("left out of the text (not speech): 1 <incident>, 1 <note>, 1 <spanGrp>"
            in parsed.warnings)
    assert any("Gisèle (sex=2, age=52" in w for w in parsed.warnings)


def test_latin1_declaration_and_utf16(tmp_path):
    latin = read_path(write(tmp_path, "l.tei", TRANSCRIPT.format(enc="ISO-8859-1")
                            .replace("’", "'").replace("…", "..."), "latin-1"))
    assert latin.encoding == "iso-8859-1"
    assert latin.text.startswith("Enquêtrice : Vous êtes")
    utf16 = read_path(write(tmp_path, "u.tei", TRANSCRIPT.format(enc="UTF-16"), "utf-16"))
    assert utf16.text == read_path(write(tmp_path, "v.tei", TRANSCRIPT.format(enc="UTF-8"))).text


def test_written_tei_text_is_read_by_paragraph(tmp_path):
    text = HEADER.format(enc="UTF-8") + """ <text><body>
  <head>Journal de terrain</head>
  <p>Arrivée au centre à <hi rend="bold">8 h</hi>, l’équipe est là.</p>
  <p>Réunion<note>voir carnet</note> à midi.</p>
 </body></text></TEI>"""
    parsed = read_path(write(tmp_path, "journal.xml", text))
    assert [parsed.text[s.start:s.end] for s in parsed.segments] == [
        "Journal de terrain", "Arrivée au centre à 8 h, l’équipe est là.", "Réunion à midi."]
    assert not parsed.has_turns


def test_xml_that_is_neither_tei_nor_transcriber_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match=r"root <corpus>, not a format qualcode reads"):
        read_path(write(tmp_path, "x.xml", "<corpus><doc>Bonjour</doc></corpus>"))


def test_broken_tei_is_one_clear_error(tmp_path):
    with pytest.raises(InvalidInput, match=r"e.tei is not well-formed XML"):
        read_path(write(tmp_path, "e.tei", TRANSCRIPT.format(enc="UTF-8")[:600]))


def test_transcriber_file_named_xml_is_read_as_transcriber(tmp_path):
    trs = ('<?xml version="1.0" encoding="UTF-8"?><Trans><Speakers>'
           '<Speaker id="spk1" name="Gisèle"/></Speakers><Episode><Section>'
           '<Turn speaker="spk1" startTime="0" endTime="2.5"><Sync time="0"/>Bonjour à vous'
           '</Turn></Section></Episode></Trans>')
    parsed = read_path(write(tmp_path, "t.xml", trs))
    assert turns(parsed) == [("Gisèle", "Bonjour à vous", False, 0.0, 2.5)]


def test_ingest_tei_from_the_command_line_shows_speakers(cli, tmp_path):
    path = write(tmp_path, "gisele.tei", TRANSCRIPT.format(enc="UTF-8"))
    result = cli.ok("ingest", path)
    assert "added gisele.tei: 4 segments" in result.stdout
    assert ("warning: gisele.tei: left out of the text (not speech): 1 <incident>, 1 <note>"
            in result.stderr)
    assert "Marc (sex=1, age=34); to group tables by them" in result.stderr
    shown = cli.json("docs", "show", "gisele.tei")
    assert shown["kind"] == "interview"
    assert shown["meta"]["speakers"]["Gisèle"]["age"] == "52"
    assert [s["speaker"] for s in shown["segments"]] == [
        "Enquêtrice", "Gisèle", "Marc", "inconnu"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abcdéèàçœ’«»,.", min_size=1, max_size=8),
                          st.sampled_from(["", " ", "<pause/>", "<anchor/>", "\n  "])),
                min_size=1, max_size=12),
       st.booleans())
def test_words_never_glue_whatever_separates_them(tmp_path_factory, words, tokenised):
    """Each word comes out whole, one space apart, whether the TEI tokenises words in <w>
    elements (no space between them) or separates them by spaces and <pause/> markers."""
    if tokenised:
        body = "".join(f"<w>{word}</w>{sep if sep != ' ' else ''}" for word, sep in words)
    else:
        body = "".join(word + (sep or " ") for word, sep in words)
    xml = (f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><u who="#a">{body}</u>'
           "</body></text></TEI>")
    path = tmp_path_factory.mktemp("tei") / "p.tei"
    path.write_text(xml, encoding="utf-8")
    parsed = read_path(path)
    assert [parsed.text[s.start:s.end] for s in parsed.segments] == [
        " ".join(word for word, _ in words)]
