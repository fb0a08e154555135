"""Why a run did not converge, in the numbers of that run, and what would work.

The cause is named from a fixed vocabulary (``CAUSES``) by comparing the step with
the stability bounds (:mod:`gradmle.stability`) and reading the trace; every remedy is
run on the same data from the same start before it is offered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .stability import FIXED, iteration_matrix, stability_of

__all__ = ["CAUSES", "Diagnosis", "Remedy", "diagnose"]

#: The vocabulary of causes.
CAUSES = {
    "step_above_bound": "the fixed step is above the stability bound at the optimum: near the optimum every step makes the error larger",
    "small_start_sigma": "overshoot from a small starting sigma: sigma0 is small for the distance of the data from mu0, so the first step is huge",
    "scale_crossed_zero": "a step pushed the scale parameter through zero",
    "convex_crawl": "slow crawl where the likelihood is convex in sigma (sigma > sqrt(3) sigma_hat): each step lowers sigma^2 by only about 2 gamma",
    "nonfinite": "values overflowed to infinity or NaN",
    "too_slow": "the method is on its way but max_iter is too small for its rate of convergence",
    "float_resolution": "the steps fell below the resolution of float64 before tol was met",
    "no_ascent": "the line search found no step that increases the likelihood",
    "ran_away": "the iterate ran away from the data",
    "boundary": "the likelihood keeps increasing towards the edge of the parameter space: the maximum is a limiting model",
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
        else:
            lines.append("no alternative converged within the budget tried")
        return "\n".join(lines)


def _g(v: float) -> str:
    return f"{v:.4g}"


def _in_fit_units(result):
    """The result in the units the fit was made in (data divided by a power of two)."""
    import copy

    fam, _ = result._context
    scale = result.options.get("data_scale", 1.0)
    if scale == 1.0:
        return result
    r = copy.copy(result)
    f = {k: scale ** p for k, p in zip(fam.param_names, fam.scale_power)}
    r.params = {k: v / f[k] for k, v in result.params.items()}
    r.trace = dict(result.trace, **{k: result.trace[k] / f[k] for k in fam.param_names})
    r.options = dict(result.options, init={k: v / f[k] for k, v in result.options["init"].items()})
    return r


def diagnose(result) -> Diagnosis:
    result = _in_fit_units(result)
    fam, stats = result._context
    opts = result.options
    method, par = opts.get("run", result.method), opts["parametrization"]
    gamma = opts.get("step")
    n_inner = opts.get("n_inner", 1)
    start = tuple(opts["init"].values())
    stab = stability_of(fam, stats, method, par, n_inner, start)
    bound = stab.bound
    cause, text = _cause(result, fam, stats, method, gamma, stab, start)
    if method == "sequential" and cause in ("step_above_bound", "scale_crossed_zero", "small_start_sigma"):
        text += (
            " The order of the updates is not the cause: the sequential update has the same "
            "stability bound as the simultaneous one (the cross term of the Hessian vanishes at the optimum)."
        )
    return Diagnosis(cause, text, bound, _remedies(result, fam, stats, method, par, gamma, bound, n_inner))


def _crossing_condition(method: str, par: str) -> str | None:
    """When a single step can push the scale through zero (from the update formulas)."""
    if method == "fisher" and par == "sigma":
        return "gamma > 2 (sigma' = sigma + gamma (D - sigma^2) / (2 sigma))"
    if method in ("gradient", "sequential", "coordinate"):
        if par == "sigma":
            return "gamma > 4 D(mu), with D(mu) = s2 + (xbar - mu)^2"
        if par == "variance":
            return "gamma > 13.5 D(mu)^2, with D(mu) = s2 + (xbar - mu)^2"
    return None


def _start_overshoot(stats, gamma, start) -> tuple[bool, float, float]:
    """Whether the first fixed step from the start throws the iterate (theory of
    DESIGN.md): mu overshoots when gamma / sigma0^2 > 2; sigma is thrown into the
    region where the likelihood is convex in sigma when its first step lands beyond
    sqrt(3) sigma_hat. Returns (overshoot, mu factor, first sigma)."""
    mu0, sigma0 = start
    d0 = stats.var + (stats.mean - mu0) ** 2
    factor = gamma / sigma0**2
    sigma1 = sigma0 + gamma * (d0 / sigma0**2 - 1.0) / sigma0
    return factor > 2.0 or sigma1 > math.sqrt(3.0 * stats.var), factor, sigma1


def _context(stats, gamma, bound, start, fixed, normal) -> str:
    """What put the run there: the step against the bound, or the first step."""
    if not fixed:
        return ""
    if gamma > bound:
        return f"; gamma = {_g(gamma)} is {_g(gamma / bound)} times the stability bound {_g(bound)}"
    text = f"; gamma = {_g(gamma)} is below the stability bound {_g(bound)}"
    if normal and _start_overshoot(stats, gamma, start)[0]:
        factor = gamma / start[1] ** 2
        text += f", but the start sigma0 = {_g(start[1])} is small: far from the optimum the step acts like gamma/sigma0^2 = {_g(factor)}"
    return text


def _cause(result, fam, stats, method, gamma, stab, start):
    msg, status, trace = result.message, result.status, result.trace
    bound = stab.bound
    if status == "boundary":
        return "boundary", msg
    par = result.options["parametrization"]
    fixed = method in FIXED
    normal = fam.name == "normal"
    if status == "stalled":
        if "resolution" in msg:
            return "float_resolution", f"{msg}. The steps are gamma times a gradient that is already tiny."
        return "no_ascent", msg
    if "crossed zero" in msg or "underflowed" in msg:
        text = msg.rstrip(".")
        cond = _crossing_condition(method, par) if normal else None
        if cond:
            k = len(trace["sigma"]) - 2
            d = stats.var + (stats.mean - trace["mu"][k]) ** 2
            text += f". A single step can push it through zero only when {cond}; here D(mu) = {_g(d)} before the step"
        return "scale_crossed_zero", text + _context(stats, gamma, bound, start, fixed, normal) + "."
    if "became" in msg or "overflowed" in msg:
        return "nonfinite", msg.rstrip(".") + _context(stats, gamma, bound, start, fixed, normal) + "."
    if fixed and gamma > bound:
        return "step_above_bound", _above_bound(fam, stab, gamma, method)
    if normal and fixed and method != "fisher" and status in ("diverged", "max_iter"):
        thrown, factor, sigma1 = _start_overshoot(stats, gamma, start)
        s_hat = math.sqrt(stats.var)
        crawling = status == "max_iter" and result.params["sigma"] > math.sqrt(3.0) * s_hat
        if crawling:
            return "convex_crawl", _crawl(result, stats, gamma, start[1])
        if status == "diverged" and thrown:
            mu0, sigma0 = start
            d0 = stats.var + (stats.mean - mu0) ** 2
            text = (
                f"sigma0 = {_g(sigma0)} is small for the distance of the data from mu0 = {_g(mu0)} "
                f"(sqrt(D(mu0)) = {_g(math.sqrt(d0))}): the first step moves mu by gamma/sigma0^2 = {_g(factor)} "
                f"times (xbar - mu0) and takes sigma to {_g(sigma1)}. gamma = {_g(gamma)} is below the stability "
                f"bound at the optimum ({_g(bound)}), but far from the optimum the step acts like gamma/sigma^2: {msg}."
            )
            return "small_start_sigma", text
    if status == "diverged":
        return "ran_away", msg
    return "too_slow", _too_slow(result, stab, gamma, method)


def _above_bound(fam, stab, gamma, method) -> str:
    h = stab.hessian
    if method == "fisher":
        return (
            f"gamma = {_g(gamma)} is above the Fisher-scoring bound {_g(stab.bound)}: near the optimum each step "
            f"multiplies the error by 1 - gamma = {_g(1 - gamma)} or worse."
        )
    eig, vec = np.linalg.eigh(h)
    k = int(np.argmin(eig))
    coord = int(np.argmax(np.abs(vec[:, k])))
    name = fam.param_names[coord]
    factor = 1.0 + gamma * eig[k]
    what = f"the {name} error" if len(eig) > 1 else "the error"
    sym = ""
    if fam.name == "normal" and stab.parametrization == "sigma" and coord == 1:
        sym = " (1 - 2*gamma/sigma_hat^2)"
    return (
        f"gamma = {_g(gamma)} is above the stability bound {_g(stab.bound)} ({stab.formula}): near the optimum "
        f"each step multiplies {what} by 1 + gamma*h = {_g(factor)}{sym}, with h = {_g(eig[k])} the most negative "
        "curvature there, so the iterate oscillates with growing amplitude instead of settling."
    )


def _crawl(result, stats, gamma, sigma0) -> str:
    s_hat = math.sqrt(stats.var)
    sig = result.trace["sigma"]
    top = int(sig.argmax())
    now = result.params["sigma"]
    need = max(now * now - 3.0 * stats.var, 0.0) / (2.0 * gamma)
    return (
        f"sigma = {_g(now)} is above sqrt(3)*sigma_hat = {_g(math.sqrt(3.0) * s_hat)}, where the log-likelihood is "
        f"convex in sigma: each step lowers sigma^2 by only about 2*gamma = {_g(2 * gamma)}, so leaving that region "
        f"takes about (sigma^2 - 3 sigma_hat^2)/(2 gamma) = {need:.3g} more iterations. The run was thrown there "
        f"at iteration {int(result.trace['iteration'][top])} (sigma reached {_g(sig[top])}, from sigma0 = {_g(sigma0)})."
    )


def _too_slow(result, stab, gamma, method) -> str:
    gn = result.trace["grad_norm"][-1]
    tol = result.options["tol"]
    if method in FIXED and stab.hessian is not None:
        if method == "fisher":  # F^-1 H = -I at the optimum of a well-specified model
            rate = abs(1.0 - gamma)
        else:
            m = iteration_matrix(method, gamma, stab.hessian, None, result.options.get("n_inner", 1))
            rate = float(np.max(np.abs(np.linalg.eigvals(m))))
        more = math.log(tol / gn) / math.log(rate) if 0 < rate < 1 and gn > tol else math.nan
        return (
            f"gamma = {_g(gamma)} is stable (bound {_g(stab.bound)}) but near the optimum the error shrinks only "
            f"by a factor {rate:.6g} per iteration: from the scaled gradient {gn:.3g} down to tol = {tol:g} takes "
            f"about {more:.3g} more iterations than max_iter = {result.options['max_iter']}."
        )
    return (
        f"{method} was still improving after {result.nit} iterations (scaled gradient {gn:.3g}, tol = {tol:g}): "
        + ("Adam with a constant learning rate keeps taking steps of about the learning rate and does not settle." if method == "adam" else "it needs more iterations.")
    )


def _remedies(result, fam, stats, method, par, gamma, bound, n_inner) -> list:
    from .fit import check_options, fit_reduced

    if result.status == "boundary" and result.limit_fit is not None:
        lim = result.limit_fit
        return [Remedy(f"family={lim.family!r}: the limiting model, fitted to the same data", {"family": lim.family},
                       lim.nit, lim.error)]

    init = dict(result.options["init"])
    budget = max(result.options["max_iter"], 1000)
    candidates = []
    if method in FIXED and method != "fisher" and math.isfinite(bound) and bound > 0:
        safe = 0.5 * bound
        candidates.append((f"method={method!r} with step={safe:.4g} (half the stability bound)",
                           dict(method=method, step=safe, parametrization=par, n_inner=n_inner if method == "coordinate" else None)))
    candidates.append(("method='fisher' (Fisher scoring, step 1: scale-free)", dict(method="fisher")))
    if method in ("gradient", "sequential", "coordinate") and fam.name == "normal" and par != "log_sigma":
        b = stability_of(fam, stats, method, "log_sigma", n_inner).bound
        candidates.append((f"parametrization='log_sigma' with step={0.5 * b:.4g} (half its bound)",
                           dict(method=method, step=0.5 * b, parametrization="log_sigma", n_inner=n_inner if method == "coordinate" else None)))
    candidates.append(("method='newton' (safeguarded, with backtracking)", dict(method="newton")))
    candidates.append(("method='lbfgs' (scipy's L-BFGS-B)", dict(method="lbfgs")))
    out, seen = [], {(method, par, gamma)}
    for text, kw in candidates:
        default_step = 1.0 if kw["method"] in ("fisher", "newton") else None
        key = (kw["method"], kw.get("parametrization") or fam.default_parametrization, kw.get("step", default_step))
        if key in seen:
            continue
        seen.add(key)
        opts = check_options(fam, kw["method"], kw.get("step"), init, budget, result.options["tol"],
                             kw.get("n_inner"), None, kw.get("parametrization"))
        r = fit_reduced(fam, stats, result.n, opts)
        if r.converged:
            out.append(Remedy(text, {k: v for k, v in kw.items() if v is not None}, r.nit, r.error))
    return out
