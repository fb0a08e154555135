"""The extreme-value families: ``gumbel_r`` (loc, scale), ``genextreme`` (c, loc,
scale) and ``genpareto`` (c, scale, with the threshold ``loc`` fixed), parametrized as
scipy.stats parametrizes them. Beware of scipy's signs: genextreme's c is minus the
usual shape xi (c > 0 is a bounded upper tail), genpareto's c is xi itself (c > 0 is
a heavy tail).

All three are Gumbel or exponential laws of a transformed value. With z the
standardized value and k the shape in the sign that makes ``1 + k z`` the support's
condition (k = -c for the GEV, k = c for the GPD),

    y = log1p(k z) / k        (y = z at k = 0),   t = k y = log1p(k z),

the log-densities are

    gumbel_r:    -log(scale) - z - exp(-z)
    genextreme:  -log(scale) - (1 - c) y - exp(-y)
    genpareto:   -log(scale) - (1 + c) y.

y is computed as log1p(k z) / k (z at k = 0), which keeps full relative precision for any
shape, 0 included. Its derivatives in the shape are where a naive formula loses every
digit near k = 0: with phi1(t) = expm1(t) / t and phi2(t) = (e^t - 1 - t) / t^2,

    dy/dc = y^2 phi2(c y)  (GEV; -y^2 phi2(-c y) for the GPD),
    d2y/dc2 = y^3 (2 phi2^2 + phi1 phi2'),

and phi2 and psi = 2 phi2^2 + phi1 phi2' are summed from their (factorially convergent)
Taylor series where |t| < 1/4, from the closed forms elsewhere: values, gradients and
Hessians keep ~1e-15 relative precision at a shape of 0, 1e-8 or 1e-3 (against mpmath).

The support depends on the parameters (GEV: 1 - c (x - loc) / scale > 0; GPD with
c < 0: x < loc - scale / c): outside it the log-likelihood is -inf. The maximum
likelihood estimator is regular for xi > -1/2 (GEV c < 1/2, GPD c > -1/2; Smith 1985);
for -1 < xi <= -1/2 a local maximum usually exists but the usual asymptotics (standard
errors) do not hold; for xi < -1 the likelihood is unbounded, as the endpoint tends to
the sample's maximum (GEV c > 1, GPD c < -1): a fit that ends there is reported with
status "boundary", never "converged".
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy.special import digamma

from ..outcomes import Outcome
from ..stats import wsum
from .base import PassFamily, Sample, split

EULER = 0.5772156649015329
PI2_6 = math.pi**2 / 6.0
NAN2 = (math.nan, math.nan)
NAN3 = (math.nan, math.nan, math.nan)
#: Below this |t| phi2 and psi are summed from their series (the closed form of phi2'
#: loses ~12 eps / |t|^3 there).
SERIES_BELOW = 0.25
#: A series is cut where its next term is below this fraction of its first.
_CUT = 2.0**-57


def _coefficients(n: int = 20):
    """Taylor coefficients at 0 of phi2(t) = (e^t - 1 - t) / t^2 = sum t^j / (j+2)! and of
    psi = 2 phi2^2 + phi1 phi2' (d2y/dc2 = y^3 psi), exact rationals rounded once."""
    f = math.factorial
    p1 = [Fraction(1, f(j + 1)) for j in range(n)]
    p2 = [Fraction(1, f(j + 2)) for j in range(n)]
    dp2 = [Fraction(j + 1, f(j + 3)) for j in range(n)]

    def conv(a, b):
        return [sum(a[i] * b[j - i] for i in range(j + 1)) for j in range(n)]

    psi = [2 * u + v for u, v in zip(conv(p2, p2), conv(p1, dp2))]
    return tuple(float(v) for v in p2), tuple(float(v) for v in psi)


_PHI2, _PSI = _coefficients()
#: Quantile levels of the quartiles' start: a_p = -log p.
_A = (math.log(4.0), math.log(2.0), math.log(4.0 / 3.0))


def _terms(coef, tmax: float) -> int:
    """How many terms of the series reach full precision for |t| <= tmax."""
    power = 1.0
    for k, a in enumerate(coef):
        if abs(a) * power < _CUT * coef[0]:
            return k
        power *= tmax
    return len(coef)


