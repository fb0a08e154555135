"""free_loc=True: the three-parameter exponential, gamma, lognormal and Weibull, against
scipy.stats' free-location fits, an independent profile of scipy's fixed-location fits,
finite differences of scipy's log-density, and the exponential's closed form."""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.stats as st
from scipy.optimize import minimize_scalar

import gradmle

DIST = {"gamma": st.gamma, "lognormal": st.lognorm, "weibull": st.weibull_min}

REGULAR = [("gamma", 3.0, 0, 500), ("gamma", 5.0, 1, 2000), ("weibull", 2.5, 2, 1000), ("weibull", 4.0, 3, 500),
           ("lognormal", 0.3, 4, 1000), ("lognormal", 0.6, 5, 2000)]


def _draw(family, shape, seed, n):
    return DIST[family].rvs(shape, loc=1.5, scale=2.0, size=n, random_state=seed)


def _total(family, x, params):
    return float(DIST[family].logpdf(x, *params.values()).sum())


def _reference(family, x):
    """The profile over loc of the two-parameter fits with loc held (fixed={"loc": ...},
    the fit of x - loc), valued by scipy's log-density: a grid below min(x), then a
    bounded search around its best point."""
    dist = DIST[family]
    lo = float(x.min())
    spread = float(x.std())

    def neg(t):
        loc = lo - spread * math.exp(t)
        shape, scale = gradmle.fit(x, family, fixed={"loc": loc}, tol=1e-13).params.values()
        return -float(dist.logpdf(x, shape, loc=loc, scale=scale).sum())

    ts = np.linspace(-12.0, 3.0, 31)
    vals = [neg(t) for t in ts]
    i = int(np.argmin(vals[1:-1])) + 1
    r = minimize_scalar(neg, bounds=(ts[i - 1], ts[i + 1]), method="bounded", options={"xatol": 1e-10})
    loc = lo - spread * math.exp(r.x)
    return -float(r.fun), loc


