"""Terminal rendering of the coding session (`qualcode code DOC`) with rich.

The session itself (``qualcode.coding.interactive``) draws nothing: it calls the view below,
and the full-screen interface (``qualcode.cli.tui``) reuses ``segment_text``.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape
from rich.text import Text

from ..coding.interactive import CodeItem, CodingModel, SegmentState, quote_span

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
EVIDENCE_STYLE = "bold underline"
SELECTION_STYLE = "reverse"
CURSOR_STYLE = "underline reverse"


def code_style(colour: str | None) -> str:
    if colour and re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
        return f"bold {colour}"
    return "bold magenta"


def segment_text(state: SegmentState, *, numbered: bool = False,
                 selection: tuple[int, int] | None = None,
                 cursor: tuple[int, int] | None = None) -> Text:
    """The segment's text with the evidence of its pending suggestions underlined in the
    suggested code's colour, an optional selection in reverse video, and, when ``numbered``,
    each word followed by its number in small digits (`guichet₆,`)."""
    text = Text(state.text)
    for suggestion in state.pending:
        colour = code_style(suggestion.colour).removeprefix("bold ")
        for start, end in suggestion.spans:
            text.stylize(f"{EVIDENCE_STYLE} {colour}", start, end)
    if selection is not None:
        text.stylize(SELECTION_STYLE, *selection)
    if cursor is not None:
        text.stylize(CURSOR_STYLE, *cursor)
    if not numbered or not state.words:
        return text
    cuts = [w.end for w in state.words]
    pieces = text.divide(cuts)
    out = Text()
    for i, piece in enumerate(pieces):
        out.append_text(piece)
        if i < len(state.words):
            out.append(str(state.words[i].number).translate(SUBSCRIPT), style="dim")
    return out


class RichView:
    """The line-mode view: prints to a rich console (or anything with ``print``)."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def codes(self, items: list[CodeItem]) -> None:
        self.out.print("[bold]codes[/]")
        for item in items:
            label = f"{item.number:>3}" if item.number is not None else "   "
            self.out.print(f"{label} {'  ' * item.depth}[{code_style(item.colour)}]"
                           f"{escape(item.name)}[/]" + ("" if item.number else " (heading)"))

    def segment(self, model: CodingModel, state: SegmentState, numbered: bool) -> None:
        out, seg = self.out, state.seg
        progress = (f" ({state.position} of {state.shown} to code)"
                    if state.shown != state.total else "")
        out.print(f"\n[bold cyan]{escape(model.doc_name)} · segment {seg.n}/{state.total}"
                  f"{progress}[/]")
        who = seg.speaker or ""
        if seg.is_interviewer:
            who += " (interviewer)"
        profiles = [name + (" (" + ", ".join(f"{k}: {v}" for k, v in attrs) + ")"
                            if attrs else "") for name, attrs in state.agents]
        if state.agents and [name for name, _a in state.agents] == [seg.speaker]:
            who = ""  # the agent's name already says who speaks
        line = " · ".join(p for p in [who, " & ".join(profiles)] if p)
        if line:
            out.print(f"[bold]{escape(line)}[/]")
        out.print(segment_text(state, numbered=numbered))
        if state.codings:
            shown = []
            for c in state.codings:
                extra = []
                if c.coder != model.coder:
                    extra.append(c.coder)
                if not c.whole:
                    extra.append(f"«{quote_span(state.text[c.start:c.end], 40)}»")
                suffix = f" ({', '.join(extra)})" if extra else ""
                shown.append(f"[{code_style(c.colour)}]{escape(c.code)}[/]{escape(suffix)}")
            out.print("codes: " + " · ".join(shown))
        else:
            out.print("codes: none")
        for i, sug in enumerate(state.pending, 1):
            out.print(f"suggestion {i}: [{code_style(sug.colour)}]{escape(sug.code)}[/] "
                      f"{sug.score:.2f}" + (f" ({escape(sug.why)})" if sug.why else ""))
        for memo in state.memos:
            out.print(f"[dim]memo[/] {escape(memo_line(memo))}")

    def memos(self, title: str, memos: list[dict[str, Any]]) -> None:
        self.out.print(f"[bold]{escape(title)}[/]")
        for memo in memos:
            self.out.print(f"  {escape(memo_line(memo))}")

    def say(self, text: str, *, code: CodeItem | None = None, error: bool = False,
            plain: bool = False) -> None:
        # messages and errors wrap where the terminal wraps them: a line stays one line
        if plain:
            self.out.print(text, markup=False, soft_wrap=True)
        elif error:
            self.out.print(f"[red]{escape(text)}[/]", soft_wrap=True)
        elif code is not None and code.name in text:
            before, _, after = text.partition(code.name)
            self.out.print(f"{escape(before)}[{code_style(code.colour)}]{escape(code.name)}[/]"
                           f"{escape(after)}", soft_wrap=True)
        else:
            self.out.print(escape(text), soft_wrap=True)


def memo_line(memo: dict[str, Any]) -> str:
    """`Formule répétée. (ana, 2026-03-12)`, with the title first when there is one."""
    title = f"{memo['title']}: " if memo.get("title") else ""
    who = ", ".join(x for x in (memo.get("coder"), (memo.get("created_at") or "")[:10]) if x)
    return f"{title}{memo['text']}" + (f" ({who})" if who else "")
