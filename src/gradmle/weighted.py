"""Frequency weights: grouped data, values with counts, for every family.

A weight w >= 0 says that a row stands for w observations of its value. The
log-likelihood is then sum(w_i log f(x_i)): that of the data with each value repeated
w_i times, and every reduction of a family is a sum over the observations, so it
becomes the weighted sum over the rows with n = sum(w) (a float when the weights are
not whole). Nothing else changes:

- families with sufficient statistics reduce each chunk of rows to the same
  statistics, weighted (the Normal's (n, mean, M2) by the weighted two-sweep of
  :mod:`gradmle.stats`, merged across chunks by Chan, Golub & LeVeque's update, which
  holds for any positive n; weighted sums of x, log x, log x!; a histogram whose
  counts are sums of weights), so that every evaluation is O(1) as without weights;
- families without them count each row's terms w times in every pass, and learn
  their start from weighted moments and weighted order statistics (the value at
  0-based rank r of the repeated data: the first value, in sorted order, whose
  cumulative weight exceeds r; the weighted median, numpy's convention for an even
  count, is the middle of the values at the two ends of the interval where the
  cumulative weight crosses n / 2);
- the information is n times that of one observation, standard errors as if the
  data were repeated.

Rows of weight 0 count 0 and are left out before anything else. The data are in
memory (the command line's ``--weight`` reads its columns whole); the checks of the
values (support, NaN and infinite values, dropped with their weights when asked) and
the working units are those of unweighted data, so integer weights give the fit of
``np.repeat(x, w)``.
"""

from __future__ import annotations

import numpy as np

from .censoring import Counts
from .families.base import Family, Refine
from .io import DataError
from .record import DataRecord
from .source import Columns, TableSource
from .stats import tree
from .streaming import (EMPTY_SCAN, Reduced, merge_moments, moments_partial, refuse, sample_of, scan_chunk,
                        working_units)
from .units import Units

__all__ = ["WeightedSource", "reduce_weighted", "weighted_order_statistics", "describe"]


def _sorted(x: np.ndarray, w: np.ndarray):
    """The values in order and their cumulative weights, and a lookup: the first value
    whose cumulative weight exceeds r (``side="right"``) or reaches it ("left")."""
    order = np.argsort(x, kind="stable")
    xs, cum = x[order], np.cumsum(w[order])
    last = xs.size - 1
    return float(cum[-1]), lambda r, side="right": float(xs[min(int(np.searchsorted(cum, r, side=side)), last)])


def weighted_order_statistics(x: np.ndarray, w: np.ndarray, ranks) -> list:
    """The values at 0-based ``ranks`` (whole or not) of the data with each x repeated
    w times: for rank r, the first value in sorted order whose cumulative weight
    exceeds r."""
    _, at = _sorted(x, w)
    return [at(r) for r in ranks]


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """The median of the data with each x repeated w times, as np.median gives it for
    integer weights: the middle of the first value whose cumulative weight reaches
    half the total and the first that exceeds it (any point between maximizes a
    Laplace likelihood in loc; the middle is numpy's choice for an even count)."""
    total, at = _sorted(x, w)
    a, b = at(0.5 * total, "left"), at(0.5 * total)
    return a if a == b else (a + b) / 2.0


class WeightedSource(TableSource):
    """Values with their weights in memory: chunks of rows are Columns ``x`` and
    ``weight`` (see :func:`gradmle.families.base.split`)."""

    def __init__(self, x: np.ndarray, w: np.ndarray, name: str = "array"):
        super().__init__(Columns({"x": x, "weight": w}), name=name)

    @property
    def values(self) -> np.ndarray:
        return self.x["x"]

    def apply(self, fn) -> "WeightedSource":
        """The values transformed once (their weights kept)."""
        out = WeightedSource(fn(self.values), self.x["weight"], self.name)
        out.passes, out.raw = self.passes, self.raw
        return out

    def median(self, n, lo: float, hi: float) -> float:
        self.passes += 1
        return weighted_median(self.values, self.x["weight"])

    def order_statistics(self, ranks, n, lo: float, hi: float) -> list:
        self.passes += 1
        return weighted_order_statistics(self.values, self.x["weight"], ranks)


def _reduce(source: WeightedSource, partial, combine):
    return tree([partial(c) for _, c in source.chunks()], combine)


def reduce_weighted(fam: Family, record: DataRecord, in_units: bool = True) -> Reduced:
    """Reduce a record with frequency weights for ``fam`` (see the module's doc): n is
    the sum of the weights (an int when they are whole)."""
    x, w = record.source.x, record.weights
    keep = w > 0
    dropped = {}
    if record.source.masked_before:
        dropped["masked"] = record.source.masked_before
    if record.nonfinite == "drop":
        bad = keep & ~np.isfinite(x)
        if bad.any():
            dropped["nonfinite"] = int(bad.sum())
            keep &= ~bad
    if not keep.all():
        x, w = x[keep], w[keep]
        if not x.size:
            raise ValueError(f"{record.name}: every value of positive weight is NaN or infinite: no data to fit")
    if record.loc:
        x = x - record.loc
    source = WeightedSource(x, w, record.name)
    scan = scan_chunk(fam, x)
    if scan["nonfinite"] or scan["outside"]:
        refuse(fam, record, source, scan)
    total = float(w.sum())
    n = int(total) if total.is_integer() else total
    if not n >= 2:
        raise DataError(f"the weights sum to {n!r}: at least 2 observations are needed")
    units = working_units(fam, scan, None) if in_units else Units()
    if not units.identity:
        source = source.apply(units.prep)
        x = source.values
    lo, hi = float(x.min()), float(x.max())
    source.passes = 0
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        if fam.sufficient:
            try:
                stats = fam.finish(_reduce(source, fam.partial, fam.combine))
            except Refine as refine:
                stats = refine.finish(_reduce(source, refine.partial, refine.combine))
        else:
            logs, learns = fam.support.positive, fam.learns
            part = _reduce(source, lambda c: moments_partial(c, learns, logs), merge_moments)
            stats = sample_of(fam, source, part, {**EMPTY_SCAN, "n": n, "lo": lo, "hi": hi})
            source = stats.source
    return Reduced(stats, n, units, lo, hi, dropped, source, record)


def describe(record: DataRecord, n) -> dict:
    """What ``result.info["censoring"]`` says of weighted data, in the words of
    censored data (:class:`gradmle.censoring.Counts`): every observation observed, as
    many as the weights sum to, over the rows given."""
    rows = int(record.weights.size)
    counts = Counts(float(n), 0.0, 0.0, 0.0, 0.0, rows)
    return dict(counts.to_dict(), described=f"{counts.describe()} (frequency weights on {rows} rows)")
