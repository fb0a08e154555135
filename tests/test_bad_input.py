"""Every bad input gets a clear error naming the value and what is allowed."""

import numpy as np
import pytest

import gradmle

X = np.random.default_rng(0).normal(2.0, 1.0, 100)


@pytest.mark.parametrize(
    "data, exc, words",
    [
        ([], ValueError, "empty"),
        (np.array([]), ValueError, "empty"),
        ([3.0], ValueError, "only 1 value"),
        ([1.0, np.nan, 2.0], ValueError, "NaN"),
        ([1.0, np.inf, 2.0], ValueError, "+inf"),
        ([1.0, -np.inf, 2.0], ValueError, "-inf"),
        (["a", "b"], TypeError, "'a'"),
        ([1.0, "2", 3.0], TypeError, "numbers"),
        ("1 2 3", ValueError, "1 2 3: no such file"),  # a string is a path
        (None, TypeError, "None"),
        (5.0, TypeError, "single number"),
        ([True, False, True], TypeError, "booleans"),
        ([1 + 2j, 3j], TypeError, "complex"),
        (np.ones((3, 4)), ValueError, "shape (3, 4)"),
        ([2.0, 2.0, 2.0], ValueError, "all 3 values are equal"),
    ],
)
def test_bad_data(data, exc, words):
    with pytest.raises(exc) as info:
        gradmle.fit(data)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"init": {"mu": 0.0, "sigma": 0.0}}, ValueError, "init['sigma'] = 0.0"),
        ({"init": {"mu": 0.0, "sigma": -1.0}}, ValueError, "must be > 0"),
        ({"init": {"mu": np.nan}}, ValueError, "finite"),
        ({"init": {"mu": "0"}}, TypeError, "number"),
        ({"init": {"nu": 1.0}}, ValueError, "unknown parameter 'nu'"),
        ({"init": [1.0, 2.0]}, TypeError, "dict"),
        ({"step": 0.0}, ValueError, "step"),
        ({"step": -0.1}, ValueError, "step"),
        ({"step": np.nan}, ValueError, "step"),
        ({"step": "0.1"}, TypeError, "step"),
        ({"tol": 0.0}, ValueError, "tol"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"max_iter": 2.5}, ValueError, "max_iter"),
        ({"method": "newtonish"}, ValueError, "valid: auto, gradient"),
        ({"parametrization": "log"}, ValueError, "valid: sigma, log_sigma, variance"),
        ({"method": "lbfgs", "step": 0.1}, ValueError, "does not apply"),
        ({"method": 3}, TypeError, "method"),
        ({"family": "cauchyish"}, ValueError, "valid families: normal"),
        ({"method": "coordinate", "n_inner": 0}, ValueError, "n_inner"),
        ({"method": "coordinate", "n_outer": -1}, ValueError, "n_outer"),
        ({"method": "gradient", "n_inner": 5}, ValueError, "only to method='coordinate'"),
    ],
)
def test_bad_arguments(kwargs, exc, words):
    with pytest.raises(exc) as info:
        gradmle.fit(X, **kwargs)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_accepted_spellings():
    assert gradmle.fit(list(X), method=" Gradient ", step=0.5, max_iter=1e3).method == "gradient"
    assert gradmle.fit(X.reshape(-1, 1), method="closed_form").converged
    assert gradmle.fit(X.astype(np.float32), method="closed_form").converged
    assert gradmle.fit(np.arange(10), method="closed_form").converged


def test_default_start_is_the_moment_estimate():
    r = gradmle.fit(X)
    assert r.converged and r.nit <= 1 and r.error < 1e-15
