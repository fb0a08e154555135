"""Profile likelihood: the log-likelihood of one parameter maximized over the others,
and the likelihood-ratio confidence intervals it gives.

The profile of parameter j at v is ``l_p(v) = max l(theta)`` over the other free
parameters with theta_j held at v (``l`` the total log-likelihood of the sample). Each
point is the engine's fit with theta_j added to ``fixed``, started from the nearest
point already computed, so it costs a few Newton steps; with no other free parameter
it is one evaluation of the log-likelihood.

The ends of the interval of level L are where ``2 (l_hat - l_p(v)) = chi2_1(L)``. They
are bracketed outward from the estimate in steps of z standard errors (doubling) on
the scale where the parameter is unconstrained (log for a positive parameter, logit
for a probability), so that no bracket leaves the parameter space, then found by
brentq. When the profile stays above the cut as far as the parameter can go before it
counts as having run away from the data (the frame of :func:`gradmle.engine.frame`,
and at most a factor e^30 on the log or logit scale), that end is the edge of the
parameter space (0, 1 or +-inf) and the Profile says so; when a fit along the way
fails, the end is unknown (None) and the Profile says why. No end is ever invented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from .engine import bounds, refit
from .problem import ARITHMETIC

__all__ = ["Profile", "End", "Profiler", "END_KINDS", "INTERVALS"]

#: How an end of a profile interval was found: where the profile crosses the cut, at
#: the edge of the parameter space (the profile never falls to the cut on that side),
#: or not found (a fit along the way failed).
END_KINDS = ("profile", "edge", "unresolved")
#: The kinds of confidence interval a result gives (``FitResult.conf_int(method=...)``).
INTERVALS = ("wald", "profile")
#: How far a bracket may go on the log or logit scale (a factor e^30, about 1e13).
WORKING_REACH = 30.0


class End(NamedTuple):
    """One end of a profile interval: its ``value`` (None when unresolved), its
    ``kind`` (one of ``END_KINDS``) and, for an edge or an unresolved end, a sentence
    saying what was found."""

    value: float | None
    kind: str
    note: str = ""


class ProfileFailure(Exception):
    """A point of the profile could not be computed (its fit did not converge)."""


def chi2_cut(level) -> float:
    """chi2_1(level): twice the fall of the log-likelihood at the ends of the interval."""
    from scipy.stats import chi2

    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0.0 < level < 1.0:
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")
    return float(chi2.ppf(float(level), 1))


class Profiler:
    """The profile of one parameter of a converged fit: computes and keeps its points
    (natural value -> total log-likelihood and the other parameters there)."""

    def __init__(self, result, name: str):
        if not isinstance(name, str) or name not in result.params:
            raise ValueError(f"unknown parameter {name!r}; this {result.family} fit has: {', '.join(result.params)}")
        fixed = result.options.get("fixed") or {}
        if name in fixed:
            raise ValueError(f"{name} is held fixed in this fit (at {fixed[name]:.6g}): a fixed parameter has no "
                             "profile; fit again without fixing it")
        if not result.converged or result.context is None:
            raise ValueError(f"the fit did not converge (status {result.status}): a profile needs the maximum of "
                             "the likelihood; see result.diagnosis")
        ctx = result.context
        self.result, self.name = result, name
        self.family, self.units = ctx.family, ctx.units
        self.index = list(result.params).index(name)
        self.constraint = self.family.constraints[self.index]
        self.transform = self.constraint.transform
        self.held = dict(fixed)
        self.others = [k for k in result.params if k != name and k not in fixed]
        self.tol = min(ctx.options.tol, 1e-10)
        self.estimate = float(result.params[name])
        self.loglik = float(result.loglik) * result.n
        self.points = {self.estimate: (self.loglik, dict(result.params))}
        self._objective = None

    # -- points --------------------------------------------------------------------------
    def __call__(self, v: float) -> float:
        """The profile (total log-likelihood) at ``v``; ProfileFailure when its fit fails."""
        v = float(v)
        if v not in self.points:
            self.points[v] = self._direct(v) if not self.others else self._fitted(v)
        return self.points[v][0]

    def _direct(self, v: float) -> tuple:
        """No other free parameter: the log-likelihood itself."""
        if self._objective is None:
            self._objective = self.family.objective(self.result.context.stats)
        params = dict(self.result.params, **{self.name: v})
        theta = self.units.theta_to_work(tuple(params.values()))
        try:
            value = float(self._objective(theta)[0])
        except ARITHMETIC:
            value = -math.inf
        if value != value:
            raise ProfileFailure(f"the log-likelihood with {self.name} = {v:.6g} is not a number")
        return float(self.units.loglik_to_data(value)) * self.result.n, params

    def _fitted(self, v: float) -> tuple:
        near = min(self.points, key=lambda k: abs(k - v))
        found, why = self._fit(v, near)
        if found is None and near != self.estimate:  # a warm start can mislead far out: from the estimate
            found, why = self._fit(v, self.estimate)
        if found is None:
            raise ProfileFailure(f"the fit with {self.name} held at {v:.6g} did not converge ({why})")
        return found

    def _fit(self, v: float, start: float):
        init = {k: self.points[start][1][k] for k in self.others}
        try:
            r = refit(self.result, method="auto", fixed=dict(self.held, **{self.name: v}), init=init, tol=self.tol,
                      max_iter=1000)
        except ValueError as exc:
            return None, str(exc)
        if r.converged:
            return (float(r.loglik) * r.n, dict(r.params)), ""
        limit = r.limit_fit
        if r.status == "boundary" and limit is not None and limit.converged:  # the supremum is the limit's
            return (max(float(r.loglik) * r.n, float(limit.loglik) * limit.n), dict(r.params)), ""
        return None, f"status {r.status}: {r.message}"

    def gap(self, v: float, cutoff: float) -> float:
        """``2 (l_hat - l_p(v)) - cutoff``: negative inside the interval (finite, for brentq)."""
        g = 2.0 * (self.loglik - self(v)) - cutoff
        return min(g, 1e300)

    # -- the ends ------------------------------------------------------------------------
    def _working_step(self) -> float:
        se = (self.result.stderr or {}).get(self.name) if self.result.converged else None
        t, v = self.transform, self.estimate
        if se is not None and math.isfinite(se) and se > 0.0:
            step = se / t.jac(v)
            if math.isfinite(step) and step > 0.0:
                return step
        # No standard error (the Hessian at the estimate is not negative definite):
        # a tenth of the parameter's size, or 0.1 on the log or logit scale.
        return 0.1 * (abs(v) or 1.0) if t.name == "identity" else 0.1

    def reach(self, sign: int) -> float:
        """How far (working units) the bracket may go on the side of ``sign``: to where
        the parameter would have run away from the data, and at most WORKING_REACH on
        the log or logit scale."""
        ctx, i = self.result.context, self.index
        center, limit = bounds(self.family, ctx.reduced, ctx.start)[i]
        center, limit = self.units.to_data(i, center), limit * self.units.factor(i)
        far = center + sign * limit
        t, c = self.transform, self.constraint
        u_hat = t.to_working(self.estimate)
        out = math.inf if t.name == "identity" else WORKING_REACH
        if c.lower < far < c.upper and sign * (far - self.estimate) > 0:
            out = min(out, abs(t.to_working(far) - u_hat))
        return out if math.isfinite(out) else 1e6 * self._working_step()

    def end(self, sign: int, cutoff: float, z: float) -> End:
        """The end of the interval on the side of ``sign`` (-1 lower, +1 upper)."""
        from scipy.optimize import brentq

        t, c = self.transform, self.constraint
        u_hat = t.to_working(self.estimate)
        reach = self.reach(sign)
        side = "upper" if sign > 0 else "lower"
        edge = c.upper if sign > 0 else c.lower
        inside, h = self.estimate, z * self._working_step()
        while True:
            d = min(h, reach)
            v = t.to_natural(u_hat + sign * d)
            if v == inside or not c.check(v):  # the scale has run out of floats: the edge
                d = reach
            else:
                try:
                    g = self.gap(v, cutoff)
                except ProfileFailure as exc:
                    return End(None, "unresolved", f"the {side} end of {self.name} is unknown: {exc}; the profile is "
                                                   f"above the cut as far as {self.name} = {inside:.6g}")
                if g >= 0.0:
                    lo, hi = sorted((inside, v))
                    try:
                        root = brentq(lambda x: self.gap(x, cutoff), lo, hi, xtol=1e-13 * max(abs(lo), abs(hi)),
                                      maxiter=200)
                    except ProfileFailure as exc:
                        return End(None, "unresolved", f"the {side} end of {self.name} lies between {lo:.6g} and "
                                                       f"{hi:.6g}, but {exc}")
                    return End(float(root), "profile")
                inside = v
            if d >= reach:
                return End(edge, "edge", f"the profile of {self.name} stays above the cut from the estimate as far as "
                                         f"{self.name} = {inside:.6g}, the farthest point examined on that side, so "
                                         f"the {side} end is the edge of the parameter space ({edge:g})")
            h *= 2.0

    def grid(self, lower: End, upper: End, points: int) -> list:
        """``points`` values evenly spaced (on the working scale) over the interval and a
        fifth of its width beyond each end that was found, staying within what was examined."""
        t = self.transform
        u_hat = t.to_working(self.estimate)
        seen = [t.to_working(v) for v in self.points if math.isfinite(t.to_working(v))]
        span = []
        for end, far in ((lower, min(seen)), (upper, max(seen))):
            if end.kind == "profile":
                u = t.to_working(end.value)
                span.append(u + 0.2 * (u - u_hat))
            else:
                span.append(far)
        return [t.to_natural(u) for u in np.linspace(span[0], span[1], points)]


@dataclass
class Profile:
    """The profile log-likelihood of one parameter and its likelihood-ratio interval
    (:meth:`gradmle.FitResult.profile`).

    Attributes
    ----------
    name : str
        The parameter.
    level : float
        The confidence level of the interval.
    estimate, stderr : float
        The estimate and its standard error (None when unavailable).
    loglik : float
        The total log-likelihood at the estimate (the maximum of the profile).
    cutoff : float
        chi2_1(level): the interval is where ``2 (loglik - profile) <= cutoff``.
    lower, upper : End
        The ends: ``value`` (the edge of the parameter space, 0, 1 or +-inf, when the
        profile never falls to the cut on that side; None when a fit along the way
        failed), ``kind`` (``"profile"``, ``"edge"``, ``"unresolved"``) and a ``note``.
    values, logliks : numpy arrays
        Every point of the profile computed, in increasing order of the parameter
        (the estimate included).
    """

    name: str
    level: float
    estimate: float
    stderr: float | None
    loglik: float
    cutoff: float
    lower: End
    upper: End
    values: np.ndarray
    logliks: np.ndarray
    family: str = ""
    profiler: Any = field(default=None, repr=False, compare=False)

    @property
    def interval(self) -> tuple:
        """``(lower, upper)``: the ends' values (an edge as 0, 1 or +-inf; None unknown)."""
        return self.lower.value, self.upper.value

    @property
    def cut(self) -> float:
        """The log-likelihood at the ends: ``loglik - cutoff / 2``."""
        return self.loglik - 0.5 * self.cutoff

    def at(self, value: float) -> float:
        """The profile (total log-likelihood, maximized over the other parameters) at
        ``value``; ValueError when its fit fails."""
        try:
            return self.profiler(value)
        except ProfileFailure as exc:
            raise ValueError(str(exc)) from None

    @property
    def notes(self) -> list:
        """What the edge and unresolved ends mean, one sentence each."""
        return [e.note for e in (self.lower, self.upper) if e.note]

    def __str__(self) -> str:
        lo, hi = (_show(v) for v in self.interval)
        head = f"{self.level:.4g} profile-likelihood interval for {self.name}: [{lo}, {hi}] (estimate {self.estimate:.6g})"
        return "\n".join([head] + self.notes)

    def __repr__(self) -> str:
        lo, hi = (_show(v) for v in self.interval)
        return f"<Profile of {self.name} ({self.family}): {self.level:.4g} interval [{lo}, {hi}], estimate {self.estimate:.6g}>"

    def to_dict(self) -> dict:
        """Plain JSON-ready values (non-finite numbers, such as an edge at inf, as None)."""
        def end(e):
            return {"value": _finite(e.value), "end": e.kind, "note": e.note}
        return {
            "parameter": self.name, "level": self.level, "estimate": self.estimate, "stderr": _finite(self.stderr),
            "loglik": self.loglik, "cutoff": self.cutoff, "cut": self.cut,
            "lower": end(self.lower), "upper": end(self.upper),
            "values": [_finite(v) for v in self.values.tolist()], "logliks": [_finite(v) for v in self.logliks.tolist()],
        }

    def plot(self, path=None):
        """A matplotlib Figure of the profile with the cut, the estimate and the ends;
        with ``path``, also written there (atomically, in the format its extension names)."""
        from .plot import profile_figure, write

        fig = profile_figure(self)
        if path is not None:
            write(fig, path)
        return fig


