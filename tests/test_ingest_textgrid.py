"""Praat TextGrid: one interval tier per speaker -> turns by time, long and short formats."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.errors import InvalidInput
from qualcode.ingest.registry import read_path

# Two speakers and a point tier; Gisèle's two intervals follow each other (one turn), the
# interviewer speaks again after her. A quote inside a label is doubled, as Praat writes it.
TIERS = [
    ("IntervalTier", "Enquêtrice", [(0, 2.5, 'Et le ""métier"", alors ?'), (2.5, 6, ""),
                                    (6, 10.5, "D’accord.")]),
    ("IntervalTier", "Gisèle", [(0, 2.7, ""), (2.7, 4, "Bah c’est dur,"),
                                (4, 5.9, "très dur."), (5.9, 10.5, "   ")]),
    ("TextTier", "bruits", [(3.1, "toux")]),
]
EXPECTED = [
    ("Enquêtrice", 'Et le "métier", alors ?', True, 0.0, 2.5),
    ("Gisèle", "Bah c’est dur, très dur.", False, 2.7, 5.9),
    ("Enquêtrice", "D’accord.", True, 6.0, 10.5),
]


def long_format(tiers=TIERS) -> str:
    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0 ",
           "xmax = 10.5 ", "tiers? <exists> ", f"size = {len(tiers)} ", "item []: "]
    for k, (cls, name, items) in enumerate(tiers, 1):
        out += [f"    item [{k}]:", f'        class = "{cls}" ', f'        name = "{name}" ',
                "        xmin = 0 ", "        xmax = 10.5 "]
        if cls == "IntervalTier":
            out.append(f"        intervals: size = {len(items)} ")
            for j, (a, b, text) in enumerate(items, 1):
                out += [f"        intervals [{j}]:", f"            xmin = {a} ",
                        f"            xmax = {b} ", f'            text = "{text}" ']
        else:
            out.append(f"        points: size = {len(items)} ")
            for j, (t, mark) in enumerate(items, 1):
                out += [f"        points [{j}]:", f"            number = {t} ",
                        f'            mark = "{mark}" ']
    return "\n".join(out) + "\n"


def short_format(tiers=TIERS) -> str:
    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "0", "10.5",
           "<exists>", str(len(tiers))]
    for cls, name, items in tiers:
        out += [f'"{cls}"', f'"{name}"', "0", "10.5", str(len(items))]
        for item in items:
            out += [str(v) if not isinstance(v, str) else f'"{v}"' for v in item]
    return "\n".join(out) + "\n"


def turns(parsed) -> list[tuple]:
    return [(s.speaker, parsed.text[s.start:s.end], s.is_interviewer, s.time_start, s.time_end)
            for s in parsed.segments]


@pytest.mark.parametrize("make", [long_format, short_format])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-8-sig"])
def test_tiers_become_turns_ordered_by_time(tmp_path, make, encoding):
    path = tmp_path / "entretien.TextGrid"
    path.write_bytes(make().encode(encoding))
    parsed = read_path(path)
    assert turns(parsed) == EXPECTED
    assert parsed.text == ('Enquêtrice : Et le "métier", alors ?\n\n'
                           "Gisèle : Bah c’est dur, très dur.\n\n"
                           "Enquêtrice : D’accord.")
    assert parsed.meta == {"tiers": ["Enquêtrice", "Gisèle"]}
    assert parsed.warnings == ["left out: 1 point of point tiers (instants, not speech)"]


def test_overlapping_speech_keeps_both_voices_in_time_order(tmp_path):
    tiers = [("IntervalTier", "Marc", [(0, 3, "je disais que"), (3, 5, "voilà")]),
             ("IntervalTier", "Gisèle", [(1, 2, "oui")])]
    path = tmp_path / "chevauchement.TextGrid"
    path.write_text(short_format(tiers), encoding="utf-8")
    assert turns(read_path(path)) == [("Marc", "je disais que", False, 0.0, 3.0),
                                      ("Gisèle", "oui", False, 1.0, 2.0),
                                      ("Marc", "voilà", False, 3.0, 5.0)]


def test_truncated_textgrid_is_one_clear_error(tmp_path):
    path = tmp_path / "coupe.TextGrid"
    path.write_text(long_format()[:500], encoding="utf-8")
    with pytest.raises(InvalidInput, match="coupe.TextGrid ends too early for a TextGrid"):
        read_path(path)


def test_binary_textgrid_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "b.TextGrid"
    path.write_bytes(b"ooBinaryFile\x08TextGrid\x00\x01")
    with pytest.raises(InvalidInput, match="binary TextGrid") as err:
        read_path(path)
    assert "Save as text file" in err.value.hint


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Enquêtrice", "Gisèle", "Marc"]),
                          st.text(alphabet="abcdéèà’ «»\"", min_size=1, max_size=12)),
                min_size=1, max_size=8))
def test_any_labels_round_trip_both_formats(tmp_path_factory, items):
    """Each non-blank label is found whole at its segment's offsets, in time order."""
    tiers: dict[str, list] = {"Enquêtrice": [], "Gisèle": [], "Marc": []}
    for k, (speaker, text) in enumerate(items):
        tiers[speaker].append((float(k), k + 0.5, text.replace('"', '""')))
    spec = [("IntervalTier", name, ivs) for name, ivs in tiers.items()]
    expected = [" ".join(text.split()) for _, text in items if text.strip()]
    tmp = tmp_path_factory.mktemp("tg")
    for make in (long_format, short_format):
        path = tmp / "x.TextGrid"
        path.write_text(make(spec), encoding="utf-8")
        if not expected:
            with pytest.raises(InvalidInput, match="holds no text"):
                read_path(path)
            continue
        parsed = read_path(path)
        # Consecutive labels of one speaker are one turn: compare the words in order.
        got = " ".join(parsed.text[s.start:s.end] for s in parsed.segments)
        assert got == " ".join(expected)


def test_ingest_textgrid_from_the_command_line(cli, tmp_path):
    path = tmp_path / "gisele.TextGrid"
    path.write_bytes(long_format().encode("utf-16"))
    result = cli.ok("ingest", path)
    assert "added gisele.TextGrid: 3 segments" in result.stdout
    shown = cli.json("docs", "show", "gisele.TextGrid")
    assert [(s["speaker"], s["text"]) for s in shown["segments"]] == [
        (speaker, text) for speaker, text, *_ in EXPECTED]
