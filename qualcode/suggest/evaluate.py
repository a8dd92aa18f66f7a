"""How far to trust suggestions on this corpus: the engine against one coder's codings,
cross-validated by document, next to a plain keyword lookup measured in the same run.

Every figure is computed on documents whose codings the engine did not learn from:
- **keyword lookup** (the baseline): a code is proposed when one of its keywords appears in
  the segment, i.e. all the content lemmas of the keyword are among the segment's lemmas or
  forms (case and accents ignored), in any order; its queue is ranked by the number of
  keywords found;
- **codebook** (zero-shot): the engine with the codebook alone;
- **after one document**: for each document, the engine learns from the coder's codings of
  that one document and is tested on all the others, next to the codebook alone and the
  keyword lookup on the same test documents; the figures are means over those runs;
- **learned**: each document is tested by an engine that learned from all the others.
Ranking figures describe the review queue (the pairs scoring at least the `suggest`
threshold, best first): precision of its first 10 and 20 items, and the share of the coder's
codings found in its first 20%.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlmodel import Session

from ..errors import NotFound, QualcodeError
from ..models import Coder, Coding
from . import keywords as kwmod
from .analysis_cache import PUNCT, SPACE, STOP, Analysis, AnalysisStore
from .data import SegRow, coded_pairs, decisions_from, load_codes, segment_rows
from .reliability import Key, corpus_shares
from .scoring import DECISION, DEFAULT_MIN_SCORE, CodeInfo, Engine
from .training import CodebookFeatures, build_engine

MAX_RUNS = 12  # one-document runs (each trains on one document, tests on the others)


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
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(_f1(tp, fp, fn), 4),
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


def ranking(gold: dict[int, set[int]], queue: Sequence[tuple[float, int, int]]
            ) -> dict[str, Any]:
    """Review-queue figures for ``queue`` items (score, segment, code), best first."""
    items = sorted(queue, key=lambda t: -t[0])
    right = [cid in gold.get(sid, ()) for _score, sid, cid in items]
    total = sum(len(v) for v in gold.values())
    top = math.ceil(0.2 * len(items))

    def at(k: int) -> float | None:
        return round(sum(right[:k]) / k, 4) if len(right) >= k else None

    return {"queue": len(items), "precision_at_10": at(10), "precision_at_20": at(20),
            "found_in_top_20pct": round(sum(right[:top]) / total, 4) if total else None}


@dataclass
class EvalData:
    """One coder's gold codings and everything needed to score their documents."""

    coder: str
    infos: list[CodeInfo]
    rows: list[SegRow]  # non-interviewer segments of the coded documents
    analyses: dict[int, Analysis]
    matches: dict[int, list[kwmod.Match]]
    shares: dict[Key, float]
    gold: dict[int, set[int]]
    by_doc: dict[int, list[int]]
    book: CodebookFeatures
    lookup: dict[int, list[frozenset[str]]]  # code -> keyword lemma sets (the baseline)

    @property
    def code_ids(self) -> list[int]:
        return [c.id for c in self.infos]

    @property
    def names(self) -> dict[int, str]:
        return {c.id: c.name for c in self.infos}


def keyword_lemmas(a: Analysis) -> frozenset[str]:
    """The lemmas a plain lookup needs for one keyword: its content words (all its words
    when it has none, as in `à quoi bon`)."""
    words = [i for i in range(len(a)) if not a.flags[i] & (PUNCT | SPACE)]
    content = [i for i in words if not a.flags[i] & STOP]
    return frozenset(a.lemmas[i] for i in (content or words))


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
    analyses = dict(zip((r.id for r in rows),
                        store.get_many([r.text for r in rows], [r.text_hash for r in rows]),
                        strict=True))
    by_doc: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        by_doc[r.document_id].append(r.id)
    book = CodebookFeatures(store, infos)
    matcher = book.engine({})
    matches = {sid: matcher.match(a) for sid, a in analyses.items()}
    shares = corpus_shares(({(m.code_id, m.keyword) for m in ms} for ms in matches.values()),
                           len(rows))
    lookup: dict[int, list[frozenset[str]]] = {}
    for c in infos:
        kws = list(dict.fromkeys(c.keywords))
        lookup[c.id] = [keyword_lemmas(a) for a in store.get_many(kws)] if kws else []
    gold = {r.id: set(coded.get(r.id, {})) & code_ids for r in rows}
    return EvalData(who.name, infos, rows, analyses, matches, shares, gold, dict(by_doc), book,
                    lookup)


def trained_on(data: EvalData, train_docs: Iterable[int]) -> Engine:
    """An engine that learned from the coder's codings of ``train_docs`` only."""
    train = {s for d in train_docs for s in data.by_doc[d]}
    rows = [r for r in data.rows if r.id in train]
    coded = {s: {c: {0} for c in data.gold[s]} for s in train}
    decisions = decisions_from(rows, coded, data.code_ids, read_all=True)
    return build_engine(data.book, data.shares, decisions=decisions,
                        rows={r.id: r for r in rows},
                        analyses={s: data.analyses[s] for s in train},
                        matches={s: data.matches[s] for s in train})


