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

from .base import State, Stepper, backtrack, solve, start, trust


def _fisher_direction(problem, state: State):
    try:
        info = problem.fisher(state.u)
    except NotImplementedError:
        return None
    return solve(info, state.grad)


def fisher(step: float = 1.0) -> Stepper:
    def update(state: State, problem) -> State:
        d = _fisher_direction(problem, state)
        if d is None:  # information not positive definite: cannot take a scoring step
            return state._replace(path=(), stalled=True)
        u = tuple(x + step * di for x, di in zip(state.u, d))
        value, grad = problem.f(u)
        return State(u, value, grad)

    return Stepper(start, update, leash=3)


def newton(step: float = 1.0) -> Stepper:
    def update(state: State, problem) -> State:
        d = solve(-problem.hessian(state.u), state.grad)
        kind = "newton"
        caps = trust(problem, state.u)
        if d is not None and any(abs(step * di) > cap for di, cap in zip(d, caps)):
            d = None  # far from the optimum the quadratic model is not to be trusted
        if d is None:
            d, kind = _fisher_direction(problem, state), "fisher"
        if d is None:
            d, kind = state.grad, "gradient"
        found = backtrack(problem, state, d, step, caps=caps)
        if found is None and kind != "gradient":
            d, kind = state.grad, "gradient"
            found = backtrack(problem, state, d, step, caps=caps)
        if found is None:
            return state._replace(path=(), stalled=True)
        u, value, grad, _ = found
        return State(u, value, grad, extra=kind)

    return Stepper(start, update, leash=3)
