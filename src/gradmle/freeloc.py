"""Three-parameter fits: the exponential, gamma, lognormal and Weibull with their location
estimated (``gradmle.fit(x, family, free_loc=True)``).

The support of these families starts at ``loc``, so the likelihood is not regular in it:

- **exponential**: the likelihood increases with loc up to loc = min(x), where it stops
  (the density is 0 below loc). The MLE is loc = min(x), scale = mean(x) - min(x),
  exactly; it sits on the edge of the parameter space and loc converges at rate 1/n,
  not 1/sqrt(n) (min(x) - loc is exponential with mean scale / n), so its standard
  error is not the one from the information.
- **gamma (shape a), Weibull (shape c), lognormal**: the likelihood is unbounded as
  loc -> min(x) with a shape below 1 (Hill 1963 for the lognormal, whose density has
  this for every s; Smith 1985 for the gamma and Weibull), so no global maximum exists.
  What is estimated is a local maximum inside: regular when the shape exceeds 2
  (Smith 1985: the usual asymptotics hold), non-regular for a shape in (1, 2] (a local
  maximum exists but loc converges faster than 1/sqrt(n) and its information-based
  standard error is not valid), and absent when the shape is at most 1. Where the
  profile likelihood increases without a local maximum as loc -> min(x), the fit
  says so (status ``"boundary"``) and gives the **maximum product of spacings**
  estimate instead (Cheng & Amin 1983): it maximizes the mean of log(F(x_(i+1)) -
  F(x_(i))) over the n + 1 spacings (F(x_(0)) = 0, F(x_(n+1)) = 1; a tie's zero
  spacing is replaced by the density at the tied value), which is bounded, consistent
  and efficient where the MLE is, and exists where the MLE does not.

Method: with d_i = x_i - min(x) (exact) and delta = min(x) - loc > 0, the profile
log-likelihood of delta (the two other parameters at their MLE for the data d + delta:
closed forms for the lognormal and the gamma's scale, the gamma shape's one equation
and the Weibull shape's one equation by safeguarded Newton) is scanned on a grid of
log(delta) from 1e-10 to 1e4 standard deviations, its highest local maximum inside is
refined by Brent's method, and all three parameters are then polished jointly by
Newton's method on the full log-likelihood with analytic derivatives (those in loc are
minus those in x), so the answer is a stationary point to ``tol`` and the 3x3 observed
information gives the standard errors.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy.optimize import minimize, minimize_scalar

from .families import get_family
from .mps import MidpointSpacings, best_delta, newton_mps
from .outcomes import Outcome
from .result import FitResult, HessianWarning

__all__ = ["FREE_LOC", "fit_free_loc", "FreeLocResult"]

#: The families whose location can be estimated, and the names of the parameters in
#: scipy.stats' order.
FREE_LOC = {
    "exponential": ("loc", "scale"),
    "gamma": ("a", "loc", "scale"),
    "lognormal": ("s", "loc", "scale"),
    "weibull": ("c", "loc", "scale"),
}
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
#: The grid of delta = min(x) - loc, in standard deviations of the data.
GRID = np.logspace(-10.0, 4.0, 43)
#: The limit of each family as loc -> -inf with the skewness -> 0.
FAR_LIMIT = {"gamma": "the Normal", "lognormal": "the Normal",
             "weibull": "the Gumbel distribution of minima (scipy's gumbel_l)"}


# -- the profile: the best shape and scale for the data d + delta -------------------------------

def _about_mean(d: np.ndarray, dbar: float, delta: float):
    """log(z) - log(mean z) for z = d + delta, to full precision (log1p of deviations)."""
    m = dbar + delta
    return np.log1p((d - dbar) / m), m


def _profile_lognormal(d, dbar, delta, warm=None):
    r, m = _about_mean(d, dbar, delta)
    mr = float(r.mean())
    var = float(np.mean((r - mr) ** 2))
    if not var > 0.0:
        return -math.inf, (math.nan, math.nan)
    mean_log = math.log(m) + mr
    s = math.sqrt(var)
    return -mean_log - math.log(s) - HALF_LOG_2PI - 0.5, (s, math.exp(mean_log))


def _profile_gamma(d, dbar, delta, warm=None):
    fam = get_family("gamma")
    r, m = _about_mean(d, dbar, delta)
    gap = -float(r.mean())  # log(mean z) - mean(log z) >= 0
    if not gap > 0.0:
        return -math.inf, (math.nan, math.nan)
    stats = _gamma_stats(d.size, m, gap)
    a, scale = fam.initial(stats)
    value, _ = fam.objective(stats)((a, scale))
    return value, (a, scale)


def _gamma_stats(n, m, gap):
    from .families.gamma import GammaStats

    return GammaStats(n, m, math.log(m) - gap, gap)


def _weibull_shape(u: np.ndarray, c: float):
    """The Weibull shape's profile equation for logarithms u = log(z) - max log(z) <= 0:
    h(c) = 1/c + mean(u) - sum(t u) / sum(t) with t = exp(c u) is decreasing in c; its
    root is the MLE of c. Safeguarded Newton (bisection in log c outside the bracket)."""
    ubar = float(u.mean())
    lo, hi = 0.0, math.inf
    for _ in range(200):
        t = np.exp(c * u)
        s0 = float(t.sum())
        tu = t * u
        m1 = float(tu.sum()) / s0
        v = max(float((tu * u).sum()) / s0 - m1 * m1, 0.0)
        h = 1.0 / c + ubar - m1
        if h > 0.0:
            lo = c
        else:
            hi = c
        new = c + h / (1.0 / (c * c) + v)
        if not (lo < new < hi):
            new = math.sqrt(lo * hi) if hi < math.inf and lo > 0.0 else (2.0 * c if hi == math.inf else 0.5 * c)
        if abs(new - c) <= 1e-14 * c:
            c = new
            break
        c = new
    t = np.exp(c * u)
    log_mean_t = math.log(float(t.mean()))
    return c, log_mean_t, ubar


def _profile_weibull(d, dbar, delta, warm=None):
    y = np.log(d + delta)
    ymax = float(y.max())
    u = y - ymax
    if warm is None or not warm > 0.0:
        var = float(u.var())
        if not var > 0.0:
            return -math.inf, (math.nan, math.nan)
        warm = math.pi / math.sqrt(6.0 * var)
    c, log_mean_t, ubar = _weibull_shape(u, warm)
    # l = log c - log mean(t) + (c - 1) mean(u) - max(log z) - 1, at scale^c = mean(z^c).
    value = math.log(c) - log_mean_t + (c - 1.0) * ubar - ymax - 1.0
    return value, (c, math.exp(ymax + log_mean_t / c))


PROFILES = {"gamma": _profile_gamma, "lognormal": _profile_lognormal, "weibull": _profile_weibull}


# -- the full three-parameter log-likelihood, with analytic derivatives ---------------------------

def _derivatives(family: str, z: np.ndarray, theta):
    """Total log-likelihood, gradient and Hessian in (shape, loc, scale) for z = x - loc."""
    k, _, s = theta
    g = np.zeros(3)
    h = np.zeros((3, 3))
    if family == "gamma":
        a = k
        lz = np.log(z)
        iz = 1.0 / z
        n, sz, slz, siz, siz2 = z.size, float(z.sum()), float(lz.sum()), float(iz.sum()), float((iz * iz).sum())
        value = (a - 1.0) * slz - sz / s - n * (special.gammaln(a) + a * math.log(s))
        g[:] = (slz - n * (special.digamma(a) + math.log(s)), -(a - 1.0) * siz + n / s, sz / s / s - n * a / s)
        h[0, 0] = -n * float(special.polygamma(1, a))
        h[0, 1] = -siz
        h[0, 2] = -n / s
        h[1, 1] = -(a - 1.0) * siz2
        h[1, 2] = -n / s / s
        h[2, 2] = n * a / s / s - 2.0 * sz / s / s / s
    elif family == "lognormal":
        y = np.log(z)
        w = (y - math.log(s)) / k
        iz = 1.0 / z
        n = z.size
        sw, sw2 = float(w.sum()), float((w * w).sum())
        siz, swiz = float(iz.sum()), float((w * iz).sum())
        siz2, swiz2 = float((iz * iz).sum()), float((w * iz * iz).sum())
        value = -n * (math.log(k) + HALF_LOG_2PI) - float(y.sum()) - 0.5 * sw2
        g[:] = ((sw2 - n) / k, siz + swiz / k, sw / (k * s))
        h[0, 0] = (n - 3.0 * sw2) / k / k
        h[0, 1] = -2.0 * swiz / k / k
        h[0, 2] = -2.0 * sw / (k * k * s)
        h[1, 1] = -siz2 / k / k + siz2 + swiz2 / k
        h[1, 2] = -siz / (k * k * s)
        h[2, 2] = -(n / k + sw) / (k * s * s)
    else:  # weibull
        c = k
        lu = np.log(z / s)
        t = np.exp(c * lu)
        iz = 1.0 / z
        n = z.size
        st, slu, stlu, stlu2 = float(t.sum()), float(lu.sum()), float((t * lu).sum()), float((t * lu * lu).sum())
        siz, stiz, stluiz = float(iz.sum()), float((t * iz).sum()), float((t * lu * iz).sum())
        siz2, stiz2 = float((iz * iz).sum()), float((t * iz * iz).sum())
        value = n * math.log(c / s) + (c - 1.0) * slu - st
        g[:] = (n / c + slu - stlu, c * stiz - (c - 1.0) * siz, c * (st - n) / s)
        h[0, 0] = -n / c / c - stlu2
        h[0, 1] = stiz - siz + c * stluiz
        h[0, 2] = (st - n + c * stlu) / s
        h[1, 1] = -c * c * stiz2 + c * stiz2 - (c - 1.0) * siz2
        h[1, 2] = -c * c * stiz / s
        h[2, 2] = c * (n - st - c * st) / s / s
    h[1, 0], h[2, 0], h[2, 1] = h[0, 1], h[0, 2], h[1, 2]
    return float(value), g, h


def _polish(family, d, x1, theta, tol, max_iter):
    """Newton's method on the full log-likelihood from the profile's maximum, each step
    halved until the log-likelihood does not decrease and loc stays below min(x).
    Returns (theta, value, grad, hess, nit, converged)."""
    k, delta, s = theta
    value, g, h = _derivatives(family, d + delta, (k, x1 - delta, s))
    nit = 0
    for nit in range(1, max_iter + 1):
        try:
            np.linalg.cholesky(-h)
            step = np.linalg.solve(-h, g)
        except np.linalg.LinAlgError:
            return (k, delta, s), value, g, h, nit, False
        # step in (shape, loc, scale); delta = min(x) - loc moves by -step[1]
        scales = np.sqrt(np.maximum(np.diag(np.linalg.inv(-h / d.size)), 0.0))
        small = all(abs(step[i]) <= tol * max(abs(v), scales[i]) for i, v in enumerate((k, x1 - delta, s)))
        lam = 1.0
        for _ in range(60):
            nk, nd, ns = k + lam * step[0], delta - lam * step[1], s + lam * step[2]
            if nk > 0.0 and nd > 0.0 and ns > 0.0:
                nv, ng, nh = _derivatives(family, d + nd, (nk, x1 - nd, ns))
                if nv >= value - 1e-13 * abs(value):
                    break
            lam *= 0.5
        else:
            return (k, delta, s), value, g, h, nit, small
        k, delta, s, value, g, h = nk, nd, ns, nv, ng, nh
        if small:
            return (k, delta, s), value, g, h, nit, True
    return (k, delta, s), value, g, h, nit, False


# -- maximum product of spacings ----------------------------------------------------------------

def _cdf_sf_pdf(family, z, k, s):
    """F, 1 - F and the density at z (> 0) of the shape-scale family at loc 0."""
    if family == "gamma":
        return special.gammainc(k, z / s), special.gammaincc(k, z / s), \
            np.exp((k - 1.0) * np.log(z / s) - z / s - special.gammaln(k)) / s
    if family == "lognormal":
        w = (np.log(z) - math.log(s)) / k
        return special.ndtr(w), special.ndtr(-w), np.exp(-0.5 * w * w - HALF_LOG_2PI) / (k * z)
    t = (z / s) ** k
    sf = np.exp(-t)
    return -np.expm1(-t), sf, k / s * (z / s) ** (k - 1.0) * sf


#: Gauss-Legendre nodes and weights (4 points) on [-1, 1].
GL_NODES = np.array([-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526])
GL_WEIGHTS = np.array([0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538])
#: A spacing narrower than this part of the distance to the density's singularity at
#: loc (and of the scale) is the integral of the density by 4-point Gauss-Legendre
#: (relative error below ~(0.02)^8); the incomplete gamma function, slow, is then
#: needed only at the ends of the wide ones.
NARROW = 0.02


def _gamma_spacings(z, k, s):
    """The n + 1 gamma spacings for sorted z > 0 (see ``spacings``)."""
    n = z.size
    lo, hi = z[:-1], z[1:]
    narrow = np.zeros(n + 1, dtype=bool)
    narrow[1:-1] = (hi - lo) <= NARROW * np.minimum(lo, s)
    D = np.empty(n + 1)
    if narrow.any():
        a, b = lo[narrow[1:-1]], hi[narrow[1:-1]]
        mid, half = 0.5 * (a + b), 0.5 * (b - a)
        c = -special.gammaln(k) - math.log(s)
        total = np.zeros(mid.size)
        for t, w in zip(GL_NODES, GL_WEIGHTS):
            u = (mid + half * t) / s
            total += w * np.exp((k - 1.0) * np.log(u) - u + c)
        D[narrow] = half * total
    wide = ~narrow
    ends = np.unique(np.concatenate((np.flatnonzero(wide[:-1]), np.flatnonzero(wide[1:]))))  # z-indices needed
    ends = ends[ends < n]
    F, S = np.zeros(n), np.zeros(n)
    F[ends], S[ends] = special.gammainc(k, z[ends] / s), special.gammaincc(k, z[ends] / s)
    Fl, Fh = np.concatenate(([0.0], F)), np.concatenate((F, [1.0]))
    Sl, Sh = np.concatenate(([1.0], S)), np.concatenate((S, [0.0]))
    D[wide] = np.where(Fh <= 0.5, Fh - Fl, Sl - Sh)[wide]
    return D


def spacings(family, d, theta):
    """Mean log spacing (Cheng & Amin 1983) at theta = (shape, delta, scale) of the
    sorted deviations d from the minimum: the n + 1 spacings F(x_(i+1)) - F(x_(i)), each
    from the CDF or the survival function, whichever does not cancel; ties: the density."""
    k, delta, s = theta
    if not (k > 0.0 and delta > 0.0 and s > 0.0):
        return -math.inf
    z = d + delta
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        if family == "gamma":
            D = _gamma_spacings(z, k, s)
            f = None
        else:
            F, S, f = _cdf_sf_pdf(family, z, k, s)
            Fl, Fh = np.concatenate(([0.0], F)), np.concatenate((F, [1.0]))
            Sl, Sh = np.concatenate(([1.0], S)), np.concatenate((S, [0.0]))
            D = np.where(Fh <= 0.5, Fh - Fl, Sl - Sh)
        tied = np.diff(z) == 0.0  # (x_(i+1) = x_(i): the density at the tie)
        if tied.any():
            if f is None:
                f = _cdf_sf_pdf(family, z, k, s)[2]
            D[1:-1][tied] = f[:-1][tied]
        return float(np.mean(np.log(D)))


#: Above this many values the maximum product of spacings is first found on every k-th
#: order statistic (as many as this), a start for the search on all of them.
THIN = 20000


def _nelder_mead(family, d, sd, u, size, maxiter):
    def neg(v):
        value = spacings(family, d, (math.exp(v[0]), sd * math.exp(v[1]), math.exp(v[2])))
        return -value if math.isfinite(value) else 1e300

    simplex = np.vstack([u, u + np.diag([size, size, size])])
    r = minimize(neg, u, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-13, "maxiter": maxiter,
                                                         "initial_simplex": simplex})
    return r.x, -float(r.fun), int(r.nfev)


def _mps(family, d, sd, starts):
    """The maximum product of spacings estimate from the best of ``starts``, in
    coordinates (log shape, log(delta / sd), log scale), by Nelder-Mead (to about 1e-7
    in these coordinates, the resolution of the mean log spacing in float64); for large
    samples first on every k-th order statistic."""
    part = d if d.size <= THIN else d[:: d.size // THIN]

    def value(th):
        return spacings(family, part, th)

    u = max(([math.log(k), math.log(dl / sd), math.log(s)] for k, dl, s in starts),
            key=lambda v: value((math.exp(v[0]), sd * math.exp(v[1]), math.exp(v[2]))))
    u, best, nfev = _nelder_mead(family, part, sd, np.array(u), 0.05, 2000)
    if part is not d:
        # on all the data: Newton's method on the mean log spacing with its narrow
        # spacings by the corrected midpoint rule (gradmle.mps), then its exact value;
        # Nelder-Mead on the exact sum when Newton does not converge
        theta = (math.exp(u[0]), sd * math.exp(u[1]), math.exp(u[2]))
        delta, more = best_delta(family, d, theta)
        u[1], theta = math.log(delta / sd), (theta[0], delta, theta[2])
        v, value, evals, ok = newton_mps(MidpointSpacings(family, d, theta), u, sd)
        more += evals
        nfev += more
        if ok:
            theta = (math.exp(v[0]), sd * math.exp(v[1]), math.exp(v[2]))
            return theta, spacings(family, d, theta), nfev + 1
        u, best, more = _nelder_mead(family, d, sd, u, 0.01, 600)
        nfev += more
    u, best, more = _nelder_mead(family, d, sd, u, 1e-3, 600)
    return (math.exp(u[0]), sd * math.exp(u[1]), math.exp(u[2])), best, nfev + more


# -- the result -----------------------------------------------------------------------------------

@dataclass
class FreeLocResult(FitResult):
    """A :class:`FitResult` of a three-parameter fit: ``params`` in scipy.stats' order
    with ``loc``; standard errors from the 3x3 observed information (when the fit
    converged at a regular interior maximum)."""

    covariance: object = None

    def _covariance(self):
        if not self.converged or self.covariance is None:
            return None
        return self.covariance, np.ones(len(self.params))

    @property
    def diagnosis(self):
        return None

    def profile(self, name, level=0.95, points=21):
        raise ValueError("profile-likelihood intervals are not available for a fit with free_loc=True; use the Wald "
                         "intervals (conf_int()) of a converged fit")

    def frozen(self):
        import scipy.stats

        return getattr(scipy.stats, get_family(self.family).scipy_name)(**self.params)


# -- the fit ------------------------------------------------------------------------------------------

def _values(data, nonfinite, columns):
    from .record import as_record

    column = None
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
        if len(columns) != 1:
            raise ValueError(f"free_loc=True fits one column of values; columns= names {len(columns)}")
        column = columns[0]
    record = as_record(data, column, nonfinite)
    src = record.source
    src.prep = record.prep()
    x = np.asarray(src.to_array(), dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(f"the data hold {int(bad.sum())} NaN or infinite value(s) (first: {x[bad][0]!r}); drop them "
                         "with nonfinite='drop'")
    return x


def fit_free_loc(data, family, tol=1e-10, max_iter=1000, nonfinite="raise", columns=None) -> FitResult:
    """Fit ``family`` (exponential, gamma, lognormal or weibull) with its location
    estimated; see the module's docstring for the mathematics and :func:`gradmle.fit`."""
    import time

    fam = get_family(family)
    if fam.name not in FREE_LOC:
        raise ValueError(f"free_loc=True is for the families whose support starts at loc ({', '.join(FREE_LOC)}), "
                         f"not {fam.name}")
    t0 = time.perf_counter()
    x = np.sort(_values(data, nonfinite, columns))
    n = x.size
    if n < 3:
        raise ValueError(f"free_loc=True needs at least 3 values, got {n}")
    x1 = float(x[0])
    d = x - x1
    if fam.name == "exponential":
        return _exponential(x, d, x1, t0)
    sd = float(d.std())
    if not sd > 0.0:
        raise ValueError(f"all {n} values are equal ({x1!r}): the three-parameter {fam.name} MLE does not exist")
    names = FREE_LOC[fam.name]
    part = d if n <= THIN else d[:: n // THIN]
    grid, best, top, evals = _scan(fam.name, part, sd)
    info = {"grid": [(g[0], g[1]) for g in grid], "profile_evaluations": evals, "grid_sample": part.size}
    kind = _kind(fam.name, grid, best, top)
    if part is not d and kind != "ambiguous":
        # the grid and Brent ran on every k-th order statistic (the minimum included):
        # the full data then only polish that answer, or, in the rare case where the
        # polish does not confirm it, are scanned themselves
        r = _conclude(kind, fam.name, names, x, d, x1, sd, grid, best, top, tol, max_iter, info, t0, True)
        if r is not None:
            return r
    if part is not d:
        grid, best, top, more = _scan(fam.name, d, sd)
        info = {"grid": [(g[0], g[1]) for g in grid], "profile_evaluations": evals + more, "grid_sample": n}
        kind = _kind(fam.name, grid, best, top)
    return _conclude(kind, fam.name, names, x, d, x1, sd, grid, best, top, tol, max_iter, info, t0, False)


#: A shape within these bounds at the thinned sample's profile maximum is too close to 1
#: (where the local maximum appears or vanishes) to decide the case on that sample.
AMBIGUOUS = (0.8, 1.25)


def _kind(family, grid, best, top):
    """What the profile shows: "interior" (a local maximum with shape > 1, or any for the
    lognormal), "far" (still increasing at the largest delta), "unbounded" (increasing
    as loc -> min(x)), or "ambiguous" (a maximum with shape near 1)."""
    if best is not None and AMBIGUOUS[0] < best[0] < AMBIGUOUS[1] and family != "lognormal":
        return "ambiguous"
    if best is not None and (best[0] > 1.0 or family == "lognormal"):
        return "interior"
    return "far" if top == len(grid) - 1 else "unbounded"


def _scan(family, d, sd):
    """The profile on the grid of delta, and its highest inside local maximum refined
    by Brent's method: (grid, best (shape, delta, scale) or None, index of the grid's
    top, profile evaluations)."""
    prof = PROFILES[family]
    dbar = float(d.mean())
    grid, warm = [], None
    for delta in sd * GRID:
        v, th = prof(d, dbar, float(delta), warm)
        warm = th[0] if math.isfinite(v) else warm
        grid.append((float(delta), v, th))
    values = np.array([g[1] for g in grid])
    peaks = [i for i in range(1, len(grid) - 1) if values[i] >= values[i - 1] and values[i] >= values[i + 1]
             and math.isfinite(values[i])]
    best, evals = None, len(grid)
    if peaks:
        i = max(peaks, key=lambda j: values[j])
        lo, hi = math.log(grid[i - 1][0]), math.log(grid[i + 1][0])
        cache = {}

        def negprof(t):
            v, th = prof(d, dbar, math.exp(t), grid[i][2][0])
            cache[t] = th
            return -v

        r = minimize_scalar(negprof, bounds=(lo, hi), method="bounded", options={"xatol": 1e-9})
        evals += int(r.nfev)
        k, s = cache[r.x]
        best = (k, math.exp(r.x), s)
    top = int(np.nanargmax(np.where(np.isfinite(values), values, -np.inf)))
    return grid, best, top, evals


def _conclude(kind, family, names, x, d, x1, sd, grid, best, top, tol, max_iter, info, t0, thinned):
    """The result of the case ``kind``; with ``thinned`` (the grid ran on a thinned
    sample), None when the full data do not confirm an interior maximum."""
    if kind == "ambiguous":
        kind = "interior" if best[0] > 1.0 else ("far" if top == len(grid) - 1 else "unbounded")
    if kind in ("interior", "ambiguous") and best is not None and (best[0] > 1.0 or family == "lognormal"):
        low = grid[0]
        # the full data's profile at the grid's smallest delta, for the note on unboundedness
        lowest = (PROFILES[family](d, float(d.mean()), low[0], low[2][0])[0] if thinned else low[1]) * x.size
        r = _interior(family, names, x, d, x1, best, tol, max_iter, info, t0, low[0], lowest)
        if thinned and not (r.converged and (family == "lognormal" or r.params[names[0]] > 1.0)):
            return None
        return r
    if kind == "far":
        delta = grid[top][0]
        point = (delta, *PROFILES[family](d, float(d.mean()), delta, grid[top][2][0])) if thinned else grid[top]
        return _far(family, names, x, d, x1, point, info, t0)
    return _unbounded(family, names, x, d, x1, sd, grid, best, info, t0)


def _make(family, names, theta3, loglik, status, outcome, message, n, info, t0, covariance=None, nit=0, nfev=0,
          tol=1e-10):
    params = dict(zip(names, (float(v) for v in theta3)))
    info = dict(info, elapsed=time_since(t0), method="profile+newton", free_loc=True)
    return FreeLocResult(params=params, loglik=float(loglik), status=status, message=message, nit=nit, nfev=nfev,
                         trace={}, reference=None, error=None, family=family, method="auto", n=n,
                         options={"family": family, "free_loc": True, "tol": tol}, info=info, outcome=outcome,
                         covariance=covariance)


def time_since(t0):
    import time

    return time.perf_counter() - t0


def _exponential(x, d, x1, t0):
    n = x.size
    scale = float(d.mean())
    if not scale > 0.0:
        raise ValueError(f"all {n} values are equal ({x1!r}): the exponential scale's MLE would be 0")
    unbiased_scale = scale * n / (n - 1)
    info = {
        "unbiased": {"loc": x1 - unbiased_scale / n, "scale": unbiased_scale},
        "stderr": {"loc": scale / n, "scale": scale / math.sqrt(n)},
    }
    msg = ("closed form: loc = min(x), scale = mean(x) - min(x); the likelihood increases with loc up to the smallest "
           "value, so the location sits on the boundary of the parameter space and converges at rate 1/n: "
           f"min(x) - loc is exponential with mean scale / n (standard error {scale / n:.3g}, not the one from the "
           f"information); the unbiased estimates are loc = {x1 - unbiased_scale / n:.10g}, "
           f"scale = {unbiased_scale:.10g} (result.info['unbiased'])")
    return _make("exponential", FREE_LOC["exponential"], (x1, scale), -math.log(scale) - 1.0, "boundary",
                 Outcome("boundary", "loc", 0), msg, n, info, t0)


def _interior(family, names, x, d, x1, best, tol, max_iter, info, t0, low_delta, lowest):
    n = x.size
    theta, value, g, h, nit, ok = _polish(family, d, x1, best, tol, max_iter)
    k, delta, s = theta
    shape = names[0]
    cov = None
    if ok:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HessianWarning)
            try:
                cov = np.linalg.inv(-h)
            except np.linalg.LinAlgError:
                cov = None
    note = (f"; the likelihood itself is unbounded as loc -> min(x) with {shape} < 1 (it exceeds this value at "
            f"loc = min(x) - {low_delta:.3g}), so this is the local maximum the literature estimates"
            if lowest > value else "")
    if family != "lognormal" and k <= 2.0:
        regular = (f"; {shape} = {k:.4g} is in (1, 2]: a non-regular local maximum (Smith 1985), loc converges faster "
                   "than 1/sqrt(n) and its standard error from the information is not valid")
    else:
        regular = ""
    loc = x1 - delta
    if ok:
        status, outcome = "converged", Outcome("converged", None, nit)
        msg = (f"profile likelihood over loc maximized inside (loc = {loc:.10g}, {delta:.4g} below the smallest value), "
               f"then {nit} Newton steps on all three parameters to a stationary point (tol {tol:g}){regular}{note}")
    else:
        status, outcome = "stalled", Outcome("no_ascent", None, nit)
        msg = (f"the profile likelihood has a local maximum at loc = {loc:.10g}, but Newton's method on all three "
               f"parameters could not make the gradient vanish there (the Hessian is not negative definite or no "
               f"step increases the likelihood){regular}")
    info = dict(info, regular=not regular, newton_steps=nit, gradient=g.tolist())
    return _make(family, names, (k, loc, s), value / n, status, outcome, msg, n, info, t0, cov, nit,
                 info["profile_evaluations"] + nit, tol)


