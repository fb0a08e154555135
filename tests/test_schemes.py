"""The classic schemes: convergence where theory says so, honest divergence elsewhere."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gradmle

SCHEMES = ("gradient", "sequential", "coordinate")


def _data(seed, loc, scale, n):
    return loc + scale * np.random.default_rng(seed).standard_normal(n)


@settings(max_examples=60)
@given(
    seed=st.integers(0, 2**31),
    log_loc=st.floats(-3, 7),
    sign=st.sampled_from([-1.0, 1.0]),
    log_scale=st.floats(-3, 3),
    n=st.integers(2, 400),
    frac=st.floats(0.02, 0.5),      # step as a fraction of the stability bound sigma_hat^2
    dmu=st.floats(-0.1, 0.1),       # start offsets, in units of sigma_hat
    dsig=st.floats(-0.1, 0.1),
    method=st.sampled_from(SCHEMES),
)
def test_converges_to_closed_form_below_half_the_stability_bound(seed, log_loc, sign, log_scale, n, frac, dmu, dsig, method):
    x = _data(seed, sign * 10.0**log_loc, 10.0**log_scale, n)
    ref = gradmle.fit(x, method="closed_form").params
    s = ref["sigma"]
    init = {"mu": ref["mu"] + dmu * s, "sigma": (1.0 + dsig) * s}
    r = gradmle.fit(x, method=method, step=frac * s * s, init=init, tol=1e-12, max_iter=20_000)
    if abs(ref["mu"]) / s > 1e5 and r.status == "stalled":
        # A mean far larger than its spread: mu's last steps (gamma times its gradient)
        # fall below the spacing of floats there before tol = 1e-12 is met, and the run
        # says so instead of calling it converged.
        assert r.outcome.code == "float_resolution", r.message
        # mu stops within delta = spacing(mu) / (2 frac) of xbar, where its step
        # frac * (xbar - mu) rounds away; sigma then settles at sqrt(s^2 + delta^2).
        bound = max(1e-10, 0.5 * (np.spacing(ref["mu"]) / (frac * s)) ** 2)
    else:
        assert r.status == "converged", r.message
        bound = 1e-10
    assert r.error <= bound
    assert abs(r.params["mu"] - ref["mu"]) <= 1e-10 * max(s, abs(ref["mu"]))
    assert abs(r.params["sigma"] / s - 1.0) <= bound


def test_trace_records_every_iterate_from_the_start():
    x = _data(0, 2.0, 1.0, 1000)
    init = {"mu": 1.5, "sigma": 1.3}
    r = gradmle.fit(x, method="gradient", step=0.3, init=init, max_iter=7, tol=1e-12)
    assert r.status == "max_iter" and r.nit == 7 and r.nfev == 8
    for key in ("mu", "sigma", "loglik", "grad_norm", "iteration"):
        assert len(r.trace[key]) == 8
    assert (r.trace["mu"][0], r.trace["sigma"][0]) == (1.5, 1.3)
    # Replay the scheme by hand from the recorded iterates.
    m, v = x.mean(), x.var()
    for t in range(7):
        mu, sg = r.trace["mu"][t], r.trace["sigma"][t]
        d = v + (m - mu) ** 2
        assert math.isclose(r.trace["mu"][t + 1], mu + 0.3 * (m - mu) / sg**2, rel_tol=1e-12)
        assert math.isclose(r.trace["sigma"][t + 1], sg + 0.3 * (d / sg**3 - 1 / sg), rel_tol=1e-12)
    assert r.params == {"mu": r.trace["mu"][-1], "sigma": r.trace["sigma"][-1]}
    assert math.isclose(r.loglik, np.mean(-0.5 * np.log(2 * np.pi) - np.log(r.params["sigma"]) - (x - r.params["mu"]) ** 2 / (2 * r.params["sigma"] ** 2)), rel_tol=1e-12)


def test_sequential_uses_the_new_mu_for_sigma():
    x = _data(1, 0.0, 1.0, 500)
    m, v = x.mean(), x.var()
    r = gradmle.fit(x, method="sequential", step=0.2, init={"mu": 1.0, "sigma": 0.8}, max_iter=1)
    mu1 = 1.0 + 0.2 * (m - 1.0) / 0.64
    d = v + (m - mu1) ** 2
    assert math.isclose(r.params["mu"], mu1, rel_tol=1e-13)
    assert math.isclose(r.params["sigma"], 0.8 + 0.2 * (d / 0.8**3 - 1 / 0.8), rel_tol=1e-13)


def test_coordinate_records_each_inner_step_as_a_staircase():
    x = _data(2, 0.0, 1.0, 500)
    r = gradmle.fit(x, method="coordinate", step=0.2, init={"mu": 1.0, "sigma": 0.8}, n_inner=4, n_outer=3)
    assert r.nit == 3 and len(r.trace["mu"]) == 1 + 3 * 2 * 4
    mu, sg = r.trace["mu"], r.trace["sigma"]
    for sweep in range(3):
        a = 1 + sweep * 8
        assert np.all(sg[a : a + 4] == sg[a - 1])          # mu block: sigma held
        assert np.all(mu[a + 4 : a + 8] == mu[a + 3])      # sigma block: mu held
    assert list(r.trace["iteration"][:2]) == [0, 1] and r.trace["iteration"][-1] == 3


@pytest.mark.parametrize("method", SCHEMES)
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e4])
def test_tiny_starting_sigma_diverges_and_the_trace_ends_there(method, scale):
    x = _data(3, 5.0 * scale, scale, 1000)
    ref = gradmle.fit(x, method="closed_form").params
    s = ref["sigma"]
    r = gradmle.fit(x, method=method, step=0.1 * s * s, init={"mu": ref["mu"] - s, "sigma": 1e-3 * s})
    assert r.status == "diverged" and not r.converged
    assert r.nit == 1
    assert "mu" in r.message or "sigma" in r.message
    assert "iteration 1" in r.message
    last = (r.trace["mu"][-1], r.trace["sigma"][-1])
    assert (r.params["mu"], r.params["sigma"]) == last
    # Every earlier row is a legitimate point; the last one is where it left.
    assert np.all(r.trace["sigma"][:-1] > 0) and np.all(np.isfinite(r.trace["loglik"][:-1]))
    far = max(abs(last[0] - ref["mu"]), last[1]) > 100 * (x.max() - x.min()) or last[1] <= 0
    assert far


@pytest.mark.parametrize("method", SCHEMES)
@pytest.mark.parametrize("factor", [10.0, 100.0, 1e4])
def test_step_far_above_the_bound_diverges(method, factor):
    x = _data(4, -2.0, 3.0, 1000)
    ref = gradmle.fit(x, method="closed_form").params
    s = ref["sigma"]
    init = {"mu": ref["mu"] + 0.05 * s, "sigma": 1.05 * s}
    r = gradmle.fit(x, method=method, step=factor * s * s, init=init, max_iter=1000)
    assert r.status == "diverged", r.message
    assert len(r.trace["mu"]) >= 2
    bad = r.trace["sigma"][-1] <= 0 or not np.isfinite(r.trace["mu"][-1]) or "ran away" in r.message
    assert bad, r.message


@pytest.mark.parametrize("method", SCHEMES)
@pytest.mark.parametrize("factor", [1.2, 1.5, 2.0, 3.0])
def test_step_above_the_bound_never_converges(method, factor):
    # A few times the bound the orbit is thrown out and crawls back, over and over:
    # bounded, but never convergent. It must not be reported as converged.
    x = _data(4, -2.0, 3.0, 1000)
    s = x.std()
    init = {"mu": x.mean() + 0.05 * s, "sigma": 1.05 * s}
    r = gradmle.fit(x, method=method, step=factor * s * s, init=init, max_iter=2000)
    assert r.status in ("diverged", "max_iter") and r.error > 1e-3


def test_a_sweep_that_cycles_back_to_its_start_is_not_called_stalled():
    # Just above the bound each parameter's updates often fall into an exact 2-cycle:
    # a sweep of an even number of them ends where it began, though every one moved.
    x = _data(1, -2.0, 3.0, 1000)
    s = x.std()
    init = {"mu": x.mean() + 0.05 * s, "sigma": 1.05 * s}
    r = gradmle.fit(x, method="coordinate", step=1.2 * s * s, init=init, max_iter=200)
    assert r.status == "max_iter", r.message
    assert len(set(r.trace["sigma"][-40:])) == 2  # the cycle


def test_step_just_above_the_bound_oscillates_without_converging():
    # Between sigma_hat^2 and 2 sigma_hat^2 the sigma error flips sign and grows.
    x = _data(5, 0.0, 1.0, 2000)
    s2 = x.var()
    r = gradmle.fit(x, method="gradient", step=1.2 * s2, init={"mu": x.mean(), "sigma": 1.01 * np.sqrt(s2)}, max_iter=300)
    assert r.status in ("diverged", "max_iter") and not r.converged
    err = np.abs(r.trace["sigma"][:6] - np.sqrt(s2))
    assert np.all(np.diff(err) > 0)


def test_not_finite_params_are_never_converged():
    x = _data(6, 0.0, 1.0, 100)
    for step in (1e3, 1e8, 1e300):
        r = gradmle.fit(x, method="gradient", step=step, init={"mu": 0.5, "sigma": 0.5})
        if not all(math.isfinite(v) for v in r.params.values()):
            assert r.status == "diverged"
        assert r.status == "diverged"


def test_summary_is_a_readable_table():
    x = _data(7, 1.0, 2.0, 300)
    text = gradmle.fit(x, method="gradient", step=1.0, init={"mu": 0.0, "sigma": 2.0}).summary()
    for word in ("mu", "sigma", "loglik", "status", "closed form"):
        assert word in text
