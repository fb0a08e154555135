"""The half-normal and Rayleigh families, parameter ``scale``, as scipy.stats.halfnorm and
scipy.stats.rayleigh with ``loc`` fixed (0 by default).

Both are the chi distribution with k degrees of freedom (k = 1: half-normal, k = 2:
Rayleigh), the length of a vector of k independent Normal(0, scale^2) coordinates:

    log f(x) = c_k + (k - 1) log x - k log(scale) - x^2 / (2 scale^2).

The mean of x^2 (m2) is sufficient: with r = m2 / scale^2 the average log-likelihood is
c_k + (k - 1) mean(log x) - k log(scale) - r / 2, its score (r - k) / scale, its
curvature (k - 3 r) / scale^2 and the Fisher information 2 k / scale^2 (E x^2 = k
scale^2). The MLE is scale = sqrt(m2 / k) (the closed form, which is also the start).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..stats import sum_of_products, wsum
from .base import Family, StatisticsOverflow, split

NAN1 = (math.nan,)


class SquareStats(NamedTuple):
    n: int
    m2: float        # mean of x^2
    mean_log: float  # mean of log x (0 for the half-normal, which does not need it)
    min: float
    max: float


class _Chi(Family):
    """The scaled chi distribution with ``k`` degrees of freedom."""

    param_names = ("scale",)
    constraints = ("positive",)
    scale_power = (1,)
    shiftable = True
    #: Degrees of freedom, and the constant log(2^(1 - k/2) / Gamma(k/2)) of the density.
    k: int = 1
    const: float = 0.0

    def partial(self, chunk):
        x, w = split(chunk)
        with np.errstate(over="ignore", divide="ignore"):  # overflow: refused (rescaled) in finish
            m2 = sum_of_products(x, x) if w is None else sum_of_products(w, x * x)
            logs = wsum(np.log(x), w) if self.k != 1 else 0.0
        return (x.size if w is None else float(w.sum()), m2, logs, float(x.min()), float(x.max()))

    def combine(self, a, b):
        return (a[0] + b[0], a[1] + b[1], a[2] + b[2], min(a[3], b[3]), max(a[4], b[4]))

    def finish(self, p) -> SquareStats:
        n, s2, slog, lo, hi = p
        m2 = s2 / n
        if not math.isfinite(m2):
            raise StatisticsOverflow(f"the {self.name} family's sum of squares of these data is not finite")
        if not m2 > 0.0:
            raise ValueError(f"all {n} values are 0: the {self.name} MLE is scale = 0, on the boundary of the "
                             "parameter space (scale > 0), so no such distribution fits best")
        return SquareStats(n, m2, slog / n, lo, hi)

    def initial(self, stats: SquareStats):
        return self.closed_form(stats)

    def closed_form(self, stats: SquareStats, fixed=None):
        return (math.sqrt(stats.m2 / self.k),)

    def objective(self, stats: SquareStats):
        m2, k = stats.m2, self.k
        c = self.const + (k - 1) * stats.mean_log
        log, isfinite = math.log, math.isfinite

        def value_and_grad(theta):
            (s,) = theta
            if not (s > 0.0 and isfinite(s)):
                return -math.inf, NAN1
            r = m2 / s / s  # (not / (s * s): that may underflow to 0)
            return c - k * log(s) - 0.5 * r, ((r - k) / s,)

        return value_and_grad

    def hessian(self, theta, stats: SquareStats) -> np.ndarray:
        (s,) = theta
        r = stats.m2 / s / s
        return np.array([[(self.k - 3.0 * r) / s / s]])

    def fisher(self, theta) -> np.ndarray:
        (s,) = theta
        return np.array([[2.0 * self.k / s / s]])

    def scales(self, theta):
        return (max(abs(theta[0]), 1e-300) / math.sqrt(2.0 * self.k),)

    def frame(self, stats: SquareStats):
        return ((0.0, 1e6 * math.sqrt(stats.m2)),)


class HalfNormal(_Chi):
    name = "halfnorm"
    support = "nonnegative"
    scipy_name = "halfnorm"
    k = 1
    const = 0.5 * math.log(2.0 / math.pi)


class Rayleigh(_Chi):
    name = "rayleigh"
    support = "positive"  # the density is 0 at x = 0
    scipy_name = "rayleigh"
    k = 2
    const = 0.0
