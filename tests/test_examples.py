"""The README's worked models (examples/models.py) fit their own simulated data: each
converges and finds the parameters it was simulated with, within 5 standard errors."""

import importlib.util
import pathlib

import pytest

pytest.importorskip("jax")

HERE = pathlib.Path(__file__).resolve().parent.parent / "examples"

TRUTH = {
    "mixture": {"w[0]": 0.3, "mu[0]": -1.0, "mu[1]": 2.0, "sigma[0]": 0.5, "sigma[1]": 1.0},
    "heteroscedastic": {"beta[0]": 1.0, "beta[1]": 2.0, "gamma[0]": -1.0, "gamma[1]": 0.8},
    "logistic": {"beta[0]": 0.5, "beta[1]": 1.0, "beta[2]": -0.5, "beta[3]": 0.25, "beta[4]": 0.0, "beta[5]": 2.0},
    "zip_poisson": {"pi": 0.25, "beta[0]": 0.3, "beta[1]": 1.2},
}


def _load(name):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_worked_models_recover_their_parameters():
    fits = _load("worked_models").fits(5000)
    assert set(fits) == set(TRUTH)
    for name, r in fits.items():
        assert r.status == "converged", (name, r.message)
        assert r.info["derivatives"] == "jax"
        for k, v in TRUTH[name].items():
            assert abs(r.params[k] - v) <= 5 * r.stderr[k], (name, k, r.params[k], r.stderr[k])
