"""The interactive coding session over one document (`qualcode code DOC`).

Segment by segment: the text, who speaks, its codes and the pending suggestions; one key per
decision. Every decision is its own write transaction, committed at once, so an interrupted
session loses nothing. Input and output are injected (``read_key``, ``read_line`` and a rich
console), which makes the loop scriptable in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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

HELP = """keys:
  1-9 / c   apply a code (by number, or c then a number or part of a name)
  x         remove a code from this segment
  a / r     accept / reject the first pending suggestion (a2, r2 for the second)
  n, Enter  next segment        p  previous segment
  m         write a memo on this segment
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


def code_style(colour: str | None) -> str:
    import re

    if colour and re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
        return f"bold {colour}"
    return "bold magenta"


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


def _summarise_evidence(evidence: dict[str, Any]) -> str:
    parts = []
    words = [m.get("text") or m.get("keyword") for m in evidence.get("matches") or []
             if isinstance(m, dict)]
    words = [w for w in words if w]
    if words:
        parts.append("words: " + ", ".join(f"«{w}»" for w in dict.fromkeys(words)))
    nearest = evidence.get("nearest")
    if isinstance(nearest, dict) and nearest.get("segment"):
        parts.append(f"like {nearest['segment']}")
    return "; ".join(parts)


class CodingSession:
    """The loop; ``run()`` returns the number of changes saved."""

    def __init__(self, db: Any, *, document: str, coder: str, out: Any,
                 read_key: Callable[[str], str], read_line: Callable[[str], str],
                 tty: bool = False) -> None:
        from ..corpus.documents import get_document

        self.db, self.coder, self.out = db, coder, out
        self.read_key, self.read_line, self.tty = read_key, read_line, tty
        with db.session() as s:
            doc = get_document(s, document)
            self.doc_id, self.doc_name, self.text = doc.id, doc.name, doc.text
            self.seg_ids = list(s.scalars(select(Segment.id).where(
                Segment.document_id == doc.id).order_by(Segment.n)))
            self.codes = _tree(s)
        if not self.seg_ids:
            raise InvalidInput(f"document {self.doc_name!r} has no segments")
        self.index = 0
        self.entries: list[int] = []  # audit entries made by this session, newest last
        self.changes = 0

    # ------------------------------------------------------------------ display
    def print_codes(self) -> None:
        self.out.print("[bold]codes[/]")
        for item in self.codes:
            label = f"{item.number:>3}" if item.number is not None else "   "
            self.out.print(f"{label} {'  ' * item.depth}[{code_style(item.colour)}]"
                           f"{_esc(item.name)}[/]" + ("" if item.number else " (heading)"))

    def _agents_of(self, s: Any, seg: Segment) -> list[int]:
        """The DESIGN rule of `segment_agents`, for one segment."""
        if seg.speaker is None:
            return sorted(s.scalars(select(DocumentAgent.agent_id)
                                    .where(DocumentAgent.document_id == self.doc_id)))
        if seg.is_interviewer or seg.agent_id is None:
            return []
        return [seg.agent_id]

    def _current(self, s: Any) -> dict[str, Any]:
        seg = s.get(Segment, self.seg_ids[self.index])
        text = self.text[seg.start:seg.end]
        codings = s.execute(
            select(Coding.id, Code.name, Code.colour, Coder.name, Coding.start, Coding.end)
            .join(Code, Code.id == Coding.code_id).join(Coder, Coder.id == Coding.coder_id)
            .where(Coding.document_id == self.doc_id, Coding.start < seg.end,
                   Coding.end > seg.start).order_by(Code.name)).all()
        pending = s.execute(
            select(Suggestion.id, Code.name, Code.colour, Suggestion.score, Suggestion.evidence)
            .join(Code, Code.id == Suggestion.code_id)
            .where(Suggestion.segment_id == seg.id, Suggestion.status == "pending")
            .order_by(Suggestion.score.desc(), Suggestion.id)).all()
        # as in `review`: a suggestion of a code the segment already carries is not asked
        present = {row[1] for row in codings}
        pending = [row for row in pending if row[1] not in present]
        agents = []
        for agent_id in self._agents_of(s, seg):
            name = s.get(Agent, agent_id).name
            attrs = s.execute(select(AgentAttribute.key, AgentAttribute.value)
                              .where(AgentAttribute.agent_id == agent_id)
                              .order_by(AgentAttribute.key)).all()
            agents.append((name, attrs))
        # a snapshot: ORM objects expire when the read transaction ends
        snap = SegView(seg.id, seg.n, seg.start, seg.end, seg.speaker, seg.is_interviewer)
        return {"seg": snap, "text": text, "codings": codings, "pending": pending,
                "agents": agents}

    def show(self) -> dict[str, Any]:
        with self.db.session() as s:
            cur = self._current(s)
        seg = cur["seg"]
        out = self.out
        out.print(f"\n[bold cyan]{_esc(self.doc_name)} · segment {seg.n}/{len(self.seg_ids)}"
                  f"[/]")
        who = seg.speaker or ""
        if seg.is_interviewer:
            who += " (interviewer)"
        profiles = [f"{name}" + (" (" + ", ".join(f"{k}: {v}" for k, v in attrs) + ")"
                                 if attrs else "") for name, attrs in cur["agents"]]
        if cur["agents"] and [name for name, _a in cur["agents"]] == [seg.speaker]:
            who = ""  # the agent's name already says who speaks
        line = " · ".join(p for p in [who, " & ".join(profiles)] if p)
        if line:
            out.print(f"[bold]{_esc(line)}[/]")
        out.print(_esc(cur["text"]))
        if cur["codings"]:
            shown = []
            for _id, name, colour, coder, start, end in cur["codings"]:
                extra = []
                if coder != self.coder:
                    extra.append(coder)
                if (start, end) != (seg.start, seg.end):
                    extra.append(f"{max(start, seg.start) - seg.start}:"
                                 f"{min(end, seg.end) - seg.start}")
                suffix = f" ({', '.join(extra)})" if extra else ""
                shown.append(f"[{code_style(colour)}]{_esc(name)}[/]{_esc(suffix)}")
            out.print("codes: " + " · ".join(shown))
        else:
            out.print("codes: none")
        for i, (_sid, name, colour, score, evidence) in enumerate(cur["pending"], 1):
            why = _summarise_evidence(evidence or {})
            out.print(f"suggestion {i}: [{code_style(colour)}]{_esc(name)}[/] {score:.2f}"
                      + (f" ({_esc(why)})" if why else ""))
        return cur

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

    def apply(self, query: str) -> None:
        from .service import apply_codes

        while True:
            if not query.strip():
                self.out.print("No code applied.")
                return
            found = match_codes(query, self.codes)
            if len(found) == 1:
                break
            if not found:
                self.out.print(f"No code matches {_esc(query)!r}.")
            else:
                self.out.print("Which one? " + ", ".join(
                    f"{c.number} {_esc(c.name)}" for c in found[:12]))
            query = self.read_line("code (number or name, Enter to cancel): ")
        code = found[0]
        with self.db.session(write=True) as s:
            report = apply_codes(s, ref=self._ref(s), codes=[code.name], coder=self.coder)
            if report["applied"]:
                self._record(s)
        if report["applied"]:
            self.out.print(f"Applied [{code_style(code.colour)}]{_esc(code.name)}[/].")
        else:
            self.out.print(f"{_esc(code.name)} is already on this segment.")

    def remove(self, cur: dict[str, Any]) -> None:
        from .service import remove_code

        mine = list(dict.fromkeys(name for _i, name, _c, coder, *_ in cur["codings"]
                                  if coder == self.coder))
        if not mine:
            self.out.print("You have no code on this segment.")
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
                self.out.print(f"{_esc(answer)!r} designates no single code of this segment.")
                return
            name = hits[0]
        with self.db.session(write=True) as s:
            remove_code(s, ref=self._ref(s), code=name, coder=self.coder)
            self._record(s)
        self.out.print(f"Removed {_esc(name)}.")

    def decide(self, cur: dict[str, Any], accept: bool, which: int) -> None:
        from ..corpus.coders import get_or_create_coder
        from .service import add_coding

        if not cur["pending"]:
            self.out.print("No pending suggestion on this segment.")
            return
        if not 1 <= which <= len(cur["pending"]):
            self.out.print(f"There are {len(cur['pending'])} suggestions.")
            return
        sid, name = cur["pending"][which - 1][:2]
        verb = "accept" if accept else "reject"
        with self.db.session(write=True) as s:
            ref = self._ref(s)
            with audited(s, action=verb, coder=self.coder,
                         summary=f"{verb} suggestion {name} on {ref} ({self.coder})"):
                sug = s.get(Suggestion, sid)
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
        self.out.print(f"{'Accepted' if accept else 'Rejected'} {_esc(name)}.")

    def memo(self) -> None:
        from .memos import add_memo

        text = self.read_line("memo (one line, Enter to cancel): ").strip()
        if not text:
            self.out.print("No memo written.")
            return
        with self.db.session(write=True) as s:
            add_memo(s, target=f"segment:{self._ref(s)}", text=text, coder=self.coder)
            self._record(s)
        self.out.print("Memo saved.")

    def undo(self) -> None:
        from ..audit import undo

        if not self.entries:
            self.out.print("Nothing to undo in this session.")
            return
        try:
            # This session's last change, even if a colleague changed other things since;
            # refused only when their later changes touched the same rows.
            with self.db.session(write=True) as s:
                summary = undo(s, entry_id=self.entries[-1], by=self.coder)[0].summary
        except QualcodeError as exc:
            self.out.print(f"Not undone: {_esc(exc.message)}")
            return
        self.entries.pop()
        self.changes -= 1
        self.out.print(f"Undone: {_esc(summary)}")

    # ------------------------------------------------------------------ loop
    def run(self, start: int = 1) -> int:
        if not 1 <= start <= len(self.seg_ids):
            raise NotFound(f"document {self.doc_name!r} has no segment {start} "
                           f"(it has {len(self.seg_ids)})")
        self.index = start - 1
        self.print_codes()
        self.out.print("? for help, q to quit")
        cur = self.show()
        while True:
            key = self.read_key("key: ")
            low = key.lower()
            moved = False
            try:
                if low == "q":
                    break
                if low in ("", "n"):
                    if self.index + 1 < len(self.seg_ids):
                        self.index += 1
                        moved = True
                    else:
                        self.out.print("Last segment (p: previous, q: quit).")
                elif low == "p":
                    if self.index > 0:
                        self.index -= 1
                        moved = True
                    else:
                        self.out.print("First segment.")
                elif key.isdigit():
                    number = key
                    if self.tty and sum(c.number is not None for c in self.codes) >= 10:
                        number += self.read_line(f"code {key}… (more digits, then Enter): ").strip()
                    self.apply(number)
                elif low == "c" or low.startswith("c "):
                    answer = key[2:] if len(key) > 2 else self.read_line(
                        "code (number or name): ")
                    self.apply(answer)
                elif low == "x":
                    self.remove(cur)
                elif low[:1] in ("a", "r") and (len(low) == 1 or low[1:].strip().isdigit()):
                    which = int(low[1:].strip()) if len(low) > 1 else 1
                    self.decide(cur, low[0] == "a", which)
                elif low == "m":
                    self.memo()
                elif low == "u":
                    self.undo()
                elif low == "l":
                    self.print_codes()
                    continue
                elif low in ("?", "h"):
                    self.out.print(HELP, markup=False)
                    continue
                else:
                    self.out.print(f"Unknown key {_esc(key)!r} (? for help).")
                    continue
            except QualcodeError as exc:
                hint = f" ({exc.hint})" if exc.hint else ""
                self.out.print(f"[red]{_esc(exc.message + hint)}[/]")
                continue
            if moved or low not in ("", "n", "p"):
                cur = self.show()
        self.out.print(f"Session ended: {self.changes} change(s) saved.")
        return self.changes


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)
