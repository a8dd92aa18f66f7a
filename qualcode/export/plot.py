"""Heatmaps of co-occurrence tables (matplotlib with the Agg backend, imported only here).

Figures are meant to go into a thesis as they are: one colour scale shared by the groups of a
figure (so two groups can be compared by eye), integer ticks for counts, a labelled colour
bar, the diagonal (each code's own frequency) drawn apart and explained under the plot,
wrapped code names, labels in French or English, 300 dpi by default.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidInput
from ..i18n import t

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
DEFAULT_DPI = 300
Lang = Literal["fr", "en"]
LANGS = ("fr", "en")
ALL_GROUP = "(all)"
NBSP = "\u00a0"  # French typography: a non-breaking space before ':' and '%'
DIAGONAL_GREY = "#d9d9d9"
WRAP = 16  # characters per line of a code name on an axis



def word(key: str, lang: str, **fmt: Any) -> str:
    """A figure word in ``lang`` (fr or en), its placeholders filled."""
    return t(f"fig.{key}", "fr" if lang == "fr" else "en", **fmt)


def check_lang(lang: str) -> Lang:
    if lang not in LANGS:
        raise InvalidInput(f"unknown language {lang!r}", "use --lang fr or --lang en")
    return "fr" if lang == "fr" else "en"


def wrap_name(name: str, width: int = WRAP) -> str:
    """A code name on lines of about ``width`` characters, broken at spaces only (a word
    longer than a line stays whole: « déqualification » must not lose its last letter)."""
    return "\n".join(textwrap.wrap(name, width, break_long_words=False,
                                   break_on_hyphens=False)) or name


def group_title(by: str | None, group: str, n: int, unit: str, lang: str) -> str:
    units = word(unit, lang)
    if group == ALL_GROUP or not by:
        return word("title.all", lang, units=units, n=n)
    return word("title", lang, where=f"{by} = {group}", n=n, units=units)


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


def check_plot_path(path: Path, dpi: int) -> None:
    """The file can be drawn: a known suffix, an existing folder, a sensible resolution."""
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise InvalidInput(f"cannot draw {path.name}",
                           f"name the plot file {', '.join('*' + s for s in PLOT_SUFFIXES)}")
    if not path.parent.exists():
        raise InvalidInput(f"folder {path.parent} does not exist", "create it first")
    if not 50 <= dpi <= 1200:
        raise InvalidInput(f"--dpi {dpi} is out of range", "use 300 for print, 150 for screens")


@contextmanager
def pyplot() -> Iterator[Any]:
    """matplotlib.pyplot on the Agg backend, with SVG text kept as text (editable,
    searchable, accents intact) and PDF fonts embedded as TrueType."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42,
                                "font.family": "DejaVu Sans"}):
        yield plt


def save(plt: Any, fig: Any, out: Path, dpi: int) -> None:
    """Write at ``dpi`` without cropping: the pixel size is the figure size times ``dpi``."""
    fig.savefig(out, dpi=dpi, metadata=_metadata(out))
    plt.close(fig)


def _metadata(out: Path) -> dict[str, str] | None:
    # No creation date in SVG/PDF: the same data gives the same file, which diffs cleanly.
    suffix = out.suffix.lower()
    if suffix == ".svg":
        return {"Date": None}  # type: ignore[dict-item]
    if suffix == ".pdf":
        return {"CreationDate": None}  # type: ignore[dict-item]
    return None


# --- heatmaps ---------------------------------------------------------------------------------


def shared_scale(result: Any, tables: list[Any]) -> tuple[float, float]:
    """(vmin, vmax) common to ``tables``: 0 to the largest value off the diagonal."""
    import numpy as np

    top = 0.0
    for table in tables:
        n = len(table.codes)
        off = table.matrix[~np.eye(n, dtype=bool)] if n > 1 else np.zeros(0)
        if off.size:
            top = max(top, float(off.max()))
    if top <= 0:
        top = 1.0
    if result.measure == "count":
        top = float(max(1, math.ceil(top)))
    return 0.0, top


def _scales(result: Any) -> list[tuple[float, float]]:
    """The scale of each table: the groups share one; (all), a sum of them, has its own."""
    groups = [t for t in result.tables if t.group != ALL_GROUP]
    shared = shared_scale(result, groups) if groups else (0.0, 1.0)
    return [shared_scale(result, [t]) if t.group == ALL_GROUP else shared
            for t in result.tables]


def heatmap_size(n_codes: int, panels: int = 1) -> tuple[float, float]:
    """Figure size in inches for ``panels`` matrices of ``n_codes`` codes side by side."""
    # cells shrink as codes grow so that 20 codes still fit a printed page (about 8 inches)
    cell = max(0.34, 0.62 - 0.015 * n_codes)
    side = max(3.2, cell * n_codes + 1.6)
    return quarter(side * panels + 1.6), quarter(side + 1.6)


def quarter(inches: float) -> float:
    """Rounded to a quarter inch: times any integer dpi, an exact number of pixels."""
    return round(inches * 4) / 4


def _cell_text(value: float, measure: str, lang: str) -> str:
    text = (f"{int(round(value))}" if measure == "count"
            else f"{value:.0f}" if measure == "row-pct" else f"{value:.2f}")
    return text.replace(".", ",") if lang == "fr" else text


