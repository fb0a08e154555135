"""Valid input that used to crash, hang or give a verdict that depended on the source:
each now ends with a result (and a diagnosis) or a one-line refusal."""

import math
import warnings

import numpy as np
import pytest

import gradmle
from gradmle import engine

RNG = np.random.default_rng(21)
X = RNG.normal(1.0, 2.0, 1000)


def _explained(r):
    """Everything a result offers is computed without an exception."""
    text = r.summary()
    assert r.status in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gradmle.HessianWarning)
        r.stderr, r.cov, r.conf_int()
    import json

    json.dumps(r.to_dict(), allow_nan=False)  # strict JSON: non-finite numbers are null
    if not r.converged:
        d = r.diagnosis
        assert d.cause in gradmle.CAUSES and d.explanation
        for rem in d.remedies:
            assert rem.options["family"] == r.family
    return r


# -- masked arrays (item 2) -------------------------------------------------------------------

def test_masked_values_are_dropped_and_said():
    r = gradmle.fit(np.ma.masked_array([1.0, 2.0, 3.0, 1e6], mask=[0, 0, 0, 1]))
    assert r.n == 3 and r.params["mu"] == 2.0 and "1 masked value(s) were dropped" in r.message
    assert r.info["dropped"] == {"masked": 1}
    with pytest.raises(ValueError, match="every one of the 2 values is masked"):
        gradmle.fit(np.ma.masked_array([1.0, 2.0], mask=[1, 1]))


def test_masked_chunks_and_dask_masked_arrays():
    import dask.array as da

    t = RNG.standard_t(4, 1000)
    x = np.concatenate([t, [1e300, -1e300]])
    mask = np.zeros(x.size, bool)
    mask[-2:] = True
    ref = gradmle.fit(t, family="student_t")
    assert ref.converged
    chunks = [np.ma.masked_array(x[:500], mask[:500]), np.ma.masked_array(x[500:], mask[500:])]
    for data in (chunks, da.ma.masked_array(da.from_array(x, chunks=300), da.from_array(mask, chunks=300))):
        r = gradmle.fit(data, family="student_t")
        assert r.n == t.size and r.info["dropped"] == {"masked": 2}
        assert r.params == pytest.approx(ref.params, rel=1e-9)


# -- positive parameters that underflow, squares that underflow (item 4) ---------------------

@pytest.mark.parametrize("kwargs", [
    dict(data=[1.63, 2.03], family="weibull", method="gradient"),
    dict(data=RNG.standard_t(5, 200), family="student_t", method="fisher", init={"loc": 11.0}),
    dict(data=X, init={"sigma": 1e-150}),
    dict(data=X, method="gradient", init={"sigma": 1e-150}),
    dict(data=X, method="fisher", init={"sigma": 1e-150}),
    dict(data=X, method="lbfgs", init={"sigma": 1e-150}),
    dict(data=X, method="gradient", init={"mu": 50.0, "sigma": 3.0}, step=1e-300, max_iter=5),
    dict(data=RNG.laplace(0, 1, 300), family="laplace", method="gradient", max_iter=50),
    dict(data=RNG.gamma(2, 3, 500), family="gamma", method="fisher", parametrization="natural",
         init={"a": 50.0, "scale": 1e-3}),
    dict(data=RNG.gamma(2, 3, 500), family="exponential", method="newton", init={"scale": 1e-300}),
    dict(data=RNG.gamma(2, 3, 500), family="weibull", method="lbfgs", init={"c": 1e-300}),
    dict(data=RNG.gamma(2, 3, 500), family="gamma", method="adam", init={"a": 1e300}),
])
def test_extreme_points_end_runs_with_a_reason(kwargs):
    r = _explained(gradmle.fit(**kwargs))
    assert r.outcome.code in gradmle.OUTCOMES


def test_a_start_that_cannot_be_evaluated_offers_the_moment_start():
    r = gradmle.fit(X, method="fisher", init={"sigma": 1e-150})
    assert r.status == "diverged" and r.outcome.iteration == 0
    rem = r.diagnosis.remedies
    assert rem and all("init" not in x.options for x in rem)
    assert gradmle.fit(X, **rem[0].options).converged


def test_stability_at_an_extreme_start_and_a_bound_of_zero():
    for method in ("gradient", "sequential", "coordinate", "fisher"):
        st = gradmle.stability(X, method=method, init={"mu": 0.0, "sigma": 1e-200})
        assert st.start_bound is None and st.bound > 0
    lap = gradmle.stability(RNG.laplace(0, 1, 300), family="laplace", method="gradient")
    assert lap.bound == 0.0  # no curvature in loc: no stable step
    str(lap)


