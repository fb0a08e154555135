"""The beta family (to be written): parameters a, b, as scipy.stats.beta."""

from __future__ import annotations

from .base import Family


class Beta(Family):
    name = "beta"
    param_names = ('a', 'b')
    constraints = ('positive', 'positive')
    support = "unit_interval"
    scipy_name = "beta"
    shiftable = False
