"""The one loop: trace, stopping rule and divergence detection for every method.

``Monitor`` holds what happens after each step (record every point, check it, test
convergence); ``drive`` is the loop for steppers, and an external optimizer (scipy's
L-BFGS-B) calls ``Monitor.observe`` from its callback, so both obey the same rules.

A point is checked before anything that assumes it is valid is computed at it: a scale
that underflowed to 0 or a shape that crossed zero ends the run with its reason, never
with a division by zero in the statistical scales.

Every end of a run is an :class:`Outcome`: a code from ``OUTCOMES`` with the parameter,
the iteration and the values involved; the message is written from it, and the
diagnosis reads the code, never the message.
"""

from __future__ import annotations

import math
import sys
import numpy as np

from typing import Callable, NamedTuple

from .optimizers.base import State, Stepper
from .outcomes import OUTCOMES, Outcome
from .problem import Problem

__all__ = ["Monitor", "Frame", "drive", "Outcome", "OUTCOMES"]

EPS = sys.float_info.epsilon
#: A parameter is allowed this many ulps of its own size of rounding slack when
#: testing convergence (the gradient cannot vanish below the spacing of floats).
ULPS = 8.0

def grad_norm(grad, scales) -> float:
    total = 0.0
    for g, s in zip(grad, scales):
        total += (g * s) * (g * s)
    return math.sqrt(total)


def small(theta, nstep, prev, scales, tol, root, floor=None) -> tuple[bool, bool]:
    """(distance small, last step small): for every parameter the natural-gradient step
    (``nstep``, F^-1 g: the distance to the optimum to first order) and the last step
    are at most ``min(tol * max(|theta_i|, s_i), root * s_i) + ULPS eps |theta_i|`` (plus
    ``floor[i]``), with ``root`` = sqrt(tol).

    The cap of sqrt(tol) standard errors matters for a parameter far larger than its
    standard error (a mean of 1e7 known to 1e-3): tol relative to its size would leave
    it many standard errors off, and the other parameters' optima depend on it to second
    order (a Normal's sigma by (offset / sigma)^2 / 2)."""
    s_ok = True
    for i, (t, n, p, s) in enumerate(zip(theta, nstep, prev, scales)):
        a = abs(t)
        rel = tol * (s if s > a else a)
        cap = root * s
        allowed = (rel if rel < cap else cap) + ULPS * EPS * a
        if floor:
            allowed += floor[i]
        if not abs(n) <= allowed:
            return False, False  # the distance test fails first in almost every iteration
        if not abs(t - p) <= allowed:
            s_ok = False
    return True, s_ok


class Frame(NamedTuple):
    """Where the run may go: one ``(center, limit)`` per parameter (a parameter farther
    than ``limit`` from its center, and still moving away, has run away); the
    parameter that must end within the data's range, if any, as ``(index, lo, hi)``
    (no location MLE of a location family lies outside the data); and ``show(i, v)``,
    parameter i's value in the data's units, for messages and outcomes."""

    bounds: tuple
    within: tuple | None = None
    show: Callable = lambda i, v: v
    #: How parameter i's distances are shown in the data's units.
    size: Callable = lambda i, d: d