def test_gamma_far_from_the_data_is_not_evaluated_at_a_negative_shape(monkeypatch):
    """The point is checked before the Fisher information (zeta at a large negative
    shape takes minutes) is asked for."""
    from gradmle.families import gamma as gamma_module

    real = gamma_module.zeta

    def checked(s, a):
        assert a > 0, "zeta evaluated at a point outside the parameter space"
        return real(s, a)

    monkeypatch.setattr(gamma_module, "zeta", checked)
    r = gradmle.fit(RNG.gamma(2, 3, 500), family="gamma", method="fisher", parametrization="natural",
                    init={"a": 50.0, "scale": 1e-3})
    assert r.status == "diverged" and r.outcome.code == "crossed_zero" and r.outcome.param == "a"
    _explained(r)


# -- fixed parameters and standard errors (item 5) ---------------------------------------------

@pytest.mark.parametrize("family, data, fixed", [
    ("nbinom", RNG.negative_binomial(3, 0.4, 500).astype(float), {"n": 3.0}),
    ("nbinom", RNG.negative_binomial(3, 0.4, 500).astype(float), {"p": 0.4}),
    ("beta", RNG.beta(2, 3, 500), {"a": 2.0}),
    ("beta", RNG.beta(2, 3, 500), {"b": 3.0}),
    ("poisson", RNG.poisson(3, 500).astype(float), None),
])
def test_standard_errors_with_fixed_parameters(family, data, fixed):
    r = gradmle.fit(data, family=family, fixed=fixed)
    se = r.stderr
    free = [k for k in r.params if k not in (fixed or {})]
    assert all(se[k] is None for k in (fixed or {}))
    # The standard error of the free parameter from the curvature of the profile.
    (name,) = free if len(free) == 1 else (free[0],)
    fam = gradmle.get_family(family)
    h = 1e-4 * r.params[name]

    def total(v):
        p = dict(r.params, **{name: v})
        return r.n * fam.value_and_grad(tuple(p.values()), r.context.stats)[0]

    curv = (total(r.params[name] + h) - 2 * total(r.params[name]) + total(r.params[name] - h)) / h / h
    if fixed:
        assert se[name] == pytest.approx(1 / math.sqrt(-curv), rel=1e-4)
    assert name in r.summary()


# -- chunks that are entirely NaN, unknown chunk sizes (item 6) ----------------------------------

@pytest.fixture(scope="module")
def nan_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("nan") / "nan.csv"
    with open(path, "w") as fh:
        fh.write("x\n" + "nan\n" * 300_000 + "".join(f"{float(v)!r}\n" for v in X))
    return path


def _inputs(nan_file):
    import dask.array as da

    nan = np.full(64, np.nan)
    both = np.concatenate([nan, X])
    return {
        "chunks": [nan, X[:500], nan, X[500:]],
        "generator": (c for c in [nan, X[:500], nan, X[500:]]),
        "file": str(nan_file),
        "dask": da.from_array(both, chunks=64),
    }


@pytest.mark.parametrize("family", ["normal", "student_t", "laplace", "gamma"])
@pytest.mark.parametrize("kind", ["chunks", "generator", "file", "dask"])
def test_chunks_of_nan_only(nan_file, family, kind):
    data = X if family != "gamma" else X - X.min() + 1.0
    shift = 0.0 if family != "gamma" else -X.min() + 1.0
    ref = gradmle.fit(data, family=family)
    made = _inputs(nan_file)[kind]
    if family == "gamma" and kind != "file":
        made = [c + shift for c in made] if kind == "chunks" else (c + shift for c in made) \
            if kind == "generator" else made + shift
    if family == "gamma" and kind == "file":
        pytest.skip("the file holds the Normal sample")
    with pytest.raises(ValueError, match="NaN or infinite; the first is nan at (index|line) "):
        gradmle.fit(made, family=family)
    made = _inputs(nan_file)[kind] if family != "gamma" else (
        [c + shift for c in _inputs(nan_file)[kind]] if kind == "chunks" else
        (c + shift for c in _inputs(nan_file)[kind]) if kind == "generator" else _inputs(nan_file)[kind] + shift)
    r = gradmle.fit(made, family=family, nonfinite="drop")
    assert r.n == X.size and r.info["dropped"]["nonfinite"] > 0
    assert r.status == ref.status
    if r.status == "boundary":  # (the Normal sample: df runs to infinity, anywhere past 1e6)
        assert r.limit_fit.params == pytest.approx(ref.limit_fit.params, rel=1e-12)
    else:
        assert r.params == pytest.approx(ref.params, rel=1e-9)


