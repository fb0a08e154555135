"""The lognormal family, parameters ``s`` and ``scale``, as scipy.stats.lognorm with
``loc`` fixed (0 by default).

With y = log x and mu = log(scale), y is Normal(mu, s): the mean and the variance of y
are sufficient. With D = var(y) + (mean(y) - mu)^2 the average log-likelihood is

    -log(s) - log(2 pi) / 2 - mean(y) - D / (2 s^2),

maximized by s = sd(y) (divisor n) and scale = exp(mean(y)).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..stats import log_moments, log_rel, merge_log
from .base import Family, split

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
#: Below this s the rounding of the scale (1.1e-16 relative) is more than a 1e-5 part of
#: s, and the best s at the nearest float scale differs from the MLE by more than tol.
MIN_S = 2.0**-36
NAN2 = (math.nan, math.nan)


class LogNormalStats(NamedTuple):
    n: int
    c: float       # a value of the data: log x is measured from log c
    dmean: float   # the mean of log x is log(c) + dmean
    var: float     # variance of log x, divisor n
    min: float     # of x
    max: float

    @property
    def mean_log(self) -> float:
        return math.log(self.c) + self.dmean


class LogNormal(Family):
    name = "lognormal"
    param_names = ("s", "scale")
    constraints = ("positive", "positive")
    scale_power = (0, 1)
    support = "positive"
    scipy_name = "lognorm"
    shiftable = True

    def partial(self, chunk):
        # Logarithms about a value of the data (log1p of relative deviations): data
        # that agree to many digits keep their spread, where log x would round it away.
        x, w = split(chunk)
        return (log_moments(x, w), float(x.min()), float(x.max()))

    def combine(self, a, b):
        return (merge_log(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]))

    def finish(self, p) -> LogNormalStats:
        lm, lo, hi = p
        self.check_spread(lo, hi, lm.m.n)
        if not lm.var > 0.0:
            raise ValueError(
                f"the logarithms of all {lm.m.n} values are equal to float precision (values from "
                f"{lo!r} to {hi!r}): the {self.name} MLE does not exist (s -> 0)"
            )
        if lm.var < MIN_S * MIN_S:
            raise ValueError(
                f"the logarithms of these {lm.m.n} values spread by only {math.sqrt(lm.var):.3g}: float64 holds a "
                "lognormal scale to a relative 1.1e-16 only, a sizeable part of such an s, so its MLE cannot be "
                "found to tol; such a lognormal is a Normal: fit family='normal'"
            )
        return LogNormalStats(lm.m.n, lm.c, lm.mean_rel, lm.var, lo, hi)

    def initial(self, stats: LogNormalStats):
        return self.closed_form(stats)

    @staticmethod
    def _dm(stats: LogNormalStats, scale: float) -> float:
        """mean(log x) - log(scale), as dmean - log(scale / c): exact near the optimum."""
        return stats.dmean - log_rel(scale, stats.c)

    def closed_form(self, stats: LogNormalStats, fixed=None):
        best_scale = stats.c * math.exp(stats.dmean)
        if not fixed:
            return (math.sqrt(stats.var), best_scale)
        if 1 in fixed:  # scale held: s^2 = var(y) + (mean(y) - log scale)^2
            dm = self._dm(stats, fixed[1])
            return (math.sqrt(stats.var + dm * dm), fixed[1])
        return (fixed[0], best_scale)  # s held: log scale = mean(y) still

    def objective(self, stats: LogNormalStats):
        var, ybar, dm_of = stats.var, stats.mean_log, self._dm
        log, isfinite = math.log, math.isfinite
        c = -HALF_LOG_2PI - ybar

        def value_and_grad(theta):
            s, scale = theta
            if not (s > 0.0 and scale > 0.0 and isfinite(s) and isfinite(scale)):
                return -math.inf, NAN2
            dm = dm_of(stats, scale)  # mean(y) - mu, exact near the optimum
            r = (var + dm * dm) / s / s        # not / (s*s): that can underflow to 0
            return c - log(s) - 0.5 * r, ((r - 1.0) / s, dm / s / s / scale)

        return value_and_grad

    def hessian(self, theta, stats: LogNormalStats) -> np.ndarray:
        s, scale = theta
        dm = self._dm(stats, scale)
        r = (stats.var + dm * dm) / s / s
        h_ss = (1.0 - 3.0 * r) / s / s
        h_sc = -2.0 * dm / s / s / s / scale
        h_cc = -(1.0 + dm) / s / s / scale / scale
        return np.array([[h_ss, h_sc], [h_sc, h_cc]])

    def fisher(self, theta) -> np.ndarray:
        s, scale = theta
        return np.array([[2.0 / s / s, 0.0], [0.0, 1.0 / s / s / scale / scale]])

    def scales(self, theta):
        s, scale = abs(theta[0]), abs(theta[1])
        return (max(s * math.sqrt(0.5), 1e-300), max(s * scale, 1e-300))

    def frame(self, stats: LogNormalStats):
        s0, scale0 = self.initial(stats)
        return (0.0, 1e6 * s0), (0.0, 1e6 * scale0)
