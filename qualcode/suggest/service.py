"""Compute and store suggestions. Suggestions never become codings here: only an accept in
`review` creates a coding.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, func, select, update
from sqlmodel import Session

from ..codebook.lookup import descendants, get_code
from ..corpus.documents import get_document
from ..db import Database
from ..errors import QualcodeError
from ..models import Segment, Suggestion
from . import keywords as kwmod
from .analysis_cache import Analysis, AnalysisStore
from .data import (
    SegRow,
    coded_pairs,
    decisions_from,
    load_codes,
    rejected_pairs,
    segment_rows,
)
from .reliability import Key, corpus_shares
from .review import acceptance_rates
from .scoring import (
    COMBINER,
    DEFAULT_MIN_SCORE,
    CodeInfo,
    Engine,
    Features,
    contributions,
    scorer_names,
)
from .training import CodebookFeatures, build_engine

CHUNK = 512  # segments analysed, scored and written together
SHARED_WORDS = 8
UNCHANGED = 5e-4  # a stored score this close is the same at the precision shown (2 decimals)

Progress = Callable[[int, int], None]  # (segments done, total)


@dataclass
class Corpus:
    """Every segment of the corpus with its keyword matches, the keywords' specificity, and
    the engine trained on every decision."""

    rows: list[SegRow]
    matches: dict[int, list[kwmod.Match]]
    shares: dict[Key, float]
    engine: Engine
    infos: list[CodeInfo]


def prepare(session: Session, store: AnalysisStore, *, extra: Sequence[SegRow] = (),
            rows: list[SegRow] | None = None,
            progress: Callable[[int], None] | None = None) -> Corpus:
    """Read (or parse) every non-interviewer segment once: keyword specificity is measured
    on the whole corpus, whatever the documents a run suggests for. ``extra`` rows (the
    interviewer turns a run asks for) are matched too; ``rows`` are every segment of the
    corpus when the caller has them."""
    infos = load_codes(session)
    if not infos:
        raise QualcodeError("the codebook has no codes to suggest",
                            "import one first: qualcode codebook import codebooks/guichet.yaml")
    book = CodebookFeatures(store, infos)
    rows = rows if rows is not None else segment_rows(session)
    counted = [r for r in rows if not r.is_interviewer]
    wanted = {r.id for r in extra}
    scan = [r for r in rows if not r.is_interviewer or r.id in wanted]
    code_ids = [c.id for c in infos]
    coded = coded_pairs(session)
    decisions = decisions_from(rows, coded, code_ids, rejected_pairs(session))
    decided = set(decisions.segments())
    matcher = book.engine({})
    matches: dict[int, list[kwmod.Match]] = {}
    analyses: dict[int, Analysis] = {}
    for lo in range(0, len(scan), CHUNK):
        chunk = scan[lo:lo + CHUNK]
        for r, a in zip(chunk, store.get_many([r.text for r in chunk],
                                              [r.text_hash for r in chunk], progress=progress),
                        strict=True):
            matches[r.id] = matcher.match(a)
            if r.id in decided:
                analyses[r.id] = a
    shares = corpus_shares(({(m.code_id, m.keyword) for m in matches[r.id]} for r in counted),
                           len(counted))
    by_id = {r.id: r for r in rows}
    engine = build_engine(book, shares, decisions=decisions, rows=by_id, analyses=analyses,
                          matches=matches)
    return Corpus(rows, matches, shares, engine, infos)


def _nearest(engine: Engine, f: Features, i: int, j: int, row: SegRow) -> dict | None:
    """The nearest positive example of the code and the words the segment shares with it."""
    k = int(f.nearest[i, j])
    if k < 0 or engine.pool is None:
        return None
    entry = engine.pool.entries[k]
    bag = f.bags[i]
    common = bag & entry.lemmas
    if not common:
        return None
    a = f.analyses[i]
    words: dict[str, str] = {}
    for t, lemma in enumerate(a.lemmas):
        if lemma in common and lemma not in words:
            words[lemma] = row.text[int(a.starts[t]):int(a.ends[t])]
    similarity = len(common) / (max(len(bag), 1) * max(len(entry.lemmas), 1)) ** 0.5
    return {"segment": entry.ref, "excerpt": entry.excerpt, "similarity": round(similarity, 3),
            "shared": list(words.values())[:SHARED_WORDS]}


def evidence(engine: Engine, f: Features, i: int, j: int, row: SegRow) -> dict[str, Any]:
    a = f.analyses[i]
    code_id = engine.codes[j].id
    rel = engine.reliability
    matches = []
    for m in f.matches[i]:
        if m.code_id != code_id:
            continue
        start = row.start + int(a.starts[m.first])
        end = row.start + int(a.ends[m.last])
        key = (m.code_id, m.keyword)
        matches.append({"text": row.text[start - row.start:end - row.start], "start": start,
                        "end": end, "keyword": m.keyword, "negated": m.negated,
                        "reliability": round(rel.keyword(key), 3),
                        "share": round(rel.share.get(key, 0.0), 4),
                        "decisions": rel.decisions(key),
                        "from_name": key in engine.name_keywords})
    p_kw = float(f.p_kw[i, j])
    return {
        "scorer": COMBINER,
        "scorers": scorer_names(),
        "matches": matches,
        "keyword_probability": round(p_kw, 4),
        "negation_holds": round(rel.negation(code_id), 3),
        "similarity": round(float(f.cos[i, j]), 3),
        "similarity_z": round(float(f.sim[i, j]), 3),
        "example_margin": round(float(f.ex[i, j]), 3),
        "nearest": _nearest(engine, f, i, j, row),
        "contributions": contributions(engine.weights, p_kw, float(f.ex[i, j]),
                                       float(f.sim[i, j])),
        "learned_from": int(engine.learned_from[j]) if engine.learned_from is not None else 0,
        "calibrated": engine.calibrated,
    }


def _wanted_codes(session: Session, codes: Sequence[str] | None,
                  infos: list[CodeInfo]) -> list[int]:
    if not codes:
        return [c.id for c in infos]
    codable = {c.id for c in infos}
    wanted: list[int] = []
    for name in codes:
        for cid in descendants(session, get_code(session, name).id):
            if cid in codable and cid not in wanted:
                wanted.append(cid)
    return wanted


def suggest(
    session: Session,
    *,
    documents: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
    include_interviewer: bool = False,
    progress: Progress | None = None,
    store: AnalysisStore | None = None,
    stats: dict[str, Any] | None = None,
    refresh_only: bool = False,
    evidence_rows: bool = True,
    db: Database | None = None,
) -> list[dict[str, Any]]:
    """Compute and store the suggestions scoring at least ``min_score``; returns them, the
    most likely first within each segment (with their evidence unless not
    ``evidence_rows``: a pending suggestion whose score moved by less than ``UNCHANGED`` is
    then left as it is, evidence and all, which is most of a second pass).

    A pending suggestion gets the new score and evidence (or is removed when it falls under
    ``min_score``); an accepted, rejected or skipped one keeps its status. Segments already
    coded with a code (by anyone) get no suggestion for it. Interviewer turns are left out
    unless ``include_interviewer``; a run that leaves them out also removes the pending
    suggestions an earlier `--interviewer` run left on them, for its documents and codes
    (decided ones stay; ``stats["interviewer_removed"]`` counts them). No coding is ever
    created. ``refresh_only`` rescores the pending suggestions and adds or removes none (the
    review loop's retraining).

    Everything happens in ``session``'s transaction, unless ``db`` is given: then
    ``session`` only reads, and the writes go to ``db`` in short write transactions (the
    analyses of each batch of parsed texts, the suggestions of each chunk of segments, each
    all or nothing), so that other coders never wait long for a long run; a suggestion
    decided by someone meanwhile keeps its decision.
    """
    if not 0.0 <= min_score <= 1.0:
        raise QualcodeError(f"--min-score must lie between 0 and 1, not {min_score}")
    store = store or AnalysisStore(session)
    if db is not None:
        store.writer = cache_writer(db)
    doc_ids = None
    if documents:
        doc_ids = [get_document(session, name).id for name in documents]
    rows = segment_rows(session)
    wanted_docs = set(doc_ids) if doc_ids is not None else None
    scope = [r for r in rows if (wanted_docs is None or r.document_id in wanted_docs)
             and (include_interviewer or not r.is_interviewer)]
    total = len(scope) if doc_ids is None else None
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total if total is not None else done)

    if progress is not None:
        progress(0, len(scope))
    corpus = prepare(session, store, extra=[r for r in scope if r.is_interviewer], rows=rows,
                     progress=tick)
    infos, engine = corpus.infos, corpus.engine
    wanted = _wanted_codes(session, codes, infos)
    col = {c.id: j for j, c in enumerate(infos)}
    names = {c.id: c.name for c in infos}
    coded = coded_pairs(session, document_ids=doc_ids)
    existing = _existing(session, doc_ids, wanted)
    code_ids = [c.id for c in infos]
    order = {cid: k for k, cid in enumerate(wanted)}
    wanted_cols = np.zeros(len(infos), bool)
    wanted_cols[[col[cid] for cid in wanted]] = True
    out: list[dict[str, Any]] = []
    for lo in range(0, len(scope), CHUNK):
        chunk = scope[lo:lo + CHUNK]
        if db is not None:  # a fresh read: the cache rows written since are visible
            with db.session() as reader:
                store.session = reader
                analyses = store.get_many([r.text for r in chunk],
                                          [r.text_hash for r in chunk])
            store.session = session
        else:
            analyses = store.get_many([r.text for r in chunk], [r.text_hash for r in chunk])
        with gc_paused():  # scoring allocates many small objects, none cyclic
            f = engine.score(analyses, [r.id for r in chunk],
                             matches=[corpus.matches[r.id] for r in chunk])
            assert f.score is not None
            proposed = (f.score >= min_score) & wanted_cols
            inserts, updates, deletes = [], [], []
            now = _now()
            for i, row in enumerate(chunk):
                already = coded.get(row.id, {})
                priors = existing.get(row.id, {})
                # only the codes proposed now or suggested before: most pairs are neither
                codes_here = set(priors) if refresh_only else (
                    {code_ids[j] for j in np.flatnonzero(proposed[i])} | set(priors))
                for cid in sorted(codes_here, key=lambda c, i=i: (-f.score[i, col[c]],
                                                                   order[c])):
                    j = col[cid]
                    score = float(f.score[i, j])
                    prior = priors.get(cid)
                    if refresh_only and (prior is None or prior[1] != "pending"):
                        continue
                    if (not proposed[i, j] and not refresh_only) or cid in already:
                        if prior is not None and prior[1] == "pending":
                            deletes.append(prior[0])
                        continue
                    if prior is not None and prior[1] != "pending":
                        continue  # a decision stands
                    row_out = {"document": row.document, "segment": row.n,
                               "code": names[cid], "score": round(score, 4)}
                    if (not evidence_rows and prior is not None
                            and abs(prior[2] - score) < UNCHANGED):
                        out.append(row_out)  # unchanged: its stored evidence still holds
                        continue
                    ev = evidence(engine, f, i, j, row)
                    if prior is None:
                        inserts.append({"segment_id": row.id, "code_id": cid, "score": score,
                                        "evidence": ev, "scorer": COMBINER,
                                        "status": "pending", "created_at": now})
                    else:
                        updates.append({"sid_": prior[0], "score": score, "evidence": ev,
                                        "scorer": COMBINER})
                    if evidence_rows:
                        row_out["evidence"] = ev
                    out.append(row_out)
        if db is None:
            _write(session, inserts, updates, deletes)
        elif inserts or updates or deletes:
            with db.session(write=True) as writer:
                _write(writer, inserts, updates, deletes, recheck=True)
    removed = 0
    if not include_interviewer and not refresh_only:
        if db is None:
            removed = _drop_interviewer_pending(session, doc_ids, wanted)
        else:
            with db.session(write=True) as writer:
                removed = _drop_interviewer_pending(writer, doc_ids, wanted)
    if stats is not None:
        stats.update({"segments": len(scope), "parsed": store.parsed, "cached": store.read,
                      "suggestions": len(out), "calibrator": engine.check,
                      "interviewer_removed": removed,
                      "acceptance": acceptance_rates(session)})
    return out


def _write(session: Session, inserts: list[dict[str, Any]], updates: list[dict[str, Any]],
           deletes: list[int], *, recheck: bool = False) -> None:
    """Store one chunk's suggestions. ``recheck``: the chunk was computed outside this
    transaction, so only pending suggestions are updated or deleted (a decision taken
    meanwhile stands) and a pair stored meanwhile by another run is not inserted twice."""
    table = Suggestion.__table__
    pending = table.c.status == "pending" if recheck else None
    if inserts and recheck:
        stored = set(session.execute(
            select(table.c.segment_id, table.c.code_id).where(
                table.c.segment_id.in_(list({r["segment_id"] for r in inserts})))).all())
        inserts = [r for r in inserts if (r["segment_id"], r["code_id"]) not in stored]
    if inserts:
        session.execute(table.insert(), inserts)
    if updates:
        stmt = update(table).where(table.c.id == bindparam("sid_"))
        if pending is not None:
            stmt = stmt.where(pending)
        session.execute(stmt.values(score=bindparam("score"), evidence=bindparam("evidence"),
                                    scorer=bindparam("scorer")), updates)
    if deletes:
        stmt = delete(table).where(table.c.id.in_(deletes))
        if pending is not None:
            stmt = stmt.where(pending)
        session.execute(stmt)


def cache_writer(db: Database) -> Callable[[list[dict[str, Any]]], None]:
    """Analysis-cache rows written in their own short transaction (they are derived data: a
    run interrupted later keeps them, and the next run reads instead of parsing)."""
    from ..models import AnalysisCache

    def write(rows: list[dict[str, Any]]) -> None:
        with db.session(write=True) as writer:
            known = set(writer.scalars(select(AnalysisCache.text_hash).where(
                AnalysisCache.text_hash.in_([r["text_hash"] for r in rows]),
                AnalysisCache.model.in_(list({r["model"] for r in rows})))))
            fresh = [r for r in rows if r["text_hash"] not in known]
            if fresh:
                writer.execute(AnalysisCache.__table__.insert(), fresh)

    return write


def _drop_interviewer_pending(session: Session, doc_ids: Sequence[int] | None,
                              code_ids: Sequence[int]) -> int:
    """Remove the pending suggestions on interviewer turns (of these documents, or all, and
    these codes): a run without `--interviewer` must not leave an earlier run's ones in the
    review queue. Returns how many were removed."""
    stmt = (select(Suggestion.id).join(Segment, Segment.id == Suggestion.segment_id)
            .where(Suggestion.status == "pending", Segment.is_interviewer.is_(True),
                   Suggestion.code_id.in_(list(code_ids))))
    if doc_ids is not None:
        stmt = stmt.where(Segment.document_id.in_(list(doc_ids)))
    n = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if n:
        table = Suggestion.__table__
        session.execute(delete(table).where(table.c.id.in_(stmt.scalar_subquery())))
    return n


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: every collection it triggers while the scorers
    allocate rescans every live object of the process (SQLAlchemy, numpy, the model), which
    cost a tenth of a second pass. Reference counting still frees everything."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _now() -> Any:
    from ..models import utcnow

    return utcnow()


def _existing(session: Session, doc_ids: Sequence[int] | None, code_ids: Sequence[int]
              ) -> dict[int, dict[int, tuple[int, str, float]]]:
    """segment id -> code id -> (suggestion id, status, score) of the stored suggestions."""
    stmt = (select(Suggestion.segment_id, Suggestion.code_id, Suggestion.id, Suggestion.status,
                   Suggestion.score)
            .where(Suggestion.code_id.in_(list(code_ids))))
    if doc_ids is not None:
        stmt = stmt.join(Segment, Segment.id == Suggestion.segment_id).where(
            Segment.document_id.in_(list(doc_ids)))
    out: dict[int, dict[int, tuple[int, str, float]]] = defaultdict(dict)
    for sid, cid, xid, status, score in session.execute(stmt):
        out[sid][cid] = (xid, status, score)
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r["code"]] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
