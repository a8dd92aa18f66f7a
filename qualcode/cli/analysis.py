"""`cooccurrence`, `crosstab`, `agreement`: the tables a thesis needs, in every format."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import ExcelOpt, JsonOpt, console, escape, session

if TYPE_CHECKING:
    from ..export.tables import Report

ByOpt = Annotated[str | None, typer.Option(
    "--by", metavar="ATTR",
    help="Agent attribute that makes the groups (e.g. profil); one table per value plus (all).")]
CodesOpt = Annotated[list[str] | None, typer.Option(
    "--codes", metavar="A,B",
    help="Codes to tabulate, comma-separated or repeated (default: top-level codes).")]
RollupOpt = Annotated[bool, typer.Option(
    "--rollup/--no-rollup",
    help="Count sub-codes in their parent code (default) or keep each code on its own.")]
CodersOpt = Annotated[list[str] | None, typer.Option(
    "--coder", "-c", metavar="NAME",
    help="Count only this coder's codings (repeatable; default: all coders).")]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", metavar="FORMAT",
    help="csv, md, tex, xlsx or json (default: tables on the terminal, or the suffix of -o).")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="PATH",
    help="Write to this file instead of stdout (required for xlsx).")]

LangOpt = Annotated[str | None, typer.Option(
    "--lang", metavar="fr|en",
    help="Language of labels, captions and notes (default: $QUALCODE_LANG, else en).")]
CaptionOpt = Annotated[str | None, typer.Option(
    "--caption", metavar="TEXT",
    help="Caption replacing the generated one (LaTeX caption, Markdown heading, XLSX title).")]
DpiOpt = Annotated[int, typer.Option(
    "--dpi", metavar="N", help="Resolution of PNG figures (300 for print).")]

MAX_TERMINAL_WARNINGS = 5


def command_line() -> str | None:
    """The command as typed, for the provenance note; None when not run as qualcode."""
    import shlex
    import sys

    program = Path(sys.argv[0]) if sys.argv else Path()
    if not (program.stem == "qualcode"  # the console script
            or (program.name == "__main__.py" and program.parent.name == "qualcode")):
        return None  # a notebook, a test runner: no command line to quote
    return shlex.join(["qualcode", *sys.argv[1:]])


def _status(message: str) -> None:
    """A status line on stderr, never wrapped (paths stay copyable)."""
    typer.echo(message, err=True)


def _emit(report: Report, fmt_name: str | None, output: Path | None, json_: bool,
          excel: bool = False) -> None:
    """Print or write a report in the chosen format; terminal tables by default."""
    from ..export.render import choose_format, write_report

    chosen = "json" if json_ else choose_format(fmt_name, output)
    if excel and chosen in (None, "csv"):
        chosen = "csv"  # --excel alone means CSV
    elif excel:
        raise typer.BadParameter("--excel writes CSV", param_hint=f"--format {chosen}")
    if chosen is None:
        _print_tables(report)
        return
    text = write_report(report, chosen, output, excel=excel)
    if text is not None:
        typer.echo(text, nl=False)
    else:
        _status(f"Wrote {output} ({chosen}).")


def _print_tables(report: Report) -> None:
    from rich.table import Table

    from ..export.tables import TEXT, fmt
    from ..i18n import t as say

    out = console()
    lang = report.lang
    for t in report.tables:
        out.print(f"[bold]{escape(t.title)}[/]", soft_wrap=True)
        header = list(t.header)
        cells = [[fmt(v, k, lang) for v, k in zip(row, t.kinds, strict=True)] for row in t.rows]
        if _fits(_widths(header, cells), out.width):
            widths = _widths(header, cells)
        else:
            if _is_square(header, cells):  # a code matrix: number the codes, short columns
                header = [header[0], *(str(i) for i in range(1, len(header)))]
                cells = [[f"{i}. {row[0]}", *row[1:]] for i, row in enumerate(cells, 1)]
            widths = _widths(header, cells, wrap=True)
        for columns in _column_blocks(widths, out.width):
            table = Table()
            for j in columns:
                # text (code names) stays on one line; numbers never vanish into a thin
                # column; when space is short, headers wrap at spaces, never inside a word
                text = t.kinds[j] == TEXT
                table.add_column(escape(header[j]), justify="left" if text else "right",
                                 no_wrap=text, width=widths[j] - 3)
            for row in cells:
                table.add_row(*(escape(row[j]) for j in columns))
            out.print(table)
        if t.base:
            out.print(f"[dim]{escape(say('base', lang, text=t.base))}[/]", soft_wrap=True)
        for remark in t.remarks:
            out.print(escape(say("note", lang, text=remark)), soft_wrap=True)
        for note in t.notes[:MAX_TERMINAL_WARNINGS]:
            out.print(f"[yellow]{escape(say('warning', lang, text=note))}[/]", soft_wrap=True)
        if len(t.notes) > MAX_TERMINAL_WARNINGS:
            out.print(f"[yellow]... and {len(t.notes) - MAX_TERMINAL_WARNINGS} more warnings "
                      "(see --json)[/]")
        out.print()


def _widths(header: list[str], cells: list[list[str]], wrap: bool = False) -> list[int]:
    """Each column's width on screen: content, two spaces of padding and one border; with
    ``wrap``, headers after the first may wrap at spaces (their longest word counts)."""
    def head(j: int) -> int:
        if wrap and j > 0:
            return max(map(len, header[j].split() or [""]))
        return len(header[j])

    return [max([head(j), *(len(row[j]) for row in cells)]) + 3 for j in range(len(header))]


def _fits(widths: list[int], width: int) -> bool:
    return sum(widths) + 1 <= width


def _is_square(header: list[str], cells: list[list[str]]) -> bool:
    return [row[0] for row in cells] == header[1:]


def _column_blocks(widths: list[int], width: int) -> list[list[int]]:
    """Columns in blocks that fit the terminal, each block repeating the first column (the
    codes), like a wide data frame printed in parts; one block when everything fits."""
    blocks: list[list[int]] = [[0]]
    used = widths[0] + 1
    for j in range(1, len(widths)):
        if used + widths[j] > width and len(blocks[-1]) > 1:
            blocks.append([0])
            used = widths[0] + 1
        blocks[-1].append(j)
        used += widths[j]
    return blocks


def cooccurrence(
    by: ByOpt = None,
    unit: Annotated[str, typer.Option(
        metavar="UNIT", help="segment, document or agent.")] = "segment",
    measure: Annotated[str, typer.Option(
        metavar="MEASURE", help="count, jaccard or row-pct.")] = "count",
    codes: CodesOpt = None,
    rollup: RollupOpt = True,
    coder: CodersOpt = None,
    format_: FormatOpt = None,
    output: OutputOpt = None,
    plot: Annotated[Path | None, typer.Option(
        metavar="FILE",
        help="Draw a heatmap per group: FILE.png|svg|pdf becomes FILE_<group>.png ...")] = None,
    side_by_side: Annotated[bool, typer.Option(
        "--side-by-side",
        help="--plot and --network draw the groups as panels of one figure FILE.")] = False,
    network: Annotated[Path | None, typer.Option(
        metavar="FILE", help="Draw a network per group (nodes: frequency, edges: Jaccard): "
                             "FILE.png|svg|pdf becomes FILE_<group>.png ...")] = None,
    min_jaccard: Annotated[float, typer.Option(
        metavar="X", min=0.0, max=1.0,
        help="Leave edges under this Jaccard out of --network.")] = 0.05,
    dpi: DpiOpt = 300,
    test: Annotated[bool, typer.Option(
        "--test", help="Test each pair for a difference between the --by groups "
                       "(permutation test of the unit labels).")] = False,
    permutations: Annotated[int, typer.Option(
        metavar="N", min=1, help="Random arrangements for --test.")] = 999,
    seed: Annotated[int, typer.Option(
        metavar="N", help="Seed of --test's arrangements (same seed, same p-values).")
    ] = 20_240_917,
    json_: JsonOpt = False,
    excel: ExcelOpt = False,
    lang: LangOpt = None,
    caption: CaptionOpt = None,
) -> None:
    """Code co-occurrence per unit, one table for (all) and one per value of --by.

    Example: qualcode cooccurrence --by profil --measure jaccard --format tex -o cooc.tex
    """
    from ..analysis.service import cooccurrence_report
    from ..analysis.units import split_codes
    from ..export.permutation import add_permutation
    from ..export.tables import cooccurrence_report as to_report
    from ..i18n import lang_of

    language = lang_of(lang)
    with session() as s:
        result = cooccurrence_report(s, by=by, unit=unit, measure=measure,
                                     codes=split_codes(codes), rollup=rollup, coders=coder,
                                     test=test, permutations=permutations, seed=seed)
    if plot is not None:
        from ..export.plot import plot_heatmaps

        for path in plot_heatmaps(result, plot, dpi=dpi, lang=language, side_by_side=side_by_side):
            _status(f"Wrote {path}")
    if network is not None:
        from ..export.network import plot_networks

        for path in plot_networks(result, network, dpi=dpi, lang=language, min_jaccard=min_jaccard,
                                  side_by_side=side_by_side):
            _status(f"Wrote {path}")
    _emit(add_permutation(to_report(result, language, caption, command_line()), result,
                          language),
          format_, output, json_, excel)


def crosstab(
    by: Annotated[str, typer.Option("--by", metavar="ATTR",
                                    help="Agent attribute (e.g. profil).")],
    measure: Annotated[str, typer.Option(
        metavar="MEASURE",
        help="segments or agents (distinct agents); both are in csv and json.")] = "segments",
    percent: Annotated[str, typer.Option(
        metavar="WHICH",
        help="col (share of the group's units), row (share of the code's units), both or none."
    )] = "col",
    codes: CodesOpt = None,
    rollup: RollupOpt = True,
    coder: CodersOpt = None,
    format_: FormatOpt = None,
    output: OutputOpt = None,
    plot: Annotated[Path | None, typer.Option(
        metavar="FILE", help="Draw grouped bars (FILE.png|svg|pdf): counts, or the "
                             "percentages of --percent col|row.")] = None,
    dpi: DpiOpt = 300,
    json_: JsonOpt = False,
    excel: ExcelOpt = False,
    lang: LangOpt = None,
    caption: CaptionOpt = None,
) -> None:
    """Codes x attribute values: segments and distinct agents per cell, with percentages.

    Example: qualcode crosstab --by profil --percent both --format md
    """
    from ..analysis.service import CROSSTAB_MEASURES, PERCENTS, crosstab_report
    from ..analysis.units import split_codes
    from ..errors import InvalidInput
    from ..export.tables import crosstab_report as to_report
    from ..i18n import lang_of

    language = lang_of(lang)
    if measure not in CROSSTAB_MEASURES:
        raise InvalidInput(f"unknown measure {measure!r}",
                           f"use one of {', '.join(CROSSTAB_MEASURES)}")
    if percent not in PERCENTS:
        raise InvalidInput(f"unknown --percent {percent!r}", f"use one of {', '.join(PERCENTS)}")
    with session() as s:
        result = crosstab_report(s, by=by, codes=split_codes(codes), rollup=rollup,
                                 coders=coder)
    if plot is not None:
        from ..export.bars import plot_bars

        drawn = plot_bars(result, plot, measure=measure, percent=percent, dpi=dpi, lang=language)
        _status(f"Wrote {drawn}")
    _emit(to_report(result, measure, percent, language, caption, command_line()), format_,
          output, json_, excel)


def agreement(
    coders: Annotated[tuple[str, str] | None, typer.Option(
        "--coders", metavar="A B", help="The two coders to compare: --coders A B.")] = None,
    codes: CodesOpt = None,
    rollup: Annotated[bool, typer.Option(
        "--rollup", help="Compare top-level codes (sub-codes rolled up) instead of each code.")
    ] = False,
    limit: Annotated[int, typer.Option(
        "--limit", metavar="N", min=0,
        help="List the first N disagreements (the statistics count them all).")] = 100,
    all_: Annotated[bool, typer.Option(
        "--all", help="List every disagreement (at corpus scale, hundreds of thousands).")
    ] = False,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", metavar="N", min=0,
        help="Resamples of the segments for the 95% intervals of kappa, alpha and AC1 "
             "(fixed seed: reproducible); 0 skips them.")] = 1000,
    format_: FormatOpt = None,
    output: OutputOpt = None,
    json_: JsonOpt = False,
    excel: ExcelOpt = False,
    lang: LangOpt = None,
    caption: CaptionOpt = None,
) -> None:
    """Agreement of two coders per code and overall: percent, Cohen's kappa, Krippendorff's alpha,
    Gwet's AC1 with bootstrap 95% intervals, and each code's prevalence.

    Example: qualcode agreement --coders alice bob --format md -o accord.md
    """
    from ..analysis.service import agreement_report
    from ..analysis.units import split_codes
    from ..export.tables import agreement_report as to_report
    from ..i18n import lang_of

    language = lang_of(lang)
    with session() as s:
        result = agreement_report(s, coders=list(coders or ()), codes=split_codes(codes),
                                  rollup=rollup, limit=None if all_ else limit,
                                  bootstrap=bootstrap)
    report = to_report(result, language, caption, command_line())
    _emit(report, format_, output, json_, excel)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.command("cooccurrence")(cooccurrence)
    app.command("crosstab")(crosstab)
    app.command("agreement")(agreement)
