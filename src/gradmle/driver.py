"""The one loop: trace, stopping rule and divergence detection for every method.

``Monitor`` holds what happens after each step (record every point, check it, test
convergence); ``drive`` is the loop for steppers, and an external optimizer (scipy's
L-BFGS-B) calls ``Monitor.observe`` from its callback, so both obey the same rules.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from .optimizers.base import State, Stepper
from .problem import Problem

EPS = sys.float_info.epsilon
#: A parameter is allowed this many ulps of its own size of rounding slack when
#: testing convergence (the gradient cannot vanish below the spacing of floats).
ULPS = 8.0


def grad_norm(grad, scales) -> float:
    total = 0.0
    for g, s in zip(grad, scales):
        total += (g * s) * (g * s)
    return math.sqrt(total)


def small(theta, nstep, prev, scales, tol) -> tuple[bool, bool]:
    """(gradient small, step small) in the relative sense documented in fit();
    ``nstep`` is the natural-gradient step F^-1 g, the distance to the optimum to
    first order."""
    s_ok = True
    for t, n, p, s in zip(theta, nstep, prev, scales):
        a = abs(t)
        allowed = tol * (s if s > a else a) + ULPS * EPS * a
        if not abs(n) <= allowed:
            return False, False  # the gradient test fails first in almost every iteration
        if not abs(t - p) <= allowed:
            s_ok = False
    return True, s_ok


def pb_step(problem, theta, g) -> tuple:
    """The natural-gradient step of the free parameters (0 for the fixed ones)."""
    return problem.family.natural_step(theta, g, problem.free if problem.fixed else None)


class Monitor:
    """Records every point an optimizer visits and decides when the run ends."""

    def __init__(self, problem: Problem, tol: float, memoryless: bool = False, leash: int = 1, reach: float = 1.0):
        self.problem = problem
        self.tol = tol
        self.memoryless = memoryless
        self.leash = leash
        self.away = 0  # iterations in a row spent far out and moving further away
        fam = problem.family
        self.centers, limits = fam.frame(problem.stats)
        self.limits = tuple(reach * lim for lim in limits)
        # A point strictly inside this box needs no closer look (the fast path).
        self.box = [
            (max(c - lim, 0.0) if con != "real" else c - lim, min(c + lim, 1.0) if con == "unit_interval" else c + lim)
            for c, lim, con in zip(self.centers, self.limits, fam.constraints)
        ]
        self.rows: list[tuple] = []
        self.theta = self.value = None
        self.gn = math.nan
        self.g_ok = False  # whether the gradient test held at the last iterate

    def _record(self, u, value, grad, it):
        pb = self.problem
        theta = pb.natural(u)
        g = pb.grad_natural(theta, grad)
        scales = pb.family.scales(theta)
        gn = grad_norm(g, scales)
        self.rows.append((*theta, value, gn, it))
        return theta, g, scales, gn

    def begin(self, state: State):
        """Record the start; returns an outcome when the start itself is unusable or
        already optimal."""
        theta, g, scales, self.gn = self._record(state.u, state.value, state.grad, 0)
        self.theta, self.value = theta, state.value
        trouble = self._trouble(theta, theta, state.u, state.value, self.gn, "at the start")
        if trouble:
            return "diverged", trouble
        self.g_ok = small(theta, pb_step(self.problem, theta, g), theta, scales, self.tol)[0]
        if self.g_ok:
            return "converged", (
                f"converged at the start: the scaled gradient ({self.gn:.2g}) is already below tol = {self.tol:g}"
            )
        return None

    def observe(self, it: int, prev: State, state: State):
        """Record and check the points of one iteration; an outcome ends the run."""
        # This runs once per iteration of every method: kept flat on purpose.
        pb = self.problem
        scales_of = pb.family.scales
        box = self.box
        append = self.rows.append
        last = prev_theta = self.theta
        path = state.path
        points = path + ((state.u, state.value, state.grad),) if path else ((state.u, state.value, state.grad),)
        for k, (u, value, grad) in enumerate(points):
            if pb.identity:
                theta, g = u, grad
            else:
                theta = pb.natural(u)
                g = pb.grad_natural(theta, grad)
            scales = scales_of(theta)
            total = 0.0
            inside = True
            for gi, si, v, (lo, hi) in zip(g, scales, theta, box):
                total += (gi * si) * (gi * si)
                if not lo < v < hi:
                    inside = False
            gn = math.sqrt(total)
            append((*theta, value, gn, it))
            self.theta, self.value, self.gn = theta, value, gn
            if inside and value > -math.inf and gn < math.inf:
                self.away = 0
            else:
                where = f"at iteration {it}" + (f" (update {k + 1} of the sweep)" if path else "")
                trouble = self._trouble(theta, last, u, value, gn, where)
                if trouble:
                    return "diverged", trouble
            last = theta
        g_ok, s_ok = small(theta, pb_step(pb, theta, g), prev_theta, scales, self.tol)
        self.g_ok = g_ok
        if g_ok and s_ok:
            return "converged", (
                f"converged after {it} iterations: the scaled gradient ({gn:.2g}) and the "
                f"last step are below tol = {self.tol:g}"
            )
        if state.stalled:
            return "stalled", (
                f"stalled at iteration {it}: no step along the search direction increases the "
                f"log-likelihood any more, but the scaled gradient is still {gn:.3g} (tol = {self.tol:g})"
            )
        # Updates that moved and came back exactly to the start are a cycle (a fixed step
        # above the stability bound), not steps below the resolution of float64.
        if self.memoryless and state.u == prev.u and all(p[0] == prev.u for p in path):
            return "stalled", (
                f"stalled at iteration {it}: the update no longer changes the iterate (the steps "
                f"are below the resolution of float64 here); the scaled gradient is {gn:.3g} "
                f"(tol = {self.tol:g}): a larger step or a larger tol is needed"
            )
        return None

    def _trouble(self, theta, prev, u, value, gn, where: str) -> str | None:
        """Why ``theta`` ends the run, or None when it may go on."""
        pb = self.problem
        fam = pb.family
        names = fam.param_names
        for i, x, tr in zip(pb.free, u, pb.transforms):
            name, t = names[i], theta[i]
            if tr.name == "square" and not x > 0.0:
                return f"{tr.label.format(name)} crossed zero {where}: it became {x:.6g}, but it must stay > 0"
            if tr.name == "log" and t == 0.0 and math.isfinite(x):
                return f"{name} underflowed to 0 {where} ({tr.label.format(name)} = {x:.6g})"
        for name, v, p in zip(names, theta, prev):
            if not math.isfinite(v):
                return f"{name} became {v} {where} (it was {p:.6g})"
        for name, v, p, c in zip(names, theta, prev, fam.constraints):
            if c == "positive" and not v > 0.0:
                return f"{name} crossed zero {where}: {p:.6g} -> {v:.6g}, but {name} must stay > 0"
            if c == "unit_interval" and not 0.0 < v < 1.0:
                return f"{name} left the interval (0, 1) {where}: {p:.6g} -> {v:.6g}"
        away = False
        for name, v, p, c, lim in zip(names, theta, prev, self.centers, self.limits):
            if abs(v - c) > lim and abs(v - c) > abs(p - c):
                away = True
                self.away += 1
                if self.away >= self.leash:
                    times = "" if self.leash == 1 else f" for {self.away} iterations in a row"
                    return (
                        f"{name} ran away {where}: {p:.6g} -> {v:.6g}, more than {lim:.4g} away from "
                        f"{c:.6g} and still moving away{times}"
                    )
                break
        if not away:
            self.away = 0
        if not (math.isfinite(value) and math.isfinite(gn)):
            at = ", ".join(f"{n}={v:.6g}" for n, v in zip(names, theta))
            return f"the log-likelihood or its gradient overflowed {where} (at {at})"
        return None

    def max_iter_message(self, max_iter: int) -> str:
        return (
            f"stopped at max_iter = {max_iter} without converging: the scaled gradient is "
            f"{self.gn:.3g} (tol = {self.tol:g})"
        )

    def finish(self, status: str, message: str, nit: int) -> dict:
        table = np.array(self.rows, dtype=np.float64)
        names = self.problem.family.param_names
        p = len(names)
        trace = {name: table[:, i].copy() for i, name in enumerate(names)}
        trace["loglik"] = table[:, p].copy()
        trace["grad_norm"] = table[:, p + 1].copy()
        trace["iteration"] = table[:, p + 2].astype(np.int64)
        return {
            "theta": self.theta,
            "value": self.value,
            "status": status,
            "message": message,
            "nit": nit,
            "nfev": self.problem.nfev,
            "trace": trace,
        }


#: Iterations between two calls of a progress callback.
PROGRESS_EVERY = 4096


def drive(problem: Problem, stepper: Stepper, u0: tuple, max_iter: int, tol: float, progress=None) -> dict:
    """Run ``stepper`` from ``u0`` until it converges, diverges, stalls or hits max_iter.
    ``progress(done, total)``, if given, is called every few thousand iterations."""
    monitor = Monitor(problem, tol, stepper.memoryless, stepper.leash, stepper.reach)
    state = stepper.init(u0, problem)
    outcome = monitor.begin(state)
    if outcome:
        return monitor.finish(*outcome, 0)
    step, observe = stepper.step, monitor.observe
    for it in range(1, max_iter + 1):
        prev = state
        state = step(state, problem)
        outcome = observe(it, prev, state)
        if outcome:
            return monitor.finish(*outcome, it)
        if progress is not None and not it % PROGRESS_EVERY:
            progress(it, max_iter)
    return monitor.finish("max_iter", monitor.max_iter_message(max_iter), max_iter)
