"""Transcriber detail: topics, Sync times, events, comments, overlaps; --merge-backchannels."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.ingest.backchannels import merge_backchannels
from qualcode.ingest.registry import read_path

TRS = """<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE Trans SYSTEM "trans-14.dtd">
<Trans scribe="lucie" audio_filename="nuit_03" version="1" version_date="260301">
<Topics>
<Topic id="to1" desc="Arrivée dans le service"/>
<Topic id="to2" desc="Les nuits"/>
</Topics>
<Speakers>
<Speaker id="spk1" name="Enquêtrice" check="no" dialect="native" accent="" scope="local"/>
<Speaker id="spk2" name="Nadia" check="no" dialect="native" accent="" scope="local"/>
</Speakers>
<Episode>
<Section type="report" topic="to1" startTime="0" endTime="30">
<Turn speaker="spk1" startTime="0" endTime="4">
<Sync time="0"/>
Vous êtes arrivée quand ?
</Turn>
<Turn speaker="spk2" startTime="4" endTime="15">
<Sync time="4"/>
En deux mille dix-huit,
<Sync time="9.5"/>
<Event desc="rire" type="noise" extent="instantaneous"/>
après l'école.
<Comment desc="bruit de chariot dans le couloir"/>
</Turn>
<Turn speaker="spk1" startTime="15" endTime="16">
<Sync time="15"/>
mm
</Turn>
<Turn speaker="spk2" startTime="16" endTime="30">
<Sync time="16"/>
Et j'ai demandé la nuit
<Event desc="en" type="language" extent="begin"/>
night shift
<Event desc="en" type="language" extent="end"/>
tout de suite.
</Turn>
</Section>
<Section type="report" topic="to2" startTime="30" endTime="60">
<Turn speaker="spk1" startTime="30" endTime="34">
<Sync time="30"/>
Et les nuits, ça se passe comment ?
</Turn>
<Turn speaker="spk1 spk2" startTime="34" endTime="36">
<Sync time="34"/>
<Who nb="1"/>
oui d'accord
<Who nb="2"/>
C'est long
</Turn>
<Turn speaker="spk2" startTime="36" endTime="41">
<Sync time="36"/>
surtout vers quatre heures.
</Turn>
<Turn speaker="spk1" startTime="41" endTime="42">
<Sync time="41"/>
ah oui ?
</Turn>
<Turn speaker="spk2" startTime="42" endTime="48">
<Sync time="42"/>
Oui, c'est le pire moment.
</Turn>
<Turn speaker="spk1" startTime="48" endTime="50">
<Sync time="48"/>
Vous avez des enfants ?
</Turn>
<Turn speaker="spk2" startTime="50" endTime="51">
<Sync time="50"/>
Deux.
</Turn>
<Turn speaker="spk1" startTime="51" endTime="60">
<Sync time="51"/>
Et ils ont quel âge ?
</Turn>
</Section>
</Episode>
</Trans>
"""


def write_trs(tmp_path: Path) -> Path:
    path = tmp_path / "nuit_03.trs"
    path.write_bytes(TRS.encode("latin-1"))
    return path


def rows(parsed):
    return [(s.speaker, parsed.text[s.start:s.end], s.time_start, s.time_end,
             s.meta.get("topic")) for s in parsed.segments]


def test_topics_times_overlap_and_words_without_events(tmp_path):
    parsed = read_path(write_trs(tmp_path))
    arrival, nights = "Arrivée dans le service", "Les nuits"
    assert rows(parsed) == [
        ("Enquêtrice", "Vous êtes arrivée quand ?", 0.0, 4.0, arrival),
        ("Nadia", "En deux mille dix-huit, après l'école.", 4.0, 15.0, arrival),
        ("Enquêtrice", "mm", 15.0, 16.0, arrival),
        ("Nadia", "Et j'ai demandé la nuit night shift tout de suite.", 16.0, 30.0, arrival),
        ("Enquêtrice", "Et les nuits, ça se passe comment ?", 30.0, 34.0, nights),
        ("Enquêtrice", "oui d'accord", 34.0, 36.0, nights),
        ("Nadia", "C'est long", 34.0, 36.0, nights),
        ("Nadia", "surtout vers quatre heures.", 36.0, 41.0, nights),
        ("Enquêtrice", "ah oui ?", 41.0, 42.0, nights),
        ("Nadia", "Oui, c'est le pire moment.", 42.0, 48.0, nights),
        ("Enquêtrice", "Vous avez des enfants ?", 48.0, 50.0, nights),
        ("Nadia", "Deux.", 50.0, 51.0, nights),
        ("Enquêtrice", "Et ils ont quel âge ?", 51.0, 60.0, nights),
    ]
    segs = parsed.segments
    assert segs[5].meta["overlap"] is True and segs[5].meta["overlap_with"] == ["Nadia"]
    assert segs[6].meta["overlap_with"] == ["Enquêtrice"]
    assert "overlap" not in segs[4].meta
    # The second Sync of Nadia's turn is where `après` starts.
    apres = parsed.text.index("après")
    assert segs[1].meta["sync"] == [[segs[1].start, 4.0], [apres, 9.5]]
    laugh, comment, english = parsed.annotations
    assert (laugh.kind, laugh.text, laugh.label, laugh.start, laugh.end) == (
        "event", "rire", "noise event: rire", apres, apres)
    assert laugh.extra == {"type": "noise", "extent": "instantaneous"}
    assert (comment.kind, comment.text, comment.start) == (
        "comment", "bruit de chariot dans le couloir", segs[1].end)
    assert parsed.text[english.start:english.end] == "night shift"
    assert english.label == "language event: en"
    assert parsed.notes == [
        "2 topics kept as the segments' topic",
        "1 overlapping turn split by speaker and marked as overlap",
        "2 events kept as annotations (not in the text)",
        "1 transcriber comment kept as a memo",
    ]


def test_merge_backchannels(tmp_path):
    parsed = merge_backchannels(read_path(write_trs(tmp_path)))
    assert [(s.speaker, parsed.text[s.start:s.end], s.time_start, s.time_end)
            for s in parsed.segments] == [
        ("Enquêtrice", "Vous êtes arrivée quand ?", 0.0, 4.0),
        ("Nadia", "En deux mille dix-huit, après l'école. Et j'ai demandé la nuit night shift "
         "tout de suite.", 4.0, 30.0),
        ("Enquêtrice", "Et les nuits, ça se passe comment ?", 30.0, 34.0),
        ("Enquêtrice", "oui d'accord", 34.0, 36.0),
        ("Nadia", "C'est long", 34.0, 36.0),
        ("Nadia", "surtout vers quatre heures. Oui, c'est le pire moment.", 36.0, 48.0),
        # A question, its short answer and the next question are not a cut answer.
        ("Enquêtrice", "Vous avez des enfants ?", 48.0, 50.0),
        ("Nadia", "Deux.", 50.0, 51.0),
        ("Enquêtrice", "Et ils ont quel âge ?", 51.0, 60.0),
    ]
    text = parsed.text
    nadia = parsed.segments[1]
    join = text.index(" Et j'ai demandé")
    assert nadia.meta["topic"] == "Arrivée dans le service"
    assert nadia.meta["merged_turns"] == [
        {"start": nadia.start, "end": join, "speaker": "Nadia", "time_start": 4.0,
         "time_end": 15.0},
        {"start": join, "end": join, "speaker": "Enquêtrice", "time_start": 15.0,
         "time_end": 16.0, "text": "mm", "backchannel": True},
        {"start": join + 1, "end": nadia.end, "speaker": "Nadia", "time_start": 16.0,
         "time_end": 30.0},
    ]
    kinds = [(a.kind, a.text, a.start, a.end) for a in parsed.annotations]
    apres = text.index("après")
    night = text.index("night shift")
    assert kinds == [
        ("event", "rire", apres, apres),
        ("comment", "bruit de chariot dans le couloir", join, join),
        ("backchannel", "mm", join, join),
        ("event", "en", night, night + len("night shift")),
        ("backchannel", "ah oui ?", text.index(" Oui, c'est"), text.index(" Oui, c'est")),
    ]
    assert parsed.annotations[2].author == "Enquêtrice"
    assert parsed.annotations[2].extra == {"time_start": 15.0, "time_end": 16.0}
    assert parsed.notes[-1] == ("2 backchannels merged: 2 answers joined into one segment each "
                                "(backchannels kept as annotations, original turns in the "
                                "segment meta)")


def test_merge_on_text_turns_restores_original_turns():
    """Any speaker-turn format merges; the turns in the meta give back the original words."""
    from qualcode.ingest.base import Parsed
    from qualcode.ingest.turns import segment_text

    raw = ("Enquêteur : Et après le bac ?\n\n"
           "Léa : J’ai fait une prépa,\n\nEnquêteur : d’accord\n\n"
           "Léa : mais j’ai arrêté au bout d’un an.\n\nEnquêteur : mm mm\n\n"
           "Léa : Trop de pression.")
    text, segments = segment_text(raw)
    before = Parsed(text, segments, "txt")
    merged = merge_backchannels(before)
    assert merged.text == ("Enquêteur : Et après le bac ?\n\n"
                           "Léa : J’ai fait une prépa, mais j’ai arrêté au bout d’un an. "
                           "Trop de pression.")
    turns = merged.segments[1].meta["merged_turns"]
    restored = [(t["speaker"], t.get("text") or merged.text[t["start"]:t["end"]])
                for t in turns]
    assert restored == [(s.speaker, text[s.start:s.end]) for s in segments[1:]]


def test_no_backchannel_leaves_parsed_as_is():
    from qualcode.ingest.base import Parsed
    from qualcode.ingest.turns import segment_text

    text, segments = segment_text("E : Bonjour.\n\nLéa : Bonjour, je suis prête.")
    parsed = Parsed(text, segments, "txt")
    assert merge_backchannels(parsed) is parsed


def test_cli_merge_backchannels_memos_and_meta(cli, tmp_path):
    path = write_trs(tmp_path)
    result = cli.ok("ingest", path, "--merge-backchannels")
    assert result.stdout.startswith("added nuit_03.trs: 9 segments")
    assert "note: nuit_03.trs: 2 backchannels merged" in result.stderr
    shown = cli.json("docs", "show", "nuit_03")
    assert shown["segments"][1]["text"].startswith("En deux mille dix-huit, après l'école. Et")
    assert shown["meta"]["segments"]["2"]["topic"] == "Arrivée dans le service"
    assert [t["speaker"] for t in shown["meta"]["segments"]["2"]["merged_turns"]] == [
        "Nadia", "Enquêtrice", "Nadia"]
    assert shown["meta"]["segments"]["4"]["overlap_with"] == ["Nadia"]
    kinds = [(a["kind"], a["segment"]) for a in shown["meta"]["annotations"]]
    assert kinds == [("event", 2), ("comment", 2), ("backchannel", 2), ("event", 2),
                     ("backchannel", 6)]
    memos = cli.json("memo", "list")
    assert [(m["target"], m["title"], m["text"]) for m in memos] == [
        ("segment:nuit_03.trs:2", "transcriber comment", "bruit de chariot dans le couloir")]


def test_cli_merge_option_on_an_unchanged_file(cli, tmp_path):
    path = write_trs(tmp_path)
    cli.ok("ingest", path)
    again = cli.ok("ingest", path, "--merge-backchannels")
    assert "not applied: --merge-backchannels" in again.stderr
    replaced = cli.json("ingest", path, "--merge-backchannels", "--replace")
    assert replaced[0]["status"] == "replaced" and replaced[0]["segments"] == 9
    # The transcriber's comment is a memo once, on the merged segment.
    memos = cli.json("memo", "list")
    assert [m["target"] for m in memos] == ["segment:nuit_03.trs:2"]


SPEECH = ["Oui", "mm", "d’accord", "je", "travaille", "la", "nuit", "?", "voilà."]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Enquêtrice", "Léa", "Marc"]),
                          st.lists(st.sampled_from(SPEECH), min_size=1, max_size=6)),
                min_size=1, max_size=12))
def test_property_merged_turns_give_back_every_turn(turns):
    """Whatever is merged, the text and meta give back each original turn, in order."""
    from qualcode.corpus.documents import check_segments
    from qualcode.ingest.base import Parsed
    from qualcode.ingest.turns import Turn, render_turns

    text, segments = render_turns([Turn(who, [" ".join(words)]) for who, words in turns])
    merged = merge_backchannels(Parsed(text, segments, "txt"))
    check_segments(merged.text, merged.segments)
    restored = []
    for seg in merged.segments:
        parts = seg.meta.get("merged_turns") or [
            {"speaker": seg.speaker, "start": seg.start, "end": seg.end}]
        restored += [(t["speaker"], t.get("text") or merged.text[t["start"]:t["end"]])
                     for t in parts]
    assert restored == [(s.speaker, text[s.start:s.end]) for s in segments]
