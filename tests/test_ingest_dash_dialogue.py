"""Subtitles with dash dialogue: several speakers in one cue give one turn each."""

from __future__ import annotations

from pathlib import Path

from qualcode.ingest.registry import read_path


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def rows(parsed):
    return [(s.speaker, parsed.text[s.start:s.end], s.time_start, s.time_end)
            for s in parsed.segments]


def test_srt_dash_dialogue_on_lines_and_in_one_line(tmp_path):
    path = write(tmp_path, "visio.srt", (
        "1\n00:00:01,000 --> 00:00:04,000\n"
        "- Enquêtrice : Vous m’entendez ?\n- Mehdi : Oui, très bien.\n\n"
        "2\n00:00:04,500 --> 00:00:08,000\n"
        "Mehdi : Je suis dans la voiture,\nmais ça capte.\n\n"
        "3\n00:00:08,000 --> 00:00:11,000\n"
        "- Enquêtrice : Parfait. - Mehdi : On commence ?\n\n"
    ))
    assert rows(read_path(path)) == [
        ("Enquêtrice", "Vous m’entendez ?", 1.0, 4.0),
        ("Mehdi", "Oui, très bien. Je suis dans la voiture, mais ça capte.", 1.0, 8.0),
        ("Enquêtrice", "Parfait.", 8.0, 11.0),
        ("Mehdi", "On commence ?", 8.0, 11.0),
    ]


def test_vtt_dashes_without_names_change_speaker(tmp_path):
    path = write(tmp_path, "couloir.vtt", (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\n- Tu restes ce soir ?\n- Non, je file.\n\n"
        "00:00:03.000 --> 00:00:05.000\net je reviens demain.\n\n"
    ))
    assert rows(read_path(path)) == [
        (None, "Tu restes ce soir ?", 1.0, 3.0),
        (None, "Non, je file. et je reviens demain.", 1.0, 5.0),
    ]


def test_a_spaced_dash_inside_speech_is_not_a_new_speaker(tmp_path):
    path = write(tmp_path, "pause.srt", (
        "1\n00:00:01,000 --> 00:00:04,000\n"
        "- Lucie : J’ai hésité - longtemps - avant de dire oui.\n- Marc : Je comprends.\n\n"
    ))
    assert rows(read_path(path)) == [
        ("Lucie", "J’ai hésité - longtemps - avant de dire oui.", 1.0, 4.0),
        ("Marc", "Je comprends.", 1.0, 4.0),
    ]