def scores(data: EvalData, engine: Engine, sids: Sequence[int]) -> np.ndarray:
    if not sids:
        return np.zeros((0, len(data.infos)))
    f = engine.score([data.analyses[s] for s in sids], list(sids),
                     matches=[data.matches[s] for s in sids])
    assert f.score is not None
    return f.score


def lookup_counts(data: EvalData, sids: Sequence[int]) -> np.ndarray:
    """(n, codes) number of keywords of each code found by the plain lookup."""
    out = np.zeros((len(sids), len(data.infos)))
    for i, s in enumerate(sids):
        a = data.analyses[s]
        bag = set(a.lemmas) | set(a.forms)
        for j, c in enumerate(data.infos):
            out[i, j] = sum(1 for need in data.lookup[c.id] if need and need <= bag)
    return out


class _Pooled:
    """Predictions and queue items gathered over several test documents."""

    def __init__(self, data: EvalData) -> None:
        self.data = data
        self.predicted: dict[int, set[int]] = {}
        self.queue: list[tuple[float, int, int]] = []

    def add(self, sids: Sequence[int], values: np.ndarray, threshold: float,
            queue_floor: float) -> None:
        ids = self.data.code_ids
        for i, s in enumerate(sids):
            self.predicted[s] = {ids[j] for j in np.flatnonzero(values[i] >= threshold)}
            for j in np.flatnonzero(values[i] >= queue_floor):
                self.queue.append((float(values[i, j]) - 1e-6 * i, s, ids[j]))

    def report(self, gold: dict[int, set[int]]) -> dict[str, Any]:
        sub = {s: gold[s] for s in self.predicted}
        out = metrics(sub, self.predicted, self.data.names)
        out["ranking"] = ranking(sub, self.queue)
        return out


def _engine_pool(data: EvalData, engine: Engine, sids: Sequence[int], threshold: float
                 ) -> _Pooled:
    pooled = _Pooled(data)
    pooled.add(sids, scores(data, engine, sids), threshold, DEFAULT_MIN_SCORE)
    return pooled


def _lookup_pool(data: EvalData, sids: Sequence[int]) -> _Pooled:
    pooled = _Pooled(data)
    pooled.add(sids, lookup_counts(data, sids), 1.0, 1.0)
    return pooled


def evaluate(session: Session, *, coder: str | None = None, threshold: float = DECISION,
             max_runs: int = MAX_RUNS, store: AnalysisStore | None = None) -> dict[str, Any]:
    """The evaluation report (see the module docstring)."""
    data = eval_data(session, coder=coder, store=store)
    return evaluate_data(data, threshold=threshold, max_runs=max_runs)


def evaluate_data(data: EvalData, *, threshold: float = DECISION,
                  max_runs: int = MAX_RUNS) -> dict[str, Any]:
    all_sids = [r.id for r in data.rows]
    zero = data.book.engine(data.shares)
    report: dict[str, Any] = {
        "coder": data.coder, "documents": len(data.by_doc), "segments": len(data.rows),
        "codings": sum(len(v) for v in data.gold.values()), "threshold": threshold,
        "keyword_lookup": _lookup_pool(data, all_sids).report(data.gold),
        "codebook": _engine_pool(data, zero, all_sids, threshold).report(data.gold),
        "one_document": None, "learned": None,
    }
    docs = sorted(data.by_doc)
    if len(docs) < 2:
        return report
    runs = []
    for t in docs[:max_runs]:
        test = [s for d in docs if d != t for s in data.by_doc[d]]
        engine = trained_on(data, [t])
        runs.append({
            "engine": _engine_pool(data, engine, test, threshold).report(data.gold),
            "codebook": _engine_pool(data, zero, test, threshold).report(data.gold),
            "keyword_lookup": _lookup_pool(data, test).report(data.gold),
            "calibrated": engine.calibrated,
        })
    report["one_document"] = {
        "runs": len(runs),
        "calibrated": sum(r["calibrated"] for r in runs),
        **{k: {"micro_f1": round(float(np.mean([r[k]["micro"]["f1"] for r in runs])), 4),
               "precision": round(float(np.mean([r[k]["micro"]["precision"] for r in runs])), 4),
               "recall": round(float(np.mean([r[k]["micro"]["recall"] for r in runs])), 4)}
           for k in ("engine", "codebook", "keyword_lookup")},
    }
    learned = _Pooled(data)
    calibrated = 0
    for d in docs:
        engine = trained_on(data, [o for o in docs if o != d])
        calibrated += engine.calibrated
        learned.add(data.by_doc[d], scores(data, engine, data.by_doc[d]), threshold,
                    DEFAULT_MIN_SCORE)
    report["learned"] = learned.report(data.gold)
    report["learned"]["calibrated"] = calibrated
    return report