@pytest.mark.parametrize("family,shape,seed,n", REGULAR)
def test_regular_beats_scipy_and_matches_the_profile(family, shape, seed, n):
    x = _draw(family, shape, seed, n)
    r = gradmle.fit(x, family, free_loc=True)
    assert r.status == "converged", r.message
    names = list(r.params)
    assert names == [{"gamma": "a", "lognormal": "s", "weibull": "c"}[family], "loc", "scale"]
    total = _total(family, x, r.params)
    assert total == pytest.approx(r.loglik * n, rel=1e-12)
    assert r.frozen().logpdf(x).sum() == pytest.approx(total, rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = DIST[family].fit(x)
    theirs = float(DIST[family].logpdf(x, *p).sum())
    if math.isfinite(theirs):
        assert total >= theirs - 1e-9 * abs(theirs)
    ref_value, ref_loc = _reference(family, x)
    assert total >= ref_value - 1e-9 * abs(ref_value)
    assert r.params["loc"] == pytest.approx(ref_loc, rel=1e-5, abs=1e-5 * float(x.std()))


@pytest.mark.parametrize("family,shape,seed,n", REGULAR[::2])
def test_stationary_with_the_observed_information(family, shape, seed, n):
    """The gradient of scipy's log-likelihood vanishes at the estimate (central
    differences), and the covariance is the inverse of its numerical Hessian."""
    x = _draw(family, shape, seed, n)
    r = gradmle.fit(x, family, free_loc=True)
    theta = np.array(list(r.params.values()))
    se = np.array(list(r.stderr.values()))
    h = 1e-4 * se

    def f(t):
        return float(DIST[family].logpdf(x, *t).sum())

    hess = np.zeros((3, 3))
    for i in range(3):
        e = np.zeros(3)
        e[i] = h[i]
        g = (f(theta + e) - f(theta - e)) / (2 * h[i])
        assert abs(g) * se[i] < 1e-4  # the score in units of the standard error: ~0
        for j in range(3):
            u = np.zeros(3)
            u[j] = h[j]
            hess[i, j] = (f(theta + e + u) - f(theta + e - u) - f(theta - e + u) + f(theta - e - u)) / (4 * h[i] * h[j])
    np.testing.assert_allclose(r.cov, np.linalg.inv(-hess), rtol=2e-3)


@pytest.mark.parametrize("family,shape", [("weibull", 0.7), ("gamma", 0.6)])
def test_unbounded_gives_the_maximum_product_of_spacings(family, shape):
    x = DIST[family].rvs(shape, loc=1.0, scale=2.0, size=800, random_state=7)
    r = gradmle.fit(x, family, free_loc=True)
    assert r.status == "boundary" and not r.converged
    assert r.outcome.code == "unbounded"
    assert "unbounded" in r.message and "maximum product of spacings" in r.message
    assert r.params == r.info["mps"]["params"]
    assert r.params["loc"] < x.min() and all(math.isfinite(v) for v in r.params.values())
    assert r.loglik * r.n == pytest.approx(_total(family, x, r.params), rel=1e-12)
    xs = np.sort(x)
    dist = DIST[family]

    def mean_log_spacing(p):
        F = np.concatenate(([0.0], dist.cdf(xs, *p), [1.0]))
        return float(np.mean(np.log(np.diff(F))))

    p = np.array(list(r.params.values()))
    best = mean_log_spacing(p)
    assert best == pytest.approx(r.info["mps"]["mean_log_spacing"], abs=1e-9)
    for i in range(3):  # a maximum: no nearby point has larger spacings
        for sign in (-1, 1):
            q = p.copy()
            q[i] += sign * 1e-3 * (abs(p[i]) if i != 1 else x.min() - p[1])
            assert mean_log_spacing(q) <= best + 1e-12
    assert abs(p[0] - shape) < 0.15  # and it estimates the shape


def test_too_little_skewness_runs_to_the_normal():
    x = st.norm.rvs(size=1000, random_state=1)
    r = gradmle.fit(x, "gamma", free_loc=True)
    assert r.status == "boundary" and "Normal" in r.message
    assert r.limit_fit.family == "normal" and r.limit_fit.converged


def test_exponential_closed_form():
    x = st.expon.rvs(loc=3.0, scale=2.0, size=1000, random_state=0)
    r = gradmle.fit(x, "exponential", free_loc=True)
    assert r.status == "boundary" and "boundary" in r.message and "1/n" in r.message
    assert r.params["loc"] == x.min()
    assert r.params["scale"] == pytest.approx(x.mean() - x.min(), rel=1e-12)
    assert r.loglik * r.n == pytest.approx(st.expon.logpdf(x, *r.params.values()).sum(), rel=1e-12)
    loc_s, scale_s = st.expon.fit(x)
    assert r.params["loc"] == pytest.approx(loc_s, rel=1e-12) and r.params["scale"] == pytest.approx(scale_s, rel=1e-12)
    u = r.info["unbiased"]
    assert u["scale"] == pytest.approx(r.params["scale"] * 1000 / 999, rel=1e-12)
    assert u["loc"] == pytest.approx(x.min() - u["scale"] / 1000, rel=1e-12)


@pytest.mark.parametrize("kw", [{"family": "normal"}, {"fixed": {"loc": 0.0}}, {"event": np.ones(50)},
                                {"method": "newton"}, {"weights": np.ones(50)}])
def test_refusals(kw):
    x = st.gamma.rvs(3.0, size=50, random_state=0)
    kw = dict({"family": "gamma"}, **kw)
    with pytest.raises(ValueError, match="free_loc"):
        gradmle.fit(x, free_loc=True, **kw)


def test_fixed_loc_still_fits_shifted_data():
    x = st.weibull_min.rvs(2.5, loc=1.0, scale=2.0, size=500, random_state=0)
    r = gradmle.fit(x, "weibull", fixed={"loc": 0.5})
    assert r.converged and list(r.params) == ["c", "scale"]
    ours = st.weibull_min.logpdf(x, r.params["c"], 0.5, r.params["scale"]).sum()
    theirs = st.weibull_min.logpdf(x, *st.weibull_min.fit(x, floc=0.5)).sum()
    assert ours >= theirs - 1e-12 * abs(theirs)


def test_command_line(tmp_path):
    path = tmp_path / "w.csv"
    np.savetxt(path, st.weibull_min.rvs(0.7, loc=1.0, scale=2.0, size=500, random_state=0))
    out = subprocess.run([sys.executable, "-m", "gradmle", "fit", str(path), "--family", "weibull", "--free-loc"],
                         capture_output=True, text=True)
    assert out.returncode == 3, out.stderr
    assert "boundary" in out.stdout and "unbounded" in out.stdout and "\nloc " in out.stdout


@pytest.mark.parametrize("family,shape", [("gamma", 4.0), ("lognormal", 0.5), ("weibull", 3.0)])
def test_thinned_scan_then_polish_matches_the_full_scan(family, shape, monkeypatch):
    """Above THIN values the grid and Brent run on every k-th order statistic and the
    full data are only polished: the same maximum as the scan of all the data."""
    from gradmle import freeloc

    x = DIST[family].rvs(shape, loc=1.5, scale=2.0, size=200_000, random_state=11)
    fast = gradmle.fit(x, family, free_loc=True)
    assert fast.info["grid_sample"] < x.size and fast.status == "converged", fast.message
    monkeypatch.setattr(freeloc, "THIN", x.size)
    full = gradmle.fit(x, family, free_loc=True)
    assert full.info["grid_sample"] == x.size and full.status == "converged"
    assert fast.loglik == pytest.approx(full.loglik, rel=1e-9)
    for name in fast.params:
        assert fast.params[name] == pytest.approx(full.params[name], rel=1e-6)


def test_midpoint_spacings_match_the_exact_sum():
    """The mean log spacing with its narrow spacings by the corrected midpoint rule
    equals the exact one (CDF differences) to float64's resolution of it, at the start
    and away from it."""
    from gradmle import freeloc, mps

    for family, shape in (("gamma", 0.6), ("weibull", 0.7), ("lognormal", 0.8)):
        x = np.sort(DIST[family].rvs(shape, loc=0.0, scale=2.0, size=100_000, random_state=3))
        d = x - x[0]
        start = (shape, 1e-6, 2.0)
        f = mps.MidpointSpacings(family, d, start)
        assert f.mid.size > 0.9 * x.size  # most spacings take the fast path
        for theta in (start, (shape * 1.01, 2e-6, 2.02), (shape * 0.99, 0.6e-6, 1.97)):
            assert f(theta) == pytest.approx(freeloc.spacings(family, d, theta), abs=1e-10)


@pytest.mark.parametrize("family,shape", [("weibull", 0.7), ("gamma", 0.6)])
def test_large_sample_spacings_by_newton_match_nelder_mead(family, shape, monkeypatch):
    """Above THIN values the maximum product of spacings is refined by Newton's method
    on the midpoint-rule objective: the same estimate as Nelder-Mead on the exact sum."""
    from gradmle import freeloc, mps

    x = DIST[family].rvs(shape, loc=1.0, scale=2.0, size=60_000, random_state=5)
    monkeypatch.setattr(freeloc, "THIN", 20_000)
    fast = gradmle.fit(x, family, free_loc=True)
    assert fast.outcome.code == "unbounded"
    monkeypatch.setattr(mps, "newton_mps", lambda *a, **k: (a[1], -math.inf, 0, False))
    monkeypatch.setattr(freeloc, "newton_mps", mps.newton_mps)
    slow = gradmle.fit(x, family, free_loc=True)
    a, b = fast.info["mps"]["mean_log_spacing"], slow.info["mps"]["mean_log_spacing"]
    assert a >= b - 1e-10, (a, b)
    for name in ("a", "c", "scale"):  # Nelder-Mead's own tolerance is 1e-7 in log shape, a flat direction
        if name in fast.params:
            assert fast.params[name] == pytest.approx(slow.params[name], rel=1e-5)
    gap = x.min() - fast.params["loc"]
    assert gap == pytest.approx(x.min() - slow.params["loc"], rel=1e-2)
