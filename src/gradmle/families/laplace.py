"""The Laplace family, parameters ``loc`` and ``scale`` (b), as scipy.stats.laplace.

The average log-likelihood is l = -log(2 b) - D(loc) / b with D(loc) = mean|x - loc|.
Its maximum is in closed form: loc = the median, b = D(median) (the closed form is also
the start). D has a kink at every data value, so there are no sufficient statistics:
each new loc costs one pass (cached per loc, so that moving b alone costs nothing). The
median of data in pieces is found exactly in bounded memory (gradmle.quantile).

Non-differentiable in loc: the gradient in loc is the subgradient of least size,
(#{x > loc} - #{x < loc}) / (n b) reduced towards 0 by the number of values equal to
loc. It is 0 at every maximizer (any median, ties included) and the plain derivative
between data values. The Hessian in loc is 0 wherever it exists, so ``hessian`` is
singular; standard errors use the Fisher information, diag(1, 1) / b^2, instead
(``information``): the median's asymptotic variance, 1 / (4 n f(loc)^2) = b^2 / n, is
what it gives.
"""

from __future__ import annotations

import math

import numpy as np

from ..stats import sum_of_products
from .base import Family, Sample, split

LOG2 = math.log(2.0)
NAN2 = (math.nan, math.nan)


class Laplace(Family):
    name = "laplace"
    param_names = ("loc", "scale")
    constraints = ("real", "positive")
    scale_power = (1, 1)
    loc_index = 0
    support = "real"
    scipy_name = "laplace"
    #: The likelihood has a kink in loc at every data point: gradient methods can stop
    #: next to the maximum but not test that they are at it; "auto" uses the closed form.
    smooth = False
    sufficient = False
    #: The exact median: a few counting passes for data in pieces.
    learns = ("median",)

    def prepare(self, info: dict) -> dict:
        self.check_spread(info["min"], info["max"], info["n"])
        return {"min": info["min"], "max": info["max"], "median": info["median"]}

    def chunk_sums(self, theta, chunk: np.ndarray, extra=None) -> np.ndarray:
        """sum|x - loc|, #{x > loc}, #{x < loc} over one chunk (weighted: sums of the
        weights)."""
        x, w = split(chunk)
        d = x - theta[0]
        if w is not None:
            return np.array([sum_of_products(w, np.abs(d)), float(w[d > 0.0].sum()), float(w[d < 0.0].sum())])
        return np.array([float(np.abs(d).sum()), float(np.count_nonzero(d > 0.0)), float(np.count_nonzero(d < 0.0))])

    def _at(self, sample: Sample, loc: float):
        """``(mean|x - loc|, subgradient)``, the subgradient of -mean|x - loc| in loc of
        least size."""
        def compute(key):
            total, above, below = sample.total(lambda c: self.chunk_sums(key, c))
            n = sample.n
            tied = n - above - below
            k = above - below
            # Each value equal to loc may contribute anything in [-1, 1]: use them to cancel k.
            k = k - tied if k > tied else (k + tied if k < -tied else 0.0)
            return float(total) / n, float(k) / n

        return sample.at((loc,), compute)

    def initial(self, sample: Sample):
        return self.closed_form(sample)

    def closed_form(self, sample: Sample, fixed=None):
        fixed = fixed or {}
        loc = fixed.get(0, sample.extra["median"])  # b held: any median maximizes in loc
        # The objective computes D(loc) exactly as here, so at the closed form the
        # gradient in b is exactly 0.
        return (loc, fixed.get(1, self._at(sample, loc)[0]))

    def objective(self, sample: Sample):
        log, isfinite = math.log, math.isfinite

        def value_and_grad(theta):
            loc, b = theta
            if not (b > 0.0 and isfinite(b) and isfinite(loc)):
                return -math.inf, NAN2
            d, g = self._at(sample, loc)
            r = d / b
            return -LOG2 - log(b) - r, (g / b, (r - 1.0) / b)

        return value_and_grad

    def hessian(self, theta, sample: Sample) -> np.ndarray:
        """The Hessian where it exists: 0 in loc (l is piecewise linear in loc)."""
        loc, b = theta
        d, g = self._at(sample, loc)
        h_lb = -g / b / b
        return np.array([[0.0, h_lb], [h_lb, (1.0 - 2.0 * d / b) / b / b]])

    def fisher(self, theta) -> np.ndarray:
        b = theta[1]
        v = 1.0 / b / b
        return np.array([[v, 0.0], [0.0, v]])

    def information(self, theta, sample: Sample) -> np.ndarray:
        """The Fisher information: the observed one is singular in loc (see above)."""
        return self.fisher(theta)

    def scales(self, theta):
        b = max(abs(theta[1]), 1e-300)
        return (b, b)
