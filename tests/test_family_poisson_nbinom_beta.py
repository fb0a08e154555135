"""Poisson, negative binomial and beta against scipy.stats and finite differences."""

import math
import warnings

import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given, settings, strategies as st
from scipy.optimize import differential_evolution

import gradmle
from familycheck import check_derivatives, check_fisher, check_fits_against_scipy, check_loglik, check_stderr
from gradmle.families import get_family
from gradmle.streaming import statistics

pos = lambda lo, hi: st.floats(lo, hi).map(lambda v: float(v))


def _counts(draw):
    """Counts as floats, never all 0 (whose MLE is on the boundary: refused)."""
    def sample(t, n, rng):
        x = draw(t, n, rng).astype(float)
        if not x.any():
            x[0] = 1.0
        return x

    return sample


def _de(fun, bounds, *, integrality=None):
    # scipy.stats.fit would hold nbinom's n to whole numbers (the MLE is over real n > 0);
    # with its default tolerance it stops on the n-p ridge, far from the maximum.
    return differential_evolution(fun, bounds, seed=0, tol=1e-8, popsize=20)


FAMILIES = {
    "poisson": {
        "params": st.tuples(pos(0.05, 500.0)),
        "frozen": lambda t: ss.poisson(t[0]),
        "sample": _counts(lambda t, n, rng: rng.poisson(t[0], n)),
        "scipy_fit": lambda x: (float(np.mean(x)),),  # the closed form
    },
    "nbinom": {
        "params": st.tuples(pos(0.2, 50.0), pos(0.03, 0.9)),
        "frozen": lambda t: ss.nbinom(t[0], t[1]),
        "sample": _counts(lambda t, n, rng: rng.negative_binomial(t[0], t[1], n)),
        "scipy_fit": lambda x: tuple(ss.fit(ss.nbinom, x, bounds={"n": (1e-2, 1e3), "p": (1e-6, 1 - 1e-9)},
                                            optimizer=_de).params[:2]),
    },
    "beta": {
        "params": st.tuples(pos(0.2, 40.0), pos(0.2, 40.0)),
        "frozen": lambda t: ss.beta(t[0], t[1]),
        "sample": lambda t, n, rng: rng.beta(t[0], t[1], n),
        "scipy_fit": lambda x: ss.beta.fit(x, floc=0, fscale=1)[:2],
    },
}


@pytest.mark.parametrize("name", FAMILIES)
def test_loglik_and_derivatives(name):
    spec = FAMILIES[name]

    @settings(max_examples=40, deadline=None)
    @given(theta=spec["params"], seed=st.integers(0, 2**20))
    def run(theta, seed):
        x = spec["sample"](theta, 300, np.random.default_rng(seed))
        if name == "beta":  # a draw within 1e-16 of 0 or 1 rounds onto the edge
            x = x[(x > 0) & (x < 1)]
        check_loglik(name, theta, x, spec["frozen"](theta))
        # n and p are strongly correlated: the steps, a fixed fraction of each one's
        # marginal scale, are long across the ridge, and the terms of the value are of
        # the size of x log x: central differences carry errors of ~1e-5 for nbinom.
        check_derivatives(name, theta, x, rel=1e-4 if name == "nbinom" else 1e-5)

    run()


@pytest.mark.parametrize("theta", [(2.0, 0.4), (30.0, 0.97), (1e4, 0.9997), (1e7, 1 - 3e-7)])
def test_nbinom_derivatives_towards_the_poisson_limit(theta):
    """p near 1, where the generic steps would cross most of the way to p = 1: steps
    relative to n and to 1 - p."""
    fam = get_family("nbinom")
    stats = statistics(fam, np.random.default_rng(8).poisson(3.0, 500).astype(float))
    _, grad = fam.value_and_grad(theta, stats)
    hess = fam.hessian(theta, stats)
    steps = (1e-4 * theta[0], 1e-4 * (1 - theta[1]))
    for i, h in enumerate(steps):
        up, dn = list(theta), list(theta)
        up[i] += h
        dn[i] -= h
        (v_up, g_up), (v_dn, g_dn) = fam.value_and_grad(tuple(up), stats), fam.value_and_grad(tuple(dn), stats)
        assert math.isclose(grad[i], (v_up - v_dn) / (2 * h), rel_tol=1e-5), (i, grad[i], (v_up - v_dn) / (2 * h))
        fd = (np.array(g_up) - np.array(g_dn)) / (2 * h)
        assert np.allclose(hess[:, i], fd, rtol=1e-6, atol=0), (i, hess[:, i], fd)


