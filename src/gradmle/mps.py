"""The maximum product of spacings on a large sample: the narrow spacings by the corrected
midpoint rule, and Newton's method on the mean log spacing.

For the three-parameter gamma, lognormal and Weibull (see :mod:`gradmle.freeloc`) the
mean log spacing (1 / (n + 1)) sum_i log(F(z_(i+1)) - F(z_(i))), z = x - loc, costs an
incomplete gamma function or a normal CDF per value. Most spacings of a large sample
are narrow: with h = z_(i+1) - z_(i), m the midpoint and g = log f (f the density),

    log(F(z_(i+1)) - F(z_(i))) = log h + g(m) + log(1 + h^2 (g''(m) + g'(m)^2) / 24) + e,

where the error e is of order (h G)^4 / 1920 with G the largest of |g'|, |g''|^(1/2),
|g'''|^(1/3), ...: a spacing is taken as narrow when h (|g'| + |g''|^(1/2) + 1/z) is below
``NARROW`` (1/z bounds the higher derivatives' growth near the density's singularity at
loc), which makes e below ~1e-12 each. sum log h is the same at every parameter value;
the rest costs two or three elementwise logarithms or exponentials per value. The wide
spacings (the tails, the first one F(z_(1)), the last one 1 - F(z_(n))) are computed
exactly, from the CDF or the survival function, whichever does not cancel. A tie (h = 0)
is replaced by the density at the tied value, as in the exact sum: log h is then read
as 0 and the correction vanishes.

Which spacings are narrow is decided once, at the start of the search (with a margin),
so that the objective is one smooth function throughout: its finite differences are
then differences of the function and not of the classification. Newton's method on the
coordinates (log shape, log(delta / sd), log scale) with the gradient by central
differences and the Hessian by forward differences, computed once (chord steps after
that; steps of 1e-4 in log shape and log scale and 1e-2 in log delta, on which the
mean depends only through its first terms; the objective,
a mean of terms of order one, is exact to ~1e-15, so both are exact to ~1e-7 relative
or better), each step halved until the objective does not decrease, stops when the step
is below ``XTOL``; the caller reports the exact mean log spacing at the answer.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["MidpointSpacings", "best_delta", "newton_mps"]

#: h (|g'| + |g''|^(1/2) + 1/z) below this: the spacing is narrow (error ~(NARROW)^4 / 1920).
NARROW = 0.005
#: Newton stops when the step in (log shape, log(delta / sd), log scale) is below this.
XTOL = 1e-8
XTOL_DELTA = 1e-5
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _log_density(family, z, k, s, lz=None, iz=None):
    """g = log f and its first two derivatives in z, for the shape-scale family at loc 0
    (``lz``, ``iz``: log z and 1 / z when already known)."""
    lz = np.log(z) if lz is None else lz
    iz = 1.0 / z if iz is None else iz
    if family == "gamma":
        g = (k - 1.0) * lz - z / s - (special.gammaln(k) + k * math.log(s))
        return g, (k - 1.0) * iz - 1.0 / s, -(k - 1.0) * iz * iz
    if family == "lognormal":
        w = (lz - math.log(s)) / k
        g = -0.5 * w * w - lz - (math.log(k) + HALF_LOG_2PI)
        a = w / k + 1.0
        return g, -a * iz, (a - 1.0 / (k * k)) * iz * iz
    lu = lz - math.log(s)
    t = np.exp(k * lu)
    g = math.log(k / s) + (k - 1.0) * lu - t
    return g, ((k - 1.0) - k * t) * iz, (-(k - 1.0) - k * (k - 1.0) * t) * iz * iz


#: Midpoints above this many times delta (at the start) take log(m + delta) from a
#: stored log m and the series of log1p(delta / m) to the cube (error below 1e-17).
FAR = 1e5


def _cdf_sf(family, z, k, s):
    if family == "gamma":
        return special.gammainc(k, z / s), special.gammaincc(k, z / s)
    if family == "lognormal":
        w = (np.log(z) - math.log(s)) / k
        return special.ndtr(w), special.ndtr(-w)
    t = (z / s) ** k
    return -np.expm1(-t), np.exp(-t)


class MidpointSpacings:
    """The mean log spacing of the sorted deviations ``d`` (from the minimum) as a
    function of theta = (shape, delta, scale), narrow spacings by the corrected midpoint
    rule, the classification made at ``start`` (see the module's docstring)."""

    def __init__(self, family, d, start):
        self.family = family
        k, delta, s = start
        n = d.size
        h = np.diff(d)
        mid = 0.5 * (d[:-1] + d[1:])
        with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
            # the classification at the start and at half and twice its delta (the
            # singularity at loc moves with delta), with a margin of 2
            narrow = np.ones(h.size, dtype=bool)
            for dl in (0.5 * delta, delta, 2.0 * delta):
                z = mid + dl
                _, g1, g2 = _log_density(family, z, k, s)
                size = h * (np.abs(g1) + np.sqrt(np.abs(g2)) + 1.0 / z)
                narrow &= np.isfinite(size) & (2.0 * size <= NARROW)
        self.n = n
        self.mid = mid[narrow]
        near = self.mid <= FAR * delta
        self.near, self.far = np.flatnonzero(near), np.flatnonzero(~near)
        self.far_mid = self.mid[self.far]
        self.far_log, self.far_inv = np.log(self.far_mid), 1.0 / self.far_mid
        self.h2 = h[narrow] ** 2 / 24.0
        positive = h[narrow] > 0.0
        self.const = float(np.log(h[narrow][positive]).sum())
        wide = np.flatnonzero(~narrow)  # spacing i + 1 lies between d[i] and d[i + 1]
        self.lo_index, self.hi_index = wide, wide + 1
        self.ends = d[[0, n - 1]]
        self.d = d

    def __call__(self, theta) -> float:
        k, delta, s = theta
        if not (k > 0.0 and delta > 0.0 and s > 0.0):
            return -math.inf
        fam = self.family
        with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
            narrow = 0.0
            if self.near.size:
                g, g1, g2 = _log_density(fam, self.mid[self.near] + delta, k, s)
                narrow += float(g.sum()) + float(np.log1p(self.h2[self.near] * (g2 + g1 * g1)).sum())
            eps = delta * self.far_inv
            lz = self.far_log + eps * (1.0 - eps * (0.5 - eps / 3.0))
            # 1/z only enters the correction, of order 1e-6: 1 - eps is enough there
            g, g1, g2 = _log_density(fam, self.far_mid + delta, k, s, lz, self.far_inv * (1.0 - eps))
            narrow += float(g.sum()) + float(np.log1p(self.h2[self.far] * (g2 + g1 * g1)).sum())
            lo, hi = self.d[self.lo_index] + delta, self.d[self.hi_index] + delta
            Fl, Sl = _cdf_sf(fam, lo, k, s)
            Fh, Sh = _cdf_sf(fam, hi, k, s)
            D = np.where(Fh <= 0.5, Fh - Fl, Sl - Sh)
            F, S = _cdf_sf(fam, self.ends + delta, k, s)
            total = self.const + narrow + float(np.log(D).sum()) + math.log(F[0]) + math.log(S[1])
        return total / (self.n + 1) if math.isfinite(total) else -math.inf


#: The smallest values whose spacings ``best_delta`` sums exactly.
LOW = 1000


def best_delta(family, d, theta):
    """The delta (= min(x) - loc) that maximizes the mean log spacing with the shape and
    scale of theta held. For a shape below 1 the maximum sits at a delta of the order of
    the smallest spacings, which a thinned sample overestimates by orders of magnitude,
    and Newton's method in log delta comes down from above by at most one unit a step
    (there the objective behaves like k log(delta) - C delta). Only the first ``LOW``
    spacings depend on delta other than linearly (delta is tiny beside the rest of the
    values): they are summed exactly, the rest through its derivative in delta at
    theta, sum g'(z) over the midpoints; a bounded search in log delta over 30 units
    below theta's delta and 3 above."""
    from scipy.optimize import minimize_scalar

    k, delta0, s = theta
    low = d[: LOW + 1]
    rest = 0.5 * (d[LOW:-1] + d[LOW + 1:]) + delta0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        slope = float(_log_density(family, rest, k, s)[1].sum())

        def neg(t):
            delta = math.exp(t)
            F, S = _cdf_sf(family, low + delta, k, s)
            D = np.where(F[1:] <= 0.5, F[1:] - F[:-1], S[:-1] - S[1:])
            total = math.log(F[0]) + float(np.log(D).sum()) + slope * (delta - delta0)
            return -total if math.isfinite(total) else 1e300

        t0 = math.log(delta0)
        r = minimize_scalar(neg, bounds=(t0 - 30.0, t0 + 3.0), method="bounded", options={"xatol": 1e-6})
    return math.exp(r.x), int(r.nfev)


def _small(move) -> bool:
    """The shape and scale to ``XTOL``; log delta to ``XTOL_DELTA`` (the mean log spacing
    depends on delta through its first few terms only: to ~1e-16 at that precision)."""
    return abs(move[0]) <= XTOL and abs(move[2]) <= XTOL and abs(move[1]) <= XTOL_DELTA


def newton_mps(objective, u, sd, max_steps=30, step=(1e-4, 1e-2, 1e-4)):
    """Maximize ``objective`` over u = (log shape, log(delta / sd), log scale) by
    Newton's method with finite-difference derivatives (see the module's docstring).
    Returns (u, value, evaluations, converged)."""

    def f(v):
        return objective((math.exp(v[0]), sd * math.exp(v[1]), math.exp(v[2])))

    u = np.asarray(u, dtype=float)
    value = f(u)
    evals = 1
    eye = np.diag(step)
    step = np.asarray(step)
    hess = None
    for _ in range(max_steps):
        up = [f(u + e) for e in eye]
        down = [f(u - e) for e in eye]
        evals += 6
        if not all(math.isfinite(v) for v in up + down):
            return u, value, evals, False
        grad = np.array([(a - b) / (2.0 * h) for a, b, h in zip(up, down, step)])
        if hess is None:  # once: near the maximum the chord steps converge fast enough
            cross = [f(u + eye[i] + eye[j]) for i, j in ((0, 1), (0, 2), (1, 2))]
            evals += 3
            hess = np.diag([(a - 2.0 * value + b) / h ** 2 for a, b, h in zip(up, down, step)])
            for c, (i, j) in zip(cross, ((0, 1), (0, 2), (1, 2))):
                hess[i, j] = hess[j, i] = (c - up[i] - up[j] + value) / (step[i] * step[j])
            try:
                np.linalg.cholesky(-hess)
            except np.linalg.LinAlgError:
                return u, value, evals, False
        move = np.linalg.solve(-hess, grad)
        lam = 1.0
        for _ in range(40):
            trial = u + lam * move
            v = f(trial)
            evals += 1
            if v >= value - 1e-15 * abs(value):
                break
            lam *= 0.5
        else:
            return u, value, evals, _small(move)
        u, value = trial, v
        if _small(lam * move):
            return u, value, evals, True
    return u, value, evals, False
