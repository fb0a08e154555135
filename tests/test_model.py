"""Models of the user's through the same engine: JAX, hand-written and numeric
derivatives, vector parameters, several columns, data in pieces, bad models."""

import math

import numpy as np
import pytest

import gradmle

jax = pytest.importorskip("jax")
jnp = jax.numpy
jss = jax.scipy.stats

RNG = np.random.default_rng(17)

MODELS = {
    "normal": (lambda x, mu, sigma: jss.norm.logpdf(x, mu, sigma), {"mu": "real", "sigma": "positive"},
               lambda: RNG.normal(2.0, 1.5, 3000), {"mu": 1.0, "sigma": 1.0}, {}),
    "gamma": (lambda x, a, scale: jss.gamma.logpdf(x, a, scale=scale), {"a": "positive", "scale": "positive"},
              lambda: RNG.gamma(2.5, 3.0, 3000), {"a": 1.0, "scale": 5.0}, {}),
    "weibull": (lambda x, c, scale: jnp.log(c / scale) + (c - 1) * jnp.log(x / scale) - (x / scale) ** c,
                {"c": "positive", "scale": "positive"}, lambda: 4.0 * RNG.weibull(1.7, 3000),
                {"c": 1.0, "scale": 3.0}, {}),
    "student_t": (lambda x, df, loc, scale: jss.t.logpdf(x, df, loc, scale),
                  {"df": "positive", "loc": "real", "scale": "positive"},
                  lambda: 1.0 + 2.0 * RNG.standard_t(4.0, 3000), {"df": 5.0, "loc": 0.5, "scale": 1.5}, {}),
}


@pytest.mark.parametrize("name", MODELS)
def test_families_written_as_models_give_the_families_estimates(name):
    logpdf, params, sample, init, _ = MODELS[name]
    x = sample()
    model = gradmle.Model(logpdf, params, name=name)
    ref = gradmle.fit(x, family=name, tol=1e-12)
    assert ref.converged
    for method in ("auto", "newton", "fisher", "lbfgs", "linesearch"):
        r = gradmle.fit(x, family=model, method=method, init=init, max_iter=5000)
        assert model.backend == "jax" and r.info["derivatives"] == "jax"
        if r.converged:
            for k, v in ref.params.items():
                assert r.params[k] == pytest.approx(v, rel=1e-9), (method, k)
        else:
            assert method not in ("auto", "newton"), r.message
    r = gradmle.fit(x, family=model, init=init)
    for k, v in ref.stderr.items():
        assert r.stderr[k] == pytest.approx(v, rel=1e-6)
    assert jnp.array(1.0).dtype == jnp.float32 or jax.config.jax_enable_x64  # the user's setting untouched


def _regression(n=4000):
    x1, x2 = RNG.normal(size=n), RNG.uniform(-1, 1, n)
    y = 1.0 - 2.0 * x1 + 0.5 * x2 + RNG.normal(0, 0.7, n)
    return {"y": y, "x1": x1, "x2": x2}


def _linear(d, beta, sigma):
    mu = beta[0] + beta[1] * d["x1"] + beta[2] * d["x2"]
    return jss.norm.logpdf(d["y"], mu, sigma)


def test_linear_regression_gives_least_squares():
    data = _regression()
    model = gradmle.Model(_linear, {"beta": ("real", 3), "sigma": "positive"})
    r = gradmle.fit(data, family=model, init={"beta": [0, 0, 0], "sigma": 1.0})
    assert r.converged and list(r.params) == ["beta[0]", "beta[1]", "beta[2]", "sigma"]
    a = np.column_stack([np.ones(data["y"].size), data["x1"], data["x2"]])
    coef, rss, *_ = np.linalg.lstsq(a, data["y"], rcond=None)
    for i in range(3):
        assert r.params[f"beta[{i}]"] == pytest.approx(coef[i], rel=1e-10, abs=1e-12)
    assert r.params["sigma"] == pytest.approx(math.sqrt(rss[0] / data["y"].size), rel=1e-10)
    assert set(r.stderr) == set(r.params) and set(r.trace) >= set(r.params)
    assert "beta[2]" in r.summary()
    # A DataFrame is the same data; a coefficient can be held fixed.
    pd = pytest.importorskip("pandas")
    again = gradmle.fit(pd.DataFrame(data), family=model, init={"beta": [0, 0, 0], "sigma": 1.0})
    assert again.params == pytest.approx(r.params, rel=1e-12)
    held = gradmle.fit(data, family=model, init={"beta[0]": 0.0, "beta[2]": 0.0, "sigma": 1.0},
                       fixed={"beta[1]": -2.0})
    assert held.converged and held.params["beta[1]"] == -2.0 and held.stderr["beta[1]"] is None