@pytest.mark.parametrize("name", FAMILIES)
def test_objective_never_raises(name):
    """Any theta at all: a value (-inf outside the parameter space), no exception and
    no warning (RuntimeWarnings are errors here); scales never fail either."""
    fam = get_family(name)
    spec = FAMILIES[name]
    stats = statistics(fam, spec["sample"](tuple(2.0 if c == "positive" else 0.3 for c in fam.constraints), 500,
                                      np.random.default_rng(0)))
    obj = fam.objective(stats)
    anything = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
        [0.0, 5e-324, 1e-300, 1e-160, 1e-20, 1 - 1e-16, 1.0, 1e20, 1e300, 1.7e308])

    @settings(max_examples=300, deadline=None)
    @given(theta=st.tuples(*(anything for _ in fam.param_names)))
    def run(theta):
        value, grad = obj(theta)
        assert len(grad) == len(theta)
        scales = fam.scales(theta)
        assert len(scales) == len(theta)
        inside = all(math.isfinite(t) and t > 0 for t in theta) and (name != "nbinom" or theta[1] < 1)
        if not inside:
            assert value == -math.inf and all(math.isnan(g) for g in grad)
        elif math.isfinite(value):
            fam.hessian(theta, stats)
            fam.fisher(theta)

    run()


@pytest.mark.parametrize("name, theta", [("poisson", (3.5,)), ("poisson", (0.2,)), ("nbinom", (2.5, 0.3)),
                                         ("nbinom", (0.5, 0.05)), ("nbinom", (20.0, 0.8)), ("beta", (2.0, 5.0)),
                                         ("beta", (0.5, 0.5))])
def test_fisher_is_minus_the_expected_hessian(name, theta):
    check_fisher(name, theta, FAMILIES[name]["sample"])


def test_nbinom_fisher_sum_against_brute_force():
    """I_nn = E[trigamma(n) - trigamma(X + n)], summed directly over the pmf."""
    from scipy.special import polygamma

    fam = get_family("nbinom")
    for n, p in [(2.5, 0.3), (0.3, 0.01), (40.0, 0.9), (1e4, 0.999), (1.0, 1e-4)]:
        k = np.arange(ss.nbinom.ppf(1 - 1e-15, n, p) + 1)
        ref = float(np.sum(ss.nbinom.pmf(k, n, p) * (polygamma(1, n) - polygamma(1, k + n))))
        assert math.isclose(fam.fisher((n, p))[0, 0], ref, rel_tol=1e-6), (n, p)


@pytest.mark.parametrize("name", FAMILIES)
def test_fits_never_worse_than_scipy(name):
    spec = FAMILIES[name]
    rng = np.random.default_rng(13)
    datasets = []
    for _ in range(20):
        if name == "poisson":
            theta = (float(10 ** rng.uniform(-1, 3)),)
        elif name == "nbinom":
            theta = (float(10 ** rng.uniform(-0.5, 1.3)), float(rng.uniform(0.05, 0.85)))
        else:
            theta = (float(10 ** rng.uniform(-0.5, 1.5)), float(10 ** rng.uniform(-0.5, 1.5)))
        datasets.append(spec["sample"](theta, int(rng.integers(200, 2000)), rng))
    rows = check_fits_against_scipy(name, datasets, spec["scipy_fit"], spec["frozen"])
    # scipy found the same maximum on (almost) every data set: the estimates were compared.
    same = sum(theirs >= ours - 1e-6 * abs(ours) for ours, theirs in rows)
    assert same >= 18, rows


