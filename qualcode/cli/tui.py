"""`qualcode code DOC --tui`: the coding session full screen, with Textual.

Imported only when --tui is given (Textual is not loaded by any other command). The screen
drives the same ``CodingModel`` as the line mode, so every decision is its own transaction and
is undoable in the same way; only the way of choosing differs: a list of the segments, the
text with the suggestion evidence underlined, a word cursor to select a span with the keys,
the codebook and the memos beside the text.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from ..coding import spans as spanmod
from ..coding.interactive import CodeItem, CodingModel, SegmentState, match_codes, quote_span
from ..errors import QualcodeError
from ..textutil import norm_name
from .code_session import code_style, memo_line, segment_text

KEYS_HELP = ("←/→ word cursor · v or shift+←/→ select words · / find words · 1-9 or c apply "
             "(to the selection, else the whole segment) · a/r accept/reject · x remove · "
             "m memo · u undo · w word numbers · n/p or ↓/↑ segments · q quit")


class SegmentList(OptionList):
    """The segments of the session; clicked with the mouse, never focused by the keys, so
    that every key goes to the coding commands."""

    can_focus = False


class Prompt(Input):
    """The one-line answer (a code name, a memo, words to find); Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def action_cancel(self) -> None:
        app = self.app
        assert isinstance(app, CodingApp)
        app.close_prompt("Cancelled.")


