"""The methods that do not blow up: convergence from every start, on every scale."""

import math

import numpy as np
import pytest

import gradmle

ROBUST = ("fisher", "newton", "linesearch", "lbfgs", "auto")
SIGMA0 = (1e-3, 0.1, 1.0, 10.0, 1e3)      # in units of sigma_hat
MU0 = (0.0, 5.0, -100.0)                  # offsets from xbar in units of sigma_hat


def _data(loc, sd, n=1000, seed=1):
    return loc + sd * np.random.default_rng(seed).standard_normal(n)


DATASETS = {"mean 1e7, sd 0.1": _data(1e7, 0.1), "standard": _data(0.0, 1.0), "sd 1e3": _data(5.0, 1e3),
            "sd 1e-5": _data(-3e-4, 1e-5, seed=2)}


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("method", ROBUST)
def test_robust_methods_converge_from_every_start(name, method):
    x = DATASETS[name]
    ref = gradmle.fit(x, method="closed_form").params
    s = ref["sigma"]
    for s0 in SIGMA0:
        for dm in MU0:
            init = {"mu": ref["mu"] + dm * s, "sigma": s0 * s}
            r = gradmle.fit(x, method=method, init=init, tol=5e-11, max_iter=2000)
            assert r.converged, (s0, dm, r.message)
            assert r.error <= 1e-10, (s0, dm, r.error)


@pytest.mark.parametrize("parametrization", ["log_sigma", "variance"])
@pytest.mark.parametrize("method", ["newton", "lbfgs", "auto"])
def test_safeguarded_methods_converge_in_other_parametrizations(method, parametrization):
    for x in DATASETS.values():
        ref = gradmle.fit(x, method="closed_form").params
        s = ref["sigma"]
        for s0 in SIGMA0:
            init = {"mu": ref["mu"] + 5.0 * s, "sigma": s0 * s}
            r = gradmle.fit(x, method=method, init=init, tol=5e-11, max_iter=2000, parametrization=parametrization)
            assert r.converged and r.error <= 1e-10, (s0, r.message)
            assert set(r.trace) >= {"mu", "sigma"}, "trace is reported in mu and sigma"
            assert np.all(r.trace["sigma"] > 0)


def test_fisher_with_step_one_is_heron_and_exact_mu():
    x = _data(3.0, 2.0)
    m, v = x.mean(), x.var()
    r = gradmle.fit(x, method="fisher", init={"mu": -5.0, "sigma": 0.5}, max_iter=3)
    assert math.isclose(r.trace["mu"][1], m, rel_tol=1e-15)
    d0 = v + (m + 5.0) ** 2
    assert math.isclose(r.trace["sigma"][1], (0.5 + d0 / 0.5) / 2, rel_tol=1e-13)
    s1 = r.trace["sigma"][1]
    assert math.isclose(r.trace["sigma"][2], (s1 + v / s1) / 2, rel_tol=1e-13)


def test_newton_never_decreases_the_likelihood_beyond_rounding():
    x = _data(0.0, 1.0)
    r = gradmle.fit(x, method="newton", init={"mu": 40.0, "sigma": 0.01})
    ll = r.trace["loglik"]
    assert r.converged and np.all(np.diff(ll) >= -1e-14 * np.abs(ll[1:]))


def test_lbfgs_records_every_iterate_and_counts_evaluations():
    x = _data(0.0, 1.0)
    r = gradmle.fit(x, method="lbfgs", init={"mu": 3.0, "sigma": 0.3})
    assert r.converged and len(r.trace["mu"]) == r.nit + 1 and r.nfev >= r.nit
    assert list(r.trace["iteration"]) == list(range(r.nit + 1))


def test_adam_runs_and_is_honest_when_it_does_not_settle():
    x = _data(2.0, 1.0)
    r = gradmle.fit(x, method="adam", step=0.05, init={"mu": 0.0, "sigma": 2.0}, max_iter=300)
    assert r.status in ("converged", "max_iter")
    assert abs(r.params["mu"] - x.mean()) < 0.2
    if not r.converged:
        assert r.diagnosis.cause == "too_slow"


def test_auto_is_the_default_and_says_what_it_ran():
    x = _data(2.0, 1.0)
    r = gradmle.fit(x, init={"mu": -10.0, "sigma": 0.01})
    assert r.method == "auto" and r.converged and r.message.startswith(f"auto ran {gradmle.AUTO_METHOD}")


def test_compare_runs_every_method_from_the_same_start():
    x = _data(2.0, 1.0)
    table = gradmle.compare(x, ["gradient", "fisher", "lbfgs"], init={"mu": -1.0, "sigma": 0.1}, max_iter=200)
    rows = table.rows()
    assert [r["method"] for r in rows] == ["gradient", "fisher", "lbfgs"]
    assert table["gradient"].status == "diverged" and table["fisher"].converged
    for r in table.results.values():
        assert r.options["init"] == {"mu": -1.0, "sigma": 0.1}
    text = str(table)
    assert "status" in text and "evals" in text and "fisher" in text
    assert all(row["time"] >= 0 and row["nfev"] >= row["nit"] for row in rows)
