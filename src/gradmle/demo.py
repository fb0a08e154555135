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


def demo_pictures(runs, out, quiet: bool = False) -> list:
    """Draw the demo's three pictures into the folder ``out``; returns their paths."""
    from . import engine
    from .families import get_family
    from .plot import distances, new_figure, stability_map, trajectories, write
    from .progress import Progress
    from .stability import stability_of
    from .sweep import SweepResult, sweep_reduced

    fam = get_family("normal")
    reduced = engine.reduce(fam, demo_data(), engine.check_options("normal"))
    stats = reduced.stats
    paths = []

    fig = new_figure((6 * len(SIGMA0S), 5))
    axes = fig.subplots(1, len(SIGMA0S))
    for ax, sigma0 in zip(axes, SIGMA0S):
        chosen = [r for s0, r in runs if s0 == sigma0]
        trajectories(ax, stats, chosen, title=f"start mu0 = {MU0:g}, sigma0 = {sigma0:g}, step {STEP:g}")
    paths.append(out / "trajectories.png")
    write(fig, paths[-1])

    fig = new_figure((6 * len(SIGMA0S), 4.2))
    axes = fig.subplots(1, len(SIGMA0S), sharey=True)
    for ax, sigma0 in zip(axes, SIGMA0S):
        chosen = [r for s0, r in runs if s0 == sigma0]
        distances(ax, chosen)
        ax.set_title(f"sigma0 = {sigma0:g}", fontsize=9)
    paths.append(out / "distance.png")
    write(fig, paths[-1])

    s_hat = float(np.sqrt(stats.var))
    schemes = [(m, extra.get("n_inner")) for m, extra in SCHEMES]
    steps = np.logspace(-3, 1.5, 20)
    sigma0s = s_hat * np.logspace(-2, 1.5, 16)
    fig = new_figure((5.5 * len(schemes), 4.5))
    axes = fig.subplots(1, len(schemes))
    with Progress("stability maps", quiet) as bar:
        for k, (method, n_inner) in enumerate(schemes):
            done = k * steps.size * sigma0s.size
            st = stability_of(fam, reduced, method, "sigma", n_inner or 1)
            grid = sweep_reduced(fam, reduced, method, "sigma", steps, sigma0s, MU0, 100, 1e-10, n_inner,
                                 lambda d, t, done=done: bar(done + d, len(schemes) * t), st.bound)
            result = SweepResult(method, "sigma", steps, sigma0s, MU0, grid, st.bound, st.formula, s_hat)
            stability_map(axes[k], result, title=f"{method}: mu0 = {MU0:g}, 100 iterations")
    paths.append(out / "stability.png")
    write(fig, paths[-1])
    return paths
