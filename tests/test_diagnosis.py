"""Diagnosis: the cause agrees with the theory of docs/normal.md; every remedy works."""

import math

import numpy as np
import pytest

import gradmle

DATA = {
    "unit": 2.0 + np.random.default_rng(0).standard_normal(500),
    "narrow": 1e4 + 1e-2 * np.random.default_rng(1).standard_normal(500),
    "wide": -50.0 + 30.0 * np.random.default_rng(2).standard_normal(500),
}
SCHEMES = ("gradient", "sequential", "coordinate")
PARAMS = ("sigma", "log_sigma", "variance")
GAMMA = (0.3, 3.0, 30.0)     # times the stability bound at the optimum
SIGMA0 = (1e-2, 1.0, 30.0)   # times sigma_hat
ABOVE = {"step_above_bound", "scale_crossed_zero", "nonfinite"}


def _cases():
    for name in DATA:
        for scheme in SCHEMES:
            for par in PARAMS:
                yield name, scheme, par


@pytest.mark.parametrize("name, scheme, par", list(_cases()))
def test_cause_follows_the_theory_and_remedies_converge(name, scheme, par):
    x = DATA[name]
    s_hat, xbar = x.std(), x.mean()
    kw = {"n_inner": 5} if scheme == "coordinate" else {}
    bound = gradmle.stability(x, method=scheme, parametrization=par, **kw).bound
    for g in GAMMA:
        for s0 in SIGMA0:
            init = {"mu": xbar + 0.5 * s_hat, "sigma": s0 * s_hat}
            r = gradmle.fit(x, method=scheme, step=g * bound, init=init, parametrization=par, max_iter=300, **kw)
            case = (g, s0, r.status, r.message)
            if r.converged:
                assert g < 1, case  # above the bound nothing converges from an inexact start
                assert r.diagnosis is None
                continue
            d = r.diagnosis
            assert d.cause in gradmle.CAUSES and d.explanation and math.isclose(d.bound, bound, rel_tol=1e-9)
            if g > 1:
                assert d.cause in ABOVE, (d.cause, case)
            else:
                assert d.cause != "step_above_bound", (d.cause, case)
                if s0 == 1.0:
                    assert d.cause == "too_slow", (d.cause, case)
                if s0 == 1e-2 and par == "sigma":
                    # gamma / sigma0^2 = 0.3 * 1e4: the first step throws the iterate.
                    assert d.cause in ("small_start_sigma", "convex_crawl"), (d.cause, case)
            if d.cause == "scale_crossed_zero" and par == "sigma":
                assert g * bound > 4 * x.var()   # a step crosses zero only when gamma > 4 D >= 4 s2
            if d.cause == "step_above_bound":
                assert f"{g * bound:.4g}" in d.explanation and f"{bound:.4g}" in d.explanation
            # The order of the updates is never blamed.
            text = d.explanation.replace("The order of the updates is not the cause", "")
            assert "order" not in text
            assert d.remedies, case
            for rem in d.remedies:
                again = gradmle.fit(x, **rem.options)  # everything needed to repeat the verified run
                assert again.converged and again.error < 1e-8, (rem, again.message)


def test_classic_demo_case_names_the_small_start():
    x = np.random.default_rng(0).normal(2.0, 1.0, 10_000)
    for method in ("gradient", "sequential"):
        r = gradmle.fit(x, method=method, step=0.1, init={"mu": -1.0, "sigma": 0.1}, max_iter=100)
        d = r.diagnosis
        assert d.cause == "small_start_sigma"
        assert "gamma/sigma0^2 = 10" in d.explanation
        assert any(rem.options.get("method") == "fisher" for rem in d.remedies)
        if method == "sequential":
            assert "The order of the updates is not the cause" in d.explanation


def test_the_example_explanation_of_the_issue():
    # "gamma = 1.5 is above the stability bound sigma_hat^2 = 0.996: ... 1 - 2*gamma/sigma_hat^2 = -2.01"
    x = np.random.default_rng(0).normal(2.0, 1.0, 10_000)
    r = gradmle.fit(x, method="gradient", step=1.5, init={"mu": 2.05, "sigma": 1.05})
    d = r.diagnosis
    assert d.cause == "step_above_bound"
    s2 = x.var()
    assert f"{1 - 2 * 1.5 / s2:.4g}" in d.explanation and "1 - 2*gamma/sigma_hat^2" in d.explanation
    assert "sigma_hat^2" in d.explanation and f"{s2:.4g}" in d.explanation
    assert "step=" in str(d) and "verified" in str(d)


def test_converged_runs_have_no_diagnosis_and_summary_shows_it_otherwise():
    x = DATA["unit"]
    assert gradmle.fit(x, method="fisher").diagnosis is None
    r = gradmle.fit(x, method="gradient", step=10.0, init={"mu": 2.5, "sigma": 1.2})
    assert "diagnosis:" in r.summary() and r.diagnosis.cause in ABOVE
