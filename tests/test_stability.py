"""Stability bounds: the formulas of docs/normal.md, and a measured sweep of the step."""

import math

import numpy as np
import pytest

import gradmle

DATA = {
    "unit": 2.0 + np.random.default_rng(0).standard_normal(400),
    "small": 1e4 + 0.03 * np.random.default_rng(1).standard_normal(400),
    "large": -50.0 + 30.0 * np.random.default_rng(2).standard_normal(400),
}


@pytest.mark.parametrize("name", DATA)
def test_bounds_match_design(name):
    x = DATA[name]
    s2 = x.var()
    expect = {
        ("gradient", "sigma"): s2,
        ("gradient", "log_sigma"): min(2 * s2, 1.0),
        ("gradient", "variance"): min(2 * s2, 4 * s2 * s2),
        ("sequential", "sigma"): s2,
        ("coordinate", "sigma"): s2,
        ("fisher", "sigma"): 2.0,
        ("fisher", "log_sigma"): 2.0,
    }
    for (method, par), bound in expect.items():
        st = gradmle.stability(x, method=method, parametrization=par, n_inner=3)
        assert math.isclose(st.bound, bound, rel_tol=1e-9), (method, par, st.bound, bound)
        assert float(st) == st.bound and st.formula
    assert gradmle.stability(x, method="newton").bound == math.inf


def test_start_bound_is_reported_where_the_likelihood_is_concave():
    x = DATA["unit"]
    s = x.std()
    near = gradmle.stability(x, init={"mu": x.mean(), "sigma": 1.1 * s})
    assert near.start_bound is not None and near.start_bound > 0
    far = gradmle.stability(x, init={"mu": x.mean() + 3 * s, "sigma": 0.5 * s})
    assert far.start_bound is None  # (mu - xbar)^2 + sigma^2 > 3 s2: not concave


def _largest_converging_step(x, method, par, lo, hi, **kw):
    s = x.std()
    init = {"mu": x.mean() + 1e-4 * s, "sigma": (1 + 1e-4) * s}

    def converges(step):
        # Local stability: converged without ever leaving the neighbourhood of the start
        # (far outside it a nonlinear orbit may still wander back by luck).
        r = gradmle.fit(x, method=method, step=step, parametrization=par, init=init, tol=1e-7, max_iter=20000, **kw)
        dist = np.maximum(np.abs(r.trace["mu"] - x.mean()), np.abs(r.trace["sigma"] - s)) / s
        return r.converged and dist.max() < 1e-2

    assert converges(lo) and not converges(hi)
    for _ in range(12):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if converges(mid) else (lo, mid)
    return math.sqrt(lo * hi)


@pytest.mark.parametrize(
    "method, par, kw",
    [("gradient", "sigma", {}), ("gradient", "log_sigma", {}), ("gradient", "variance", {}),
     ("sequential", "sigma", {}), ("coordinate", "sigma", {"n_inner": 3}), ("fisher", "sigma", {})],
)
@pytest.mark.parametrize("name", ["unit", "large"])
def test_bound_agrees_with_a_measured_sweep(name, method, par, kw):
    x = DATA[name]
    bound = gradmle.stability(x, method=method, parametrization=par, **kw).bound
    measured = _largest_converging_step(x, method, par, 0.5 * bound, 1.5 * bound, **kw)
    assert abs(measured / bound - 1.0) < 0.01, (measured, bound)


def test_a_step_above_the_bound_is_never_too_slow_on_the_map():
    """Above the bound a run may be thrown to a large sigma, crawl back where the
    likelihood is convex and be thrown out again: its last iterates keep their sign, yet
    more iterations would not help. The map calls it oscillating, not too slow."""
    from gradmle.sweep import classify

    x = np.random.default_rng(0).normal(2.0, 1.0, 10_000)
    s = math.sqrt(x.var())
    r = gradmle.fit(x, method="gradient", step=2.5, init={"mu": x.mean() + s, "sigma": s}, max_iter=3000)
    assert r.status == "max_iter"
    assert classify(r) == 3  # what the sign test alone reads: the cycle is longer than its window
    m = gradmle.sweep(x, steps=[0.5, 2.5], sigma0s=[s], max_iter=3000)
    assert [gradmle.SWEEP_OUTCOMES[k] for k in m.outcome[0]] == ["converged", "oscillating"]
    assert r.diagnosis.cause == "step_above_bound"
