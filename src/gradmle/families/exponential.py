"""The exponential family (to be written): parameters scale, as scipy.stats.expon."""

from __future__ import annotations

from .base import Family


class Exponential(Family):
    name = "exponential"
    param_names = ('scale',)
    constraints = ('positive',)
    support = "positive"
    scipy_name = "expon"
    shiftable = True
