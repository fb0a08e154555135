"""Stability maps: the outcome of a fixed-step scheme over a grid of step x start sigma."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import engine
from .families import get_family
from .methods import get_method
from .stability import in_data_units, stability_of

__all__ = ["sweep", "SweepResult", "SWEEP_OUTCOMES", "classify"]

#: Outcome codes of a stability map, in the order of their integer codes.
SWEEP_OUTCOMES = ("converged", "oscillating", "diverged", "too slow")


@dataclass
class SweepResult:
    """Outcome codes (indices into ``SWEEP_OUTCOMES``) on a grid: rows are start sigmas,
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
        return {name: int((self.outcome == k).sum()) for k, name in enumerate(SWEEP_OUTCOMES)}

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items())
        return (f"<SweepResult {self.method} ({self.parametrization}): {self.sigma0s.size} start sigmas x "
                f"{self.steps.size} steps, bound {self.bound:.4g}; {counts}>")


def classify(result, bound: float | None = None) -> int:
    """converged / oscillating / diverged / too slow, from a result and its trace; with
    ``bound`` (the stability bound, in the units of the run's step), a run with a step
    above it that neither converged nor diverged is "oscillating" whatever its last
    iterates look like: the optimum is then no stable fixed point, so no number of
    iterations would do (such a run may be thrown to a large sigma, crawl back and be
    thrown out again, a cycle longer than the iterates the sign test reads)."""
    if result.converged:
        return 0
    if result.status == "diverged":
        return 2
    step = result.options.get("step")
    if bound is not None and step is not None and step > bound:
        return 1
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


def sweep_reduced(fam, reduced, method, parametrization, steps, sigma0s, mu0, max_iter, tol, n_inner, progress=None,
                  bound=None):
    """The outcome grid on data already reduced (steps, starts and the stability bound
    ``bound`` in the data's units)."""
    outcome = np.zeros((len(sigma0s), len(steps)), dtype=np.int8)
    total = outcome.size
    for i, s0 in enumerate(sigma0s):
        for j, g in enumerate(steps):
            opts = engine.check_options(fam.name, method, float(g), {"mu": float(mu0), "sigma": float(s0)}, max_iter,
                                        tol, n_inner, None, parametrization)
            outcome[i, j] = classify(engine.run(fam, reduced, opts), bound)
            if progress:
                progress(i * len(steps) + j + 1, total)
    return outcome


def sweep(data, method="gradient", parametrization=None, steps=None, sigma0s=None, mu0=None,
          max_iter=500, tol=1e-8, n_inner=None, progress=None, nonfinite="raise") -> SweepResult:
    """Run ``method`` (a fixed-step scheme) over a grid of steps and starting sigmas of
    the Normal, on ``data`` (anything :func:`gradmle.fit` accepts).

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
    >>> m = gradmle.sweep(x, steps=[0.1, 1.5], sigma0s=[1.0])  # the bound is 0.954
    >>> [gradmle.SWEEP_OUTCOMES[k] for k in m.outcome[0]]
    ['converged', 'oscillating']
    """
    fam = get_family("normal")
    m = get_method(method)
    if not m.has_bound:
        raise ValueError(f"unknown method {method!r} for a stability map; valid: "
                         "gradient, sequential, coordinate, fisher (the fixed-step methods)")
    coord = m.sweeps
    opts = engine.check_options(fam.name, m.name, None, None, max_iter, tol, n_inner if coord else None, None,
                                parametrization, None, nonfinite)
    reduced = engine.reduce(fam, data, opts)
    par = opts.parametrization
    n_in = opts.n_inner or 1
    st = in_data_units(stability_of(fam, reduced, m.name, par, n_in), fam, reduced)
    units = reduced.units
    s_hat = math.sqrt(reduced.stats.var) * units.scale
    xbar = units.to_data(0, reduced.stats.mean)
    steps = np.asarray(steps if steps is not None else st.bound * np.logspace(-2, math.log10(30), 24), dtype=float)
    sigma0s = np.asarray(sigma0s if sigma0s is not None else s_hat * np.logspace(-2, 2, 21), dtype=float)
    mu0 = float(xbar + s_hat) if mu0 is None else float(mu0)
    outcome = sweep_reduced(fam, reduced, m.name, par, steps, sigma0s, mu0, max_iter, tol, opts.n_inner, progress,
                            st.bound)
    return SweepResult(m.name, par, steps, sigma0s, mu0, outcome, st.bound, st.formula, s_hat)
