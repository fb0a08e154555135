"""The Weibull family, parameters ``c`` (shape) and ``scale``, as scipy.stats.weibull_min
with ``loc`` fixed (0 by default).

With y = log x the log-density is log c - c log(scale) + (c - 1) y - exp(c (y - log scale)).
The only data-dependent sums are the weighted moments of y under the weights
exp(c y): they depend on c alone, so they are cached per c, and a line search over
the scale costs no pass. To keep exp(c y) finite the data are measured in units of
their largest value (y' = y - max y <= 0).
"""

from __future__ import annotations

import math

import numpy as np

from ..stats import log_ratio, log_rel, sum_of_products
from .base import Family, Sample, split

NAN2 = (math.nan, math.nan)
EULER = 0.5772156649015329
#: Above this shape (a relative spread of the data below ~1e-11) the rounding of the
#: scale is a sizeable part of 1 / c: see LogNormal's MIN_S.
MAX_SHAPE = 2.0**36


class Weibull(Family):
    name = "weibull"
    param_names = ("c", "scale")
    constraints = ("positive", "positive")
    scale_power = (0, 1)
    support = "positive"
    scipy_name = "weibull_min"
    shiftable = True
    sufficient = False
    learns = ("log",)

    def prepare(self, info: dict) -> dict:
        """From the first pass: the moments of log x, measured from log(max x) (so that
        exp(c y) stays finite for any shape) and computed about a value of the data
        (so that data agreeing to many digits keep their spread)."""
        lm, xmax = info["log"], info["max"]
        ymax = math.log(xmax)
        self.check_spread(info["min"], xmax, info["n"])
        if not lm.var > 0.0:
            raise ValueError(
                f"the logarithms of all {info['n']} values are equal to float precision (values from "
                f"{info['min']!r} to {xmax!r}): the {self.name} MLE does not exist (the shape runs to infinity)"
            )
        c0 = math.pi / math.sqrt(6.0 * lm.var)
        if c0 > MAX_SHAPE:
            raise ValueError(
                f"the logarithms of these {info['n']} values spread by only {math.sqrt(lm.var):.3g}: the Weibull shape would be about {c0:.3g}, and float64 holds the scale "
                "to a relative 1.1e-16 only, a sizeable part of 1 / c, so the MLE cannot be found to tol; fit "
                "family='normal'"
            )
        # mean(log x) - log(max x) = dmean + log(c / max x), both terms exact.
        mean = lm.mean_rel + log_rel(lm.c, xmax)
        return {"xmax": xmax, "ymax": ymax, "mean": mean, "var": lm.var, "min": info["min"], "max": xmax}

    @staticmethod
    def _logs(x: np.ndarray, xmax: float) -> np.ndarray:
        """log(x / max x), to full relative precision (see stats.log_ratio)."""
        return log_ratio(x, xmax)

    def pretransform(self, x: np.ndarray, extra: dict) -> np.ndarray:
        return self._logs(x, extra["xmax"])

    def initial(self, sample: Sample):
        # log X has variance pi^2 / (6 c^2) and mean log(scale) - Euler / c.
        c = math.pi / math.sqrt(6.0 * sample.extra["var"])
        return (c, sample.extra["xmax"] * math.exp(sample.extra["mean"] + EULER / c))

    def chunk_sums(self, theta, chunk: np.ndarray, extra: dict) -> np.ndarray:
        """sum(t), sum(t y), sum(t y^2) with t = exp(c y), y = log(x / max x): they
        depend on c alone (``theta`` may be ``(c,)``)."""
        c = theta[0]
        x, w = split(chunk)
        y = x if extra.get("transformed") else self._logs(x, extra["xmax"])
        t = np.exp(c * y)
        if w is not None:  # weighted sums: each t counted w times
            t *= w
        ty = t * y
        s0 = float(t.sum())
        return np.array([s0, float(ty.sum()), sum_of_products(ty, y, out=t)])

    def _weighted(self, sample: Sample, c: float):
        """log mean(exp(c y)), and the weighted mean and variance of y."""
        def compute(key):
            s0, s1, s2 = sample.total(lambda ch: self.chunk_sums(key, ch, sample.extra))
            if not s0 > 0:
                return -math.inf, math.nan, math.nan
            m1 = s1 / s0
            return math.log(s0 / sample.n), m1, max(s2 / s0 - m1 * m1, 0.0)

        return sample.at((c,), compute)

    def objective(self, sample: Sample):
        ybar, ymax, xmax = sample.extra["mean"], sample.extra["ymax"], sample.extra["xmax"]

        def value_and_grad(theta):
            c, s = theta
            if not (c > 0.0 and s > 0.0 and math.isfinite(c) and math.isfinite(s)):
                return -math.inf, NAN2
            logs = log_rel(s, xmax)          # log of the scale in units of max x
            log_s0, m1, _ = self._weighted(sample, c)
            log_a = log_s0 - c * logs
            if log_a > 700.0:
                return -math.inf, NAN2
            a = math.exp(log_a)              # mean((x / scale)^c)
            value = math.log(c) - c * logs + (c - 1.0) * ybar - a - ymax
            return value, (1.0 / c - logs + ybar - a * (m1 - logs), (c / s) * (a - 1.0))

        return value_and_grad

    def hessian(self, theta, sample: Sample) -> np.ndarray:
        c, s = theta
        logs = log_rel(s, sample.extra["xmax"])
        log_s0, m1, v = self._weighted(sample, c)
        a = math.exp(log_s0 - c * logs)
        e2 = v + (m1 - logs) ** 2            # weighted mean of (y - log scale)^2
        # (Divisions one factor at a time: c * c or s * s may underflow to 0.)
        h_cc = -1.0 / c / c - a * e2
        h_cs = (-1.0 + c * a * (m1 - logs) + a) / s
        h_ss = (-c * (a - 1.0) - c * c * a) / s / s
        return np.array([[h_cc, h_cs], [h_cs, h_ss]])

    def fisher(self, theta) -> np.ndarray:
        c, s = theta
        i_cc = ((1.0 - EULER) ** 2 + math.pi**2 / 6.0) / c / c
        i_cs = -(1.0 - EULER) / s
        return np.array([[i_cc, i_cs], [i_cs, c / s * c / s]])

    def frame(self, sample: Sample):
        c0, s0 = self.initial(sample)
        return (0.0, 1e6 * c0), (0.0, 1e6 * s0)
