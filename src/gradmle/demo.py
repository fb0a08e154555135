"""The classic question on built-in data: fit N(mu, sigma) by the schemes people try.

x ~ N(2, 1), n = 10,000, seed 0; start mu0 = -1 with sigma0 = 1 and with sigma0 = 0.1;
step gamma = 0.1; 100 iterations (coordinate: n_inner = 10, n_outer = 10).
"""

from __future__ import annotations

import numpy as np

from .fit import fit

SEED = 0
N = 10_000
STEP = 0.1
MU0 = -1.0
SIGMA0S = (1.0, 0.1)
SCHEMES = (
    ("gradient", {"max_iter": 100}),
    ("sequential", {"max_iter": 100}),
    ("coordinate", {"n_inner": 10, "n_outer": 10}),
)


def demo_data() -> np.ndarray:
    """The built-in sample: 10,000 draws of N(2, 1) with seed 0."""
    return np.random.default_rng(SEED).normal(2.0, 1.0, N)


def demo_runs(x: np.ndarray | None = None) -> list:
    """Run every scheme from both starts; returns ``(sigma0, FitResult)`` pairs,
    closed form last."""
    x = demo_data() if x is None else x
    runs = []
    for sigma0 in SIGMA0S:
        for method, extra in SCHEMES:
            r = fit(x, method=method, step=STEP, init={"mu": MU0, "sigma": sigma0}, **extra)
            runs.append((sigma0, r))
    runs.append((None, fit(x, method="closed_form")))
    return runs


def demo_table(runs) -> str:
    head = f"{'scheme':<12} {'sigma0':>6} {'mu':>12} {'sigma':>12} {'status':<10} {'iter':>5} {'error':>10}"
    lines = [head, "-" * len(head)]
    notes = []
    for sigma0, r in runs:
        s0 = "-" if sigma0 is None else f"{sigma0:g}"
        lines.append(
            f"{r.method:<12} {s0:>6} {r.params['mu']:>12.6g} {r.params['sigma']:>12.6g} "
            f"{r.status:<10} {r.nit:>5} {r.error:>10.2e}"
        )
        if not r.converged:
            d = r.diagnosis
            works = ", ".join(rem.description.split(" (")[0] for rem in d.remedies[:3]) or "nothing tried converged"
            notes.append(f"  {r.method}, sigma0 = {s0}: {r.message}\n    cause: {d.cause}; what works here: {works}")
    return "\n".join(lines + ([""] + notes if notes else []))
