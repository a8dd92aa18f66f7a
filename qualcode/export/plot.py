"""Heatmaps of co-occurrence tables (matplotlib with the Agg backend, imported only here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import InvalidInput

PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def _group_slug(group: str) -> str:
    slug = re.sub(r"[^\w-]+", "_", group, flags=re.UNICODE).strip("_")
    return slug or "group"


def heatmap_paths(path: Path, groups: list[str]) -> list[Path]:
    """One file per group beside ``path``: heatmap.png -> heatmap_all.png, heatmap_social.png."""
    out, seen = [], set()
    for group in groups:
        slug = _group_slug(group)
        candidate, i = slug, 2
        while candidate.casefold() in seen:
            candidate, i = f"{slug}_{i}", i + 1
        seen.add(candidate.casefold())
        out.append(path.with_name(f"{path.stem}_{candidate}{path.suffix}"))
    return out


def plot_heatmaps(result: Any, path: Path) -> list[Path]:
    """Draw each group's matrix of a CooccurrenceResult, values written in the cells."""
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise InvalidInput(f"cannot draw {path.name}",
                           f"name the plot file {', '.join('*' + s for s in PLOT_SUFFIXES)}")
    if not path.parent.exists():
        raise InvalidInput(f"folder {path.parent} does not exist", "create it first")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = heatmap_paths(path, [t.group for t in result.tables])
    # SVG text stays text (editable, searchable, accents intact) instead of outlines.
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        for table, out in zip(result.tables, paths, strict=True):
            _draw(plt, result, table, out)
    return paths


def _draw(plt: Any, result: Any, table: Any, out: Path) -> None:
    """One heatmap: the group's matrix with its values written in the cells."""
    import numpy as np

    n = len(table.codes)
    size = max(4.0, 0.55 * n + 2.5)
    fig, ax = plt.subplots(figsize=(size, size * 0.9))
    matrix = table.matrix.astype(float)
    # The diagonal (each code's own frequency) would swamp the colour scale of the pairs:
    # it is drawn grey, with its value.
    diagonal = np.eye(n, dtype=bool)
    shown = np.ma.masked_array(matrix, mask=diagonal) if n > 1 else np.ma.masked_array(matrix)
    vmax = float(shown.max()) if shown.count() and shown.max() > 0 else 1.0
    cmap = plt.get_cmap("Blues").with_extremes(bad="#dddddd")
    image = ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax)
    ax.set_xticks(range(n), labels=table.codes, rotation=45, ha="right")
    ax.set_yticks(range(n), labels=table.codes)
    font = 9 if n <= 12 else 6
    for i in range(n):
        for j in range(n):
            value = matrix[i, j]
            text = (f"{int(value)}" if result.measure == "count"
                    else f"{value:.1f}" if result.measure == "row-pct" else f"{value:.2f}")
            ax.text(j, i, text, ha="center", va="center", fontsize=font,
                    color="white" if not diagonal[i, j] and value > 0.6 * vmax else "black")
    where = table.group if not result.by or table.group == "(all)" \
        else f"{result.by} = {table.group}"
    plural = "" if table.units == 1 else "s"
    ax.set_title(f"{where}: {table.units} {result.unit}{plural}, {result.measure}")
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(out, dpi=150)
    plt.close(fig)
