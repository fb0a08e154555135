"""The negative binomial family, parameters ``n`` and ``p``, as scipy.stats.nbinom:
pmf(k) = Gamma(k + n) / (k! Gamma(n)) p^n (1 - p)^k.

The data are reduced to their histogram (distinct values and counts: sufficient, and
merged exactly across chunks). With C(x) = lgamma(x + n) - lgamma(x + 1) - lgamma(n),
l(n, p) = mean C(x) + n log p + mean(x) log(1 - p): the means of C and of its
n-derivatives depend on n alone, so one pass over the distinct values (cached per n)
gives the value, gradient and Hessian, and a step in p costs no pass. The differences
of lgamma, digamma and trigamma come from Stirling's series where their terms are
large, so the value stays smooth to the last digits a Newton step needs.

Counts that are not over-dispersed (variance <= mean) have no maximum: the likelihood
increases towards the Poisson limit n -> infinity, p -> 1; the fit says so (status
"boundary") and reports the Poisson fit.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import digamma, gammaln, nbdtrik, polygamma

from ..stats import sum_of_products
from .base import Cached, Family, split
from .poisson import check_counts

NAN2 = (math.nan, math.nan)
#: Stirling's series from here on (5 terms: the first omitted one is below 1e-17).
STIRLING_FROM = 20.0
_B = (1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66)  # B_2 .. B_10
#: Fitted over-dispersion var/mean - 1 = (1 - p) / p below which the fit has reached
#: the Poisson limit: no sample size gradmle meets tells the two apart there.
DISPERSION_LIMIT = 1e-6


def lgamma_shift(z, s):
    """lgamma(z + s) - lgamma(z) for z, z + s >= 20 (either may be an array), from
    Stirling's series with every difference written through log1p/expm1."""
    L = np.log1p(s / z)
    out = (z - 0.5) * L + s * (np.log(z + s) - 1.0)
    iz = 1.0 / z
    zk, iz2 = iz, iz * iz
    for k, b in enumerate(_B, start=1):
        out = out + b / (2 * k * (2 * k - 1)) * zk * np.expm1((1 - 2 * k) * L)
        zk = zk * iz2
    return out


def digamma_shift(z, s):
    """digamma(z + s) - digamma(z) for z >= 20 and s >= 0 (either may be an array), from
    Stirling's series with every difference written through log1p/expm1: full relative
    precision however small s / z, where the direct difference keeps only the digits
    of s / z that log z leaves."""
    L = np.log1p(s / z)
    out = L + 0.5 * (s / (z + s)) / z
    for k, b in enumerate(_B, start=1):
        out = out - b / (2 * k) * z ** (-2 * k) * np.expm1(-2 * k * L)
    return out


def trigamma_shift(z, s):
    """trigamma(z) - trigamma(z + s) for z >= 20 and s >= 0 (either may be an array), as
    ``digamma_shift``."""
    L = np.log1p(s / z)
    w = z + s
    r = s / w
    out = r / z + 0.5 * r * (1.0 + z / w) / z / z
    for k, b in enumerate(_B, start=1):
        out = out - b * z ** (-2 * k - 1) * np.expm1((-2 * k - 1) * L)
    return out


def _diffs(n: float, u: np.ndarray, lfu=None):
    """Per value u >= 0: lgamma(u + n) - lgamma(u + 1) - lgamma(n) (the log of the pmf's
    coefficient), digamma(u + n) - digamma(n) and trigamma(n) - trigamma(u + n).
    ``lfu`` is lgamma(u + 1), when known."""
    lfu = gammaln(u + 1.0) if lfu is None else lfu
    w = u + n
    # C is formed as a difference in u (where u > n) or in n, whichever keeps its terms
    # small: their rounding would otherwise swamp what a Newton step gains.
    big = u >= max(n, STIRLING_FROM)
    with np.errstate(invalid="ignore"):  # n < 1e-150: lgamma(n), trigamma(n) = inf
        if n >= STIRLING_FROM:
            lg = lgamma_shift(n, u) - lfu
        else:
            lg = gammaln(w) - lfu - gammaln(n)
        if big.any():
            lg[big] = lgamma_shift(u[big] + 1.0, n - 1.0) - gammaln(n)
        if n < STIRLING_FROM:
            d = lg, digamma(w) - digamma(n), polygamma(1, n) - polygamma(1, w)
            return d if n > 1e-150 else tuple(np.where(u > 0, v, 0.0) for v in d)
    return lg, digamma_shift(n, u), trigamma_shift(n, u)


