"""Code-by-profile bar charts: one cluster of bars per code, one bar per group.

What the bars show follows the crosstab's ``--percent``: the share of the group's units
(``col``, the default and the comparable one when groups differ in size), the share of the
code's units (``row``), or plain counts (``none``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..i18n import t
from .plot import (
    DEFAULT_DPI,
    check_lang,
    check_plot_path,
    pyplot,
    quarter,
    save,
    wrap_name,
)

# a colour-blind-safe qualitative palette (Okabe and Ito)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")


def _word(key: str, lang: str, **fmt: Any) -> str:
    return t(f"bar.{key}", "fr" if lang == "fr" else "en", **fmt)


def bar_size(n_codes: int, n_groups: int) -> tuple[float, float]:
    """Figure size in inches: wider with more codes and groups."""
    return quarter(max(6.0, 1.0 + n_codes * (0.35 * n_groups + 0.45))), 4.75


def bar_values(result: Any, measure: str, percent: str) -> tuple[Any, str]:
    """Codes x groups (without the total) and which quantity: count, col or row."""
    which = {"none": "count", "col": "col", "both": "col", "row": "row"}[percent]
    values = (result.counts(measure) if which == "count" else
              result.col_pct(measure) if which == "col" else result.row_pct(measure))
    return values[:, :-1], which


def plot_bars(result: Any, path: Path, *, measure: str = "segments", percent: str = "col",
              dpi: int = DEFAULT_DPI, lang: str = "en") -> Path:
    """Grouped bars of a CrosstabResult in ``path`` (png, svg or pdf)."""
    from matplotlib.ticker import MaxNLocator

    check_plot_path(path, dpi)
    lang = check_lang(lang)
    values, which = bar_values(result, measure, percent)
    groups = result.groups[:-1]
    bases = (result.group_segments if measure == "segments" else result.group_agents)[:-1]
    units = _word(measure, lang)
    n_codes, n_groups = values.shape
    width = 0.8 / max(n_groups, 1)
    with pyplot() as plt:
        fig = plt.figure(figsize=bar_size(n_codes, n_groups), layout="constrained")
        ax = fig.add_subplot()
        for g, (group, n) in enumerate(zip(groups, bases, strict=True)):
            xs = [c + (g - (n_groups - 1) / 2) * width for c in range(n_codes)]
            bars = ax.bar(xs, values[:, g], width * 0.92, color=PALETTE[g % len(PALETTE)],
                          label=_word("legend", lang, group=group, n=n))
            labels = [f"{v:.0f}" for v in values[:, g]]  # a bar label needs no decimals
            ax.bar_label(bars, labels=labels, fontsize=7, padding=1.5)
        ax.set_xticks(range(n_codes), labels=[wrap_name(c, 14) for c in result.codes],
                      fontsize=8)
        ax.set_ylabel(_word(which, lang, units=units), fontsize=9)
        if which == "count":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(axis="y", labelsize=8)
        ax.set_ylim(0, max(float(values.max(initial=0)) * 1.12, 1.0))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.yaxis.grid(True, color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        # beside the plot: a legend inside would hide the tallest bars sooner or later
        ax.legend(title=result.by, fontsize=8, title_fontsize=8, frameon=False,
                  loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_title(_word("title", lang, by=result.by), fontsize=11)
        if which == "row":
            fig.supxlabel(_word("note.row", lang), fontsize=7, color="#555555", x=0.01,
                          ha="left")
        save(plt, fig, path, dpi)
    return path
