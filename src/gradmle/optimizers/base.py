"""The optimizer protocol, after optax: a pair of pure functions.

``init(theta, f) -> State`` and ``step(state, f) -> State``, where ``f(theta)``
returns ``(value, grad)`` of the objective to *maximize*. A stepper never loops,
tests convergence or builds results: the driver in :mod:`gradmle.fit` does.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

Point = tuple  # (theta, value, grad)


class State(NamedTuple):
    theta: tuple
    value: float
    grad: tuple
    #: Points visited inside this step before ``theta`` (coordinate sweeps record
    #: each single-parameter update); the driver records and checks every one.
    path: tuple = ()
    #: Whatever else the stepper carries from one step to the next.
    extra: Any = None


class Stepper(NamedTuple):
    init: Callable[[tuple, Callable], State]
    step: Callable[[State, Callable], State]


def start(theta, f) -> State:
    """The usual ``init``: evaluate the objective at the start."""
    value, grad = f(theta)
    return State(tuple(theta), value, grad)