def _horner(coef, t, k: int):
    out = np.full_like(t, coef[k - 1])
    for a in coef[k - 2::-1]:
        out *= t
        out += a
    return out


def _series(t: np.ndarray):
    tmax = float(np.abs(t).max()) if t.size else 0.0
    return _horner(_PHI2, t, _terms(_PHI2, tmax)), _horner(_PSI, t, _terms(_PSI, tmax))


def _closed(t: np.ndarray):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        em1 = np.expm1(t)
        p1 = em1 / t
        p2 = (p1 - 1.0) / t
        dp2 = ((t - 2.0) * em1 + 2.0 * t) / t / t / t
        return p2, 2.0 * p2 * p2 + p1 * dp2


def phi2_psi(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(phi2(t), psi(t))`` elementwise, to a few ulps for every t: the series where
    |t| < SERIES_BELOW (with as many terms as the largest such |t| needs), else from
    phi1 = expm1(t) / t, phi2 = (phi1 - 1) / t, phi2' = ((t - 2) expm1(t) + 2 t) / t^3.
    Whichever applies to most values is computed on the whole chunk, the other on the
    few values left."""
    large = np.abs(t) >= SERIES_BELOW
    k = int(np.count_nonzero(large))
    if k == 0:
        return _series(t)
    if k == t.size:
        return _closed(t)
    if 2 * k < t.size:
        p2, psi = _series(np.clip(t, -SERIES_BELOW, SERIES_BELOW))
        p2[large], psi[large] = _closed(t[large])
    else:
        p2, psi = _closed(t)
        small = ~large
        p2[small], psi[small] = _series(t[small])
    return p2, psi


#: Below this |k| the shape's correction to y (k z^2 / 2) is below float64's resolution
#: of z: y = z.
K_ZERO = 1e-200


def transformed(z: np.ndarray, k: float):
    """``(y, t)`` with t = log1p(k z) and y = t / k (z at k = 0): both to full relative
    precision, log1p being exact to an ulp for small arguments. y and t are +-inf or NaN
    where 1 + k z <= 0 (outside the support)."""
    if abs(k) < K_ZERO:
        return z, np.zeros_like(z)
    t = np.log1p(k * z)
    return t / k, t


def _sums(terms, w) -> np.ndarray:
    """The sums of ``terms`` (arrays, or pairs of arrays to multiply), each value
    counted with its weight; products through one scratch array (no BLAS)."""
    out = []
    buf = None
    for term in terms:
        if isinstance(term, tuple):
            if buf is None:
                buf = np.empty_like(term[0])
            a = np.multiply(term[0], term[1], out=buf)
        else:
            a = term
        out.append(wsum(a, w, None if w is None or buf is None else buf) if w is not None else float(a.sum()))
    return np.array(out)


def _three_quartiles(info: dict):
    q = info.get("quartiles")
    return q if q is not None and q[0] < q[1] < q[2] else None


# -- Gumbel ----------------------------------------------------------------------------------

class Gumbel(PassFamily):
    """The Gumbel (maximum) law: with z = (x - loc) / scale, l = -log(scale) - z - e^-z.
    The start is by moments: scale = sd sqrt(6) / pi, loc = mean - Euler's gamma scale."""

    condensable = True

    name = "gumbel_r"
    param_names = ("loc", "scale")
    constraints = ("real", "positive")
    scale_power = (1, 1)
    loc_index = 0
    support = "real"
    learns = ("moments",)
    scipy_name = "gumbel_r"

    def prepare(self, info: dict) -> dict:
        self.check_spread(info["min"], info["max"], info["n"])
        scale = math.sqrt(6.0 * info["var"]) / math.pi
        return {"start": (info["mean"] - EULER * scale, scale)}

    def initial(self, sample: Sample):
        return sample.extra["start"]

    def chunk_sums(self, theta, chunk, extra=None) -> np.ndarray:
        """sum(z), sum(e), sum(z e), sum(z^2 e) with e = exp(-z)."""
        loc, s = theta
        x, w = split(chunk)
        z = (x - loc) / s
        e = np.exp(-z)
        if w is not None:
            e *= w
        ze = z * e
        s_z = float(z.sum()) if w is None else float(np.multiply(z, w).sum())
        return np.array([s_z, float(e.sum()), float(ze.sum()), float(np.multiply(ze, z, out=ze).sum())])

    def assemble(self, theta, sums, n, extra=None):
        loc, s = theta
        m_z, m_e, m_ze, m_z2e = (float(v) / n for v in sums)
        value = -math.log(s) - m_z - m_e
        if not (math.isfinite(value) and math.isfinite(m_z2e)):
            return -math.inf, NAN2, np.full((2, 2), math.nan)
        grad = ((1.0 - m_e) / s, (-1.0 + m_z - m_ze) / s)
        h_ll = -m_e / s / s
        h_ls = (-1.0 + m_e - m_ze) / s / s
        h_ss = (1.0 - 2.0 * m_z + 2.0 * m_ze - m_z2e) / s / s
        return value, grad, np.array([[h_ll, h_ls], [h_ls, h_ss]])

    def fisher(self, theta) -> np.ndarray:
        v = 1.0 / theta[1] / theta[1]
        b = -(1.0 - EULER) * v
        return np.array([[v, b], [b, ((1.0 - EULER) ** 2 + PI2_6) * v]])


# -- the generalized extreme value ------------------------------------------------------------

def _gev_fisher_xi(xi: float) -> np.ndarray:
    """Prescott & Walden's (1980) information of one observation in (xi, loc, scale) at
    scale 1, for xi > -1/2, xi != 0 (accurate for |xi| >= 0.02: its terms cancel like
    1 / xi^4)."""
    g2 = math.gamma(2.0 + xi)
    p = (1.0 + xi) ** 2 * math.gamma(1.0 + 2.0 * xi)
    q = g2 * (float(digamma(1.0 + xi)) + (1.0 + xi) / xi)
    i_mm = p
    i_ss = (1.0 - 2.0 * g2 + p) / xi / xi
    i_xx = (PI2_6 + (1.0 - EULER + 1.0 / xi) ** 2 - 2.0 * q / xi + p / xi / xi) / xi / xi
    i_ms = -(p - g2) / xi
    i_mx = -(q - p / xi) / xi
    i_sx = -(1.0 - EULER + (1.0 - g2) / xi - q + p / xi) / xi / xi
    return np.array([[i_xx, i_mx, i_sx], [i_mx, i_mm, i_ms], [i_sx, i_ms, i_ss]])


#: The expected information is used for |xi| below this (see GenExtreme.fisher).
FISHER_UP_TO = 0.4
#: Where the closed form cancels too much, the information is the cubic through
#: xi = -2h, -h, h, 2h (interpolation error ~1e-8).
_GEV_NEAR = 0.02


def _gev_fisher_unit(xi: float) -> np.ndarray:
    if abs(xi) >= _GEV_NEAR:
        return _gev_fisher_xi(xi)
    h = _GEV_NEAR
    nodes = (-2.0 * h, -h, h, 2.0 * h)
    out = np.zeros((3, 3))
    for a in nodes:  # Lagrange weights
        wgt = 1.0
        for b in nodes:
            if b != a:
                wgt *= (xi - b) / (a - b)
        out += wgt * _gev_fisher_xi(a)
    return out


class GenExtreme(PassFamily):
    """The generalized extreme value law as scipy.stats.genextreme (c = -xi).

    With z = (x - loc) / scale, y = -log1p(-c z) / c, E = e^-y, P = 1 / (1 - c z) = dy/dz
    and A = E - 1 + c, the log-density is -log(scale) - (1 - c) y - E, its derivative in
    a parameter A y' (+ y in c, - 1/scale in scale), and its second derivatives
    -E y'y'' + A y'' plus the terms in c and scale (module docstring for y's
    derivatives in c)."""

    condensable = True

    name = "genextreme"
    param_names = ("c", "loc", "scale")
    constraints = ("real", "real", "positive")
    scale_power = (0, 1, 1)
    loc_index = 1
    support = "real"
    learns = ("moments", "quartiles")
    scipy_name = "genextreme"

    def prepare(self, info: dict) -> dict:
        """The start: the GEV through the three quartiles (c from their skewness ratio,
        by bisection), else the Gumbel by moments; c then shrunk towards 0 until every
        value lies inside the support."""
        self.check_spread(info["min"], info["max"], info["n"])
        scale = math.sqrt(6.0 * info["var"]) / math.pi
        start = (0.0, info["mean"] - EULER * scale, scale)
        q = _three_quartiles(info)
        if q is not None:
            start = _gev_quartile_start(q)
        c, loc, scale = start
        # Inside the support: 1 - c (x - loc) / scale > 0 at both ends of the data.
        if c > 0.0 and info["max"] > loc:
            c = min(c, 0.5 * scale / (info["max"] - loc))
        if c < 0.0 and info["min"] < loc:
            c = max(c, -0.5 * scale / (loc - info["min"]))
        return {"start": (c, loc, scale), "max": info["max"], "min": info["min"]}

    def initial(self, sample: Sample):
        return sample.extra["start"]

    def chunk_sums(self, theta, chunk, extra=None) -> np.ndarray:
        """Sums over one chunk; every term of value, gradient and Hessian is a
        combination of them (``assemble``), so that a pass costs few array operations."""
        c, loc, s = theta
        x, w = split(chunk)
        z = np.subtract(x, loc)
        z /= s
        y, t = transformed(z, -c)
        t = np.negative(t)                  # c y = -log1p(-c z)
        e = np.exp(np.negative(y))
        p = np.exp(t)                       # dy/dz = 1 / (1 - c z)
        f2, psi = phi2_psi(t)
        yy = y * y
        yc = np.multiply(yy, f2, out=f2)    # dy/dc = y^2 phi2(c y)
        yy *= y
        ycc = np.multiply(yy, psi, out=psi)  # d2y/dc2 = y^3 psi(c y)
        r = z * p                           # (z may be y itself, at c = 0)
        ep, er, eyc = e * p, e * r, e * yc
        return _sums((t, y, e, p, r, yc, ycc, ep, er, eyc, (ep, p), (p, p), (ep, r), (p, r), (er, r), (r, r),
                      (eyc, p), (eyc, r), (eyc, yc), (e, ycc)), w)

    def assemble(self, theta, sums, n, extra=None):
        """With q = 1 - c, A = e - q and B = A c - e = -q (e + c) (see the class)."""
        c, loc, s = theta
        m = [float(v) / n for v in sums]
        if not all(math.isfinite(v) for v in m):   # outside the support, or overflow far from it
            return -math.inf, NAN3, np.full((3, 3), math.nan)
        (_, m_y, m_e, m_p, m_r, m_yc, m_ycc, m_ep, m_er, m_eyc, m_epp, m_pp, m_epr, m_pr, m_err, m_rr,
         m_eycp, m_eycr, m_eycyc, m_eycc) = m
        q = 1.0 - c
        value = -math.log(s) - q * m_y - m_e
        m_ap, m_arz = m_ep - q * m_p, m_er - q * m_r           # mean(A p), mean(A z p)
        m_apr, m_arr = m_epr - q * m_pr, m_err - q * m_rr      # mean(A z p^2), mean(A z^2 p^2)
        grad = (m_eyc - q * m_yc + m_y, -m_ap / s, -1.0 / s - m_arz / s)
        h_cc = 2.0 * m_yc - m_eycyc + m_eycc - q * m_ycc
        h_cl = (m_eycp - m_p - m_apr) / s
        h_cs = (m_eycr - m_r - m_arr) / s
        h_ll = -q * (m_epp + c * m_pp) / s / s
        h_ls = (m_ap - q * (m_epr + c * m_pr)) / s / s
        h_ss = (1.0 + 2.0 * m_arz - q * (m_err + c * m_rr)) / s / s
        return value, grad, np.array([[h_cc, h_cl, h_cs], [h_cl, h_ll, h_ls], [h_cs, h_ls, h_ss]])

    def fisher(self, theta) -> np.ndarray:
        """Prescott & Walden (1980), for c < 0.4. It is infinite from c = 1/2 on (xi <=
        -1/2) and grows like 1 / (1 - 2 c) before: as a yardstick of the distance to the
        optimum it would shrink every step in c to nothing near c = 1/2, so from c = 0.4
        on the observed information stands in."""
        c, _, s = theta
        if not c < FISHER_UP_TO:
            raise NotImplementedError("the GEV's Fisher information grows without limit as c -> 1/2")
        f = _gev_fisher_unit(-c)
        sign = np.array([-1.0, 1.0, 1.0])        # d/dc = -d/dxi
        unit = np.array([1.0, 1.0 / s, 1.0 / s])
        return f * np.outer(sign * unit, sign * unit)

    def zero_likelihood(self, theta, sample: Sample) -> str | None:
        c, loc, s = (float(v) for v in theta)
        if c > 0.0 and loc + s / c < sample.extra["max"]:
            return "with c > 0 the genextreme support ends at loc + scale / c, below the largest value"
        if c < 0.0 and loc + s / c > sample.extra["min"]:
            return "with c < 0 the genextreme support starts at loc + scale / c, above the smallest value"
        return None

    def verdict(self, theta, start, status, sample: Sample, fixed=()):
        """The unbounded end (c > 1) and the non-regular maximum (1/2 <= c < 1)."""
        if 0 in fixed:
            return None
        c, loc, s = (float(v) for v in theta)
        return _shape_verdict(c, loc + s / c if c > 0 else math.inf, sample.extra["max"], s, status)


# -- the generalized Pareto ---------------------------------------------------------------------

class GenPareto(PassFamily):
    """The generalized Pareto law as scipy.stats.genpareto (c = xi), for peaks over a
    known threshold ``loc`` (fixed, default 0, as scipy's floc): with z = (x - loc) /
    scale and y = log1p(c z) / c, l = -log(scale) - (1 + c) y."""

    condensable = True

    name = "genpareto"
    param_names = ("c", "scale")
    constraints = ("real", "positive")
    scale_power = (0, 1)
    support = "nonnegative"
    learns = ("moments", "quartiles")
    scipy_name = "genpareto"
    shiftable = True

    def prepare(self, info: dict) -> dict:
        """The start: c = log2(Q3 / Q2 - 1) and scale = c Q2 / (2^c - 1), the GPD through
        the median and the upper quartile; by moments when they tie (mean = scale /
        (1 - c), var = mean^2 / (1 - 2 c)); c then raised until the largest value lies
        inside the support."""
        self.check_spread(info["min"], info["max"], info["n"])
        q = _three_quartiles(info)
        if q is not None and q[1] > 0.0:
            c = min(max(math.log2(q[2] / q[1] - 1.0), -0.9), 3.0)
            scale = q[1] / _expm1_ratio(c * math.log(2.0)) / math.log(2.0)
        else:
            mean = info["mean"]
            c = min(max(0.5 * (1.0 - mean * mean / info["var"]), -0.9), 0.45)
            scale = mean * (1.0 - c)
        if c < 0.0 and -c * info["max"] >= 0.5 * scale:
            c = -0.5 * scale / info["max"]
        return {"start": (c, scale), "max": info["max"]}

    def initial(self, sample: Sample):
        return sample.extra["start"]

    def chunk_sums(self, theta, chunk, extra=None) -> np.ndarray:
        c, s = theta
        x, w = split(chunk)
        z = x / s
        y, t = transformed(z, c)            # t = c y = log1p(c z)
        t = np.negative(t)
        f2, psi = phi2_psi(t)
        p = np.exp(t)                       # dy/dz = 1 / (1 + c z)
        yy = y * y
        myc = np.multiply(yy, f2, out=f2)   # -dy/dc = y^2 phi2(-c y)
        yy *= y
        ycc = np.multiply(yy, psi, out=psi)  # d2y/dc2 = y^3 psi(-c y)
        r = z * p                           # (z may be y itself, at c = 0)
        return _sums((t, y, myc, ycc, r, (r, r)), w)

    def assemble(self, theta, sums, n, extra=None):
        c, s = theta
        m = [float(v) / n for v in sums]
        if not all(math.isfinite(v) for v in m):
            return -math.inf, NAN2, np.full((2, 2), math.nan)
        _, m_y, m_myc, m_ycc, m_zp, m_zp2 = m
        value = -math.log(s) - (1.0 + c) * m_y
        grad = ((1.0 + c) * m_myc - m_y, (-1.0 + (1.0 + c) * m_zp) / s)
        h_cc = -(1.0 + c) * m_ycc + 2.0 * m_myc
        h_cs = (m_zp - (1.0 + c) * m_zp2) / s
        h_ss = (1.0 + (1.0 + c) * (c * m_zp2 - 2.0 * m_zp)) / s / s
        return value, grad, np.array([[h_cc, h_cs], [h_cs, h_ss]])

    def fisher(self, theta) -> np.ndarray:
        """Smith (1984), for c > -0.4 (see GenExtreme.fisher)."""
        c, s = theta
        if not c > -FISHER_UP_TO:
            raise NotImplementedError("the GPD's Fisher information grows without limit as c -> -1/2")
        k = 1.0 / ((1.0 + c) * (1.0 + 2.0 * c))
        return k * np.array([[2.0, 1.0 / s], [1.0 / s, (1.0 + c) / s / s]])

    def zero_likelihood(self, theta, sample: Sample) -> str | None:
        c, s = (float(v) for v in theta)
        if c < 0.0 and s / -c < sample.extra["max"]:
            return "with c < 0 the genpareto support ends at loc + scale / -c, below the largest value"
        return None

    def verdict(self, theta, start, status, sample: Sample, fixed=()):
        if 0 in fixed:
            return None
        c, s = (float(v) for v in theta)
        return _shape_verdict(-c, s / -c if c < 0 else math.inf, sample.extra["max"], s, status)


def _expm1_ratio(a: float) -> float:
    """expm1(a) / a (1 at a = 0)."""
    return math.expm1(a) / a if a != 0.0 else 1.0


def _gev_quartile_start(q) -> tuple:
    """The GEV (scipy's c) whose quartiles are q: Q(p) = loc + scale (1 - a_p^c) / c with
    a_p = -log p; the ratio (Q3 - Q2) / (Q2 - Q1) = (a3 / a2)^c expm1(c L23) / expm1(c L12)
    decreases with c (L23 = log(a2 / a3), L12 = log(a1 / a2))."""
    a1, a2, a3 = _A
    l23, l12 = math.log(a2 / a3), math.log(a1 / a2)
    target = math.log((q[2] - q[1]) / (q[1] - q[0]))

    def log_ratio(c):
        return c * math.log(a3 / a2) + math.log(l23 * _expm1_ratio(c * l23)) - math.log(l12 * _expm1_ratio(c * l12))

    lo, hi = -2.0, 2.0
    if log_ratio(lo) < target:
        c = lo
    elif log_ratio(hi) > target:
        c = hi
    else:
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if log_ratio(mid) > target else (lo, mid)
        c = 0.5 * (lo + hi)
    c = min(max(c, -1.0), 0.9)
    # Q3 - Q2 = scale a3^c expm1(c L23) / c
    scale = (q[2] - q[1]) / (a3**c * l23 * _expm1_ratio(c * l23))
    # Q2 = loc + scale (1 - a2^c) / c = loc - scale log(a2) expm1(c log a2) / (c log a2)
    loc = q[1] + scale * math.log(a2) * _expm1_ratio(c * math.log(a2))
    return (c, loc, scale)


#: A fit whose upper endpoint is this close to the sample maximum (relative to the
#: scale) has run onto it.
AT_MAX = 1e-3


def _shape_verdict(c: float, endpoint: float, x_max: float, scale: float, status: str):
    """For a shape in the GEV's sign (c = -xi; the GPD's c is passed negated): the
    likelihood is unbounded when c > 1 and the endpoint has come to the sample maximum
    (or the run, not converged, went there from c >= 1/2); a maximum with 1/2 <= c
    exists but is not regular."""
    xi = -c
    gap = endpoint - x_max
    onto = 0.0 <= gap <= AT_MAX * scale
    if onto and (c > 1.0 or (c >= 0.5 and status != "converged")):
        return ("boundary", Outcome("unbounded", "c", None, None, c),
                f"the likelihood is unbounded: at xi = {xi:.4g} (< -1 from the start of this ridge) the upper endpoint of "
                f"the support has come to the sample maximum {x_max:.6g} (it is {gap:.3g} above it) and the "
                f"log-density of that value grows without limit as they meet; no maximum-likelihood estimate exists "
                f"(Smith 1985: none for xi < -1). The sample maximum estimates the endpoint; or fit with c held fixed "
                f"(fixed={{'c': ...}})")
    if c >= 0.5 and status == "converged":
        return ("converged", Outcome("converged"),
                f"a maximum at xi = {xi:.4g} <= -1/2: it exists, but the estimator is not regular there (Smith 1985), "
                f"so standard errors from the information do not hold")
    return None
