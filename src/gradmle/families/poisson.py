"""The Poisson family, parameter ``mu``, as scipy.stats.poisson.

The mean of x is sufficient: l(mu) = mean(x) log(mu) - mu - mean(log x!), maximized by
mu = mean(x) (the closed form, which is also the start). mean(log x!) only shifts the
value; it is kept so that the log-likelihood is the true one.

The helpers before the class are shared with the negative binomial and beta families.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import gammaln

from ..stats import wsum
from .base import Family, split

NAN1 = (math.nan,)
#: Above 2**53 float64 no longer holds every whole number.
MAX_COUNT = 2.0**53


def check_counts(name: str, largest: float) -> None:
    """Refuse counts too large to be counts in float64 (their sums would overflow)."""
    if largest > MAX_COUNT:
        raise ValueError(
            f"the largest count, {largest!r}, is above 2**53, where float64 no longer holds every whole "
            f"number: such data cannot be fitted as {name} counts"
        )


class PoissonStats(NamedTuple):
    n: int
    mean: float          # mean of x
    mean_log_fact: float  # mean of log(x!) = mean of gammaln(x + 1)
    min: float
    max: float


class Poisson(Family):
    name = "poisson"
    param_names = ("mu",)
    constraints = ("positive",)
    support = "counts"
    scipy_name = "poisson"
    shiftable = False


    def partial(self, chunk, buf=None):
        x, w = split(chunk)
        if not x.size:
            return None
        buf = np.add(x, 1.0, out=buf)
        with np.errstate(over="ignore"):  # counts near 1e308: refused in finish
            sums = wsum(x, w), wsum(gammaln(buf, out=buf), w, out=buf)
        return (x.size if w is None else float(w.sum()), *sums, float(x.min()), float(x.max()))

    def combine(self, a, b):
        return (a[0] + b[0], a[1] + b[1], a[2] + b[2], min(a[3], b[3]), max(a[4], b[4]))

    def finish(self, p) -> PoissonStats:
        """Equal counts are allowed (mu = that count); all zeros are not."""
        n, total, total_lf, lo, hi = p
        check_counts(self.name, hi)
        if hi == 0.0:
            raise ValueError(
                f"all {n} counts are 0: the Poisson MLE is mu = 0, on the boundary of the "
                "parameter space (mu > 0), so no Poisson distribution fits best"
            )
        return PoissonStats(n, total / n, total_lf / n, lo, hi)

    def initial(self, stats: PoissonStats):
        return self.closed_form(stats)

    def closed_form(self, stats: PoissonStats, fixed=None):
        return (stats.mean,)

    def objective(self, stats: PoissonStats):
        m = stats.mean
        # l = c + m log(mu / m) - (mu - m): the constant c holds the large terms, so that
        # what varies with mu is computed without cancellation near the optimum.
        c = m * math.log(m) - m - stats.mean_log_fact
        log, log1p, isfinite = math.log, math.log1p, math.isfinite

        def value_and_grad(theta):
            (mu,) = theta
            if not (mu > 0.0 and isfinite(mu)):
                return -math.inf, NAN1
            d = mu - m
            r = d / m
            return c + m * (log1p(r) if -0.5 < r < 1.0 else log(mu) - log(m)) - d, (-d / mu,)

        return value_and_grad

    def hessian(self, theta, stats: PoissonStats) -> np.ndarray:
        (mu,) = theta
        return np.array([[-stats.mean / mu / mu]])

    def fisher(self, theta) -> np.ndarray:
        mu = theta[0]
        return np.array([[1.0 / mu if mu else math.inf]])

    def scales(self, theta):
        # sqrt(mu) directly: the driver asks at every point, also outside mu > 0.
        mu = abs(theta[0])
        return (math.sqrt(mu) if mu > 0.0 else 1e-300,)


    def frame(self, stats: PoissonStats):
        return ((0.0, 1e6 * stats.mean),)
