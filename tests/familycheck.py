"""Shared checks for distribution families: every family's test module uses these.

A family's test module gives, for random parameters theta (a tuple in the order of
``family.param_names``): the matching scipy.stats frozen distribution, a sampler, and
scipy's own fit. The checks compare gradmle against them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import gradmle
from gradmle.families import get_family
from gradmle.streaming import statistics


def loglik(name: str, theta, x) -> float:
    fam = get_family(name)
    return fam.value_and_grad(tuple(theta), statistics(fam, np.asarray(x, dtype=float)))[0]


def check_loglik(name: str, theta, x, frozen, rel=1e-10):
    """The average log-likelihood equals scipy's mean logpdf (or logpmf)."""
    ref = float(np.mean(frozen.logpmf(x) if hasattr(frozen, "logpmf") else frozen.logpdf(x)))
    value = loglik(name, theta, x)
    assert math.isclose(value, ref, rel_tol=rel, abs_tol=rel), (theta, value, ref)


def _fd(f, theta, i, h):
    up, dn = list(theta), list(theta)
    up[i] += h
    dn[i] -= h
    return (f(tuple(up)) - f(tuple(dn))) / (2 * h)


def check_derivatives(name: str, theta, x, rel=1e-5):
    """Analytic gradient and Hessian against central finite differences."""
    fam = get_family(name)
    stats = statistics(fam, np.asarray(x, dtype=float))
    theta = tuple(float(t) for t in theta)
    # Steps in each parameter's statistical scale (sqrt of the inverse Fisher information).
    steps = [1e-5 * s if c == "real" else min(1e-5 * s, 1e-4 * (min(t, 1 - t) if c == "unit_interval" else t))
             for t, s, c in zip(theta, fam.scales(theta), fam.constraints)]
    value, grad = fam.value_and_grad(theta, stats)
    hess = np.asarray(fam.hessian(theta, stats))
    f = lambda t: fam.value_and_grad(t, stats)[0]
    for i, h in enumerate(steps):
        fd = _fd(f, theta, i, h)
        scale = max(abs(fd), abs(grad[i]), 1e-3 / steps[i] * 1e-5)
        assert abs(grad[i] - fd) <= rel * scale, ("grad", i, theta, grad[i], fd)
        for j in range(len(theta)):
            fd2 = _fd(lambda t: fam.value_and_grad(t, stats)[1][j], theta, i, h)
            scale2 = max(abs(fd2), abs(hess[i, j]), np.abs(hess).max() * 1e-3)
            assert abs(hess[j, i] - fd2) <= 20 * rel * scale2, ("hess", j, i, theta, hess[j, i], fd2)
    assert np.allclose(hess, hess.T, rtol=1e-10, atol=1e-12 * np.abs(hess).max())


def check_fisher(name: str, theta, sample, n=400_000, seed=0, rtol=0.03):
    """Fisher information = minus the expected Hessian (by a large sample at theta)."""
    fam = get_family(name)
    x = sample(theta, n, np.random.default_rng(seed))
    h = -np.asarray(fam.hessian(tuple(theta), statistics(fam, x)))
    f = np.asarray(fam.fisher(tuple(theta)))
    scale = np.sqrt(np.outer(np.diag(f), np.diag(f)))
    assert np.all(np.abs(h - f) <= rtol * scale), (theta, h, f)


def check_fits_against_scipy(name: str, datasets, scipy_fit, frozen, fit_kw=None, rel=1e-9, agree=1e-3):
    """On each data set the log-likelihood is never lower than scipy's (relative
    ``rel``); where scipy's fit is at least as good as ours minus a little (it found
    the same optimum) the estimates agree to ``agree`` relative."""
    fit_kw = fit_kw or {}
    rows = []
    for x in datasets:
        r = gradmle.fit(x, family=name, **fit_kw)
        # "boundary": the maximum is at the edge (t with df -> inf); its last iterate
        # must still be at least as likely as scipy's answer.
        assert r.status in ("converged", "boundary"), (r.status, r.message)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theta_s = scipy_fit(x)
        ours = float(np.sum(_logp(frozen(tuple(r.params.values())), x)))
        if r.status == "boundary":  # the supremum is the limiting model's likelihood
            ours = max(ours, float(np.sum(_logp(r.limit_fit.frozen(), x))))
        theirs = float(np.sum(_logp(frozen(theta_s), x)))
        assert ours >= theirs - rel * abs(theirs), (name, r.params, theta_s, ours, theirs)
        if r.converged and theirs >= ours - 1e-6 * abs(ours):  # scipy converged to the same maximum
            for a, b in zip(r.params.values(), theta_s):
                assert math.isclose(a, b, rel_tol=agree, abs_tol=agree), (r.params, theta_s)
        rows.append((ours, theirs))
    return rows


def _logp(dist, x):
    return dist.logpmf(x) if hasattr(dist, "logpmf") else dist.logpdf(x)


def check_stderr(name: str, theta, sample, n=20_000, reps=1, seed=1, fit_kw=None, rtol=0.1):
    """Standard errors at large n match sqrt(diag(F^-1) / n) at the true parameters."""
    fam = get_family(name)
    fit_kw = fit_kw or {}
    x = sample(theta, n, np.random.default_rng(seed))
    r = gradmle.fit(x, family=name, **fit_kw)
    assert r.converged, r.message
    expected = np.sqrt(np.diag(np.linalg.inv(fam.fisher(tuple(theta)))) / n)
    got = np.array([r.stderr[k] for k in fam.param_names])
    assert np.allclose(got, expected, rtol=rtol), (got, expected)
    ci = r.conf_int()
    for k, (lo, hi) in ci.items():
        assert lo < r.params[k] < hi