@pytest.mark.parametrize("name, theta", [("poisson", (3.5,)), ("nbinom", (2.5, 0.3)), ("beta", (2.0, 5.0))])
def test_standard_errors_match_inverse_fisher(name, theta):
    check_stderr(name, theta, FAMILIES[name]["sample"])


def test_poisson_closed_form_is_the_mean():
    x = np.random.default_rng(4).poisson(7.3, 1000).astype(float)
    r = gradmle.fit(x, family="poisson")
    assert r.converged and r.reference == {"mu": x.mean()}
    assert math.isclose(r.params["mu"], x.mean(), rel_tol=1e-14)
    assert math.isclose(r.loglik, float(np.mean(ss.poisson.logpmf(x, x.mean()))), rel_tol=1e-12)
    # Equal nonzero counts are fine: mu is that count.
    assert gradmle.fit([4.0, 4.0, 4.0], family="poisson").params["mu"] == pytest.approx(4.0, rel=1e-14)


@pytest.mark.parametrize("method", ["auto", "lbfgs", "newton", "fisher"])
@pytest.mark.parametrize("name", FAMILIES)
def test_methods_converge_on_typical_data(name, method):
    theta = {"poisson": (3.5,), "nbinom": (2.5, 0.3), "beta": (2.0, 5.0)}[name]
    x = FAMILIES[name]["sample"](theta, 2000, np.random.default_rng(0))
    r = gradmle.fit(x, family=name, method=method)
    assert r.converged, r.message
    best = gradmle.fit(x, family=name, tol=1e-13)
    for k, v in r.params.items():
        assert math.isclose(v, best.params[k], rel_tol=1e-6), (k, v, best.params[k])


def test_frozen_distributions():
    rng = np.random.default_rng(5)
    r = gradmle.fit(rng.poisson(3.0, 500).astype(float), family="poisson")
    assert r.frozen().dist.name == "poisson" and math.isclose(r.frozen().mean(), r.params["mu"])
    r = gradmle.fit(rng.negative_binomial(3.0, 0.4, 500).astype(float), family="nbinom")
    f = r.frozen()
    assert f.dist.name == "nbinom" and f.kwds == r.params
    assert math.isclose(f.mean(), r.params["n"] * (1 - r.params["p"]) / r.params["p"])
    r = gradmle.fit(rng.beta(2.0, 3.0, 500), family="beta")
    f = r.frozen()
    assert f.dist.name == "beta" and f.kwds == r.params and f.support() == (0.0, 1.0)


@pytest.mark.parametrize("method", ["auto", "fisher", "lbfgs", "gradient"])
def test_nbinom_poisson_limit_never_crashes_a_method(method):
    """Scoring steps there push p so close to 1 that it rounds to 1 (logit p > 37):
    every method ends with a verdict, and the summary (with its diagnosis) is written."""
    x = np.random.default_rng(6).binomial(10, 0.4, 3000).astype(float)
    r = gradmle.fit(x, family="nbinom", method=method, max_iter=300)
    assert r.status == ("max_iter" if method == "gradient" else "boundary"), r.message
    assert "nbinom" in r.summary()


def test_nbinom_without_over_dispersion_reports_the_poisson_limit():
    x = np.random.default_rng(6).binomial(10, 0.4, 3000).astype(float)  # variance < mean
    r = gradmle.fit(x, family="nbinom")
    assert r.status == "boundary" and not r.converged
    assert "n runs to infinity" in r.message and "Poisson" in r.message
    assert r.limit_fit.family == "poisson" and r.limit_fit.params["mu"] == pytest.approx(x.mean(), rel=1e-15)
    assert r.params["n"] > 1e5 * x.mean()
    # Its likelihood is the supremum: above every negative binomial scipy finds.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = FAMILIES["nbinom"]["scipy_fit"](x)
    assert r.limit_fit.loglik * x.size >= float(np.sum(ss.nbinom.logpmf(x, *theirs)))
    # Equal counts: no dispersion at all.
    assert gradmle.fit([3.0] * 50, family="nbinom").status == "boundary"


