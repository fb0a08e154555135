"""The Cauchy family, parameters ``loc`` and ``scale``, as scipy.stats.cauchy.

No sufficient statistics: each evaluation is one pass over the data computing the
value, the gradient and the Hessian together (cached). With z = (x - loc) / scale and
u = 1 / (1 + z^2),

    log f(x) = -log(pi) - log(scale) - log(1 + z^2),

the score is (2 mean(z u), 2 mean(z^2 u) - 1) / scale, the Hessian times scale^2 is
-2 mean((1 - z^2) u^2) in loc, -4 mean(z u^2) across, 1 - 2 mean(z^2 u) - 4 mean(z^2 u^2)
in the scale, and the Fisher information is diag(1, 1) / (2 scale^2).

What is guaranteed: with both parameters free the likelihood has exactly one
stationary point, its global maximum, whenever no value is repeated in half the sample
or more (Copas, Biometrika 1975): a run that converges has found the MLE. The start is
the median and half the interquartile range (the Cauchy's quartiles are loc -+ scale),
exact order statistics for every source. With the scale held fixed the likelihood in
loc can have several local maxima (up to one per cluster of values); the run then
finds the one its start (the median) climbs to, which is not guaranteed to be the
global one.
"""

from __future__ import annotations

import math

import numpy as np

from ..stats import sum_of_products, wsum
from .base import PassFamily, Sample, split

NAN2 = (math.nan, math.nan)
LOG_PI = math.log(math.pi)


class Cauchy(PassFamily):
    name = "cauchy"
    param_names = ("loc", "scale")
    constraints = ("real", "positive")
    scale_power = (1, 1)
    loc_index = 0
    support = "real"
    scipy_name = "cauchy"
    learns = ("quartiles",)

    def prepare(self, info: dict) -> dict:
        self.check_spread(info["min"], info["max"], info["n"])
        q1, med, q3 = info["quartiles"]
        # Ties at the quartiles (half the data or more on few values): a scale from the range.
        scale = 0.5 * (q3 - q1) if q3 > q1 else (info["max"] - info["min"]) / max(info["n"], 4)
        return {"min": info["min"], "max": info["max"], "start": (med, scale)}

    def initial(self, sample: Sample):
        return sample.extra["start"]

    def chunk_sums(self, theta, chunk: np.ndarray, extra=None) -> np.ndarray:
        """sum log(1 + z^2), sum z u, sum z^2 u, sum u^2, sum z^2 u^2, sum z u^2."""
        loc, s = theta
        x, w = split(chunk)
        with np.errstate(over="ignore", invalid="ignore"):  # absurd loc or scale: inf, caught in assemble
            z = (x - loc) / s
            r = z * z
            u = 1.0 / (1.0 + r)
            s_log = wsum(np.log1p(r), w)
            if w is not None:  # every other sum is linear in u (weighted once)
                wu = w * u
            else:
                wu = u
            s_zu, s_ru = sum_of_products(z, wu), sum_of_products(r, wu)
            u2 = wu * u
            return np.array([s_log, s_zu, s_ru, float(u2.sum()), sum_of_products(r, u2), sum_of_products(z, u2, out=u2)])

    def assemble(self, theta, sums, n, extra=None):
        loc, s = theta
        s_log, m_zu, m_ru, m_u2, m_ru2, m_zu2 = (float(v) for v in sums)
        value = -LOG_PI - math.log(s) - s_log / n
        if not math.isfinite(value):
            return -math.inf, NAN2, np.full((2, 2), math.nan)
        m_zu, m_ru, m_u2, m_ru2, m_zu2 = m_zu / n, m_ru / n, m_u2 / n, m_ru2 / n, m_zu2 / n
        grad = (2.0 * m_zu / s, (2.0 * m_ru - 1.0) / s)
        h_ll = -2.0 * (m_u2 - m_ru2) / s / s
        h_ls = -4.0 * m_zu2 / s / s
        h_ss = (1.0 - 2.0 * m_ru - 4.0 * m_ru2) / s / s
        return value, grad, np.array([[h_ll, h_ls], [h_ls, h_ss]])

    def fisher(self, theta) -> np.ndarray:
        v = 0.5 / theta[1] / theta[1]
        return np.array([[v, 0.0], [0.0, v]])

    def scales(self, theta):
        s = max(abs(theta[1]), 1e-300) * math.sqrt(2.0)
        return (s, s)
