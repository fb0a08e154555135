"""Pareto, Fisk, inverse Gaussian, Rayleigh, half-normal, Cauchy, geometric and binomial
(n known): log-likelihoods against scipy.stats, derivatives against finite differences,
Fisher information against a large sample, fits against scipy's fits and closed forms."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.stats as ss

import gradmle
from familycheck import check_derivatives, check_fisher, check_fits_against_scipy, check_loglik


def _rvs(dist):
    return lambda theta, n, rng: np.asarray(dist(theta).rvs(n, random_state=rng), dtype=float)


def _scipy_floc(dist, k):
    """scipy's fit with loc held at 0: the shape(s) and the scale, in our order."""
    def fit(x):
        out = dist.fit(x, floc=0)
        return tuple(out[:k]) + (out[-1],)
    return fit


def _scalar_fit(logpmf):
    """The MLE of a one-parameter p in (0, 1) by scipy's bounded scalar minimizer on
    scipy's log-pmf (scipy's discrete distributions have no .fit)."""
    def fit(x):
        r = scipy.optimize.minimize_scalar(lambda p: -np.sum(logpmf(x, p)), bounds=(1e-9, 1 - 1e-9),
                                           method="bounded", options={"xatol": 1e-12})
        return r.x
    return fit


FAMILIES = {
    "pareto": dict(frozen=lambda t: ss.pareto(t[0], scale=t[1]), thetas=[(3.0, 2.0), (0.8, 0.01)],
                   off=(3.0, 1.9), scipy_fit=_scipy_floc(ss.pareto, 1)),
    "fisk": dict(frozen=lambda t: ss.fisk(t[0], scale=t[1]), thetas=[(3.0, 2.0), (0.7, 50.0)],
                 scipy_fit=_scipy_floc(ss.fisk, 1)),
    "invgauss": dict(frozen=lambda t: ss.invgauss(t[0], scale=t[1]), thetas=[(0.5, 3.0), (4.0, 0.2)],
                     scipy_fit=_scipy_floc(ss.invgauss, 1)),
    "rayleigh": dict(frozen=lambda t: ss.rayleigh(scale=t[0]), thetas=[(2.0,), (1e-3,)],
                     scipy_fit=_scipy_floc(ss.rayleigh, 0)),
    "halfnorm": dict(frozen=lambda t: ss.halfnorm(scale=t[0]), thetas=[(2.0,), (300.0,)],
                     scipy_fit=_scipy_floc(ss.halfnorm, 0)),
    "cauchy": dict(frozen=lambda t: ss.cauchy(t[0], t[1]), thetas=[(1.0, 2.0), (-50.0, 0.1)],
                   scipy_fit=lambda x: tuple(ss.cauchy.fit(x))),
    "geom": dict(frozen=lambda t: ss.geom(t[0]), thetas=[(0.3,), (0.02,)],
                 scipy_fit=lambda x: (_scalar_fit(ss.geom.logpmf)(x),)),
    "binom": dict(frozen=lambda t: ss.binom(int(t[0]), t[1]), thetas=[(10.0, 0.3), (1000.0, 0.97)],
                  fit_kw=lambda t: {"fixed": {"n": t[0]}}),
}


@pytest.mark.parametrize("name", FAMILIES)
def test_loglik_and_derivatives(name):
    spec = FAMILIES[name]
    rng = np.random.default_rng(3)
    for theta in spec["thetas"]:
        x = _rvs(spec["frozen"])(theta, 500, rng)
        check_loglik(name, theta, x, spec["frozen"](theta))
        # (The Pareto's derivatives inside the support's edge: scale below min(x).)
        at = (theta[0], 0.95 * theta[1]) if name == "pareto" else theta
        check_derivatives(name, at, x)


@pytest.mark.parametrize("name", ["fisk", "invgauss", "rayleigh", "halfnorm", "cauchy", "geom", "binom"])
def test_fisher_information(name):
    spec = FAMILIES[name]
    check_fisher(name, spec["thetas"][0], _rvs(spec["frozen"]), n=200_000)