def test_nbinom_large_counts_and_large_n_keep_their_digits():
    """Sparse large counts (np.unique) and small counts (bincount), and n large enough
    for Stirling's series, against 40-digit arithmetic (scipy's logpmf itself loses
    digits there: lgamma(x + n) - lgamma(n) cancels). What is left: when x and n are
    both large, log C(x + n - 1, x) itself is of the size of x + n and cancels against
    n log p + x log(1 - p)."""
    import mpmath as mp

    fam = get_family("nbinom")
    rng = np.random.default_rng(7)
    for theta in [(2.0, 1e-4), (500.0, 0.9), (5e4, 0.5)]:
        x = rng.negative_binomial(*theta, 300).astype(float)
        stats = statistics(fam, x)
        values, counts = np.unique(x, return_counts=True)
        for n, p in (theta, (theta[0] * 3.0, theta[1]), (1e7, 0.999999)):
            with mp.workdps(40):
                N, P = mp.mpf(n), mp.mpf(p)
                ref = float(sum(int(c) * (mp.loggamma(N + k) - mp.loggamma(k + 1) - mp.loggamma(N) + N * mp.log(P)
                                          + k * mp.log1p(-P)) for k, c in zip(values.tolist(), counts)) / x.size)
            value = fam.value_and_grad((n, p), stats)[0]
            assert math.isclose(value, ref, rel_tol=1e-11), (n, p, value, ref)


def test_nbinom_large_over_dispersed_counts_converge():
    """Counts of 1e4 to 1e5 with n near 2: the value varies smoothly enough near the
    optimum for Newton's line search (lgamma(x + n) - lgamma(x + 1) without cancellation)."""
    x = np.random.default_rng(9).negative_binomial(2.0, 1e-4, 3000).astype(float)
    auto, fisher = (gradmle.fit(x, family="nbinom", method=m) for m in ("auto", "fisher"))
    assert auto.converged and fisher.converged, (auto.message, fisher.message)
    for k in ("n", "p"):
        assert math.isclose(auto.params[k], fisher.params[k], rel_tol=1e-8)


@pytest.mark.parametrize("name", FAMILIES)
def test_data_in_pieces_give_the_in_memory_fit(name):
    theta = {"poisson": (3.5,), "nbinom": (2.5, 0.3), "beta": (2.0, 5.0)}[name]
    x = FAMILIES[name]["sample"](theta, 3000, np.random.default_rng(10))
    whole = gradmle.fit(x, family=name)
    for data in ([x[:1], x[1:1000], x[1000:1000], x[1000:]], (c for c in np.array_split(x, 7))):
        r = gradmle.fit(data, family=name)
        assert r.status == whole.status and r.passes == 1
        for k, v in whole.params.items():
            assert math.isclose(r.params[k], v, rel_tol=1e-12), (k, r.params[k], v)


@pytest.mark.parametrize("name, data, words", [
    ("poisson", [1.0, 2.5, 3.0], "1 of 3 values are outside the support"),
    ("nbinom", [1.0, -1.0, 2.0, 2.5], "2 of 4 values are outside the support"),
    ("beta", [0.5, 0.0, 0.3], "outside the support"),
    ("beta", [0.2, 1.0], "values must be strictly between 0 and 1"),
    ("poisson", [0.0, 0.0, 0.0], "all 3 counts are 0"),
    ("nbinom", [0.0, 0.0], "all 2 counts are 0"),
    ("beta", [0.4, 0.4, 0.4], "all 3 values are equal"),
    ("poisson", [1.0, 2.0**60], "is above 2**53"),
    ("nbinom", [1.0, 1e300], "is above 2**53"),
])
def test_bad_data_are_named(name, data, words):
    with pytest.raises(ValueError) as info:
        gradmle.fit(data, family=name)
    assert words in str(info.value)
