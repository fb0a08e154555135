"""Fixed-step gradient ascent, exactly as people write it.

``gradient``: every parameter moves at once, from the gradient at the current point.
``sequential``: the parameters move one after another, each with the gradient at the
point that already includes the earlier updates (for the Normal: sigma uses the new
mu). Both are run as written: no safeguard, no clipping.
"""

from __future__ import annotations

from .base import State, Stepper, start


def gradient(step: float) -> Stepper:
    def update(state: State, problem) -> State:
        u = tuple([x + step * g for x, g in zip(state.u, state.grad)])
        value, grad = problem.f(u)
        return State(u, value, grad)

    return Stepper(start, update)


def sequential(step: float) -> Stepper:
    def update(state: State, problem) -> State:
        f = problem.f
        u = list(state.u)
        grad = state.grad
        for i in range(len(u)):
            if i:
                _, grad = f(tuple(u))
            u[i] = u[i] + step * grad[i]
        u = tuple(u)
        value, grad = f(u)
        return State(u, value, grad)

    return Stepper(start, update)
