"""The Pareto family, parameters ``b`` (shape) and ``scale``, as scipy.stats.pareto with
``loc`` fixed (0 by default): the support is x >= scale (scipy: x >= loc + scale).

    log f(x) = log b + b log(scale) - (b + 1) log x,   x >= scale.

With T(scale) = mean(log(x / scale)) the average log-likelihood is
log b - b T(scale) - mean(log x) while scale <= min(x), and -inf beyond. It increases
with the scale up to min(x): the MLE of the scale is min(x), a boundary maximum where
the score b / scale is not 0 (the likelihood jumps to -inf just past it), and then
b = 1 / T(min x). Both are the closed form; "auto" returns it, since no gradient test
can confirm a maximum where the gradient is not 0 (``smooth = False``). The mean and
minimum of log x are sufficient.

Non-regular: min(x) approaches the scale at rate 1/n, not 1/sqrt(n) (min(x) / scale is
Pareto with shape n b, so min(x) - scale has sd about scale / (n b), always >= 0). The
standard errors (``information``) are b / sqrt(n) for b (as when the scale is known:
b and min(x) are asymptotically independent) and scale / (n b) for the scale, the sd
of min(x); a Wald interval for the scale is only a rough guide (the error is one-sided).
``fisher`` gives E[score score^T] = diag(1/b^2, b^2/scale^2): the score in the scale is
the constant b / scale, so the expected Hessian is no information here.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..stats import log_ratio, log_rel, wsum
from .base import Family, Refine, split

NAN2 = (math.nan, math.nan)
#: Below this part of |mean(log x)| the difference mean(log x) - log(min x) has lost more
#: than 4 digits: it is computed again about a value of the data.
CANCELLED = 1e-4


class ParetoStats(NamedTuple):
    n: int
    c: float      # a value of the data: log x is measured from log c
    dmean: float  # mean(log(x / c))
    min: float
    max: float

    def t(self, scale: float) -> float:
        """mean(log(x / scale))."""
        return self.dmean + log_rel(self.c, scale)


class Pareto(Family):
    name = "pareto"
    param_names = ("b", "scale")
    constraints = ("positive", "positive")
    scale_power = (0, 1)
    support = "positive"
    scipy_name = "pareto"
    shiftable = True
    #: The maximum in the scale is at the edge of where the likelihood is finite.
    smooth = False

    def partial(self, chunk):
        """(n, sum(log x), min, max): one pass of log over the data."""
        x, w = split(chunk)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (x.size if w is None else float(w.sum()), wsum(np.log(x), w), float(x.min()), float(x.max()))

    def combine(self, a, b):
        return (a[0] + b[0], a[1] + b[1], min(a[2], b[2]), max(a[3], b[3]))

    def finish(self, p) -> ParetoStats:
        n, total, lo, hi = p
        self.check_spread(lo, hi, n)  # all equal: b runs to infinity
        mean_log = total / n
        t = mean_log - math.log(lo)
        if not t > CANCELLED * max(1.0, abs(mean_log)):
            # mean(log x) and log(min x) agree to many digits (a large b): their difference
            # is redone from logarithms taken about a value of the data (a second pass).
            raise Refine(self.partial_about, self.combine_about, self.finish_about)
        return ParetoStats(n, lo, t, lo, hi)

    def partial_about(self, chunk):
        """(n, c, sum(log(x / c)), min, max) about a value c of the chunk: the mean of
        log(x / scale) near min(x) is then a sum of small numbers."""
        x, w = split(chunk)
        c = float(x[0])
        return (x.size if w is None else float(w.sum()), c, wsum(log_ratio(x, c), w), float(x.min()), float(x.max()))

    def combine_about(self, a, b):
        # b's logarithms re-expressed about a's c: log(x / ca) = log(x / cb) + log(cb / ca).
        na, ca, la, loa, hia = a
        nb, cb, lb, lob, hib = b
        return (na + nb, ca, la + lb + nb * log_rel(cb, ca), min(loa, lob), max(hia, hib))

    def finish_about(self, p) -> ParetoStats:
        n, c, total, lo, hi = p
        return ParetoStats(n, c, total / n, lo, hi)

    def check_held(self, stats: ParetoStats, held: dict) -> None:
        if 1 in held and held[1] > stats.min:
            raise ValueError(f"scale = {held[1]!r} is above the smallest value, {stats.min!r}: the {self.name} "
                             "support is x >= scale, so such data have likelihood 0 for every b")

    def initial(self, stats: ParetoStats):
        return self.closed_form(stats)

    def closed_form(self, stats: ParetoStats, fixed=None):
        fixed = fixed or {}
        scale = fixed.get(1, stats.min)
        t = stats.t(scale)
        return (fixed.get(0, 1.0 / t), scale) if t > 0.0 and scale <= stats.min else None

    def objective(self, stats: ParetoStats):
        ybar = math.log(stats.c) + stats.dmean
        xmin = stats.min
        log, isfinite = math.log, math.isfinite

        def value_and_grad(theta):
            b, s = theta
            if not (b > 0.0 and s > 0.0 and isfinite(b) and s <= xmin):
                return -math.inf, NAN2
            t = stats.t(s)
            return log(b) - b * t - ybar, (1.0 / b - t, b / s)

        return value_and_grad

    def hessian(self, theta, stats: ParetoStats) -> np.ndarray:
        b, s = theta
        return np.array([[-1.0 / b / b, 1.0 / s], [1.0 / s, -b / s / s]])

    def fisher(self, theta) -> np.ndarray:
        b, s = theta
        return np.array([[1.0 / b / b, 0.0], [0.0, b / s * b / s]])

    def information(self, theta, stats: ParetoStats) -> np.ndarray:
        """Per observation, such that n times it gives the variances b^2 / n and
        (scale / (n b))^2 (see the module's docstring)."""
        b, s = theta
        return np.array([[1.0 / b / b, 0.0], [0.0, stats.n * (b / s) * (b / s)]])

    def zero_likelihood(self, theta, stats: ParetoStats) -> str | None:
        if float(theta[1]) > stats.min:
            return "the pareto support starts at scale, above the smallest value"
        return None

    def frame(self, stats: ParetoStats):
        return (0.0, 1e6 / stats.t(stats.min)), None
