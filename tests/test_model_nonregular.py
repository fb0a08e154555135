"""User models whose likelihood is not regular: mixtures (simplex weights, ordered
means, label switching, a component collapsing onto one observation, a component
emptied), parameters the data do not determine, saddle points. None of them may be
reported as converged."""

import math

import numpy as np
import pytest

import gradmle

jax = pytest.importorskip("jax")
jnp = jax.numpy
from jax.scipy.special import logsumexp  # noqa: E402
from jax.scipy.stats import norm  # noqa: E402


def mixture(x, w, mu, sigma):
    return logsumexp(jnp.log(w)[:, None] + norm.logpdf(x[None, :], mu[:, None], sigma[:, None]), axis=0)


@pytest.fixture(scope="module")
def two():
    rng = np.random.default_rng(1)
    return np.concatenate([rng.normal(-2.0, 1.0, 600), rng.normal(3.0, 0.5, 400)])


def _model(**kw):
    params = {"w": ("simplex", 2), "mu": ("real", 2), "sigma": ("positive", 2)}
    params.update(kw.pop("params", {}))
    return gradmle.Model(mixture, params, **kw)


def test_simplex_weights_report_the_free_ones_and_the_full_vector(two):
    m = _model()
    assert m.param_names == ("w[0]", "mu[0]", "mu[1]", "sigma[0]", "sigma[1]")
    r = gradmle.fit(two, family=m, init={"w": [0.5, 0.5], "mu": [-1, 2], "sigma": [1, 1]})
    assert r.converged, r.message
    w = m.full(r.params)["w"]
    assert w.shape == (2,) and w.sum() == pytest.approx(1.0, abs=1e-15)
    assert w[0] == pytest.approx(0.6, abs=0.05)
    # The same start given by the free weight alone.
    again = gradmle.fit(two, family=m, init={"w": [0.5], "mu": [-1, 2], "sigma": [1, 1]})
    assert again.params == pytest.approx(r.params, rel=1e-12)


def test_three_weights_on_the_simplex_every_method_agrees():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(-4, 0.7, 300), rng.normal(0, 0.7, 500), rng.normal(4, 0.7, 200)])
    m = gradmle.Model(mixture, {"w": ("simplex", 3), "mu": ("ordered", 3), "sigma": ("positive", 3)})
    init = {"w": [0.3, 0.4, 0.3], "mu": [-3, 0.5, 3], "sigma": [1, 1, 1]}
    fits = [gradmle.fit(x, family=m, init=init, method=meth) for meth in ("newton", "lbfgs", "linesearch")]
    for r in fits:
        assert r.converged, r.message
        assert r.loglik == pytest.approx(fits[0].loglik, rel=1e-12)
    w = m.full(fits[0].params)["w"]
    assert w == pytest.approx([0.3, 0.5, 0.2], abs=0.04)
    assert fits[0].stderr["w[1]"] > 0


@pytest.mark.parametrize("init, words", [
    ({"w": [0.5, 0.6], "mu": [-1, 2], "sigma": [1, 1]}, "sums to 1.1"),
    ({"w": [0.5, 0.5, 0.0], "mu": [-1, 2], "sigma": [1, 1]}, "has 3 values"),
])
def test_bad_simplex_starts_are_refused(two, init, words):
    with pytest.raises(ValueError, match=words):
        gradmle.fit(two, family=_model(), init=init)


def test_ordered_means_start_and_steps(two):
    m = _model(params={"mu": ("ordered", 2)})
    with pytest.raises(ValueError, match="strictly increasing, but mu = \\[3, -1\\]"):
        gradmle.fit(two, family=m, init={"w": [0.5, 0.5], "mu": [3, -1], "sigma": [1, 1]})
    r = gradmle.fit(two, family=m, init={"w": [0.5, 0.5], "mu": [-1, 3], "sigma": [1, 1]})
    assert r.converged and r.params["mu[0]"] < r.params["mu[1]"]
    # A fixed step that throws the means past each other is stopped there, and said.
    close = _model(params={"mu": ("ordered", 2)})
    run = gradmle.fit(two, family=close, init={"w": [0.2, 0.8], "mu": [2.9, 3.0], "sigma": [1, 1]},
                      method="gradient", step=1.0)
    assert run.status == "diverged" and run.outcome.code == "crossed_zero" and run.outcome.param == "mu[1]"
    assert "strictly increasing, but mu = [" in run.message and "at iteration 1" in run.message


def test_label_switching_reports_one_canonical_order(two):
    m = _model(components=("mu", "w", "sigma"))
    a = gradmle.fit(two, family=m, init={"w": [0.5, 0.5], "mu": [-1, 2], "sigma": [1, 1]})
    b = gradmle.fit(two, family=m, init={"w": [0.5, 0.5], "mu": [2, -1], "sigma": [1, 1]})
    assert a.converged and b.converged
    assert b.params == pytest.approx(a.params, rel=1e-9)
    assert a.params["mu[0]"] < a.params["mu[1]"]
    assert "increasing order of mu" in b.message and "increasing order" not in a.message
    assert b.stderr == pytest.approx(a.stderr, rel=1e-6)
    # Without components the labels are the run's own.
    c = gradmle.fit(two, family=_model(), init={"w": [0.5, 0.5], "mu": [2, -1], "sigma": [1, 1]})
    assert c.params["mu[0]"] > c.params["mu[1]"]


