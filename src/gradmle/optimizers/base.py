"""The optimizer protocol, after optax: a pair of pure functions.

``init(u, problem) -> State`` and ``step(state, problem) -> State``, where
``problem.f(u)`` returns ``(value, grad)`` of the objective to *maximize* in working
coordinates (``problem.hessian`` and ``problem.fisher`` give curvature). A stepper never
loops, tests convergence or builds results: the driver (:mod:`gradmle.driver`) does.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np

Point = tuple  # (u, value, grad)


#: How much further than the family's frame a line-search method may climb.
REACH = 1e4


class State(NamedTuple):
    u: tuple
    value: float
    grad: tuple
    #: Points visited inside this step before ``u`` (coordinate sweeps record
    #: each single-parameter update); the driver records and checks every one.
    path: tuple = ()
    #: Whatever else the stepper carries from one step to the next.
    extra: Any = None
    #: Set by a stepper that can take no further step: True (or "no_ascent") when no
    #: step improves the objective, "singular" when the information it needs is
    #: singular or not finite there.
    stalled: bool | str = False


class Stepper(NamedTuple):
    init: Callable[[tuple, Any], State]
    step: Callable[[State, Any], State]
    #: True when the next step depends on ``u`` alone: an iterate that did not
    #: change will never change again, and the driver can stop.
    memoryless: bool = True
    #: How many iterations in a row an iterate may move further away while far from
    #: the data before the run counts as diverged. 1 for the fixed-step schemes, which
    #: have no quick way back (far out their steps shrink like gamma / sigma^2); more
    #: for methods whose steps scale with the problem and come back in a few steps.
    leash: int = 1
    #: A factor on the family's frame: methods whose every step increases the
    #: likelihood (a line search) may climb far out from a far start, and only run
    #: away when they keep going much further than a fixed-step scheme may.
    reach: float = 1.0


def start(u, problem) -> State:
    """The usual ``init``: evaluate the objective at the start."""
    value, grad = problem.f(tuple(u))
    return State(tuple(u), value, grad)


#: No line-search step moves a parameter by more than this many of its statistical
#: scales (sqrt of the inverse Fisher information of one observation): a trust region
#: that keeps a step from a hopeless start from landing anywhere at all.
MAX_MOVE = 3.0
#: Predicted gains below this fraction of the log-likelihood's size are judged from
#: gradients, not values (see ``backtrack``): at 1e-10 a step is some 1e-5 statistical
#: scales from the optimum, where the trapezoid rule errs by about 1e-5 of the gain,
#: while values that carry a few hundred ulps of rounding still resolve gains 1000
#: times smaller, so the two tests overlap.
QUIET = 1e-10
_EPS = 2.220446049250313e-16


def trust(problem, u) -> tuple:
    """Largest move of each working coordinate that one step may make at u."""
    return tuple(MAX_MOVE * s for s in problem.working_scales(u))


def backtrack(problem, state: State, direction, t: float, c: float = 1e-4, halvings: int = 100, caps=None):
    """Armijo backtracking along an ascent ``direction`` from ``state``, first trying
    step ``t``. Each coordinate's move is clipped to ``MAX_MOVE`` of its scales (a box
    trust region), so a step from a hopeless start cannot land just anywhere.
    Returns ``(u, value, grad, t)``, or None when no step of the form ``t / 2^k``
    increases the objective enough (the iterate cannot improve).

    The sufficient-increase test forgives a change of the size of the rounding error
    of the objective, so that near the optimum, where the gain is below the
    resolution of the log-likelihood, a good step is not refused. Where the predicted
    gain is below ``QUIET`` of the log-likelihood's size, the values cannot tell a
    good step from a bad one (their rounding may be far above an ulp: a value that is
    a sum of large terms cancelling, as nbinom's near its Poisson limit), and the
    gain is measured from the gradients instead, by the trapezoid rule
    ``(g(u0) + g(u)) . (u - u0) / 2`` (exact for a quadratic, so accurate to third
    order in the step there); the value may then fall by at most ``QUIET``."""
    u0, v0, g0 = state.u, state.value, state.grad
    if not sum(g * d for g, d in zip(g0, direction)) > 0.0:
        return None
    caps = trust(problem, u0) if caps is None else caps
    noise = 8.0 * _EPS * (abs(v0) + 1.0)
    first = t
    quiet = QUIET * (abs(v0) + 1.0)
    for _ in range(halvings):
        move = tuple(max(-cap, min(cap, t * d)) for d, cap in zip(direction, caps))
        slope = sum(g * m for g, m in zip(g0, move))
        if slope > 0.0:
            u = tuple(x + m for x, m in zip(u0, move))
            # (after the first trial, a point more likely refused than accepted: see
            # Problem.trial)
            value, grad = problem.f(u) if t == first else problem.trial(u)
            if value >= v0 + c * slope - noise and value == value:
                return u, value, grad, t
            if slope <= quiet and value >= v0 - quiet:
                # The move actually made (u is rounded), so that a step lost to
                # rounding gains nothing.
                gain = 0.5 * sum((a + b) * (x - x0) for a, b, x, x0 in zip(g0, grad, u, u0))
                if gain > 0.0 and gain >= c * slope:
                    return u, value, grad, t
        t *= 0.5
    return None


def solve(matrix: np.ndarray, vector) -> tuple | None:
    """``matrix^-1 vector`` for a symmetric positive definite matrix, or None."""
    if matrix.shape == (2, 2):  # the common case, in Python floats
        a, b, d = float(matrix[0, 0]), float(matrix[0, 1]), float(matrix[1, 1])
        det = a * d - b * b
        if not (a > 0.0 and det > 0.0 and math.isfinite(det)):
            return None
        g0, g1 = float(vector[0]), float(vector[1])
        x = ((d * g0 - b * g1) / det, (a * g1 - b * g0) / det)
        return x if math.isfinite(x[0]) and math.isfinite(x[1]) else None
    try:
        chol = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return None
    y = np.linalg.solve(chol, np.asarray(vector, dtype=float))
    x = np.linalg.solve(chol.T, y)
    if not np.all(np.isfinite(x)):
        return None
    return tuple(float(v) for v in x)
