"""The Normal family's log-likelihood, gradient and Hessian against scipy and finite differences."""

import math

import numpy as np
import scipy.stats
from hypothesis import given, strategies as st

from gradmle.families import get_family
from gradmle.streaming import statistics

normal = get_family("normal")


def _sample(seed, loc, scale, n=200):
    return loc + scale * np.random.default_rng(seed).standard_normal(n)


params = st.tuples(
    st.integers(0, 10_000),
    st.floats(-1e4, 1e4),
    st.floats(1e-3, 1e3),
    st.floats(-3.0, 3.0),   # mu offset in units of the sample sd
    st.floats(0.2, 5.0),    # sigma as a multiple of the sample sd
)


@given(params)
def test_loglik_matches_scipy(p):
    seed, loc, scale, off, ratio = p
    x = _sample(seed, loc, scale)
    stats = statistics(normal, x)
    sd = math.sqrt(stats.var)
    theta = (stats.mean + off * sd, ratio * sd)
    value, _ = normal.value_and_grad(theta, stats)
    ref = scipy.stats.norm.logpdf(x, theta[0], theta[1]).mean()
    assert math.isclose(value, ref, rel_tol=1e-10, abs_tol=1e-10)


def _fd_grad(f, theta, h):
    g = []
    for i in range(len(theta)):
        up = list(theta); dn = list(theta)
        up[i] += h[i]; dn[i] -= h[i]
        g.append((f(tuple(up)) - f(tuple(dn))) / (2 * h[i]))
    return np.array(g)


@given(params)
def test_gradient_and_hessian_match_finite_differences(p):
    seed, loc, scale, off, ratio = p
    # Central differences need theta +- h to be representable to ~1e-10 relative.
    loc = max(min(loc, 1e3 * scale), -1e3 * scale)
    stats = statistics(normal, _sample(seed, loc, scale))
    sd = math.sqrt(stats.var)
    theta = (stats.mean + off * sd, ratio * sd)
    h = (1e-5 * theta[1], 1e-5 * theta[1])
    value, grad = normal.value_and_grad(theta, stats)
    fd = _fd_grad(lambda t: normal.value_and_grad(t, stats)[0], theta, h)
    unit = 1.0 / theta[1]  # gradients are O(1/sigma)
    assert np.allclose(grad, fd, rtol=1e-6, atol=1e-6 * unit)
    hess = normal.hessian(theta, stats)
    rows = [_fd_grad(lambda t, i=i: normal.value_and_grad(t, stats)[1][i], theta, h) for i in range(2)]
    assert np.allclose(hess, np.array(rows), rtol=1e-5, atol=1e-5 * unit * unit)
    assert np.allclose(hess, hess.T)


def test_fisher_information_is_minus_expected_hessian_at_truth():
    stats = statistics(normal, _sample(3, 0.0, 1.0, n=200_000))
    theta = (0.0, 1.0)
    assert np.allclose(-normal.hessian(theta, stats), normal.fisher(theta), atol=0.02)


def test_outside_the_parameter_space_is_reported_not_raised():
    stats = statistics(normal, _sample(0, 0.0, 1.0))
    for sigma in (0.0, -1.0, math.nan, math.inf, 1e-200):
        value, grad = normal.value_and_grad((0.0, sigma), stats)
        assert value == -math.inf
