"""The tails of the continuous families (gradmle.families.tails): values against
scipy.stats and, in the far tails, against mpmath; gradients and Hessians against
central differences of the mpmath values at 60 digits; the interval term against
log(F(b) - F(a)) in mpmath."""

import math

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from gradmle.families.tails import SHAPE_MAX, TAILS, log_interval, logcdf, logsf

DPS = 60


def mp_betainc(a, b, x):
    """I_x(a, b) from the series of positive terms x^a (1-x)^b / (a B(a, b))
    2F1(a + b, 1; a + 1; x) (mpmath's betainc fails to converge for parameters of 1e4)."""
    return x**a * (1 - x) ** b / (a * mp.beta(a, b)) * mp.hyp2f1(a + b, 1, a + 1, x, maxterms=10**6)


def mp_prob(name, x, th, upper):
    """S(x) (upper) or F(x) in mpmath, at the current precision."""
    x = mp.mpf(x)
    if name in ("exponential", "weibull"):
        c, s = (1, th[0]) if name == "exponential" else th
        u = (x / s) ** c
        return mp.exp(-u) if upper else -mp.expm1(-u)
    if name == "gamma":
        a, s = th
        return mp.gammainc(a, x / s, mp.inf, regularized=True) if upper else mp.gammainc(a, 0, x / s, regularized=True)
    if name == "beta":
        a, b = th
        # directly on the side of x away from the mean (the series converge slowly near 1)
        if x < a / (a + b):
            low = mp_betainc(a, b, x)
            return 1 - low if upper else low
        up = mp_betainc(b, a, 1 - x)
        return up if upper else 1 - up
    if name == "lognormal":
        s, scale = th
        z = mp.log(x / scale) / s
    else:
        loc, scale = th[-2:]
        z = (x - loc) / scale
    z = z if upper else -z  # the other families are symmetric: F(x) is S at -z
    if name in ("normal", "lognormal"):
        return mp.ncdf(-z)
    if name == "logistic":
        return 1 / (1 + mp.exp(z))
    if name == "laplace":
        return mp.exp(-z) / 2 if z > 0 else 1 - mp.exp(z) / 2
    nu = th[0]  # student_t: the tail beyond |z| is I_{nu/(nu+z^2)}(nu/2, 1/2) / 2
    p = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + z * z), regularized=True) / 2
    return p if z > 0 else 1 - p


def mp_tail(name, x, th, upper):
    """log S(x) or log F(x) in mpmath: the larger one as log1p of minus the other (so
    that log(1 - 1e-300) keeps its digits)."""
    p = mp_prob(name, x, th, upper)
    return mp.log(p) if p < 0.5 else mp.log1p(-mp_prob(name, x, th, not upper))


def mp_jet(name, x, theta, upper):
    """Value, gradient and Hessian in theta: central differences (step 1e-12 relative)
    of the 60-digit values on the 3^k grid: truncation ~1e-24, rounding ~1e-36 relative."""
    with mp.workdps(DPS):
        th = [mp.mpf(v) for v in theta]
        k = len(th)
        h = [mp.mpf("1e-12") * max(abs(v), 1) for v in th]
        cache = {}

        def f(*steps):
            if steps not in cache:
                cache[steps] = mp_tail(name, x, [v + s * d for v, s, d in zip(th, steps, h)], upper)
            return cache[steps]

        zero = (0,) * k
        e = [tuple(int(i == j) for j in range(k)) for i in range(k)]
        add = lambda *vs: tuple(sum(c) for c in zip(*vs))
        neg = lambda v: tuple(-c for c in v)
        grad = [(f(*e[i]) - f(*neg(e[i]))) / (2 * h[i]) for i in range(k)]
        hess = [[None] * k for _ in range(k)]
        for i in range(k):
            hess[i][i] = (f(*e[i]) - 2 * f(*zero) + f(*neg(e[i]))) / h[i] ** 2
            for j in range(i):
                v = (f(*add(e[i], e[j])) - f(*add(e[i], neg(e[j]))) - f(*add(neg(e[i]), e[j]))
                     + f(*add(neg(e[i]), neg(e[j])))) / (4 * h[i] * h[j])
                hess[i][j] = hess[j][i] = v
        return float(f(*zero)), np.array([float(g) for g in grad]), np.array([[float(v) for v in r] for r in hess])


