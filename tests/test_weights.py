"""Frequency weights on every family (gradmle.weighted): the fit of values with counts
is the fit of the values repeated, through the family's own reduction."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.optimize

import gradmle
from gradmle.io import DataError

RNG = np.random.default_rng(12)
N = 300
SAMPLES = {
    "normal": RNG.normal(3.0, 2.0, N),
    "exponential": RNG.exponential(2.0, N),
    "lognormal": RNG.lognormal(0.5, 0.8, N),
    "gamma": RNG.gamma(2.5, 3.0, N),
    "weibull": 3.0 * RNG.weibull(1.5, N),
    "student_t": 1.0 + 2.0 * RNG.standard_t(4.0, N),
    "laplace": RNG.laplace(-1.0, 0.5, N),
    "logistic": RNG.logistic(1.0, 2.0, N),
    "poisson": RNG.poisson(3.0, N).astype(float),
    "nbinom": RNG.negative_binomial(2.0, 0.3, N).astype(float),
    "beta": RNG.beta(2.0, 3.0, N),
    "pareto": 2.0 * (1.0 + RNG.pareto(3.0, N)),
    "fisk": 2.0 * np.exp(RNG.logistic(0.0, 1.0 / 3.0, N)),
    "invgauss": RNG.wald(1.5, 3.0, N),
    "rayleigh": RNG.rayleigh(2.0, N),
    "halfnorm": np.abs(RNG.normal(0.0, 2.0, N)),
    "cauchy": 1.0 + 2.0 * RNG.standard_cauchy(N),
    "geom": RNG.geometric(0.3, N).astype(float),
    "binom": RNG.binomial(10, 0.3, N).astype(float),
}
#: (drawn from their own generator: the draws above, and COUNTS below, stay as they were)
_EXTREMES = np.random.default_rng(13)
SAMPLES.update({
    "gumbel_r": _EXTREMES.gumbel(1.0, 2.0, N),
    "genextreme": 1.0 + 2.0 * (1.0 - _EXTREMES.exponential(1.0, N) ** 0.1) / 0.1,  # scipy's c = 0.1
    "genpareto": 1.5 * _EXTREMES.pareto(5.0, N),                                  # c = 0.2
})
#: What a fit of the family must be told (a known parameter).
FIT_KW = {"binom": {"fixed": {"n": 10}}}
#: Integer weights, about a quarter of them 0.
COUNTS = RNG.integers(0, 4, N)
#: Families whose fit iterates over passes: a weighted sum and the sum over repeated
#: values round differently (~1e-16 per sum), and the runs stop by the same rule at
#: points that differ by that much times the conditioning of the Hessian. The t's
#: df is the worst conditioned parameter here (a flat likelihood in df).
LOOSE = {"student_t": 1e-10}


def test_every_family_is_covered():
    assert set(SAMPLES) == set(gradmle.FAMILIES)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


@pytest.mark.parametrize("family", list(SAMPLES))
def test_integer_weights_are_the_repeated_data(family):
    x = SAMPLES[family]
    kw = FIT_KW.get(family, {})
    r = gradmle.fit(x, family=family, weights=COUNTS, **kw)
    ref = gradmle.fit(np.repeat(x, COUNTS), family=family, **kw)
    assert r.converged and ref.converged
    assert r.n == ref.n == int(COUNTS.sum()) and isinstance(r.n, int)
    tol = LOOSE.get(family, 1e-12)
    for k in ref.params:
        assert _rel(r.params[k], ref.params[k]) < tol, (k, r.params[k], ref.params[k])
        if k in kw.get("fixed", {}):
            continue
        assert _rel(r.stderr[k], ref.stderr[k]) < 10 * tol, (k, r.stderr[k], ref.stderr[k])
    assert _rel(r.loglik, ref.loglik) < tol
    assert r.info["censoring"]["described"] == f"{int(COUNTS.sum())} observed (frequency weights on {N} rows)"
    assert "data: " in r.summary()


def _logdensity(dist):
    return getattr(dist, "logpdf", None) or dist.logpmf


@pytest.mark.parametrize("family", list(SAMPLES))
def test_fractional_weights_maximize_the_weighted_likelihood(family):
    """The weighted average log-likelihood at the estimate, from scipy.stats, is the one
    reported, and scipy.optimize finds nothing higher."""
    x = SAMPLES[family]
    w = RNG.uniform(0.0, 3.0, N)
    w[::7] = 0.0
    r = gradmle.fit(x, family=family, weights=w, **FIT_KW.get(family, {}))
    assert r.converged and r.n == pytest.approx(w.sum(), rel=1e-15)
    fam = gradmle.FAMILIES[family]
    held = FIT_KW.get(family, {}).get("fixed", {})
    names = [k for k in r.params if k not in held]

    def loglik(theta) -> float:
        with np.errstate(all="ignore"):
            values = _logdensity(fam.frozen(dict(zip(names, theta), **held)))(x)
            total = float(np.sum(w * np.where(w > 0, values, 0.0)))
        return total / w.sum() if math.isfinite(total) else -math.inf

    assert _rel(loglik([r.params[k] for k in names]), r.loglik) < 1e-12
    start = np.array([r.params[k] for k in names]) * 1.05
    best = scipy.optimize.minimize(lambda t: -loglik(t), start, method="Nelder-Mead",
                                   options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})
    assert r.loglik >= -best.fun - 1e-9 * abs(best.fun)


def test_closed_forms_use_the_weighted_statistics():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    w = np.array([0.5, 1.5, 2.0, 0.25])
    mean = float(np.sum(w * x) / w.sum())
    r = gradmle.fit(x, family="normal", weights=w, method="closed_form")
    assert r.params["mu"] == pytest.approx(mean, rel=1e-15)
    assert r.params["sigma"] == pytest.approx(math.sqrt(np.sum(w * (x - mean) ** 2) / w.sum()), rel=1e-14)
    assert gradmle.fit(x, family="exponential", weights=w).params["scale"] == pytest.approx(mean, rel=1e-15)
    assert gradmle.fit(x, family="poisson", weights=w).params["mu"] == pytest.approx(mean, rel=1e-15)
    lap = gradmle.fit(x, family="laplace", weights=w)
    assert lap.params["loc"] == 4.0  # cumulative weights 0.5, 2, 4 of 4.25: past half at 4
    assert lap.params["scale"] == pytest.approx(float(np.sum(w * np.abs(x - 4.0)) / w.sum()), rel=1e-15)
    assert lap.n == 4.25 and "4.25 observed" in lap.summary()


def test_laplace_median_interval_as_numpy():
    """Where the cumulative weight reaches exactly half, loc is the middle of the
    median interval, as np.median gives it for an even count."""
    x = np.array([1.0, 2.0, 5.0, 9.0])
    w = np.array([1, 2, 2, 1])
    r = gradmle.fit(x, family="laplace", weights=w)
    assert r.params["loc"] == np.median(np.repeat(x, w)) == 3.5


def test_weighted_normal_keeps_its_digits():
    """NIST NumAcc4-like data: the weighted two-sweep moments keep the spread."""
    x = 1e7 + 0.1 * np.arange(1, 6)
    w = np.array([1, 2, 3, 2, 1])
    r = gradmle.fit(x, family="normal", weights=w, method="closed_form")
    ref = gradmle.fit(np.repeat(x, w), family="normal", method="closed_form")
    assert _rel(r.params["sigma"], ref.params["sigma"]) < 1e-9


def test_zero_weight_rows_count_nothing():
    """A row of weight 0 is left out: its value may be anything, even outside the support."""
    x = np.array([1.0, 2.0, -3.0, np.nan, 4.0])
    w = np.array([1.0, 2.0, 0.0, 0.0, 1.0])
    r = gradmle.fit(x, family="gamma", weights=w)
    ref = gradmle.fit([1.0, 2.0, 2.0, 4.0], family="gamma")
    assert _rel(r.params["a"], ref.params["a"]) < 1e-12 and r.n == 4


def test_single_row_with_a_count():
    r = gradmle.fit([3.0], family="exponential", weights=[4])
    assert r.params["scale"] == 3.0 and r.n == 4
    with pytest.raises(DataError, match=r"^the weights sum to 1.5: at least 2 observations are needed$"):
        gradmle.fit([3.0], family="exponential", weights=[1.5])


def test_drop_and_mask_take_the_weights_along():
    x = np.array([1.0, np.inf, 2.0, 3.0, 5.0])
    w = np.array([2.0, 9.0, 1.0, 1.0, 3.0])
    r = gradmle.fit(x, family="poisson", weights=w, nonfinite="drop")
    assert r.n == 7 and r.params["mu"] == pytest.approx((2 + 2 + 3 + 15) / 7, rel=1e-15)
    assert r.info["dropped"] == {"nonfinite": 1}
    m = np.ma.masked_array([1.0, 99.0, 2.0, 3.0, 5.0], mask=[0, 1, 0, 0, 0])
    r = gradmle.fit(m, family="poisson", weights=w)
    assert r.n == 7 and r.params["mu"] == pytest.approx(22 / 7, rel=1e-15)


def test_limit_fit_is_weighted():
    """A t fitted to Normal-looking data runs to its Normal limit, fitted to the same
    weighted data."""
    x = RNG.normal(0.0, 1.0, 400)
    w = RNG.integers(1, 3, 400)
    r = gradmle.fit(x, family="student_t", weights=w)
    if r.status == "boundary":
        ref = gradmle.fit(np.repeat(x, w), family="normal")
        assert _rel(r.limit_fit.params["sigma"], ref.params["sigma"]) < 1e-12


@pytest.mark.parametrize("weights, message", [
    ([1, 2], r"weights has 2 values for 3 observations: give one per observation"),
    ([1, -1, 2], r"weights must be finite and >= 0; weights\[1\] = -1.0"),
    ([1, np.inf, 2], r"weights must be finite and >= 0; weights\[1\] = inf"),
    ([1, np.nan, 2], r"weights holds 1 NaN value\(s\), the first at index 1"),
    ([0, 0, 0], r"the weights sum to 0: there is nothing to fit"),
    (["a", 1, 2], r"weights must be numbers, got"),
])
@pytest.mark.parametrize("family", ["normal", "poisson", "weibull"])
def test_bad_weights(family, weights, message):
    with pytest.raises(DataError, match=message) as exc:
        gradmle.fit([1.0, 2.0, 3.0], family=family, weights=weights)
    assert "\n" not in str(exc.value)


def test_weights_need_data_in_memory(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("x\n1\n2\n3\n")
    with pytest.raises(ValueError, match=r"^weights= gives one weight per value of data in memory") as exc:
        gradmle.fit(str(path), family="poisson", weights=[1, 2, 3])
    assert "\n" not in str(exc.value)


def test_censored_weighted_path_unchanged():
    """Weights with event= still go to the censored table."""
    x = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    r = gradmle.fit(x, family="weibull", event=[1, 1, 0, 1, 1], weights=[1, 2, 1, 1, 2])
    assert r.converged and r.info["censoring"]["right_censored"] == 1.0


def test_cli_weight_with_a_discrete_family(cli, tmp_path):
    path = tmp_path / "counts.csv"
    k, c = [0, 1, 2, 3, 5, 9, 7], [6, 3, 2, 2, 1, 1, 0]  # over-dispersed: an nbinom maximum exists
    path.write_text("k,c\n" + "".join(f"{a},{b}\n" for a, b in zip(k, c)))
    for family in ("poisson", "nbinom"):
        run = cli("fit", path, "--column", "k", "--weight", "c", "--family", family, "--json")
        assert run.returncode == 0, run.stderr
        got = json.loads(run.stdout)
        api = gradmle.fit(np.array(k, float), family=family, weights=c)
        assert got["params"] == pytest.approx(api.params, rel=1e-15) and got["n"] == 15
    run = cli("fit", path, "--column", "k", "--weight", "c", "--family", "poisson")
    assert "data: 15 observed (frequency weights on 7 rows)" in run.stdout


def test_cli_bad_weight_column(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("k,c\n0,3\n1,-5\n2,4\n")
    run = cli("fit", path, "--column", "k", "--weight", "c", "--family", "poisson")
    assert run.returncode == 2
    assert run.stderr.strip() == "gradmle: error: weights must be finite and >= 0; weights[1] = -5.0"
    assert "Traceback" not in run.stderr
