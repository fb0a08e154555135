"""``fit``: validate, reduce the data once, run one optimizer in the one loop.

The loop (``drive``) owns everything the optimizers do not: the trace, the stopping
rule, and the detection of divergence. It is the only loop; every method goes
through it.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from . import optimizers as opt
from .checks import choice, positive_float, positive_int
from .data import as_sample
from .families import Family, get_family
from .result import FitResult, relative_error

__all__ = ["fit", "METHODS"]

#: Method names accepted by :func:`fit`.
METHODS = ("gradient", "sequential", "coordinate", "closed_form")

EPS = sys.float_info.epsilon
#: A parameter is allowed this many ulps of its own size of rounding slack when
#: testing convergence (the gradient cannot vanish below the spacing of floats).
ULPS = 8.0


def fit(
    data,
    family="normal",
    method="gradient",
    step=0.1,
    init=None,
    max_iter=1000,
    tol=1e-10,
    n_inner=None,
    n_outer=None,
) -> FitResult:
    """Fit ``family`` to ``data`` by maximum likelihood with ``method``.

    Parameters
    ----------
    data : 1-D array-like of finite numbers
    family : str
        ``"normal"`` (parameters ``mu``, ``sigma``).
    method : str
        ``"gradient"``: simultaneous fixed-step gradient ascent;
        ``"sequential"``: the same, each parameter using the already updated ones
        (sigma uses the new mu); ``"coordinate"``: ``n_inner`` steps on each
        parameter in turn, ``n_outer`` sweeps; ``"closed_form"``.
    step : float
        The fixed step (learning rate) gamma > 0.
    init : dict, optional
        Starting values by parameter name; missing ones come from the moment
        estimates (for the Normal these are the closed form).
    max_iter : int
        Iteration limit (for ``"coordinate"``, ``n_outer`` when given).
    tol : float
        The run has converged when, for every parameter, both the natural-gradient
        step ``|g_i| s_i^2`` (the distance to the optimum, to first order) and the
        last step ``|Delta theta_i|`` are below ``tol * max(|theta_i|, s_i)`` (plus
        8 ulps of ``theta_i``), where ``s_i`` is the parameter's statistical scale
        (sigma for mu, sigma/sqrt(2) for sigma): a relative, unit-free test that
        matches the definition of ``FitResult.error``.
    n_inner, n_outer : int, optional
        Only for ``"coordinate"``: steps per parameter block (default 10) and the
        number of sweeps (default ``max_iter``).

    Returns
    -------
    FitResult
        Divergence is a result, not an exception: the run stops at the first
        iterate that leaves the parameter space, is not finite or runs away from
        the data, and ``status == "diverged"`` with the reason in ``message``.

    Examples
    --------
    >>> import numpy as np, gradmle
    >>> x = np.random.default_rng(0).normal(2.0, 1.0, 1000)
    >>> r = gradmle.fit(x, method="gradient", step=0.4, init={"mu": 1.5, "sigma": 1.2})
    >>> r.status, r.error < 1e-9
    ('converged', True)
    """
    fam = get_family(family)
    method = choice("method", method, METHODS)
    step = positive_float("step", step)
    max_iter = positive_int("max_iter", max_iter)
    tol = positive_float("tol", tol)
    if method != "coordinate":
        for name, value in (("n_inner", n_inner), ("n_outer", n_outer)):
            if value is not None:
                raise ValueError(f"{name}={value!r} applies only to method='coordinate', not method={method!r}")
    else:
        n_inner = 10 if n_inner is None else positive_int("n_inner", n_inner)
        if n_outer is not None:
            max_iter = positive_int("n_outer", n_outer)
    x = as_sample(data)
    stats = fam.reduce(x)
    _check_spread(fam, stats)
    theta0 = _start(fam, stats, init)

    t0 = time.perf_counter()
    if method == "closed_form":
        run = _closed_form_run(fam, stats)
    else:
        stepper = {
            "gradient": lambda: opt.gradient(step),
            "sequential": lambda: opt.sequential(step),
            "coordinate": lambda: opt.coordinate(step, n_inner),
        }[method]()
        run = drive(fam, stats, stepper, theta0, max_iter, tol)
    elapsed = time.perf_counter() - t0

    options = {"step": step, "max_iter": max_iter, "tol": tol, "init": dict(zip(fam.param_names, theta0)), "elapsed": elapsed}
    if method == "coordinate":
        options.update(n_inner=n_inner, n_outer=max_iter)
    return _result(fam, stats, method, run, options, x.shape[0])


def _check_spread(fam: Family, stats) -> None:
    if fam.name == "normal" and not stats.var > 0.0:
        raise ValueError(
            f"all {stats.n} values are equal ({stats.mean!r}): the Normal MLE would have "
            "sigma_hat = 0, which is outside the parameter space (sigma > 0)"
        )


def _start(fam: Family, stats, init) -> tuple:
    theta = list(fam.initial(stats))
    if init is None:
        return tuple(theta)
    if not hasattr(init, "items"):
        raise TypeError(f"init must be a dict of starting values by name ({', '.join(fam.param_names)}), got {init!r}")
    for name, value in init.items():
        if name not in fam.param_names:
            raise ValueError(f"unknown parameter {name!r} in init; {fam.name} has: {', '.join(fam.param_names)}")
        i = fam.param_names.index(name)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"init[{name!r}] must be a number, got {type(value).__name__} {value!r}")
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"init[{name!r}] must be finite, got {value!r}")
        if fam.constraints[i] == "positive" and not v > 0.0:
            raise ValueError(f"init[{name!r}] = {value!r} is not allowed: {name} must be > 0")
        theta[i] = v
    return tuple(theta)


# ---------------------------------------------------------------------------------
# The loop


def _grad_norm(grad, scales) -> float:
    total = 0.0
    for g, s in zip(grad, scales):
        total += (g * s) * (g * s)
    return math.sqrt(total)


def _small(theta, grad, prev, scales, tol) -> tuple[bool, bool]:
    """(gradient small, step small) in the relative sense documented in fit()."""
    s_ok = True
    for t, g, p, s in zip(theta, grad, prev, scales):
        a = abs(t)
        allowed = tol * (s if s > a else a) + ULPS * EPS * a
        if not abs(g) * s * s <= allowed:
            return False, False  # the gradient test fails first in almost every iteration
        if not abs(t - p) <= allowed:
            s_ok = False
    return True, s_ok


def _trouble(fam: Family, theta, prev, value, grad, centers, limits, where: str) -> str | None:
    """Why ``theta`` ends the run, or None when it may go on."""
    names = fam.param_names
    for name, v, p in zip(names, theta, prev):
        if not math.isfinite(v):
            return f"{name} became {v} {where} (it was {p:.6g})"
    for name, v, p, c in zip(names, theta, prev, fam.constraints):
        if c == "positive" and not v > 0.0:
            return f"{name} crossed zero {where}: {p:.6g} -> {v:.6g}, but {name} must stay > 0"
    for name, v, p, c, lim in zip(names, theta, prev, centers, limits):
        if abs(v - c) > lim and abs(v - c) > abs(p - c):
            return (
                f"{name} ran away {where}: {p:.6g} -> {v:.6g}, more than {lim:.4g} "
                f"(100 times the data's range) from {c:.6g} and still moving away"
            )
    if not math.isfinite(value) or not all(math.isfinite(g) for g in grad):
        at = ", ".join(f"{n}={v:.6g}" for n, v in zip(names, theta))
        return f"the log-likelihood or its gradient overflowed {where} (at {at})"
    return None


def drive(fam: Family, stats, stepper: opt.Stepper, theta0: tuple, max_iter: int, tol: float) -> dict:
    """Run ``stepper`` from ``theta0`` until it converges, diverges or hits max_iter."""
    nfev = 0
    value_and_grad = fam.objective(stats)

    def f(theta):
        nonlocal nfev
        nfev += 1
        return value_and_grad(theta)

    scales_of = fam.scales
    centers, limits = fam.frame(stats)
    # A point strictly inside this box needs no closer look (the fast path).
    box = [
        (max(c - lim, 0.0) if con == "positive" else c - lim, c + lim)
        for c, lim, con in zip(centers, limits, fam.constraints)
    ]

    def inside(theta) -> bool:
        for v, (lo, hi) in zip(theta, box):
            if not lo < v < hi:
                return False
        return True

    state = stepper.init(theta0, f)
    gn = _grad_norm(state.grad, scales_of(state.theta))
    rows = [(*state.theta, state.value, gn, 0)]
    trouble = _trouble(fam, state.theta, state.theta, state.value, state.grad, centers, limits, "at the start")
    if trouble:
        return _run(state.theta, state.value, "diverged", trouble, 0, nfev, rows, fam)
    moved = 0  # the last iteration that changed the iterate
    for it in range(1, max_iter + 1):
        prev = state
        state = stepper.step(state, f)
        if state.theta != prev.theta:
            moved = it
        last = prev.theta
        path = state.path
        for k, (theta, value, grad) in enumerate(path + ((state.theta, state.value, state.grad),)):
            gn = _grad_norm(grad, scales_of(theta))
            rows.append((*theta, value, gn, it))
            if not (inside(theta) and value > -math.inf and gn < math.inf):
                where = f"at iteration {it}" + (f" (update {k + 1} of the sweep)" if path else "")
                trouble = _trouble(fam, theta, last, value, grad, centers, limits, where)
                if trouble:
                    return _run(theta, value, "diverged", trouble, it, nfev, rows, fam)
            last = theta
        scales = scales_of(state.theta)
        g_ok, s_ok = _small(state.theta, state.grad, prev.theta, scales, tol)
        if g_ok and s_ok:
            message = (
                f"converged after {it} iterations: the scaled gradient "
                f"({gn:.2g}) and the last step are below tol = {tol:g}"
            )
            return _run(state.theta, state.value, "converged", message, it, nfev, rows, fam)
    message = (
        f"stopped at max_iter = {max_iter} without converging: the scaled gradient is "
        f"{gn:.3g} (tol = {tol:g})"
    )
    if moved < max_iter:
        message += (
            f"; the iterate has not changed since iteration {moved}: the steps are below "
            "the resolution of float64 here, so a larger step or a larger tol is needed"
        )
    return _run(state.theta, state.value, "max_iter", message, max_iter, nfev, rows, fam)


def _run(theta, value, status, message, nit, nfev, rows, fam) -> dict:
    table = np.array(rows, dtype=np.float64)
    p = len(fam.param_names)
    trace = {name: table[:, i].copy() for i, name in enumerate(fam.param_names)}
    trace["loglik"] = table[:, p].copy()
    trace["grad_norm"] = table[:, p + 1].copy()
    trace["iteration"] = table[:, p + 2].astype(np.int64)
    return {"theta": theta, "value": value, "status": status, "message": message, "nit": nit, "nfev": nfev, "trace": trace}


def _closed_form_run(fam: Family, stats) -> dict:
    theta = fam.closed_form(stats)
    if theta is None:
        raise ValueError(f"the {fam.name} family has no closed-form MLE; choose an iterative method")
    value, grad = fam.value_and_grad(theta, stats)
    rows = [(*theta, value, _grad_norm(grad, fam.scales(theta)), 0)]
    return _run(theta, value, "converged", "closed form: the exact maximizer of the likelihood", 0, 1, rows, fam)


def _result(fam: Family, stats, method: str, run: dict, options: dict, n: int) -> FitResult:
    params = dict(zip(fam.param_names, (float(v) for v in run["theta"])))
    ref_theta = fam.closed_form(stats)
    reference = error = None
    if ref_theta is not None:
        reference = dict(zip(fam.param_names, ref_theta))
        options["reference_scales"] = dict(zip(fam.param_names, fam.scales(ref_theta)))
        error = relative_error(params, reference, options["reference_scales"])
    status = run["status"]
    if status != "diverged" and not all(math.isfinite(v) for v in params.values()):
        status = "diverged"
    return FitResult(
        params=params,
        loglik=float(run["value"]),
        status=status,
        message=run["message"],
        nit=run["nit"],
        nfev=run["nfev"],
        trace=run["trace"],
        reference=reference,
        error=error,
        family=fam.name,
        method=method,
        n=n,
        options=options,
    )
