"""scipy.optimize's L-BFGS-B with the analytic gradient.

scipy owns this loop; every iterate it reports to its callback goes through the same
``Monitor`` as the steppers (trace, divergence, convergence), and the callback stops
scipy as soon as the monitor has a verdict. scipy's own tolerances are switched off so
that gradmle's stopping rule is the one that applies.

L-BFGS-B is not invariant to the units of its variables (its first step and its line
search work in absolute terms), so it runs on standardized coordinates
z = (u - u0) / s, with s the statistical scale of each working coordinate at the
family's moment estimate: data with mean 1e7 and sd 0.1 look like data with mean 0
and sd 1 to it. Each restart (see ``run_lbfgs``) standardizes again, at the point it
starts from.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from ..parametrize import IDENTITY, SQUARE
from .base import State
from ..outcomes import Outcome


def _bounds(problem, u0, scales):
    """Bounds on z that keep each working coordinate inside its constraint (nudged
    inside): a parameter optimized as it is (or squared) must stay > its lower bound
    and < its upper one."""
    out = []
    constraints = [problem.family.constraints[i] for i in problem.free]
    for tr, con, c, s in zip(problem.transforms, constraints, u0, scales):
        if tr is SQUARE:
            out.append(((-c / s) * (1.0 - 1e-15), None))
        elif tr is IDENTITY:
            lo = (con.lower - c) / s if con.lower > -math.inf else None
            hi = (con.upper - c) / s if con.upper < math.inf else None
            out.append((None if lo is None else lo * (1.0 - 1e-15), None if hi is None else hi * (1.0 - 1e-15)))
        else:
            out.append((None, None))
    return out


#: Restarts in a row that may end with no progress before the run is given up (each
#: starts with a step 10 times shorter than the one before), and the iterations one run
#: of scipy may take before it is restarted where it got to.
RESTARTS = 5
RESTART_ITERS = 200
#: Scaled gradient below which a restart is near the optimum: there the log-likelihood
#: is written from gradients (see ``run_lbfgs``); the trapezoid rule errs by about this
#: fraction of the change it measures.
NEAR = 1e-3
#: How much shorter the first step of a restart is than the one of the restart before
#: it when that one made no progress.
SHRINK = 0.1


def _local_scales(problem, u, fallback):
    """The statistical scales of the working coordinates at u, where they are usable."""
    scales = np.array(problem.working_scales(u), dtype=float)
    ok = np.isfinite(scales) & (scales > 0.0)
    return np.where(ok, scales, fallback)


def _restarts_note(restarts: dict) -> str:
    parts = [f"{k} time{'s' if k > 1 else ''} {what}" for k, what in (
        (restarts["far"], "where it had got to, in the statistical scales there"),
        (restarts["near"], "near the optimum with values from gradients")) if k]
    return f" (restarted {' and '.join(parts)})" if parts else ""


def run_lbfgs(problem, u0: tuple, monitor, max_iter: int, memory: int = 10) -> tuple:
    """Run L-BFGS-B from ``u0``; returns ``(status, Outcome, message, nit)``.

    L-BFGS-B's first step is the gradient in z, at most one unit long where it has
    bounds: from a start far from the data, where the gradient in the coordinates
    standardized at the moment estimate is tiny, that step may not even change u, and
    scipy stops at iteration 1. Whenever scipy stops short of tol, it is restarted
    from its last iterate with z standardized there (centred on it, in its statistical
    scales), so that its first step is one statistical scale of where it is.

    Near the optimum the log-likelihood changes by less than its own rounding error
    (a relative error delta in the parameters changes it by ~delta^2), so a line search
    on its values cannot get closer than ~1e-8, and scipy stops. A restart there
    (scaled gradient below ``NEAR``) runs on the same function written as a difference
    from the restart point, f(z) - f(z_r) = (g(z) + g(z_r)) . (z - z_r) / 2 (the
    trapezoid rule, exact for a quadratic, its error third order in |z - z_r|), whose
    values are resolved to the last digits because they are computed from gradients.
    """
    fam, stats = problem.family, problem.stats
    base = fam.initial(stats)
    if not all(math.isfinite(v) for v in base):  # (a model of the user's has no moment start)
        base = problem.natural(u0)
    moment = _local_scales(problem, problem.working(base), np.ones(len(u0)))
    frame = {"center": np.asarray(u0, dtype=float), "scales": moment}
    last = {}

    def to_u(z) -> tuple:
        return tuple(float(v) for v in frame["center"] + frame["scales"] * z)

    def evaluate(z):
        u = to_u(z)
        value, grad = problem.f(u)
        last["point"] = (u, value, grad)
        gz = np.asarray(grad, dtype=float) * frame["scales"]
        # A coordinate whose step to the optimum (|g| s^2, s its statistical scale) is
        # below the spacing of floats at u cannot move: its gradient is a rounding
        # floor, and showing it to L-BFGS-B would corrupt its curvature pairs.
        if math.isfinite(value):
            for i, (ui, gi, si) in enumerate(zip(u, grad, problem.working_scales(u))):
                if abs(gi) * si * si <= 2.0 * math.ulp(ui):
                    gz[i] = 0.0
        ok = math.isfinite(value) and bool(np.all(np.isfinite(gz)))
        return value, gz, ok

    def plain(z):
        value, gz, ok = evaluate(z)
        return (-value, -gz) if ok else (math.inf, np.zeros(len(z)))

    def relative_to(u_r, g_r):
        def fun(z):
            value, gz, ok = evaluate(z)
            if not ok:
                return math.inf, np.zeros(len(z))
            # The move actually made (u is rounded to float64; z may resolve finer).
            dz = (np.asarray(last["point"][0]) - u_r) / frame["scales"]
            return -0.5 * float(np.dot(g_r + gz, dz)), -gz

        return fun

    value, grad = problem.f(u0)
    state = State(tuple(u0), value, grad)
    outcome = monitor.begin(state)
    if outcome:
        return (*outcome, 0)
    box = {"state": state, "it": 0, "outcome": None, "until": min(max_iter, RESTART_ITERS)}

    def callback(intermediate_result):
        u = to_u(intermediate_result.x)
        point = last.get("point")
        if point is None or point[0] != u:
            value, grad = problem.f(u)
            point = (u, value, grad)
        box["it"] += 1
        new = State(*point)
        outcome = monitor.observe(box["it"], box["state"], new)
        box["state"] = new
        if outcome or box["it"] >= box["until"]:
            box["outcome"] = outcome
            raise StopIteration

    fun, idle = plain, 0
    restarts = {"far": 0, "near": 0}
    while True:
        u_start = box["state"].u
        res = minimize(
            fun, np.zeros(len(u0)), jac=True, method="L-BFGS-B", callback=callback,
            bounds=_bounds(problem, frame["center"], frame["scales"]),
            options={"maxiter": box["until"] - box["it"], "maxfun": max(15000, 50 * max_iter),
                     "ftol": 0.0, "gtol": 0.0, "maxcor": memory},
        )
        if box["outcome"] or box["it"] >= max_iter:
            break
        idle = idle + 1 if box["state"].u == u_start else 0
        if idle >= RESTARTS:
            break
        u_r = np.asarray(box["state"].u, dtype=float)
        # After a run that went nowhere (its first step fell off a narrow ridge, such as
        # nbinom's near its Poisson limit, or onto values that are not finite, which
        # scipy's line search does not back out of), the next starts with a shorter step.
        shrink = SHRINK ** idle
        frame["center"], frame["scales"] = u_r, shrink * _local_scales(problem, box["state"].u, frame["scales"])
        box["until"] = min(max_iter, box["it"] + RESTART_ITERS)
        near = monitor.gn <= NEAR
        restarts["near" if near else "far"] += 1
        fun = relative_to(u_r, np.asarray(box["state"].grad, dtype=float) * frame["scales"]) if near else plain
    note = _restarts_note(restarts)
    it = box["it"]
    if box["outcome"]:
        status, outcome, message = box["outcome"]
        return status, outcome, message + note, it
    if monitor.g_ok:  # at the optimum; scipy stopped before a step small enough to test
        return "converged", Outcome("converged", None, it), (
            f"converged after {it} iterations: the distance to the optimum is below tol = {monitor.tol:g} "
            f"(scaled gradient {monitor.gn:.2g}), and L-BFGS-B then stopped itself ({res.message}){note}"
        ), it
    if it >= max_iter:
        return "max_iter", Outcome("max_iter", None, it), monitor.max_iter_message(max_iter) + note, it
    return "stalled", Outcome("solver_stopped", None, it), (
        f"L-BFGS-B stopped after {it} iterations ({res.message or 'no progress near the optimum'}) "
        f"before the scaled gradient ({monitor.gn:.3g}) fell below tol = {monitor.tol:g}{note}"
    ), it
