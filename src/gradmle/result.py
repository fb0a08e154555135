"""What a fit returns: the estimates, the whole record of the run, and a verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

__all__ = ["FitResult", "STATUSES", "HessianWarning"]

#: Every status a fit can end with. "stalled": the method stopped before max_iter
#: without converging because it could make no further progress (a line search found
#: no ascent, or the update no longer changes the iterate in float64). "boundary": the
#: likelihood keeps increasing towards the edge of the parameter space (e.g. a
#: Student-t whose df runs to infinity); the message names the limiting model, or, for a
#: model of the user's whose likelihood is unbounded, the parameter that collapses.
#: "not_identified": the run stopped where the likelihood is flat along a direction (the
#: data do not determine a combination of the parameters; models of the user's).
STATUSES = ("converged", "max_iter", "diverged", "stalled", "boundary", "not_identified")


class HessianWarning(UserWarning):
    """Standard errors are not available: the Hessian at the estimate is not
    negative definite (the estimate is not a strict local maximum)."""


def _fmt(v: float) -> str:
    if v is None:
        return "-"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.10g}"


@dataclass
class FitResult:
    """Result of :func:`gradmle.fit`.

    Attributes
    ----------
    params : dict
        Final estimate, parameter name -> float (the last iterate the method reached,
        also when it diverged).
    loglik : float
        Average log-likelihood (per observation) at ``params``; ``-inf`` outside the
        parameter space.
    status : str
        ``"converged"``, ``"max_iter"``, ``"diverged"``, ``"stalled"`` (no further
        progress possible before max_iter), ``"boundary"`` (the likelihood keeps
        increasing towards the edge of the parameter space) or ``"not_identified"``
        (flat along a direction at the end): see ``STATUSES``.
    outcome : Outcome
        How the run ended, as a code from ``gradmle.OUTCOMES`` with the parameter,
        iteration and values involved (what the diagnosis reads).
    message : str
        What happened, in one or two sentences with the numbers of this run.
    nit : int
        Iterations made (outer sweeps for ``method="coordinate"``).
    nfev : int
        Evaluations of the log-likelihood and its gradient.
    trace : dict of numpy arrays
        One array per parameter, plus ``"loglik"``, ``"grad_norm"`` (the gradient in
        the parameters' statistical units, see :func:`gradmle.fit`) and
        ``"iteration"`` (the iteration each row belongs to). Row 0 is the start; for
        ``"coordinate"`` every single-parameter update is a row.
    reference : dict or None
        Closed-form MLE where the family has one; with parameters held fixed, the
        restricted MLE (the maximizer over the free parameters), or None when that has
        no closed form.
    error : float or None
        Largest relative distance of ``params`` to ``reference``: for each parameter
        ``|p - r| / max(|r|, scale)``, with ``scale`` its statistical scale at the
        reference (sigma_hat for the Normal's mu); ``inf`` when params are not finite.
    options : dict
        The options of the run as the user gave them, completed with the defaults:
        ``gradmle.fit(data, **result.options)`` runs it again.
    info : dict
        What the run did internally: the method actually run (``method``), the time
        (``elapsed``, seconds), the working units (``data_scale``, ``data_shift``),
        what was dropped (``dropped``), Hessian evaluations (``ngev``).
    """

    params: dict
    loglik: float
    status: str
    message: str
    nit: int
    nfev: int
    trace: Mapping[str, np.ndarray]
    reference: dict | None
    error: float | None
    family: str
    method: str
    n: int
    options: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    outcome: Any = None
    #: For status "boundary": the fit of the limiting model (e.g. the Normal for a
    #: Student-t whose df runs to infinity).
    limit_fit: Any = None
    #: Passes made over the data (1 for families with sufficient statistics).
    passes: int = 1
    #: Where the data came from, for data read in pieces (a path, "dask array", ...).
    source: str | None = None
    #: What the result needs to compute more (standard errors, the diagnosis, pictures):
    #: the family, the reduced data in working units, the options, the exact estimate.
    context: Any = field(default=None, repr=False, compare=False)
    _diagnosis: Any = field(default=None, repr=False, compare=False)

    @property
    def diagnosis(self):
        """Why the run did not converge and what would work (a :class:`Diagnosis`),
        or None for a converged run. Computed on first access: the remedies it
        offers are run on the same data before they are offered."""
        if self.converged or self.context is None:
            return None
        if self._diagnosis is None:
            from .diagnose import diagnose

            self._diagnosis = diagnose(self)
        return self._diagnosis

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    # -- inference ------------------------------------------------------------
    @property
    def cov(self):
        """Covariance matrix of the free parameters from the observed information
        ``-n H`` at the estimate (None when unavailable; see ``stderr``)."""
        found = self._fit_cov()
        if found is None:
            return None
        cov, factor = found
        with np.errstate(over="ignore"):  # variances of huge-unit data may exceed float64
            return cov * np.outer(factor, factor)

    def _fit_cov(self):
        if "_cov" not in self.__dict__:
            self.__dict__["_cov"] = self._covariance()
        return self.__dict__["_cov"]

    def _covariance(self):
        if not self.converged or self.context is None:
            return None
        ctx = self.context
        fam, units = ctx.family, ctx.units
        fixed = self.options.get("fixed") or {}
        free = [i for i, name in enumerate(self.params) if name not in fixed]
        # The statistics are in the units the fit was made in (see gradmle.units).
        factor = np.array([units.factor(i) for i in range(len(self.params))])
        try:
            info = np.asarray(fam.information(ctx.theta, ctx.stats), dtype=float)[np.ix_(free, free)] * self.n
        except (ZeroDivisionError, OverflowError):
            info = np.full((len(free), len(free)), np.nan)
        try:
            if not np.all(np.isfinite(info)):
                raise np.linalg.LinAlgError("not finite")
            np.linalg.cholesky(info)
        except np.linalg.LinAlgError:
            import warnings

            warnings.warn(
                f"no standard errors for this {self.family} fit: the Hessian of the log-likelihood at the "
                "estimate is not negative definite, so the estimate is not a strict local maximum",
                HessianWarning, stacklevel=3)
            return None
        return np.linalg.inv(info), factor[free]

    @property
    def stderr(self) -> dict | None:
        """Standard error of each parameter (None for a fixed one), from the observed
        information at the estimate; None when the fit did not converge or the
        Hessian there is not negative definite (a HessianWarning says so)."""
        found = self._fit_cov()
        if found is None:
            return None
        cov, factor = found
        fixed = self.options.get("fixed") or {}
        se = iter(np.sqrt(np.diag(cov)) * factor)
        return {name: (None if name in fixed else float(next(se))) for name in self.params}

    def conf_int(self, level: float = 0.95, method: str = "wald") -> dict | None:
        """Confidence intervals on the natural scale, parameter name -> ``(lower, upper)``
        (None for a fixed parameter); None when the fit did not converge.

        ``method="wald"`` (default): ``estimate +- z * stderr`` (None also when there are
        no standard errors). ``method="profile"``: the likelihood-ratio intervals of
        :meth:`profile`, where the profile log-likelihood falls chi2_1(level) / 2 below
        its maximum; an end where the profile never falls that far is the edge of the
        parameter space (0, 1 or +-inf), an end that could not be found is None."""
        from .checks import choice
        from .profile import INTERVALS

        method = choice("method", method, INTERVALS)
        if method == "profile":
            if not self.converged or self.context is None:
                return None
            fixed = self.options.get("fixed") or {}
            return {k: None if k in fixed else self.profile(k, level, points=0).interval for k in self.params}
        from scipy.stats import norm

        se = self.stderr
        if se is None:
            return None
        z = float(norm.ppf(0.5 + level / 2.0))
        return {k: (None if s is None else (self.params[k] - z * s, self.params[k] + z * s)) for k, s in se.items()}

    def profile(self, name: str, level: float = 0.95, points=21):
        """The profile log-likelihood of parameter ``name`` and its likelihood-ratio
        confidence interval (a :class:`gradmle.Profile`).

        Each point of the profile is the fit of the other free parameters with ``name``
        held at a value (started from the neighbouring point: a few Newton steps). The
        ends are where ``2 (loglik_hat - profile) = chi2_1(level)``, bracketed outward from
        the estimate in steps of the standard error and found by brentq; where the
        profile never falls that far before the edge of the parameter space, that end is
        the edge and the Profile says so. ``points``: how many more points to compute
        for the curve (evenly over the interval and a fifth beyond each end), or a list
        of values. ValueError for an unknown name, a parameter held fixed, or a fit
        that did not converge. Points already computed are kept for later calls."""
        from .profile import Profiler, profile

        if not isinstance(name, str):
            raise TypeError(f"name must be a parameter's name, one of {', '.join(self.params)}; got {name!r}")
        profilers = self.__dict__.setdefault("_profilers", {})
        if name not in profilers:
            profilers[name] = Profiler(self, name)
        return profile(self, name, level, points, profilers[name])

    def frozen(self, truncated: bool = True):
        """The fitted distribution as a frozen scipy.stats distribution. For a fit with
        ``truncation=``, the distribution of the data seen, the parent restricted to
        the window (:class:`gradmle.truncated.TruncatedFrozen`: what pictures and
        goodness-of-fit statistics compare the data with); ``truncated=False`` gives the
        parent itself."""
        fam = self.context.family
        loc = self.context.options.data_loc(fam)
        parent = fam.frozen(self.params, loc)
        window = getattr(fam, "truncation", None)
        if not truncated or window is None:
            return parent
        from .truncated import TruncatedFrozen

        return TruncatedFrozen(parent, window[0] + loc, window[1] + loc)

    @property
    def success(self) -> bool:  # the name scipy.optimize users look for
        return self.converged

    def to_dict(self, trace: bool = True, intervals: str | None = None) -> dict:
        """The whole result as plain JSON-ready values (non-finite numbers become None).
        The schema is documented in the README ("JSON output"). With ``intervals``
        (``"wald"`` or ``"profile"``) it also holds the 95% confidence intervals."""
        d = self.diagnosis
        out = {
            "family": self.family,
            "method": self.method,
            "n": self.n,
            "status": self.status,
            "converged": self.converged,
            "message": self.message,
            "nit": self.nit,
            "nfev": self.nfev,
            "passes": self.passes,
            "source": self.source,
            "params": {k: _num(v) for k, v in self.params.items()},
            "loglik": _num(self.loglik),
            "reference": None if self.reference is None else {k: _num(v) for k, v in self.reference.items()},
            "error": _num(self.error),
            "outcome": None if self.outcome is None else _plain(self.outcome._asdict()),
            "options": _options(self.options),
            "info": _plain({k: v for k, v in self.info.items() if k not in ("reference_scales",)}),
            "diagnosis": None if d is None else {
                "cause": d.cause,
                "meaning": d.meaning,
                "explanation": d.explanation,
                "bound": _num(d.bound),
                "remedies": [{"description": r.description, "options": _options(r.options), "nit": r.nit,
                              "error": _num(r.error)} for r in d.remedies],
            },
        }
        if intervals is not None:
            out["conf_int"] = self._intervals_dict(intervals)
        if trace:
            out["trace"] = {k: [_num(v) for v in arr.tolist()] for k, arr in self.trace.items()}
        return out

    def _intervals_dict(self, intervals: str) -> dict:
        from .checks import choice
        from .profile import INTERVALS

        method = choice("intervals", intervals, INTERVALS)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HessianWarning)  # (the summary and the message say it)
            ci = self.conf_int(method=method)
        out = {}
        for name, pair in (ci or {}).items():
            if pair is None:
                out[name] = None
            elif method == "profile":
                p = self.profile(name, points=0)
                out[name] = {"lower": _num(p.lower.value), "upper": _num(p.upper.value), "lower_end": p.lower.kind,
                             "upper_end": p.upper.kind, "notes": p.notes}
            else:
                out[name] = {"lower": _num(pair[0]), "upper": _num(pair[1])}
        return {"method": method, "level": 0.95, "intervals": out if ci is not None else None}

    def summary(self, intervals: str = "wald") -> str:
        """A readable table of the fit; ``intervals``: the confidence intervals shown,
        ``"wald"`` (estimate +- 1.96 standard errors) or ``"profile"`` (likelihood ratio,
        see :meth:`profile`)."""
        from .checks import choice
        from .profile import INTERVALS

        intervals = choice("intervals", intervals, INTERVALS)
        par = self.options.get("parametrization")
        lines = [
            f"gradmle fit: family={self.family}  method={self.method}  n={self.n}"
            + (f"  parametrization={par}" if par else ""),
            f"status: {self.status}  ({self.nit} iterations, {self.nfev} evaluations)",
            self.message,
        ]
        fam = self.context.family if self.context is not None else None
        if "derivatives" in self.info and hasattr(fam, "describe_derivatives"):
            lines.append(f"derivatives: {fam.describe_derivatives()}")
        lines.append("")
        if "censoring" in self.info:
            lines.insert(1, f"data: {self.info['censoring']['described']}")
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", HessianWarning)
            se = self.stderr if self.converged else None
            ci = self.conf_int(method=intervals) if self.converged else None
        head = f"{'parameter':<10} {'estimate':>18} {'std. error':>11} {'95% confidence interval':>29}"
        if self.reference is not None:
            head += f" {'closed form':>18} {'rel. error':>11}"
        lines.append(head)
        fixed = self.options.get("fixed") or {}
        for name, value in self.params.items():
            if name in fixed:
                row = f"{name:<10} {_fmt(value):>18} {'(fixed)':>11} {'':>29}"
            else:
                shown = "-" if ci is None else "[" + ", ".join("?" if v is None else f"{v:.6g}" for v in ci[name]) + "]"
                row = f"{name:<10} {_fmt(value):>18} {'-' if se is None else format(se[name], '>11.4g'):>11} {shown:>29}"
            if self.reference is not None:
                ref = self.reference[name]
                row += f" {_fmt(ref):>18} {_rel(value, ref, self.reference_scales.get(name, 0.0)):>11.2e}"
            lines.append(row)
        lines.append(f"{'loglik':<10} {_fmt(self.loglik):>18}   (average per observation; total {_fmt(self.loglik * self.n)})")
        if any(k in self.params for k in fixed):
            held = ", ".join(k for k in fixed if k in self.params)
            lines.append(f"closed form: the restricted MLE, the maximizer with {held} held fixed" if self.reference
                         is not None else f"closed form: none with {held} held fixed")
        if not self.converged:
            lines.append("standard errors: not computed (the fit did not converge)")
        elif caught:
            lines.append("standard errors: unavailable, the Hessian at the estimate is not negative definite")
        if ci is not None and intervals == "wald":
            lines.append("95% confidence intervals: Wald (estimate +- 1.96 standard errors)")
        elif ci is not None:
            lines.append("95% confidence intervals: profile likelihood (where the log-likelihood maximized over the "
                         "other parameters falls 1.92 below its maximum, chi-square(1) at 95%)")
            lines += [note for k in ci if ci[k] is not None for note in self.profile(k, points=0).notes]
        if self.diagnosis is not None:
            lines += ["", str(self.diagnosis)]
        return "\n".join(lines)

    @property
    def reference_scales(self) -> dict:
        return self.info.get("reference_scales", {})

    def __repr__(self) -> str:
        est = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"<FitResult {self.family}/{self.method} {self.status} nit={self.nit}: {est}>"

    def _repr_html_(self) -> str:
        """The notebook's display: estimates, standard errors, Wald intervals, the status,
        a small picture and, for a run that did not converge, the diagnosis."""
        from .display import fit_html

        return fit_html(self)

    def plot(self, kind: str = "auto", path=None, param: str | None = None):
        """A matplotlib Figure of this fit (not managed by pyplot: it displays itself in a
        notebook); with ``path``, also written there atomically, in the format its
        extension names.

        ``kind``: ``"auto"`` (what ``gradmle fit --plot`` draws: the path or the traces,
        and the convergence), ``"path"`` (the path over the contours of the
        log-likelihood; a model of more than two free parameters: slices through the
        estimate), ``"trace"`` (each parameter against the update, and the
        convergence), ``"convergence"``, ``"diagnostics"`` (density, CDF, Q-Q and P-P
        against the data; for censored data the survival pictures), ``"survival"``
        (censored data: S(t) over Kaplan-Meier and the probability plot) or
        ``"profile"`` (the profile log-likelihood of ``param``, or of every free
        parameter). A kind this fit has no picture of is a ValueError saying which it has.
        """
        from .figures import result_figure
        from .plot import write

        fig = result_figure(self, kind, param)
        if path is not None:
            write(fig, path)
        return fig


def _num(v):
    if v is None or isinstance(v, (bool, int)):
        return v
    v = float(v)
    return v if math.isfinite(v) else None


def _options(options: dict) -> dict:
    """Options as plain JSON values: a registered family by its name, a model of the
    user's (an object, which JSON cannot hold) by its repr, ``<Model name: params>``,
    which names it without passing for a registered family of the same name."""
    family = options.get("family")
    out = dict(options, family=family if isinstance(family, str) else repr(family))
    for key in ("event", "weights", "entry"):  # per-observation arrays: named, not copied
        if key in out:
            out[key] = f"<{np.size(out[key])} values>"
    return _plain(out)


def _plain(v):
    """Plain JSON values: dicts and lists of them, non-finite numbers as None."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, float):
        return _num(v)
    return v


def _rel(value: float, ref: float, scale: float) -> float:
    if not math.isfinite(value):
        return math.inf
    denom = max(abs(ref), scale)
    if denom == 0.0:
        return 0.0 if value == ref else math.inf
    return abs(value - ref) / denom


def relative_error(params: Mapping[str, float], reference: Mapping[str, float], scales: Mapping[str, float]) -> float:
    """Largest relative distance of ``params`` to ``reference`` (see FitResult.error)."""
    return max(_rel(params[k], reference[k], scales.get(k, 0.0)) for k in reference)
