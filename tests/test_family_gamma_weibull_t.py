"""Gamma, Weibull and Student-t against scipy.stats and finite differences."""

import math

import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given, settings, strategies as st

import gradmle
from familycheck import check_derivatives, check_fisher, check_fits_against_scipy, check_loglik, check_stderr

pos = lambda lo, hi: st.floats(lo, hi).map(lambda v: float(v))

FAMILIES = {
    "gamma": {
        "params": st.tuples(pos(0.2, 30.0), pos(1e-3, 1e3)),
        "frozen": lambda t: ss.gamma(t[0], scale=t[1]),
        "sample": lambda t, n, rng: rng.gamma(t[0], t[1], n),
        "scipy_fit": lambda x: (lambda a, loc, s: (a, s))(*ss.gamma.fit(x, floc=0)),
    },
    "weibull": {
        "params": st.tuples(pos(0.3, 20.0), pos(1e-3, 1e3)),
        "frozen": lambda t: ss.weibull_min(t[0], scale=t[1]),
        "sample": lambda t, n, rng: t[1] * rng.weibull(t[0], n),
        "scipy_fit": lambda x: (lambda c, loc, s: (c, s))(*ss.weibull_min.fit(x, floc=0)),
    },
    "student_t": {
        "params": st.tuples(pos(0.7, 60.0), st.floats(-100, 100), pos(1e-2, 1e2)),
        "frozen": lambda t: ss.t(t[0], loc=t[1], scale=t[2]),
        "sample": lambda t, n, rng: t[1] + t[2] * rng.standard_t(t[0], n),
        "scipy_fit": lambda x: ss.t.fit(x),
    },
}


@pytest.mark.parametrize("name", FAMILIES)
def test_loglik_and_derivatives(name):
    spec = FAMILIES[name]

    @settings(max_examples=25, deadline=None)
    @given(theta=spec["params"], seed=st.integers(0, 2**20))
    def run(theta, seed):
        x = spec["sample"](theta, 300, np.random.default_rng(seed))
        x = x[np.isfinite(x) & (x > 0 if name != "student_t" else True)]
        check_loglik(name, theta, x, spec["frozen"](theta))
        # Derivatives near the data's own scale (far-off points are checked by the fits).
        check_derivatives(name, theta, x)

    run()


@pytest.mark.parametrize("name, theta", [("gamma", (2.5, 3.0)), ("gamma", (0.4, 0.01)), ("weibull", (1.7, 4.0)),
                                         ("weibull", (0.6, 200.0)), ("student_t", (4.0, 2.0, 3.0)),
                                         ("student_t", (12.0, -1.0, 0.5))])
def test_fisher_is_minus_the_expected_hessian(name, theta):
    check_fisher(name, theta, FAMILIES[name]["sample"])


@pytest.mark.parametrize("name", FAMILIES)
def test_fits_never_worse_than_scipy(name):
    spec = FAMILIES[name]
    rng = np.random.default_rng(11)
    datasets = []
    for k in range(20):
        theta = spec["params"].example() if False else None
        if name == "gamma":
            theta = (float(rng.uniform(0.3, 10)), float(10 ** rng.uniform(-2, 2)))
        elif name == "weibull":
            theta = (float(rng.uniform(0.5, 8)), float(10 ** rng.uniform(-2, 2)))
        else:
            theta = (float(rng.uniform(1.5, 30)), float(rng.uniform(-10, 10)), float(10 ** rng.uniform(-1, 1)))
        datasets.append(spec["sample"](theta, int(rng.integers(200, 2000)), rng))
    check_fits_against_scipy(name, datasets, spec["scipy_fit"], spec["frozen"])


@pytest.mark.parametrize("name, theta", [("gamma", (2.5, 3.0)), ("weibull", (1.7, 4.0)), ("student_t", (5.0, 1.0, 2.0))])
def test_standard_errors_match_inverse_fisher(name, theta):
    check_stderr(name, theta, FAMILIES[name]["sample"])


def test_student_t_on_normal_looking_data_reports_the_normal_limit():
    x = ss.norm.ppf((np.arange(3000) + 0.5) / 3000) * 2.0 + 5.0
    r = gradmle.fit(x, family="student_t")
    assert r.status == "boundary" and not r.converged
    assert "df runs to infinity" in r.message and "Normal" in r.message
    assert r.limit_fit.family == "normal" and math.isclose(r.limit_fit.params["mu"], 5.0, abs_tol=1e-12)
    assert r.params["df"] > 1e5


def test_fixed_parameters_are_held():
    x = ss.t.rvs(5.0, 1.0, 2.0, size=3000, random_state=2)
    r = gradmle.fit(x, family="student_t", fixed={"df": 5.0})
    assert r.converged and r.params["df"] == 5.0 and r.stderr["df"] is None
    assert np.all(r.trace["df"] == 5.0)
    # Against scipy with the same df fixed.
    df, loc, scale = ss.t.fit(x, fdf=5.0)
    assert math.isclose(r.params["loc"], loc, rel_tol=1e-4) and math.isclose(r.params["scale"], scale, rel_tol=1e-4)


def test_fixed_loc_shifts_the_data_like_scipys_floc():
    x = 10.0 + np.random.default_rng(3).gamma(2.0, 1.5, 5000)
    r = gradmle.fit(x, family="gamma", fixed={"loc": 10.0})
    a, loc, scale = ss.gamma.fit(x, floc=10.0)
    assert r.converged and math.isclose(r.params["a"], a, rel_tol=1e-6) and math.isclose(r.params["scale"], scale, rel_tol=1e-6)
    frozen = r.frozen()
    assert frozen.kwds["loc"] == 10.0 and math.isclose(frozen.mean(), x.mean(), rel_tol=1e-6)


@pytest.mark.parametrize("name, data, words", [
    ("gamma", [1.0, 2.0, 0.0, -3.0], "2 of 4 values are outside the support"),
    ("weibull", [1.0, -2.0, 3.0], "values must be > 0"),
    ("gamma", [2.0, 2.0, 2.0], "all 3 values are equal"),
    ("student_t", [1.0, 1.0], "all 2 values are equal"),
])
def test_data_outside_the_support_are_named(name, data, words):
    with pytest.raises(ValueError) as info:
        gradmle.fit(data, family=name)
    assert words in str(info.value)


def test_unknown_fixed_parameter():
    with pytest.raises(ValueError, match="unknown parameter 'shape'"):
        gradmle.fit([1.0, 2.0, 3.0], family="gamma", fixed={"shape": 1.0})
    with pytest.raises(ValueError, match="every parameter"):
        gradmle.fit([1.0, 2.0, 3.0], family="gamma", fixed={"a": 1.0, "scale": 2.0})
