"""Tail probabilities of the continuous families, on the log scale, with their gradients
and Hessians in the family's parameters: the terms a censored observation adds to a
log-likelihood (right-censored at x: log S(x); left-censored: log F(x); censored to an
interval (a, b]: log(F(b) - F(a))).

API (standalone: nothing else in gradmle calls it yet)::

    logsf(family, x, theta, order=0)         # log S(x) = log P(X > x)
    logcdf(family, x, theta, order=0)        # log F(x) = log P(X <= x)
    log_interval(family, a, b, theta, order=0)  # log(F(b) - F(a)), a < b

``family`` is a name of :data:`TAILS` (normal, exponential, lognormal, gamma, weibull,
logistic, laplace, student_t, beta); ``theta`` its parameters in the order of
``TAILS[family].param_names`` (those of gradmle's families and of scipy.stats with
loc 0 where the family has it fixed). ``x`` (``a``, ``b``) is an array of any shape;
order 0 returns the values (x's shape), order 1 ``(values, gradient)`` with the
gradient of shape ``x.shape + (k,)``, order 2 also the Hessian (``x.shape + (k, k)``).
Points at or beyond an end of the support give the exact limits (log S = 0 below it,
-inf above it) with zero derivatives; ``log_interval`` with an end there (or infinite)
reduces to ``logcdf`` / ``logsf``. A parameter outside its domain, or a shape outside
the range below, raises ValueError; so does a NaN.

Stability. Nothing is computed as log(1 - F) where F may round to 1: each family
evaluates the smaller of its two tails and takes the other as log1p(-p).

- normal, lognormal: scipy's log_ndtr; the hazard m = phi/Phi(-z) is exp(log phi -
  log_ndtr), and for z > 4 m = z + K with K from the Mills-ratio continued fraction
  (so m - z, the second derivative, keeps its digits at z = 40 and beyond).
- exponential, weibull: with u = (x/scale)^c, log S = -u exactly, log F = log(1 -
  e^-u) through expm1/log1p.
- logistic: softplus and expit forms; laplace: its two pieces through log1p.
- gamma, beta, student_t: the value is log of scipy's gammainc/gammaincc, betainc/
  betaincc, stdtr on the smaller tail while that is above 1e-280; below, the log of
  the quadrature described next (exact in log space, so S ~ 1e-300000 is fine).

Derivatives in loc and scale (and in x's own variable for the shapes' families) are
analytic, from the density: d/dloc log S = f/S etc., with the ratio f/S taken as
exp(log f - log S).

The hard derivatives (gamma in a, beta in a and b, Student-t in df) come from the
identity, for a tail region R of a density f(t; theta),

    d log P(R) = E[d log f | R],   d2 log P(R) = Cov[d log f | R] + E[d2 log f | R]

(for the gamma and beta, exponential families, these are the conditional cumulants of
log t and log(1 - t) less the unconditional ones: digamma and trigamma terms). The
conditional moments are computed by Gauss-Legendre quadrature over the smaller tail, in
a variable where the log-density is concave (log t for the gamma, logit t for the beta,
log|t| for the Student-t): from the largest point of the log-density in the region the
integration runs out on each side to where it has fallen by 40 (found by bisection),
with 16 Gauss-Legendre nodes in each of 13 panels graded geometrically towards that
point (each panel as long as its distance from it), so that a bend of the log-density
near the point is resolved as well as a long straight tail. What lies beyond is below
e^-40 relative. The log-density is evaluated as a rise from that point (through expm1
and log1p), so its weights keep their digits even where it is of size 1e5. The other
tail's derivatives follow from p + q = 1: d log q = -(p/q) d log p,
d2 log q = -(p/q) d2 log p - (p/q)(1 + p/q) (d log p)(d log p)^T.

Measured against mpmath (tests/test_tails.py: central differences of 60-digit
values): over shapes 0.05 to 1e4 (and spot checks at 0.01 and 1e5) and tails down to
1e-300 and far beyond, the values agree to 1e-14 relative (5e-13 for the gamma, beta
and Student-t, scipy's own accuracy), the gradients to 6e-13 and the Hessians to 4e-11
(2e-9 for a Student-t with df 0.05 at its centre, where d2/ddf2 is 0), each entry
relative to itself or to 1e-3 times the largest entry of the observation's Hessian
(gradient), whichever is larger. Shapes outside [SHAPE_MIN, SHAPE_MAX] = [0.01, 1e5]
raise ValueError. The quadrature costs ~400 evaluations of the log-density per
observation at order 1 or 2 (order 0 uses scipy alone unless a tail is below 1e-280).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
from scipy.special import betainc, betaincc, expit, gammainc, gammaincc, log_ndtr, polygamma, stdtr

from ..stats import log_ratio
from .density import logpdf as log_density
from .beta import digamma_diff, neg_log_beta, trigamma_diff
from .special import digamma_half, lgamma_half, log_minus_digamma, trigamma_half

__all__ = ["Jet", "Tail", "TAILS", "OutOfRange", "logsf", "logcdf", "log_interval", "SHAPE_MIN", "SHAPE_MAX"]

#: The range of the shapes (gamma a, beta a and b, Student-t df) the quadrature is
#: checked over (with margin); outside it the functions raise ValueError.
SHAPE_MIN, SHAPE_MAX = 0.01, 1e5
#: Below this a tail probability from scipy is replaced by the quadrature's logarithm.
TINY = 1e-280
#: How far (in log-density) the quadrature follows a tail.
DROP = 40.0

def graded_rule(levels: int = 12, nodes: int = 16):
    """Gauss-Legendre nodes and weights on [0, 1] in panels graded towards 0 (edges 0,
    2^-levels, ..., 1/2, 1): each panel is as long as its distance from 0."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.concatenate([[0.0], 2.0 ** np.arange(-levels, 1)])
    lo, width = edges[:-1, None], np.diff(edges)[:, None]
    return (lo + width * 0.5 * (x + 1.0)).ravel(), (width * 0.5 * w).ravel()