def profile(result, name: str, level: float = 0.95, points=21, profiler: Profiler | None = None) -> Profile:
    """The profile of ``name`` in ``result`` (see :meth:`gradmle.FitResult.profile`)."""
    from scipy.stats import norm

    cutoff = chi2_cut(level)
    p = profiler if profiler is not None else Profiler(result, name)
    if np.ndim(points) == 0:
        if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 0:
            raise ValueError(f"points must be a whole number >= 0 or a list of values of {name}, got {points!r}")
        grid = None
    else:
        grid = [float(v) for v in np.asarray(points, dtype=float).ravel()]
        bad = [v for v in grid if not p.constraint.check(v)]
        if bad:
            raise ValueError(f"points: {name} = {bad[0]!r} is not allowed: {p.constraint.describe(name)}")
    z = float(norm.ppf(0.5 + level / 2.0))
    lower, upper = p.end(-1, cutoff, z), p.end(+1, cutoff, z)
    if grid is None:
        grid = p.grid(lower, upper, int(points)) if points else []
    for v in sorted(grid, key=lambda x: abs(x - p.estimate)):  # outward: each point starts from its neighbour
        try:
            p(v)
        except ProfileFailure:
            pass  # (a point of the picture only)
    values = np.array(sorted(p.points))
    se = (result.stderr or {}).get(name)
    return Profile(name, float(level), p.estimate, se, p.loglik, cutoff, lower, upper, values,
                   np.array([p.points[v][0] for v in values]), result.family, p)


def _finite(v):
    return None if v is None or not math.isfinite(v) else float(v)


def _show(v) -> str:
    return "unknown" if v is None else f"{v:.6g}"
