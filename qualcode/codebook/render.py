"""The codebook as a thesis appendix: Markdown and LaTeX (UTF-8, accents kept), with its
labels in French or English (``lang``, see :mod:`qualcode.i18n`)."""

from __future__ import annotations

import re

from ..i18n import DEFAULT_LANG, NBSP, Lang, t
from .model import Codebook, CodeSpec

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}",
    # wrong glyphs (¡ ¿ —) in the default OT1 font encoding otherwise
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_TEX_HEADINGS = ("subsection*", "subsubsection*", "paragraph*", "subparagraph*")


def md_escape(text: str) -> str:
    """Markdown-inert text: inline markup characters escaped, no line starts a heading/list."""
    lines = []
    for line in _MD_SPECIAL.sub(r"\\\1", text).split("\n"):
        if re.match(r"\s*\d+[.)] ", line):
            line = re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", line)
        elif re.match(r"\s*(#|>|[-+] )", line):
            line = "\\" + line.lstrip()
        lines.append(line)
    return "\n".join(lines)


def tex_escape(text: str) -> str:
    """LaTeX-safe text: special characters escaped; other characters kept as UTF-8."""
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)


def _title(book: Codebook, lang: Lang = DEFAULT_LANG) -> str:
    title = book.name or t("cb.title", lang)
    return t("cb.versioned", lang, title=title, version=book.version) if book.version else title


def _colon(lang: Lang) -> str:
    return f"{NBSP}:" if lang == "fr" else ":"


def to_markdown(book: Codebook, lang: Lang = DEFAULT_LANG) -> str:
    colon = _colon(lang)
    out = [f"# {md_escape(_title(book, lang))}", ""]
    if book.description:
        out.extend([md_escape(book.description), ""])

    def code(c: CodeSpec, depth: int, path: list[str]) -> None:
        level = depth + 2
        name = md_escape(c.name)
        if level <= 6:
            out.append(f"{'#' * level} {name}")
        else:  # Markdown stops at six levels: deeper codes show their path
            out.append(f"**{md_escape(' › '.join([*path, c.name]))}**")
        out.append("")
        if c.colour:
            out.extend([f"{t('cb.colour', lang)}{colon} `{c.colour}`", ""])
        if not c.is_codable:
            out.extend([f"*{t('cb.category', lang)} ({t('cb.not_coded', lang)}).*", ""])
        for key, text in (("cb.definition", c.description), ("cb.inclusion", c.inclusion),
                          ("cb.exclusion", c.exclusion)):
            if text:
                out.extend([f"**{t(key, lang)}.** {md_escape(text)}", ""])
        if c.examples:
            out.extend([f"**{t('cb.examples', lang)}.**", ""])
            for example in c.examples:
                out.extend(["> " + line for line in md_escape(example).split("\n")])
                out.append("")
        if c.keywords:
            out.extend([f"**{t('cb.keywords', lang)}{colon}** "
                        + ", ".join(md_escape(k) for k in c.keywords), ""])
        for child in c.children:
            code(child, depth + 1, [*path, c.name])

    for top in book.codes:
        code(top, 0, [])
    return "\n".join(out).rstrip("\n") + "\n"


def to_latex(book: Codebook, lang: Lang = DEFAULT_LANG) -> str:
    """A fragment to `\\input` in a thesis (needs UTF-8 input, the default since LaTeX 2018)."""
    out = [f"% {t('cb.comment', lang)}",
           f"\\section*{{{tex_escape(_title(book, lang))}}}", ""]
    if book.description:
        out.extend([tex_escape(book.description), ""])

    def code(c: CodeSpec, depth: int, path: list[str]) -> None:
        heading = _TEX_HEADINGS[min(depth, len(_TEX_HEADINGS) - 1)]
        title = c.name if depth < len(_TEX_HEADINGS) else " > ".join([*path, c.name])
        out.append(f"\\{heading}{{{tex_escape(title)}}}")
        items = []
        if not c.is_codable:
            items.append(f"\\item[{t('cb.category', lang)}] {t('cb.not_coded', lang)}")
        for key, text in (("cb.definition", c.description), ("cb.inclusion", c.inclusion),
                          ("cb.exclusion", c.exclusion)):
            if text:
                items.append(f"\\item[{t(key, lang)}] {tex_escape(text)}")
        if c.examples:
            quotes = "\n".join(f"  \\begin{{quote}}{tex_escape(e)}\\end{{quote}}"
                               for e in c.examples)
            items.append(f"\\item[{t('cb.examples', lang)}]\n{quotes}")
        if c.keywords:
            items.append(f"\\item[{t('cb.keywords', lang)}] "
                         + ", ".join(tex_escape(k) for k in c.keywords))
        if c.colour:
            items.append(f"\\item[{t('cb.colour', lang)}] \\texttt{{{tex_escape(c.colour)}}}")
        if items:
            out.extend(["\\begin{description}", *items, "\\end{description}"])
        out.append("")
        for child in c.children:
            code(child, depth + 1, [*path, c.name])

    for top in book.codes:
        code(top, 0, [])
    return "\n".join(out).rstrip("\n") + "\n"
