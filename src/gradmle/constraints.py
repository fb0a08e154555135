"""What a parameter may be (constraints) and what values the data may take (supports).

One object per concept, as numpyro's ``constraints`` module has it: each knows how to
check a value, how to say what is allowed, the transform that removes it (for
parameters) and its bounds. Families, the user's own models, the start values, the
driver and L-BFGS-B's bounds all ask these objects; nothing interprets a string.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

from .parametrize import IDENTITY, LOG, LOGIT, Transform

__all__ = ["Constraint", "REAL", "POSITIVE", "UNIT_INTERVAL", "CONSTRAINTS", "as_constraint",
           "VectorConstraint", "SIMPLEX", "ORDERED", "VECTOR_CONSTRAINTS", "Support", "SUPPORTS", "as_support"]


class Constraint(NamedTuple):
    """An open interval ``lower < theta < upper`` a parameter must lie in."""

    name: str
    lower: float
    upper: float
    #: The bijection from the whole real line onto the interval.
    transform: Transform
    #: How to say it, with ``{}`` for the parameter's name.
    rule: str

    def __eq__(self, other):  # a constraint is also known by its name
        return self.name == other if isinstance(other, str) else tuple.__eq__(self, other)

    def __hash__(self):
        return hash(self.name)

    def check(self, v: float) -> bool:
        """Whether ``v`` is allowed (NaN and infinities never are)."""
        return self.lower < v < self.upper and math.isfinite(v)

    def describe(self, name: str) -> str:
        return self.rule.format(name)

REAL = Constraint("real", -math.inf, math.inf, IDENTITY, "{} must be a finite number")
POSITIVE = Constraint("positive", 0.0, math.inf, LOG, "{} must be > 0")
UNIT_INTERVAL = Constraint("unit_interval", 0.0, 1.0, LOGIT, "{} must be strictly between 0 and 1")
CONSTRAINTS = {c.name: c for c in (REAL, POSITIVE, UNIT_INTERVAL)}


def as_constraint(c) -> Constraint:
    """A Constraint from itself or its name; an unknown name lists the valid ones."""
    if isinstance(c, Constraint):
        return c
    if isinstance(c, str) and c.strip().lower() in CONSTRAINTS:
        return CONSTRAINTS[c.strip().lower()]
    raise ValueError(f"unknown constraint {c!r}; valid: {', '.join(CONSTRAINTS)}")


class VectorConstraint(NamedTuple):
    """A constraint that ties the elements of a vector parameter together (a mixture's
    weights, which sum to 1; component means kept in increasing order).

    The optimizer sees the vector's free elements, each under ``element`` (and so its
    transform); the last ``implied`` elements follow from the others (a simplex's last
    weight is 1 minus the rest). ``joint`` tells whether a full vector is allowed.
    """

    name: str
    element: Constraint
    implied: int
    #: How to say it, with ``{}`` for the parameter's name.
    rule: str
    #: ``joint(full) -> bool`` on the full vector (a numpy array).
    joint: Callable

    def __eq__(self, other):
        return self.name == other if isinstance(other, str) else tuple.__eq__(self, other)

    def __hash__(self):
        return hash(self.name)

    def complete(self, free, xp=np):
        """The full vector from its free elements (``xp``: numpy or jax.numpy)."""
        if self.implied:
            return xp.concatenate([free, 1.0 - xp.sum(free, keepdims=True)])
        return free

    def describe(self, name: str) -> str:
        return self.rule.format(name)


SIMPLEX = VectorConstraint("simplex", UNIT_INTERVAL, 1, "the elements of {} must be > 0 and sum to 1",
                           lambda w: bool(np.all(w > 0.0)))
ORDERED = VectorConstraint("ordered", REAL, 0, "the elements of {} must be strictly increasing",
                           lambda v: bool(np.all(np.diff(v) > 0.0)))
VECTOR_CONSTRAINTS = {c.name: c for c in (SIMPLEX, ORDERED)}


class Support(NamedTuple):
    """The values the data of a family may take."""

    name: str
    #: What is allowed, as a sentence fragment ("values must be > 0").
    rule: str
    #: ``outside(x) -> mask`` of the values not allowed (NaN never reaches it).
    outside: Callable = lambda x: np.zeros(x.shape, bool)
    #: ``settled(lo, hi) -> bool``: True when the smallest and largest value already
    #: show that every value is allowed (so no value-by-value check is needed).
    settled: Callable = lambda lo, hi: True
    #: Whether every value is > 0 (the data's logarithms exist).
    positive: bool = False
    #: Whether the values are counts, so the likelihood is a probability (a PMF), not a
    #: density: the two are not on one scale and are not compared with each other.
    discrete: bool = False

    def __eq__(self, other):  # a support is also known by its name
        return self.name == other if isinstance(other, str) else tuple.__eq__(self, other)

    def __hash__(self):
        return hash(self.name)

    def bad(self, x: np.ndarray) -> np.ndarray | None:
        """A mask of the values outside the support, or None when there are none."""
        if not x.size or self.settled(x.min(), x.max()):
            return None
        with np.errstate(invalid="ignore"):
            mask = self.outside(x)
        return mask if mask.any() else None

SUPPORTS = {s.name: s for s in (
    Support("real", ""),
    Support("positive", "values must be > 0", lambda x: x <= 0, lambda lo, hi: lo > 0, positive=True),
    Support("nonnegative", "values must be >= 0", lambda x: x < 0, lambda lo, hi: lo >= 0),
    Support("unit_interval", "values must be strictly between 0 and 1", lambda x: (x <= 0) | (x >= 1),
            lambda lo, hi: lo > 0 and hi < 1, positive=True),
    Support("counts", "values must be whole numbers >= 0", lambda x: (x < 0) | (x != np.floor(x)),
            lambda lo, hi: False, discrete=True),
    Support("positive_counts", "values must be whole numbers >= 1", lambda x: (x < 1) | (x != np.floor(x)),
            lambda lo, hi: False, positive=True, discrete=True),
)}


def as_support(s) -> Support:
    if isinstance(s, Support):
        return s
    if isinstance(s, str) and s in SUPPORTS:
        return SUPPORTS[s]
    raise ValueError(f"unknown support {s!r}; valid: {', '.join(SUPPORTS)}")
