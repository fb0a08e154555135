"""The family protocol: what a distribution must provide to be fitted.

A family works from a reduction of the data (its sufficient statistics where it has
them) and evaluates the *average* log-likelihood, its gradient and Hessian from that
reduction. Everything is on the natural scale of the parameters; transforms to an
unconstrained scale live in :mod:`gradmle.parametrize`.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..parametrize import IDENTITY, for_constraint

Theta = tuple  # a tuple of Python floats, in the order of ``Family.param_names``

#: Constraints a parameter may declare.
CONSTRAINTS = ("real", "positive")


class Family:
    """Base class of distribution families.

    Subclasses set ``name``, ``param_names`` and ``constraints`` and implement the
    methods below. ``loglik``, ``grad`` and ``hessian`` are averages over the sample
    (so they do not grow with n) and receive the statistics returned by ``reduce``.
    """

    name: str = ""
    param_names: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()

    # -- data ---------------------------------------------------------------
    def reduce(self, x: np.ndarray) -> Any:
        """One pass over the validated sample; returns what the objective needs."""
        raise NotImplementedError

    def initial(self, stats: Any) -> Theta:
        """A start computed from the reduction (moment estimates)."""
        raise NotImplementedError

    def closed_form(self, stats: Any) -> Theta | None:
        """The MLE in closed form, or None when the family has none."""
        return None

    # -- objective ----------------------------------------------------------
    def objective(self, stats: Any):
        """``theta -> (value, grad)``: the average log-likelihood and its gradient,
        bound to the statistics (the hot loop calls this; keep it lean).

        Must not raise for any theta: outside the parameter space it returns
        ``(-inf, (nan, ...))`` so that the driver can report what happened.
        """
        raise NotImplementedError

    def value_and_grad(self, theta: Theta, stats: Any) -> tuple[float, Theta]:
        """Average log-likelihood and its gradient at one point."""
        return self.objective(stats)(theta)

    def hessian(self, theta: Theta, stats: Any) -> np.ndarray:
        raise NotImplementedError

    def fisher(self, theta: Theta) -> np.ndarray:
        """Fisher information of one observation."""
        raise NotImplementedError

    def scales(self, theta: Theta) -> Theta:
        """Statistical scale of each parameter at theta: sqrt(diag(F^-1)) for one
        observation. Gradients and steps are measured in these units, which makes
        the stopping rule free of the data's units."""
        f = self.fisher(theta)
        return tuple(float(v) for v in np.sqrt(np.diag(np.linalg.inv(f))))

    def frame(self, stats: Any) -> tuple[Theta, Theta]:
        """``(centers, limits)``: a parameter farther than ``limits[i]`` from
        ``centers[i]`` (and moving away) has run away from the data."""
        raise NotImplementedError

    # -- parametrizations -----------------------------------------------------
    #: The parametrization used when none is asked for.
    default_parametrization: str = "unconstrained"

    def parametrizations(self) -> dict:
        """Name -> one transform per parameter. ``"natural"`` optimizes the parameters
        as they are; ``"unconstrained"`` maps each constraint to its transform."""
        return {
            "natural": tuple(IDENTITY for _ in self.param_names),
            "unconstrained": tuple(for_constraint(c) for c in self.constraints),
        }

    # -- helpers ------------------------------------------------------------
    def in_domain(self, theta: Sequence[float]) -> bool:
        for v, c in zip(theta, self.constraints):
            if not math.isfinite(v) or (c == "positive" and not v > 0):
                return False
        return True

    def __repr__(self) -> str:
        return f"<family {self.name}: {', '.join(self.param_names)}>"
