"""Fixed-step gradient ascent, exactly as people write it.

``gradient``: every parameter moves at once, from the gradient at the current point.
``sequential``: the parameters move one after another, each with the gradient at the
point that already includes the earlier updates (for the Normal: sigma uses the new
mu). Both are run as written: no safeguard, no clipping.
"""

from __future__ import annotations

from .base import State, Stepper, start


def gradient(step: float) -> Stepper:
    def update(state: State, f) -> State:
        theta = tuple(t + step * g for t, g in zip(state.theta, state.grad))
        value, grad = f(theta)
        return State(theta, value, grad)

    return Stepper(start, update)


def sequential(step: float) -> Stepper:
    def update(state: State, f) -> State:
        theta = list(state.theta)
        grad = state.grad
        value = state.value
        for i in range(len(theta)):
            if i:
                value, grad = f(tuple(theta))
            theta[i] = theta[i] + step * grad[i]
        theta = tuple(theta)
        value, grad = f(theta)
        return State(theta, value, grad)

    return Stepper(start, update)