class CodingApp(App[int]):
    """Returns the number of changes saved when it exits."""

    TITLE = "qualcode"
    AUTO_FOCUS = None  # keys go to the bindings; the prompt takes focus only when it opens
    CSS = """
    #segments { width: 34; border-right: solid $primary-darken-2; }
    #main { width: 1fr; padding: 0 1; }
    #side { width: 38; border-left: solid $primary-darken-2; padding: 0 1; }
    #heading { text-style: bold; color: $accent; }
    #text-box { height: auto; max-height: 70%; border: round $primary-darken-1; }
    #codes { height: auto; margin-top: 1; }
    #codebook { height: 1fr; }
    #memos { height: auto; max-height: 14; border-top: solid $primary-darken-2; }
    #status { height: 1; background: $boost; padding: 0 1; }
    Prompt { display: none; }
    Prompt.open { display: block; }
    """
    BINDINGS = [
        Binding("n,down,j", "move(1)", "Next"),
        Binding("p,up,k", "move(-1)", "Previous"),
        Binding("right,l", "cursor(1)", "Word →", show=False),
        Binding("left,h", "cursor(-1)", "Word ←", show=False),
        Binding("shift+right", "extend(1)", "Select →", show=False),
        Binding("shift+left", "extend(-1)", "Select ←", show=False),
        Binding("v", "select_here", "Select"),
        Binding("home", "cursor_to(0)", "First word", show=False),
        Binding("end", "cursor_to(-1)", "Last word", show=False),
        Binding("escape", "clear", "Clear selection", show=False),
        Binding("slash", "ask('find')", "Find words"),
        Binding("semicolon", "next_occurrence", "Next occurrence", show=False),
        Binding("c", "ask('code')", "Code"),
        *[Binding(str(d), f"apply_number({d})", f"Code {d}", show=False) for d in range(1, 10)],
        Binding("a", "decide(True)", "Accept"),
        Binding("r", "decide(False)", "Reject"),
        Binding("x", "ask('remove')", "Remove"),
        Binding("m", "ask('memo')", "Memo"),
        Binding("u", "undo", "Undo"),
        Binding("w", "toggle_numbers", "Word numbers"),
        Binding("q", "quit_session", "Quit"),
    ]

    def __init__(self, model: CodingModel) -> None:
        super().__init__()
        self.model = model
        self.state: SegmentState | None = None
        self.numbered = False
        self.cursor: int | None = None  # index of the word under the cursor
        self.anchor: int | None = None  # where the selection started (word index)
        self.found: list[tuple[int, int]] = []  # occurrences of the last words looked for
        self.found_at = 0
        self.asking: str | None = None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield SegmentList(id="segments")
            with Vertical(id="main"):
                yield Static(id="heading")
                with VerticalScroll(id="text-box", can_focus=False):
                    yield Static(id="text")
                yield Static(id="codes")
            with Vertical(id="side"):
                yield Static(id="codebook")
                yield Static(id="memos")
        yield Prompt(id="prompt")
        yield Static(Text(KEYS_HELP), id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.model.doc_name} · {self.model.coder}"
        self.query_one("#codebook", Static).update(self._codebook())
        if self.model.skipped:
            turns = "turn" if self.model.skipped == 1 else "turns"
            self.say(f"{self.model.skipped} interviewer {turns} skipped "
                     "(--include-interviewer shows them). " + KEYS_HELP)
        self._segment_list()
        self.refresh_all(list_too=False)

    # ------------------------------------------------------------------ drawing
    def _codebook(self) -> Text:
        out = Text()
        out.append("codes\n", style="bold")
        for item in self.model.codes:
            label = f"{item.number:>2} " if item.number is not None else "   "
            out.append(label + "  " * item.depth)
            out.append(item.name, style=code_style(item.colour))
            out.append(" (heading)\n" if item.number is None else "\n")
        return out

    @staticmethod
    def _list_row(row: dict[str, Any]) -> Text:
        line = Text(f"{row['n']:>3} ", no_wrap=True, overflow="ellipsis")
        if row["codings"]:
            line.append(f"●{row['codings']:<2}", style="green")
        else:
            line.append("·  ", style="dim")
        who = (row["speaker"] or "")[:12] + (" (E)" if row["interviewer"] else "")
        if who:
            line.append(who + " ", style="bold")
        line.append(row["opening"], style="dim")
        return line

    def _segment_list(self) -> None:
        widget = self.query_one("#segments", SegmentList)
        widget.set_options([Option(self._list_row(row)) for row in self.model.overview()])
        widget.highlighted = self.model.index

    def _segment_row(self) -> None:
        """Redraw the current segment's line only (its codings changed): rebuilding the
        whole list of a long interview after every decision would be felt."""
        widget = self.query_one("#segments", SegmentList)
        row = self.model.overview()[self.model.index]
        widget.replace_option_prompt_at_index(self.model.index, self._list_row(row))

    def selection(self) -> tuple[int, int] | None:
        state = self.state
        if state is None or self.anchor is None or self.cursor is None:
            return None
        lo, hi = sorted((self.anchor, self.cursor))
        return state.words[lo].start, state.words[hi].end

    def _draw_text(self) -> None:
        state = self.state
        assert state is not None
        cursor = None
        if self.cursor is not None and self.anchor is None and state.words:
            word = state.words[self.cursor]
            cursor = (word.start, word.end)
        self.query_one("#text", Static).update(segment_text(
            state, numbered=self.numbered, selection=self.selection(), cursor=cursor))

    def refresh_all(self, *, list_too: bool = True) -> None:
        state = self.state = self.model.state()
        if self.cursor is not None and self.cursor >= len(state.words):
            self.cursor = self.anchor = None
        seg = state.seg
        who = seg.speaker or ""
        if seg.is_interviewer:
            who += " (interviewer)"
        profiles = [name + (" (" + ", ".join(f"{k}: {v}" for k, v in attrs) + ")"
                            if attrs else "") for name, attrs in state.agents]
        if state.agents and [name for name, _a in state.agents] == [seg.speaker]:
            who = ""
        line = " · ".join(p for p in [who, " & ".join(profiles)] if p)
        self.query_one("#heading", Static).update(Text(
            f"segment {seg.n}/{state.total} ({state.position} of {state.shown})"
            + (f" · {line}" if line else "")))
        self._draw_text()
        self.query_one("#codes", Static).update(self._codes_text(state))
        self.query_one("#memos", Static).update(self._memos_text(state))
        if list_too:
            self._segment_row()
        self.query_one("#segments", SegmentList).highlighted = self.model.index

    def _codes_text(self, state: SegmentState) -> Text:
        out = Text()
        out.append("codes: ", style="bold")
        if not state.codings:
            out.append("none")
        for i, c in enumerate(state.codings):
            if i:
                out.append(" · ")
            out.append(c.code, style=code_style(c.colour))
            extra = [c.coder] if c.coder != self.model.coder else []
            if not c.whole:
                extra.append(f"«{quote_span(state.text[c.start:c.end], 40)}»")
            if extra:
                out.append(f" ({', '.join(extra)})")
        for i, sug in enumerate(state.pending, 1):
            out.append(f"\nsuggestion {i}: ")
            out.append(sug.code, style=code_style(sug.colour))
            out.append(f" {sug.score:.2f}" + (f" ({sug.why})" if sug.why else ""))
        return out

    def _memos_text(self, state: SegmentState) -> Text:
        out = Text()
        memos = [("segment", m) for m in state.memos] + \
            [("document", m) for m in self.model.document_memos()]
        out.append("memos\n", style="bold")
        if not memos:
            out.append("none (m writes one on this segment)", style="dim")
        for where, memo in memos:
            out.append(f"{where}: ", style="dim")
            out.append(memo_line(memo) + "\n")
        return out

    def say(self, message: str, *, error: bool = False) -> None:
        self.query_one("#status", Static).update(
            Text(message, style="bold red" if error else ""))

    # ------------------------------------------------------------------ moving
    def _reset_selection(self) -> None:
        self.cursor = self.anchor = None
        self.found = []

    def action_move(self, step: int) -> None:
        if self.model.move(step):
            self._reset_selection()
            self.refresh_all(list_too=False)
            self.say(KEYS_HELP)
        else:
            self.say("Last segment." if step > 0 else "First segment.")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.model.go_to(event.option_index)
        self._reset_selection()
        self.refresh_all(list_too=False)

    def action_cursor(self, step: int) -> None:
        """Move the word cursor; while a selection is open (v, shift+arrow) it grows."""
        state = self.state
        if state is None or not state.words:
            return
        if self.anchor is not None:
            self.action_extend(step)
            return
        start = self.cursor if self.cursor is not None else (-1 if step > 0 else len(state.words))
        self.cursor = min(max(start + step, 0), len(state.words) - 1)
        self._draw_text()

    def action_select_here(self) -> None:
        """Open a selection at the word under the cursor, or close (clear) it."""
        state = self.state
        if state is None or not state.words:
            return
        if self.anchor is not None:
            self.action_clear()
            return
        if self.cursor is None:
            self.cursor = 0
        self.anchor = self.cursor
        self._show_selection()

    def action_cursor_to(self, where: int) -> None:
        state = self.state
        if state is None or not state.words:
            return
        self.cursor = where % len(state.words)
        self.anchor = None
        self._draw_text()

    def action_extend(self, step: int) -> None:
        state = self.state
        if state is None or not state.words:
            return
        if self.anchor is None:
            # the first press selects the word under the cursor (or the first / last word)
            if self.cursor is None:
                self.cursor = 0 if step > 0 else len(state.words) - 1
            self.anchor = self.cursor
        else:
            self.cursor = min(max(self.cursor + step, 0), len(state.words) - 1)
        self._show_selection()

    def _show_selection(self) -> None:
        self._draw_text()
        span = self.selection()
        state = self.state
        if span is not None and state is not None:
            self.say(f"selected «{quote_span(state.text[span[0]:span[1]], 70)}»: "
                     "a code number or c applies it to these words, Escape clears")

    def action_clear(self) -> None:
        self._reset_selection()
        self._draw_text()
        self.say(KEYS_HELP)

    def action_toggle_numbers(self) -> None:
        self.numbered = not self.numbered
        self._draw_text()

    def _select_span(self, start: int, end: int) -> None:
        state = self.state
        assert state is not None
        inside = [i for i, w in enumerate(state.words) if w.start < end and w.end > start]
        if inside:
            self.anchor, self.cursor = inside[0], inside[-1]

    def action_next_occurrence(self) -> None:
        if len(self.found) < 2:
            self.say("No other occurrence (/ looks for words).")
            return
        self.found_at = (self.found_at + 1) % len(self.found)
        self._select_span(*self.found[self.found_at])
        self._show_selection()
        self.say(f"occurrence {self.found_at + 1} of {len(self.found)} (; for the next)")

    # ------------------------------------------------------------------ prompts
    PROMPTS = {
        "find": "words to select (case and accents do not matter)",
        "code": "code: number or part of its name",
        "remove": "remove which of your codes",
        "memo": "memo on this segment (Enter saves)",
    }

    def action_ask(self, kind: str) -> None:
        if kind == "remove":
            state = self.state
            mine = self.model.my_codes(state) if state else []
            if not mine:
                self.say("You have no code on this segment.")
                return
            placeholder = "remove: " + ", ".join(f"{i}={n}" for i, n in enumerate(mine, 1))
        else:
            placeholder = self.PROMPTS[kind]
        self.asking = kind
        prompt = self.query_one("#prompt", Prompt)
        prompt.value = ""
        prompt.placeholder = placeholder
        prompt.add_class("open")
        prompt.focus()

    def close_prompt(self, message: str | None = None) -> None:
        prompt = self.query_one("#prompt", Prompt)
        prompt.remove_class("open")
        self.asking = None
        self.set_focus(None)
        if message:
            self.say(message)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        kind, value = self.asking, event.value.strip()
        self.close_prompt()
        if not value:
            self.say("Cancelled.")
            return
        try:
            if kind == "find":
                self._find(value)
            elif kind == "code":
                self._apply_query(value)
            elif kind == "remove":
                self._remove(value)
            elif kind == "memo":
                self.model.memo(value)
                self.refresh_all(list_too=False)
                self.say("Memo saved.")
        except QualcodeError as exc:
            self.say(exc.message + (f" ({exc.hint})" if exc.hint else ""), error=True)

    def _find(self, words: str) -> None:
        state = self.state
        assert state is not None
        hits = spanmod.find_one(state.text, words)
        self.found = [(h.start, h.end) for h in hits]
        self.found_at = 0
        self._select_span(*self.found[0])
        self._show_selection()
        if len(hits) > 1:
            self.say(f"«{words}» occurs {len(hits)} times: the first is selected, ; selects "
                     "the next; then a code number or c")

    # ------------------------------------------------------------------ decisions
    def _apply(self, code: CodeItem) -> None:
        state = self.state
        assert state is not None
        span = self.selection()
        where = "" if span is None else f" to «{quote_span(state.text[span[0]:span[1]])}»"
        try:
            applied = self.model.apply(code, span)
        except QualcodeError as exc:
            self.say(exc.message, error=True)
            return
        self._reset_selection()
        self.refresh_all()
        self.say(f"Applied {code.name}{where}." if applied
                 else f"{code.name} is already there.")

    def action_apply_number(self, number: int) -> None:
        found = match_codes(str(number), self.model.codes)
        if not found:
            self.say(f"No code number {number} (c to type a name).", error=True)
            return
        self._apply(found[0])

    def _apply_query(self, query: str) -> None:
        found = match_codes(query, self.model.codes)
        if len(found) == 1:
            self._apply(found[0])
        elif not found:
            self.say(f"No code matches {query!r}.", error=True)
        else:
            self.say("Which one? " + ", ".join(f"{c.number} {c.name}" for c in found[:12])
                     + " (c, then more of the name)", error=True)

    def _remove(self, answer: str) -> None:
        state = self.state
        assert state is not None
        mine = self.model.my_codes(state)
        if answer.isdigit() and 1 <= int(answer) <= len(mine):
            name = mine[int(answer) - 1]
        else:
            hits = [n for n in mine if norm_name(n).startswith(norm_name(answer))]
            if len(hits) != 1:
                self.say(f"{answer!r} designates no single code of this segment.", error=True)
                return
            name = hits[0]
        self.model.remove(name)
        self.refresh_all()
        self.say(f"Removed {name}.")

    def action_decide(self, accept: bool) -> None:
        state = self.state
        if state is None or not state.pending:
            self.say("No pending suggestion on this segment.")
            return
        suggestion = state.pending[0]
        try:
            self.model.decide(suggestion, accept)
        except QualcodeError as exc:
            self.say(exc.message, error=True)
            return
        self.refresh_all()
        self.say(f"{'Accepted' if accept else 'Rejected'} {suggestion.code}.")

    def action_undo(self) -> None:
        if not self.model.entries:
            self.say("Nothing to undo in this session.")
            return
        try:
            summary = self.model.undo()
        except QualcodeError as exc:
            self.say(f"Not undone: {exc.message}", error=True)
            return
        self.refresh_all()
        self.say(f"Undone: {summary}")

    def action_quit_session(self) -> None:
        self.exit(self.model.changes)


def run_tui(db: Any, *, document: str, coder: str, include_interviewer: bool = False,
            start: int | None = None) -> int:
    """Run the full-screen session; returns the number of changes saved."""
    import sys

    from ..errors import InvalidInput

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InvalidInput("--tui needs a terminal (standard input and output are not one)",
                           "drop --tui: the line mode reads one answer per line from a script")
    model = CodingModel(db, document=document, coder=coder,
                        include_interviewer=include_interviewer, start=start)
    app = CodingApp(model)
    app.run()
    return model.changes