PHI, OMEGA = graded_rule()
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)



class OutOfRange(ValueError):
    """A shape beyond the range over which the tails are computed and checked."""

class Jet(NamedTuple):
    """A function of the parameters with its derivatives, per observation: value (n,),
    grad (n, k) and hess (n, k, k); grad and hess are None at order 0."""

    value: np.ndarray
    grad: np.ndarray | None = None
    hess: np.ndarray | None = None


def chain(outer: Jet, inner: list[Jet]) -> Jet:
    """outer(v(theta)): ``outer`` is a jet in the variables v, ``inner`` one jet in
    theta per variable."""
    if outer.grad is None:
        return Jet(outer.value)
    # Sums over the few inner variables, observation by observation (no BLAS: see
    # stats.sum_of_products).
    grad = sum(outer.grad[:, i, None] * j.grad for i, j in enumerate(inner))
    hess = sum(outer.grad[:, i, None, None] * j.hess for i, j in enumerate(inner))
    for i, a in enumerate(inner):
        for j, b in enumerate(inner):
            hess = hess + outer.hess[:, i, j, None, None] * (a.grad[:, :, None] * b.grad[:, None, :])
    return Jet(outer.value, grad, hess)


def jet1(value, d1, d2) -> Jet:
    """A jet in one variable from its value and two derivatives (arrays (n,))."""
    return Jet(value, d1[:, None], d2[:, None, None])


def param(theta, i: int, n: int) -> Jet:
    """Parameter i itself, as a jet in theta."""
    k = len(theta)
    grad = np.zeros((n, k))
    grad[:, i] = 1.0
    return Jet(np.full(n, float(theta[i])), grad, np.zeros((n, k, k)))


def affine(z, theta, i_loc: int | None, i_scale: int, sign: float) -> Jet:
    """z = sign (x - loc) / scale (given z), as a jet in theta."""
    n, k, s = z.size, len(theta), float(theta[i_scale])
    grad, hess = np.zeros((n, k)), np.zeros((n, k, k))
    grad[:, i_scale] = -z / s
    hess[:, i_scale, i_scale] = 2.0 * z / s / s
    if i_loc is not None:
        grad[:, i_loc] = -sign / s
        hess[:, i_loc, i_scale] = hess[:, i_scale, i_loc] = sign / s / s
    return Jet(z, grad, hess)


