"""The binomial family with a known number of trials, parameters ``n`` and ``p``, as
scipy.stats.binom: pmf(k) = C(n, k) p^k (1 - p)^(n - k) on k = 0, ..., n.

n is known, not estimated: it is given as a fixed parameter,
``gradmle.fit(x, family="binom", fixed={"n": 10})`` (a whole number >= 1, at least
the largest count), and only p is fitted. With m the mean count,

    l(n, p) = mean log C(n, x) + m log p + (n - m) log(1 - p),

maximized by p = m / n (the closed form). The data are reduced to their histogram
(distinct values and counts: exact, and merged exactly across chunks), which gives
mean log C(n, x) for the n held. The likelihood is written for real n through lgamma
(differences taken from Stirling's series for large n, so that they keep their digits)
with its derivatives in n, so that the protocol's checks apply to every parameter; the
Fisher information in n is E[trigamma(n - X + 1)] - trigamma(n + 1), summed exactly
over the counts that carry probability.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import betainc, digamma, gammaln, polygamma

from ..stats import sum_of_products
from .base import Family
from .nbinom import STIRLING_FROM, Counts, NegativeBinomial, digamma_shift, lgamma_shift, trigamma_shift
from .poisson import MAX_COUNT, check_counts

NAN2 = (math.nan, math.nan)
#: Standard deviations of n - X either side of its mean over which the information in n
#: is summed (beyond, the binomial's probabilities are below 1e-30).
SPREAD = 12.0


def _in_n(n: float, x: np.ndarray, lfx: np.ndarray):
    """Per value x: log C(n, x), d/dn and d^2/dn^2 of it (lgamma(n + 1) - lgamma(x + 1)
    - lgamma(n - x + 1) and its derivatives), the differences in n taken from Stirling's
    series where n - x + 1 is large."""
    z = n - x + 1.0
    big = z >= STIRLING_FROM
    with np.errstate(invalid="ignore", divide="ignore"):
        lc = gammaln(n + 1.0) - gammaln(z) - lfx
        d1 = digamma(n + 1.0) - digamma(z)
        d2 = polygamma(1, n + 1.0) - polygamma(1, z)
    if big.any():
        zb, xb = z[big], x[big]
        lc[big] = lgamma_shift(zb, xb) - lfx[big]
        d1[big] = digamma_shift(zb, xb)
        d2[big] = -trigamma_shift(zb, xb)
    return lc, d1, d2


class Binomial(Family):
    name = "binom"
    param_names = ("n", "p")
    constraints = ("positive", "unit_interval")
    support = "counts"
    scipy_name = "binom"
    known = ("n",)

    # The histogram reduction of the negative binomial (also counts on 0, 1, 2, ...).
    partial = NegativeBinomial.partial
    combine = NegativeBinomial.combine

    def finish(self, part) -> Counts:
        values, counts = part
        n = counts.sum()
        n = int(n) if counts.dtype.kind in "iu" else float(n)
        check_counts(self.name, float(values[-1]))
        if values[-1] == 0.0:
            raise ValueError(f"all {n} counts are 0: the binomial MLE is p = 0, on the boundary of the parameter "
                             "space (0 < p < 1)")
        mean = sum_of_products(counts / n, values)
        return Counts(values, counts, mean=mean, lfx=gammaln(values + 1.0))

    def check_fixed(self, fixed: dict) -> None:
        if "n" not in fixed:
            raise ValueError("the binom family needs the number of trials n, which is known, not estimated: give it "
                             "as fixed={'n': N}, e.g. gradmle.fit(x, family='binom', fixed={'n': 10}) (on the command "
                             "line: --fixed n=10)")
        n = fixed["n"]
        if not (n >= 1.0 and n == math.floor(n) and n <= MAX_COUNT):
            raise ValueError(f"fixed['n'] = {n!r} is not allowed: the number of trials n must be a whole number "
                             "from 1 to 2**53")

    def check_held(self, stats: Counts, held: dict) -> None:
        n, top, m = held.get(0, math.inf), float(stats.x[-1]), stats.extra["mean"]
        if top > n:
            raise ValueError(f"the largest count, {top!r}, is above the number of trials n = {n!r}: binomial "
                             "counts must be whole numbers from 0 to n")
        if m == n:
            raise ValueError(f"all {stats.n} counts equal n = {n!r}: the binomial MLE is p = 1, on the boundary "
                             "of the parameter space (0 < p < 1)")

    def initial(self, stats: Counts):
        # (n is always held fixed, and then the start's n is replaced by it.)
        top = float(stats.x[-1])
        return (top, stats.extra["mean"] / (top + 1.0))

    def closed_form(self, stats: Counts, fixed=None):
        if not fixed or 0 not in fixed:
            return None
        n = fixed[0]
        return (n, fixed.get(1, stats.extra["mean"] / n))

    def _sums(self, stats: Counts, n: float):
        """The means of log C(n, x) and of its first two derivatives in n (cached per n)."""
        def compute(key):
            w = stats.extra["weights"]
            return tuple(sum_of_products(w, v) for v in _in_n(key[0], stats.x, stats.extra["lfx"]))

        return stats.at((n,), compute)

    def objective(self, stats: Counts):
        m, top = stats.extra["mean"], float(stats.x[-1])
        isfinite, log, log1p = math.isfinite, math.log, math.log1p

        def value_and_grad(theta):
            n, p = theta
            if not (n >= top and 0.0 < p < 1.0 and isfinite(n)):
                return -math.inf, NAN2
            a, b, _ = self._sums(stats, n)
            lq = log1p(-p)
            return a + m * log(p) + (n - m) * lq, (b + lq, m / p - (n - m) / (1.0 - p))

        return value_and_grad

    def hessian(self, theta, stats: Counts) -> np.ndarray:
        n, p = theta
        m = stats.extra["mean"]
        c = self._sums(stats, n)[2]
        q = 1.0 - p
        return np.array([[c, -1.0 / q], [-1.0 / q, -m / p / p - (n - m) / q / q]])

    def fisher(self, theta) -> np.ndarray:
        n, p = theta
        q = 1.0 - p
        return np.array([[self._info_nn(n, p), 1.0 / q], [1.0 / q, n / p / q]])

    @staticmethod
    def _info_nn(n: float, p: float) -> float:
        """E[trigamma(n - X + 1)] - trigamma(n + 1) = sum_{j=1}^{n} P(n - X <= j - 1) / j^2
        (trigamma(n - k + 1) - trigamma(n + 1) = sum_{j=n-k+1}^{n} 1/j^2), with n - X
        binomial (n, 1 - p): summed where that probability is neither 0 nor 1, the
        rest (where it is 1) in closed form."""
        mean, sd = n * (1.0 - p), math.sqrt(n * p * (1.0 - p))
        lo = max(1.0, math.floor(mean - SPREAD * sd - 30.0))
        hi = min(n, math.ceil(mean + SPREAD * sd + 30.0))
        j = np.arange(lo, hi + 1.0)
        # P(Y <= k) for Y ~ binomial(n, q) is the regularized incomplete beta I_{1-q}(n - k, k + 1).
        with np.errstate(all="ignore"):
            cdf = np.where(j - 1.0 < n, betainc(np.maximum(n - j + 1.0, 1e-300), j, p), 1.0)
        tail = float(polygamma(1, hi + 1.0) - polygamma(1, n + 1.0)) if hi < n else 0.0
        return float(np.sum(cdf / j / j)) + tail

    def scales(self, theta):
        """Each parameter's scale with the other known (n is always held fixed)."""
        n, p = abs(theta[0]), min(max(abs(theta[1]), 1e-300), 1.0)
        i_nn = self._info_nn(n, p) if n >= 1.0 and 0.0 < p < 1.0 else math.nan
        s_n = 1.0 / math.sqrt(i_nn) if i_nn > 0.0 else max(n, 1.0)
        return (s_n, max(math.sqrt(p * (1.0 - p) / max(n, 1.0)), 1e-300))
