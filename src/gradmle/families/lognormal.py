"""The lognormal family (to be written): parameters s, scale, as scipy.stats.lognorm."""

from __future__ import annotations

from .base import Family


class LogNormal(Family):
    name = "lognormal"
    param_names = ('s', 'scale')
    constraints = ('positive', 'positive')
    support = "positive"
    scipy_name = "lognorm"
    shiftable = True
