"""The logistic family (to be written): parameters loc, scale, as scipy.stats.logistic."""

from __future__ import annotations

from .base import Family


class Logistic(Family):
    name = "logistic"
    param_names = ('loc', 'scale')
    constraints = ('real', 'positive')
    support = "real"
    scipy_name = "logistic"
    shiftable = False
