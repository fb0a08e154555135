"""Exponential, lognormal, Laplace and logistic against scipy.stats and finite differences."""

import math

import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given, settings, strategies as st

import gradmle
from familycheck import check_derivatives, check_fisher, check_fits_against_scipy, check_loglik, check_stderr
from gradmle.families import get_family
from gradmle.streaming import statistics

pos = lambda lo, hi: st.floats(lo, hi).map(lambda v: float(v))

FAMILIES = {
    "exponential": {
        "params": st.tuples(pos(1e-3, 1e3)),
        "frozen": lambda t: ss.expon(scale=t[0]),
        "sample": lambda t, n, rng: rng.exponential(t[0], n),
        "scipy_fit": lambda x: (ss.expon.fit(x, floc=0)[1],),
        "draw": lambda rng: (float(10 ** rng.uniform(-2, 2)),),
    },
    "lognormal": {
        "params": st.tuples(pos(0.05, 4.0), pos(1e-3, 1e3)),
        "frozen": lambda t: ss.lognorm(t[0], scale=t[1]),
        "sample": lambda t, n, rng: t[1] * np.exp(t[0] * rng.standard_normal(n)),
        "scipy_fit": lambda x: (lambda s, loc, scale: (s, scale))(*ss.lognorm.fit(x, floc=0)),
        "draw": lambda rng: (float(rng.uniform(0.1, 3.0)), float(10 ** rng.uniform(-2, 2))),
    },
    "laplace": {
        "params": st.tuples(st.floats(-100, 100), pos(1e-2, 1e2)),
        "frozen": lambda t: ss.laplace(t[0], t[1]),
        "sample": lambda t, n, rng: rng.laplace(t[0], t[1], n),
        "scipy_fit": lambda x: ss.laplace.fit(x),
        "draw": lambda rng: (float(rng.uniform(-10, 10)), float(10 ** rng.uniform(-1, 1))),
    },
    "logistic": {
        "params": st.tuples(st.floats(-100, 100), pos(1e-2, 1e2)),
        "frozen": lambda t: ss.logistic(t[0], t[1]),
        "sample": lambda t, n, rng: rng.logistic(t[0], t[1], n),
        "scipy_fit": lambda x: ss.logistic.fit(x),
        "draw": lambda rng: (float(rng.uniform(-10, 10)), float(10 ** rng.uniform(-1, 1))),
    },
}
CLOSED = ("exponential", "lognormal", "laplace")


def _away_from_data(theta, x):
    """Laplace: move loc to the middle of a gap between data values (at least 1e-3 b
    wide), so that finite differences in loc never step over a kink."""
    loc, b = theta
    xs = np.sort(x)
    gaps = np.diff(xs)
    mids = (xs[:-1] + xs[1:])[gaps >= 1e-3 * b] / 2
    mids = np.concatenate([mids, [xs[0] - b, xs[-1] + b]])
    return (float(mids[np.argmin(np.abs(mids - loc))]), b)


@pytest.mark.parametrize("name", FAMILIES)
def test_loglik_and_derivatives(name):
    spec = FAMILIES[name]

    @settings(max_examples=20, deadline=None)
    @given(theta=spec["params"], seed=st.integers(0, 2**20))
    def run(theta, seed):
        x = spec["sample"](theta, 300, np.random.default_rng(seed))
        if get_family(name).support == "positive":
            x = x[x > 0]
        check_loglik(name, theta, x, spec["frozen"](theta))
        if name == "laplace":
            # Between data values l is smooth in loc with d2l/dloc2 = 0, and
            # check_derivatives checks that 0 too.
            theta = _away_from_data(theta, x)
            check_loglik(name, theta, x, spec["frozen"](theta))
        check_derivatives(name, theta, x)

    run()


@pytest.mark.parametrize("name, theta", [("exponential", (2.5,)), ("exponential", (1e-3,)), ("lognormal", (0.8, 3.0)),
                                         ("lognormal", (2.5, 1e3)), ("logistic", (1.0, 2.0)), ("logistic", (-50.0, 0.05))])
def test_fisher_is_minus_the_expected_hessian(name, theta):
    check_fisher(name, theta, FAMILIES[name]["sample"])


