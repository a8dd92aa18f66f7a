"""Keyword reliability (`qualcode.reliability.v1`): how often a keyword's match is right.

Each keyword of each code gets a precision estimate, a Beta distribution:

- its **prior** comes from the keyword's specificity in this corpus: a keyword that matches a
  small share of the segments counts alone (prior mean about 0.65), one that matches about
  30% of them or more (« dossier » in an office ethnography) needs corroboration (prior mean
  about 0.15). The curve has three constants chosen from that principle, not fitted to any
  corpus: ``RARE``, ``COMMON`` and the share ``HALF`` where the prior is halfway;
- the prior weighs ``PRIOR_STRENGTH`` decisions, and every human decision updates it: a
  segment coded with the code where the keyword matched is a success, a rejected suggestion
  or a segment of a coded document left without the code is a failure;
- decisions also move the priors of all the keywords of their code, those not seen yet
  included: if the coder accepted a code's keyword matches more (or less) often than their
  priors said, the code's other keywords are shifted the same way on the logit scale
  (a hierarchical estimate, ``CODE_STRENGTH`` pairs of weight).

A few numbers per code generalise from one coded document to the next: what the coder did
with « dossier » in one interview says how far to trust it in the others, and how often a
code's keywords hold says something about its keywords not met yet.

Negated matches keep their weight (a code of loss or absence is often said with a negation:
« on ne peut plus rien régler sur place »). They are flagged in the evidence, and each code
learns how far its negated matches hold, with a Beta prior of mean ``NEG_PRIOR`` updated by
the decisions on segments whose evidence for the code was negated.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

NAME = "qualcode.reliability.v1"
RARE = 0.65  # prior precision of a keyword that matches few segments
COMMON = 0.1  # prior precision of one that matches most segments
HALF = 0.15  # share of segments at which the prior is halfway between the two
PRIOR_STRENGTH = 4.0  # how many decisions the prior is worth
NEG_PRIOR = 0.9  # prior share of a code's negated matches that are right
NEG_STRENGTH = 4.0
CODE_STRENGTH = 4.0  # decided pairs the code-level shift needs to move halfway
# Without any keyword a code may still apply (paraphrase): a segment carries about one code,
# half the time without any of its keywords, so a code of a codebook of k codes starts at
# BASE_SHARE / k there (k counted as at least MIN_CODES: a one-code codebook does not make
# every segment a coin toss), a prior worth BASE_STRENGTH decisions that the coder's
# decisions on keyword-less segments update.
BASE_SHARE = 0.5
MIN_CODES = 4
BASE_STRENGTH = 8.0
# A share measured on a handful of segments says little: shares are counted as if the corpus
# had this many more segments without the keyword, so that in a six-segment test corpus a
# keyword found twice is not "common".
SHARE_SMOOTHING = 20

Key = tuple[int, str]  # (code id, keyword)


def prior_mean(share: float) -> float:
    """Prior precision of a keyword that matches ``share`` of the corpus's segments."""
    return COMMON + (RARE - COMMON) / (1.0 + (max(share, 0.0) / HALF) ** 3)


@dataclass
class Reliability:
    """Keyword and negation reliabilities for one corpus and one set of decisions."""

    share: dict[Key, float] = field(default_factory=dict)  # segments matched / segments
    hits: dict[Key, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    negated: dict[int, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    shift: dict[int, float] = field(default_factory=dict)  # code id -> logit shift of priors
    unmatched: dict[int, list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0]))  # code id -> keyword-less right

    def base(self, code_id: int, codes: int) -> float:
        """Probability that the code applies to a segment where none of its keywords is."""
        m = BASE_SHARE / max(codes, MIN_CODES)
        won, lost = self.unmatched.get(code_id, (0, 0))
        return (m * BASE_STRENGTH + won) / (BASE_STRENGTH + won + lost)

    def prior(self, key: Key) -> float:
        m = prior_mean(self.share.get(key, 0.0))
        delta = self.shift.get(key[0], 0.0)
        if delta:
            m = 1.0 / (1.0 + math.exp(-(math.log(m / (1.0 - m)) + delta)))
        return m

    def keyword(self, key: Key) -> float:
        """Posterior mean precision of a keyword of a code."""
        m = self.prior(key)
        won, lost = self.hits.get(key, (0, 0))
        return (m * PRIOR_STRENGTH + won) / (PRIOR_STRENGTH + won + lost)

    def negation(self, code_id: int) -> float:
        won, lost = self.negated.get(code_id, (0, 0))
        return (NEG_PRIOR * NEG_STRENGTH + won) / (NEG_STRENGTH + won + lost)

    def decisions(self, key: Key) -> int:
        won, lost = self.hits.get(key, (0, 0))
        return int(won + lost)


def corpus_shares(matched: Iterable[Iterable[Key]], segments: int) -> dict[Key, float]:
    """Share of ``segments`` in which each keyword matched (``matched``: one set per
    segment), smoothed towards 0 on small corpora (``SHARE_SMOOTHING``)."""
    counts: dict[Key, int] = defaultdict(int)
    for keys in matched:
        for key in set(keys):
            counts[key] += 1
    return {key: n / (segments + SHARE_SMOOTHING) for key, n in counts.items()}


def learn(shares: Mapping[Key, float],
          evidence: Iterable[tuple[Iterable[Key], Iterable[Key], bool]],
          unmatched: Iterable[tuple[int, bool]] = ()) -> Reliability:
    """Reliabilities from decisions. ``evidence`` holds, per decided (segment, code) with a
    keyword match: the keywords matched plainly, those matched only under a negation, and
    whether the code was right there; ``unmatched`` holds (code, right) for the decided
    pairs without any match."""
    rel = Reliability(dict(shares))
    for code_id, right in unmatched:
        rel.unmatched[code_id][0 if right else 1] += 1
    expected: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for plain, negated, right in evidence:
        plain, negated = set(plain), set(negated)
        for key in plain | negated:
            rel.hits[key][0 if right else 1] += 1
        code_id = next(iter(plain | negated))[0]
        if negated and not plain:
            rel.negated[code_id][0 if right else 1] += 1
        miss = 1.0
        for key in plain | negated:
            miss *= 1.0 - rel.prior(key)
        e = expected[code_id]
        e[0] += 1.0 - miss  # what the priors expected
        e[1] += 1.0 if right else 0.0  # what the coder did
        e[2] += 1.0
    for code_id, (exp, won, n) in expected.items():
        mean = exp / n
        observed = (won + CODE_STRENGTH * mean) / (n + CODE_STRENGTH)
        rel.shift[code_id] = _logit(observed) - _logit(mean)
    return rel


def _logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1.0 - p))
