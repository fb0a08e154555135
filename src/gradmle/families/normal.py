"""The Normal family, parameters ``mu`` and ``sigma``.

With D(mu) = s2 + (xbar - mu)^2 the average log-likelihood is
``-log(2 pi)/2 - log(sigma) - D / (2 sigma^2)``: everything needed after the one pass
over the data is ``(n, xbar, s2)``, so each evaluation costs O(1).
"""

from __future__ import annotations

import math

import numpy as np

from ..parametrize import IDENTITY, LOG, SQUARE
from ..stats import Moments, merge, moments
from .base import Family, split

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
NAN2 = (math.nan, math.nan)


class Normal(Family):
    name = "normal"
    normal_theory = True
    param_names = ("mu", "sigma")
    constraints = ("real", "positive")
    scale_power = (1, 1)
    loc_index = 0
    centers_itself = True
    default_parametrization = "sigma"

    def parametrizations(self) -> dict:
        return {"sigma": (IDENTITY, IDENTITY), "log_sigma": (IDENTITY, LOG), "variance": (IDENTITY, SQUARE)}

    scipy_name = "norm"

    def partial(self, chunk):
        x, w = split(chunk)
        return moments(x, weights=w)

    def combine(self, a, b):
        return merge(a, b)

    def finish(self, m: Moments) -> Moments:
        if not m.var > 0.0:
            raise ValueError(
                f"all {m.n} values are equal ({m.mean!r}): the Normal MLE would have "
                "sigma_hat = 0, which is outside the parameter space (sigma > 0)"
            )
        return m

    def frozen(self, params: dict, loc: float = 0.0):
        import scipy.stats

        return scipy.stats.norm(loc=params["mu"], scale=params["sigma"])

    def initial(self, stats: Moments):
        return self.closed_form(stats)

    def closed_form(self, stats: Moments, fixed=None):
        if not fixed:
            return (stats.mean, math.sqrt(stats.var))
        if 0 in fixed:  # mu held: sigma^2 = D(mu) = s2 + (xbar - mu)^2
            mu = fixed[0]
            dm = (stats.shift - mu) + stats.dmean
            return (mu, math.sqrt(stats.var + dm * dm))
        return (stats.mean, fixed[1])  # sigma held: the mean still maximizes in mu

    def objective(self, stats: Moments):
        shift, dmean, var = stats.shift, stats.dmean, stats.var
        log, isfinite, inf, ulp = math.log, math.isfinite, math.inf, math.ulp

        def value_and_grad(theta):
            mu, sigma = theta
            if not (sigma > 0.0 and isfinite(sigma) and isfinite(mu)):
                return -inf, NAN2
            # xbar - mu with xbar = shift + dmean: exact near the optimum. Within half an
            # ulp of mu, mu is the float nearest the mean: it stands for the mean itself.
            dm = (shift - mu) + dmean
            if abs(dm) <= 0.5 * ulp(mu):
                dm = 0.0
            s2 = sigma * sigma
            if s2 == 0.0:  # sigma so small that sigma^2 underflows
                return -inf, (math.copysign(inf, dm) if dm else 0.0, inf)
            r = (var + dm * dm) / s2
            return -HALF_LOG_2PI - log(sigma) - 0.5 * r, (dm / s2, (r - 1.0) / sigma)

        return value_and_grad

    def hessian(self, theta, stats: Moments) -> np.ndarray:
        mu, sigma = theta
        dm = (stats.shift - mu) + stats.dmean
        if abs(dm) <= 0.5 * math.ulp(mu):
            dm = 0.0
        d = stats.var + dm * dm
        s2 = sigma * sigma
        h12 = -2.0 * dm / (s2 * sigma)
        return np.array([[-1.0 / s2, h12], [h12, (1.0 - 3.0 * d / s2) / s2]])

    def fisher(self, theta) -> np.ndarray:
        s2 = theta[1] * theta[1]
        return np.array([[1.0 / s2, 0.0], [0.0, 2.0 / s2]])

    def natural_step(self, theta, grad, free=None):
        # The information is diagonal, diag(1, 2) / sigma^2: no solve needed (hot loop).
        s2 = theta[1] * theta[1]
        step = (grad[0] * s2, grad[1] * s2 * 0.5)
        return step if free is None else tuple(v if i in free else 0.0 for i, v in enumerate(step))

    def scales(self, theta):
        sigma = max(abs(theta[1]), 1e-300)
        return (sigma, sigma * math.sqrt(0.5))

    def frame(self, stats: Moments):
        spread = stats.range
        return (stats.mean, 100.0 * spread), (0.0, 100.0 * spread)