def test_dask_arrays_of_unknown_chunk_sizes():
    import dask.array as da

    a = da.from_array(np.concatenate([X, -X]), chunks=300)
    b = a[a > 0]  # chunk sizes unknown until computed
    assert any(math.isnan(c) for c in b.chunks[0])
    ref = X[X > 0].tolist() + (-X[-X > 0]).tolist()
    for family in ("normal", "gamma", "weibull", "laplace"):
        r = gradmle.fit(b, family=family)
        assert r.n == len(ref)
        assert r.params == pytest.approx(gradmle.fit(np.array(ref), family=family).params, rel=1e-9)


# -- one run-away rule whatever the source (item 8) ----------------------------------------------

def test_a_far_outlier_gives_the_same_verdict_from_every_source(tmp_path):
    x = np.append(RNG.normal(size=100), 1e40)
    path = tmp_path / "x.npy"
    np.save(path, x)
    results = [gradmle.fit(d, family="logistic") for d in (x, [x[:50], x[50:]], str(path))]
    assert {r.status for r in results} == {"converged"}
    for r in results[1:]:
        assert r.params == pytest.approx(results[0].params, rel=1e-9)
    # The MLE puts the scale near 1e40 / 101: the outlier dominates the likelihood.
    assert results[0].params["scale"] == pytest.approx(1e40 / 101, rel=1e-3)


@pytest.mark.parametrize("family", ["normal", "logistic", "student_t", "laplace"])
def test_the_frame_is_one_hundred_times_the_range_whatever_the_source(family, tmp_path):
    x = RNG.standard_t(4, 500) * 3 + 7
    path = tmp_path / "x.csv"
    path.write_text("".join(f"{float(v)!r}\n" for v in x))
    fam = gradmle.get_family(family)
    opts = engine.check_options(family)
    frames = []
    for data in (x, [x[:200], x[200:]], str(path)):
        reduced = engine.reduce(fam, data, opts)
        frames.append(engine.bounds(fam, reduced, engine.start(fam, reduced, opts)[0]))
    spread = x.max() - x.min()
    for frame in frames:  # (a mean merged from other chunks may differ in its last digit)
        assert np.allclose(frame, frames[0], rtol=1e-12, atol=0)
        for name, (center, limit) in zip(fam.param_names, frame):
            if name in ("loc", "mu", "scale", "sigma"):
                assert limit == pytest.approx(100 * spread)


# -- remedies that can be replayed (item 11) --------------------------------------------------------

@pytest.mark.parametrize("method, extra", [("coordinate", {"n_inner": 3, "n_outer": 5}), ("gradient", {"max_iter": 30}),
                                           ("sequential", {"max_iter": 30})])
def test_every_remedy_replays_to_the_verified_run(method, extra):
    r = gradmle.fit(X, method=method, step=0.05, init={"mu": -3.0, "sigma": 0.5}, **extra)
    assert not r.converged
    for rem in r.diagnosis.remedies:
        again = gradmle.fit(X, **rem.options)
        assert again.converged and again.nit == rem.nit and again.error == rem.error, (rem, again.message)


# -- compare, stability and sweep take every input fit takes (item 10) ------------------------

@pytest.mark.parametrize("factor", [1.0, 2.0**300, 2.0**-300])  # (steps scale like factor^2)
def test_compare_stability_and_sweep_on_any_input_and_magnitude(factor, tmp_path):
    x = RNG.normal(3.0, 1.0, 400) * factor
    path = tmp_path / "x.npy"
    np.save(path, x)
    ref = gradmle.stability(x / factor)
    for data in (x, [x[:100], x[100:]], str(path)):
        st = gradmle.stability(data)
        assert st.bound == pytest.approx(ref.bound * factor**2, rel=1e-9)
        table = gradmle.compare(data, ["fisher", "newton"])
        assert table["fisher"].converged and table["newton"].params["sigma"] == pytest.approx(x.std(), rel=1e-12)
        m = gradmle.sweep(data, steps=[0.1 * factor**2, 1.5 * factor**2], sigma0s=[1.0 * factor])
        assert [gradmle.SWEEP_OUTCOMES[k] for k in m.outcome[0]] == ["converged", "oscillating"]


def test_a_local_maximum_below_the_limiting_model_is_not_the_answer():
    """A Student-t on 19 values (with ties) has a local maximum at df = 0.435 that is less
    likely than the Normal limit: the fit goes on from the Normal and says so."""
    rng = np.random.default_rng(732)
    x = rng.standard_t(5, 13)
    x = np.concatenate([x, x[:6]])
    r = gradmle.fit(x, family="student_t")
    normal = gradmle.fit(x)
    assert r.loglik >= normal.loglik - 1e-10  # (the limit is approached, not reached)
    assert r.status == "boundary" and r.params["df"] > 1e6
    assert r.limit_fit.params == pytest.approx(normal.params, rel=1e-12)
    assert r.options["method"] == "auto" and "init" not in r.options
    # Started at the local maximum, the run stays there and says it converged; the
    # engine's second start applies to its own starts only.
    local = gradmle.fit(x, family="student_t", init={"df": 0.4352, "loc": -1.558, "scale": 0.1016})
    assert local.converged and local.loglik < normal.loglik


