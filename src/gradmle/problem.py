"""A family bound to its data's statistics and to a parametrization: what optimizers see.

Optimizers work on ``u`` (the working coordinates); the driver records and reports
``theta`` (the natural parameters). ``f(u) -> (value, grad_u)`` is the hot function.
"""

from __future__ import annotations

import math

import numpy as np

from .families.base import Family, natural_step_from, scales_from
from .parametrize import IDENTITY, Transform

NAN = math.nan
#: What evaluating a family far outside sensible values may raise in Python floats (a
#: square that underflows to 0, an exp that overflows): such a point is invalid, and
#: the driver reports it, instead of the run failing with the exception.
ARITHMETIC = (ZeroDivisionError, OverflowError)
#: Stands for a Jacobian that rounded to 0 (exp(u) underflowed, expit(u) reached 1):
#: dividing by it gives a huge, finite gradient, and the driver reports the run.
TINY = 5e-324


def _jac(t: Transform, x: float) -> float:
    return t.jac(x) or TINY


class Problem:
    """``fixed`` maps parameter indices to values held fixed: the optimizer sees only
    the free parameters (``u`` has one entry per free parameter), the driver always
    the full ``theta``."""

    def __init__(self, family: Family, stats, transforms: tuple[Transform, ...], fixed: dict | None = None):
        self.family = family
        self.stats = stats
        self.fixed = dict(fixed or {})
        p = len(family.param_names)
        self.free = tuple(i for i in range(p) if i not in self.fixed)
        self.all_transforms = transforms
        self.transforms = tuple(transforms[i] for i in self.free)
        self.identity = not self.fixed and all(t is IDENTITY for t in transforms)
        self.nfev = 0
        self.ngev = 0  # Hessian or Fisher evaluations
        #: The kinds of information Fisher scoring used: "expected" (the family's Fisher
        #: information), "empirical" (the mean outer product of the per-observation
        #: scores, for a model that declares none) or "observed" (-H, where neither is
        #: available or finite).
        self.information: list[str] = []
        #: Whether the family has a Fisher information of its own (a user's model has
        #: none: its information is the Hessian, or the scores' outer products).
        self.declares_fisher = type(family).fisher is not Family.fisher
        self.f = self._wrap(family.objective(stats))
        lean = family.trial_objective(stats)
        #: ``f`` at a trial point that a line search is likely to reject (after its
        #: first trial): a family whose every evaluation is a pass may skip there what
        #: only an accepted point needs (a model's Hessian). The same function as ``f``
        #: for the built-in families.
        self.trial = self.f if lean is None else self._wrap(lean)

    def _wrap(self, obj):
        """``u -> (value, grad_u)`` from ``theta -> (value, grad)``."""
        nan_grad = (NAN,) * len(self.free)
        natural, free = self.natural, self.free
        jacs = tuple(t.jac for t in self.transforms)

        if self.identity:
            def f(u):
                self.nfev += 1
                try:
                    return obj(u)
                except ARITHMETIC:  # far outside anything sensible: an invalid point
                    return -math.inf, nan_grad
        else:
            def f(u):
                self.nfev += 1
                theta = natural(u)
                try:
                    value, g = obj(theta)
                except ARITHMETIC:
                    return -math.inf, nan_grad
                if value != value or value == -math.inf:
                    return value, nan_grad
                return value, tuple(g[i] * j(theta[i]) for i, j in zip(free, jacs))

        return f

    # -- coordinates -----------------------------------------------------------
    def natural(self, u) -> tuple:
        """The full theta (fixed parameters included) of working coordinates u."""
        if self.identity:
            return tuple(u)
        theta = [0.0] * len(self.all_transforms)
        for i, v in self.fixed.items():
            theta[i] = v
        for i, t, x in zip(self.free, self.transforms, u):
            theta[i] = t.to_natural(x)
        return tuple(theta)

    def working(self, theta) -> tuple:
        if self.identity:
            return tuple(theta)
        return tuple(t.to_working(theta[i]) for i, t in zip(self.free, self.transforms))

    def jacobian(self, theta) -> np.ndarray:
        """dtheta/du of the free parameters (the Jacobian is diagonal)."""
        return np.array([_jac(t, theta[i]) for i, t in zip(self.free, self.transforms)])

    def grad_natural(self, theta, grad_u) -> tuple:
        """The full gradient in theta; zero for the fixed parameters."""
        if self.identity:
            return grad_u
        g = [0.0] * len(self.all_transforms)
        for i, t, gu in zip(self.free, self.transforms, grad_u):
            g[i] = gu / _jac(t, theta[i])
        return tuple(g)

    # -- statistical scales ---------------------------------------------------------
    def scales(self, theta) -> tuple:
        """Statistical scale of each parameter at theta (see Family.scales), from the
        observed information where the family has no Fisher information; never raises:
        where nothing can be computed the parameter's own size stands in."""
        try:
            return self.family.scales(theta)
        except NotImplementedError:
            return scales_from(self._observed(theta), theta)
        except ARITHMETIC:
            return tuple(max(abs(t), 1e-300) for t in theta)

    def natural_step(self, theta, g) -> tuple:
        """The natural-gradient step F^-1 g of the free parameters (0 for the fixed)."""
        free = self.free if self.fixed else None
        try:
            return self.family.natural_step(theta, g, free)
        except NotImplementedError:
            return natural_step_from(self._observed(theta), theta, g, free)
        except ARITHMETIC:
            scales = self.scales(theta)
            return tuple(gi * s * s if free is None or i in free else 0.0 for i, (gi, s) in enumerate(zip(g, scales)))

    def rounding_floor(self, theta, rel: float) -> tuple | None:
        """How far from 0 the natural-gradient step F^-1 g of each parameter may stay
        because the others can only take float values: with theta_j rounded by ``rel``
        of its size and the other parameters at their best given theta_j, parameter i
        moves by (F^-1)_ij / (F^-1)_jj times that rounding (the regression of theta_i on
        theta_j). A Weibull's shape moves with its scale's last digit this way. None
        when the information is unavailable."""
        free = list(self.free)
        if len(free) < 2:
            return None
        try:
            f = np.asarray(self.family.fisher(theta), dtype=float)
        except NotImplementedError:
            f = self._observed(theta)
        except ARITHMETIC:
            return None
        f = f[np.ix_(free, free)]
        if not np.all(np.isfinite(f)):
            return None
        try:
            inv = np.linalg.inv(f)
        except np.linalg.LinAlgError:
            return None
        d = np.diag(inv)
        if not np.all(d > 0):
            return None
        rounding = rel * np.abs(np.array([theta[i] for i in free]))
        slope = np.abs(inv / d[None, :])
        np.fill_diagonal(slope, 0.0)
        spread = slope @ rounding
        out = [0.0] * len(theta)
        for i, v in zip(free, spread.tolist()):
            out[i] = v if math.isfinite(v) else 0.0
        return tuple(out)

    def _observed(self, theta) -> np.ndarray:
        try:
            h = -np.asarray(self.family.hessian(theta, self.stats), dtype=float)
        except ARITHMETIC:
            return np.full((len(theta), len(theta)), math.nan)
        return h

    def working_scales(self, u) -> tuple:
        """Statistical scale of each working coordinate at u (``s_theta / |dtheta/du|``)."""
        theta = self.natural(u)
        scales = self.scales(theta)
        if self.identity:
            return scales
        return tuple(scales[i] / abs(_jac(t, theta[i])) for i, t in zip(self.free, self.transforms))

    # -- curvature in working coordinates ----------------------------------------
    def hessian(self, u) -> np.ndarray:
        """Hessian of the average log-likelihood with respect to u."""
        self.ngev += 1
        theta = self.natural(u)
        p = len(self.free)
        try:
            h = np.asarray(self.family.hessian(theta, self.stats), dtype=float)
            if not self.identity:
                _, g = self.family.value_and_grad(theta, self.stats)
        except ARITHMETIC:  # an invalid point: a matrix no step can be taken from
            return np.full((p, p), math.nan)
        if self.identity:
            return h
        if self.fixed:
            h = h[np.ix_(self.free, self.free)]
        try:
            j = self.jacobian(theta)
            with np.errstate(over="ignore", invalid="ignore"):  # far out: inf or nan, judged by the caller
                curv = np.array([g[i] * t.jac2(theta[i]) for i, t in zip(self.free, self.transforms)])
                return h * np.outer(j, j) + np.diag(curv)
        except ARITHMETIC:
            return np.full((p, p), math.nan)

    def fisher(self, u) -> np.ndarray:
        """Fisher information of one observation with respect to u."""
        self.ngev += 1
        theta = self.natural(u)
        kind = "expected"
        try:
            f = np.asarray(self.family.fisher(theta), dtype=float)
        except NotImplementedError:  # without a Fisher information: the empirical one, else the observed
            empirical = getattr(self.family, "empirical_information", None)
            f = empirical(theta, self.stats) if empirical is not None else np.full((len(theta),) * 2, math.nan)
            kind = "empirical"
            if not np.all(np.isfinite(f)):
                f, kind = self._observed(theta), "observed"
        except ARITHMETIC:
            f = np.full((len(theta), len(theta)), math.nan)
        if kind not in self.information:
            self.information.append(kind)
        if self.identity:
            return f
        if self.fixed:
            f = f[np.ix_(self.free, self.free)]
        try:
            j = self.jacobian(theta)
        except ARITHMETIC:
            return np.full(f.shape, math.nan)
        with np.errstate(over="ignore", invalid="ignore"):
            return f * np.outer(j, j)

    def labels(self) -> tuple[str, ...]:
        names = self.family.param_names
        return tuple(t.label.format(names[i]) for i, t in zip(self.free, self.transforms))
