"""Why a run did not converge, in the numbers of that run, and what would work.

The cause is named from a fixed vocabulary (``CAUSES``) by comparing the step with
the stability bounds (:mod:`gradmle.stability`) and reading the trace; every remedy is
run on the same data from the same start before it is offered.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from .engine import refit
from .methods import get_method
from .stability import in_data_units, iteration_matrix, stability_of

__all__ = ["CAUSES", "Diagnosis", "Remedy", "diagnose"]

#: The vocabulary of causes.
CAUSES = {
    "step_above_bound": "the fixed step is above the stability bound at the optimum: near the optimum every step makes the error larger",
    "small_start_sigma": "overshoot from a small starting sigma: sigma0 is small for the distance of the data from mu0, so the first step is huge",
    "scale_crossed_zero": "a step pushed a parameter that must stay positive (a scale or a shape) through zero, or it underflowed to 0",
    "convex_crawl": "slow crawl where the likelihood is convex in sigma (sigma > sqrt(3) sigma_hat): each step lowers sigma^2 by only about 2 gamma",
    "nonfinite": "values overflowed to infinity or NaN",
    "too_slow": "the method is on its way but max_iter is too small for its rate of convergence",
    "float_resolution": "the steps fell below the resolution of float64 before tol was met",
    "no_ascent": "the line search found no step that increases the likelihood",
    "singular_information": "the information matrix at the iterate is singular or not finite (a parameter thrown towards 0 or infinity): no scoring step can be taken",
    "ran_away": "the iterate ran away from the data",
    "boundary": "the likelihood keeps increasing towards the edge of the parameter space: the maximum is a limiting model",
    "unbounded": "the likelihood is unbounded (a scale collapsing onto one observation): no maximum exists",
    "not_identified": "the likelihood is flat along a direction: the data do not determine a combination of the parameters",
    "saddle": "the run stopped at a saddle point: the likelihood still rises along a direction",
}


@dataclass
class Remedy:
    """An alternative that was run on the same data and converged."""

    description: str
    options: dict
    nit: int
    error: float | None

    def __str__(self) -> str:
        err = "" if self.error is None else f", error {self.error:.1e}"
        return f"{self.description}  (verified: converged in {self.nit} iterations{err})"

    def __repr__(self) -> str:
        return f"<Remedy {self.description}: converged in {self.nit} iterations>"


@dataclass
class Diagnosis:
    cause: str
    explanation: str
    bound: float
    remedies: list = field(default_factory=list)

    @property
    def meaning(self) -> str:
        return CAUSES[self.cause]

    def __str__(self) -> str:
        lines = [f"diagnosis: {self.cause}: {self.explanation}"]
        if self.remedies:
            lines.append("what works (each run on these data):")
            lines += [f"  - {r}" for r in self.remedies]
        elif self.cause == "unbounded":
            lines.append("no method can converge: there is no maximum (see above for what to change)")
        else:
            lines.append("no alternative converged within the budget tried")
        return "\n".join(lines)

    def __repr__(self) -> str:
        n = len(self.remedies)
        return f"<Diagnosis {self.cause} (bound {self.bound:.4g}): {n} verified remed{'y' if n == 1 else 'ies'}>"

    def _repr_html_(self) -> str:
        from .display import diagnosis_display

        return diagnosis_display(self)


def _g(v: float) -> str:
    return f"{v:.4g}"


class _View:
    """The run in the data's units and in the units the fit was made in: causes are
    found in the latter (where the statistics are), explained in the former."""

    def __init__(self, result):
        ctx = result.context
        self.result, self.fam, self.reduced, self.units = result, ctx.family, ctx.reduced, ctx.units
        self.stats = ctx.stats
        self.start = ctx.start
        self.theta = ctx.theta
        self.opts = ctx.options
        self.method = result.info.get("method", result.method)
        self.par = self.opts.parametrization
        self.gamma_w = result.info.get("step")
        self.gamma = self.opts.step if self.opts.step is not None else self.gamma_w
        self.n_inner = self.opts.n_inner or 1
        #: The parameters held fixed, {index: value in working units}.
        self.fixed = {i: self.units.to_work(i, val) for i, val in self.opts.held(self.fam).items()}
        if self.fam.normal_theory:  # the Normal's statistics in the data's units
            m = self.units.moments_to_data(self.stats)
            self.xbar, self.s2 = float(m.mean), float(m.var)
            self.mu_trace = result.trace["mu"]
            self.sigma_trace = result.trace["sigma"]
            self.mu0, self.sigma0 = float(result.trace["mu"][0]), float(result.trace["sigma"][0])


def diagnose(result) -> Diagnosis:
    v = _View(result)
    fixed_names = tuple(v.fam.param_names[i] for i in v.opts.held(v.fam))
    stab = stability_of(v.fam, v.reduced, v.method, v.par, v.n_inner, v.start, v.fixed)
    try:
        shown = in_data_units(stab, v.fam, v.reduced, fixed_names)
    except ValueError:  # a bound beyond float64 in the data's units: say it in the working units
        shown = dataclasses.replace(stab, formula=stab.formula + f" (in the working units: the data divided by "
                                                                 f"{v.units.scale:g})")
    cause, text = _cause(v, stab, shown)
    if get_method(v.method).in_turn and cause in ("step_above_bound", "scale_crossed_zero", "small_start_sigma"):
        text += (
            " The order of the updates is not the cause: updating the parameters in turn has the same "
            "stability bound as updating them together (the cross term of the Hessian vanishes at the optimum)."
        )
    return Diagnosis(cause, text, shown.bound, _remedies(v, stab, shown))


def _crossing_condition(method: str, par: str) -> str | None:
    """When a single step can push the scale through zero (from the update formulas)."""
    if get_method(method).uses_information and par == "sigma":
        return "gamma > 2 (sigma' = sigma + gamma (D - sigma^2) / (2 sigma))"
    if get_method(method).as_written:
        if par == "sigma":
            return "gamma > 4 D(mu), with D(mu) = s2 + (xbar - mu)^2"
        if par == "variance":
            return "gamma > 13.5 D(mu)^2, with D(mu) = s2 + (xbar - mu)^2"
    return None


def _start_overshoot(v: _View) -> tuple[bool, float, float]:
    """Whether the first fixed step from the start throws the iterate (theory of
    docs/normal.md): mu overshoots when gamma / sigma0^2 > 2; sigma is thrown into the
    region where the likelihood is convex in sigma when its first step lands beyond
    sqrt(3) sigma_hat. Returns (overshoot, mu factor, first sigma)."""
    gamma, mu0, sigma0 = v.gamma, v.mu0, v.sigma0
    d0 = v.s2 + (v.xbar - mu0) * (v.xbar - mu0)  # (products: ** raises on overflow)
    factor = gamma / sigma0 / sigma0
    sigma1 = sigma0 + gamma * (d0 / sigma0 / sigma0 - 1.0) / sigma0
    return factor > 2.0 or sigma1 > math.sqrt(3.0 * v.s2), factor, sigma1


def _setting(v: _View, bound: float, fixed: bool, normal: bool) -> str:
    """What put the run there: the step against the bound, or the first step."""
    if not fixed or v.gamma is None:
        return ""
    if not bound > 0.0:
        return f"; gamma = {_g(v.gamma)}, and no step is stable here (the curvature at the optimum gives no bound)"
    if v.gamma > bound:
        return f"; gamma = {_g(v.gamma)} is {_g(v.gamma / bound)} times the stability bound {_g(bound)}"
    text = f"; gamma = {_g(v.gamma)} is below the stability bound {_g(bound)}"
    if normal and v.sigma0 > 0 and _start_overshoot(v)[0]:
        factor = v.gamma / v.sigma0 / v.sigma0
        text += (f", but the start sigma0 = {_g(v.sigma0)} is small: far from the optimum the step acts like "
                 f"gamma/sigma0^2 = {_g(factor)}")
    return text


def _cause(v: _View, stab, shown):
    result = v.result
    msg, status, code = result.message, result.status, result.outcome.code
    bound = shown.bound
    if code in ("unbounded", "not_identified", "saddle"):
        return code, msg
    if status == "boundary":
        return "boundary", msg
    fixed = get_method(v.method).has_bound
    normal = v.fam.normal_theory and not v.opts.fixed
    if code == "float_resolution":
        return "float_resolution", f"{msg}. The steps are gamma times a gradient that is already tiny."
    if code in ("no_ascent", "solver_stopped"):
        return "no_ascent", msg
    if code == "singular":
        return "singular_information", msg
    if code in ("crossed_zero", "underflow"):
        text = msg.rstrip(".")
        cond = _crossing_condition(v.method, v.par) if normal and result.outcome.param == "sigma" else None
        if cond and len(v.mu_trace) >= 2:
            mu = float(v.mu_trace[-2])  # (Python floats: inf, not a warning, for 1e200-scale data)
            d = v.s2 + (v.xbar - mu) * (v.xbar - mu)
            text += f". A single step can push it through zero only when {cond}; here D(mu) = {_g(d)} before the step"
        return "scale_crossed_zero", text + _setting(v, bound, fixed, normal) + "."
    if code in ("nonfinite", "overflow", "outside_support"):
        return "nonfinite", msg.rstrip(".") + _setting(v, bound, fixed, normal) + "."
    if fixed and v.gamma is not None and v.gamma > bound:
        return "step_above_bound", _above_bound(v, stab, shown)
    if normal and get_method(v.method).as_written and status in ("diverged", "max_iter") and v.sigma0 > 0:
        thrown, factor, sigma1 = _start_overshoot(v)
        s_hat = math.sqrt(v.s2)
        crawling = status == "max_iter" and result.params["sigma"] > math.sqrt(3.0) * s_hat
        if crawling:
            return "convex_crawl", _crawl(v)
        if status == "diverged" and thrown:
            d0 = v.s2 + (v.xbar - v.mu0) * (v.xbar - v.mu0)
            text = (
                f"sigma0 = {_g(v.sigma0)} is small for the distance of the data from mu0 = {_g(v.mu0)} "
                f"(sqrt(D(mu0)) = {_g(math.sqrt(d0))}): the first step moves mu by gamma/sigma0^2 = {_g(factor)} "
                f"times (xbar - mu0) and takes sigma to {_g(sigma1)}. gamma = {_g(v.gamma)} is below the stability "
                f"bound at the optimum ({_g(bound)}), but far from the optimum the step acts like gamma/sigma^2: {msg}."
            )
            return "small_start_sigma", text
    if status == "diverged":
        return "ran_away", msg
    return "too_slow", _too_slow(v, stab, shown)


def _above_bound(v: _View, stab, shown) -> str:
    h = stab.hessian
    if h is None or not np.all(np.isfinite(h)):
        return (f"gamma = {_g(v.gamma)} is above the stability bound {_g(shown.bound)} ({shown.formula}): near the "
                "optimum the curvature gives no stable fixed step.")
    if get_method(v.method).uses_information:
        return (
            f"gamma = {_g(v.gamma)} is above the Fisher-scoring bound {_g(shown.bound)}: near the optimum each step "
            f"multiplies the error by 1 - gamma = {_g(1 - v.gamma)} or worse."
        )
    eig, vec = np.linalg.eigh(h)
    k = int(np.argmin(eig))
    coord = int(np.argmax(np.abs(vec[:, k])))
    free = [n for n in v.fam.param_names if n not in v.opts.fixed]
    name = free[coord]
    factor = 1.0 + v.gamma_w * eig[k]
    what = f"the {name} error" if len(eig) > 1 else "the error"
    sym = ""
    if v.fam.normal_theory and stab.parametrization == "sigma" and name == "sigma":
        sym = " (1 - 2*gamma/sigma_hat^2)"
    return (
        f"gamma = {_g(v.gamma)} is above the stability bound {_g(shown.bound)} ({shown.formula}): near the optimum "
        f"each step multiplies {what} by 1 + gamma*h = {_g(factor)}{sym}, with h = {_g(eig[k])} the most negative "
        "curvature there, so near the optimum the iterate oscillates with growing amplitude instead of settling "
        "(further out the run may be thrown away, or wander in a cycle that never comes to rest)."
    )


def _crawl(v: _View) -> str:
    s_hat = math.sqrt(v.s2)
    sig = v.sigma_trace
    top = int(np.nanargmax(sig))
    now = v.result.params["sigma"]
    need = max(now * now - 3.0 * v.s2, 0.0) / (2.0 * v.gamma)
    return (
        f"sigma = {_g(now)} is above sqrt(3)*sigma_hat = {_g(math.sqrt(3.0) * s_hat)}, where the log-likelihood is "
        f"convex in sigma: each step lowers sigma^2 by only about 2*gamma = {_g(2 * v.gamma)}, so leaving that region "
        f"takes about (sigma^2 - 3 sigma_hat^2)/(2 gamma) = {need:.3g} more iterations. The run was thrown there "
        f"at iteration {int(v.result.trace['iteration'][top])} (sigma reached {_g(sig[top])}, from sigma0 = "
        f"{_g(v.sigma0)})."
    )


def _too_slow(v: _View, stab, shown) -> str:
    result = v.result
    gn = result.trace["grad_norm"][-1]
    tol = v.opts.tol
    if get_method(v.method).has_bound and stab.hessian is not None and v.gamma is not None:
        if get_method(v.method).uses_information:  # F^-1 H = -I at the optimum of a well-specified model
            rate = abs(1.0 - v.gamma)
        else:
            m = iteration_matrix(v.method, v.gamma_w, stab.hessian, None, v.n_inner)
            rate = float(np.max(np.abs(np.linalg.eigvals(m))))
        more = math.log(tol / gn) / math.log(rate) if 0 < rate < 1 and gn > tol else math.nan
        seen = _observed_rate(result)
        if seen is not None and 0 < rate < 1 and seen[0] > rate + 0.5 * (1.0 - rate):
            pace, m = seen
            left = math.log(tol / gn) / math.log(pace) if pace < 1 and gn > tol else math.inf
            return (
                f"gamma = {_g(v.gamma)} is stable (bound {_g(shown.bound)}), but the run is still far from the "
                f"optimum: over its last {m} iterations the scaled gradient shrank only by a factor {pace:.8g} per "
                f"iteration (near the optimum it would shrink by {rate:.6g}); at that pace tol = {tol:g} is about "
                f"{left:.3g} iterations away."
            )
        return (
            f"gamma = {_g(v.gamma)} is stable (bound {_g(shown.bound)}) but near the optimum the error shrinks only "
            f"by a factor {rate:.6g} per iteration: from the scaled gradient {gn:.3g} down to tol = {tol:g} takes "
            f"about {more:.3g} more iterations than max_iter = {v.opts.max_iter}."
        )
    return (
        f"{v.method} was still improving after {result.nit} iterations (scaled gradient {gn:.3g}, tol = {tol:g}): "
        + ("Adam with a constant learning rate keeps taking steps of about the learning rate and does not settle."
           if v.method == "adam" else "it needs more iterations.")
    )


def _observed_rate(result):
    """(factor per iteration, iterations) by which the scaled gradient shrank over the
    last tenth of the run (at least 10 iterations), or None."""
    gn, it = result.trace["grad_norm"], result.trace["iteration"]
    m = max(10, int(it[-1]) // 10)
    if it[-1] < m + 1:
        return None
    past = np.flatnonzero(it <= it[-1] - m)
    if not past.size:
        return None
    a, b = float(gn[past[-1]]), float(gn[-1])
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        return None
    return (b / a) ** (1.0 / m), m


def _remedies(v: _View, stab, shown) -> list:
    """Alternatives run on the same data from the same start; each remedy's options
    are everything ``gradmle.fit(data, **options)`` needs to repeat the verified run."""
    result = v.result
    code = result.outcome.code
    if code == "unbounded":  # no maximum to converge to
        return []
    if code == "not_identified":  # one parameter of the flat set held where the run ended
        name = result.outcome.param
        fixed = dict(v.opts.fixed)
        fixed[name] = result.params[name]
        start = {k: float(result.trace[k][0]) for k in result.params if k not in fixed}
        run = refit(result, fixed=fixed, init=start)
        if run.converged:
            return [Remedy(f"fixed={{{name!r}: {result.params[name]:.6g}}} (hold {name} where the run ended: the "
                           "others are then determined)", dict(run.options), run.nit, run.error)]
        return []
    if result.status == "boundary" and result.limit_fit is not None:
        lim = result.limit_fit
        return [Remedy(f"family={lim.family!r}: the limiting model, fitted to the same data", dict(lim.options),
                       lim.nit, lim.error)]
    method, par, fam = v.method, v.par, v.fam
    budget = max(v.opts.max_iter, 1000)
    as_written = get_method(method).as_written
    coord = {"n_inner": v.n_inner} if get_method(method).sweeps else {}
    candidates = []
    if as_written and math.isfinite(shown.bound) and shown.bound > 0:
        safe = 0.5 * shown.bound
        candidates.append((f"method={method!r} with step={safe:.4g} (half the stability bound)",
                           dict(method=method, step=safe, parametrization=par, **coord)))
    candidates.append(("method='fisher' (Fisher scoring, step 1: scale-free)", dict(method="fisher")))
    if as_written and fam.normal_theory and par != "log_sigma":
        b = in_data_units(stability_of(fam, v.reduced, method, "log_sigma", v.n_inner, None, v.fixed), fam,
                          v.reduced).bound
        if math.isfinite(b) and b > 0:
            candidates.append((f"parametrization='log_sigma' with step={0.5 * b:.4g} (half its bound)",
                               dict(method=method, step=0.5 * b, parametrization="log_sigma", **coord)))
    candidates.append(("method='newton' (safeguarded, with backtracking)", dict(method="newton")))
    candidates.append(("method='lbfgs' (scipy's L-BFGS-B)", dict(method="lbfgs")))
    if result.outcome.iteration == 0 and result.status == "diverged":
        # The start itself cannot be used (its gradient overflows): from the moment
        # estimates instead, with the method asked for and with auto.
        candidates.append((f"method={method!r} from the moment estimates (init left out: the start given cannot "
                           "be evaluated)", dict(method=method, init=None, **({"step": v.gamma} if v.opts.step else {}),
                                                 **coord, parametrization=par)))
        candidates.append(("method='auto' from the moment estimates (init left out)", dict(method="auto", init=None)))
    out, seen = [], {(method, par, v.gamma, "start")}
    for text, kw in candidates:
        m = get_method(kw["method"])
        kw.setdefault("parametrization", fam.default_parametrization)
        key = (kw["method"], kw["parametrization"], kw.get("step", m.default_step), "init" in kw or "start")
        if key in seen:
            continue
        seen.add(key)
        if m.sweeps:
            kw["n_outer"] = budget
        else:
            kw["max_iter"] = budget
        try:
            r = refit(result, **kw)
        except ValueError:  # e.g. a step that cannot be run on rescaled data
            continue
        if r.converged:
            out.append(Remedy(text, dict(r.options), r.nit, r.error))
    return out