def _far(family, names, x, d, x1, point, info, t0):
    n = x.size
    delta, v, (k, s) = point
    msg = (f"the profile likelihood still increases at loc = min(x) - {delta:.3g} (1e4 standard deviations): the data "
           f"are too little skewed for a three-parameter {family}, whose limit as loc -> -inf is {FAR_LIMIT[family]}; "
           "params are at that far point; fit the limiting family instead"
           + (" (result.limit_fit holds the Normal's fit)" if family != "weibull" else ""))
    r = _make(family, names, (k, x1 - delta, s), v, "boundary", Outcome("boundary", "loc", 0), msg, n, info, t0)
    if family != "weibull":
        from . import engine

        r.limit_fit = engine.fit(x, engine.check_options("normal"))
    return r


def _unbounded(family, names, x, d, x1, sd, grid, best, info, t0):
    n = x.size
    shape = names[0]
    starts = [(th[0], delta, th[1]) for delta, v, th in grid if math.isfinite(v)]
    (k, delta, s), mps_value, nfev = _mps(family, d, sd, starts)
    loc = x1 - delta
    value = _derivatives(family, d + delta, (k, loc, s))[0] / n
    low = grid[0]
    why = (f"the profile likelihood increases without a local maximum as loc -> min(x) (at loc = min(x) - "
           f"{low[0]:.3g} the fitted {shape} is {low[2][0]:.3g})" if best is None else
           f"the profile likelihood's only local maximum has {shape} = {best[0]:.3g} <= 1")
    msg = (f"{why}: the likelihood is unbounded as loc -> min(x) with {shape} < 1 and no maximum likelihood estimate "
           f"exists; params are the maximum product of spacings estimate (Cheng & Amin 1983), loc = {loc:.10g}, "
           f"{shape} = {k:.6g} (result.info['mps'])")
    info = dict(info, estimator="maximum product of spacings",
                mps={"params": dict(zip(names, (k, loc, s))), "mean_log_spacing": mps_value, "evaluations": nfev})
    return _make(family, names, (k, loc, s), value, "boundary", Outcome("unbounded", "loc", 0), msg, n, info, t0)