@pytest.mark.parametrize("theta", [(1.0, 2.0), (-30.0, 0.1)])
def test_laplace_fisher_in_the_scale_is_minus_the_expected_hessian(theta):
    # The Hessian in loc is 0 almost everywhere: only the scale entries compare.
    fam = get_family("laplace")
    x = FAMILIES["laplace"]["sample"](theta, 400_000, np.random.default_rng(0))
    h = -fam.hessian(theta, statistics(fam, x))
    f = fam.fisher(theta)
    assert h[0, 0] == 0.0
    assert abs(h[1, 1] - f[1, 1]) <= 0.03 * f[1, 1] and abs(h[0, 1]) <= 0.03 * f[1, 1], (h, f)


def test_laplace_information_in_loc_is_the_spread_of_the_median():
    # What information() gives for loc (1/b^2 per observation): var(median) ~ b^2 / n.
    b, n, reps = 2.0, 1001, 600
    x = np.random.default_rng(4).laplace(5.0, b, (reps, n))
    sd = float(np.median(x, axis=1).std())
    fam = get_family("laplace")
    r = gradmle.fit(x[0], family="laplace")
    assert np.allclose(fam.information((5.0, b), statistics(fam, x[0])), fam.fisher((5.0, b)))
    assert math.isclose(sd, b / math.sqrt(n), rel_tol=0.1), (sd, b / math.sqrt(n))
    assert math.isclose(r.stderr["loc"], r.params["scale"] / math.sqrt(n), rel_tol=1e-12)


@pytest.mark.parametrize("name", FAMILIES)
def test_fits_never_worse_than_scipy(name):
    spec = FAMILIES[name]
    rng = np.random.default_rng(12)
    datasets = [spec["sample"](spec["draw"](rng), int(rng.integers(200, 2000)), rng) for _ in range(20)]
    check_fits_against_scipy(name, datasets, spec["scipy_fit"], spec["frozen"])


@pytest.mark.parametrize("name, theta", [("exponential", (2.0,)), ("lognormal", (0.8, 3.0)), ("laplace", (1.0, 2.0)),
                                         ("logistic", (1.0, 2.0))])
def test_standard_errors_match_inverse_fisher(name, theta):
    check_stderr(name, theta, FAMILIES[name]["sample"])


@pytest.mark.parametrize("name", CLOSED)
@pytest.mark.parametrize("n", [400, 1000])
def test_closed_form_equals_the_iterative_fits(name, n):
    spec = FAMILIES[name]
    rng = np.random.default_rng(n)
    x = spec["sample"](spec["draw"](rng), n, rng)
    cf = gradmle.fit(x, family=name, method="closed_form")
    auto = gradmle.fit(x, family=name)
    assert cf.converged and auto.converged
    for k in cf.params:
        assert math.isclose(auto.params[k], cf.params[k], rel_tol=1e-9, abs_tol=1e-12)
    if name == "laplace":
        return  # other starts: see test_laplace_iterative_fits_from_a_poor_start
    # From a poor start every method finds the closed form.
    init = {k: v * 3.0 for k, v in cf.params.items()}
    for method in ("auto", "newton", "fisher", "lbfgs", "linesearch"):
        r = gradmle.fit(x, family=name, method=method, init=init)
        assert r.converged, (method, r.message)
        for k in cf.params:
            assert math.isclose(r.params[k], cf.params[k], rel_tol=1e-9), (method, r.params, cf.params)


def test_laplace_iterative_fits_from_a_poor_start():
    x = np.random.default_rng(6).laplace(2.0, 3.0, 1000)
    cf = gradmle.fit(x, family="laplace", method="closed_form")
    lo, hi = np.sort(x)[[499, 500]]
    for method in ("auto", "lbfgs"):
        # n even: every loc between the two middle values is a maximizer (the
        # subgradient there is 0), and the scale is the same for all of them.
        r = gradmle.fit(x, family="laplace", method=method, init={"loc": 0.0, "scale": 1.0})
        assert r.converged, (method, r.message)
        assert lo <= r.params["loc"] <= hi
        assert math.isclose(r.params["scale"], cf.params["scale"], rel_tol=1e-9)
        assert r.loglik >= cf.loglik - 1e-12 * abs(cf.loglik)
    # n odd: the maximizer in loc is a kink at the median value; iterates approach it
    # (to ~1e-10) but the subgradient is 0 only on it exactly, so they need not stop.
    y = x[:999]
    cf = gradmle.fit(y, family="laplace", method="closed_form")
    r = gradmle.fit(y, family="laplace", init={"loc": 0.0, "scale": 1.0}, max_iter=100)
    assert abs(r.params["loc"] - cf.params["loc"]) <= 1e-6 * cf.params["scale"]
    assert r.loglik >= cf.loglik - 1e-9 * abs(cf.loglik)


