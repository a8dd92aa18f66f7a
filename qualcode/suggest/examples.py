"""The example scorer (`qualcode.examples.v1`): the nearest examples, by shared lemmas.

Every code has positive examples (its codebook examples, the segments coded with it) and
negative ones (the codebook examples of the other codes, the suggestions of it that were
rejected). For a segment s and a code c the scorer gives

    margin(s, c) = max cos(s, positive example of c) - max cos(s, negative example of c)

(a side without any example counts 0), where cos is the cosine of the sets of content lemmas
(no stop words, punctuation or one-letter lemmas; binary, so a repeated word counts once and
no corpus statistics are needed). The margin lies in [-1, 1]: positive when the segment
shares more words with an example of c than with any example of another code. Static word
vectors barely tell one code from another; shared lemmas do, and they explain themselves
("shares tickets, file, enchaîne with entretien_01:4").

Coded segments enter the pool as they are coded, so the scorer is also the memory of the
coder's decisions: `suggest` learns from one coded document without any training step. A
segment never counts as its own example (its own coding would otherwise decide its score).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .analysis_cache import PUNCT, SPACE, STOP, Analysis

NAME = "qualcode.examples.v1"
_SKIP = STOP | PUNCT | SPACE


def content_lemmas(a: Analysis) -> set[str]:
    """The folded lemmas of the content words of ``a`` (two letters or more)."""
    lemmas = a.lemmas
    return {lem for i in np.flatnonzero((a.flags & _SKIP) == 0).tolist()
            if len(lem := lemmas[i]) > 1}


@dataclass
class Entry:
    ref: str  # "document:n", or "codebook" for a codebook example
    excerpt: str
    lemmas: frozenset[str]
    positive: frozenset[int]  # code ids
    negative: frozenset[int]
    segment_id: int | None = None  # None for codebook examples
    group: int | None = None  # its document (or block), to leave out for out-of-fold features


class ExamplePool:
    """Examples indexed for fast cosines against batches of segments.

    The pool keeps postings (lemma -> entries) rather than a dense matrix, so a corpus with
    thousands of coded segments stays small in memory.
    """

    def __init__(self, entries: Sequence[Entry], code_ids: Sequence[int]) -> None:
        self.entries = list(entries)
        self.code_ids = list(code_ids)
        vocab: dict[str, int] = {}
        pairs: list[tuple[int, int]] = []
        for k, e in enumerate(self.entries):
            for lem in e.lemmas:
                pairs.append((vocab.setdefault(lem, len(vocab)), k))
        self.vocab = vocab
        pairs.sort()
        words = np.fromiter((p[0] for p in pairs), np.int64, len(pairs))
        self.post = np.fromiter((p[1] for p in pairs), np.int64, len(pairs))
        self.ptr = np.searchsorted(words, np.arange(len(vocab) + 1)).astype(np.int64)
        sizes = np.array([len(e.lemmas) for e in self.entries], np.float32)
        self.norm = np.sqrt(np.maximum(sizes, 1.0))
        col = {cid: j for j, cid in enumerate(self.code_ids)}
        self.pos = np.zeros((len(self.entries), len(self.code_ids)), bool)
        self.neg = np.zeros_like(self.pos)
        for k, e in enumerate(self.entries):
            for cid in e.positive:
                if cid in col:
                    self.pos[k, col[cid]] = True
            for cid in e.negative:
                if cid in col:
                    self.neg[k, col[cid]] = True
        self.by_segment: dict[int, list[int]] = {}
        self.by_group: dict[int, list[int]] = {}
        for k, e in enumerate(self.entries):
            if e.segment_id is not None:
                self.by_segment.setdefault(e.segment_id, []).append(k)
            if e.group is not None:
                self.by_group.setdefault(e.group, []).append(k)

    def __len__(self) -> int:
        return len(self.entries)

    def cosines(self, bags: Sequence[Iterable[str]],
                segment_ids: Sequence[int | None] | None = None,
                groups: Sequence[int | None] | None = None) -> np.ndarray:
        """(segments, entries) cosines of the lemma sets; a segment's own entries, and the
        entries of its group when ``groups`` are given, get 0."""
        n, m = len(bags), len(self.entries)
        if not n or not m:
            return np.zeros((n, m), np.float32)
        rows: list[int] = []
        ids: list[int] = []
        sizes = np.zeros(n, np.float32)
        vocab = self.vocab
        for i, bag in enumerate(bags):
            size = 0
            for lem in bag:
                size += 1
                v = vocab.get(lem)
                if v is not None:
                    rows.append(i)
                    ids.append(v)
            sizes[i] = size
        shared = np.zeros(n * m, np.int64)
        if ids:
            vids = np.asarray(ids, np.int64)
            starts, ends = self.ptr[vids], self.ptr[vids + 1]
            lengths = ends - starts
            total = int(lengths.sum())
            # every (segment, entry) pair that shares a lemma, once per shared lemma
            seg = np.repeat(np.asarray(rows, np.int64), lengths)
            offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            entry = self.post[np.repeat(starts, lengths) + offsets]
            shared = np.bincount(seg * m + entry, minlength=n * m)
        cos = shared.reshape(n, m).astype(np.float32)
        cos /= np.sqrt(np.maximum(sizes, 1.0))[:, None] * self.norm[None, :]
        if segment_ids is not None and self.by_segment:
            for i, sid in enumerate(segment_ids):
                own = self.by_segment.get(sid) if sid is not None else None
                if own:
                    cos[i, own] = 0.0
        if groups is not None and self.by_group:
            for i, g in enumerate(groups):
                same = self.by_group.get(g) if g is not None else None
                if same:
                    cos[i, same] = 0.0
        return cos

    def margins(self, cos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(margin, nearest positive entry or -1) per segment and code: the nearest example
        of the code against the nearest example that is not of it (another code's example,
        a segment coded otherwise, a rejected suggestion). Both sides grow with the pool, so
        a large pool of coded segments does not lift every code. A code without positive
        examples keeps the negative side."""
        n, k = cos.shape[0], len(self.code_ids)
        margin = np.zeros((n, k), np.float32)
        nearest = np.full((n, k), -1, np.int64)
        if not n or not len(self.entries):
            return margin, nearest
        rows = np.arange(n)
        for j in range(k):
            pos = np.flatnonzero(self.pos[:, j])
            neg = np.flatnonzero(~self.pos[:, j])
            if pos.size:
                sub = cos[:, pos]
                best = sub.argmax(axis=1)
                top = sub[rows, best]
                nearest[:, j] = np.where(top > 0, pos[best], -1)
                margin[:, j] = top
            if neg.size:
                margin[:, j] -= cos[:, neg].max(axis=1)
        return margin, nearest
