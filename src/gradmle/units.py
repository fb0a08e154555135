"""The one converter between the data's units and the units a fit is made in.

Data of extreme magnitude (1e-200, 1e200) are divided by an exact power of two, so
that squares, sums and densities stay inside float64; data far from zero compared with
their spread (1e12 + 1e-3 k) are, for families with a location parameter, taken about
a value in their middle, so that the location is resolved finer than the spacing of
floats at 1e12 and the spread keeps its digits. A fit is made on
``x_w = (x - shift) / scale`` and everything it reports goes back through
:meth:`Units.to_data`: estimates, trace, log-likelihood, standard errors, start and
fixed values.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

__all__ = ["Units", "choose_units", "RESCALE_OUTSIDE"]

#: Data whose magnitude lies outside these bounds are fitted in units of a power of two.
RESCALE_OUTSIDE = (2.0**-160, 2.0**160)


@dataclass(frozen=True)
class Units:
    #: An exact power of two the data are divided by.
    scale: float = 1.0
    #: A value subtracted from the data first (families with a location parameter).
    shift: float = 0.0
    #: How each parameter scales with the data (1 for locations and scales, 0 for
    #: shapes); empty when the family cannot be rescaled.
    powers: tuple = ()
    #: The index of the parameter that moves with a shift of the data.
    loc: int | None = None

    @property
    def identity(self) -> bool:
        return self.scale == 1.0 and self.shift == 0.0

    @property
    def exponent(self) -> int:
        return math.frexp(self.scale)[1] - 1

    # -- parameters ----------------------------------------------------------------
    def factor(self, i: int) -> float:
        """What parameter ``i`` is multiplied by on its way to the data's units."""
        return self.scale ** self.powers[i] if self.powers else 1.0

    def to_data(self, i: int, v):
        """Parameter ``i`` (a float or an array of them) in the data's units."""
        with np.errstate(over="ignore"):  # a diverged path may leave float64 in the data's units
            out = v * self.factor(i)
        return out + self.shift if i == self.loc else out

    def to_work(self, i: int, v: float) -> float:
        if i == self.loc:
            v = v - self.shift
        return v / self.factor(i)

    def theta_to_data(self, theta) -> tuple:
        return tuple(self.to_data(i, v) for i, v in enumerate(theta))

    def theta_to_work(self, theta) -> tuple:
        return tuple(self.to_work(i, v) for i, v in enumerate(theta))

    def loglik_to_data(self, v):
        """Each density picks up 1 / scale."""
        return v - math.log(self.scale) if self.scale != 1.0 else v

    def step_to_work(self, step: float, power: int) -> float:
        """A step with units of theta^power, in working units (clamped to float64: the
        run then reports what such a step does)."""
        try:
            return math.ldexp(step, -self.exponent * power)
        except OverflowError:
            return sys.float_info.max

    def moments_to_data(self, m):
        """The Normal's moments (gradmle.stats.Moments) in the data's units."""
        if self.identity:
            return m
        k = self.scale
        with np.errstate(over="ignore"):  # (the squares of 1e200-scale data do not fit float64)
            return m._replace(shift=m.shift * k + self.shift, dmean=m.dmean * k, m2=m.m2 * k * k,
                              min=m.min * k + self.shift, max=m.max * k + self.shift)

    # -- data ----------------------------------------------------------------------
    def prep(self, chunk: np.ndarray) -> np.ndarray:
        if self.shift:
            chunk = chunk - self.shift
        return chunk / self.scale if self.scale != 1.0 else chunk

    def describe(self) -> str:
        parts = []
        if self.shift:
            parts.append(f"about {self.shift:.17g} (the data minus that value, so that the location keeps its digits)")
        if self.scale != 1.0:
            parts.append(f"in units of {self.scale:g} (the data were divided by it exactly, a power of two)")
        return "fitted " + " and ".join(parts)


def choose_units(powers, loc, positive: bool, lo: float, hi: float, centers: bool = False,
                 known_range: bool = True) -> Units:
    """The working units for data from ``lo`` to ``hi``.

    ``powers``: how each parameter scales (None or empty: the family cannot be
    rescaled); ``loc``: its location parameter, if any; ``positive``: whether the data
    are all > 0 (then the logarithms are centred: dividing 1e-300 and 1e300 by the
    larger would turn the smaller into 0); ``centers``: the family keeps its own
    location to full precision (the Normal's shifted moments); ``known_range``: False
    when lo = hi is only a typical size (no pass computed the range)."""
    if not powers or not (math.isfinite(lo) and math.isfinite(hi)):
        return Units()
    shift = 0.0
    mid = 0.5 * lo + 0.5 * hi
    if loc is not None and not centers and abs(mid) > (hi - lo) and hi > lo:
        shift = mid
        lo, hi = lo - shift, hi - shift
    big = max(abs(lo), abs(hi))
    narrow = False
    if positive and lo > 0.0 and not shift:
        big = math.sqrt(lo) * math.sqrt(hi)
        # Values that agree to six digits or more (1e12 + 1e-3 k): a scale near them is
        # optimized as log(scale), and near log(1e12) = 27.6 the spacing of floats is
        # wider than such a scale's standard error; near log(1) it is not.
        narrow = known_range and loc is None and hi - lo < lo * 2.0**-20
    scale = 1.0
    if math.isfinite(big) and big != 0.0 and (narrow or not RESCALE_OUTSIDE[0] < big < RESCALE_OUTSIDE[1]):
        scale = math.ldexp(1.0, math.frexp(big)[1] - 1)  # big / scale in [1, 2)
    return Units(scale, shift, tuple(powers), loc if shift else None)
