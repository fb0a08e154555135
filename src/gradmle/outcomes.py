"""How a run ends: a code from one vocabulary, with the parameter, the iteration and
the values involved. Messages are written from outcomes; the diagnosis reads the code,
never the message."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Outcome", "OUTCOMES"]

#: Every way a run ends, by code.
OUTCOMES = {
    "converged": "the convergence test held",
    "converged_at_start": "the convergence test held at the start",
    "closed_form": "the exact maximizer, in closed form",
    "max_iter": "the iteration limit was reached",
    "crossed_zero": "a parameter, or its working coordinate, left the values it may take",
    "underflow": "a positive parameter underflowed to 0",
    "nonfinite": "a parameter became infinite or NaN",
    "overflow": "the log-likelihood or its gradient overflowed",
    "outside_support": "the likelihood is 0: the parameters put the support where some values are not",
    "ran_away": "a parameter ran away from the data",
    "no_ascent": "the line search found no step that increases the likelihood",
    "singular": "the information matrix is singular or not finite: no scoring step can be taken",
    "float_resolution": "the update no longer changes the iterate in float64",
    "solver_stopped": "the external solver stopped itself before the convergence test held",
    "boundary": "the likelihood keeps increasing towards the edge of the parameter space",
    "unbounded": "the likelihood is unbounded: it grows without limit as a parameter runs to the edge (no maximum exists)",
    "not_identified": "the likelihood is flat along a direction at the end: the data do not determine a combination of "
                      "the parameters",
    "saddle": "the gradient vanishes but the likelihood still rises along a direction: a saddle point, not a maximum",
}


class Outcome(NamedTuple):
    code: str
    #: The parameter concerned (or its working coordinate's label), if any.
    param: str | None = None
    iteration: int | None = None
    before: float | None = None
    after: float | None = None
