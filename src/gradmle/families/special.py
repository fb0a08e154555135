"""Differences of log-gamma and its derivatives at x and x + 1/2, accurate for large x.

Student-t's likelihood needs lgamma((df+1)/2) - lgamma(df/2) and its derivatives; for
large df the direct differences lose most of their digits. From ``STIRLING_FROM`` on
they are computed from Stirling's series with every difference of powers written as
x^k expm1(k log1p(1/(2x))), which keeps full relative precision.
"""

from __future__ import annotations

import math

from scipy.special import digamma, gammaln, polygamma

STIRLING_FROM = 20.0
# Bernoulli numbers B_2 .. B_12.
_B = (1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730)


def _log1p_minus(u: float) -> float:
    """log1p(u) - u for 0 <= u <= 1/40, by its series."""
    total, power = 0.0, u * u
    for k in range(2, 14):
        total += (-1.0 if k % 2 == 0 else 1.0) * power / k
        power *= u
    return total


def lgamma_half(x: float) -> float:
    """lgamma(x + 1/2) - lgamma(x)."""
    if x < STIRLING_FROM:
        return float(gammaln(x + 0.5) - gammaln(x))
    lu = math.log1p(0.5 / x)
    total = x * lu + 0.5 * math.log(x) - 0.5
    for k, b in enumerate(_B, start=1):
        total += b / (2 * k * (2 * k - 1)) * x ** (1 - 2 * k) * math.expm1((1 - 2 * k) * lu)
    return total


def digamma_half(x: float) -> float:
    """digamma(x + 1/2) - digamma(x) - 1/(2x) (the leading term removed: it cancels)."""
    if x < STIRLING_FROM:
        return float(digamma(x + 0.5) - digamma(x)) - 0.5 / x  # (x > 0: no zero division)
    lu = math.log1p(0.5 / x)
    total = _log1p_minus(0.5 / x) + 0.25 / (x * (x + 0.5))
    for k, b in enumerate(_B, start=1):
        total -= b / (2 * k) * x ** (-2 * k) * math.expm1(-2 * k * lu)
    return total


def trigamma_half(x: float) -> float:
    """trigamma(x) - trigamma(x + 1/2) - 1/(2x^2) (the leading term removed)."""
    if x < STIRLING_FROM:
        # 0.5 / x / x, not / (x * x): x * x may underflow to 0 for a df near 0.
        return float(polygamma(1, x) - polygamma(1, x + 0.5)) - 0.5 / x / x
    lu = math.log1p(0.5 / x)
    total = 0.25 / x / (x + 0.5) / (x + 0.5)  # (products: ** would raise on overflow)
    for k, b in enumerate(_B, start=1):
        total -= b * x ** (-2 * k - 1) * math.expm1(-(2 * k + 1) * lu)
    return total


def stirlerr(a: float) -> float:
    """lgamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2): Stirling's correction."""
    if a < STIRLING_FROM:
        return math.lgamma(a) - ((a - 0.5) * math.log(a) - a + 0.5 * math.log(2.0 * math.pi))
    total, power, inv2 = 0.0, 1.0 / a, 1.0 / (a * a)
    for k, b in enumerate(_B, start=1):
        total += b / (2 * k * (2 * k - 1)) * power
        power *= inv2
    return total


def log_minus_digamma(a: float) -> float:
    """log(a) - digamma(a) (> 0), without the cancellation of the two for large a."""
    if a < STIRLING_FROM:
        return math.log(a) - float(digamma(a))
    total, power, inv2 = 0.5 / a, 1.0 / (a * a), 1.0 / (a * a)
    for k, b in enumerate(_B, start=1):
        total += b / (2 * k) * power
        power *= inv2
    return total
