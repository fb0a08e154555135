"""The distribution of data seen only inside a window: a frozen scipy.stats distribution
restricted to (lo, hi].

A fit with ``truncation=(lo, hi)`` estimates the parameters of the parent distribution
from values that could only be observed inside the window; what those values follow is
the parent conditioned on the window, with density f(x) / P(lo < X <= hi) there and 0
outside. :meth:`gradmle.FitResult.frozen` returns it for such a fit, so that pictures and
goodness-of-fit statistics compare the data with what they were drawn from (the
parent itself is ``frozen(truncated=False)``).

The probability of the window and every distribution function are taken from whichever
side of the parent is accurate there: ``cdf`` differences below the median, ``sf``
differences above it, so that a window far in a tail keeps its digits.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["TruncatedFrozen"]


class TruncatedFrozen:
    """``parent`` (a frozen scipy.stats distribution) restricted to (``lo``, ``hi``]; the
    methods of a frozen distribution that gradmle uses (pdf, logpdf, cdf, sf, logcdf,
    logsf, ppf, isf, rvs, support), with ``dist``, ``args`` and ``kwds`` of the parent."""

    def __init__(self, parent, lo: float, hi: float):
        self.parent = parent
        self.dist, self.args, self.kwds = parent.dist, parent.args, parent.kwds
        self.lo, self.hi = float(lo), float(hi)
        self._upper = float(parent.cdf(self.lo)) > 0.5  # the window starts in the upper half: use sf
        if self._upper:
            self._a, self._b = float(parent.sf(self.lo)), float(parent.sf(self.hi))
            mass = self._a - self._b
        else:
            self._a, self._b = float(parent.cdf(self.lo)), float(parent.cdf(self.hi))
            mass = self._b - self._a
        if not mass > 0:
            raise ValueError(f"the fitted distribution puts no probability on the truncation window "
                             f"({self.lo:g}, {self.hi:g}]")
        self.mass = mass
        self._logmass = math.log(mass)

    def __repr__(self) -> str:
        return f"<{self.dist.name} {self.kwds or self.args} truncated to ({self.lo:g}, {self.hi:g}]>"

    def support(self):
        lo, hi = self.parent.support()
        return max(lo, self.lo), min(hi, self.hi)

    def _inside(self, x):
        return (x > self.lo) & (x <= self.hi)

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            return np.where(self._inside(x), self.parent.pdf(x) / self.mass, 0.0)

    def logpdf(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            return np.where(self._inside(x), self.parent.logpdf(x) - self._logmass, -np.inf)

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            if self._upper:
                below = (self._a - self.parent.sf(x)) / self.mass
            else:
                below = (self.parent.cdf(x) - self._a) / self.mass
        return np.clip(np.where(x <= self.lo, 0.0, np.where(x >= self.hi, 1.0, below)), 0.0, 1.0)

    def sf(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            if self._upper:
                above = (self.parent.sf(x) - self._b) / self.mass
            else:
                above = (self._b - self.parent.cdf(x)) / self.mass
        return np.clip(np.where(x <= self.lo, 1.0, np.where(x >= self.hi, 0.0, above)), 0.0, 1.0)

    def logcdf(self, x):
        with np.errstate(divide="ignore"):
            return np.log(self.cdf(x))

    def logsf(self, x):
        with np.errstate(divide="ignore"):
            return np.log(self.sf(x))

    def ppf(self, q):
        q = np.asarray(q, dtype=float)
        if self._upper:
            x = self.parent.isf(self._a - q * self.mass)
        else:
            x = self.parent.ppf(self._a + q * self.mass)
        return np.clip(x, self.lo, self.hi)

    def isf(self, q):
        return self.ppf(1.0 - np.asarray(q, dtype=float))

    def rvs(self, size=None, random_state=None):
        rng = np.random.default_rng(random_state) if not isinstance(random_state, np.random.Generator) \
            else random_state
        return self.ppf(rng.random(size))
