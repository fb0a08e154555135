"""The log-density of each observation of the continuous families, with its gradient and
Hessian in the family's parameters: the term an exactly observed value adds to a
likelihood whose other terms (censored, truncated, weighted observations) are summed
observation by observation (see :mod:`gradmle.censoring`).

``logpdf(family, x, theta)`` returns ``(values, gradient, hessian)`` of shapes
``(n,)``, ``(n, k)`` and ``(n, k, k)``, with ``theta`` in the order of the family's
``param_names`` (as scipy.stats, loc 0 where the family has it fixed). Every term is
analytic. The location-scale families share one rule: with z = (x - loc) / scale and
log f = l(z) - log scale,

    d/dloc = -l'/scale,                 d/dscale = -(z l' + 1)/scale,
    d2/dloc2 = l''/scale^2,             d2/dloc dscale = (z l'' + l')/scale^2,
    d2/dscale2 = (2 z l' + z^2 l'' + 1)/scale^2.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import betaln, digamma, gammaln, polygamma

__all__ = ["logpdf", "DENSITIES"]

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _out(n: int, k: int):
    return np.empty(n), np.zeros((n, k)), np.zeros((n, k, k))


def _loc_scale(z, scale, l0, l1, l2, at: int = 0):
    """Value, gradient and Hessian in (loc, scale), placed at ``at`` and ``at + 1`` of
    ``k`` parameters, from l(z) and its first two derivatives."""
    n = z.size
    k = at + 2
    v, g, h = _out(n, k)
    s2 = scale * scale
    v[:] = l0 - math.log(scale)
    g[:, at] = -l1 / scale
    g[:, at + 1] = -(z * l1 + 1.0) / scale
    h[:, at, at] = l2 / s2
    h[:, at, at + 1] = h[:, at + 1, at] = (z * l2 + l1) / s2
    h[:, at + 1, at + 1] = (2.0 * z * l1 + z * z * l2 + 1.0) / s2
    return v, g, h


def _normal(x, theta):
    mu, sigma = theta
    z = (x - mu) / sigma
    return _loc_scale(z, sigma, -0.5 * z * z - HALF_LOG_2PI, -z, -np.ones_like(z))


def _logistic(x, theta):
    loc, scale = theta
    z = (x - loc) / scale
    a = np.abs(z)
    e = np.exp(-a)  # in (0, 1]: no overflow in either tail
    l0 = -a - 2.0 * np.log1p(e)
    l1 = -np.tanh(0.5 * z)
    l2 = -2.0 * e / (1.0 + e) ** 2
    return _loc_scale(z, scale, l0, l1, l2)


def _laplace(x, theta):
    loc, scale = theta
    z = (x - loc) / scale
    return _loc_scale(z, scale, -np.abs(z) - math.log(2.0), -np.sign(z), np.zeros_like(z))


def _student_t(x, theta):
    df, loc, scale = theta
    z = (x - loc) / scale
    q = z * z
    dq = df + q
    const = gammaln(0.5 * (df + 1.0)) - gammaln(0.5 * df) - 0.5 * math.log(df * math.pi)
    l0 = const - 0.5 * (df + 1.0) * np.log1p(q / df)
    l1 = -(df + 1.0) * z / dq
    l2 = -(df + 1.0) * (df - q) / (dq * dq)
    v, g, h = _out(z.size, 3)
    v[:], g[:, 1:], h[:, 1:, 1:] = _loc_scale(z, scale, l0, l1, l2)
    # The shape: d l / d df and its derivatives in df and in z.
    ldf = (0.5 * (digamma(0.5 * (df + 1.0)) - digamma(0.5 * df)) - 0.5 / df - 0.5 * np.log1p(q / df)
           + (df + 1.0) * q / (2.0 * df * dq))
    ldfdf = (0.25 * (polygamma(1, 0.5 * (df + 1.0)) - polygamma(1, 0.5 * df)) + 0.5 / (df * df)
             + q / (2.0 * df * dq) - q * (df * df + 2.0 * df + q) / (2.0 * df * df * dq * dq))
    ldfz = -z * (q - 1.0) / (dq * dq)
    g[:, 0] = ldf
    h[:, 0, 0] = ldfdf
    h[:, 0, 1] = h[:, 1, 0] = -ldfz / scale
    h[:, 0, 2] = h[:, 2, 0] = -z * ldfz / scale
    return v, g, h


def _exponential(x, theta):
    (scale,) = theta
    r = x / scale
    v, g, h = _out(x.size, 1)
    v[:] = -math.log(scale) - r
    g[:, 0] = (r - 1.0) / scale
    h[:, 0, 0] = (1.0 - 2.0 * r) / (scale * scale)
    return v, g, h


def _lognormal(x, theta):
    s, scale = theta
    y = np.log(x)
    z = (y - math.log(scale)) / s
    v, g, h = _out(x.size, 2)
    v[:] = -math.log(s) - y - HALF_LOG_2PI - 0.5 * z * z
    g[:, 0] = (z * z - 1.0) / s
    g[:, 1] = z / (s * scale)
    h[:, 0, 0] = (1.0 - 3.0 * z * z) / (s * s)
    h[:, 0, 1] = h[:, 1, 0] = -2.0 * z / (s * s * scale)
    h[:, 1, 1] = -(1.0 / s + z) / (s * scale * scale)
    return v, g, h


def _gamma(x, theta):
    a, scale = theta
    r = x / scale
    lr = np.log(r)
    v, g, h = _out(x.size, 2)
    v[:] = (a - 1.0) * lr - r - gammaln(a) - math.log(scale)
    g[:, 0] = lr - digamma(a)
    g[:, 1] = (r - a) / scale
    h[:, 0, 0] = -polygamma(1, a)
    h[:, 0, 1] = h[:, 1, 0] = -1.0 / scale
    h[:, 1, 1] = (a - 2.0 * r) / (scale * scale)
    return v, g, h


def _weibull(x, theta):
    c, scale = theta
    lu = np.log(x / scale)
    u = np.exp(c * lu)
    v, g, h = _out(x.size, 2)
    v[:] = math.log(c / scale) + (c - 1.0) * lu - u
    g[:, 0] = 1.0 / c + lu - u * lu
    g[:, 1] = c * (u - 1.0) / scale
    h[:, 0, 0] = -1.0 / (c * c) - u * lu * lu
    h[:, 0, 1] = h[:, 1, 0] = (u - 1.0 + c * u * lu) / scale
    h[:, 1, 1] = c * (1.0 - u - c * u) / (scale * scale)
    return v, g, h


def _beta(x, theta):
    a, b = theta
    lx, l1x = np.log(x), np.log1p(-x)
    v, g, h = _out(x.size, 2)
    v[:] = (a - 1.0) * lx + (b - 1.0) * l1x - betaln(a, b)
    both = digamma(a + b)
    g[:, 0] = lx - digamma(a) + both
    g[:, 1] = l1x - digamma(b) + both
    t = polygamma(1, a + b)
    h[:, 0, 0] = t - polygamma(1, a)
    h[:, 0, 1] = h[:, 1, 0] = t
    h[:, 1, 1] = t - polygamma(1, b)
    return v, g, h


#: Family name -> ``f(x, theta) -> (values, gradient, hessian)``.
DENSITIES = {
    "normal": _normal, "logistic": _logistic, "laplace": _laplace, "student_t": _student_t,
    "exponential": _exponential, "lognormal": _lognormal, "gamma": _gamma, "weibull": _weibull, "beta": _beta,
}


def logpdf(family: str, x, theta):
    """``(values, gradient, hessian)`` of the log-density of each value of ``x`` (inside
    the support) at ``theta``: shapes (n,), (n, k), (n, k, k)."""
    if family not in DENSITIES:
        raise ValueError(f"no per-observation log-density for {family!r}; valid: {', '.join(DENSITIES)}")
    x = np.asarray(x, dtype=float).ravel()
    with np.errstate(over="ignore"):
        return DENSITIES[family](x, tuple(float(t) for t in theta))