@pytest.mark.parametrize("name", FAMILIES)
def test_fits_reach_scipy_and_the_closed_forms(name):
    spec = FAMILIES[name]
    fam = gradmle.get_family(name)
    for theta in spec["thetas"]:
        data = [_rvs(spec["frozen"])(theta, 2000, np.random.default_rng(seed)) for seed in range(3)]
        kw = spec["fit_kw"](theta) if "fit_kw" in spec else {}
        if name == "binom":  # the closed form p = mean / n is the reference
            scipy_fit = lambda x: (theta[0], float(np.mean(x)) / theta[0])
        else:
            scipy_fit = spec["scipy_fit"]
        check_fits_against_scipy(name, data, scipy_fit, spec["frozen"], fit_kw=kw)
        for x in data:
            r = gradmle.fit(x, family=name, **kw)
            if type(fam).closed_form is not gradmle.Family.closed_form:
                assert r.error is not None and r.error < 1e-9, (name, r.params, r.reference)


def test_closed_forms_by_hand():
    x = np.array([1.5, 2.0, 3.0, 7.0, 11.0])
    r = gradmle.fit(x, family="pareto")
    assert r.params["scale"] == 1.5 and r.params["b"] == pytest.approx(1.0 / np.mean(np.log(x / 1.5)), rel=1e-14)
    r = gradmle.fit(x, family="invgauss")
    lam = 1.0 / np.mean(1.0 / x - 1.0 / x.mean())
    assert r.params["scale"] == pytest.approx(lam, rel=1e-13)
    assert r.params["mu"] * r.params["scale"] == pytest.approx(x.mean(), rel=1e-14)
    assert gradmle.fit(x, family="rayleigh").params["scale"] == pytest.approx(math.sqrt(np.mean(x * x) / 2), rel=1e-15)
    assert gradmle.fit(x, family="halfnorm").params["scale"] == pytest.approx(math.sqrt(np.mean(x * x)), rel=1e-15)
    k = np.array([1.0, 1.0, 2.0, 5.0])
    assert gradmle.fit(k, family="geometric").params["p"] == pytest.approx(4 / 9, rel=1e-15)
    r = gradmle.fit([0.0, 3.0, 4.0], family="binomial", fixed={"n": 5})
    assert r.params == {"n": 5.0, "p": pytest.approx(7 / 15, rel=1e-14)}
    assert r.frozen().args == () and r.frozen().kwds == {"n": 5.0, "p": r.params["p"]}


def test_restricted_closed_forms_are_maxima():
    """With one parameter held the closed form maximizes over the other (checked by an
    iterative run started elsewhere)."""
    x = ss.invgauss(0.8, scale=2.0).rvs(1000, random_state=np.random.default_rng(4))
    for fixed in ({"mu": 0.5}, {"scale": 3.0}):
        cf = gradmle.fit(x, family="invgauss", fixed=fixed, method="closed_form")
        it = gradmle.fit(x, family="invgauss", fixed=fixed, method="newton")
        assert it.converged and it.params == pytest.approx(cf.params, rel=1e-9)
    x = ss.pareto(2.0, scale=1.0).rvs(1000, random_state=np.random.default_rng(4))
    r = gradmle.fit(x, family="pareto", fixed={"scale": 0.9})
    assert r.params["b"] == pytest.approx(1.0 / np.mean(np.log(x / 0.9)), rel=1e-13)


def test_pareto_is_a_boundary_maximum_with_its_standard_errors():
    x = ss.pareto(3.0, scale=2.0).rvs(4000, random_state=np.random.default_rng(5))
    r = gradmle.fit(x, family="pareto")
    assert r.converged and r.params["scale"] == x.min()
    # b as if the scale were known; the scale's error is that of min(x): scale / (n b).
    assert r.stderr["b"] == pytest.approx(r.params["b"] / math.sqrt(4000), rel=1e-12)
    assert r.stderr["scale"] == pytest.approx(r.params["scale"] / (4000 * r.params["b"]), rel=1e-12)
    # Shifted data: loc fixed as in scipy (support x >= loc + scale).
    s = gradmle.fit(x + 10.0, family="pareto", fixed={"loc": 10.0})
    assert s.params == pytest.approx(r.params, rel=1e-12)
    with pytest.raises(ValueError, match=r"^scale = 2\.5 is above the smallest value"):
        gradmle.fit(x, family="pareto", fixed={"scale": 2.5})
    # A gradient run cannot confirm a maximum where the gradient is not 0: never "converged".
    for method in ("newton", "lbfgs", "gradient"):
        assert not gradmle.fit(x, family="pareto", method=method, max_iter=50).converged


