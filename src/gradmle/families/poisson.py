"""The poisson family (to be written): parameters mu, as scipy.stats.poisson."""

from __future__ import annotations

from .base import Family


class Poisson(Family):
    name = "poisson"
    param_names = ('mu',)
    constraints = ('positive',)
    support = "counts"
    scipy_name = "poisson"
    shiftable = False
