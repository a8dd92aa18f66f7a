"""Agreement between two coders on binary presence decisions (unit x code).

For each code the two coders' decisions over the same units make a 2 x 2 table: both coded
(a), only the first (b), only the second (c), neither (d), N = a + b + c + d. Then

- percent agreement po = (a + d) / N;
- Cohen's kappa = (po - pe) / (1 - pe), pe = pA pB + (1 - pA)(1 - pB), pA = (a + b) / N,
  pB = (a + c) / N;
- Krippendorff's alpha (nominal, two coders, no missing values) from the coincidence matrix:
  each unit adds the ordered pairs (A, B) and (B, A), so o_11 = 2a, o_00 = 2d,
  o_01 = o_10 = b + c, n_1 = 2a + b + c, n_0 = 2d + b + c, n = 2N, and
  alpha = 1 - (n - 1) (o_01 + o_10) / (2 n_0 n_1) = 1 - (n - 1)(b + c) / (n_0 n_1).

- Gwet's AC1 = (po - pe) / (1 - pe) with pe = 2 pi (1 - pi), pi = (pA + pB) / 2 the mean
  prevalence; pe <= 1/2, so AC1 is always defined (N > 0) and lies in [-1, 1];
- prevalence: pA, pB and their mean pi. Under 5 % or over 95 % kappa is unstable (the
  "kappa paradox": high po, low or negative kappa); AC1 is much less affected.

Kappa and alpha are undefined (None) when the expected disagreement is 0 (e.g. both coders
never or always used the code). "Overall" pools the 2 x 2 tables of all codes (every unit x
code decision counts once).

Bootstrap confidence intervals (:func:`bootstrap_intervals`) resample units with replacement.
A statistic of one code depends only on its 2 x 2 table, and resampling N units draws that
table from a multinomial(N, (a, b, c, d) / N): exactly the unit bootstrap, without touching
the units. The pooled table depends on each unit's row of counts over all codes (how many
codes both coders, only A, only B applied there); units with the same row are
interchangeable, so the pooled resample is a multinomial over the distinct rows. Every
statistic is then computed for all resamples at once with numpy; the 95 % interval is the
2.5th and 97.5th percentiles of the resamples where the statistic is defined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Agreement:
    both: int
    only_a: int
    only_b: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def percent(self) -> float | None:
        return (self.both + self.neither) / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(self.both, self.only_a, self.only_b, self.neither)

    @property
    def alpha(self) -> float | None:
        return krippendorff_alpha(self.both, self.only_a, self.only_b, self.neither)

    @property
    def ac1(self) -> float | None:
        return gwet_ac1(self.both, self.only_a, self.only_b, self.neither)

    @property
    def prevalence_a(self) -> float | None:
        return (self.both + self.only_a) / self.n if self.n else None

    @property
    def prevalence_b(self) -> float | None:
        return (self.both + self.only_b) / self.n if self.n else None

    @property
    def prevalence(self) -> float | None:
        """Mean of the two coders' prevalences."""
        return (2 * self.both + self.only_a + self.only_b) / (2 * self.n) if self.n else None

    @property
    def extreme_prevalence(self) -> bool:
        """Mean prevalence under 5 % or over 95 %: kappa is unstable there."""
        p = self.prevalence
        return p is not None and (p < PREVALENCE_LOW or p > 1 - PREVALENCE_LOW)


PREVALENCE_LOW = 0.05


def _clean(x: float) -> float:
    """Drop floating-point noise (0.6000000000000001, -0.0) from a statistic."""
    return round(x, 12) + 0.0


def cohen_kappa(a: int, b: int, c: int, d: int) -> float | None:
    n = a + b + c + d
    if n == 0:
        return None
    po = (a + d) / n
    pa, pb = (a + b) / n, (a + c) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    if pe >= 1:
        return None
    return _clean((po - pe) / (1 - pe))


def krippendorff_alpha(a: int, b: int, c: int, d: int) -> float | None:
    n_units = a + b + c + d
    n = 2 * n_units
    n1 = 2 * a + b + c
    n0 = 2 * d + b + c
    if n_units == 0 or n0 * n1 == 0:
        return None
    return _clean(1 - (n - 1) * (b + c) / (n0 * n1))


def gwet_ac1(a: int, b: int, c: int, d: int) -> float | None:
    n = a + b + c + d
    if n == 0:
        return None
    po = (a + d) / n
    pi = (2 * a + b + c) / (2 * n)
    pe = 2 * pi * (1 - pi)
    return _clean((po - pe) / (1 - pe))


# --- vectorised statistics and the bootstrap ----------------------------------------------

STATISTICS = ("kappa", "alpha", "ac1")


