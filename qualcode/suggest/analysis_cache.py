"""Analyses of segment texts, computed once by spaCy and cached in the database.

An analysis keeps what the scorers need: per token its character offsets in the segment text,
its folded lemma and folded form (casefolded, accents stripped: transcripts often drop
accents), stop/punctuation/space flags and negation flags; and the segment vector (mean of
the static vectors of its content words, float32). It is stored as compact bytes (struct
header, raw numpy arrays, NUL-separated UTF-8 strings; no pickle) in ``analysis_cache``,
keyed by the text's sha256 and the pipeline fingerprint, so editing the codebook never
reparses the corpus.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlmodel import Session

from ..models import AnalysisCache
from ..textutil import fold, sha256_text
from . import pipeline

MAGIC = b"QA1\0"
_HEADER = struct.Struct("<4sIH")  # magic, token count, vector dimension

STOP, PUNCT, SPACE, NEG_NE, NEG_ADV, NEG_SANS = 1, 2, 4, 8, 16, 32
NE_FORMS = frozenset({"ne", "n'"})
NEG_ADVERBS = frozenset({"pas", "plus", "jamais", "rien", "aucun", "aucune", "guere",
                         "point", "nulle", "personne"})


# French letters folded by a table; `textutil.fold` handles anything else.
_FOLD = {ord(c): fold(c) for c in "ÀÁÂÄÇÈÉÊËÎÏÔÖÙÛÜŸàáâäçèéêëîïôöùûüÿ"}
_FOLD[0x2019] = "'"


def fast_fold(text: str) -> str:
    """`textutil.fold` (same length, so offsets stay valid) with ’ read as ', fast for the
    usual French letters: every new word of a corpus goes through it."""
    if not text.isascii():
        folded = text.translate(_FOLD)
        if not folded.isascii():
            return fold(text).replace("\u2019", "'")
        text = folded
    return text.lower()


@dataclass
class Analysis:
    starts: np.ndarray  # int32, token start offsets in the segment text
    ends: np.ndarray  # int32, end exclusive
    lemmas: list[str]  # folded lemmas
    forms: list[str]  # folded lowercase forms
    flags: np.ndarray  # uint8 bit set (STOP, PUNCT, ...)
    vector: np.ndarray  # float32 (dim,), zeros when no word has a vector

    def __len__(self) -> int:
        return len(self.lemmas)

    def content(self) -> list[int]:
        """Indices of tokens that are neither stop words, punctuation nor spaces."""
        mask = (self.flags & (STOP | PUNCT | SPACE)) == 0
        return np.flatnonzero(mask).tolist()


def to_bytes(a: Analysis) -> bytes:
    n = len(a.lemmas)
    strings = "\0".join(a.lemmas + a.forms).encode("utf-8")
    return b"".join((
        _HEADER.pack(MAGIC, n, a.vector.shape[0]),
        a.starts.astype("<i4", copy=False).tobytes(),
        a.ends.astype("<i4", copy=False).tobytes(),
        a.flags.astype("u1", copy=False).tobytes(),
        a.vector.astype("<f4", copy=False).tobytes(),
        strings,
    ))


def from_bytes(data: bytes) -> Analysis:
    magic, n, dim = _HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise ValueError("not a qualcode analysis")
    pos = _HEADER.size
    starts = np.frombuffer(data, "<i4", n, pos)
    pos += 4 * n
    ends = np.frombuffer(data, "<i4", n, pos)
    pos += 4 * n
    flags = np.frombuffer(data, "u1", n, pos)
    pos += n
    vector = np.frombuffer(data, "<f4", dim, pos)
    pos += 4 * dim
    strings = data[pos:].decode("utf-8").split("\0") if n else []
    return Analysis(starts, ends, strings[:n], strings[n:], flags, vector)


class Analyser:
    """Turns spaCy docs into analyses, with per-process caches of string folding."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.strings = nlp.vocab.strings
        self.vectors = nlp.vocab.vectors
        self.key2row = nlp.vocab.vectors.key2row
        self.dim = int(nlp.vocab.vectors.shape[1]) if nlp.vocab.vectors.shape[0] else 0
        self._fold: dict[int, str] = {}  # string key -> folded string
        self._neg: dict[int, int] = {}  # lowercase form key -> negation flag
        self._row: dict[int, int] = {}  # lowercase form key -> vector row (-1: none)
        from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, IS_STOP, LEMMA, LENGTH, LOWER

        self.attrs = [IDX, LENGTH, LEMMA, LOWER, IS_STOP, IS_PUNCT, IS_SPACE]

    def _learn(self, keys: list[int], forms: bool) -> None:
        """Fold (and for forms, flag) the keys not seen yet in this process."""
        fold, strings = self._fold, self.strings
        # set.difference against a dict runs in C: most keys of a document are known.
        for key in set(keys).difference(self._neg if forms else fold):
            text = fold.get(key)
            if text is None:
                text = fold[key] = fast_fold(strings[key])
            if forms:
                self._neg[key] = (NEG_NE if text in NE_FORMS else NEG_ADV if text in NEG_ADVERBS
                                  else NEG_SANS if text == "sans" else 0)
                self._row[key] = self.key2row.get(key, -1)

    def analyse(self, doc: Any) -> Analysis:
        n = len(doc)
        if n == 0:
            return Analysis(np.zeros(0, "i4"), np.zeros(0, "i4"), [], [], np.zeros(0, "u1"),
                            np.zeros(self.dim, "f4"))
        arr = doc.to_array(self.attrs)
        starts = arr[:, 0].astype("i4")
        ends = starts + arr[:, 1].astype("i4")
        # Per token only C-level dictionary lookups (map over __getitem__): this runs on
        # every token of the corpus.
        lemma_keys, lower_keys = arr[:, 2].tolist(), arr[:, 3].tolist()
        self._learn(lemma_keys, False)
        self._learn(lower_keys, True)
        get = self._fold.__getitem__
        lemmas = list(map(get, lemma_keys))
        forms = list(map(get, lower_keys))
        neg = np.fromiter(map(self._neg.__getitem__, lower_keys), np.uint8, n)
        rows = np.fromiter(map(self._row.__getitem__, lower_keys), np.int64, n)
        flags = (arr[:, 4] * STOP + arr[:, 5] * PUNCT + arr[:, 6] * SPACE).astype("u1") | neg
        # The vector averages content words: no stop word, punctuation or negation.
        rows = rows[(flags == 0) & (rows >= 0)]
        if rows.size and self.dim:
            vector = np.asarray(self.vectors.data[rows], dtype="f4").mean(axis=0)
        else:
            vector = np.zeros(self.dim, "f4")
        return Analysis(starts, ends, lemmas, forms, flags, vector)