#: (theta, points) per family: both far tails, the middle, and the shapes' range.
GRID = {
    "normal": [((1.0, 2.0), [1.0 + 2.0 * z for z in (-40.0, -5.0, -0.3, 0.0, 2.0, 10.0, 40.0)])],
    "exponential": [((2.0,), [2e-300, 2e-8, 1.0, 10.0, 1400.0])],
    "weibull": [((1.5, 2.0), [2.0 * u ** (1 / 1.5) for u in (1e-300, 1e-6, 0.7, 3.0, 700.0)]),
                ((0.3, 5.0), [1e-200, 0.01, 5.0, 1e9])],
    "lognormal": [((0.5, 2.0), [2.0 * math.exp(0.5 * z) for z in (-40.0, -3.0, 0.2, 4.0, 40.0)])],
    "logistic": [((1.0, 2.0), [1.0 + 2.0 * z for z in (-700.0, -40.0, -1.0, 0.5, 40.0, 700.0)])],
    "laplace": [((1.0, 2.0), [1.0 + 2.0 * z for z in (-700.0, -40.0, -1.0, 0.5, 40.0, 700.0)])],
    "student_t": [((df, 1.0, 2.0), [1.0 + 2.0 * z for z in (-1e5, -30.0, -1.0, 0.0, 0.5, 3.0, 30.0, 1e4)])
                  for df in (0.05, 0.7, 3.0, 40.0, 1e4)],
    "gamma": [((a, 2.0), [2.0 * r for r in rs]) for a, rs in (
        (0.05, (1e-300, 1e-20, 0.01, 1.0, 30.0, 700.0)),
        (0.7, (1e-100, 0.1, 0.5, 3.0, 740.0)),
        (3.5, (1e-10, 1.0, 3.2, 10.0, 700.0, 1e5)),
        (150.0, (10.0, 140.0, 151.0, 200.0, 1100.0)),
        (1e4, (3000.0, 9800.0, 1e4, 1.02e4, 3e4)),
    )],
    "beta": [((a, b), xs) for a, b, xs in (
        (0.05, 0.05, (1e-300, 1e-10, 0.3, 0.7, 1 - 1e-9)),
        (2.0, 3.0, (1e-200, 1e-5, 0.3, 0.6, 1 - 1e-12)),
        (0.5, 1e4, (1e-12, 5e-5, 2e-4, 0.01)),
        (1e4, 1e4, (0.3, 0.49, 0.5, 0.503, 0.7)),
        (150.0, 2.0, (0.1, 0.9, 0.99, 0.999999)),
    )],
}

#: Relative tolerance of the derivatives: the quadrature families, the analytic ones.
HARD = {"gamma", "beta", "student_t"}
CASES = [(name, theta, xs) for name, rows in GRID.items() for theta, xs in rows]


def close(got, want, rtol):
    """Elementwise relative error, with a floor of rtol times the largest entry of the
    observation (an entry that is a difference of much larger terms is good to that)."""
    floor = np.max(np.abs(want))
    return np.abs(got - want) <= rtol * np.maximum(np.abs(want), 1e-3 * floor) + 1e-300


@pytest.mark.parametrize("upper", [True, False], ids=["logsf", "logcdf"])
@pytest.mark.parametrize("name,theta,xs", CASES, ids=[f"{n}{t}" for n, t, _ in CASES])
def test_derivatives_against_mpmath(name, theta, xs, upper):
    fn = logsf if upper else logcdf
    value, grad, hess = fn(name, np.array(xs), theta, order=2)
    assert np.isfinite(value).all() and np.isfinite(grad).all() and np.isfinite(hess).all()
    rtol = 1e-8 if name in HARD else 1e-10
    for i, x in enumerate(xs):
        v, g, h = mp_jet(name, x, theta, upper)
        assert value[i] == pytest.approx(v, rel=1e-12 if name in HARD else 1e-13, abs=1e-300), (x, value[i], v)
        assert close(grad[i], g, rtol).all(), (x, grad[i], g)
        assert close(hess[i], h, rtol).all(), (x, hess[i], h)