def statistics_arrays(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Kappa, alpha and AC1 of many 2 x 2 tables at once: ``counts`` is (..., 4) with columns
    both, only A, only B, neither; undefined values are NaN."""
    counts = np.asarray(counts, dtype=np.float64)
    a, b, c, d = (counts[..., k] for k in range(4))
    n = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        po = (a + d) / n
        pa, pb = (a + b) / n, (a + c) / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        kappa = np.where(pe < 1, (po - pe) / (1 - pe), np.nan)
        n0, n1 = 2 * d + b + c, 2 * a + b + c
        alpha = np.where(n0 * n1 > 0, 1 - (2 * n - 1) * (b + c) / (n0 * n1), np.nan)
        pi = n1 / (2 * n)
        pe1 = 2 * pi * (1 - pi)
        ac1 = (po - pe1) / (1 - pe1)
    bad = n == 0
    return {"kappa": np.where(bad, np.nan, kappa), "alpha": np.where(bad, np.nan, alpha),
            "ac1": np.where(bad, np.nan, ac1)}


def _multinomial_resamples(rng: np.random.Generator, weights: np.ndarray, patterns: np.ndarray,
                           n_boot: int, chunk_cells: int = 4_000_000) -> np.ndarray:
    """(n_boot, 4) tables: each resample draws sum(weights) rows of ``patterns`` (k x 4) with
    probability proportional to ``weights`` and sums them."""
    weights = np.asarray(weights, dtype=np.int64)
    total = int(weights.sum())
    pvals = weights / total
    step = max(1, chunk_cells // max(1, len(weights)))
    out = np.empty((n_boot, patterns.shape[1]), dtype=np.int64)
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        draws = rng.multinomial(total, pvals, size=stop - start)
        out[start:stop] = draws @ patterns
    return out


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None


def percentile_interval(values: np.ndarray, level: float = 0.95) -> Interval:
    """Percentile interval of the defined (non-NaN) values; (None, None) if there are none."""
    values = values[~np.isnan(values)]
    if values.size == 0:
        return Interval(None, None)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(_clean(float(low)), _clean(float(high)))


BOOTSTRAP_SEED = 20260417


def bootstrap_intervals(a: np.ndarray, b: np.ndarray, n_boot: int = 1000,
                        seed: int = BOOTSTRAP_SEED
                        ) -> tuple[list[dict[str, Interval]], dict[str, Interval]]:
    """95 % percentile intervals of kappa, alpha and AC1 per column and pooled, from
    ``n_boot`` resamples of the units (rows) of two units x codes presence matrices.

    The same ``seed`` gives the same intervals. Returns (one dict per code, pooled dict).
    """
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError("both coders' matrices must have the same shape")
    rng = np.random.default_rng(seed)
    eye = np.eye(4, dtype=np.int64)
    per_code = []
    for t in agreement_tables(a, b):
        weights = np.array([t.both, t.only_a, t.only_b, t.neither])
        if t.n == 0 or n_boot <= 0:
            per_code.append({k: Interval(None, None) for k in STATISTICS})
            continue
        stats = statistics_arrays(_multinomial_resamples(rng, weights, eye, n_boot))
        per_code.append({k: percentile_interval(stats[k]) for k in STATISTICS})
    if a.size == 0 or n_boot <= 0:
        return per_code, {k: Interval(None, None) for k in STATISTICS}
    rows = np.stack([(a & b).sum(axis=1), (a & ~b).sum(axis=1), (~a & b).sum(axis=1),
                     (~a & ~b).sum(axis=1)], axis=1)
    patterns, weights = np.unique(rows, axis=0, return_counts=True)
    stats = statistics_arrays(_multinomial_resamples(rng, weights, patterns, n_boot))
    return per_code, {k: percentile_interval(stats[k]) for k in STATISTICS}


def agreement_tables(a: np.ndarray, b: np.ndarray) -> list[Agreement]:
    """One 2 x 2 table per column of two units x codes presence matrices of the same shape."""
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError("both coders' matrices must have the same shape")
    both = (a & b).sum(axis=0)
    only_a = (a & ~b).sum(axis=0)
    only_b = (~a & b).sum(axis=0)
    neither = (~a & ~b).sum(axis=0)
    return [Agreement(int(w), int(x), int(y), int(z))
            for w, x, y, z in zip(both, only_a, only_b, neither, strict=True)]


def pooled(tables: list[Agreement]) -> Agreement:
    """Sum of the 2 x 2 tables: the overall agreement over every unit x code decision."""
    return Agreement(sum(t.both for t in tables), sum(t.only_a for t in tables),
                     sum(t.only_b for t in tables), sum(t.neither for t in tables))