#: Nodes of the Fisher information sum.
EXACT_TERMS = 4096


@lru_cache(maxsize=8)
def _info_nn(n: float, p: float) -> float:
    """E[trigamma(n) - trigamma(X + n)] = sum_j P(X > j) / (n + j)^2 (no cancellation),
    summed between the 1e-15 and 1 - 1e-15 quantiles; below, P(X > j) = 1."""
    lo, hi = float(nbdtrik(1e-15, n, p)), float(nbdtrik(1.0 - 1e-15, n, p))
    if not 0.0 <= lo <= hi < 1e300:  # nbdtrik gives up at extreme parameters
        lo, hi = 0.0, (n * (1.0 - p) + 40.0 * math.sqrt(n * (1.0 - p)) + 30.0) / p
    if not hi < 2.0**53:  # beyond the counts float64 holds exactly: no use asking
        return math.nan
    lo, hi = max(float(math.floor(lo)) - 1.0, 0.0), float(math.ceil(hi)) + 1.0
    k, w, half = lo + np.arange(min(hi - lo, EXACT_TERMS)), 1.0, EXACT_TERMS // 2
    if hi - lo > EXACT_TERMS:
        # Past the first `half` values a node stands for a block of h (the midpoint
        # rule: the pmf is smooth on the scale of the stride there).
        h = float(math.ceil((hi - lo - half) / half))
        k[half:] = lo + half + h * np.arange(half) + 0.5 * (h - 1.0)
        w = np.where(np.arange(EXACT_TERMS) < half, 1.0, h)
    # At the extreme points an optimizer may try, the answer may be nan: never a warning.
    with np.errstate(all="ignore"):
        logpmf = _diffs(n, k)[0] + k * math.log1p(-p)
        # Normalized over the nodes (the constant n log p drops out), so that rounding
        # in the log pmf of huge counts cannot overflow.
        mass = w * np.exp(logpmf - logpmf.max())
        mass /= mass.sum()
        after = np.cumsum(mass[::-1])[::-1] - mass      # P(X beyond this node's block)
        sf = after + mass * (w - 1.0) / (2.0 * w)       # average of P(X > j) over the block
        nk = n + k
        return float(_diffs(n, np.array([lo]))[2][0]) + float(np.sum(w * sf / (nk * nk)))


class Counts(Cached):
    """Distinct values ``x`` and their counts, with a one-entry cache (per n); ``n`` is
    the number of observations (weighted data: the sum of the weights, and counts
    that are sums of weights)."""

    __slots__ = ("x", "n", "extra")

    def __init__(self, values, counts, **extra):
        super().__init__()
        self.x = values
        self.n = int(counts.sum()) if counts.dtype.kind in "iu" else float(counts.sum())
        self.extra = dict(extra, counts=counts, weights=counts / counts.sum())