def analyse_texts(texts: Iterable[str], *, nlp: Any | None = None,
                  batch_size: int = pipeline.BATCH_SIZE) -> Iterator[Analysis]:
    """Parse ``texts`` and yield their analyses in order."""
    nlp = nlp if nlp is not None else pipeline.get_nlp()
    analyser = _analyser(nlp)
    for doc in pipeline.pipe(texts, nlp=nlp, batch_size=batch_size):
        yield analyser.analyse(doc)


_ANALYSERS: dict[int, Analyser] = {}


def _analyser(nlp: Any) -> Analyser:
    key = id(nlp)
    if key not in _ANALYSERS:
        _ANALYSERS[key] = Analyser(nlp)
    return _ANALYSERS[key]


class AnalysisStore:
    """Read-through cache of analyses in the ``analysis_cache`` table.

    ``get_many`` returns analyses for a list of texts: cached ones are read, the others are
    parsed (spaCy is loaded only if something is missing), stored, and returned.
    ``parsed`` counts the texts that went through spaCy, for the user and for tests.
    """

    def __init__(self, session: Session, *, model: str | None = None,
                 nlp_factory: Callable[[], Any] | None = None) -> None:
        self.session = session
        self.model = model or pipeline.fingerprint()
        self.nlp_factory = nlp_factory or pipeline.get_nlp
        self.parsed = 0
        self.read = 0
        # where new analyses go: the session's transaction, or a callable of its own
        self.writer: Callable[[list[dict[str, Any]]], None] | None = None
        self.memo: dict[str, Analysis] = {}

    def _load(self, hashes: Sequence[str], model: str) -> dict[str, Analysis]:
        out: dict[str, Analysis] = {}
        table = AnalysisCache.__table__
        for i in range(0, len(hashes), 500):
            chunk = list(hashes[i:i + 500])
            stmt = select(table.c.text_hash, table.c.data).where(
                table.c.model == model, table.c.text_hash.in_(chunk))
            for text_hash, data in self.session.execute(stmt):
                out[text_hash] = from_bytes(data)
        return out

    def get_many(self, texts: Sequence[str], hashes: Sequence[str] | None = None,
                 *, progress: Callable[[int], None] | None = None,
                 keep: bool = False,
                 batch_size: int = pipeline.BATCH_SIZE) -> list[Analysis]:
        """Analyses of ``texts`` (``hashes`` = their sha256 when the caller knows them).

        ``progress(n)`` is called with the number of texts done since the last call.
        ``keep`` also keeps them in memory for later calls in this run.
        """
        hashes = list(hashes) if hashes is not None else [sha256_text(t) for t in texts]
        model, memo = self.model, self.memo
        found = {h: memo[h] for h in hashes if h in memo}
        wanted = [h for h in dict.fromkeys(hashes) if h not in found]
        if wanted:
            cached = self._load(wanted, model)
            self.read += len(cached)
            found.update(cached)
        missing: dict[str, str] = {}
        for h, t in zip(hashes, texts, strict=True):
            if h not in found and h not in missing:
                missing[h] = t
        if progress is not None:
            done = len(hashes) - sum(1 for h in hashes if h in missing)
            if done:
                progress(done)
        if missing:
            nlp = self.nlp_factory()
            rows = []
            keys = list(missing)
            analyses = analyse_texts(missing.values(), nlp=nlp, batch_size=batch_size)
            for h, analysis in zip(keys, analyses, strict=True):
                found[h] = analysis
                rows.append({"text_hash": h, "model": model, "data": to_bytes(analysis)})
                self.parsed += 1
                if progress is not None:
                    progress(1)
            if self.writer is not None:
                self.writer(rows)
            else:
                self.session.execute(AnalysisCache.__table__.insert(), rows)
        if keep:
            memo.update(found)
        return [found[h] for h in hashes]
