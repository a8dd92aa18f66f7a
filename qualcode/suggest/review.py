"""The review loop's logic, independent of the terminal (Prodigy-style).

A queue of suggestions ranked by their calibrated score, the most likely first, and
decisions: accept (a `Coding` with origin `suggestion` on the segment, by the reviewing
coder), reject, skip (never a negative answer: it only moves the suggestion out of the
queue), undo (reverts the last decision of this review exactly, including the coding it
created). Every decision is its own audited transaction, so an interrupted review loses
nothing and resumes where it stopped: decided suggestions are not asked again.

Several coders may review at once: a decision is recorded only if the suggestion is still in
the state its reviewer saw (checked inside the decision's own write transaction); otherwise
`AlreadyDecided` says who decided it and how, and nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from ..audit import audited
from ..codebook.lookup import get_code
from ..corpus.coders import get_or_create_coder
from ..db import Database
from ..errors import Conflict, QualcodeError
from ..models import Code, Coder, Coding, Document, Segment, Suggestion, utcnow
from .scoring import DEFAULT_MIN_SCORE

ACTIONS = {"a": "accept", "r": "reject", "s": "skip"}
STATUS = {"accept": "accepted", "reject": "rejected", "skip": "skipped"}


@dataclass
class Item:
    suggestion_id: int
    document: str
    n: int
    start: int  # segment start in the document text
    text: str  # the segment text
    speaker: str | None
    code: str
    colour: str | None
    score: float
    evidence: dict[str, Any]
    status: str = "pending"  # the state the reviewer saw
    decided_by: int | None = None

    @property
    def ref(self) -> str:
        return f"{self.document}:{self.n}"

    def highlights(self) -> list[tuple[int, int, bool]]:
        """(start, end, negated) of the evidence words, relative to the segment text."""
        out = []
        for m in self.evidence.get("matches", []):
            s, e = m["start"] - self.start, m["end"] - self.start
            if 0 <= s < e <= len(self.text):
                out.append((s, e, bool(m.get("negated"))))
        return out


class AlreadyDecided(Conflict):
    """Another coder decided the suggestion since the reviewer saw it; nothing was recorded."""

    def __init__(self, item: Item, status: str, coder: str | None) -> None:
        self.item, self.status, self.coder = item, status, coder
        who = f" by {coder}" if coder else ""
        super().__init__(f"{item.code} on {item.ref} was already {status}{who} in the "
                         "meantime")


@dataclass
class Decision:
    suggestion_id: int
    action: str
    before: tuple[str, int | None, datetime | None]  # status, decided_by, decided_at
    coding_id: int | None = None
    item: Item | None = None


def load_queue(session: Any, *, code: str | None = None,
               include_skipped: bool = False) -> list[Item]:
    """Undecided suggestions, the most likely first (a ranked queue: review from the top and
    stop where the scores stop paying); never those whose segment already carries the code."""
    statuses = ["pending", "skipped"] if include_skipped else ["pending"]
    stmt = (select(Suggestion, Segment, Document.name, Document.text, Code)
            .join(Segment, Segment.id == Suggestion.segment_id)
            .join(Document, Document.id == Segment.document_id)
            .join(Code, Code.id == Suggestion.code_id)
            .where(Suggestion.status.in_(statuses)))
    if code:
        stmt = stmt.where(Suggestion.code_id == get_code(session, code).id)
    coded = {(sid, cid) for sid, cid in session.execute(
        select(Segment.id, Coding.code_id).join(Coding, and_(
            Coding.document_id == Segment.document_id, Coding.start < Segment.end,
            Coding.end > Segment.start)))}
    items = []
    for sug, seg, doc_name, doc_text, c in session.execute(stmt):
        if (seg.id, c.id) in coded:
            continue
        items.append(Item(sug.id, doc_name, seg.n, seg.start, doc_text[seg.start:seg.end],
                          seg.speaker, c.name, c.colour, sug.score, sug.evidence or {},
                          sug.status, sug.decided_by))
    items.sort(key=lambda it: (-it.score, it.document, it.n, it.code))
    return items


def status_counts(session: Any, *, code: str | None = None) -> dict[str, int]:
    """Number of suggestions per status (of ``code`` only when given)."""
    stmt = select(Suggestion.status, func.count(Suggestion.id)).group_by(Suggestion.status)
    if code:
        stmt = stmt.where(Suggestion.code_id == get_code(session, code).id)
    return {status: n for status, n in session.execute(stmt)}


def acceptance_rates(session: Any, width: float = 0.1) -> list[dict[str, Any]]:
    """Share of the decided suggestions accepted, per band of score (what a score has meant
    on this corpus so far): ``[{"low", "high", "accepted", "decided"}]``."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for score, status in session.execute(select(Suggestion.score, Suggestion.status).where(
            Suggestion.status.in_(["accepted", "rejected"]))):
        band = min(int(score / width), int(round(1 / width)) - 1)
        counts[band][0 if status == "accepted" else 1] += 1
    return [{"low": round(b * width, 2), "high": round((b + 1) * width, 2),
             "accepted": won, "decided": won + lost}
            for b, (won, lost) in sorted(counts.items())]


def score_meaning(bands: list[dict[str, Any]], score: float, width: float = 0.1
                  ) -> str | None:
    """« about 6 in 10 at this score were accepted so far », from the decided suggestions
    scoring within ``width`` of ``score`` (None before five such decisions)."""
    near = [b for b in bands if b["high"] > score - width and b["low"] < score + width]
    won, decided = sum(b["accepted"] for b in near), sum(b["decided"] for b in near)
    if decided < 5:
        return None
    return f"about {round(10 * won / decided)} in 10 at this score accepted so far"