def log1mexp(u):
    """log(1 - e^-u) for u > 0."""
    with np.errstate(over="ignore", divide="ignore"):
        return np.where(u < math.log(2.0), np.log(-np.expm1(-np.minimum(u, 1.0))), np.log1p(-np.exp(-u)))


def softplus(y):
    return np.logaddexp(0.0, y)


def softplus_rise(y, d):
    """softplus(y + d) - softplus(y), to full relative precision for small d."""
    with np.errstate(over="ignore"):
        near = np.abs(d) < 1.0
        return np.where(near, np.log1p(expit(y) * np.expm1(np.where(near, d, 0.0))), softplus(y + d) - softplus(y))


def complement(p: Jet, log_q) -> Jet:
    """The jet of log q = log(1 - p) from that of log p (and log q itself)."""
    if p.grad is None:
        return Jet(log_q)
    rho = np.exp(p.value - log_q)  # p / q
    g = p.grad
    gg = g[:, :, None] * g[:, None, :]
    return Jet(log_q, -rho[:, None] * g, -rho[:, None, None] * p.hess - (rho * (1.0 + rho))[:, None, None] * gg)


# -- the quadrature of a tail ------------------------------------------------------------

def reach(rise, m, step, dist):
    """The distance h <= dist from m, in direction ``step``, at which the concave g (at
    its largest at m; rise(m, d) = g(m + d) - g(m)) has fallen by DROP; dist where it
    has not by then."""
    h = np.minimum(1.0, dist)
    lo = np.zeros_like(h)
    for _ in range(200):
        done = (rise(m, step * h) < -DROP) | (h >= dist)
        if done.all():
            break
        lo = np.where(done, lo, h)  # not fallen by DROP yet here
        h = np.where(done, h, np.minimum(4.0 * h, dist))
    # The point need not be found closely: any beyond it bounds what is left out; within
    # 0.05% of it the panels are as fine as they would be there.
    hi = h
    for _ in range(12):
        mid = 0.5 * (lo + hi)
        below = rise(m, step * mid) < -DROP
        hi, lo = np.where(below, mid, hi), np.where(below, lo, mid)
    return hi


