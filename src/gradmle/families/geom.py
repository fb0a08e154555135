"""The geometric family, parameter ``p``, as scipy.stats.geom: the number of trials up to
and including the first success, pmf(k) = p (1 - p)^(k - 1) on k = 1, 2, ...

The mean m of x is sufficient: l(p) = log p + (m - 1) log(1 - p), maximized by p = 1 / m
(the closed form, which is also the start). Score 1/p - (m - 1)/(1 - p), curvature
-1/p^2 - (m - 1)/(1 - p)^2, Fisher information 1 / (p^2 (1 - p)).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .base import Family
from .exponential import Exponential
from .poisson import check_counts

NAN1 = (math.nan,)


class GeomStats(NamedTuple):
    n: int
    mean: float
    min: float
    max: float


class Geometric(Family):
    name = "geom"
    param_names = ("p",)
    constraints = ("unit_interval",)
    support = "positive_counts"
    scipy_name = "geom"

    # The exponential's reduction: (n, sum x, min, max), weighted.
    partial = Exponential.partial
    combine = Exponential.combine

    def finish(self, p) -> GeomStats:
        n, total, lo, hi = p
        check_counts(self.name, hi)
        if hi == 1.0:
            raise ValueError(f"all {n} values are 1 (a success at every first trial): the geometric MLE is "
                             "p = 1, on the boundary of the parameter space (0 < p < 1)")
        return GeomStats(n, total / n, lo, hi)

    def initial(self, stats: GeomStats):
        return self.closed_form(stats)

    def closed_form(self, stats: GeomStats, fixed=None):
        return (1.0 / stats.mean,)

    def objective(self, stats: GeomStats):
        k = stats.mean - 1.0  # the mean number of failures before the success
        log, log1p = math.log, math.log1p

        def value_and_grad(theta):
            (p,) = theta
            if not 0.0 < p < 1.0:
                return -math.inf, NAN1
            return log(p) + k * log1p(-p), (1.0 / p - k / (1.0 - p),)

        return value_and_grad

    def hessian(self, theta, stats: GeomStats) -> np.ndarray:
        (p,) = theta
        q = 1.0 - p
        return np.array([[-1.0 / p / p - (stats.mean - 1.0) / q / q]])

    def fisher(self, theta) -> np.ndarray:
        (p,) = theta
        return np.array([[1.0 / p / p / (1.0 - p)]])

    def scales(self, theta):
        p = min(max(abs(theta[0]), 1e-300), 1.0)
        return (max(p * math.sqrt(1.0 - p), 1e-300),)
