"""The inverse Gaussian family, parameters ``mu`` and ``scale``, as scipy.stats.invgauss
with ``loc`` fixed (0 by default).

In scipy's parametrization the mean is m = mu * scale and the shape (lambda of the
classical IG(m, lambda)) is the scale itself:

    log f(x) = log(scale) / 2 - log(2 pi) / 2 - 3/2 log x - scale (x - m)^2 / (2 m^2 x).

The means of x, 1/x and log x are sufficient. With xbar = mean(x) and
V = mean(1/x) - 1/xbar = mean((x - xbar)^2 / x) / xbar^2 >= 0, the average
log-likelihood is

    l = log(scale) / 2 - log(2 pi) / 2 - 3/2 mean(log x)
        - (xbar - mu scale)^2 / (2 mu^2 scale xbar) - scale V / 2,

maximized by scale = 1 / V and mu = xbar V (the closed form, also the start). V is
computed from mean(1/x) - 1/xbar when those differ enough, else from a second pass
over the squared deviations (data whose relative spread is small would lose V's
digits in the difference).
"""

from __future__ import annotations

import math
from functools import partial as bind
from typing import NamedTuple

import numpy as np

from ..stats import wsum
from .base import Family, Refine, StatisticsOverflow, split

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
NAN2 = (math.nan, math.nan)
#: When V is below this part of mean(1/x), the difference has lost more than 4 digits:
#: V is computed again from deviations.
CANCELLED = 1e-4


class InvGaussStats(NamedTuple):
    n: int
    mean: float       # xbar
    v: float          # mean(1/x) - 1/xbar
    mean_log: float   # mean(log x)
    min: float
    max: float


class InverseGaussian(Family):
    name = "invgauss"
    param_names = ("mu", "scale")
    constraints = ("positive", "positive")
    scale_power = (0, 1)
    support = "positive"
    scipy_name = "invgauss"
    shiftable = True

    def partial(self, chunk):
        x, w = split(chunk)
        with np.errstate(divide="ignore", over="ignore"):
            return (x.size if w is None else float(w.sum()), wsum(x, w), wsum(1.0 / x, w), wsum(np.log(x), w),
                    float(x.min()), float(x.max()))

    def combine(self, a, b):
        return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], min(a[4], b[4]), max(a[5], b[5]))

    def finish(self, p) -> InvGaussStats:
        n, sx, sinv, slog, lo, hi = p
        xbar, h = sx / n, sinv / n
        if not (math.isfinite(xbar) and math.isfinite(h) and xbar > 0.0):
            raise StatisticsOverflow(f"the {self.name} family's sums of these data are not finite")
        self.check_spread(lo, hi, n)
        v = h - 1.0 / xbar
        if v < CANCELLED * h:
            raise Refine(bind(self.partial_about, xbar), self.combine, bind(self.finish_about, xbar))
        return self._checked(InvGaussStats(n, xbar, v, slog / n, lo, hi))

    @staticmethod
    def partial_about(c: float, chunk):
        """As ``partial``, with sum((x - c)^2 / x) in place of sum(1/x)."""
        x, w = split(chunk)
        d = x - c
        d *= d
        d /= x
        return (x.size if w is None else float(w.sum()), wsum(x, w), wsum(d, w), wsum(np.log(x), w),
                float(x.min()), float(x.max()))

    def finish_about(self, c: float, p) -> InvGaussStats:
        # With D = mean((x - c)^2 / x): mean(1/x) - 1/xbar = (xbar D - (xbar - c)^2) / (c^2 xbar),
        # and c (the first pass's mean) is within rounding of xbar: nothing cancels.
        n, sx, sd, slog, lo, hi = p
        xbar = sx / n
        e = xbar - c
        v = (xbar * (sd / n) - e * e) / c / c / xbar
        return self._checked(InvGaussStats(n, xbar, v, slog / n, lo, hi))

    def _checked(self, stats: InvGaussStats) -> InvGaussStats:
        if not stats.v > 0.0:
            raise ValueError(f"the {stats.n} values agree to float precision (from {stats.min!r} to {stats.max!r}): "
                             f"the {self.name} MLE does not exist (the scale runs to infinity)")
        return stats

    def initial(self, stats: InvGaussStats):
        return self.closed_form(stats)

    def closed_form(self, stats: InvGaussStats, fixed=None):
        xbar, v = stats.mean, stats.v
        if not fixed:
            return (xbar * v, 1.0 / v)
        if 1 in fixed:  # scale held: the mean mu * scale is still xbar
            return (xbar / fixed[1], fixed[1])
        # mu held: scale solves h s^2 - s - xbar / mu^2 = 0, h = mean(1/x): the positive root.
        mu = fixed[0]
        h = v + 1.0 / xbar
        return (mu, (1.0 + math.sqrt(1.0 + 4.0 * h * xbar / mu / mu)) / (2.0 * h))

    def objective(self, stats: InvGaussStats):
        xbar, v = stats.mean, stats.v
        c = -HALF_LOG_2PI - 1.5 * stats.mean_log
        log, isfinite = math.log, math.isfinite

        def value_and_grad(theta):
            mu, s = theta
            if not (mu > 0.0 and s > 0.0 and isfinite(mu) and isfinite(s)):
                return -math.inf, NAN2
            m = mu * s
            d = xbar - m
            value = c + 0.5 * log(s) - d * d / (2.0 * mu * m * xbar) - 0.5 * s * v
            if not isfinite(value):
                return -math.inf, NAN2
            g_mu = d / (mu * mu * m)
            g_s = 0.5 / s - 0.5 * v + d * (xbar + m) / (2.0 * m * m * xbar)
            return value, (g_mu, g_s)

        return value_and_grad

    def hessian(self, theta, stats: InvGaussStats) -> np.ndarray:
        mu, s = theta
        xbar = stats.mean
        h_mm = (2.0 * mu * s - 3.0 * xbar) / mu / mu / mu / mu / s
        h_ms = -xbar / mu / mu / mu / s / s
        h_ss = -0.5 / s / s - xbar / mu / mu / s / s / s
        return np.array([[h_mm, h_ms], [h_ms, h_ss]])

    def fisher(self, theta) -> np.ndarray:
        mu, s = theta
        i_ms = 1.0 / mu / mu / s
        return np.array([[1.0 / mu / mu / mu, i_ms], [i_ms, (0.5 + 1.0 / mu) / s / s]])

    def frame(self, stats: InvGaussStats):
        mu0, s0 = self.closed_form(stats)
        return (0.0, 1e6 * mu0), None