def test_components_must_be_vectors_of_one_length():
    with pytest.raises(ValueError, match="not a vector parameter"):
        _model(params={"s": "positive"}, components=("mu", "s"))
    with pytest.raises(ValueError, match="same length"):
        _model(params={"z": ("real", 3)}, components=("mu", "z"))


def test_a_component_collapsing_onto_one_observation_is_named_unbounded(two):
    m = _model()
    r = gradmle.fit(two, family=m, init={"w": [0.5, 0.5], "mu": [float(two[0]), 0.0], "sigma": [1e-3, 2.0]},
                    method="lbfgs")
    assert not r.converged
    assert r.status == "boundary" and r.outcome.code == "unbounded" and r.outcome.param == "sigma[0]"
    assert "unbounded" in r.message and f"{two[0]:.6g} (index 0)" in r.message
    d = r.diagnosis
    assert d.cause == "unbounded" and not d.remedies
    assert "no maximum" in str(d)


def test_an_emptied_component_is_the_edge_not_a_maximum():
    x = np.random.default_rng(3).normal(0.0, 1.0, 2000)
    r = gradmle.fit(x, family=_model(), init={"w": [0.9, 0.1], "mu": [0, 6], "sigma": [1, 0.5]}, method="lbfgs")
    assert r.status == "boundary" and r.outcome.code == "boundary" and r.outcome.param == "w[0]"
    assert "ran to 1" in r.message


def regression(d, a, b, c, sigma):
    return norm.logpdf(d["y"], c + (a + b) * d["x"], sigma)


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=500)
    return {"x": x, "y": 2.0 * x + 1.0 + rng.normal(size=500)}


def test_a_flat_direction_is_named_and_a_verified_remedy_holds_one_fixed(xy):
    m = gradmle.Model(regression, {"a": "real", "b": "real", "c": "real", "sigma": "positive"})
    r = gradmle.fit(xy, family=m, init={"a": 0.0, "b": 0.0, "c": 0.0, "sigma": 1.0})
    assert r.status == "not_identified" and not r.converged
    assert "flat along the direction (a - b)" in r.message
    assert r.stderr is None or all(v is None for v in r.stderr.values())
    d = r.diagnosis
    assert d.cause == "not_identified" and d.remedies
    fixed = gradmle.fit(xy, **d.remedies[0].options, family=m) if "family" not in d.remedies[0].options else \
        gradmle.fit(xy, **d.remedies[0].options)
    assert fixed.converged
    slope = np.polyfit(xy["x"], xy["y"], 1)[0]
    assert fixed.params["a"] + fixed.params["b"] == pytest.approx(slope, rel=1e-9)


def test_a_parameter_the_likelihood_ignores_is_named(xy):
    def ignores(d, a, c, junk, sigma):
        return norm.logpdf(d["y"], c + a * d["x"], sigma) + 0.0 * junk

    m = gradmle.Model(ignores, {"a": "real", "c": "real", "junk": "real", "sigma": "positive"})
    r = gradmle.fit(xy, family=m, init={"a": 0.0, "c": 0.0, "junk": 0.0, "sigma": 1.0})
    assert r.status == "not_identified" and r.outcome.param == "junk"
    assert "do not determine junk" in r.message


def test_a_saddle_point_is_not_a_maximum():
    x = np.random.default_rng(4).normal(size=300)

    def saddle(x, a, b):  # maxima at a = +-1; at a = 0 the likelihood has a minimum in a
        return norm.logpdf(x, b, 1.0) + 0.5 * a**2 - 0.25 * a**4

    m = gradmle.Model(saddle, {"a": "real", "b": "real"})
    r = gradmle.fit(x, family=m, init={"a": 0.0, "b": float(x.mean())})
    assert r.status == "stalled" and r.outcome.code == "saddle" and "saddle point" in r.message
    ok = gradmle.fit(x, family=m, init={"a": 0.5, "b": 0.0})
    assert ok.converged and ok.params["a"] == pytest.approx(1.0, rel=1e-9)


def test_a_model_named_normal_is_not_given_the_normal_theory():
    x = np.random.default_rng(6).normal(5.0, 2.0, 400)

    def normal(x, mu, sigma):
        return norm.logpdf(x, mu, sigma)

    m = gradmle.Model(normal, {"mu": "real", "sigma": "positive"})
    assert m.name == "normal" and not m.normal_theory
    opts = dict(init={"mu": 0.0, "sigma": 0.5}, method="gradient", step=0.5)
    built_in = gradmle.fit(x, family="normal", **opts)
    assert built_in.diagnosis.cause == "convex_crawl"  # the Normal's own theory
    r = gradmle.fit(x, family=m, parametrization="natural", **opts)
    assert r.status == "max_iter"
    d = r.diagnosis
    assert d.cause == "too_slow" and "still far from the optimum" in d.explanation
    assert "sigma_hat" not in d.explanation and "D(mu)" not in d.explanation
    assert d.remedies


def test_regular_models_are_untouched(two):
    r = gradmle.fit(two, family=_model(), init={"w": [0.5, 0.5], "mu": [-1, 2], "sigma": [1, 1]})
    assert r.status == "converged" and r.outcome.code == "converged" and math.isfinite(r.loglik)
