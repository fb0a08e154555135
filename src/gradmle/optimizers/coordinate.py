"""Block-coordinate ascent: ``n_inner`` gradient steps on one parameter with the
others held fixed, then the next parameter; one call of ``step`` is one outer sweep.

Every single-parameter update is a point of the path, so the driver records the
staircase the method really walks and stops at the first update that leaves the
parameter space.
"""

from __future__ import annotations

from .base import State, Stepper, start


def coordinate(step: float, n_inner: int) -> Stepper:
    def update(state: State, problem) -> State:
        f = problem.f
        u = list(state.u)
        value, grad = state.value, state.grad
        path = []
        for i in range(len(u)):
            for _ in range(n_inner):
                u[i] = u[i] + step * grad[i]
                point = tuple(u)
                value, grad = f(point)
                path.append((point, value, grad))
                if value != value or grad[i] != grad[i]:  # NaN: nothing further is meaningful
                    return State(point, value, grad, tuple(path[:-1]))
        last = path.pop()
        return State(last[0], last[1], last[2], tuple(path))

    return Stepper(start, update)
