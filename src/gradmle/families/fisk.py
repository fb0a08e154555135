"""The Fisk (log-logistic) family, parameters ``c`` (shape) and ``scale``, as
scipy.stats.fisk with ``loc`` fixed (0 by default).

If x is Fisk(c, scale), y = log x is logistic with loc = log(scale) and scale 1 / c:

    log f(x) = log c - log(scale) + (c - 1) log(x / scale) - 2 log(1 + (x / scale)^c)
             = logistic log-density of y at (log scale, 1 / c) - y.

No sufficient statistics: each evaluation is one pass over the logarithms computing the
logistic's sums (gradmle.families.logistic), from which the value, score and Hessian in
(c, scale) follow by the chain rule. The logarithms are taken relative to the median
(log(x / median), to full relative precision), so that data agreeing to many digits
keep their spread. The start is from the quartiles: the median is the scale and
q3 / q1 = 3^(2 / c). Fisher information diag((pi^2 + 3) / (9 c^2), c^2 / (3 scale^2)).
No closed form.
"""

from __future__ import annotations

import math

import numpy as np

from ..stats import log_ratio, log_rel
from .base import PassFamily, Sample, split
from .logistic import Logistic, logistic_sums

NAN2 = (math.nan, math.nan)
LOG3 = math.log(3.0)


class Fisk(PassFamily):
    name = "fisk"
    param_names = ("c", "scale")
    constraints = ("positive", "positive")
    scale_power = (0, 1)
    support = "positive"
    scipy_name = "fisk"
    condensable = True
    shiftable = True
    learns = ("log", "quartiles")

    def prepare(self, info: dict) -> dict:
        self.check_spread(info["min"], info["max"], info["n"])
        q1, med, q3 = info["quartiles"]
        lm = info["log"]
        if q3 > q1:
            c = 2.0 * LOG3 / log_rel(q3, q1)
        else:  # ties at the quartiles: from the sd of log x (pi / (c sqrt 3))
            c = math.pi / math.sqrt(3.0 * lm.var) if lm.var > 0.0 else 1.0
        # mean(log(x / median)) = mean(log(x / c0)) + log(c0 / median), both exact.
        return {"ref": med, "mean_y": lm.mean_rel + log_rel(lm.c, med), "start": (c, med),
                "min": info["min"], "max": info["max"]}

    def pretransform(self, x: np.ndarray, extra: dict) -> np.ndarray:
        return log_ratio(x, extra["ref"])

    def initial(self, sample: Sample):
        return sample.extra["start"]

    def chunk_sums(self, theta, chunk: np.ndarray, extra: dict) -> np.ndarray:
        c, s = theta
        x, w = split(chunk)
        y = x if extra.get("transformed") else log_ratio(x, extra["ref"])
        return logistic_sums(log_rel(s, extra["ref"]), 1.0 / c, y, w)

    def assemble(self, theta, sums, n, extra: dict):
        c, s = theta
        value, (g_loc, g_sl), h = Logistic.assemble((log_rel(s, extra["ref"]), 1.0 / c), sums, n)
        if not math.isfinite(value):
            return -math.inf, NAN2, np.full((2, 2), math.nan)
        # loc = log(scale / ref): d/ds = 1/s, d2/ds2 = -1/s^2; logistic scale 1/c: d/dc = -1/c^2, d2/dc2 = 2/c^3.
        value -= extra["mean_y"] + math.log(extra["ref"])
        grad = (-g_sl / c / c, g_loc / s)
        h_cc = float(h[1, 1]) / c / c / c / c + 2.0 * g_sl / c / c / c
        h_ss = (float(h[0, 0]) - g_loc) / s / s
        h_cs = -float(h[0, 1]) / c / c / s
        return value, grad, np.array([[h_cc, h_cs], [h_cs, h_ss]])

    def fisher(self, theta) -> np.ndarray:
        c, s = theta
        return np.array([[(math.pi**2 + 3.0) / 9.0 / c / c, 0.0], [0.0, c / s * c / s / 3.0]])
