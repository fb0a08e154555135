"""Stability maps: the outcome of a fixed-step scheme over a grid of step x start sigma."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .data import as_sample
from .families import get_family
from .fit import check_options, fit_reduced
from .stability import stability_of

__all__ = ["sweep", "SweepResult", "OUTCOMES", "classify"]

#: Outcome codes of a stability map, in the order of their integer codes.
OUTCOMES = ("converged", "oscillating", "diverged", "too slow")


@dataclass
class SweepResult:
    """Outcome codes (indices into ``OUTCOMES``) on a grid: rows are start sigmas,
    columns are steps."""

    method: str
    parametrization: str
    steps: np.ndarray
    sigma0s: np.ndarray
    mu0: float
    outcome: np.ndarray
    bound: float
    formula: str
    sigma_hat: float

    def counts(self) -> dict:
        return {name: int((self.outcome == k).sum()) for k, name in enumerate(OUTCOMES)}


def classify(result) -> int:
    """converged / oscillating / diverged / too slow, from a result and its trace."""
    if result.converged:
        return 0
    if result.status == "diverged":
        return 2
    # Not converged, not diverged: an error that keeps flipping sign is an oscillation
    # (a step above the bound); one that keeps its sign is a slow approach or a crawl.
    ref = result.reference
    flips = 0.0
    for name, value in ref.items():
        e = result.trace[name][-41:] - value
        s = np.sign(e[np.abs(e) > 0])
        if s.size > 2:
            flips = max(flips, float(np.mean(s[1:] != s[:-1])))
    return 1 if flips >= 0.4 else 3


def sweep_reduced(fam, stats, n, method, parametrization, steps, sigma0s, mu0, max_iter, tol, n_inner, progress=None):
    outcome = np.zeros((len(sigma0s), len(steps)), dtype=np.int8)
    total = outcome.size
    for i, s0 in enumerate(sigma0s):
        for j, g in enumerate(steps):
            opts = check_options(fam, method, float(g), {"mu": mu0, "sigma": float(s0)}, max_iter, tol,
                                 n_inner, None, parametrization)
            outcome[i, j] = classify(fit_reduced(fam, stats, n, opts))
            if progress:
                progress(i * len(steps) + j + 1, total)
    return outcome


def sweep(data, method="gradient", parametrization=None, steps=None, sigma0s=None, mu0=None,
          max_iter=500, tol=1e-8, n_inner=None, progress=None) -> SweepResult:
    """Run ``method`` (a fixed-step scheme) over a grid of steps and starting sigmas.

    Parameters
    ----------
    steps : array-like, optional
        Default: 24 steps from 1/100 to 30 times the stability bound, log-spaced.
    sigma0s : array-like, optional
        Starting sigmas; default: 21 values from sigma_hat/100 to 100 sigma_hat.
    mu0 : float, optional
        The starting mu of every run (default: one sigma_hat above the mean).

    Examples
    --------
    >>> import numpy as np, gradmle
    >>> x = np.random.default_rng(0).normal(2.0, 1.0, 1000)
    >>> m = gradmle.sweep(x, steps=[0.1, 5.0], sigma0s=[1.0])
    >>> [gradmle.OUTCOMES[k] for k in m.outcome[0]]
    ['converged', 'oscillating']
    """
    fam = get_family("normal")
    x = as_sample(data)
    stats = fam.reduce(x)
    opts = check_options(fam, method, None, None, max_iter, tol, n_inner if method == "coordinate" else None,
                         None, parametrization)
    method, par = opts["run"], opts["parametrization"]
    n_in = opts.get("n_inner", 1)
    st = stability_of(fam, stats, method, par, n_in)
    s_hat = math.sqrt(stats.var)
    steps = np.asarray(steps if steps is not None else st.bound * np.logspace(-2, math.log10(30), 24), dtype=float)
    sigma0s = np.asarray(sigma0s if sigma0s is not None else s_hat * np.logspace(-2, 2, 21), dtype=float)
    mu0 = float(stats.mean + s_hat) if mu0 is None else float(mu0)
    outcome = sweep_reduced(fam, stats, x.shape[0], method, par, steps, sigma0s, mu0, max_iter, tol,
                            n_in if method == "coordinate" else None, progress)
    return SweepResult(method, par, steps, sigma0s, mu0, outcome, st.bound, st.formula, s_hat)
