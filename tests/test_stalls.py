"""Runs that used to stop short of the optimum, against references computed independently:
nbinom near its Poisson limit (a 1-D root of the profile score in mpmath), beta with a large
b (its log-likelihood derivatives, and its MLE, in mpmath), and L-BFGS-B from absurd starts
(the Normal's closed form) and on nbinom's ridge.

Errors are measured as ``FitResult.error`` measures them: ``|theta - ref|`` over
``max(|ref|, s)``, with ``s`` the parameter's statistical scale at the reference.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from scipy.optimize import brentq

import gradmle
from gradmle.families import get_family
from gradmle.families.nbinom import DISPERSION_LIMIT


def _error(result, ref: dict) -> float:
    fam = get_family(result.family)
    scales = dict(zip(fam.param_names, fam.scales(tuple(ref[k] for k in fam.param_names))))
    return max(abs(result.params[k] - ref[k]) / max(abs(ref[k]), scales[k]) for k in ref)


# -- nbinom near the Poisson limit --------------------------------------------------------------

def _nbinom_sample(seed: int) -> np.ndarray:
    """Counts with over-dispersion var/mean - 1 between 1e-3 and 1e-1 (of the model; the
    sample's own may be <= 0), mean 0.3 to 30, 100 to 10^4 of them."""
    rng = np.random.default_rng(seed)
    over = 10 ** rng.uniform(-3, -1)
    size = int(10 ** rng.uniform(2, 4))
    mean = 10 ** rng.uniform(-0.5, 1.5)
    n = mean / over
    return rng.negative_binomial(n, n / (n + mean), size)


def _nbinom_mle(x: np.ndarray):
    """The MLE ``(n, p)`` from the profile score in n (p = n / (n + mean) given n),
    mean[psi(x + n) - psi(n)] - log(1 + mean / n), evaluated at 40 digits: in float64 its
    two terms of size mean / n cancel to a size mean^2 / n^2 times the over-dispersion.
    None when the counts are not over-dispersed (no maximum)."""
    values, counts = np.unique(x, return_counts=True)
    total = int(counts.sum())
    mean = float(np.dot(values, counts)) / total
    if float(np.dot(counts, (values - mean) ** 2)) / total <= mean:
        return None
    m = mp.mpf(int(np.dot(values, counts))) / total
    pairs = [(int(v), int(c)) for v, c in zip(values, counts) if v]

    def score(log_n):
        with mp.workdps(40):
            n = mp.exp(mp.mpf(log_n))
            s = mp.fsum(c * (mp.digamma(n + v) - mp.digamma(n)) for v, c in pairs) / total - mp.log1p(m / n)
            return float(s * n * n / m)  # of order 1 near the root

    lo = hi = math.log(mean * mean / (float(np.dot(counts, (values - mean) ** 2)) / total - mean))
    while score(lo) < 0.0:
        lo -= 1.0
    while score(hi) > 0.0:
        hi += 1.0
    n = math.exp(brentq(score, lo, hi, xtol=1e-15, rtol=1e-15))
    return {"n": n, "p": n / (n + mean)}


#: Seeds on which Newton (method auto) stalled 1e-9 to 3e-6 (relative, in n) from the MLE,
#: and a few others.
NBINOM_STALLED = (238, 243, 347, 355, 400, 497)


@pytest.mark.parametrize("seed", NBINOM_STALLED + tuple(range(8)))
def test_nbinom_near_poisson_limit_converges(seed):
    x = _nbinom_sample(seed)
    r = gradmle.fit(x, family="nbinom")
    ref = _nbinom_mle(x)
    if ref is None:
        assert r.status == "boundary", r.message
        return
    if (1.0 - ref["p"]) / ref["p"] <= 2.0 * DISPERSION_LIMIT:  # indistinguishable from a Poisson
        assert r.status == "boundary", r.message
        return
    assert r.status == "converged", r.message
    assert _error(r, ref) < 1e-8


# -- beta with a large b ----------------------------------------------------------------------

def _beta_derivatives(a: float, b: float, ml: float, ml1: float, dps: int = 50):
    """Average log-likelihood, gradient and Fisher information of the beta at 50 digits."""
    with mp.workdps(dps):
        A, B, ML, ML1 = mp.mpf(a), mp.mpf(b), mp.mpf(ml), mp.mpf(ml1)
        value = (A - 1) * ML + (B - 1) * ML1 - (mp.loggamma(A) + mp.loggamma(B) - mp.loggamma(A + B))
        psi = mp.digamma(A + B)
        grad = (psi - mp.digamma(A) + ML, psi - mp.digamma(B) + ML1)
        tab = mp.polygamma(1, A + B)
        info = ((mp.polygamma(1, A) - tab, -tab), (-tab, mp.polygamma(1, B) - tab))
        # The sizes the float64 results must resolve: the differences over the large b.
        sizes = (abs(psi - mp.digamma(A)), abs(psi - mp.digamma(B)))
        return value, grad, info, sizes


@pytest.mark.parametrize("a", [0.5, 2.0, 5.0])
@pytest.mark.parametrize("b", [1e3, 1e4, 1e5, 1e7])
def test_beta_derivatives_at_large_b(a, b):
    fam = get_family("beta")
    # Statistics of data that fit (a, b) about as well as a sample would: mean log(1 - x)
    # near -a / b, mean log x near log(a / b).
    ml, ml1 = math.log(a / b) - 0.3, -a / b * 1.01
    stats = type("Stats", (), {"mean_log": ml, "mean_log1m": ml1})()
    value, grad = fam.objective(stats)((a, b))
    info = fam.fisher((a, b))
    ref_value, ref_grad, ref_info, sizes = _beta_derivatives(a, b, ml, ml1)
    assert abs(value - float(ref_value)) <= 1e-14 * max(abs(float(ref_value)), 1.0)
    for g, r, size in zip(grad, ref_grad, sizes):
        # What a gradient must resolve near the optimum is its size relative to the
        # difference of digammas: a / b for the derivative in b.
        assert abs(g - float(r)) <= 1e-14 * float(size)
    assert abs(info[1][1] - float(ref_info[1][1])) <= 1e-13 * abs(float(ref_info[1][1]))
    assert abs(info[0][0] - float(ref_info[0][0])) <= 1e-13 * abs(float(ref_info[0][0]))


def _beta_mle(x: np.ndarray, start) -> dict:
    """The beta MLE by Newton's method at 50 digits on the exact statistics of x."""
    with mp.workdps(50):
        n = len(x)
        ml = mp.fsum(mp.log(mp.mpf(float(v))) for v in x) / n
        ml1 = mp.fsum(mp.log1p(-mp.mpf(float(v))) for v in x) / n
        a, b = mp.mpf(start[0]), mp.mpf(start[1])
        for _ in range(100):
            psi, tab = mp.digamma(a + b), mp.polygamma(1, a + b)
            g = mp.matrix([psi - mp.digamma(a) + ml, psi - mp.digamma(b) + ml1])
            h = mp.matrix([[tab - mp.polygamma(1, a), tab], [tab, tab - mp.polygamma(1, b)]])
            d = mp.lu_solve(h, -g)
            a, b = a + d[0], b + d[1]
            if abs(d[0]) < abs(a) * mp.mpf(10) ** -35 and abs(d[1]) < abs(b) * mp.mpf(10) ** -35:
                break
        return {"a": float(a), "b": float(b)}


#: (a, b, seed, size): the first nine stalled 1e-10 to 3e-8 (relative) from the MLE, or
#: ran to max_iter, before the differences over b were written stably.
BETA_CASES = (
    (2.0, 1e4, 0, 5000), (2.0, 1e4, 2, 5000), (0.83, 2340.0, 101, 5000), (1.63, 3090.0, 105, 5000),
    (3.34, 2680.0, 106, 5000), (0.852, 2150.0, 110, 5000), (0.764, 1070.0, 112, 5000), (0.826, 5.4e4, 116, 5000),
    (0.517, 1160.0, 123, 5000), (1.61, 5.53e6, 1016, 527), (1.2, 9e8, 1019, 1513), (4.0, 2e5, 7, 2000),
)


@pytest.mark.parametrize("a, b, seed, size", BETA_CASES)
def test_beta_large_b_converges(a, b, seed, size):
    x = np.random.default_rng(seed).beta(a, b, size)
    r = gradmle.fit(x, family="beta")
    assert r.status == "converged", r.message
    ref = _beta_mle(x, (r.params["a"], r.params["b"]))
    assert _error(r, ref) < 1e-8


# -- L-BFGS-B from absurd starts ----------------------------------------------------------------

def _normal_mle(x: np.ndarray) -> dict:
    mu = math.fsum(x) / len(x)
    return {"mu": mu, "sigma": math.sqrt(math.fsum((x - mu) ** 2) / len(x))}


#: Starts from which L-BFGS-B stopped short: at iteration 1 (its first step, the gradient
#: in coordinates standardized at the moment estimate, did not change the iterate), or
#: crawled to max_iter, or stopped far off.
ABSURD = (
    ({"mu": 2.0, "sigma": 1.5e6}, "variance"),
    ({"mu": 2.0, "sigma": 1e8}, "sigma"),
    ({"mu": 1e3, "sigma": 1e8}, "sigma"),
    ({"mu": 2.0, "sigma": 1e5}, "sigma"),
    ({"mu": -1e3, "sigma": 1e5}, "sigma"),
    ({"mu": 2.0, "sigma": 1500.0}, "variance"),
    ({"mu": 1e6, "sigma": 1e-3}, "sigma"),
)


@pytest.mark.parametrize("init, parametrization", ABSURD)
def test_lbfgs_from_absurd_starts_converges(init, parametrization):
    x = np.random.default_rng(0).normal(2.0, 1.5, 2000)
    r = gradmle.fit(x, family="normal", method="lbfgs", init=init, parametrization=parametrization)
    assert r.status == "converged", r.message
    assert _error(r, _normal_mle(x)) < 1e-8


@pytest.mark.parametrize("seed", (238, 271, 400))
def test_lbfgs_on_the_nbinom_ridge_converges(seed):
    # Its first step along one axis of (log n, logit p) fell off the ridge along which n
    # and p trade off near the Poisson limit; the restarts' did too.
    x = _nbinom_sample(seed)
    r = gradmle.fit(x, family="nbinom", method="lbfgs")
    assert r.status == "converged", r.message
    assert _error(r, _nbinom_mle(x)) < 1e-8
