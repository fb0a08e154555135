"""The nbinom family (to be written): parameters n, p, as scipy.stats.nbinom."""

from __future__ import annotations

from .base import Family


class NegativeBinomial(Family):
    name = "nbinom"
    param_names = ('n', 'p')
    constraints = ('positive', 'unit_interval')
    support = "counts"
    scipy_name = "nbinom"
    shiftable = False