@dataclass
class Review:
    """One review by one coder; ``history`` is what `undo` can revert."""

    db: Database
    coder: str
    code: str | None = None
    threshold: float = DEFAULT_MIN_SCORE
    include_skipped: bool = False
    history: list[Decision] = field(default_factory=list)
    done: int = 0
    retrain_every: int = 10  # decisions between two retrainings (0: never)
    _bands: list[dict[str, Any]] | None = field(default=None, repr=False)
    _bands_at: int = field(default=-1, repr=False)

    def due(self) -> bool:
        return bool(self.retrain_every) and self.done > 0 and self.done % self.retrain_every == 0

    def retrain(self) -> int:
        """Retrain on every decision so far and rescore the documents still in the queue
        (analyses come from the cache); returns the number of suggestions refreshed."""
        from .service import suggest

        with self.db.session() as s:
            docs = sorted({it.document for it in load_queue(s, code=self.code)})
        if not docs:
            return 0
        with self.db.session() as s:  # reads; writes in short transactions (see suggest)
            return len(suggest(s, documents=docs, codes=[self.code] if self.code else None,
                               min_score=self.threshold, refresh_only=True, db=self.db))

    def meaning(self, score: float) -> str | None:
        """What ``score`` has meant on this corpus so far (refreshed every decision)."""
        if self._bands is None or self._bands_at != self.done:
            with self.db.session() as s:
                self._bands, self._bands_at = acceptance_rates(s), self.done
        return score_meaning(self._bands, score)

    def queue(self) -> list[Item]:
        with self.db.session() as s:
            return load_queue(s, code=self.code,
                              include_skipped=self.include_skipped)

    def decide(self, item: Item, action: str) -> Decision:
        if action not in STATUS:
            raise QualcodeError(f"unknown decision {action!r}", "accept, reject or skip")
        with self.db.session(write=True) as s:
            sug = _locked(s, item.suggestion_id)
            if sug is None:
                raise QualcodeError("this suggestion no longer exists",
                                    "run `qualcode suggest` again")
            if (sug.status, sug.decided_by) != (item.status, item.decided_by):
                raise AlreadyDecided(item, sug.status, _coder_name(s, sug.decided_by))
            coder = get_or_create_coder(s, self.coder)
            decision = Decision(sug.id, action, (sug.status, sug.decided_by, sug.decided_at),
                                item=item)
            with audited(s, action=f"suggestion {action}", coder=coder.name,
                         summary=f"{action} {item.code} on {item.ref} (score {sug.score:.2f})"):
                if action == "accept":
                    decision.coding_id = self._code_segment(s, sug, coder.id)
                sug.status = STATUS[action]
                sug.decided_by = coder.id
                sug.decided_at = utcnow()
                s.add(sug)
        self.history.append(decision)
        self.done += 1
        return decision

    @staticmethod
    def _code_segment(s: Any, sug: Suggestion, coder_id: int) -> int | None:
        seg = s.get(Segment, sug.segment_id)
        same = s.scalar(select(Coding).where(
            Coding.code_id == sug.code_id, Coding.document_id == seg.document_id,
            Coding.start == seg.start, Coding.end == seg.end, Coding.coder_id == coder_id))
        if same is not None:
            return None  # already coded by this coder: the accept creates nothing
        coding = Coding(code_id=sug.code_id, document_id=seg.document_id, segment_id=seg.id,
                        start=seg.start, end=seg.end, coder_id=coder_id, origin="suggestion")
        s.add(coding)
        s.flush()
        return coding.id

    def undo(self) -> Decision | None:
        """Revert the last decision of this review; None when there is none."""
        if not self.history:
            return None
        last = self.history.pop()
        summary = f"undo {last.action} of suggestion {last.suggestion_id}"
        with self.db.session(write=True) as s:
            sug = _locked(s, last.suggestion_id)
            coder = get_or_create_coder(s, self.coder)
            if sug is not None and (sug.status, sug.decided_by) != (STATUS[last.action],
                                                                     coder.id):
                # another coder decided it again after us: their decision stands (and ours
                # still counts as made)
                assert last.item is not None  # decide() always keeps it
                raise AlreadyDecided(last.item, sug.status, _coder_name(s, sug.decided_by))
            self._revert(s, last, summary)
        self.done -= 1
        return last

    def _revert(self, s: Any, last: Decision, summary: str) -> None:
        with audited(s, action="suggestion undo", coder=self.coder, summary=summary):
            if last.coding_id is not None:
                coding = s.get(Coding, last.coding_id)
                if coding is not None:
                    s.delete(coding)
            sug = s.get(Suggestion, last.suggestion_id)
            if sug is not None:
                sug.status, sug.decided_by, sug.decided_at = last.before
                s.add(sug)


def _locked(s: Any, suggestion_id: int) -> Suggestion | None:
    """The suggestion as it is now, row-locked until the transaction ends (PostgreSQL; on
    SQLite the write transaction already holds the database lock from its BEGIN)."""
    return s.scalar(select(Suggestion).where(Suggestion.id == suggestion_id)
                    .with_for_update().execution_options(populate_existing=True))


def _coder_name(s: Any, coder_id: int | None) -> str | None:
    return s.scalar(select(Coder.name).where(Coder.id == coder_id)) if coder_id else None
