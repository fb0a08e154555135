"""The logistic family, parameters ``loc`` and ``scale``, as scipy.stats.logistic.

No sufficient statistics: each evaluation is one pass over the data that computes the
value, the gradient and the Hessian together (cached: a Newton iteration costs one
pass). With z = (x - loc) / scale, e = exp(-|z|) (never overflows) and the density's
symmetry, the log-density is

    -log(scale) - |z| - 2 log1p(e),

the score in loc is tanh(z/2) / scale with tanh(z/2) = sign(z) (1 - e) / (1 + e), and
the curvature d tanh(z/2) / dz = 2 e / (1 + e)^2, which does not cancel in the tails.
No closed form: the MLE solves mean(tanh(z/2)) = 0, mean(z tanh(z/2)) = 1.
"""

from __future__ import annotations

import math

import numpy as np

from ..stats import sum_of_products, wsum
from .base import PassFamily, Sample, split

NAN2 = (math.nan, math.nan)
LOG3 = math.log(3.0)


class Logistic(PassFamily):
    name = "logistic"
    param_names = ("loc", "scale")
    constraints = ("real", "positive")
    scale_power = (1, 1)
    loc_index = 0
    support = "real"
    learns = ("moments", "quartiles")
    scipy_name = "logistic"
    shiftable = False
    condensable = True

    def prepare(self, info: dict) -> dict:
        """The start: the median and the interquartile range (2 scale log 3 for the
        logistic); the sd (scale pi / sqrt 3) when the quartiles coincide (ties)."""
        self.check_spread(info["min"], info["max"], info["n"])
        q1, med, q3 = info["quartiles"]
        if q3 > q1:
            start = (med, (q3 - q1) / (2.0 * LOG3))
        else:
            start = (med, math.sqrt(info["var"]) * math.sqrt(3.0) / math.pi)
        return {"min": info["min"], "max": info["max"], "start": start}

    def initial(self, sample: Sample):
        return sample.extra["start"]

    def chunk_sums(self, theta, x: np.ndarray, extra=None) -> np.ndarray:
        """The sums over one chunk that value, gradient and Hessian need at theta."""
        x, w = split(x)
        return logistic_sums(theta[0], theta[1], x, w)

    @staticmethod
    def assemble(theta, sums, n: int, extra=None):
        """Value, gradient and Hessian (averages) from the summed ``chunk_sums``."""
        mu, s = theta
        s_abs, s_log, s_t, s_zt, s_q, s_zq, s_z2q = (float(v) for v in sums)
        value = -math.log(s) - (s_abs + 2.0 * s_log) / n
        if not math.isfinite(value):
            return -math.inf, NAN2, np.full((2, 2), math.nan)
        m_t, m_zt = s_t / n, s_zt / n
        grad = (m_t / s, (m_zt - 1.0) / s)
        h_mm = -s_q / n / s / s
        h_ms = -(m_t + s_zq / n) / s / s
        h_ss = (1.0 - 2.0 * m_zt - s_z2q / n) / s / s
        return value, grad, np.array([[h_mm, h_ms], [h_ms, h_ss]])

    def fisher(self, theta) -> np.ndarray:
        v = 1.0 / theta[1] / theta[1]
        return np.array([[v / 3.0, 0.0], [0.0, (math.pi**2 + 3.0) / 9.0 * v]])

    def scales(self, theta):
        s = max(abs(theta[1]), 1e-300)
        return (math.sqrt(3.0) * s, 3.0 / math.sqrt(math.pi**2 + 3.0) * s)


def logistic_sums(mu: float, s: float, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """The sums over values x (weighted by w, or None) that the logistic's value,
    gradient and Hessian at (loc, scale) = (mu, s) need."""
    with np.errstate(over="ignore", invalid="ignore"):  # loc or scale absurd: inf, caught later
        z = (x - mu) / s
        a = np.abs(z)
        e = np.exp(-a)
        p = 1.0 / (1.0 + e)
        t = np.copysign((1.0 - e) * p, z)      # tanh(z / 2)
        q = 2.0 * e * p * p                     # d tanh(z / 2) / dz
        if w is not None:  # the sums in t and q weighted through them
            t *= w
            q *= w
        zq = z * q
        s_abs, s_zq = wsum(a, w), float(zq.sum())  # a and zq are scratch from here on
        return np.array([s_abs, wsum(np.log1p(e), w), float(t.sum()), sum_of_products(z, t, out=a),
                         float(q.sum()), s_zq,
                         sum_of_products(zq, z, out=zq)])  # (z q) z: q underflows before z^2 overflows