SCIPY = {"normal": lambda t: st.norm(*t), "exponential": lambda t: st.expon(scale=t[0]),
         "lognormal": lambda t: st.lognorm(t[0], scale=t[1]), "gamma": lambda t: st.gamma(t[0], scale=t[1]),
         "weibull": lambda t: st.weibull_min(t[0], scale=t[1]), "logistic": lambda t: st.logistic(*t),
         "laplace": lambda t: st.laplace(*t), "student_t": lambda t: st.t(*t), "beta": lambda t: st.beta(*t)}


@pytest.mark.parametrize("name,theta,xs", CASES, ids=[f"{n}{t}" for n, t, _ in CASES])
def test_values_against_scipy_where_it_is_accurate(name, theta, xs):
    dist = SCIPY[name](theta)
    x = np.array(xs)
    for ours, theirs in ((logsf(name, x, theta), dist.logsf(x)), (logcdf(name, x, theta), dist.logcdf(x))):
        # scipy is accurate where its probability is a normal float and its log is not log(1 - tiny)
        ok = np.isfinite(theirs) & (theirs < -1e-12) & (theirs > -650.0)
        assert ours[ok] == pytest.approx(theirs[ok], rel=1e-12)
        assert np.isfinite(ours).all()


def test_orders_agree_and_shapes_follow_x():
    x = np.array([[0.5, 1.0, 2.0], [3.0, 10.0, 800.0]])
    v0 = logsf("gamma", x, (2.0, 1.5))
    v, g, h = logsf("gamma", x, (2.0, 1.5), order=2)
    v1, g1 = logsf("gamma", x, (2.0, 1.5), order=1)
    assert v0.shape == x.shape and g.shape == (2, 3, 2) and h.shape == (2, 3, 2, 2)
    assert np.array_equal(v0, v) and np.array_equal(v1, v) and np.array_equal(g1, g)
    assert logcdf("normal", 0.0, (0.0, 1.0)) == pytest.approx(math.log(0.5))


def test_support_ends_give_the_limits():
    v, g, h = logsf("gamma", np.array([-1.0, 0.0, np.inf]), (2.0, 1.0), order=2)
    assert v.tolist() == [0.0, 0.0, -np.inf] and not g.any() and not h.any()
    assert logcdf("beta", np.array([0.0, 1.0, 2.0]), (2.0, 3.0)).tolist() == [-np.inf, 0.0, 0.0]
    assert logcdf("normal", np.array([-np.inf, np.inf]), (0.0, 1.0)).tolist() == [-np.inf, 0.0]


def test_bad_arguments_raise():
    for call in (lambda: logsf("gamma", 1.0, (-1.0, 1.0)), lambda: logsf("gamma", 1.0, (2 * SHAPE_MAX, 1.0)),
                 lambda: logsf("normal", np.nan, (0.0, 1.0)), lambda: logsf("cauchy", 1.0, (0.0, 1.0)),
                 lambda: logsf("normal", 1.0, (0.0,)), lambda: log_interval("normal", 1.0, 0.0, (0.0, 1.0)),
                 lambda: logsf("normal", 1.0, (0.0, 1.0), order=3)):
        with pytest.raises(ValueError):
            call()


# -- the interval ---------------------------------------------------------------------------

def mp_interval(name, a, b, theta):
    with mp.workdps(40):
        fb = mp_prob(name, b, theta, False)
        if fb < 0.5:
            return float(mp.log(fb - mp_prob(name, a, theta, False)))
        return float(mp.log(mp_prob(name, a, theta, True) - mp_prob(name, b, theta, True)))


