"""Goodness-of-fit statistics of a fitted distribution.

For a continuous distribution with CDF F and the data sorted, x_(1) <= ... <= x_(n),
u_i = F(x_(i)), the EDF statistics measure the distance between the empirical CDF and F:

- Kolmogorov-Smirnov: D = max(D+, D-), D+ = max_i (i/n - u_i), D- = max_i (u_i - (i-1)/n);
- Cramer-von Mises: W^2 = 1/(12 n) + sum_i (u_i - (2i - 1)/(2n))^2;
- Anderson-Darling: A^2 = -n - (1/n) sum_i (2i - 1) [log u_i + log(1 - u_(n+1-i))], with
  log u and log(1 - u) taken as the distribution's logcdf and logsf, so that values far
  in either tail keep their weight instead of rounding to log 0.

These are the statistics of ``scipy.stats.kstest``, ``scipy.stats.cramervonmises`` and
the Anderson-Darling statistic of ``scipy.stats.anderson``. Their classical p-values
assume F was known before the data were seen; with F fitted to the same data the
statistics are smaller than under that assumption, so the classical p-values are too
large (:mod:`gradmle.select` computes p-values by parametric bootstrap instead).

For counts the statistic is Pearson's chi-square over cells 0, 1, 2, ... pooled from
the left until each expects at least 5 observations (the last cell is the upper tail,
X >= its first value), with ``cells - 1 - k`` degrees of freedom for k fitted
parameters.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["edf_statistics", "EDF_STATISTICS", "ChiSquare", "chi_square", "is_discrete", "MIN_EXPECTED"]

#: The EDF statistics, by their column name.
EDF_STATISTICS = ("ks", "cvm", "ad")
#: The smallest expected count of a pooled chi-square cell.
MIN_EXPECTED = 5.0
#: The largest count for which cells 0..max are laid out one by one.
MAX_CELLS = 10_000_000


def is_discrete(frozen) -> bool:
    """Whether a scipy.stats frozen distribution is discrete (has a PMF)."""
    import scipy.stats

    return isinstance(frozen.dist, scipy.stats.rv_discrete)


def edf_statistics(x_sorted: np.ndarray, frozen) -> dict:
    """``{"ks": D, "cvm": W2, "ad": A2}`` of the sorted values against a continuous
    frozen distribution.

    Examples
    --------
    >>> import numpy as np, scipy.stats
    >>> x = np.sort(np.random.default_rng(0).normal(size=100))
    >>> s = edf_statistics(x, scipy.stats.norm())
    >>> bool(abs(s["ks"] - scipy.stats.kstest(x, "norm").statistic) < 1e-15)
    True
    """
    n = x_sorted.size
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        u = np.asarray(frozen.cdf(x_sorted), dtype=float)
        i = np.arange(1, n + 1, dtype=float)
        ks = max(float(np.max(i / n - u)), float(np.max(u - (i - 1.0) / n)))
        cvm = 1.0 / (12.0 * n) + float(np.sum((u - (2.0 * i - 1.0) / (2.0 * n)) ** 2))
        log_u, log_1mu = _log_cdf_sf(x_sorted, u, frozen)
        terms = (2.0 * i - 1.0) * (log_u + log_1mu[::-1])
        ad = -n - float(np.sum(terms)) / n
    # A value where F is exactly 0 or 1 makes A^2 infinite: the fitted distribution
    # gives that observation no room at all.
    return {"ks": ks, "cvm": cvm, "ad": ad if not math.isnan(ad) else math.inf}


#: Below this, log(u) is computed by the distribution's logcdf (u may have underflowed).
_TINY = 1e-280
#: Above this, log(1 - u) is the distribution's logsf: below it log1p(-u) keeps 1 - u to
#: 1e-13 relative (u's rounding, 1.1e-16, over 1 - u >= 1e-3).
_NEAR_ONE = 1.0 - 1e-3


def _log_cdf_sf(x, u, frozen):
    """log F(x) and log(1 - F(x)) to full relative precision, from F(x) = u where that
    is exact enough: log u for u above _TINY, log1p(-u) for u below _NEAR_ONE; elsewhere the
    distribution's logcdf and logsf (the tails, where u rounds to 0 or 1 - u cancels)."""
    log_u = np.log(u)
    low = ~(u > _TINY)
    if low.any():
        log_u[low] = frozen.logcdf(x[low])
    log_1mu = np.log1p(-u)
    high = ~(u < _NEAR_ONE)
    if high.any():
        log_1mu[high] = frozen.logsf(x[high])
    return log_u, log_1mu


class ChiSquare(NamedTuple):
    """Pearson's chi-square of counts against a fitted discrete distribution."""

    statistic: float
    df: int
    pvalue: float | None
    #: The pooled cells: first value of each (the last is open above), observed and
    #: expected counts.
    starts: np.ndarray
    observed: np.ndarray
    expected: np.ndarray


def chi_square(x: np.ndarray, frozen, k: int) -> ChiSquare | None:
    """Pearson's chi-square of the counts ``x`` against ``frozen`` with ``k`` fitted
    parameters, cells pooled to expect at least ``MIN_EXPECTED`` each; None when the
    counts are too large to lay out cell by cell. The p-value is None when fewer cells
    than ``k + 2`` remain (no degrees of freedom left)."""
    from scipy.stats import chi2

    n = x.size
    top = int(x.max())
    if top > MAX_CELLS:
        return None
    freq = np.bincount(x.astype(np.int64), minlength=top + 1).astype(float)
    values = np.arange(top + 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        prob = np.asarray(frozen.pmf(values), dtype=float)
        # The last cell holds the upper tail: P(X >= top) = sf(top - 1).
        prob[-1] = float(frozen.sf(top - 1))
    expected = n * prob
    starts, obs, exp = [], [], []
    acc_o = acc_e = 0.0
    start = 0
    for v in range(top + 1):
        acc_o += freq[v]
        acc_e += expected[v]
        if acc_e >= MIN_EXPECTED and v < top:
            starts.append(start), obs.append(acc_o), exp.append(acc_e)
            acc_o = acc_e = 0.0
            start = v + 1
    starts.append(start), obs.append(acc_o), exp.append(acc_e)
    if len(exp) > 1 and exp[-1] < MIN_EXPECTED:  # the tail is too small: pool it into its neighbour
        last_o, last_e = obs.pop(), exp.pop()
        obs[-1] += last_o
        exp[-1] += last_e
        starts.pop()
    o, e = np.array(obs), np.array(exp)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = float(np.sum((o - e) ** 2 / e))
    df = len(e) - 1 - k
    p = float(chi2.sf(stat, df)) if df > 0 and math.isfinite(stat) else None
    return ChiSquare(stat, df, p, np.array(starts), o, e)
