"""Pareto, Fisk, inverse Gaussian, Rayleigh, half-normal, Cauchy, geometric and binomial
(n known) against scipy.stats at n = 10^6, timed in the same run: scipy's .fit with loc
held at 0 where the family's support starts at loc; for the two discrete families
(scipy's have no .fit) a bounded scalar minimization of scipy's log-pmf. Prints the
table, with the difference of the average log-likelihoods; asserts nothing about time.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import scipy.optimize
import scipy.stats as ss

import gradmle
from common import best_of, table

N = 10**6


def _timed(fn, repeat):
    out = {}

    def run():
        out["v"] = fn()

    return best_of(run, repeat), out["v"]


def _scalar(logpmf, x):
    r = scipy.optimize.minimize_scalar(lambda p: -np.sum(logpmf(x, p)), bounds=(1e-12, 1 - 1e-12), method="bounded",
                                       options={"xatol": 1e-12})
    return (r.x,)


def main() -> int:
    rng = np.random.default_rng(0)
    floc = {"floc": 0}
    cases = [  # name, scipy dist, data, scipy's fit, how our params map to its args, our kw, repeat
        ("pareto", ss.pareto, 2.0 * (1.0 + rng.pareto(3.0, N)), lambda d, x: d.fit(x, **floc), {}, 5),
        ("fisk", ss.fisk, 2.0 * np.exp(rng.logistic(0.0, 1 / 3, N)), lambda d, x: d.fit(x, **floc), {}, 1),
        ("invgauss", ss.invgauss, rng.wald(1.5, 3.0, N), lambda d, x: d.fit(x, **floc), {}, 5),
        ("rayleigh", ss.rayleigh, rng.rayleigh(2.0, N), lambda d, x: d.fit(x, **floc), {}, 5),
        ("halfnorm", ss.halfnorm, np.abs(rng.normal(0.0, 2.0, N)), lambda d, x: d.fit(x, **floc), {}, 5),
        ("cauchy", ss.cauchy, 1.0 + 2.0 * rng.standard_cauchy(N), lambda d, x: d.fit(x), {}, 1),
        ("geom", ss.geom, rng.geometric(0.3, N).astype(float), lambda d, x: _scalar(d.logpmf, x), {}, 3),
        ("binom", ss.binom, rng.binomial(10, 0.3, N).astype(float),
         lambda d, x: _scalar(lambda k, p: d.logpmf(k, 10, p), x), {"fixed": {"n": 10}}, 3),
    ]
    rows = []
    for name, dist, x, scipy_fit, kw, repeat in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_scipy, theta_s = _timed(lambda: scipy_fit(dist, x), repeat)
        t_ours, r = _timed(lambda: gradmle.fit(x, family=name, **kw), repeat)
        frozen = r.frozen()
        logp = frozen.logpmf if hasattr(frozen, "logpmf") else frozen.logpdf
        ll_ours = float(np.mean(logp(x)))
        args = (10, *theta_s) if name == "binom" else theta_s
        ll_scipy = float(np.mean((dist.logpmf if hasattr(dist, "logpmf") else dist.logpdf)(x, *args)))
        est = ", ".join(f"{k}={v:.6g}" for k, v in r.params.items())
        rows.append([name, r.status, f"{t_ours * 1e3:.0f} ms", f"{t_scipy * 1e3:.0f} ms", f"{t_scipy / t_ours:.2f}x",
                     f"{ll_ours - ll_scipy:+.2e}", est])
    print(table(f"gradmle.fit against scipy.stats, n = {N:.0e} (same run; best of 1-5)",
                ["family", "status", "gradmle", "scipy", "speed-up", "loglik - scipy's", "estimates"], rows))
    print("goal: loglik - scipy's >= 0 (relative 1e-9) for every family")
    return 0


if __name__ == "__main__":
    sys.exit(main())
