"""The beta family, parameters ``a`` and ``b``, as scipy.stats.beta with loc = 0 and
scale = 1.

The means of log x and log(1 - x) are sufficient. After one pass every evaluation is
O(1):  l(a, b) = -log B(a, b) + (a - 1) mean(log x) + (b - 1) mean(log(1 - x)).
The likelihood is concave (an exponential family), so the maximum is unique.

With one parameter large (b ~ 1e4 for data near 0, gamma-like), digamma(a + b) -
digamma(b) is of size a / b but its terms are of size log b, and the direct difference
loses those digits; so do trigamma(b) - trigamma(a + b) and scipy's betaln. Each
difference over a parameter of 20 or more comes from Stirling's series instead (see
:func:`gradmle.families.nbinom.digamma_shift`), to full relative precision.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import betaln, digamma, gammaln, polygamma

from ..stats import merge, moments, wsum
from .base import Family, split
from .nbinom import STIRLING_FROM, digamma_shift, lgamma_shift, trigamma_shift

NAN2 = (math.nan, math.nan)


def neg_log_beta(a: float, b: float) -> float:
    """-log B(a, b) = lgamma(a + b) - lgamma(a) - lgamma(b), the difference over the
    larger parameter from Stirling's series when that one is large."""
    big, small = (a, b) if a >= b else (b, a)
    if big < STIRLING_FROM:
        return -float(betaln(a, b))
    with np.errstate(all="ignore"):  # near the largest floats: inf or nan, never a warning
        return float(lgamma_shift(big, small)) - float(gammaln(small))


def digamma_diff(z: float, s: float) -> float:
    """digamma(z + s) - digamma(z)."""
    if z >= STIRLING_FROM:
        return float(digamma_shift(z, s))
    return float(digamma(z + s)) - float(digamma(z))  # (floats: -inf - -inf is nan, silently)


def trigamma_diff(z: float, s: float) -> float:
    """trigamma(z) - trigamma(z + s)."""
    if z >= STIRLING_FROM:
        return float(trigamma_shift(z, s))
    return float(polygamma(1, z)) - float(polygamma(1, z + s))


class BetaStats(NamedTuple):
    n: int
    mean_log: float    # mean of log x
    mean_log1m: float  # mean of log(1 - x)
    mean: float        # mean and (divisor n) variance of x, for the start
    var: float
    min: float
    max: float


class Beta(Family):
    name = "beta"
    param_names = ("a", "b")
    constraints = ("positive", "positive")
    support = "unit_interval"
    scipy_name = "beta"
    shiftable = False


    def partial(self, chunk, buf=None):
        x, w = split(chunk)
        if not x.size:
            return None
        s_log = wsum(np.log(x, out=buf), w)
        # log1p(-x): keeps its digits for x near 0, where log(1 - x) would round.
        buf = np.negative(x, out=buf)
        return moments(x, weights=w), s_log, wsum(np.log1p(buf, out=buf), w)

    def combine(self, a, b):
        return merge(a[0], b[0]), a[1] + b[1], a[2] + b[2]

    def finish(self, p) -> BetaStats:
        m, s_log, s_log1m = p
        self.check_spread(m.min, m.max, m.n)
        return BetaStats(m.n, s_log / m.n, s_log1m / m.n, m.mean, m.var, m.min, m.max)

    def initial(self, stats: BetaStats):
        # Method of moments: a + b = m (1 - m) / v - 1, a = m (a + b).
        m, v = stats.mean, stats.var
        total = m * (1.0 - m) / v - 1.0 if v > 0.0 else 0.0
        if not total > 0.0:  # only through rounding: the data always have v < m (1 - m)
            total = 1.0
        return (m * total, (1.0 - m) * total)

    def objective(self, stats: BetaStats):
        ml, ml1 = stats.mean_log, stats.mean_log1m
        isfinite = math.isfinite

        def value_and_grad(theta):
            a, b = theta
            if not (a > 0.0 and b > 0.0 and isfinite(a) and isfinite(b)):
                return -math.inf, NAN2
            value = (a - 1.0) * ml + (b - 1.0) * ml1 + neg_log_beta(a, b)
            return value, (digamma_diff(a, b) + ml, digamma_diff(b, a) + ml1)

        return value_and_grad

    def hessian(self, theta, stats: BetaStats) -> np.ndarray:
        return -self.fisher(theta)

    def fisher(self, theta) -> np.ndarray:
        a, b = theta
        if not (a > 0.0 and b > 0.0):  # also: scipy's trigamma can hang at large negative a
            return np.full((2, 2), math.nan)
        tab = float(polygamma(1, a + b))
        return np.array([[trigamma_diff(a, b), -tab], [-tab, trigamma_diff(b, a)]])


    def frame(self, stats: BetaStats):
        a0, b0 = self.initial(stats)
        return (0.0, 1e6 * a0), (0.0, 1e6 * b0)
