"""Data whose values agree to many digits: fitted right to the resolution of float64,
or refused with the reason; never "converged" with a poor estimate."""

import math

import mpmath
import numpy as np
import pytest

import gradmle

mpmath.mp.dps = 60


def _mp(x):
    return [mpmath.mpf(float(v)) for v in x]


def lognormal_mle(x):
    ys = [mpmath.log(v) for v in _mp(x)]
    m = sum(ys) / len(ys)
    return float(mpmath.sqrt(sum((y - m) ** 2 for y in ys) / len(ys))), float(mpmath.exp(m))


def weibull_mle(x):
    xs = _mp(x)
    n, top = len(xs), max(xs)
    ys = [mpmath.log(v / top) for v in xs]
    yb = sum(ys) / n

    def profile(c):
        w = [mpmath.exp(c * y) for y in ys]
        return 1 / c + yb - sum(wi * y for wi, y in zip(w, ys)) / sum(w)

    c = mpmath.findroot(profile, mpmath.pi / mpmath.sqrt(6 * sum((y - yb) ** 2 for y in ys) / n))
    return float(c), float(top * (sum(mpmath.exp(c * y) for y in ys) / n) ** (1 / c))


@pytest.mark.parametrize("base, step", [(1e9, 1e-2), (1e3, 1e-6), (1.0, 1e-9), (1e12, 10.0)])
def test_lognormal_of_values_agreeing_to_many_digits(base, step):
    x = base + step * np.arange(100)
    s, scale = lognormal_mle(x)
    r = gradmle.fit(x, family="lognormal")
    assert r.converged
    assert r.params["s"] == pytest.approx(s, rel=1e-12) and r.params["scale"] == pytest.approx(scale, rel=1e-15)


@pytest.mark.parametrize("base, step", [(1e3, 1e-6), (1.0, 1e-6), (1e6, 1e-4)])
def test_weibull_of_values_agreeing_to_many_digits(base, step):
    x = base + step * np.arange(100)
    c, scale = weibull_mle(x)
    r = gradmle.fit(x, family="weibull")
    assert r.converged
    # The scale is held to half a unit in its last place: the shape it implies is then
    # good to about c * eps (relative), which the message says when that exceeds tol.
    assert abs(r.params["c"] / c - 1) <= max(1e-10, 4 * c * np.finfo(float).eps), (r.params, c)
    assert r.params["scale"] == pytest.approx(scale, rel=1e-15)
    if 4 * c * np.finfo(float).eps > 1e-10:
        assert "resolution of float64" in r.message


@pytest.mark.parametrize("family", ["lognormal", "weibull"])
def test_beyond_float64_the_fit_is_refused(family):
    x = 1e12 + 1e-3 * np.arange(100)
    with pytest.raises(ValueError, match="spread by only 2.89e-14.*fit family='normal'"):
        gradmle.fit(x, family=family)
    with pytest.raises(ValueError, match="such a gamma is a Normal"):
        gradmle.fit(x, family="gamma")


@pytest.mark.parametrize("family", ["logistic", "student_t", "laplace"])
def test_location_families_at_float_resolution(family):
    """Data that differ in their last bits (1 + k eps): the location is resolved finer
    than the spacing of floats at 1, so the scale keeps all its digits. The reference
    is the fit of the same values moved exactly to 0 (x - 1 and the units of eps are
    exact operations)."""
    eps = np.finfo(float).eps
    rng = np.random.default_rng(3)
    k = np.round(rng.standard_t(5, 400) * 20)
    x = 1.0 + k * eps
    r = gradmle.fit(x, family=family)
    ref = gradmle.fit(k, family=family)
    assert r.converged and ref.converged
    assert r.params["scale"] == pytest.approx(ref.params["scale"] * eps, rel=1e-12)
    assert r.params["loc"] == 1.0 + ref.params["loc"] * eps or \
        abs(r.params["loc"] - (1.0 + ref.params["loc"] * eps)) <= math.ulp(1.0)
    if family == "student_t":
        assert r.params["df"] == pytest.approx(ref.params["df"], rel=1e-9)
