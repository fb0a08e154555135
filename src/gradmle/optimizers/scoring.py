"""Second-order steppers: Fisher scoring and safeguarded Newton.

``fisher``: u <- u + gamma * F(u)^-1 grad (the natural gradient); F is the Fisher
information of one observation, so the step is free of the data's units. For the
Normal with gamma = 1 it makes mu exact in one step and turns the sigma update into
Heron's square root iteration.

``newton``: the Newton direction -H^-1 grad where -H is positive definite and the
full Newton step stays within the trust region (a few statistical scales per
parameter); elsewhere, far from the optimum, the Fisher-scoring direction, or the
gradient when the family has no Fisher information. Armijo backtracking makes every
iterate an improvement.
"""

from __future__ import annotations

import math

import numpy as np

from .base import MAX_MOVE, REACH, State, Stepper, backtrack, solve, start


def _movable(problem, state: State, scales=None) -> list[int]:
    """The coordinates that can still move: those whose distance to the optimum (to
    first order, |g| s^2 with s the coordinate's statistical scale) exceeds the spacing
    of floats there. A location of 1e12 with a spread of 1e-3 is such a stuck
    coordinate; left in the system, its rounding would drag the others off course."""
    scales = problem.working_scales(state.u) if scales is None else scales
    return [i for i, (u, g, s) in enumerate(zip(state.u, state.grad, scales)) if abs(g) * s * s > 2.0 * math.ulp(u)]


def _solve_on(matrix: np.ndarray, grad, idx: list[int]):
    """``matrix^-1 grad`` on the coordinates ``idx`` (the others do not move)."""
    if len(idx) == len(grad):
        return solve(matrix, grad)
    if not idx:
        return None
    d = solve(matrix[np.ix_(idx, idx)], [grad[i] for i in idx])
    if d is None:
        return None
    out = [0.0] * len(grad)
    for i, v in zip(idx, d):
        out[i] = v
    return tuple(out)


def _fisher_direction(problem, state: State, idx=None):
    try:
        info = problem.fisher(state.u)
    except NotImplementedError:
        return None
    return _solve_on(info, state.grad, list(range(len(state.u))) if idx is None else idx)


def fisher(step: float = 1.0) -> Stepper:
    def update(state: State, problem) -> State:
        idx = _movable(problem, state)
        if not idx:  # every coordinate is at the resolution of float64
            return state._replace(path=(), stalled="float_resolution")
        d = _fisher_direction(problem, state, idx)
        if d is None:  # information not positive definite: no scoring step
            return state._replace(path=(), stalled="singular")
        u = tuple(x + step * di for x, di in zip(state.u, d))
        value, grad = problem.f(u)
        return State(u, value, grad)

    return Stepper(start, update, leash=3)


def newton(step: float = 1.0) -> Stepper:
    def update(state: State, problem) -> State:
        scales = problem.working_scales(state.u)
        idx = _movable(problem, state, scales)
        if not idx:  # every coordinate is at the resolution of float64: nothing to do
            return state._replace(path=(), stalled="float_resolution")
        d = _solve_on(-problem.hessian(state.u), state.grad, idx)
        kind = "newton"
        caps = tuple(MAX_MOVE * s for s in scales)
        if d is not None and any(abs(step * di) > cap for di, cap in zip(d, caps)):
            d = None  # far from the optimum the quadratic model is not to be trusted
        if d is None:
            d, kind = _fisher_direction(problem, state, idx), "fisher"
        if d is None:
            d, kind = tuple(g if i in idx else 0.0 for i, g in enumerate(state.grad)), "gradient"
        found = backtrack(problem, state, d, step, caps=caps)
        if found is None and kind != "gradient":
            d, kind = state.grad, "gradient"
            found = backtrack(problem, state, d, step, caps=caps)
        if found is None:
            return state._replace(path=(), stalled=True)
        u, value, grad, _ = found
        return State(u, value, grad, extra=kind)

    return Stepper(start, update, leash=3, reach=REACH)