class NegativeBinomial(Family):
    name = "nbinom"
    param_names = ("n", "p")
    constraints = ("positive", "unit_interval")
    support = "counts"
    scipy_name = "nbinom"
    shiftable = False

    def partial(self, chunk):
        """The histogram of a chunk: (distinct values, counts); with weights the count of
        a value is the sum of its rows' weights."""
        chunk, w = split(chunk)
        if not chunk.size:
            return None
        if w is not None:
            values, where = np.unique(chunk, return_inverse=True)
            return values, np.bincount(where, weights=w)
        if chunk.max() <= max(1 << 16, 4 * chunk.size):
            counts = np.bincount(chunk.astype(np.int64))
            return np.flatnonzero(counts).astype(float), counts[counts > 0]
        return np.unique(chunk, return_counts=True)

    def combine(self, a, b):
        values, where = np.unique(np.concatenate([a[0], b[0]]), return_inverse=True)
        counts = np.bincount(where, weights=np.concatenate([a[1], b[1]]))
        # (whole counts stay whole; counts of weighted data are sums of weights)
        return values, counts.astype(np.int64) if a[1].dtype.kind in "iu" and b[1].dtype.kind in "iu" else counts

    def finish(self, part) -> Counts:
        values, counts = part
        n = counts.sum()
        n = int(n) if counts.dtype.kind in "iu" else float(n)
        check_counts(self.name, float(values[-1]))
        if values[-1] == 0.0:
            raise ValueError(
                f"all {n} counts are 0: the negative binomial MLE has p = 1 (a point mass at 0), "
                "on the boundary of the parameter space (0 < p < 1)"
            )
        w = counts / n
        mean = sum_of_products(w, values)
        d = values - mean
        return Counts(values, counts, mean=mean, var=sum_of_products(w * d, d), lfu=gammaln(values + 1.0))

    def initial(self, stats: Counts):
        m, v = stats.extra["mean"], stats.extra["var"]
        # Method of moments (var = m + m^2 / n). Without over-dispersion, start at
        # var = 2 m: far closer to the Poisson limit the likelihood is so flat in n
        # that an optimizer's first steps would be wild. Given n, p = n / (n + m).
        n = m * m / (v - m) if v > m else m
        return (n, n / (n + m))

    def _sums(self, stats: Counts, n: float):
        def compute(key):
            lg, dg, tg = _diffs(key[0], stats.x, stats.extra["lfu"])
            w = stats.extra["weights"]
            return sum_of_products(w, lg, out=lg), sum_of_products(w, dg, out=dg), sum_of_products(w, tg, out=tg)

        return stats.at((n,), compute)

    def objective(self, stats: Counts):
        m = stats.extra["mean"]
        isfinite, log, log1p = math.isfinite, math.log, math.log1p

        def value_and_grad(theta):
            n, p = theta
            if not (n > 0.0 and 0.0 < p < 1.0 and isfinite(n)):
                return -math.inf, NAN2
            a, b, _ = self._sums(stats, n)
            value = a + n * log(p) + m * log1p(-p)
            return value, (b + log(p), n / p - m / (1.0 - p))

        return value_and_grad

    def hessian(self, theta, stats: Counts) -> np.ndarray:
        n, p = theta
        c = self._sums(stats, n)[2]
        m = stats.extra["mean"]
        return np.array([[-c, 1.0 / p], [1.0 / p, -n / p / p - m / ((1.0 - p) * (1.0 - p))]])

    def fisher(self, theta) -> np.ndarray:
        n, p = theta
        if not (n > 0.0 and 0.0 < p < 1.0 and math.isfinite(n)):
            return np.full((2, 2), math.nan)
        return np.array([[_info_nn(n, p), -1.0 / p], [-1.0 / p, n / p / p / (1.0 - p)]])

    def frame(self, stats: Counts):
        m, v = stats.extra["mean"], stats.extra["var"]
        n0 = m * m / (v - m) if v > m else 0.0
        # Far enough that the fit is a Poisson there (var / mean - 1 < DISPERSION_LIMIT).
        return (0.0, max(m, n0) / DISPERSION_LIMIT), (0.5, 1.0)

    def limit(self, result) -> str | None:
        n, p = result.params["n"], result.params["p"]
        # Also catches a run that ended with n or p overflowing to inf or 1.
        over = (1.0 - p) / p if 0.0 < p <= 1.0 else math.inf
        if not over <= 2.0 * DISPERSION_LIMIT:
            return None
        return (
            f"n runs to infinity (it reached {n:.3g}, where var/mean - 1 = {over:.2g}): the counts are not "
            "over-dispersed, and the negative binomial likelihood keeps increasing towards its Poisson limit; "
            "see result.limit_fit for the Poisson fit"
        )

    #: The model the fit tends to when the counts are not over-dispersed.
    limit_family = "poisson"
    limit_params = ("n", "p")

    def limit_stats(self, stats: Counts):
        """The Poisson's statistics of the same counts (no pass over the data)."""
        from .poisson import PoissonStats

        w = stats.extra["weights"]
        return PoissonStats(stats.n, stats.extra["mean"], sum_of_products(w, stats.extra["lfu"]), float(stats.x[0]),
                            float(stats.x[-1]))
