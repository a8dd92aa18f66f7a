"""Co-occurrence networks: codes as nodes sized by frequency, edges weighted by Jaccard.

The layout is a circle in codebook order: the same codes land in the same places in every
group's figure and every run, so two groups can be laid side by side and compared. Edges
below a Jaccard threshold are left out (they would only grey the picture); the others are
drawn with a width and a darkness that grow with the coefficient, and labelled with it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..i18n import t as say
from .plot import (
    ALL_GROUP,
    DEFAULT_DPI,
    NBSP,
    check_lang,
    check_plot_path,
    group_title,
    heatmap_paths,
    pyplot,
    save,
    word,
    wrap_name,
)

DEFAULT_MIN_JACCARD = 0.05
RADIAL = 10  # more codes than this: names written along the radius


def network_size(n_codes: int) -> tuple[float, float]:
    """Figure size in inches of one network."""
    return RADIAL_SIZE if n_codes > RADIAL else NETWORK_SIZE
NETWORK_SIZE = (7.0, 6.5)  # inches: 2100 x 1950 pixels at 300 dpi
RADIAL_SIZE = (8.5, 8.0)  # more codes, names along the radius: more room
MAX_NODE_AREA = 2600.0  # points^2 of the most frequent code
MAX_EDGE_WIDTH = 8.0  # points added for the strongest edge of the figure's groups



def _word(key: str, lang: str, **fmt: Any) -> str:
    return say(f"net.{key}", "fr" if lang == "fr" else "en", **fmt)


def _decimal(value: float, lang: str) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if lang == "fr" else text


def circle_layout(n: int) -> list[tuple[float, float]]:
    """``n`` points on the unit circle, the first at the top, then clockwise."""
    return [(math.sin(2 * math.pi * k / n), math.cos(2 * math.pi * k / n)) for k in range(n)]


def network_edges(counts: Any, threshold: float) -> list[tuple[int, int, float]]:
    """(i, j, jaccard) for i < j with a Jaccard of at least ``threshold`` (and above 0)."""
    from ..analysis.cooccurrence import apply_measure

    jac = apply_measure(counts, "jaccard")
    n = len(jac)
    return [(i, j, float(jac[i, j])) for i in range(n) for j in range(i + 1, n)
            if jac[i, j] > 0 and jac[i, j] >= threshold - 1e-12]


def plot_networks(result: Any, path: Path, *, dpi: int = DEFAULT_DPI, lang: str = "en",
                  min_jaccard: float = DEFAULT_MIN_JACCARD, side_by_side: bool = False
                  ) -> list[Path]:
    """One network per table of a CooccurrenceResult, beside ``path`` like the heatmaps
    (``network_all.png``, ``network_social.png``), or with ``side_by_side`` the groups
    (without (all)) as panels of the one file ``path``. The groups share the scales of node
    areas and edge widths. Edges are Jaccard coefficients whatever the result's measure
    (computed from its counts)."""
    import numpy as np

    from ..analysis.cooccurrence import apply_measure

    check_plot_path(path, dpi)
    lang = check_lang(lang)
    if not 0 <= min_jaccard <= 1:
        raise ValueError("min_jaccard is a Jaccard coefficient, between 0 and 1")
    groups = [t for t in result.tables if t.group != ALL_GROUP]

    def scale(tables: list[Any]) -> tuple[int, float]:
        """(largest code frequency, largest Jaccard off the diagonal) over ``tables``."""
        top, strongest = 1, 0.0
        for t in tables:
            top = max(top, int(t.counts.diagonal().max(initial=0)))
            jac = apply_measure(t.counts, "jaccard")
            jac[np.eye(len(jac), dtype=bool)] = 0
            strongest = max(strongest, float(jac.max(initial=0)))
        return top, strongest

    shared = scale(groups)
    with pyplot() as plt:
        if side_by_side:
            panels = groups or result.tables
            width, height = network_size(len(panels[0].codes))
            fig = plt.figure(figsize=(width * len(panels), height), layout="constrained")
            axes = fig.subplots(1, len(panels), squeeze=False)[0]
            top, strongest = shared if groups else scale(panels)
            for ax, table in zip(axes, panels, strict=True):
                _draw(plt, ax, result, table, lang, min_jaccard, top, strongest)
            _note(fig, result, lang, top, min_jaccard, strongest)
            save(plt, fig, path, dpi)
            return [path]
        paths = heatmap_paths(path, [t.group for t in result.tables]) \
            if len(result.tables) > 1 else [path]
        for table, out in zip(result.tables, paths, strict=True):
            top, strongest = scale([table]) if table.group == ALL_GROUP or not groups \
                else shared
            fig = plt.figure(figsize=network_size(len(table.codes)), layout="constrained")
            _draw(plt, fig.add_subplot(), result, table, lang, min_jaccard, top, strongest)
            _note(fig, result, lang, top, min_jaccard, strongest)
            save(plt, fig, out, dpi)
    return paths


def _note(fig: Any, result: Any, lang: str, top: int, threshold: float,
          strongest: float) -> None:
    fig.supxlabel(_word("note", lang, units=word(result.unit, lang), top=top,
                        threshold=_decimal(threshold, lang),
                        strongest=_decimal(strongest, lang)),
                  fontsize=7, color="#555555", x=0.01, ha="left")


def _draw(plt: Any, ax: Any, result: Any, table: Any, lang: str, threshold: float, top: int,
          strongest: float) -> None:
    """One group's network on ``ax``: the codes on a circle, the edges over the threshold."""
    n = len(table.codes)
    points = circle_layout(n)
    freq = [int(v) for v in table.counts.diagonal()]
    ax.set_aspect("equal")
    ax.axis("off")
    # room around the circle for the names, which are drawn outside it; past RADIAL codes
    # the names run outward along the radius, where neighbours cannot collide
    radial = n > RADIAL
    room = 2.05 if radial else 1.75
    ax.set_xlim(-room, room)
    ax.set_ylim(-room + 0.15, room - 0.15)
    cmap = plt.get_cmap("Blues")
    edges = network_edges(table.counts, threshold)
    strongest = max(strongest, 1e-9)
    for i, j, jac in sorted(edges, key=lambda e: e[2]):  # strong edges drawn last, on top
        (x1, y1), (x2, y2) = points[i], points[j]
        rel = min(jac / strongest, 1.0)
        ax.plot([x1, x2], [y1, y2], color=cmap(0.35 + 0.6 * rel),
                linewidth=0.8 + MAX_EDGE_WIDTH * rel, solid_capstyle="round", zorder=1)
        # the label sits on the edge, a little off the middle so that crossing edges at the
        # centre of the circle do not stack their labels
        mx, my = x1 + 0.42 * (x2 - x1), y1 + 0.42 * (y2 - y1)
        ax.text(mx, my, _decimal(jac, lang), fontsize=7, ha="center", va="center", zorder=3,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                      "edgecolor": "none", "alpha": 0.85})
    # nodes shrink when there are many, so that neighbours on the circle do not touch
    largest = MAX_NODE_AREA * min(1.0, (8 / max(n, 1)) ** 2)
    areas = [max(largest * f / top, 12.0) for f in freq]
    ax.scatter([p[0] for p in points], [p[1] for p in points], s=areas, color="#f4a261",
               edgecolors="#7a4a1c", linewidths=0.8, zorder=2)
    for (x, y), name, f, area in zip(points, table.codes, freq, areas, strict=True):
        # outward from the node's rim, in points: the label never covers its node
        reach = math.sqrt(area) / 2 + 5
        if radial:
            angle = math.degrees(math.atan2(y, x))
            ax.annotate(f"{wrap_name(name, 22)} (n{NBSP}={NBSP}{f})", (x, y),
                        xytext=(x * reach, y * reach), textcoords="offset points", fontsize=7,
                        zorder=4,
                        rotation=angle if x >= 0 else angle - 180,
                        ha="left" if x >= 0 else "right", va="center",
                        rotation_mode="anchor", annotation_clip=False)
            continue
        ha = "center" if abs(x) < 0.1 else "left" if x > 0 else "right"
        va = "center" if abs(y) < 0.5 else "bottom" if y > 0 else "top"
        ax.annotate(f"{wrap_name(name, 18)}\n(n{NBSP}={NBSP}{f})", (x, y),
                    xytext=(x * reach, y * reach), textcoords="offset points", fontsize=8,
                    ha=ha, va=va, zorder=4, annotation_clip=False)
    if not edges:
        ax.text(0, 0, _word("none", lang, threshold=_decimal(threshold, lang)), fontsize=8,
                ha="center", va="center", color="#777777")
    ax.set_title(group_title(result.by, table.group, table.units, result.unit, lang),
                 fontsize=11)