def _draw_matrix(plt: Any, ax: Any, result: Any, table: Any, scale: tuple[float, float],
                 lang: str, show_rows: bool = True) -> Any:
    """One matrix on ``ax``: pairs in colour, the diagonal grey with each code's frequency."""
    import numpy as np

    n = len(table.codes)
    diagonal = np.eye(n, dtype=bool)
    shown = np.ma.masked_array(table.matrix.astype(float), mask=diagonal)
    cmap = plt.get_cmap("Blues").with_extremes(bad=DIAGONAL_GREY)
    image = ax.imshow(shown, cmap=cmap, vmin=scale[0], vmax=scale[1])
    names = [wrap_name(c) for c in table.codes]
    font = 8 if n <= 8 else 7 if n <= 12 else 5.5
    label_font = max(font, 6.5)
    # slanted names on one line: wrapped lines would collide with their neighbours
    ax.set_xticks(range(n), labels=[wrap_name(c, 32) for c in table.codes], rotation=45,
                  ha="right", rotation_mode="anchor", fontsize=label_font)
    ax.set_yticks(range(n), labels=names if show_rows else [], fontsize=label_font)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(n + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    freq = np.diag(table.counts)
    for i in range(n):
        for j in range(n):
            if i == j:  # the code's frequency, whatever the measure
                ax.text(j, i, f"{int(freq[i])}", ha="center", va="center", fontsize=font,
                        color="#333333", fontstyle="italic")
                continue
            value = float(table.matrix[i, j])
            dark = value > scale[0] + 0.6 * (scale[1] - scale[0])
            # zeros in light grey: the pairs that do occur stand out in a large matrix
            ax.text(j, i, _cell_text(value, result.measure, lang), ha="center", va="center",
                    fontsize=font,
                    color="white" if dark else "#b0b0b0" if value == 0 else "black")
    ax.set_title(group_title(result.by, table.group, table.units, result.unit, lang),
                 fontsize=10)
    return image


def _colourbar(fig: Any, image: Any, axes: Any, result: Any, lang: str) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    units = word(result.unit, lang)
    bar = fig.colorbar(image, ax=axes, shrink=0.8, pad=0.03)
    bar.set_label(word(f"{result.measure}.bar", lang, units=units), fontsize=9)
    bar.ax.tick_params(labelsize=8)
    if result.measure == "count":
        bar.locator = MaxNLocator(integer=True)  # counts have no fractions
        bar.update_ticks()
    else:  # one number of decimals on every tick, a decimal comma in French
        digits = 2 if result.measure == "jaccard" else 0
        comma = lang == "fr"
        bar.formatter = FuncFormatter(
            lambda v, _pos: (f"{v:.{digits}f}".replace(".", ",") if comma
                             else f"{v:.{digits}f}"))
        bar.update_ticks()
    bar.ax.set_gid("colourbar")  # SVG: <g id="colourbar"> holds the scale's ticks


def _note(fig: Any, result: Any, lang: str, shared: bool) -> None:
    text = word("diagonal", lang, units=word(result.unit, lang))
    if shared:
        text += " · " + word("scale", lang)
    # supxlabel, unlike fig.text, gets its own room from the constrained layout
    fig.supxlabel(text, fontsize=7, color="#555555", x=0.01, ha="left")


def plot_heatmaps(result: Any, path: Path, *, dpi: int = DEFAULT_DPI, lang: str = "en",
                  side_by_side: bool = False) -> list[Path]:
    """Draw the matrices of a CooccurrenceResult: one file per group beside ``path``
    (``heatmap_<group>.png``), the groups on one colour scale; or, with ``side_by_side``,
    the groups (without (all)) as panels of the single file ``path`` with one colour bar."""
    check_plot_path(path, dpi)
    lang = check_lang(lang)
    with pyplot() as plt:
        if side_by_side:
            _draw_panels(plt, result, path, dpi, lang)
            return [path]
        paths = heatmap_paths(path, [t.group for t in result.tables])
        shared = sum(t.group != ALL_GROUP for t in result.tables) > 1
        for table, scale, out in zip(result.tables, _scales(result), paths, strict=True):
            fig = plt.figure(figsize=heatmap_size(len(table.codes)), layout="constrained")
            ax = fig.add_subplot()
            image = _draw_matrix(plt, ax, result, table, scale, lang)
            _colourbar(fig, image, ax, result, lang)
            _note(fig, result, lang, shared and table.group != ALL_GROUP)
            fig.get_layout_engine().set(h_pad=0.2)
            save(plt, fig, out, dpi)
    return paths


def _draw_panels(plt: Any, result: Any, path: Path, dpi: int, lang: str) -> None:
    tables = [t for t in result.tables if t.group != ALL_GROUP] or result.tables
    scale = shared_scale(result, tables)
    fig = plt.figure(figsize=heatmap_size(len(tables[0].codes), len(tables)),
                     layout="constrained")
    axes = fig.subplots(1, len(tables), squeeze=False)[0]
    image = None
    for k, (ax, table) in enumerate(zip(axes, tables, strict=True)):
        image = _draw_matrix(plt, ax, result, table, scale, lang, show_rows=k == 0)
    _colourbar(fig, image, list(axes), result, lang)
    _note(fig, result, lang, len(tables) > 1)
    fig.get_layout_engine().set(h_pad=0.2)
    save(plt, fig, path, dpi)