INTERVAL = {"normal": ((0.5, 2.0), -100.0, 100.0), "gamma": ((2.5, 1.5), 1e-30, 1500.0),
            "weibull": ((1.7, 2.0), 1e-30, 60.0), "student_t": ((2.5, 0.0, 1.0), -1e6, 1e6),
            "beta": ((2.0, 5.0), 1e-30, 1.0), "logistic": ((0.0, 1.0), -700.0, 700.0),
            "exponential": ((1.0,), 1e-30, 700.0), "lognormal": ((0.8, 1.0), 1e-30, 1e30),
            "laplace": ((0.0, 1.0), -700.0, 700.0)}


@settings(max_examples=60, deadline=None)
@given(name=hs.sampled_from(sorted(INTERVAL)), u=hs.floats(0.0, 1.0), v=hs.floats(0.0, 1.0))
def test_interval_matches_mpmath(name, u, v):
    theta, lo, hi = INTERVAL[name]
    geo = lo > 0.0  # positive families: points spread on the log scale
    pt = lambda w: lo * (hi / lo) ** w if geo else lo + (hi - lo) * w
    a, b = sorted((pt(u), pt(v)))
    if not a < b:
        return
    got = log_interval(name, a, b, theta)
    want = mp_interval(name, a, b, theta)
    assert np.isfinite(got) or not np.isfinite(want)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", sorted(INTERVAL))
def test_interval_derivatives_and_infinite_ends(name):
    theta, lo, hi = INTERVAL[name]
    a = np.array([lo * 10 if lo > 0 else -3.0, 0.5 if TAILS[name].lower == 0 else -1.0])
    b = a + np.array([0.5, 0.25])
    v, g, h = log_interval(name, a, b, theta, order=2)
    with mp.workdps(DPS):
        for i in range(2):
            _, ga, ha = mp_jet(name, a[i], theta, False)
            _, gb, hb = mp_jet(name, b[i], theta, False)
            fa, fb = math.exp(logcdf(name, a[i], theta)), math.exp(logcdf(name, b[i], theta))
            # d log(Fb - Fa) = (Fb dlogFb - Fa dlogFa) / (Fb - Fa)
            want = (fb * gb - fa * ga) / (fb - fa)
            assert g[i] == pytest.approx(want, rel=1e-7, abs=1e-12)
    lower = TAILS[name].lower
    full = log_interval(name, np.array([-np.inf, lower, -np.inf]), np.array([0.5, 0.5, np.inf]), theta, order=2)
    assert full[0][:2] == pytest.approx([float(logcdf(name, 0.5, theta))] * 2, rel=1e-15)
    assert full[0][2] == 0.0 and np.isfinite(full[1]).all() and np.isfinite(full[2]).all()
    same = log_interval(name, np.array([0.5]), np.array([np.inf]), theta, order=2)
    sf = logsf(name, np.array([0.5]), theta, order=2)
    for u, w in zip(same, sf):
        assert np.allclose(u, w, rtol=4e-15, atol=0)  # a few ulps: the same sums in another order


@pytest.mark.parametrize("name, theta, a, width", [
    ("beta", (2.0, 5.0), 1e-30, 2.8e-44), ("normal", (0.5, 2.0), 1.0, 1e-9), ("gamma", (2.5, 1.5), 3.0, 1e-8),
    ("weibull", (1.7, 2.0), 50.0, 1e-7), ("student_t", (2.5, 0.0, 1.0), -1e3, 1e-6),
])
def test_a_narrow_interval_keeps_its_digits(name, theta, a, width):
    # F(b) - F(a) would cancel to a few digits (or none): the interval is integrated.
    v, g, _ = log_interval(name, np.array([a]), np.array([a + width]), theta, order=2)
    assert v[0] == pytest.approx(mp_interval(name, a, a + width, theta), rel=1e-12)
    for i in range(len(theta)):
        step = 1e-6 * abs(theta[i]) or 1e-6
        up, dn = list(theta), list(theta)
        up[i] += step
        dn[i] -= step
        fd = (log_interval(name, a, a + width, tuple(up)) - log_interval(name, a, a + width, tuple(dn))) / (2 * step)
        assert g[0, i] == pytest.approx(fd, rel=1e-6, abs=1e-8)