class Monitor:
    """Records every point an optimizer visits and decides when the run ends."""

    def __init__(self, problem: Problem, tol: float, frame: Frame, memoryless: bool = False, leash: int = 1,
                 reach: float = 1.0):
        self.problem = problem
        self.tol = tol
        self.memoryless = memoryless
        self.leash = leash
        self.away = 0  # iterations in a row spent far out and moving further away
        fam = problem.family
        self.frame = frame
        self.show = frame.show
        self.centers = tuple(c for c, _ in frame.bounds)
        self.limits = tuple(reach * lim for _, lim in frame.bounds)
        # A point strictly inside this box needs no closer look (the fast path).
        self.box = [(max(c - lim, con.lower), min(c + lim, con.upper))
                    for c, lim, con in zip(self.centers, self.limits, fam.constraints)]
        self.rows: list[tuple] = []
        self.theta = self.value = None
        self.gn = math.nan
        self.g_ok = False  # whether the gradient test held at the last iterate
        self.root = math.sqrt(tol)
        # The family's own scales in the hot loop; the problem's (which never raise)
        # where they cannot be computed.
        self.scales_of = fam.scales
        # A family whose parameter can be held at the end of a computed range (censored
        # data: a Student-t's df at the tails' limit) says so; PINNED iterations there end
        # the run as one that ran away towards that end.
        self.pin = getattr(fam, "pinned", None)
        self.pinned = 0

    def _measure(self, theta, grad_u):
        pb = self.problem
        g = pb.grad_natural(theta, grad_u)
        scales = pb.scales(theta)
        return g, scales, grad_norm(g, scales)

    def begin(self, state: State):
        """Record the start; returns ``(status, Outcome, message)`` when the start is
        unusable or already optimal."""
        theta = self.problem.natural(state.u)
        trouble = self._trouble(theta, theta, state.u, state.value, "at the start", 0)
        if trouble:
            self.rows.append((*theta, state.value, math.nan, 0))
            self.theta, self.value = theta, state.value
            return ("diverged",) + trouble
        g, scales, self.gn = self._measure(theta, state.grad)
        self.rows.append((*theta, state.value, self.gn, 0))
        self.theta, self.value = theta, state.value
        if not math.isfinite(self.gn):
            return "diverged", Outcome("overflow", None, 0), (
                f"the gradient of the log-likelihood is not finite at the start ({self._at(theta)})")
        g_ok, _ = small(theta, self.problem.natural_step(theta, g), theta, scales, self.tol, self.root)
        self.g_ok = g_ok and self._within(theta)
        if self.g_ok:
            return "converged", Outcome("converged_at_start", None, 0), (
                f"converged at the start: the distance to the optimum is already below tol = {self.tol:g}"
                f" (scaled gradient {self.gn:.2g})")
        return None

    def observe(self, it: int, prev: State, state: State):
        """Record and check the points of one iteration; an outcome ends the run."""
        # This runs once per iteration of every method: kept flat on purpose.
        pb = self.problem
        box = self.box
        append = self.rows.append
        identity = pb.identity
        scales_of = self.scales_of
        last = prev_theta = self.theta
        path = state.path
        points = path + ((state.u, state.value, state.grad),) if path else ((state.u, state.value, state.grad),)
        for k, (u, value, grad) in enumerate(points):
            theta = u if identity else pb.natural(u)
            inside = True
            for v, (lo, hi) in zip(theta, box):
                if not lo < v < hi:
                    inside = False
                    break
            if not inside or not value > -math.inf:
                # Checked before anything that assumes a valid point is computed at it.
                where = f"at iteration {it}" + (f" (update {k + 1} of the sweep)" if path else "")
                trouble = self._trouble(theta, last, u, value, where, it)
                if trouble:
                    append((*theta, value, math.nan, it))
                    self.theta, self.value, self.gn = theta, value, math.nan
                    return ("diverged",) + trouble
            else:
                self.away = 0
            if identity:
                g = grad
            else:
                g = pb.grad_natural(theta, grad)
            try:
                scales = scales_of(theta)
            except Exception:  # (no Fisher information, or a value it cannot take)
                scales = pb.scales(theta)
            total = 0.0
            for gi, si in zip(g, scales):
                total += (gi * si) * (gi * si)
            gn = math.sqrt(total)
            append((*theta, value, gn, it))
            self.theta, self.value, self.gn = theta, value, gn
            if not gn < math.inf:
                return "diverged", Outcome("overflow", None, it), (
                    f"the gradient of the log-likelihood overflowed at iteration {it} ({self._at(theta)})")
            last = theta
        nstep = pb.natural_step(theta, g)
        g_ok, s_ok = small(theta, nstep, prev_theta, scales, self.tol, self.root)
        resolution = False
        if not g_ok and (state.stalled or theta == prev_theta or (self.leash > 1 and small(
                theta, [0.0] * len(theta), prev_theta, scales, self.tol, self.root)[1])):
            # An iterate that has (almost) stopped moving short of the test: allow for the
            # rounding that correlated parameters carry. The floor costs a solve: only
            # here, and for the fixed-step schemes (thousands of cheap iterations) only
            # once they stop.
            floor = pb.rounding_floor(theta, 4.0 * EPS)  # (a few units in the last place of each)
            if floor is not None:
                g_ok, s_ok = small(theta, nstep, prev_theta, scales, self.tol, self.root, floor)
                resolution = g_ok
        self.g_ok = g_ok and self._within(theta)
        if self.g_ok and s_ok:
            at = (" to the resolution of float64 (rounding the parameters in their last place "
                  "moves the others by more than tol)" if resolution else "")
            return "converged", Outcome("converged", None, it), (
                f"converged after {it} iterations{at}: the distance to the optimum and the last step are below "
                f"tol = {self.tol:g} relative to each parameter's size (scaled gradient {gn:.2g})")
        if self.pin is not None:
            hit = self.pin(theta)
            free = pb.free
            # (only while the likelihood rises that way: g is the gradient in the free ones)
            rising = hit is not None and hit[0] in free and g[free.index(hit[0])] > 0
            self.pinned = self.pinned + 1 if rising else 0
            if self.pinned >= PINNED:
                i, why = hit
                name = pb.family.param_names[i]
                return "diverged", Outcome("ran_away", name, it, self.show(i, prev_theta[i]), self.show(i, theta[i])), (
                    f"{why} at iteration {it}, and stayed there for {PINNED} iterations with the likelihood still "
                    "rising that way")
        if state.stalled == "singular":
            return "stalled", Outcome("singular", None, it), (
                f"stalled at iteration {it}: the information matrix is singular or not finite here ("
                f"{self._at(theta)}: a parameter has been thrown towards 0 or infinity), so no scoring step can be "
                f"taken; the scaled gradient is {gn:.3g} (tol = {self.tol:g})")
        # Updates that moved and came back exactly to the start are a cycle (a fixed step
        # above the stability bound), not steps below the resolution of float64.
        if state.stalled == "float_resolution" or (
                self.memoryless and state.u == prev.u and all(p[0] == prev.u for p in path)):
            return "stalled", Outcome("float_resolution", None, it), (
                f"stalled at iteration {it}: the update no longer changes the iterate (the steps "
                f"are below the resolution of float64 here); the scaled gradient is {gn:.3g} "
                f"(tol = {self.tol:g}): a larger step or a larger tol is needed")
        if state.stalled:
            return "stalled", Outcome("no_ascent", None, it), (
                f"stalled at iteration {it}: no step along the search direction increases the "
                f"log-likelihood any more, but the scaled gradient is still {gn:.3g} (tol = {self.tol:g})")
        return None

    def _within(self, theta) -> bool:
        """Whether the location lies within the data's range (a gradient that vanishes
        far from the data is a flat tail, not a maximum)."""
        w = self.frame.within
        return w is None or w[1] <= theta[w[0]] <= w[2]

    def _at(self, theta) -> str:
        return ", ".join(f"{n}={self.show(i, v):.6g}" for i, (n, v) in enumerate(zip(self.problem.family.param_names,
                                                                                      theta)))

    def _trouble(self, theta, prev, u, value, where: str, it: int):
        """``(Outcome, message)`` when ``theta`` ends the run, else None. Reads only the
        point itself: nothing here may assume the point is valid."""
        pb = self.problem
        fam = pb.family
        names = fam.param_names
        for i, x, tr in zip(pb.free, u, pb.transforms):
            name, t = names[i], theta[i]
            label = tr.label.format(name)
            if tr.name == "square" and not x > 0.0:
                x = self.frame.size(i, self.frame.size(i, x))
                return (Outcome("crossed_zero", name, it, None, x),
                        f"{label} crossed zero {where}: it became {x:.6g}, but it must stay > 0")
            if tr.name == "log" and t == 0.0 and math.isfinite(x):
                x += math.log(self.frame.size(i, 1.0))
                return Outcome("underflow", name, it, None, 0.0), f"{name} underflowed to 0 {where} ({label} = {x:.6g})"
        show = self.show
        for i, (name, v, p) in enumerate(zip(names, theta, prev)):
            if not math.isfinite(v):
                p = show(i, p)
                return Outcome("nonfinite", name, it, p, v), f"{name} became {v} {where} (it was {p:.6g})"
        for i, (name, v, p, c) in enumerate(zip(names, theta, prev, fam.constraints)):
            if not c.check(v):
                pd, vd = show(i, p), show(i, v)
                if c.upper < math.inf:
                    return (Outcome("crossed_zero", name, it, pd, vd),
                            f"{name} left the interval ({c.lower:g}, {c.upper:g}) {where}: {pd:.6g} -> {vd:.6g}")
                if v == 0.0 and p > 0.0 and c.lower == 0.0 and abs(p) < 1e-300:
                    return Outcome("underflow", name, it, pd, vd), f"{name} underflowed to 0 {where} (it was {pd:.3g})"
                return (Outcome("crossed_zero", name, it, pd, vd),
                        f"{name} crossed zero {where}: {pd:.6g} -> {vd:.6g}, but {c.describe(name)}")
        joint = fam.outside(theta)
        if joint is not None:
            i, why = joint
            pd, vd = show(i, prev[i]), show(i, theta[i])
            return Outcome("crossed_zero", names[i], it, pd, vd), f"{why} {where}"
        away = False
        for i, (name, v, p, c, lim) in enumerate(zip(names, theta, prev, self.centers, self.limits)):
            if abs(v - c) > lim and abs(v - c) > abs(p - c):
                away = True
                self.away += 1
                if self.away >= self.leash:
                    times = "" if self.leash == 1 else f" for {self.away} iterations in a row"
                    pd, vd = show(i, p), show(i, v)
                    return (Outcome("ran_away", name, it, pd, vd),
                            f"{name} ran away {where}: {pd:.6g} -> {vd:.6g}, more than {self.frame.size(i, lim):.4g} "
                            f"away from {show(i, c):.6g} and still moving away{times}")
                break
        if not away:
            self.away = 0
        if not math.isfinite(value):
            why = None
            if value == -math.inf:
                try:
                    why = self.problem.family.zero_likelihood(theta, self.problem.stats)
                except (ArithmeticError, ValueError, KeyError, TypeError):
                    why = None
            if why:
                return (Outcome("outside_support", None, it),
                        f"the likelihood is 0 {where} (at {self._at(theta)}): {why}")
            return (Outcome("overflow", None, it),
                    f"the log-likelihood or its gradient overflowed {where} (at {self._at(theta)})")
        return None

    def max_iter_message(self, max_iter: int) -> str:
        return (
            f"stopped at max_iter = {max_iter} without converging: the scaled gradient is "
            f"{self.gn:.3g} (tol = {self.tol:g})"
        )

    def finish(self, status: str, outcome: Outcome, message: str, nit: int) -> dict:
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
            "outcome": outcome,
            "message": message,
            "nit": nit,
            "nfev": self.problem.nfev,
            "trace": trace,
        }


#: Iterations between two calls of a progress callback.
PROGRESS_EVERY = 4096
#: Iterations in a row a parameter may sit at the end of a family's computed range (see
#: Censored.pinned) before the run ends as one that ran away towards it.
PINNED = 3


def drive(problem: Problem, stepper: Stepper, u0: tuple, max_iter: int, tol: float, frame, progress=None) -> dict:
    """Run ``stepper`` from ``u0`` until it converges, diverges, stalls or hits max_iter.
    ``progress(done, total)``, if given, is called every few thousand iterations."""
    monitor = Monitor(problem, tol, frame, stepper.memoryless, stepper.leash, stepper.reach)
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
    return monitor.finish("max_iter", Outcome("max_iter", None, max_iter), monitor.max_iter_message(max_iter), max_iter)