def test_cauchy_two_parameters_from_a_bad_start():
    """Copas (1975): one stationary point with both free, so a start far off still
    reaches scipy's answer."""
    x = ss.cauchy(3.0, 0.5).rvs(2000, random_state=np.random.default_rng(6))
    ref = gradmle.fit(x, family="cauchy")
    far = gradmle.fit(x, family="cauchy", init={"loc": -40.0, "scale": 20.0})
    assert far.converged and far.params == pytest.approx(ref.params, rel=1e-9)


def test_binomial_needs_n_and_counts_within_it():
    x = np.array([0.0, 3.0, 4.0, 2.0])
    with pytest.raises(ValueError, match=r"^the binom family needs the number of trials n, which is known"):
        gradmle.fit(x, family="binom")
    with pytest.raises(ValueError, match=r"^fixed\['n'\] = 4\.5 is not allowed: .* whole number"):
        gradmle.fit(x, family="binom", fixed={"n": 4.5})
    with pytest.raises(ValueError, match=r"^the largest count, 4\.0, is above the number of trials n = 3\.0"):
        gradmle.fit(x, family="binom", fixed={"n": 3})
    with pytest.raises(ValueError, match=r"^all 2 counts equal n = 4\.0"):
        gradmle.fit([4.0, 4.0], family="binom", fixed={"n": 4})
    with pytest.raises(ValueError, match=r"values must be whole numbers >= 0"):
        gradmle.fit([0.0, 1.5], family="binom", fixed={"n": 4})


@pytest.mark.parametrize("name, x, match", [
    ("geom", [0.0, 2.0, 3.0], "values must be whole numbers >= 1"),
    ("geom", [1.0, 1.0, 1.0], "all 3 values are 1"),
    ("halfnorm", [0.0, 0.0], "all 2 values are 0"),
    ("halfnorm", [-1.0, 2.0], "values must be >= 0"),
    ("rayleigh", [0.0, 2.0], "values must be > 0"),
    ("invgauss", [2.0, 2.0, 2.0], "MLE does not exist"),
    ("pareto", [3.0, 3.0], "MLE does not exist"),
    ("fisk", [-1.0, 3.0], "values must be > 0"),
    ("cauchy", [1.0, 1.0], "MLE does not exist"),
])
def test_bad_data_one_line(name, x, match):
    with pytest.raises(ValueError, match=match) as e:
        gradmle.fit(np.array(x), family=name)
    assert "\n" not in str(e.value)


def test_aliases():
    for alias, name in (("loglogistic", "fisk"), ("inverse_gaussian", "invgauss"), ("half_normal", "halfnorm"),
                        ("geometric", "geom"), ("binomial", "binom")):
        assert gradmle.get_family(alias) is gradmle.FAMILIES[name]
    with pytest.raises(ValueError, match="unknown family 'wald'"):  # scipy's wald is invgauss with mu = 1
        gradmle.get_family("wald")


def test_invgauss_keeps_its_digits_for_a_small_spread():
    """V = mean(1/x) - 1/mean(x) from deviations when the difference would cancel."""
    rng = np.random.default_rng(8)
    x = 1e6 + rng.normal(0.0, 1.0, 5000)
    r = gradmle.fit(x, family="invgauss")
    v = float(np.mean((x - x.mean()) ** 2 / x)) / x.mean() ** 2
    assert r.params["scale"] == pytest.approx(1.0 / v, rel=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert r.stderr["mu"] > 0


def test_a_fixed_step_past_the_smallest_value_is_named_so():
    import scipy.stats as st

    x = st.pareto(3.0, 0.0, 2.0).rvs(size=500, random_state=1)
    r = gradmle.fit(x, family="pareto", method="gradient")
    assert r.status == "diverged" and r.outcome.code == "outside_support"
    assert "the pareto support starts at scale, above the smallest value" in r.message
