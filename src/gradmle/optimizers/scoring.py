"""Second-order steppers: Fisher scoring and safeguarded Newton.

``fisher``: u <- u + gamma * F(u)^-1 grad (the natural gradient); F is the Fisher
information of one observation, so the step is free of the data's units. For the
Normal with gamma = 1 it makes mu exact in one step and turns the sigma update into
Heron's square root iteration.

``newton``: the Newton direction -H^-1 grad where -H is positive definite and the
full Newton step stays within the trust region (a few statistical scales per
parameter); elsewhere, far from the optimum, the Fisher-scoring direction. A family that
declares no Fisher information (a user's model) takes instead the Hessian it already has
with its eigenvalues made positive (after scaling to unit diagonal): the empirical
information would cost another pass over the data, and its steps are short far from the
optimum. Armijo backtracking makes every iterate an improvement.
"""

from __future__ import annotations

import math

import numpy as np

from .base import MAX_MOVE, REACH, State, Stepper, backtrack, solve, start

#: Eigenvalues of the scaled information below this fraction of the largest are raised
#: to it in the modified Newton direction (a flat direction takes a long, not an
#: infinite, step; the trust region clips it).
FLOOR = 1e-8


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


def _modified_direction(h: np.ndarray, grad, idx: list[int]):
    """``M^-1 grad`` on the coordinates ``idx``, with M the information ``-H`` scaled
    to unit diagonal and its eigenvalues replaced by their absolute values (kept away
    from 0): an ascent direction where -H is not positive definite, and Newton's own
    where it is. None when -H is not finite there."""
    m = np.asarray(h, dtype=float)[np.ix_(idx, idx)]
    if not idx or not np.all(np.isfinite(m)):
        return None
    d = np.sqrt(np.abs(np.diag(m)))
    d[~(d > 0)] = 1.0
    w, vec = np.linalg.eigh(0.5 * (m + m.T) / np.outer(d, d))
    w = np.abs(w)
    w = np.maximum(w, FLOOR * max(float(np.max(w)), 1e-300))
    step = vec @ ((vec.T @ (np.array([grad[i] for i in idx], dtype=float) / d)) / w) / d
    if not np.all(np.isfinite(step)):
        return None
    out = [0.0] * len(grad)
    for i, v in zip(idx, step.tolist()):
        out[i] = v
    return tuple(out)


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
        info = -problem.hessian(state.u)
        d = _solve_on(info, state.grad, idx)
        kind = "newton"
        caps = tuple(MAX_MOVE * s for s in scales)
        if d is not None and any(abs(step * di) > cap for di, cap in zip(d, caps)):
            d = None  # far from the optimum the quadratic model is not to be trusted
        if d is None and not problem.declares_fisher:
            d, kind = _modified_direction(info, state.grad, idx), "modified"
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
