"""Figures read back from their files: pixel size at the chosen dpi, one colour scale across
the groups, integer ticks for counts, labels in French or English, networks and bar charts,
svg and pdf output, bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_cooccurrence_corpus import corpus  # noqa: F401  (the hand-counted corpus fixture)

from qualcode.analysis.service import CooccurrenceResult, cooccurrence_tables
from qualcode.export.bars import bar_size
from qualcode.export.network import NETWORK_SIZE, RADIAL_SIZE, network_edges, plot_networks
from qualcode.export.plot import heatmap_size, plot_heatmaps, wrap_name

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(path: Path, gid: str | None = None) -> list[str]:
    """Every text of an SVG (text stays text), or only those inside the group ``gid``."""
    root = ET.parse(path).getroot()
    if gid is not None:
        root = next(el for el in root.iter(f"{SVG}g") if el.get("id") == gid)
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]


def pixels(path: Path) -> tuple[tuple[int, int], np.ndarray]:
    with Image.open(path) as image:
        return image.size, np.asarray(image.convert("RGB"))


def assert_drawn(path: Path) -> None:
    """Not a blank page: a real share of non-white pixels, and many colours."""
    _, rgb = pixels(path)
    ink = (rgb < 235).any(axis=2).mean()
    assert ink > 0.03, f"{path.name} is almost blank ({ink:.1%} ink)"
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50


def expected_pixels(inches: tuple[float, float], dpi: int) -> tuple[int, int]:
    """Figure sizes are quarter inches: the product is exact, no rounding to argue about."""
    assert all(x * 4 == int(x * 4) for x in inches)
    return int(inches[0] * dpi), int(inches[1] * dpi)


def result_of(groups: dict[str, np.ndarray], measure: str = "count") -> CooccurrenceResult:
    """A CooccurrenceResult from units x codes presence per group (pure: no database)."""
    names = ["perte de sens au travail", "déqualification", "stratégies", "discrédit"]
    presence = np.vstack(list(groups.values()))
    membership = np.zeros((len(presence), len(groups)), dtype=bool)
    start = 0
    for g, block in enumerate(groups.values()):
        membership[start:start + len(block), g] = True
        start += len(block)
    tables = cooccurrence_tables(presence, membership, list(groups), names, measure)
    return CooccurrenceResult("profil", "segment", measure, True, {}, tables)


@pytest.fixture
def unequal() -> CooccurrenceResult:
    """Two groups whose largest pair counts differ: 12 in « social », 3 in « pragmatique »."""
    social = np.array([[1, 1, 1, 0]] * 12 + [[1, 0, 0, 1]] * 2 + [[0, 0, 0, 1]] * 3, dtype=bool)
    pragmatique = np.array([[1, 1, 0, 0]] * 3 + [[0, 0, 1, 1]] * 2 + [[0, 1, 0, 0]] * 5,
                           dtype=bool)
    return result_of({"pragmatique": pragmatique, "social": social})


def test_groups_share_one_colour_scale_with_integer_ticks(unequal, tmp_path):
    paths = plot_heatmaps(unequal, tmp_path / "h.svg")
    assert [p.name for p in paths] == ["h_all.svg", "h_pragmatique.svg", "h_social.svg"]
    ticks = {p.stem: svg_texts(p, "colourbar") for p in paths}
    # the label, then ticks 0..12 for both groups although pragmatique's pairs stop at 3
    assert ticks["h_pragmatique"] == ticks["h_social"]
    label = ticks["h_social"][-1]
    assert label == "segments coded with both"
    numbers = [int(t) for t in ticks["h_social"][:-1]]  # integers: no "2.5" for a count
    assert numbers[0] == 0 and numbers[-1] == 12
    # (all), the sum of the groups, keeps its own scale up to 15, its largest pair
    assert 12 < int(ticks["h_all"][-2]) <= 15
    texts = svg_texts(paths[2])
    assert "Grey diagonal: segments coded with the code (its frequency) · colour scale " \
           "shared by the groups" in texts
    assert "profil = social: 17 segments" in texts


def test_png_at_300_dpi_by_default_and_not_blank(unequal, tmp_path):
    path = plot_heatmaps(unequal, tmp_path / "h.png")[1]
    size, _ = pixels(path)
    assert size == expected_pixels(heatmap_size(4), 300)
    with Image.open(path) as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)
    assert_drawn(path)
    small = plot_heatmaps(unequal, tmp_path / "s.png", dpi=100)[1]
    assert pixels(small)[0] == expected_pixels(heatmap_size(4), 100)


def test_french_labels_accents_and_wrapped_names(unequal, tmp_path):
    path = plot_heatmaps(unequal, tmp_path / "h.svg", lang="fr")[2]
    texts = svg_texts(path)
    assert svg_texts(path, "colourbar")[-1] == "segments codés par les deux"
    assert "profil = social\u00a0: 17 segments" in texts
    assert any(t.startswith("Diagonale grise\u00a0: segments codés par le code") for t in texts)
    assert "déqualification" in texts
    # the long name is on two lines (matplotlib writes one text per line in SVG)
    assert "perte de sens au" in texts and "travail" in texts
    assert wrap_name("déqualification") == "déqualification"  # never cut inside a word
    assert wrap_name("perte de sens au travail") == "perte de sens au\ntravail"


def test_jaccard_bar_label_and_comma_in_french(tmp_path):
    result = result_of({"a": np.array([[1, 1, 0, 0], [1, 0, 0, 0]], dtype=bool),
                        "b": np.array([[1, 1, 1, 1]], dtype=bool)}, "jaccard")
    fr = plot_heatmaps(result, tmp_path / "j.svg", lang="fr")[1]
    bar = svg_texts(fr, "colourbar")
    assert bar[-1] == "Jaccard (coefficient c)"
    assert bar[0] == "0,00" and all("," in t for t in bar[:-1])
    en = plot_heatmaps(result, tmp_path / "e.svg")[1]
    assert svg_texts(en, "colourbar")[-1] == "Jaccard (c-coefficient)"
    assert "0.50" in svg_texts(en)  # a | b in group a: 1 / (2 + 1 - 1)


def test_side_by_side_is_one_figure_with_one_colour_bar(unequal, tmp_path):
    (path,) = plot_heatmaps(unequal, tmp_path / "panels.png", side_by_side=True, dpi=120)
    assert path.name == "panels.png" and not list(tmp_path.glob("panels_*"))
    assert pixels(path)[0] == expected_pixels(heatmap_size(4, panels=2), 120)
    assert_drawn(path)
    svg = plot_heatmaps(unequal, tmp_path / "panels.svg", side_by_side=True)[0]
    texts = svg_texts(svg)
    assert "profil = pragmatique: 10 segments" in texts and "profil = social: 17 segments" \
        in texts
    assert texts.count("segments coded with both") == 1


def test_pdf_output(unequal, tmp_path):
    for path in plot_heatmaps(unequal, tmp_path / "h.pdf"):
        assert path.read_bytes().startswith(b"%PDF")


def test_network_edges_keep_jaccard_over_the_threshold():
    counts = np.array([[10, 5, 1], [5, 5, 0], [1, 0, 4]])
    # J(0,1) = 5 / (10 + 5 - 5) = 0.5 ; J(0,2) = 1 / 13 ; J(1,2) = 0
    assert network_edges(counts, 0.0) == [(0, 1, 0.5), (0, 2, pytest.approx(1 / 13))]
    assert network_edges(counts, 0.1) == [(0, 1, 0.5)]


def test_network_files_size_and_labels(unequal, tmp_path):
    paths = plot_networks(unequal, tmp_path / "net.png", dpi=150)
    assert [p.name for p in paths] == ["net_all.png", "net_pragmatique.png", "net_social.png"]
    for path in paths:
        assert pixels(path)[0] == expected_pixels(NETWORK_SIZE, 150)
        assert_drawn(path)
    svg = plot_networks(unequal, tmp_path / "net.svg", lang="fr", min_jaccard=0.2)[2]
    texts = svg_texts(svg)
    # social: J(perte, déqualification) = 12 / (14 + 12 - 12) = 0.86, over 0.2: labelled
    assert "0,86" in texts
    assert "déqualification" in texts and "(n\u00a0=\u00a012)" in texts
    assert any(t.startswith("Aire des nœuds") for t in texts)
    apart = result_of({"a": np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=bool),
                       "b": np.array([[0, 0, 1, 0], [1, 0, 0, 1]], dtype=bool)})
    empty = plot_networks(apart, tmp_path / "none.svg", min_jaccard=0.6)[1]
    assert "no pair reaches Jaccard 0.60" in svg_texts(empty)


# --- CLI --------------------------------------------------------------------------------


def test_cli_cooccurrence_figures(corpus, cli, tmp_path):  # noqa: F811
    result = cli.ok("cooccurrence", "--by", "profil", "--plot", tmp_path / "h.png",
                    "--network", tmp_path / "n.png", "--dpi", "100", "--lang", "fr",
                    "--format", "csv")
    for name in ("h_all.png", "h_social.png", "h_pragmatique.png", "n_all.png", "n_social.png"):
        assert (tmp_path / name).exists() and name in result.stderr
    assert pixels(tmp_path / "h_social.png")[0] == expected_pixels(heatmap_size(3), 100)
    assert pixels(tmp_path / "n_social.png")[0] == expected_pixels(NETWORK_SIZE, 100)
    cli.ok("cooccurrence", "--by", "profil", "--plot", tmp_path / "p.svg", "--side-by-side",
           "--lang", "fr", "--format", "csv")
    assert "segments codés par les deux" in svg_texts(tmp_path / "p.svg")


def test_cli_crosstab_bars(corpus, cli, tmp_path):  # noqa: F811
    result = cli.ok("crosstab", "--by", "profil", "--plot", tmp_path / "bars.png", "--dpi",
                    "100", "--format", "csv")
    assert "bars.png" in result.stderr
    assert pixels(tmp_path / "bars.png")[0] == expected_pixels(bar_size(3, 2), 100)
    assert_drawn(tmp_path / "bars.png")
    cli.ok("crosstab", "--by", "profil", "--plot", tmp_path / "bars.svg", "--percent", "none",
           "--lang", "fr", "--format", "csv")
    texts = svg_texts(tmp_path / "bars.svg")
    # segments with a group: social H2 H4 O1 O2 O3, pragmatique M1 M3 Z1 O1 O2 O3
    assert "social (n\u00a0=\u00a05)" in texts and "pragmatique (n\u00a0=\u00a06)" in texts
    assert "segments codés" in texts and "Codes par profil" in texts
    assert all("." not in t for t in texts if t.replace(".", "").isdigit())  # integer ticks
    cli.ok("crosstab", "--by", "profil", "--plot", tmp_path / "bars.pdf", "--format", "csv")
    assert (tmp_path / "bars.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("args, message", [
    (("--plot", "h.gif"), "cannot draw h.gif"),
    (("--plot", "h.png", "--dpi", "10"), "--dpi 10 is out of range"),
    (("--network", "n.png", "--lang", "de"), "unknown language 'de'"),
    (("--network", "nowhere/n.png"), "does not exist"),
])
def test_cli_bad_figure_options(corpus, cli, tmp_path, args, message):  # noqa: F811
    args = tuple(str(tmp_path / a) if a.endswith((".png", ".gif")) else a for a in args)
    bad = cli("cooccurrence", "--by", "profil", *args)
    assert bad.exit_code == 1 and message in bad.stderr
    assert not list(tmp_path.glob("*.png"))


def test_many_codes_network_is_larger_and_names_run_along_the_radius(tmp_path):
    rng = np.random.default_rng(3)
    names = [f"code numéro {k}" for k in range(12)]
    presence = rng.random((60, 12)) < 0.3
    membership = np.zeros((60, 2), dtype=bool)
    membership[:30, 0] = membership[30:, 1] = True
    result = CooccurrenceResult("profil", "segment", "count", True, {},
                                cooccurrence_tables(presence, membership, ["a", "b"], names,
                                                    "count"))
    (path,) = plot_networks(result, tmp_path / "many.png", dpi=50, side_by_side=True)
    assert pixels(path)[0] == expected_pixels((2 * RADIAL_SIZE[0], RADIAL_SIZE[1]), 50)
    assert_drawn(path)
    svg = plot_networks(result, tmp_path / "many.svg")[1]
    # one line per name (not wrapped under the node) with its frequency
    n0 = int(presence[:30, 0].sum())
    assert f"code numéro 0 (n\u00a0=\u00a0{n0})" in svg_texts(svg)
