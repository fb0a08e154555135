"""The exponential family, parameter ``scale``, as scipy.stats.expon with ``loc`` fixed
(0 by default).

The mean of x is sufficient: l(scale) = -log(scale) - mean(x) / scale, maximized by
scale = mean(x) (the closed form, which is also the start).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..stats import wsum
from .base import Family, split

NAN1 = (math.nan,)


class ExponentialStats(NamedTuple):
    n: int
    mean: float
    min: float
    max: float


class Exponential(Family):
    name = "exponential"
    param_names = ("scale",)
    constraints = ("positive",)
    scale_power = (1,)
    support = "positive"
    scipy_name = "expon"
    shiftable = True

    def partial(self, chunk):
        # All values equal is allowed: unlike the two-parameter families the MLE
        # (scale = that value) still exists.
        x, w = split(chunk)
        return (x.size if w is None else float(w.sum()), wsum(x, w), float(x.min()), float(x.max()))

    def combine(self, a, b):
        return (a[0] + b[0], a[1] + b[1], min(a[2], b[2]), max(a[3], b[3]))

    def finish(self, p) -> ExponentialStats:
        return ExponentialStats(p[0], p[1] / p[0], p[2], p[3])

    def initial(self, stats: ExponentialStats):
        return self.closed_form(stats)

    def closed_form(self, stats: ExponentialStats, fixed=None):
        return (stats.mean,)

    def objective(self, stats: ExponentialStats):
        m = stats.mean
        log, isfinite = math.log, math.isfinite

        def value_and_grad(theta):
            (s,) = theta
            if not (s > 0.0 and isfinite(s)):
                return -math.inf, NAN1
            r = m / s  # may overflow to inf for a tiny scale: then the value is -inf
            return -log(s) - r, ((r - 1.0) / s,)

        return value_and_grad

    def hessian(self, theta, stats: ExponentialStats) -> np.ndarray:
        (s,) = theta
        # Divide by s twice rather than by s*s, which can underflow to 0.
        return np.array([[(1.0 - 2.0 * stats.mean / s) / s / s]])

    def fisher(self, theta) -> np.ndarray:
        (s,) = theta
        return np.array([[1.0 / s / s]])

    def scales(self, theta):
        return (max(abs(theta[0]), 1e-300),)

    def frame(self, stats: ExponentialStats):
        return ((0.0, 1e6 * stats.mean),)
