"""A family bound to its data's statistics and to a parametrization: what optimizers see.

Optimizers work on ``u`` (the working coordinates); the driver records and reports
``theta`` (the natural parameters). ``f(u) -> (value, grad_u)`` is the hot function.
"""

from __future__ import annotations

import math

import numpy as np

from .families import Family
from .parametrize import IDENTITY, Transform

NAN = math.nan


class Problem:
    def __init__(self, family: Family, stats, transforms: tuple[Transform, ...]):
        self.family = family
        self.stats = stats
        self.transforms = transforms
        self.identity = all(t is IDENTITY for t in transforms)
        self.nfev = 0
        self.ngev = 0  # Hessian or Fisher evaluations
        obj = family.objective(stats)
        to_nat = tuple(t.to_natural for t in transforms)
        jacs = tuple(t.jac for t in transforms)
        nan_grad = (NAN,) * len(transforms)

        if self.identity:
            def f(u):
                self.nfev += 1
                return obj(u)
        else:
            def f(u):
                self.nfev += 1
                theta = tuple(tn(x) for tn, x in zip(to_nat, u))
                value, g = obj(theta)
                if value != value or value == -math.inf:
                    return value, nan_grad
                return value, tuple(gi * j(t) for gi, j, t in zip(g, jacs, theta))

        self.f = f

    # -- coordinates -----------------------------------------------------------
    def natural(self, u) -> tuple:
        if self.identity:
            return tuple(u)
        return tuple(t.to_natural(x) for t, x in zip(self.transforms, u))

    def working(self, theta) -> tuple:
        if self.identity:
            return tuple(theta)
        return tuple(t.to_working(x) for t, x in zip(self.transforms, theta))

    def jacobian(self, theta) -> np.ndarray:
        return np.array([t.jac(x) for t, x in zip(self.transforms, theta)])

    def grad_natural(self, theta, grad_u) -> tuple:
        if self.identity:
            return grad_u
        return tuple(g / t.jac(x) for g, t, x in zip(grad_u, self.transforms, theta))

    def working_scales(self, u) -> tuple:
        """Statistical scale of each working coordinate at u (``s_theta / |dtheta/du|``)."""
        theta = self.natural(u)
        scales = self.family.scales(theta)
        if self.identity:
            return scales
        return tuple(s / abs(t.jac(x)) for s, t, x in zip(scales, self.transforms, theta))

    # -- curvature in working coordinates ----------------------------------------
    def hessian(self, u) -> np.ndarray:
        """Hessian of the average log-likelihood with respect to u."""
        self.ngev += 1
        theta = self.natural(u)
        h = self.family.hessian(theta, self.stats)
        if self.identity:
            return h
        j = self.jacobian(theta)
        _, g = self.family.value_and_grad(theta, self.stats)
        curv = np.array([gi * t.jac2(x) for gi, t, x in zip(g, self.transforms, theta)])
        return h * np.outer(j, j) + np.diag(curv)

    def fisher(self, u) -> np.ndarray:
        """Fisher information of one observation with respect to u."""
        self.ngev += 1
        theta = self.natural(u)
        f = self.family.fisher(theta)
        if self.identity:
            return f
        j = self.jacobian(theta)
        return f * np.outer(j, j)

    def labels(self) -> tuple[str, ...]:
        return tuple(t.label.format(n) for t, n in zip(self.transforms, self.family.param_names))
