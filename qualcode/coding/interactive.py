"""The interactive coding session over one document (`qualcode code DOC`).

Two parts, neither of which draws anything:

- ``CodingModel``: the segments to code (interviewer turns left out unless asked for), the
  state of the current one (text, codes, pending suggestions with their evidence, memos,
  numbered words) and the actions (apply a code to the segment or to a span of it, remove,
  accept or reject a suggestion, write a memo, undo). Every action is its own write
  transaction, committed at once, so an interrupted session loses nothing. The line-mode loop
  and the full-screen interface (`qualcode code --tui`) both drive it.
- ``CodingSession``: the line-mode loop, one key (or one line when scripted) per decision.
  Input and output are injected (``read_key``, ``read_line`` and a ``view`` that renders), so
  the loop is scriptable in tests; the terminal rendering lives in ``qualcode.cli``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import func, select

from ..audit import audited
from ..errors import InvalidInput, NotFound, QualcodeError
from ..models import (
    Agent,
    AgentAttribute,
    AuditEntry,
    Code,
    Coder,
    Coding,
    Document,
    DocumentAgent,
    Segment,
    Suggestion,
    utcnow,
)
from ..textutil import norm_name
from . import spans as spanmod

HELP = """keys:
  1-9 / c   apply a code (by number, or c then a number or part of a name);
            after the code, words 4-9 or "some words" code only that span of the segment
            (scripts: c mépris 4-9, c mépris "du mépris pur", m mépris "du mépris pur")
  w         show / hide the word numbers
  x         remove a code from this segment
  a / r     accept / reject the first pending suggestion (a2, r2 for the second)
  n, Enter  next segment        p  previous segment
  m         write a memo on this segment       d  the memos on the document
  u         undo the last change of this session
  l         list the codes      ?  this help      q  quit"""


@dataclass
class SegView:
    id: int
    n: int
    start: int
    end: int
    speaker: str | None
    is_interviewer: bool


@dataclass
class CodeItem:
    id: int
    name: str
    depth: int
    number: int | None  # None for headings that cannot be applied
    colour: str | None


@dataclass
class CodingView:
    """A coding overlapping the segment; ``start``/``end`` relative to the segment text,
    clipped to it."""

    code: str
    colour: str | None
    coder: str
    start: int
    end: int
    whole: bool  # the coding covers the whole segment (not a span inside it)


@dataclass
class SuggestionView:
    id: int
    code: str
    colour: str | None
    score: float
    evidence: dict[str, Any]
    why: str  # the evidence in words: «guichets» (guichet); like E:3 sharing «file»
    spans: list[tuple[int, int]]  # where the evidence words lie in the segment text


@dataclass
class SegmentState:
    seg: SegView
    text: str
    position: int  # 1-based among the segments of this session
    shown: int  # how many segments this session goes through
    total: int  # segments of the document
    codings: list[CodingView]
    pending: list[SuggestionView]
    agents: list[tuple[str, list[tuple[str, str]]]]
    memos: list[dict[str, Any]]
    words: list[spanmod.Word] = field(default_factory=list)


def match_codes(query: str, items: list[CodeItem]) -> list[CodeItem]:
    """Codes a typed answer designates: a number, an exact name, else a unique prefix, else
    accent- and case-insensitive substrings (several results mean: ask again)."""
    query = query.strip()
    codable = [c for c in items if c.number is not None]
    if query.isdigit():
        return [c for c in codable if c.number == int(query)]
    wanted = norm_name(query)
    if not wanted:
        return []
    for test in (lambda n: n == wanted, lambda n: n.startswith(wanted),
                 lambda n: wanted in n):
        found = [c for c in codable if test(norm_name(c.name))]
        if found:
            return found
    return []


# A selection after the code: `--match "words"`, "words" / « words » / “words”, or a range.
_MATCH_OPT = re.compile(r"^(?P<code>.*?)\s*--match\s+(?P<text>.+)$")
_QUOTED = re.compile(r'^(?P<code>.*?)\s*(?:"(?P<a>[^"]+)"|«\s*(?P<b>[^»]+?)\s*»'
                     r"|“(?P<c>[^”]+)”)\s*$")
_TRAILING_RANGE = re.compile(r"^(?P<code>.*\S)\s+(?P<range>\d+(?:\s*(?:-|–|\.\.)\s*\d+)?)$")


@dataclass
class Selection:
    """What part of the segment to code: everything, words by number, or words by text."""

    words: tuple[int, int] | None = None
    text: str | None = None

    @property
    def whole(self) -> bool:
        return self.words is None and self.text is None


def split_answer(answer: str, items: list[CodeItem]) -> tuple[str, Selection]:
    """``CODE``, ``CODE 4-9``, ``CODE "words"`` or ``CODE --match words`` -> (code, selection).

    A code whose whole name is typed wins over a range (a code named `phase 2`)."""
    answer = answer.strip()
    opt = _MATCH_OPT.match(answer)
    if opt:
        text = opt.group("text").strip()
        quoted = _QUOTED.match(text)
        if quoted:
            text = next(g for g in quoted.group("a", "b", "c") if g)
        return opt.group("code"), Selection(text=text)
    quoted = _QUOTED.match(answer)
    if quoted:
        return quoted.group("code"), Selection(
            text=next(g for g in quoted.group("a", "b", "c") if g))
    if any(norm_name(c.name) == norm_name(answer) for c in items if c.number is not None):
        return answer, Selection()
    ranged = _TRAILING_RANGE.match(answer)
    if ranged:
        first_last = spanmod.parse_range(ranged.group("range"))
        if first_last is not None:
            return ranged.group("code"), Selection(words=first_last)
    return answer, Selection()


def _tree(session: Any) -> list[CodeItem]:
    rows = session.execute(
        select(Code.id, Code.name, Code.parent_id, Code.is_codable, Code.colour)
        .order_by(Code.position, Code.id)).all()
    children: dict[int | None, list[Any]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    known = {row.id for row in rows}
    # codes whose parent is missing are shown at the top level rather than lost
    roots = [r for r in rows if r.parent_id is None or r.parent_id not in known]
    out: list[CodeItem] = []
    number = 0

    def walk(row: Any, depth: int) -> None:
        nonlocal number
        num = None
        if row.is_codable:
            number += 1
            num = number
        out.append(CodeItem(row.id, row.name, depth, num, row.colour))
        for child in children.get(row.id, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return out


def summarise_evidence(evidence: dict[str, Any]) -> str:
    """The words that made a suggestion: «text» as found, the codebook keyword or lemma in
    brackets when it is written otherwise, negated matches said so; then the nearest coded
    example and the words shared with it."""
    from ..textutil import fold

    parts = []
    shown: dict[str, str] = {}
    for m in evidence.get("matches") or []:
        if not isinstance(m, dict):
            continue
        text = m.get("text") or m.get("keyword")
        if not text:
            continue
        notes = []
        keyword = m.get("keyword")
        if keyword and fold(str(keyword)) != fold(str(text)):
            notes.append(str(keyword))
        if m.get("negated"):
            notes.append("negated")
        shown.setdefault(str(text), f"«{text}»" + (f" ({', '.join(notes)})" if notes else ""))
    if shown:
        parts.append("words: " + ", ".join(shown.values()))
    nearest = evidence.get("nearest")
    if isinstance(nearest, dict) and nearest.get("segment"):
        shared = [w for w in nearest.get("shared") or [] if isinstance(w, str)]
        parts.append(f"like {nearest['segment']}"
                     + (" sharing " + ", ".join(f"«{w}»" for w in shared) if shared else ""))
    return "; ".join(parts)


class CodingModel:
    """The segments of one document to code and the actions on the current one."""

    def __init__(self, db: Any, *, document: str, coder: str,
                 include_interviewer: bool = False, start: int | None = None) -> None:
        from ..corpus.documents import get_document

        self.db, self.coder = db, coder
        with db.session() as s:
            doc = get_document(s, document)
            self.doc_id, self.doc_name, self.text = doc.id, doc.name, doc.text
            rows = s.execute(select(Segment.id, Segment.n, Segment.is_interviewer).where(
                Segment.document_id == doc.id).order_by(Segment.n)).all()
            self.codes = _tree(s)
        if not rows:
            raise InvalidInput(f"document {self.doc_name!r} has no segments")
        self.total = len(rows)
        if start is not None and not 1 <= start <= self.total:
            raise NotFound(f"document {self.doc_name!r} has no segment {start} "
                           f"(it has {self.total})")
        # An interviewer turn asked for by number (`code DOC:3`) is shown all the same.
        kept = [r for r in rows if include_interviewer or not r.is_interviewer or r.n == start]
        self.skipped = len(rows) - len(kept)
        if not kept:
            raise InvalidInput(f"document {self.doc_name!r} has only interviewer turns",
                               "add --include-interviewer to code them")
        self.seg_ids = [r.id for r in kept]
        self.numbers = [r.n for r in kept]
        wanted = start or 1
        # the first kept segment at or after the one asked for, else the last one
        self.index = next((i for i, n in enumerate(self.numbers) if n >= wanted),
                          len(self.numbers) - 1)
        self.entries: list[int] = []  # audit entries made by this session, newest last
        self.changes = 0

    # ------------------------------------------------------------------ reading
    def _agents_of(self, s: Any, seg: Segment) -> list[int]:
        """The DESIGN rule of `segment_agents`, for one segment."""
        if seg.speaker is None:
            from ..corpus.agents import shared_document_agents

            return sorted(agent for _, agent in s.execute(
                shared_document_agents().where(DocumentAgent.document_id == self.doc_id)))
        if seg.is_interviewer or seg.agent_id is None:
            return []
        return [seg.agent_id]

    def state(self) -> SegmentState:
        """Everything shown about the current segment, read in one transaction."""
        from .memos import list_memos

        with self.db.session() as s:
            seg = s.get(Segment, self.seg_ids[self.index])
            text = self.text[seg.start:seg.end]
            rows = s.execute(
                select(Code.name, Code.colour, Coder.name, Coding.start, Coding.end)
                .join(Code, Code.id == Coding.code_id).join(Coder, Coder.id == Coding.coder_id)
                .where(Coding.document_id == self.doc_id, Coding.start < seg.end,
                       Coding.end > seg.start).order_by(Code.name, Coding.start)).all()
            codings = [CodingView(name, colour, coder, max(start, seg.start) - seg.start,
                                  min(end, seg.end) - seg.start,
                                  (start, end) == (seg.start, seg.end))
                       for name, colour, coder, start, end in rows]
            pending_rows = s.execute(
                select(Suggestion.id, Code.name, Code.colour, Suggestion.score,
                       Suggestion.evidence)
                .join(Code, Code.id == Suggestion.code_id)
                .where(Suggestion.segment_id == seg.id, Suggestion.status == "pending")
                .order_by(Suggestion.score.desc(), Suggestion.id)).all()
            # as in `review`: a suggestion of a code the segment already carries is not asked
            present = {c.code for c in codings}
            pending = [SuggestionView(sid, name, colour, score, evidence or {},
                                      summarise_evidence(evidence or {}),
                                      spanmod.evidence_spans(seg.start, text, evidence or {}))
                       for sid, name, colour, score, evidence in pending_rows
                       if name not in present]
            agents = []
            for agent_id in self._agents_of(s, seg):
                name = s.get(Agent, agent_id).name
                attrs = s.execute(select(AgentAttribute.key, AgentAttribute.value)
                                  .where(AgentAttribute.agent_id == agent_id)
                                  .order_by(AgentAttribute.key)).all()
                agents.append((name, [tuple(a) for a in attrs]))
            memos = list_memos(s, f"segment:{self.doc_name}:{seg.n}")
            # a snapshot: ORM objects expire when the read transaction ends
            snap = SegView(seg.id, seg.n, seg.start, seg.end, seg.speaker, seg.is_interviewer)
        return SegmentState(snap, text, self.index + 1, len(self.seg_ids), self.total,
                            codings, pending, agents, memos, spanmod.words(text))

    def overview(self) -> list[dict[str, Any]]:
        """One row per segment of this session, for a list to move in: number, speaker,
        the first words, how many codings overlap it (anyone's) and how many are yours."""
        with self.db.session() as s:
            segs = s.execute(select(Segment.id, Segment.n, Segment.start, Segment.end,
                                    Segment.speaker, Segment.is_interviewer)
                             .where(Segment.id.in_(self.seg_ids))).all()
            spans = s.execute(select(Coding.start, Coding.end, Coder.name)
                              .join(Coder, Coder.id == Coding.coder_id)
                              .where(Coding.document_id == self.doc_id)).all()
        by_id = {row.id: row for row in segs}
        out = []
        for seg_id in self.seg_ids:
            row = by_id[seg_id]
            over = [c for c in spans if c.start < row.end and c.end > row.start]
            out.append({"n": row.n, "speaker": row.speaker, "interviewer": row.is_interviewer,
                        "opening": " ".join(self.text[row.start:row.end].split()[:8]),
                        "codings": len(over),
                        "mine": sum(c.name == self.coder for c in over)})
        return out

    def document_memos(self) -> list[dict[str, Any]]:
        from .memos import list_memos

        with self.db.session() as s:
            return list_memos(s, f"doc:{self.doc_name}")

    def move(self, step: int) -> bool:
        """Go ``step`` segments forward (or back); False at either end."""
        target = self.index + step
        if not 0 <= target < len(self.seg_ids):
            return False
        self.index = target
        return True

    def go_to(self, position: int) -> None:
        """Go to the segment at ``position`` (0-based) among this session's segments."""
        if 0 <= position < len(self.seg_ids):
            self.index = position

    # ------------------------------------------------------------------ spans
    def occurrences(self, state: SegmentState, selection: Selection) -> list[tuple[int, int]]:
        """The spans (relative to the segment text) a selection designates: one, or several
        when the words typed occur several times (then the caller asks which)."""
        if selection.words is not None:
            return [spanmod.word_span(state.text, *selection.words)]
        if selection.text is not None:
            return [(h.start, h.end) for h in spanmod.find_one(state.text, selection.text)]
        return [(0, len(state.text))]

    # ------------------------------------------------------------------ actions
    def _ref(self, s: Any) -> str:
        seg = s.get(Segment, self.seg_ids[self.index])
        return f"{self.doc_name}:{seg.n}"

    def _record(self, s: Any) -> None:
        s.flush()
        entry = s.scalar(select(func.max(AuditEntry.id)))
        if entry is not None and entry not in self.entries:
            self.entries.append(entry)
            self.changes += 1

    def apply(self, code: CodeItem, span: tuple[int, int] | None = None) -> bool:
        """Apply ``code`` to the segment, or to ``span`` of its text; False if it was there."""
        from .service import apply_codes

        with self.db.session(write=True) as s:
            seg = s.get(Segment, self.seg_ids[self.index])
            whole = span is None or span == (0, seg.end - seg.start)
            report = apply_codes(s, ref=self._ref(s), codes=[code.name], coder=self.coder,
                                 span=None if whole else f"{span[0]}:{span[1]}")
            if report["applied"]:
                self._record(s)
        return bool(report["applied"])

    def my_codes(self, state: SegmentState) -> list[str]:
        return list(dict.fromkeys(c.code for c in state.codings if c.coder == self.coder))

    def remove(self, name: str) -> None:
        from .service import remove_code

        with self.db.session(write=True) as s:
            remove_code(s, ref=self._ref(s), code=name, coder=self.coder)
            self._record(s)

    def decide(self, suggestion: SuggestionView, accept: bool) -> None:
        from ..corpus.coders import get_or_create_coder
        from .service import add_coding

        verb = "accept" if accept else "reject"
        with self.db.session(write=True) as s:
            ref = self._ref(s)
            with audited(s, action=verb, coder=self.coder,
                         summary=f"{verb} suggestion {suggestion.code} on {ref} ({self.coder})"):
                sug = s.get(Suggestion, suggestion.id)
                coder = get_or_create_coder(s, self.coder)
                if sug is None or sug.status != "pending":
                    raise NotFound("this suggestion was decided meanwhile")
                if accept:
                    seg = s.get(Segment, sug.segment_id)
                    add_coding(s, document=s.get(Document, seg.document_id), start=seg.start,
                               end=seg.end, code=s.get(Code, sug.code_id), coder=coder,
                               origin="suggestion")
                sug.status = "accepted" if accept else "rejected"
                sug.decided_by = coder.id
                sug.decided_at = utcnow()
                s.add(sug)
            self._record(s)

    def memo(self, text: str) -> None:
        from .memos import add_memo

        with self.db.session(write=True) as s:
            add_memo(s, target=f"segment:{self._ref(s)}", text=text, coder=self.coder)
            self._record(s)

    def undo(self) -> str:
        """Undo this session's last change; returns what was undone."""
        from ..audit import undo

        if not self.entries:
            raise NotFound("nothing to undo in this session")
        # This session's last change, even if a colleague changed other things since;
        # refused only when their later changes touched the same rows.
        with self.db.session(write=True) as s:
            summary = undo(s, entry_id=self.entries[-1], by=self.coder)[0].summary
        self.entries.pop()
        self.changes -= 1
        return summary


class SessionView(Protocol):
    """What the line-mode loop asks its renderer to show (see `qualcode.cli.code_session`)."""

    def codes(self, items: list[CodeItem]) -> None: ...

    def segment(self, model: CodingModel, state: SegmentState, numbered: bool) -> None: ...

    def memos(self, title: str, memos: list[dict[str, Any]]) -> None: ...

    def say(self, text: str, *, code: CodeItem | None = None, error: bool = False,
            plain: bool = False) -> None: ...


class CodingSession:
    """The line-mode loop; ``run()`` returns the number of changes saved."""

    def __init__(self, db: Any, *, document: str, coder: str, view: SessionView,
                 read_key: Callable[[str], str], read_line: Callable[[str], str],
                 tty: bool = False, include_interviewer: bool = False,
                 start: int | None = None) -> None:
        self.model = CodingModel(db, document=document, coder=coder,
                                 include_interviewer=include_interviewer, start=start)
        self.start = start
        self.view, self.read_key, self.read_line, self.tty = view, read_key, read_line, tty
        self.numbered = False

    @property
    def changes(self) -> int:
        return self.model.changes

    def show(self) -> SegmentState:
        state = self.model.state()
        self.view.segment(self.model, state, self.numbered)
        return state

    def _choose_code(self, query: str) -> CodeItem | None:
        codes = self.model.codes
        while True:
            if not query.strip():
                self.view.say("No code applied.")
                return None
            found = match_codes(query, codes)
            if len(found) == 1:
                return found[0]
            if not found:
                self.view.say(f"No code matches {query!r}.")
            else:
                self.view.say("Which one? " + ", ".join(f"{c.number} {c.name}"
                                                        for c in found[:12]))
            query = self.read_line("code (number or name, Enter to cancel): ")

    def _choose_span(self, state: SegmentState,
                     selection: Selection) -> tuple[int, int] | None:
        spans = self.model.occurrences(state, selection)
        if len(spans) == 1:
            return spans[0]
        shown = "".join(f"\n  {i}: {spanmod.in_context(state.text, a, b)}"
                        for i, (a, b) in enumerate(spans, 1))
        self.view.say(f"«{selection.text}» occurs {len(spans)} times:{shown}", plain=True)
        answer = self.read_line(f"which one? 1-{len(spans)} (Enter to cancel): ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(spans):
            return spans[int(answer) - 1]
        self.view.say("No code applied.")
        return None

    def apply(self, state: SegmentState, answer: str) -> None:
        query, selection = split_answer(answer, self.model.codes)
        if not selection.whole and not query.strip():
            raise InvalidInput("name the code before the words",
                               'e.g. c mépris 4-9 or c mépris "du mépris pur"')
        code = self._choose_code(query)
        if code is None:
            return
        span = None if selection.whole else self._choose_span(state, selection)
        if not selection.whole and span is None:
            return
        where = "" if span is None or span == (0, len(state.text)) else \
            f" to «{quote_span(state.text[span[0]:span[1]])}»"
        if self.model.apply(code, span):
            self.view.say(f"Applied {code.name}{where}.", code=code)
        else:
            self.view.say(f"{code.name} is already on this segment"
                          + (" with this span." if where else "."), code=code)

    def remove(self, state: SegmentState) -> None:
        mine = self.model.my_codes(state)
        if not mine:
            self.view.say("You have no code on this segment.")
            return
        choices = "  ".join(f"{i}={name}" for i, name in enumerate(mine, 1))
        answer = self.read_line(f"remove which code? {choices} (Enter to cancel): ").strip()
        if not answer:
            return
        if answer.isdigit() and 1 <= int(answer) <= len(mine):
            name = mine[int(answer) - 1]
        else:
            hits = [n for n in mine if norm_name(n).startswith(norm_name(answer))]
            if len(hits) != 1:
                self.view.say(f"{answer!r} designates no single code of this segment.")
                return
            name = hits[0]
        self.model.remove(name)
        self.view.say(f"Removed {name}.")

    def decide(self, state: SegmentState, accept: bool, which: int) -> None:
        if not state.pending:
            self.view.say("No pending suggestion on this segment.")
            return
        if not 1 <= which <= len(state.pending):
            self.view.say(f"There are {len(state.pending)} suggestions.")
            return
        suggestion = state.pending[which - 1]
        self.model.decide(suggestion, accept)
        self.view.say(f"{'Accepted' if accept else 'Rejected'} {suggestion.code}.")

    def memo(self) -> None:
        text = self.read_line("memo (one line, Enter to cancel): ").strip()
        if not text:
            self.view.say("No memo written.")
            return
        self.model.memo(text)
        self.view.say("Memo saved.")

    def undo(self) -> None:
        if not self.model.entries:
            self.view.say("Nothing to undo in this session.")
            return
        try:
            summary = self.model.undo()
        except QualcodeError as exc:
            self.view.say(f"Not undone: {exc.message}")
            return
        self.view.say(f"Undone: {summary}")

    def _opening(self) -> None:
        model = self.model
        self.view.codes(model.codes)
        if model.skipped:
            turns = "turn" if model.skipped == 1 else "turns"
            self.view.say(f"{model.skipped} interviewer {turns} skipped "
                          "(--include-interviewer shows them).")
        memos = model.document_memos()
        if memos:
            self.view.memos(f"memos on {model.doc_name}", memos)
        self.view.say("? for help, q to quit")

    # ------------------------------------------------------------------ loop
    def run(self) -> int:
        model = self.model
        self._opening()
        cur = self.show()
        while True:
            key = self.read_key("key: ")
            low = key.lower()
            moved = False
            try:
                if low == "q":
                    break
                if low in ("", "n"):
                    if model.move(1):
                        moved = True
                    else:
                        self.view.say("Last segment (p: previous, q: quit).")
                elif low == "p":
                    if model.move(-1):
                        moved = True
                    else:
                        self.view.say("First segment.")
                elif key.isdigit():
                    number = key
                    if self.tty and sum(c.number is not None for c in model.codes) >= 10:
                        number += self.read_line(f"code {key}… (more digits, then Enter): ").strip()
                    self.apply(cur, number)
                elif low == "c" or low.startswith("c "):
                    answer = key[2:] if len(key) > 2 else self.read_line(
                        'code (number or name; then words 4-9 or "words" for a span): ')
                    self.apply(cur, answer)
                elif low.startswith("m "):
                    if split_answer(key[2:], model.codes)[1].text is None:
                        self.view.say('m CODE "words" codes those words; m alone writes '
                                      "a memo.")
                        continue
                    self.apply(cur, key[2:])
                elif low == "w":
                    self.numbered = not self.numbered
                    moved = True
                elif low == "x":
                    self.remove(cur)
                elif low[:1] in ("a", "r") and (len(low) == 1 or low[1:].strip().isdigit()):
                    which = int(low[1:].strip()) if len(low) > 1 else 1
                    self.decide(cur, low[0] == "a", which)
                elif low == "m":
                    self.memo()
                elif low == "d":
                    memos = model.document_memos()
                    if memos:
                        self.view.memos(f"memos on {model.doc_name}", memos)
                    else:
                        self.view.say(f"No memo on {model.doc_name} "
                                      f"(qualcode memo add doc:{model.doc_name} \"...\").")
                    continue
                elif low == "u":
                    self.undo()
                elif low == "l":
                    self.view.codes(model.codes)
                    continue
                elif low in ("?", "h"):
                    self.view.say(HELP, plain=True)
                    continue
                else:
                    self.view.say(f"Unknown key {key!r} (? for help).")
                    continue
            except QualcodeError as exc:
                hint = f" ({exc.hint})" if exc.hint else ""
                self.view.say(exc.message + hint, error=True)
                continue
            if moved or low not in ("", "n", "p"):
                cur = self.show()
        self.view.say(f"Session ended: {model.changes} change(s) saved.")
        return model.changes


def quote_span(text: str, limit: int = 60) -> str:
    """A span on one line, cut in the middle when long."""
    one = " ".join(text.split())
    if len(one) <= limit:
        return one
    half = (limit - 1) // 2
    return one[:half].rstrip() + " … " + one[-half:].lstrip()