def test_laplace_ties_at_the_median():
    # Rounded data: many values equal the median; the subgradient there is 0.
    x = np.round(np.random.default_rng(7).laplace(2.0, 3.0, 1000))
    r = gradmle.fit(x, family="laplace")
    loc, scale = ss.laplace.fit(x)
    assert r.converged and r.nit == 0
    assert r.params["loc"] == loc and math.isclose(r.params["scale"], scale, rel_tol=1e-12)
    fam = get_family("laplace")
    assert fam.value_and_grad((loc, scale), statistics(fam, x))[1][0] == 0.0


def test_frozen_distributions():
    rng = np.random.default_rng(8)
    cases = [("exponential", 3.0 + rng.exponential(2.0, 500), {"loc": 3.0}, ss.expon(3.0, 2.0)),
             ("lognormal", 1.0 + rng.lognormal(0.5, 0.7, 500), {"loc": 1.0}, ss.lognorm(0.7, 1.0, math.exp(0.5))),
             ("laplace", rng.laplace(1.0, 2.0, 500), None, ss.laplace(1.0, 2.0)),
             ("logistic", rng.logistic(1.0, 2.0, 500), None, ss.logistic(1.0, 2.0))]
    for name, x, fixed, truth in cases:
        r = gradmle.fit(x, family=name, fixed=fixed)
        frozen = r.frozen()
        assert r.converged and frozen.dist.name == truth.dist.name
        assert math.isclose(float(frozen.logpdf(x).sum()), r.loglik * x.size, rel_tol=1e-12)
        assert abs(frozen.median() - np.median(x)) <= 0.2 * truth.std(), (name, frozen.median(), np.median(x))
    r = gradmle.fit(cases[0][1], family="expon", fixed={"loc": 3.0})
    assert math.isclose(r.params["scale"], ss.expon.fit(cases[0][1], floc=3.0)[1], rel_tol=1e-12)


@pytest.mark.parametrize("name", FAMILIES)
def test_objective_never_raises(name):
    fam = get_family(name)
    x = np.abs(FAMILIES[name]["sample"](FAMILIES[name]["draw"](np.random.default_rng(9)), 200, np.random.default_rng(9)))
    f = fam.objective(statistics(fam, x))
    p = len(fam.param_names)
    for bad in (0.0, -1.0, math.nan, math.inf):
        value, grad = f((1.0,) * (p - 1) + (bad,))
        assert value == -math.inf and all(math.isnan(g) for g in grad)
    for odd in (1e-300, 5e-324, 1e300, 1.7e308):
        for loc in ((1.0,), (-1e308,), (1e308,)) if p == 2 else ((),):
            theta = loc + (odd,)
            value, grad = f(theta)
            assert not math.isnan(value) and value < math.inf
            if math.isfinite(value):
                fam.hessian(theta, statistics(fam, x))


@pytest.mark.parametrize("name, data, words", [
    ("lognormal", [1.0, 2.0, 0.0], "1 of 3 values are outside the support"),
    ("exponential", [1.0, -2.0, 3.0], "values must be > 0"),
    ("lognormal", [2.0, 2.0, 2.0], "all 3 values are equal"),
    ("laplace", [1.0, 1.0], "all 2 values are equal"),
    ("logistic", [-4.0, -4.0, -4.0], "all 3 values are equal"),
])
def test_data_outside_the_support_are_named(name, data, words):
    with pytest.raises(ValueError) as info:
        gradmle.fit(data, family=name)
    assert words in str(info.value)


def test_exponential_with_equal_values_has_an_mle():
    r = gradmle.fit([2.0, 2.0, 2.0], family="exponential")
    assert r.converged and r.params["scale"] == 2.0
