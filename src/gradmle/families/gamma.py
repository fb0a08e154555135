"""The gamma family, parameters ``a`` (shape) and ``scale``, as scipy.stats.gamma with
``loc`` fixed (0 by default).

Sufficient statistics: the means of x and of log x. After one pass every evaluation is
O(1):  l(a, s) = -lgamma(a) - a log s + (a - 1) mean(log x) - mean(x) / s.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import zeta

from ..stats import log_ratio, log_rel, wsum
from .base import Family, Refine, StatisticsOverflow, split
from .special import log_minus_digamma, stirlerr

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

NAN2 = (math.nan, math.nan)


class GammaStats(NamedTuple):
    n: int
    mean: float      # mean of x
    mean_log: float  # mean of log x
    #: log(mean) - mean(log x) >= 0, the one number the shape depends on; computed
    #: from deviations when it is small (the two logarithms agree to many digits).
    gap: float


#: Above this shape even the statistic log(mean) - mean(log x) (about 1 / (2 a)) is
#: resolved to few digits: the data are then refused as "Normal-looking".
MAX_SHAPE = 1e12


class Gamma(Family):
    name = "gamma"
    param_names = ("a", "scale")
    constraints = ("positive", "positive")
    scale_power = (0, 1)
    support = "positive"
    scipy_name = "gamma"
    shiftable = True
    checks_finite = True

    def partial(self, chunk):
        """(n, sum(x), sum(log x)): one pass of log over the data. Values <= 0, NaN or
        inf make the sums non-finite (then the data are checked to name them)."""
        x, w = split(chunk)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (x.size if w is None else float(w.sum()), wsum(x, w), wsum(np.log(x), w))

    def combine(self, a, b):
        return (a[0] + b[0], a[1] + b[1], a[2] + b[2])

    def finish(self, p) -> GammaStats:
        n, total, total_log = p
        mean, mean_log = total / n, total_log / n
        if not (math.isfinite(mean) and math.isfinite(mean_log) and mean > 0):
            raise StatisticsOverflow(f"the {self.name} family's sums of these data are not finite")
        gap = math.log(mean) - mean_log
        if gap < 1e-3:
            # log(mean) and mean(log x) agree to many digits: their difference is only
            # good to ~1e-15 absolute. Redo it from deviations (a second pass, only here).
            raise Refine(self.partial_about, self.combine_about, self.finish_about)
        return self._checked(GammaStats(n, mean, mean_log, gap))

    def partial_about(self, chunk):
        """(n, c, sum(x - c), sum(log1p((x - c) / c))) about a value c of the chunk:
        the gap log(mean) - mean(log x) is then a difference of small numbers."""
        x, w = split(chunk)
        c = float(x[0])
        return (x.size if w is None else float(w.sum()), c, wsum(x - c, w), wsum(log_ratio(x, c), w))

    def combine_about(self, a, b):
        # Re-express b about a's c: log1p((x - ca)/ca) = log1p((x - cb)/cb) + log(cb/ca).
        na, ca, da, la = a
        nb, cb, db, lb = b
        return (na + nb, ca, da + db + nb * (cb - ca), la + lb + nb * log_rel(cb, ca))

    def finish_about(self, p) -> GammaStats:
        n, c, dsum, lsum = p
        dmean, mlog = dsum / n, lsum / n
        stats = GammaStats(n, c + dmean, math.log(c) + mlog, math.log1p(dmean / c) - mlog)
        return self._checked(stats)

    def _checked(self, stats: GammaStats) -> GammaStats:
        # log(mean) >= mean(log) with equality only when all values are equal (Jensen).
        if not stats.gap > 0:
            raise ValueError(f"all {stats.n} values are equal: the gamma MLE does not exist (the shape runs to infinity)")
        a = self.initial(stats)[0]
        if a > MAX_SHAPE:
            raise ValueError(
                f"the data's relative spread is so small (log(mean) - mean(log x) = {stats.gap:.3g}) that the gamma "
                f"shape would be about {a:.3g}, beyond what float64 can evaluate; such a gamma is a Normal: "
                "fit family='normal'"
            )
        return stats

    def magnitude(self, partial) -> float:
        n, _, total_log = partial
        return math.exp(total_log / n)  # the geometric mean: the middle of the logarithms

    def initial(self, stats: GammaStats):
        """The profile MLE: Minka's approximation (within ~1.5%), then Newton on the
        one equation log(a) - digamma(a) = log(mean) - mean(log x); scale = mean / a."""
        s = stats.gap
        a = (3.0 - s + math.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)
        for _ in range(6 if a <= MAX_SHAPE else 0):
            slope = 1.0 / a - float(zeta(2.0, a))  # f' = 1/a - trigamma(a) < 0
            if not slope < 0.0:
                break
            step = (log_minus_digamma(a) - s) / slope
            if not (math.isfinite(step) and a - step > 0.0):
                break
            a -= step
            if abs(step) <= 4e-16 * a:
                break
        return (a, stats.mean / a)

    def objective(self, stats: GammaStats):
        # Written about the mean: with d = a s / mean - 1 and Stirling's correction,
        #   l = log(a)/2 - log(2 pi)/2 - stirlerr(a) - mean(log x) - a gap + a (d/(1+d) - log1p(d))
        #   dl/da = (log a - digamma(a)) - gap - log1p(d),   dl/ds = -(a / s) d / (1 + d),
        # every term stays of the size of the result: nothing cancels, even for a shape
        # of 1e10 where lgamma(a) and a log(s) agree to eleven digits.
        m, ml, gap = stats.mean, stats.mean_log, stats.gap
        log, log1p, isfinite = math.log, math.log1p, math.isfinite

        def value_and_grad(theta):
            a, s = theta
            if not (a > 0.0 and s > 0.0 and isfinite(a) and isfinite(s)):
                return -math.inf, NAN2
            d = (a * s - m) / m
            if not d > -1.0 or not isfinite(d):
                return -math.inf, NAN2
            q = d / (1.0 + d)
            value = 0.5 * log(a) - HALF_LOG_2PI - stirlerr(a) - ml - a * gap + a * (q - log1p(d))
            return value, (log_minus_digamma(a) - gap - log1p(d), -a / s * q)

        return value_and_grad

    def hessian(self, theta, stats: GammaStats) -> np.ndarray:
        a, s = theta
        if not (a > 0.0 and s > 0.0):  # (zeta at a large negative a takes minutes)
            return np.full((2, 2), math.nan)
        return np.array([[-float(zeta(2.0, a)), -1.0 / s], [-1.0 / s, (a - 2.0 * stats.mean / s) / s / s]])

    def fisher(self, theta) -> np.ndarray:
        a, s = theta
        if not (a > 0.0 and s > 0.0):
            return np.full((2, 2), math.nan)
        return np.array([[float(zeta(2.0, a)), 1.0 / s], [1.0 / s, a / s / s]])

    def frame(self, stats: GammaStats):
        a0, s0 = self.initial(stats)
        return (0.0, 1e6 * a0), (0.0, 1e6 * s0)