def test_a_run_to_the_limit_is_checked_from_inside():
    """Gamma-distributed data fitted with a Student-t from an absurd start run towards
    the Normal limit, though the likelihood has a higher maximum inside: the run is
    not called "boundary", and auto finds the maximum."""
    x = np.random.default_rng(0).gamma(3, 2, 500)
    r = gradmle.fit(x, family="student_t", method="lbfgs", init={"df": 1e-300})
    best = gradmle.fit(x, family="student_t")
    assert best.converged and best.params["df"] == pytest.approx(5.299, rel=1e-3)
    assert r.status != "boundary" and "this is not the maximum" in r.message
    assert best.loglik > r.loglik


def test_the_cap_of_sqrt_tol_standard_errors():
    """A mean far larger than its spread: tol relative to |mu| would leave mu many of its
    standard errors off and sigma wrong to second order; the run goes on or says it
    cannot."""
    x = -5838067.186390346 + 0.0021586191507549906 * np.random.default_rng(298169174).standard_normal(236)
    ref = gradmle.fit(x, method="closed_form")
    s = ref.params["sigma"]
    r = gradmle.fit(x, method="gradient", step=0.0218 * s * s, init={"mu": ref.params["mu"] + 0.0034 * s,
                                                                       "sigma": 0.975 * s}, tol=1e-12, max_iter=20000)
    assert r.converged and r.error <= 1e-11 or r.outcome.code == "float_resolution"
    r = gradmle.fit(x, method="newton", init={"mu": ref.params["mu"] + 0.1 * s, "sigma": 0.9 * s}, tol=1e-12)
    assert r.converged and r.error <= 1e-12


# -- found in review -----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(family="student_t", fixed={"scale": 5.0}, init={"loc": 1e10}),
    dict(family="logistic", fixed={"scale": 3.0}, init={"loc": 1e17}),
    dict(family="laplace", method="newton", fixed={"scale": 3.0}, init={"loc": 1e17}),
])
def test_a_location_far_outside_the_data_is_never_converged(kwargs):
    x = np.random.default_rng(0).normal(100, 5, 200)
    r = _explained(gradmle.fit(x, **kwargs))
    assert not r.converged or x.min() <= r.params["loc"] <= x.max()


def test_outcomes_and_messages_in_the_data_units():
    x = np.random.default_rng(1).normal(2, 1, 300) * 1e200
    r = _explained(gradmle.fit(x, method="fisher", step=2.5, init={"mu": 0.0, "sigma": 1e199}))
    assert r.outcome.code == "crossed_zero" and r.outcome.before == pytest.approx(r.trace["sigma"][-2], rel=1e-12)
    assert f"{r.trace['sigma'][-2]:.6g}" in r.message


def test_the_diagnosis_of_a_run_with_a_fixed_parameter():
    x = np.random.default_rng(0).normal(2, 1, 1000)
    r = _explained(gradmle.fit(x, method="gradient", step=2, fixed={"mu": 4.0}, init={"sigma": 2.0}, max_iter=3))
    restricted = gradmle.stability(x, fixed={"mu": 4.0}).bound
    assert r.diagnosis.bound == pytest.approx(restricted) and restricted > 5 * gradmle.stability(x).bound
    assert gradmle.fit(x, method="gradient", step=4, fixed={"mu": 4.0}, init={"sigma": 2.0}).converged


def test_bounds_beyond_float64_are_refused_in_one_sentence():
    x = np.random.default_rng(0).normal(2, 1, 300)
    for factor in (1e200, 1e-200):
        with pytest.raises(ValueError, match="beyond float64 in the data's own units"):
            gradmle.stability(x * factor)
    assert gradmle.stability(x * 1e200, method="fisher").bound == pytest.approx(2.0, rel=0.05)


def test_fixed_step_schemes_on_rescaled_data_in_log_coordinates():
    x = np.random.default_rng(0).exponential(2, 500)
    big = gradmle.fit(x * 2.0**600, family="exponential", method="gradient", step=0.5, init={"scale": 1.0 * 2.0**600})
    small = gradmle.fit(x, family="exponential", method="gradient", step=0.5, init={"scale": 1.0})
    assert big.nit == small.nit and big.params["scale"] == pytest.approx(small.params["scale"] * 2.0**600, rel=1e-12)
