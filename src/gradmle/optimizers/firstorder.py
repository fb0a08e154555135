"""First-order steppers with adaptive steps: Armijo line search and Adam.

``linesearch``: gradient ascent; each iteration first tries the Barzilai-Borwein step
(``step`` at the start) and halves it until the Armijo condition holds.

``adam``: Adam (Kingma & Ba, 2015) with bias correction; ``step`` is the learning
rate, in the units of the working coordinates.
"""

from __future__ import annotations

import math

from .base import REACH, State, Stepper, backtrack, start


def linesearch(step: float = 1.0) -> Stepper:
    def init(u, problem) -> State:
        return start(u, problem)._replace(extra=(step, None, None))

    def update(state: State, problem) -> State:
        t, u_prev, g_prev = state.extra
        if u_prev is not None:
            # Barzilai-Borwein: the step a quadratic with the observed change of the
            # gradient along the last move would call for (for ascent, y = g_prev - g).
            s = [a - b for a, b in zip(state.u, u_prev)]
            y = [a - b for a, b in zip(g_prev, state.grad)]
            sy = sum(a * b for a, b in zip(s, y))
            if sy > 0.0:
                t = sum(a * a for a in s) / sy
            else:
                t = 2.0 * t
        found = backtrack(problem, state, state.grad, t)
        if found is None:
            return state._replace(path=(), stalled=True)
        u, value, grad, t = found
        return State(u, value, grad, extra=(t, state.u, state.grad))

    return Stepper(init, update, memoryless=False, leash=3, reach=REACH)


def adam(step: float = 0.01, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Stepper:
    def init(u, problem) -> State:
        zeros = (0.0,) * len(u)
        return start(u, problem)._replace(extra=(0, zeros, zeros))

    def update(state: State, problem) -> State:
        t, m, v = state.extra
        t += 1
        g = state.grad
        m = tuple(beta1 * mi + (1.0 - beta1) * gi for mi, gi in zip(m, g))
        v = tuple(beta2 * vi + (1.0 - beta2) * gi * gi for vi, gi in zip(v, g))
        c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t
        u = tuple(x + step * (mi / c1) / (math.sqrt(vi / c2) + eps) for x, mi, vi in zip(state.u, m, v))
        value, grad = problem.f(u)
        return State(u, value, grad, extra=(t, m, v))

    return Stepper(init, update, memoryless=False)