def _normal_numpy(x, mu, sigma):
    return -0.5 * np.log(2 * np.pi) - np.log(sigma) - 0.5 * ((x - mu) / sigma) ** 2


def _normal_grad(x, mu, sigma):
    d = np.mean((x - mu) ** 2)
    return np.array([np.mean(x - mu) / sigma**2, d / sigma**3 - 1.0 / sigma])


def _wrong_grad(x, mu, sigma):  # the sigma term doubled: a slip in a hand derivation
    g = _normal_grad(x, mu, sigma)
    return np.array([g[0], 2.0 * g[1]])


def test_hand_gradients_are_checked_and_used():
    x = RNG.normal(2.0, 1.5, 2000)
    ref = gradmle.fit(x)
    good = gradmle.Model(_normal_numpy, {"mu": "real", "sigma": "positive"}, grad=_normal_grad)
    r = gradmle.fit(x, family=good, init={"mu": 0.0, "sigma": 1.0})
    assert r.converged and good.backend == "hand"
    assert r.params == pytest.approx(ref.params, rel=1e-10)
    bad = gradmle.Model(_normal_numpy, {"mu": "real", "sigma": "positive"}, grad=_wrong_grad)
    with pytest.raises(ValueError, match=r"your gradient in sigma is .* where finite differences give"):
        gradmle.fit(x, family=bad, init={"mu": 0.0, "sigma": 1.0})


def test_numeric_derivatives_converge_and_say_so():
    x = RNG.normal(2.0, 1.5, 2000)
    ref = gradmle.fit(x)
    model = gradmle.Model(_normal_numpy, {"mu": "real", "sigma": "positive"}, derivatives="numeric")
    r = gradmle.fit(x, family=model, init={"mu": 0.0, "sigma": 1.0})
    assert r.converged and "numeric derivatives" in r.message and r.info["derivatives"] == "numeric"
    assert r.params == pytest.approx(ref.params, rel=1e-8)


def test_a_model_on_data_in_pieces(tmp_path):
    logpdf, params, sample, init, _ = MODELS["gamma"]
    x = sample()
    model = gradmle.Model(logpdf, params)
    ref = gradmle.fit(x, family=model, init=init)
    path = tmp_path / "x.npy"
    np.save(path, x)
    for data in ([x[:1000], x[1000:]], str(path)):
        r = gradmle.fit(data, family=model, init=init)
        assert r.params == pytest.approx(ref.params, rel=1e-10) and r.passes > 2


@pytest.mark.parametrize("logpdf, words", [
    (lambda x, mu, sigma: 1 / 0, "raised at the start"),
    (lambda x, mu, sigma: jnp.sum(x), "returned shape"),
    (lambda x, mu, sigma: jnp.where(x > 3, jnp.nan, -x * x), "at the start for the value"),
])
def test_bad_models_are_refused_in_one_line(logpdf, words):
    model = gradmle.Model(logpdf, {"mu": "real", "sigma": "positive"})
    with pytest.raises(ValueError, match=words) as info:
        gradmle.fit(RNG.normal(2, 1, 200), family=model, init={"mu": 0.0, "sigma": 1.0})
    assert "\n" not in str(info.value)


def test_a_model_needs_a_start_and_checks_its_declarations():
    model = gradmle.Model(_normal_numpy, {"mu": "real", "sigma": "positive"})
    with pytest.raises(ValueError, match="needs a start: give init for sigma"):
        gradmle.fit(RNG.normal(size=100), family=model, init={"mu": 0.0})
    with pytest.raises(ValueError, match="init\\['sigma'\\] = -1.0 is not allowed: sigma must be > 0"):
        gradmle.fit(RNG.normal(size=100), family=model, init={"mu": 0.0, "sigma": -1.0})
    with pytest.raises(ValueError, match="constraint"):
        gradmle.Model(_normal_numpy, {"mu": "reals"})
    vec = gradmle.Model(_linear, {"beta": ("real", 3), "sigma": "positive"})
    with pytest.raises(ValueError, match="has 2 values; beta has length 3"):
        gradmle.fit(_regression(50), family=vec, init={"beta": [0, 0], "sigma": 1.0})
