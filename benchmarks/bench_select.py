"""`gradmle.select(x, free_loc=True)` against fitter and distfit (when installed) and a
loop of scipy.stats fits, all with the location free as they fit it, on the same eight
families at n = 1e5 and 1e6: wall time of each tool and the total log-likelihood each
reaches per family, recomputed with scipy.stats' logpdf at each tool's parameters.

Goals (issue 13): at least 20x faster than fitter and distfit, and for every family a
log-likelihood at least theirs (1e-9 relative)."""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import scipy.stats as st

import gradmle
from common import table

#: gradmle's name -> scipy's name (the list given to every tool).
FAMILIES = {"normal": "norm", "exponential": "expon", "lognormal": "lognorm", "gamma": "gamma",
            "weibull": "weibull_min", "student_t": "t", "laplace": "laplace", "logistic": "logistic"}
#: Large enough that fitter skips nothing (its default is 30 s per family).
TIMEOUT = 3600
REL = 1e-9


def loglik(x, name, params):
    with np.errstate(all="ignore"):
        return float(np.sum(getattr(st, FAMILIES[name]).logpdf(x, *params)))


def run_gradmle(x):
    t = time.perf_counter()
    s = gradmle.select(x, families=list(FAMILIES), free_loc=True)
    elapsed = time.perf_counter() - t
    out, status = {}, {}
    for name in FAMILIES:
        r = s.results[name]
        status[name] = r.status
        out[name] = float(r.frozen().logpdf(x).sum())
    return elapsed, out, status, s.best


def run_scipy(x):
    t = time.perf_counter()
    out = {}
    for name, dist in FAMILIES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[name] = loglik(x, name, getattr(st, dist).fit(x))
    return time.perf_counter() - t, out


def run_fitter(x):
    from fitter import Fitter

    t = time.perf_counter()
    f = Fitter(x, distributions=list(FAMILIES.values()), timeout=TIMEOUT)
    f.fit()
    elapsed = time.perf_counter() - t
    back = {v: k for k, v in FAMILIES.items()}
    out = {back[d]: loglik(x, back[d], p) for d, p in f.fitted_param.items()}
    skipped = [n for n in FAMILIES if n not in out]
    return elapsed, out, skipped


def run_distfit(x):
    from distfit import distfit

    t = time.perf_counter()
    dfit = distfit(distr=list(FAMILIES.values()), verbose=0)
    dfit.fit_transform(x)
    elapsed = time.perf_counter() - t
    back = {v: k for k, v in FAMILIES.items()}
    out = {back[row["name"]]: loglik(x, back[row["name"]], row["params"]) for _, row in dfit.summary.iterrows()
           if row["name"] in back}
    return elapsed, out, [n for n in FAMILIES if n not in out]


def main() -> int:
    missed = []
    for n in (100_000, 1_000_000):
        x = 10.0 + np.random.default_rng(0).gamma(2.0, 3.0, n)
        t_g, ours, status, best = run_gradmle(x)
        times = {"scipy loop": None, "fitter": None, "distfit": None}
        peers = {}
        times["scipy loop"], peers["scipy loop"] = run_scipy(x)
        for tool, runner in (("fitter", run_fitter), ("distfit", run_distfit)):
            try:
                __import__(tool)
            except ImportError:
                print(f"{tool} is not installed: skipped (pip install gradmle[bench] to compare with it)")
                del times[tool]
                continue
            times[tool], peers[tool], skipped = runner(x)
            if skipped:
                print(f"{tool} skipped at n = {n:,}: {', '.join(skipped)}")
                missed.append(f"{tool} skipped {', '.join(skipped)} at n = {n:,} (not compared)")
        rows = []
        for name in FAMILIES:
            row = [name, status[name], f"{ours[name]:.6f}"]
            for tool, ll in peers.items():
                if name not in ll:
                    row.append("skipped")
                    continue
                rel = (ours[name] - ll[name]) / abs(ll[name]) if np.isfinite(ll[name]) else np.inf
                row.append(f"{rel:+.1e}")
                if rel < -REL and tool != "scipy loop":
                    missed.append(f"{name} at n = {n:,}: log-likelihood below {tool}'s by {-rel:.1e} relative")
            rows.append(row)
        print(table(f"n = {n:,}, location free: total log-likelihood of gradmle select and its relative difference "
                    "from each peer's (scipy.stats logpdf at each tool's parameters; + = gradmle higher)",
                    ["family", "status", "gradmle"] + [f"vs {t}" for t in peers], rows))
        print(f"gradmle select (fits + KS/CvM/AD): {t_g:.2f} s; best: {best}")
        for tool, el in times.items():
            ratio = el / t_g
            print(f"{tool}: {el:.2f} s  ({ratio:.1f}x gradmle's time)")
            if tool != "scipy loop" and ratio < 20.0:
                missed.append(f"{tool} only {ratio:.1f}x slower at n = {n:,} (goal 20x)")
        print()
    print("goals: " + ("all met" if not missed else "missed: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
