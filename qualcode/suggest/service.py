"""Compute, store and evaluate suggestions. Suggestions never become codings here: only an
accept in `review` creates a coding.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlmodel import Session

from ..codebook.lookup import descendants, get_code
from ..corpus.documents import get_document
from ..errors import NotFound, QualcodeError
from ..models import Code, Coder, Coding, Document, Segment, Suggestion
from . import examples as exmod
from . import keywords as kwmod
from . import learned as lmod
from .analysis_cache import Analysis, AnalysisStore
from .scoring import (
    COMBINER,
    DEFAULT_MIN_SCORE,
    CodeInfo,
    Engine,
    codebook_logit,
    contributions,
    scorer_names,
    unit,
)

CHUNK = 512  # segments scored and written together
EXCERPT = 120
SHARED_WORDS = 8
CODEBOOK_BATCH = 256

Progress = Callable[[int, int], None]  # (segments done, total)


@dataclass
class SegRow:
    id: int
    document_id: int
    document: str
    n: int
    start: int
    end: int
    text: str
    text_hash: str
    is_interviewer: bool

    @property
    def ref(self) -> str:
        return f"{self.document}:{self.n}"


# ---------------------------------------------------------------- corpus access

def load_codes(session: Session) -> list[CodeInfo]:
    """Codable codes in codebook order, with their keywords and prototype texts."""
    rows = session.scalars(select(Code).where(Code.is_codable.is_(True))
                           .order_by(Code.position, Code.id))
    out = []
    for c in rows:
        definition = " ".join(t for t in (c.description, c.inclusion) if t and t.strip())
        examples = [t for t in (c.examples or []) if t and t.strip()]
        texts = [definition, *examples] if definition else examples
        out.append(CodeInfo(c.id, c.name, [k for k in (c.keywords or []) if k.strip()], texts,
                            examples))
    return out


def segment_rows(session: Session, *, document_ids: Iterable[int] | None = None,
                 segment_ids: Iterable[int] | None = None,
                 include_interviewer: bool = True) -> list[SegRow]:
    stmt = (select(Segment.id, Segment.document_id, Document.name, Segment.n, Segment.start,
                   Segment.end, Segment.text_hash, Segment.is_interviewer)
            .join(Document, Document.id == Segment.document_id)
            .order_by(Segment.document_id, Segment.n))
    if document_ids is not None:
        stmt = stmt.where(Segment.document_id.in_(list(document_ids)))
    if segment_ids is not None:
        stmt = stmt.where(Segment.id.in_(list(segment_ids)))
    if not include_interviewer:
        stmt = stmt.where(Segment.is_interviewer.is_(False))
    texts: dict[int, str] = {}
    out = []
    for sid, did, name, n, start, end, text_hash, interviewer in session.execute(stmt):
        if did not in texts:
            texts = {did: session.scalar(select(Document.text).where(Document.id == did))}
        text = texts[did][start:end]
        out.append(SegRow(sid, did, name, n, start, end, text, text_hash, bool(interviewer)))
    return out


def coded_pairs(session: Session, *, coder_id: int | None = None,
                document_ids: Iterable[int] | None = None) -> dict[int, dict[int, set[int]]]:
    """segment id -> code id -> coder ids, for codings overlapping the segment."""
    stmt = (select(Segment.id, Coding.code_id, Coding.coder_id)
            .join(Coding, and_(Coding.document_id == Segment.document_id,
                               Coding.start < Segment.end, Coding.end > Segment.start)))
    if coder_id is not None:
        stmt = stmt.where(Coding.coder_id == coder_id)
    if document_ids is not None:
        stmt = stmt.where(Segment.document_id.in_(list(document_ids)))
    out: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for sid, code_id, coder in session.execute(stmt):
        out[sid][code_id].add(coder)
    return out


def labels_from(coded: dict[int, dict[int, set[int]]], code_ids: Sequence[int],
                rejected: Iterable[tuple[int, int]] = ()) -> dict[int, tuple[set, set]]:
    """Training labels: a segment coded with C is positive for C; a segment coded with other
    codes but not C is negative for C; a rejected suggestion is negative (unless a coding says
    otherwise). Skipped suggestions say nothing."""
    all_codes = set(code_ids)
    out: dict[int, tuple[set, set]] = {}
    for sid, codes in coded.items():
        pos = set(codes) & all_codes
        out[sid] = (pos, all_codes - pos)
    for sid, code_id in rejected:
        if code_id not in all_codes:
            continue
        pos, neg = out.setdefault(sid, (set(), set()))
        if code_id not in pos:
            neg.add(code_id)
    return out


def coverage_of(session: Session, coded: dict[int, dict[int, set[int]]],
                document_ids: Iterable[int] | None = None) -> float | None:
    """Share of the non-interviewer segments, in documents with codings, that carry a code."""
    if not coded:
        return None
    docs = set(session.scalars(select(Segment.document_id).where(Segment.id.in_(list(coded)))))
    if document_ids is not None:
        docs &= set(document_ids)
    if not docs:
        return None
    sids = list(session.scalars(select(Segment.id).where(
        Segment.document_id.in_(list(docs)), Segment.is_interviewer.is_(False))))
    return sum(1 for sid in sids if sid in coded) / len(sids) if sids else None


def rejected_pairs(session: Session) -> list[tuple[int, int]]:
    return [(sid, cid) for sid, cid in session.execute(
        select(Suggestion.segment_id, Suggestion.code_id)
        .where(Suggestion.status == "rejected"))]


# ---------------------------------------------------------------- engine construction

class CodebookFeatures:
    """What the codebook alone gives: the keyword index and the prototype vectors."""

    def __init__(self, store: AnalysisStore, codes: list[CodeInfo]) -> None:
        self.codes = codes
        self.index = kwmod.KeywordIndex()
        self.weights: dict[tuple[int, str], float] = {}
        keywords = list(dict.fromkeys(k for c in codes for k in c.keywords))
        texts = keywords + [t for c in codes for t in c.examples]
        definitions = [t for c in codes for t in c.proto_texts if t not in c.examples]
        # Short texts: larger batches cost no memory and save spaCy's per-batch overhead.
        analyses = dict(zip(texts, store.get_many(texts, batch_size=CODEBOOK_BATCH),
                            strict=True)) if texts else {}
        carriers = {k: kwmod.carrier_texts(k, analyses[k]) for k in keywords}
        extra = [t for ts in carriers.values() for t in ts if t not in analyses]
        if extra:
            analyses.update(zip(extra, store.get_many(extra, batch_size=CODEBOOK_BATCH),
                                strict=True))
        # Definitions only feed the prototype vectors: the tokenizer is enough.
        if definitions:
            analyses.update(zip(definitions, store.get_many(definitions, tokens_only=True),
                                strict=True))
        self.vectors: list[list[np.ndarray]] = []
        self.entries: list[exmod.Entry] = []
        all_ids = frozenset(c.id for c in codes)
        for c in codes:
            for k in dict.fromkeys(c.keywords):
                pattern = kwmod.compile_keyword(c.id, k, analyses[k],
                                                [analyses[t] for t in carriers[k]])
                if pattern is not None:
                    self.index.add(pattern)
                    self.weights[(c.id, k)] = pattern.weight
            vecs = [unit(analyses[t].vector.astype(np.float32)) for t in c.proto_texts]
            self.vectors.append([v for v in vecs if v.any()])
            # A codebook example is a positive for its code and a negative for the others.
            self.entries.extend(
                exmod.Entry("codebook", _excerpt(t), frozenset(exmod.content_lemmas(analyses[t])),
                            frozenset({c.id}), all_ids - {c.id})
                for t in c.examples)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1].rstrip() + "…"


def _prototypes(vectors: list[list[np.ndarray]]) -> np.ndarray:
    dim = next((v.shape[0] for vs in vectors for v in vs), 0)
    out = np.zeros((len(vectors), dim), np.float32)
    for j, vs in enumerate(vectors):
        if vs:
            out[j] = unit(np.mean(vs, axis=0))
    return out


def build_engine(book: CodebookFeatures, *, labels: dict[int, tuple[set, set]] | None = None,
                 rejected: Iterable[tuple[int, int]] = (),
                 rows: dict[int, SegRow] | None = None,
                 analyses: dict[int, Analysis] | None = None,
                 coverage: float | None = None) -> Engine:
    """An engine for ``book``. With labels (and the rows and analyses of the labelled
    segments), coded segments join the codebook examples in the example pool, and a learned
    correction of the codebook score is trained, used only if it helps on held-out
    documents (`learned.train_checked`).

    In the pool a coded segment is a positive example of its codes, and a negative one only
    for the codes explicitly rejected on it (``rejected`` (segment, code) pairs): "coded with
    A but not B" is too weak a statement about long turns that mix topics (demo corpus:
    these implicit negatives lowered micro-F1 by 0.01 after one coded document).
    """
    codes = book.codes
    col = {c.id: j for j, c in enumerate(codes)}
    labels = labels or {}
    rows = rows or {}
    analyses = analyses or {}
    refused: dict[int, set[int]] = defaultdict(set)
    for sid, cid in rejected:
        refused[sid].add(cid)
    entries = list(book.entries)
    sids = [sid for sid in labels if sid in analyses]
    for sid in sids:
        pos = frozenset(labels[sid][0])
        neg = frozenset(refused.get(sid, set()) - pos)
        if pos or neg:
            row = rows[sid]
            entries.append(exmod.Entry(row.ref, _excerpt(row.text),
                                       frozenset(exmod.content_lemmas(analyses[sid])),
                                       pos, neg, sid))
    engine = Engine(codes, book.index, book.weights, _prototypes(book.vectors),
                    pool=exmod.ExamplePool(entries, [c.id for c in codes]), coverage=coverage)
    # human decisions per code: coded segments (positive or negative) and rejections
    engine.learned_from = np.zeros(len(codes), np.int64)
    for sid in sids:
        pos, neg = labels[sid]
        for cid in set(pos) | set(neg):
            engine.learned_from[col[cid]] += 1
    if sids:
        seg_analyses = [analyses[sid] for sid in sids]
        f = engine.codebook_features(seg_analyses, sids)  # a segment is not its own example
        z0 = codebook_logit(f.kw, f.sim, f.ex)
        y = np.zeros(f.kw.shape, np.float32)
        mask = np.zeros(f.kw.shape, np.float32)
        for i, sid in enumerate(sids):
            pos, neg = labels[sid]
            for cid in pos:
                y[i, col[cid]] = 1
                mask[i, col[cid]] = 1
            for cid in neg:
                mask[i, col[cid]] = 1
        engine.model, engine.check = lmod.train_checked(
            seg_analyses, z0, f.kw, f.sim, y, mask, [rows[sid].document_id for sid in sids])
    return engine


def _label_analyses(store: AnalysisStore, rows: list[SegRow]) -> dict[int, Analysis]:
    analyses = store.get_many([r.text for r in rows], [r.text_hash for r in rows], keep=True)
    return {r.id: a for r, a in zip(rows, analyses, strict=True)}


# ---------------------------------------------------------------- suggest

def _nearest(engine: Engine, batch: Any, i: int, j: int, row: SegRow) -> dict | None:
    """The nearest positive example of the code and the words the segment shares with it."""
    k = int(batch.ex_nearest[i, j])
    if k < 0 or engine.pool is None:
        return None
    entry = engine.pool.entries[k]
    bag = batch.bags[i]
    common = bag & entry.lemmas
    if not common:
        return None
    a = batch.analyses[i]
    words: dict[str, str] = {}
    for t, lemma in enumerate(a.lemmas):
        if lemma in common and lemma not in words:
            words[lemma] = row.text[int(a.starts[t]):int(a.ends[t])]
    similarity = len(common) / (max(len(bag), 1) * max(len(entry.lemmas), 1)) ** 0.5
    return {"segment": entry.ref, "excerpt": entry.excerpt, "similarity": round(similarity, 3),
            "shared": list(words.values())[:SHARED_WORDS]}


def _evidence(engine: Engine, batch: Any, i: int, j: int, row: SegRow) -> dict[str, Any]:
    a = batch.analyses[i]
    code_id = engine.codes[j].id
    matches = []
    for m in batch.matches[i]:
        if m.code_id != code_id:
            continue
        start = row.start + int(a.starts[m.first])
        end = row.start + int(a.ends[m.last])
        matches.append({"text": row.text[start - row.start:end - row.start], "start": start,
                        "end": end, "keyword": m.keyword, "negated": m.negated})
    learned = float(batch.learned[i, j])
    return {
        "scorer": COMBINER,
        "scorers": scorer_names(),
        "matches": matches,
        "keyword_strength": round(float(batch.kw[i, j]), 3),
        "similarity": round(float(batch.cos[i, j]), 3),
        "similarity_term": round(float(batch.sim[i, j]), 3),
        "example_margin": round(float(batch.ex[i, j]), 3),
        "nearest": _nearest(engine, batch, i, j, row),
        "contributions": contributions(float(batch.kw[i, j]), float(batch.sim[i, j]),
                                       float(batch.ex[i, j]), learned),
        "learned_from": int(engine.learned_from[j]) if engine.learned_from is not None else 0,
        "learned_used": engine.model is not None,
        "filled": bool(batch.filled[i, j]),
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


def prepare(session: Session, store: AnalysisStore) -> tuple[list[CodeInfo], Engine]:
    """Codes and an engine trained on every human coding and review decision."""
    infos = load_codes(session)
    if not infos:
        raise QualcodeError("the codebook has no codes to suggest",
                            "import one first: qualcode codebook import codebooks/guichet.yaml")
    book = CodebookFeatures(store, infos)
    coded = coded_pairs(session)
    rejected = rejected_pairs(session)
    labels = labels_from(coded, [c.id for c in infos], rejected)
    rows = {r.id: r for r in segment_rows(session, segment_ids=list(labels))} if labels else {}
    labels = {sid: lab for sid, lab in labels.items() if sid in rows}
    analyses = _label_analyses(store, list(rows.values())) if rows else {}
    return infos, build_engine(book, labels=labels, rejected=rejected, rows=rows,
                               analyses=analyses,
                               coverage=coverage_of(session, coded))


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
) -> list[dict[str, Any]]:
    """Compute and store suggestions with a score >= ``min_score``; returns them.

    A pending suggestion gets the new score and evidence (or is removed when it falls under
    ``min_score``); an accepted, rejected or skipped one keeps its status. Segments already
    coded with a code (by anyone) get no suggestion for it. Interviewer turns are left out
    unless ``include_interviewer``; a run that leaves them out also removes the pending
    suggestions an earlier `--interviewer` run left on them, for its documents and codes
    (decided ones stay; ``stats["interviewer_removed"]`` counts them). No coding is ever
    created. ``refresh_only`` rescores the pending suggestions and adds or removes none (the
    review loop's retraining).
    """
    if not 0.0 <= min_score <= 1.0:
        raise QualcodeError(f"--min-score must lie between 0 and 1, not {min_score}")
    store = store or AnalysisStore(session)
    doc_ids = None
    if documents:
        doc_ids = [get_document(session, name).id for name in documents]
    infos, engine = prepare(session, store)
    wanted = _wanted_codes(session, codes, infos)
    col = {c.id: j for j, c in enumerate(infos)}
    names = {c.id: c.name for c in infos}
    targets = segment_rows(session, document_ids=doc_ids,
                           include_interviewer=include_interviewer)
    coded = coded_pairs(session, document_ids=doc_ids)
    existing = _existing(session, doc_ids, wanted)
    code_ids = [c.id for c in infos]
    order = {cid: k for k, cid in enumerate(wanted)}
    wanted_cols = np.zeros(len(infos), bool)
    wanted_cols[[col[cid] for cid in wanted]] = True
    total = len(targets)
    done = 0
    out: list[dict[str, Any]] = []

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    table = Suggestion.__table__
    for lo in range(0, total, CHUNK):
        chunk = targets[lo:lo + CHUNK]
        analyses = store.get_many([r.text for r in chunk], [r.text_hash for r in chunk],
                                  progress=tick)
        with gc_paused():  # scoring allocates many small objects, none cyclic
            batch = engine.score(analyses, [r.id for r in chunk])
            engine.fill(batch, min_score, np.array([bool(coded.get(r.id)) for r in chunk]))
            proposed = engine.suggested(batch, min_score) & wanted_cols
            inserts, updates, deletes = [], [], []
            now = _now()
            for i, row in enumerate(chunk):
                already = coded.get(row.id, {})
                priors = existing.get(row.id, {})
                # only the codes proposed now or suggested before: most pairs are neither
                codes_here = set(priors) if refresh_only else (
                    {code_ids[j] for j in np.flatnonzero(proposed[i])} | set(priors))
                for cid in sorted(codes_here, key=order.__getitem__):
                    j = col[cid]
                    score = float(batch.score[i, j])
                    prior = priors.get(cid)
                    if refresh_only and (prior is None or prior[1] != "pending"):
                        continue
                    if (not proposed[i, j] and not refresh_only) or cid in already:
                        if prior is not None and prior[1] == "pending":
                            deletes.append(prior[0])
                        continue
                    if prior is not None and prior[1] != "pending":
                        continue  # a decision stands
                    evidence = _evidence(engine, batch, i, j, row)
                    if prior is None:
                        inserts.append({"segment_id": row.id, "code_id": cid, "score": score,
                                        "evidence": evidence, "scorer": COMBINER,
                                        "status": "pending", "created_at": now})
                    else:
                        updates.append({"sid_": prior[0], "score": score, "evidence": evidence,
                                        "scorer": COMBINER})
                    out.append({"document": row.document, "segment": row.n, "code": names[cid],
                                "score": round(score, 4), "evidence": evidence})
        if inserts:
            session.execute(table.insert(), inserts)
        if updates:
            session.execute(update(table).where(table.c.id == bindparam("sid_"))
                            .values(score=bindparam("score"), evidence=bindparam("evidence"),
                                    scorer=bindparam("scorer")), updates)
        if deletes:
            session.execute(delete(table).where(table.c.id.in_(deletes)))
    removed = 0
    if not include_interviewer and not refresh_only:
        removed = _drop_interviewer_pending(session, doc_ids, wanted)
    if stats is not None:
        stats.update({"segments": total, "parsed": store.parsed, "cached": store.read,
                      "suggestions": len(out), "learned": engine.check,
                      "interviewer_removed": removed})
    return out


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
              ) -> dict[int, dict[int, tuple[int, str]]]:
    """segment id -> code id -> (suggestion id, status) of the stored suggestions."""
    stmt = (select(Suggestion.segment_id, Suggestion.code_id, Suggestion.id, Suggestion.status)
            .where(Suggestion.code_id.in_(list(code_ids))))
    if doc_ids is not None:
        stmt = stmt.join(Segment, Segment.id == Suggestion.segment_id).where(
            Segment.document_id.in_(list(doc_ids)))
    out: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
    for sid, cid, xid, status in session.execute(stmt):
        out[sid][cid] = (xid, status)
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r["code"]] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# ---------------------------------------------------------------- evaluate

def default_eval_coder(session: Session) -> Coder:
    row = session.execute(select(Coder, func.count(Coding.id)).join(
        Coding, Coding.coder_id == Coder.id).group_by(Coder.id)
        .order_by(func.count(Coding.id).desc(), Coder.name)).first()
    if row is None:
        raise NotFound("there are no codings to evaluate against",
                       "code some segments first, or `qualcode code import codings.csv`")
    return row[0]


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = _f1(tp, fp, fn)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "tp": tp, "fp": fp, "fn": fn}


def metrics(gold: dict[int, set[int]], predicted: dict[int, set[int]],
            codes: dict[int, str]) -> dict[str, Any]:
    """Per-code and overall precision/recall/F1 over the segments in ``gold``."""
    per: dict[int, list[int]] = {cid: [0, 0, 0] for cid in codes}
    for sid, truth in gold.items():
        pred = predicted.get(sid, set())
        for cid in codes:
            t, p = cid in truth, cid in pred
            if t and p:
                per[cid][0] += 1
            elif p:
                per[cid][1] += 1
            elif t:
                per[cid][2] += 1
    by_code = {codes[cid]: prf(*v) for cid, v in per.items()}
    tp, fp, fn = (sum(v[k] for v in per.values()) for k in range(3))
    active = [_f1(*v) for v in per.values() if any(v)]
    return {"codes": by_code, "micro": prf(tp, fp, fn),
            "macro_f1": round(float(np.mean(active)), 4) if active else 0.0}


@dataclass
class EvalData:
    """One coder's gold codings and everything the evaluation needs to score segments."""

    coder: Coder
    infos: list[CodeInfo]
    rows: list[SegRow]
    analyses: dict[int, Analysis]
    coded: dict[int, dict[int, set[int]]]  # this coder's codings only
    gold: dict[int, set[int]]
    by_doc: dict[int, list[int]]
    book: CodebookFeatures

    @property
    def code_ids(self) -> list[int]:
        return [c.id for c in self.infos]


def eval_data(session: Session, *, coder: str | None = None,
              store: AnalysisStore | None = None) -> EvalData:
    from ..corpus.coders import get_coder

    who = get_coder(session, coder) if coder else default_eval_coder(session)
    store = store or AnalysisStore(session)
    infos = load_codes(session)
    if not infos:
        raise QualcodeError("the codebook has no codes", "import a codebook first")
    code_ids = {c.id for c in infos}
    coded = coded_pairs(session, coder_id=who.id)
    doc_ids = sorted(set(session.scalars(
        select(Coding.document_id).where(Coding.coder_id == who.id))))
    rows = segment_rows(session, document_ids=doc_ids, include_interviewer=False)
    by_doc: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        by_doc[r.document_id].append(r.id)
    return EvalData(who, infos, rows, _label_analyses(store, rows), coded,
                    {r.id: set(coded.get(r.id, {})) & code_ids for r in rows}, dict(by_doc),
                    CodebookFeatures(store, infos))


def trained_on(data: EvalData, train_docs: Iterable[int]) -> Engine:
    """An engine that learned from the coder's codings of ``train_docs`` only: labels,
    example pool, learned correction and coverage all come from those documents."""
    train = {s for d in train_docs for s in data.by_doc[d]}
    train_coded = {s: v for s, v in data.coded.items() if s in train}
    labels = labels_from(train_coded, data.code_ids)
    coverage = sum(1 for s in train if s in train_coded) / len(train) if train else None
    rows = {r.id: r for r in data.rows if r.id in train}
    return build_engine(data.book, labels=labels, rows=rows,
                        analyses={s: data.analyses[s] for s in train}, coverage=coverage)


def predict(data: EvalData, engine: Engine, sids: list[int], min_score: float,
            *, fill: bool = True) -> dict[int, set[int]]:
    """The codes `suggest` would propose for ``sids`` (filled ones too, unless not ``fill``)."""
    if not sids:
        return {}
    batch = engine.score([data.analyses[s] for s in sids], sids)
    if fill:
        engine.fill(batch, min_score)
    chosen = engine.suggested(batch, min_score)
    return {s: {data.code_ids[j] for j in np.flatnonzero(chosen[i])}
            for i, s in enumerate(sids)}


def cross_predictions(data: EvalData, min_score: float, *, max_pairs: int = 60,
                      fill: bool = True) -> dict[str, Any]:
    """Leave-out predictions: ``loo`` {test document: {segment: codes}} learned from all the
    other documents, and ``pairs`` {(train, test): {segment: codes}} learned from one."""
    doc_ids = sorted(data.by_doc)
    loo = {d: predict(data, trained_on(data, [o for o in doc_ids if o != d]), data.by_doc[d],
                      min_score, fill=fill) for d in doc_ids} if len(doc_ids) >= 2 else {}
    pairs = [(a, b) for a in doc_ids for b in doc_ids if a != b][:max_pairs]
    return {"loo": loo, "pairs": {(a, b): predict(data, trained_on(data, [a]), data.by_doc[b],
                                                  min_score, fill=fill) for a, b in pairs}}


def evaluate(session: Session, *, coder: str | None = None,
             min_score: float = DEFAULT_MIN_SCORE, max_pairs: int = 60,
             store: AnalysisStore | None = None) -> dict[str, Any]:
    """Cross-validate suggestions by document against one coder's codings.

    (a) codebook alone; (b) leave-one-document-out: learn from that coder's codings of the
    other documents; and a learning curve: train on one document, test on another (averaged
    over pairs of documents). Interviewer turns are left out; every other segment of a
    document the coder coded counts (uncoded = no code). The learned figures include the
    filled suggestions (`qualcode.fill.v2`) as `suggest` makes them; ``without_fill``
    repeats them without.
    """
    data = eval_data(session, coder=coder, store=store)
    names = {c.id: c.name for c in data.infos}
    all_sids = [r.id for r in data.rows]
    codebook = metrics(data.gold, predict(data, build_engine(data.book), all_sids, min_score),
                       names)
    report: dict[str, Any] = {
        "coder": data.coder.name, "documents": len(data.by_doc), "segments": len(data.rows),
        "threshold": min_score, "codebook": codebook, "learned": None,
        "curve": [{"train_documents": 0, "micro_f1": codebook["micro"]["f1"]}],
    }
    if len(data.by_doc) < 2:
        return report
    for fill in (True, False):
        cross = cross_predictions(data, min_score, max_pairs=max_pairs, fill=fill)
        predicted = {s: c for p in cross["loo"].values() for s, c in p.items()}
        learned = metrics(data.gold, predicted, names)
        one = [metrics({s: data.gold[s] for s in p}, p, names)["micro"]["f1"]
               for p in cross["pairs"].values()]
        curve = [
            {"train_documents": 0, "micro_f1": codebook["micro"]["f1"]},
            {"train_documents": 1, "micro_f1": round(float(np.mean(one)), 4),
             "pairs": len(one)},
            {"train_documents": len(data.by_doc) - 1, "micro_f1": learned["micro"]["f1"]},
        ]
        if fill:
            report["learned"], report["curve"] = learned, curve
        else:
            report["without_fill"] = {"learned": learned, "curve": curve}
    return report
