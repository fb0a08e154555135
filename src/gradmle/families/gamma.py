"""The gamma family, parameters ``a`` (shape) and ``scale``, as scipy.stats.gamma with
``loc`` fixed (0 by default).

Sufficient statistics: the means of x and of log x. After one pass every evaluation is
O(1):  l(a, s) = -lgamma(a) - a log s + (a - 1) mean(log x) - mean(x) / s.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import psi, zeta

from .base import Family, chunked

NAN2 = (math.nan, math.nan)


class GammaStats(NamedTuple):
    n: int
    mean: float      # mean of x
    mean_log: float  # mean of log x


class Gamma(Family):
    name = "gamma"
    param_names = ("a", "scale")
    constraints = ("positive", "positive")
    scale_power = (0, 1)
    support = "positive"
    scipy_name = "gamma"
    shiftable = True
    checks_finite = True

    def reduce(self, x: np.ndarray) -> GammaStats:
        total_log = 0.0
        # Values <= 0, NaN or inf make the sums non-finite: then find and name them.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for c, buf in chunked(x):
                total_log += float(np.log(c, out=buf).sum())
            stats = GammaStats(x.size, float(x.mean()), total_log / x.size)
        if not (math.isfinite(stats.mean) and math.isfinite(stats.mean_log)):
            self.refuse_nonfinite(x)
        # log(mean) >= mean(log) with equality only when all values are equal (Jensen).
        if not math.log(stats.mean) - stats.mean_log > 0:
            self.check_spread(float(x.min()), float(x.max()), x.size)
        return stats

    def partial(self, chunk):
        return (chunk.size, float(chunk.sum()), float(np.log(chunk).sum()))

    def combine(self, a, b):
        return (a[0] + b[0], a[1] + b[1], a[2] + b[2])

    def finish(self, p) -> GammaStats:
        n, total, total_log = p
        stats = GammaStats(n, total / n, total_log / n)
        if not math.log(stats.mean) - stats.mean_log > 0:
            raise ValueError(f"all {n} values are equal: the gamma MLE does not exist (the shape runs to infinity)")
        return stats

    def initial(self, stats: GammaStats):
        # Minka's closed-form approximation of the shape MLE (within ~1.5%).
        s = math.log(stats.mean) - stats.mean_log
        a = (3.0 - s + math.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)
        return (a, stats.mean / a)

    def objective(self, stats: GammaStats):
        m, ml = stats.mean, stats.mean_log
        lgamma, log, isfinite = math.lgamma, math.log, math.isfinite

        def value_and_grad(theta):
            a, s = theta
            if not (a > 0.0 and s > 0.0 and isfinite(a) and isfinite(s)):
                return -math.inf, NAN2
            ls = log(s)
            value = -lgamma(a) - a * ls + (a - 1.0) * ml - m / s
            return value, (-float(psi(a)) - ls + ml, (m / s - a) / s)

        return value_and_grad

    def hessian(self, theta, stats: GammaStats) -> np.ndarray:
        a, s = theta
        return np.array([[-float(zeta(2.0, a)), -1.0 / s], [-1.0 / s, (a - 2.0 * stats.mean / s) / (s * s)]])

    def fisher(self, theta) -> np.ndarray:
        a, s = theta
        return np.array([[float(zeta(2.0, a)), 1.0 / s], [1.0 / s, a / (s * s)]])

    def frame(self, stats: GammaStats):
        a0, s0 = self.initial(stats)
        return (0.0, 0.0), (1e6 * a0, 1e6 * s0)
