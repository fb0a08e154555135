"""The laplace family (to be written): parameters loc, scale, as scipy.stats.laplace."""

from __future__ import annotations

from .base import Family


class Laplace(Family):
    name = "laplace"
    param_names = ('loc', 'scale')
    constraints = ('real', 'positive')
    support = "real"
    scipy_name = "laplace"
    shiftable = False