def tail_moments(g: Callable, rise: Callable, mode: float, c, above, stats: Callable):
    """Log of the integral of exp(g) over the region s > c (where ``above``) or s < c,
    and the mean and covariance of ``stats`` under exp(g) restricted to it.

    g: a concave function of s (vectorized; scalars of the family bound in), largest at
    ``mode``; rise(m, d) = g(m + d) - g(m), computed without the rounding of g's
    own size; c: the boundaries (n,); stats(s) -> (..., k). Returns (log_mass (n,),
    mean (n, k), cov (n, k, k), log_edge (n,)), log_edge = g(c) - log_mass: the log of
    the density at the boundary over the mass (the hazard; computed from the
    quadrature's own sum, so it keeps its digits where log_mass is large)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        m = np.where(above, np.maximum(c, mode), np.minimum(c, mode))
        gm = g(m)
        left = reach(rise, m, -1.0, np.where(above, m - c, np.inf))
        right = reach(rise, m, 1.0, np.where(above, np.inf, c - m))
    delta = np.concatenate([-left[:, None] * PHI, right[:, None] * PHI], axis=1)
    w = np.concatenate([left[:, None] * OMEGA, right[:, None] * OMEGA], axis=1)
    s = m[:, None] + delta
    with np.errstate(under="ignore"):
        w = w * np.exp(rise(m[:, None], delta))
    mass = w.sum(axis=1)
    w /= mass[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_edge = np.where(c == m, 0.0, g(c) - gm) - np.log(mass)
    t = stats(s)
    k = t.shape[2]
    mean = np.stack([(w * t[:, :, a]).sum(axis=1) for a in range(k)], axis=1)
    d = t - mean[:, None, :]
    cov = np.empty((t.shape[0], k, k))
    for a in range(k):
        wd = w * d[:, :, a]
        for b in range(a, k):
            cov[:, a, b] = cov[:, b, a] = (wd * d[:, :, b]).sum(axis=1)
    return gm + np.log(mass), mean, cov, log_edge


def smaller_tail(p_lower, p_upper, order: int, quadrature: Callable, log_norm: float):
    """The smaller of the two tails (scipy's ``p_lower``, ``p_upper``) and its
    quadrature: ``(log_small, small_is_upper, log_big, quad)``. ``quadrature(upper)``
    gives (log mass, mean, cov) of :func:`tail_moments` over the tails asked for (run
    at order > 0, or where a tail is below TINY: its log is then log mass + log_norm);
    quad is None when it did not run."""
    upper = p_upper <= p_lower
    small = np.where(upper, p_upper, p_lower)
    tiny = small < TINY
    quad = quadrature(upper) if order > 0 or tiny.any() else None
    with np.errstate(divide="ignore"):
        log_small = np.log(small)
    if tiny.any():
        log_small = np.where(tiny, quad[0] + log_norm, log_small)
    return log_small, upper, np.log1p(-np.exp(log_small)), quad


def side_jet(log_small, upper_small, log_big, shape: Jet | None, want_upper: bool) -> Jet:
    """The jet of the tail asked for, from the smaller tail's (``shape``: its derivatives
    in the shapes, or None at order 0)."""
    same = upper_small == want_upper
    value = np.where(same, log_small, log_big)
    if shape is None:
        return Jet(value)
    other = complement(shape, log_big)
    return Jet(value, np.where(same[:, None], shape.grad, other.grad),
               np.where(same[:, None, None], shape.hess, other.hess))


def with_variable(side: Jet, log_hazard, dlogf_dy, dlogf_dshape, sign) -> Jet:
    """Append the derivatives in the variable y of the tail's end to the shapes' jet:
    d log P / dy = sign * f / P (sign -1 for an upper tail; log_hazard = log(f / P)),
    and the second derivatives from those of log f."""
    if side.grad is None:
        return Jet(side.value)
    with np.errstate(under="ignore"):
        rho = sign * np.exp(log_hazard)
    n, k = side.grad.shape
    grad = np.concatenate([side.grad, rho[:, None]], axis=1)
    hess = np.zeros((n, k + 1, k + 1))
    hess[:, :k, :k] = side.hess
    hess[:, :k, k] = hess[:, k, :k] = rho[:, None] * (dlogf_dshape - side.grad)
    hess[:, k, k] = rho * (dlogf_dy - rho)
    return Jet(side.value, grad, hess)


# -- the families --------------------------------------------------------------------------

class Tail:
    """A family's tails. ``side(x, theta, upper, order)`` is the jet of log S (upper) or
    log F at points x strictly inside the support (a 1-D array)."""

    name: str = ""
    param_names: tuple[str, ...] = ()
    lower, upper = -math.inf, math.inf
    shapes: tuple[int, ...] = ()   # indices of the shapes checked against SHAPE_MIN/MAX

    def check(self, theta) -> tuple:
        theta = tuple(float(v) for v in theta)
        if len(theta) != len(self.param_names):
            raise ValueError(f"{self.name} takes {len(self.param_names)} parameters {self.param_names}, got {theta}")
        for name, v in zip(self.param_names, theta):
            if not math.isfinite(v) or (name != "loc" and name != "mu" and not v > 0.0):
                raise ValueError(f"{self.name}: {name} = {v!r} is outside its domain")
        for i in self.shapes:
            if not SHAPE_MIN <= theta[i] <= SHAPE_MAX:
                raise OutOfRange(f"{self.name}: {self.param_names[i]} = {theta[i]!r} is outside the range "
                                 f"[{SHAPE_MIN}, {SHAPE_MAX}] over which its tails are computed and checked")
        return theta

    def side(self, x, theta, upper: bool, order: int) -> Jet:
        raise NotImplementedError


def normal_sf(z, order: int) -> Jet:
    """log Phi(-z) as a jet in z; the hazard m = phi(z)/Phi(-z) and m - z by the
    continued fraction m - z = 1/(z + 2/(z + 3/(z + ...))) for z > 4."""
    value = log_ndtr(-z)
    if order == 0:
        return Jet(value)
    far = z > 4.0
    zf = np.where(far, z, 5.0)
    t = zf.copy()
    for k in range(40, 1, -1):
        t = zf + k / t
    with np.errstate(under="ignore", over="ignore"):
        m = np.where(far, zf + 1.0 / t, np.exp(-0.5 * z * z - HALF_LOG_2PI - value))
    gap = np.where(far, 1.0 / t, m - z)
    return jet1(value, -m, -m * gap)


class LocScale(Tail):
    """A symmetric location-scale family: log S(x) = core(z), log F(x) = core(-z)."""

    def core(self, z, theta, order: int) -> Jet:
        """log S of the standardized family at z (with the shapes of theta), as a jet in
        (shapes..., z)."""
        raise NotImplementedError

    def side(self, x, theta, upper, order):
        loc, scale = theta[-2:]
        sign = 1.0 if upper else -1.0
        z = sign * (x - loc) / scale
        out = self.core(z, theta, order)
        shapes = [param(theta, i, z.size) for i in range(len(theta) - 2)]
        return chain(out, shapes + [affine(z, theta, len(theta) - 2, len(theta) - 1, sign)])


class Normal(LocScale):
    name, param_names = "normal", ("mu", "sigma")

    def core(self, z, theta, order):
        return normal_sf(z, order)


class Logistic(LocScale):
    name, param_names = "logistic", ("loc", "scale")

    def core(self, z, theta, order):
        p = expit(z)
        return jet1(-softplus(z), -p, -p * expit(-z))


class Laplace(LocScale):
    name, param_names = "laplace", ("loc", "scale")

    def core(self, z, theta, order):
        with np.errstate(over="ignore"):
            e = np.exp(np.minimum(z, 0.0))
        right = z >= 0.0
        value = np.where(right, -math.log(2.0) - z, np.log1p(-0.5 * e))
        return jet1(value, np.where(right, -1.0, -e / (2.0 - e)), np.where(right, 0.0, -2.0 * e / (2.0 - e) ** 2))


class StudentT(LocScale):
    """log S(z) as a jet in (df, z): the df derivatives by quadrature over |t| > |z| in
    w = log|t|, where the log-density w - (df + 1)/2 log(1 + e^2w / df) is concave."""

    name, param_names, shapes = "student_t", ("df", "loc", "scale"), (0,)

    def core(self, z, theta, order):
        nu = theta[0]
        log_c = lgamma_half(nu / 2) - 0.5 * math.log(math.pi * nu)
        log_nu = math.log(nu)

        def g(w):
            return w - 0.5 * (nu + 1) * softplus(2.0 * w - log_nu)

        def rise(m, d):
            return d - 0.5 * (nu + 1) * softplus_rise(2.0 * m - log_nu, 2.0 * d)

        def stats(w):  # d log f / d df and d2 log f / d df2 at |t| = e^w, less their constants
            q = expit(2.0 * w - log_nu)
            return np.stack([-0.5 * softplus(2.0 * w - log_nu) + 0.5 * (nu + 1) / nu * q,
                             (0.5 * (nu + 1) * q * q - q) / nu / nu], axis=-1)

        with np.errstate(divide="ignore"):
            c = np.log(np.abs(z))
        def quadrature(up):
            return tail_moments(g, rise, 0.0, c, up, stats)

        log_small, _, log_big, quad = smaller_tail(stdtr(nu, np.abs(z)), stdtr(nu, -np.abs(z)), order, quadrature, log_c)
        d1 = 0.5 * digamma_half(nu / 2)
        d2 = -0.25 * trigamma_half(nu / 2)
        shape = None
        if order > 0:
            shape = Jet(log_small, d1 + quad[1][:, :1], quad[2][:, :1, :1] + d2 + quad[1][:, 1, None, None])
        # the tail beyond |z| is the upper one for z >= 0
        side = side_jet(log_small, z >= 0.0, log_big, shape, True)
        if order == 0:
            return side
        at_z = stats(c)  # (of |z| = e^c; -inf at z = 0 gives the limits)
        log_f = log_c - 0.5 * (nu + 1) * softplus(2.0 * c - log_nu)
        with np.errstate(over="ignore", divide="ignore"):
            dlogf_dz = -(nu + 1) * np.where(np.abs(z) < 1e150, z / (nu + z * z), 1.0 / z)
        # f(z) / S: at z != 0 from the quadrature (the density in w at log|z| over the mass)
        with np.errstate(invalid="ignore"):
            log_hazard = np.where(z == 0.0, log_f - side.value, quad[3] - c + (log_small - side.value))
        return with_variable(side, log_hazard, dlogf_dz, d1 + at_z[:, :1], -1.0)


class PowerTail(Tail):
    """log S = -u, log F = log(1 - e^-u) with u = (x / scale)^c (c = 1: exponential);
    the derivatives through y = log u = c log(x / scale), whose jet is simple."""

    lower = 0.0

    def u_and_y(self, x, theta) -> tuple[np.ndarray, Jet]:
        raise NotImplementedError

    def side(self, x, theta, upper, order):
        u, y = self.u_and_y(x, theta)
        if upper:
            outer = jet1(-u, -u, -u)
        else:
            with np.errstate(under="ignore", over="ignore"):
                em = -np.expm1(-u)  # 1 - e^-u
                b = u * np.exp(-u) / em  # u / expm1(u): d log F / dy
                us = np.minimum(u, 0.5)
                series = sum((-us) ** j / math.factorial(j) for j in range(2, 18))
                k = np.where(u < 0.5, series, u - em)  # u - (1 - e^-u), without cancellation
            outer = jet1(log1mexp(u), b, -b * k / em)
        return chain(outer, [y]) if order else Jet(outer.value)


class Exponential(PowerTail):
    name, param_names = "exponential", ("scale",)

    def u_and_y(self, x, theta):
        (s,) = theta
        n = x.size
        return x / s, Jet(log_ratio(x, s), np.full((n, 1), -1.0 / s), np.full((n, 1, 1), 1.0 / s / s))


class Weibull(PowerTail):
    name, param_names = "weibull", ("c", "scale")

    def u_and_y(self, x, theta):
        c, s = theta
        L = log_ratio(x, s)
        n = x.size
        grad = np.stack([L, np.full(n, -c / s)], axis=1)
        hess = np.zeros((n, 2, 2))
        hess[:, 0, 1] = hess[:, 1, 0] = -1.0 / s
        hess[:, 1, 1] = c / s / s
        r = x / s
        with np.errstate(over="ignore"):  # (x/s)^c directly where x/s is a normal float: fewer roundings
            u = np.where((r > 1e-300) & (r < 1e300), r ** c, np.exp(c * L))
        return u, Jet(c * L, grad, hess)


class Lognormal(Tail):
    name, param_names, lower = "lognormal", ("s", "scale"), 0.0

    def side(self, x, theta, upper, order):
        s, scale = theta
        sign = 1.0 if upper else -1.0
        z = sign * log_ratio(x, scale) / s
        n = z.size
        grad = np.stack([-z / s, np.full(n, -sign / s / scale)], axis=1)
        h_ss = np.full(n, sign / s / scale / scale)
        hess = np.stack([np.stack([2.0 * z / s / s, np.full(n, sign / s / s / scale)], 1),
                         np.stack([np.full(n, sign / s / s / scale), h_ss], 1)], 1)
        return chain(normal_sf(z, order), [Jet(z, grad, hess)])


class Gamma(Tail):
    """log Q(a, r) or log P(a, r), r = x / scale, as a jet in (a, log r): the a derivatives
    by quadrature in s = log t, where a s - e^s is concave."""

    name, param_names, lower, shapes = "gamma", ("a", "scale"), 0.0, (0,)

    def side(self, x, theta, upper, order):
        a, scale = theta
        r = x / scale
        log_r = log_ratio(x, scale)
        lg = math.lgamma(a)
        p_lower, p_upper = gammainc(a, r), gammaincc(a, r)
        log_small, small_up, log_big, quad = smaller_tail(p_lower, p_upper, order, lambda up: tail_moments(
            lambda s: a * s - np.exp(s), lambda m, d: a * d - np.exp(m) * np.expm1(d), math.log(a), log_r, up,
            lambda s: s[..., None]), -lg)
        shape = None
        if order > 0:
            # E[log t] - digamma(a), the log a's taken out so that nothing cancels for large a
            mean = (quad[1][:, 0] - math.log(a)) + log_minus_digamma(a)
            shape = Jet(log_small, mean[:, None], quad[2] - float(polygamma(1, a)))
        side = side_jet(log_small, small_up, log_big, shape, upper)
        if order == 0:
            return side
        # the end's variable is y = log r (r f(r) / P stays finite as r -> 0); its hazard
        # from the quadrature: exact where P is the smaller tail and large
        log_hazard = quad[3] + (log_small - side.value)
        dlogf_da = (log_r - math.log(a) + log_minus_digamma(a))[:, None]
        out = with_variable(side, log_hazard, a - r, dlogf_da, -1.0 if upper else 1.0)
        n = r.size
        y = Jet(log_r, np.stack([np.zeros(n), np.full(n, -1.0 / scale)], 1), np.zeros((n, 2, 2)))
        y.hess[:, 1, 1] = 1.0 / scale / scale
        return chain(out, [param(theta, 0, n), y])


class Beta(Tail):
    """log I_x(a, b) or log(1 - I_x(a, b)) as a jet in (a, b): by quadrature in
    s = logit t, where -a softplus(-s) - b softplus(s) is concave."""

    name, param_names, lower, upper, shapes = "beta", ("a", "b"), 0.0, 1.0, (0, 1)

    def side(self, x, theta, upper, order):
        a, b = theta
        p_lower, p_upper = betainc(a, b, x), betaincc(a, b, x)
        log_small, small_up, log_big, quad = smaller_tail(p_lower, p_upper, order, lambda up: tail_moments(
            lambda s: -a * softplus(-s) - b * softplus(s),
            lambda m, d: -a * softplus_rise(-m, -d) - b * softplus_rise(m, d),
            math.log(a / b), np.log(x) - np.log1p(-x), up,
            lambda s: np.stack([-softplus(-s), -softplus(s)], axis=-1)), neg_log_beta(a, b))
        shape = None
        if order > 0:
            psi1_ab = float(polygamma(1, a + b))
            unconditional = np.array([[trigamma_diff(a, b), -psi1_ab], [-psi1_ab, trigamma_diff(b, a)]])
            shape = Jet(log_small, quad[1] + np.array([digamma_diff(a, b), digamma_diff(b, a)]), quad[2] - unconditional)
        return side_jet(log_small, small_up, log_big, shape, upper)


#: The families whose tails are known, by name.
TAILS: dict[str, Tail] = {t.name: t for t in (Normal(), Exponential(), Lognormal(), Gamma(), Weibull(), Logistic(),
                                             Laplace(), StudentT(), Beta())}


# -- the public functions --------------------------------------------------------------------

def family_of(family) -> Tail:
    if isinstance(family, Tail):
        return family
    try:
        return TAILS[family]
    except KeyError:
        raise ValueError(f"no tails for family {family!r}; known: {', '.join(TAILS)}") from None


def evaluate(family, x, theta, upper: bool, order: int) -> Jet:
    """The jet of log S (upper) or log F at the points x (flattened)."""
    fam = family_of(family)
    theta = fam.check(theta)
    if order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2, not {order!r}")
    x = np.asarray(x, dtype=float).ravel()
    if np.isnan(x).any():
        raise ValueError("x contains NaN")
    n, k = x.size, len(theta)
    below, above = x <= fam.lower, x >= fam.upper
    inside = ~(below | above)
    value = np.where(below, 0.0 if upper else -math.inf, -math.inf if upper else 0.0)
    grad, hess = np.zeros((n, k)), np.zeros((n, k, k))
    if inside.any():
        j = fam.side(x[inside], theta, upper, order)
        value[inside] = j.value
        if order:
            grad[inside], hess[inside] = j.grad, j.hess
    return Jet(value, grad if order else None, hess if order else None)


def output(jet: Jet, shape, order: int):
    value = jet.value.reshape(shape)
    if order == 0:
        return value
    k = jet.grad.shape[1]
    grad = jet.grad.reshape(shape + (k,))
    return (value, grad) if order == 1 else (value, grad, jet.hess.reshape(shape + (k, k)))


def logsf(family: str, x, theta, order: int = 0):
    """log S(x) = log P(X > x) of ``family`` at ``theta``; with ``order`` 1 or 2 also its
    gradient and Hessian in theta (see the module's docstring)."""
    return output(evaluate(family, x, theta, True, order), np.shape(x), order)


def logcdf(family: str, x, theta, order: int = 0):
    """log F(x) = log P(X <= x), as :func:`logsf`."""
    return output(evaluate(family, x, theta, False, order), np.shape(x), order)


def log_interval(family: str, a, b, theta, order: int = 0):
    """log(F(b) - F(a)) = log P(a < X <= b) for a < b (arrays of one shape), from the
    side where the probabilities are smaller: log F(b) + log1p(-F(a)/F(b)) where
    F(b) <= S(a), else log S(a) + log1p(-S(b)/S(a)). An end at or beyond the support's
    (or infinite) reduces it to logcdf(b) or logsf(a)."""
    fam = family_of(family)
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    shape = a.shape
    a, b = a.ravel(), b.ravel()
    if not (a < b).all():
        raise ValueError("log_interval needs a < b at every point")
    ends = [evaluate(fam, a, theta, False, order), evaluate(fam, b, theta, False, order),
            evaluate(fam, a, theta, True, order), evaluate(fam, b, theta, True, order)]
    Fa, Fb, Sa, Sb = ends
    low = Fb.value <= Sa.value
    big, small = [Jet(*(None if u is None else np.where(low.reshape((-1,) + (1,) * (u.ndim - 1)), u, v)
                        for u, v in zip(p, q))) for p, q in ((Fb, Sa), (Fa, Sb))]
    empty = np.isneginf(big.value)  # the interval lies outside the support
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(empty, -math.inf, small.value - big.value)  # <= 0; -inf: the smaller end is outside
        value = np.where(empty, -math.inf, big.value + np.log1p(-np.exp(delta)))
    narrow = delta > -NARROW
    if order == 0:
        if narrow.any():
            value[narrow] = _simpson(fam, a[narrow], b[narrow], theta).value
        return value.reshape(shape)
    with np.errstate(divide="ignore", over="ignore"):
        e = np.where(np.isneginf(delta) | narrow, 0.0, 1.0 / np.expm1(-delta))  # small / (big - small)
    grad = (1.0 + e)[:, None] * big.grad - e[:, None] * small.grad
    outer = lambda j: j.hess + j.grad[:, :, None] * j.grad[:, None, :]  # F'' / F
    hess = (1.0 + e)[:, None, None] * outer(big) - e[:, None, None] * outer(small) - grad[:, :, None] * grad[:, None, :]
    if narrow.any():
        value[narrow], grad[narrow], hess[narrow] = _simpson(fam, a[narrow], b[narrow], theta)
    return output(Jet(value, grad, hess), shape, order)


#: Below this relative difference of the two ends' probabilities, F(b) - F(a) would
#: lose digits as a difference: the interval is integrated instead (see _simpson).
NARROW = 1e-6


def _simpson(fam, a, b, theta) -> Jet:
    """log P(a < X <= b) of an interval so narrow that F(b) - F(a) would cancel: Simpson's
    rule on the density, (b - a)/6 (f(a) + 4 f(m) + f(b)), whose relative error, of the
    order of (b - a)^4 times the density's fourth derivative over 2880 f, is far below
    rounding there; derivatives through the log-sum-exp of the three log-densities."""
    m = 0.5 * (a + b)
    jets = [log_density(fam.name, x, theta) for x in (a, m, b)]
    logs = np.stack([jets[0][0], jets[1][0] + math.log(4.0), jets[2][0]])
    top = logs.max(axis=0)
    p = np.exp(logs - top)
    total = p.sum(axis=0)
    p /= total
    value = np.log((b - a) / 6.0) + top + np.log(total)
    grad = sum(p[i][:, None] * jets[i][1] for i in range(3))
    hess = sum(p[i][:, None, None] * (jets[i][2] + jets[i][1][:, :, None] * jets[i][1][:, None, :]) for i in range(3))
    return Jet(value, grad, hess - grad[:, :, None] * grad[:, None, :])
