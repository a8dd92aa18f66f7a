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

Kappa and alpha are undefined (None) when the expected disagreement is 0 (e.g. both coders
never or always used the code). "Overall" pools the 2 x 2 tables of all codes (every unit x
code decision counts once).
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
