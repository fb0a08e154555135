"""`gradmle.select` against fitting the same families one after the other with scipy.stats
(and against fitter and distfit when they are installed), at n = 1e5 and 1e6: wall time
and the total log-likelihood each reaches per family."""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import scipy.stats as st

import gradmle
from common import table

#: The common families, with scipy's name and the arguments that fix what gradmle fixes
#: (the support of the positive families starts at 0).
FAMILIES = {"normal": ("norm", {}), "exponential": ("expon", {"floc": 0}), "lognormal": ("lognorm", {"floc": 0}),
            "gamma": ("gamma", {"floc": 0}), "weibull": ("weibull_min", {"floc": 0}), "student_t": ("t", {}),
            "laplace": ("laplace", {}), "logistic": ("logistic", {})}


def scipy_loop(x):
    out = {}
    for name, (dist, kw) in FAMILIES.items():
        d = getattr(st, dist)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params = d.fit(x, **kw)
            out[name] = float(np.sum(d.logpdf(x, *params)))
    return out


def peers(x):
    for mod in ("fitter", "distfit"):
        try:
            __import__(mod)
        except ImportError:
            print(f"{mod} is not installed: skipped (pip install {mod} to compare with it)")
            continue
        t = time.perf_counter()
        if mod == "fitter":
            from fitter import Fitter

            Fitter(x, distributions=[d for d, _ in FAMILIES.values()], timeout=600).fit()
        else:
            from distfit import distfit

            distfit(distr=[d for d, _ in FAMILIES.values()], verbose=0).fit_transform(x)
        print(f"{mod}: {time.perf_counter() - t:.2f} s")


def main() -> int:
    bad = 0
    for n in (100_000, 1_000_000):
        x = np.random.default_rng(0).gamma(2.0, 3.0, n)
        t = time.perf_counter()
        s = gradmle.select(x, families=list(FAMILIES))
        t_sel = time.perf_counter() - t
        t = time.perf_counter()
        ref = scipy_loop(x)
        t_scipy = time.perf_counter() - t
        rows = []
        for name in FAMILIES:
            row = next(r for r in s.table if r["family"] == name)
            ll = row["loglik"]
            rel = (ll - ref[name]) / abs(ref[name])
            bad += rel < -1e-9 and row["status"] == "converged"
            rows.append([name, row["status"], f"{ll:.6f}", f"{ref[name]:.6f}", f"{rel:+.1e}"])
        print(table(f"n = {n:,}: total log-likelihood (gradmle select vs scipy.stats fit, same families)",
                    ["family", "status", "gradmle", "scipy", "rel. diff"], rows))
        print(f"select (fits + KS/CvM/AD): {t_sel:.2f} s; scipy.stats fit loop (fits + log-likelihood): "
              f"{t_scipy:.2f} s; ratio {t_scipy / t_sel:.1f}x; best: {s.best}\n")
        peers(x)
    if bad:
        print(f"{bad} families where select reached a lower log-likelihood than scipy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
