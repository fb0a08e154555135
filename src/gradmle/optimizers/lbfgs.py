"""scipy.optimize's L-BFGS-B with the analytic gradient.

scipy owns this loop; every iterate it reports to its callback goes through the same
``Monitor`` as the steppers (trace, divergence, convergence), and the callback stops
scipy as soon as the monitor has a verdict. scipy's own tolerances are switched off so
that gradmle's stopping rule is the one that applies.

L-BFGS-B is not invariant to the units of its variables (its first step and its line
search work in absolute terms), so it runs on standardized coordinates
z = (u - u0) / s, with s the statistical scale of each working coordinate at the
family's moment estimate: data with mean 1e7 and sd 0.1 look like data with mean 0
and sd 1 to it.
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


#: Restarts allowed once scipy stops itself short of tol (see ``run_lbfgs``), and the
#: iterations each restart may take (near the optimum it needs a few dozen at most).
RESTARTS = 3
RESTART_ITERS = 200


def run_lbfgs(problem, u0: tuple, monitor, max_iter: int, memory: int = 10) -> tuple:
    """Run L-BFGS-B from ``u0``; returns ``(status, Outcome, message, nit)``.

    Near the optimum the log-likelihood changes by less than its own rounding error
    (a relative error delta in the parameters changes it by ~delta^2), so a line search
    on its values cannot get closer than ~1e-8, and scipy stops. When that happens
    L-BFGS-B is restarted from its last iterate on the same function written as a
    difference from that point, f(z) - f(z_r) = (g(z) + g(z_r)) . (z - z_r) / 2 (the
    trapezoid rule, exact for a quadratic, its error third order in |z - z_r|), whose
    values are resolved to the last digits because they are computed from gradients.
    """
    fam, stats = problem.family, problem.stats
    scales = np.array(problem.working_scales(problem.working(fam.initial(stats))), dtype=float)
    center = np.asarray(u0, dtype=float)
    last = {}

    def to_u(z) -> tuple:
        return tuple(float(v) for v in center + scales * z)

    def evaluate(z):
        u = to_u(z)
        value, grad = problem.f(u)
        last["point"] = (u, value, grad)
        gz = np.asarray(grad, dtype=float) * scales
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
            dz = (np.asarray(last["point"][0]) - u_r) / scales
            return -0.5 * float(np.dot(g_r + gz, dz)), -gz

        return fun

    value, grad = problem.f(u0)
    state = State(tuple(u0), value, grad)
    outcome = monitor.begin(state)
    if outcome:
        return (*outcome, 0)
    box = {"state": state, "it": 0, "outcome": None, "until": max_iter}

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

    z0, fun, restarts = np.zeros(len(u0)), plain, 0
    bounds = _bounds(problem, u0, scales)
    while True:
        res = minimize(
            fun, z0, jac=True, method="L-BFGS-B", bounds=bounds, callback=callback,
            options={"maxiter": box["until"] - box["it"], "maxfun": max(15000, 50 * max_iter),
                     "ftol": 0.0, "gtol": 0.0, "maxcor": memory},
        )
        if box["outcome"] or box["it"] >= max_iter or restarts >= RESTARTS:
            break
        restarts += 1
        box["until"] = min(max_iter, box["it"] + RESTART_ITERS)
        u_r = np.asarray(box["state"].u, dtype=float)
        z0 = (u_r - center) / scales
        fun = relative_to(u_r, np.asarray(box["state"].grad, dtype=float) * scales)
    note = f" (restarted {restarts} time{'s' if restarts > 1 else ''} near the optimum with values from gradients)" if restarts else ""
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
