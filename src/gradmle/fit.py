"""``fit``: validate, reduce the data once, run one optimizer through the one loop.

The loop itself lives in :mod:`gradmle.driver`; this module turns the user's options
into a problem (family + statistics + parametrization) and a stepper, and the run into
a :class:`FitResult`.
"""

from __future__ import annotations

import functools
import math
import numbers
import sys
import time

import numpy as np

from . import optimizers as opt
from .checks import choice, positive_float, positive_int
from .data import as_sample, check_finite
from .driver import Monitor, drive
from .optimizers.base import State
from .families import Family, get_family
from .families.base import StatisticsOverflow
from .parametrize import IDENTITY
from .problem import Problem
from .result import FitResult, relative_error
from .source import is_chunked, open_source

__all__ = ["fit", "METHODS", "AUTO_METHOD"]

#: Method names accepted by :func:`fit`.
METHODS = ("auto", "gradient", "sequential", "coordinate", "fisher", "newton", "linesearch", "adam", "lbfgs", "closed_form")
#: Fixed-step schemes, run exactly as written (no safeguard).
FIXED_STEP = ("gradient", "sequential", "coordinate")
#: The step each method uses when none is given.
DEFAULT_STEP = {"gradient": 0.1, "sequential": 0.1, "coordinate": 0.1, "fisher": 1.0,
                "newton": 1.0, "linesearch": 1.0, "adam": 0.01}
#: What ``method="auto"`` runs: safeguarded Newton with backtracking converges from any
#: start (every iterate improves the likelihood; where the likelihood is not concave it
#: takes the Fisher-scoring direction) and quadratically near the optimum.
AUTO_METHOD = "newton"


def fit(
    data,
    family="normal",
    method="auto",
    step=None,
    init=None,
    max_iter=1000,
    tol=1e-10,
    n_inner=None,
    n_outer=None,
    parametrization=None,
    fixed=None,
    nonfinite="raise",
) -> FitResult:
    """Fit ``family`` to ``data`` by maximum likelihood with ``method``.

    Parameters
    ----------
    data : 1-D array-like of finite numbers
    family : str
        ``"normal"`` (parameters ``mu``, ``sigma``).
    method : str
        ``"auto"`` (default: safeguarded Newton, see ``AUTO_METHOD``);
        ``"gradient"``: simultaneous fixed-step gradient ascent;
        ``"sequential"``: the same, each parameter using the already updated ones
        (sigma uses the new mu); ``"coordinate"``: ``n_inner`` steps on each
        parameter in turn, ``n_outer`` sweeps; ``"fisher"``: Fisher scoring (natural
        gradient, scale-free); ``"newton"``: Newton with a Fisher/gradient fallback
        where the Hessian is not negative definite, and backtracking; ``"linesearch"``:
        gradient ascent with Armijo backtracking; ``"adam"``: Adam; ``"lbfgs"``:
        scipy's L-BFGS-B; ``"closed_form"``.
    step : float, optional
        The fixed step gamma > 0 of the fixed-step schemes and of ``"fisher"``; the
        first trial step of ``"newton"`` and ``"linesearch"``; Adam's learning rate.
        Defaults: 0.1 for the classic schemes, 1 for fisher, newton and linesearch,
        0.01 for adam. Not used by ``"lbfgs"`` and ``"closed_form"``.
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
    parametrization : str, optional
        The coordinates the optimizer works in. Normal: ``"sigma"`` (default),
        ``"log_sigma"``, ``"variance"``; other families: ``"unconstrained"``
        (default: log for positive parameters, logit for probabilities) or
        ``"natural"``. Params and trace are always on the natural scale.
    fixed : dict, optional
        Parameters held at given values, e.g. ``{"df": 5.0}`` for Student-t. For
        families whose support starts at ``loc`` (exponential, gamma, weibull,
        lognormal) ``loc`` is never estimated; ``{"loc": c}`` fits ``data - c``
        (default 0), as scipy's ``floc``.
    nonfinite : {"raise", "drop"}
        NaN and infinite values are refused (``"raise"``, the default) or dropped
        (``"drop"``: the message and ``result.options["dropped"]`` say how many).

    Returns
    -------
    FitResult
        Divergence is a result, not an exception: the run stops at the first
        iterate that leaves the parameter space, is not finite or runs away from
        the data, and ``status == "diverged"`` with the reason in ``message``;
        ``result.diagnosis`` explains any run that did not converge.

    Examples
    --------
    >>> import numpy as np, gradmle
    >>> x = np.random.default_rng(0).normal(2.0, 1.0, 1000)
    >>> r = gradmle.fit(x, method="gradient", step=0.4, init={"mu": 1.5, "sigma": 1.2})
    >>> r.status, r.error < 1e-9
    ('converged', True)
    """
    fam = get_family(family)
    options = check_options(fam, method, step, init, max_iter, tol, n_inner, n_outer, parametrization, fixed)
    options["nonfinite"] = choice("nonfinite", nonfinite, ("raise", "drop"))
    if is_chunked(data):
        return fit_source(fam, open_source(data), options)
    return fit_array(fam, data, options)


def fit_array(fam: Family, data, options: dict) -> FitResult:
    """Fit an in-memory sample with options from :func:`check_options`."""
    if fam.checks_finite and options["nonfinite"] == "raise":
        # The family's one pass detects bad values itself (see Family.checks_finite):
        # no separate pass over the data unless its sums overflow.
        x = shift(as_sample(data, finite=False), options)
        try:
            stats, scale = fam.reduce(x), 1.0
            size = fam.magnitude(stats)
            extreme = not RESCALE_OUTSIDE[0] < size < RESCALE_OUTSIDE[1]
        except StatisticsOverflow:
            extreme = True
        if extreme:
            x, scale = prepare_array(fam, x, dict(options, loc=0.0))
            stats = fam.reduce(x)
    else:
        x, scale = prepare_array(fam, data, options)
        stats = fam.reduce(x)
    result = fit_reduced(fam, stats, x.shape[0], rescale_options(fam, options, scale))
    result.passes = 1 + getattr(stats, "passes", 0)
    return unscale(result, fam, scale)


#: Data whose largest magnitude lies outside these bounds are fitted in units of a
#: power of two (an exact division), so that squares, sums and densities stay inside
#: float64; estimates, trace and log-likelihood are converted back.
RESCALE_OUTSIDE = (2.0**-160, 2.0**160)


def prepare_array(fam: Family, data, options: dict):
    """Validate an in-memory sample; returns ``(x, scale)`` with x in units of scale."""
    x = as_sample(data, finite=False)
    # NaN propagates through min and max, and so does inf: one cheap pass checks both.
    lo, hi = float(x.min()), float(x.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        if options["nonfinite"] == "drop":
            keep = np.isfinite(x)
            options["dropped"] = int(x.size - np.count_nonzero(keep))
            x = as_sample(x[keep])
            lo, hi = float(x.min()), float(x.max())
        else:
            check_finite(x)
    x = shift(x, options)
    scale = data_scale(fam, lo - options.get("loc", 0.0), hi - options.get("loc", 0.0))
    return (x, 1.0) if scale == 1.0 else (x / scale, scale)


def data_scale(fam: Family, lo: float, hi: float) -> float:
    """The power of two the data (smallest lo, largest hi) are divided by, or 1."""
    big = max(abs(lo), abs(hi))
    if fam.support == "positive" and lo > 0.0:
        # Centre the logarithms instead: dividing 1e-300 and 1e300 by the largest value
        # would turn the first into 0, outside the support.
        big = math.sqrt(lo) * math.sqrt(hi)
    if fam.scale_power is None or not math.isfinite(big) or big == 0.0 or RESCALE_OUTSIDE[0] < big < RESCALE_OUTSIDE[1]:
        return 1.0
    return math.ldexp(1.0, math.frexp(big)[1] - 1)  # big / scale in [1, 2)


#: Steps with units: gradient-type steps scale like theta^2, Adam's like theta.
STEP_POWER = {"gradient": 2, "sequential": 2, "coordinate": 2, "linesearch": 2, "adam": 1}


def rescale_options(fam: Family, options: dict, scale: float) -> dict:
    """The start, the fixed values and a step with units, in the units the data were
    divided into. A fixed-step scheme is the same run in those units only when every
    working coordinate scales alike; otherwise it cannot be run on such data."""
    if scale == 1.0:
        return options
    out = dict(options)
    pw = fam.scale_power
    run = options["run"]
    if run in STEP_POWER:
        transforms = fam.parametrizations()[options["parametrization"]]
        powers = {pw[i] if transforms[i].name == "identity" else None
                  for i in range(len(pw)) if i not in options["fixed"]}
        if len(powers) != 1 or None in powers:
            raise ValueError(
                f"method={run!r} in parametrization={options['parametrization']!r} is not scale-free, and data of "
                f"magnitude {scale:.3g} must be fitted in rescaled units: use method='auto', 'newton', 'fisher' or "
                "'lbfgs', or divide the data by a power of ten yourself"
            )
        # scale is a power of two: ldexp divides exactly. A step that leaves float64 in
        # these units is clamped; the run then reports what such a step does.
        try:
            out["step"] = math.ldexp(options["step"], -(math.frexp(scale)[1] - 1) * STEP_POWER[run] * powers.pop())
        except OverflowError:
            out["step"] = sys.float_info.max
    if options["init"] is not None:
        out["init"] = {k: v / scale ** pw[fam.param_names.index(k)] if k in fam.param_names else v
                       for k, v in options["init"].items()}
    out["fixed"] = {i: v / scale ** pw[i] for i, v in options["fixed"].items()}
    return out


def unscale(result: FitResult, fam: Family, scale: float) -> FitResult:
    """Convert a fit made in units of ``scale`` back to the data's units."""
    if options_note := result.options.get("dropped"):
        result.message += f" ({options_note} NaN or infinite value(s) were dropped before fitting)"
    if scale == 1.0:
        return result
    if result.limit_fit is not None:
        result.limit_fit = unscale(result.limit_fit, result.limit_fit._context[0], scale)
    pw = dict(zip(fam.param_names, fam.scale_power))
    factor = {k: scale ** pw[k] for k in fam.param_names}
    result.params = {k: v * factor[k] for k, v in result.params.items()}
    with np.errstate(over="ignore"):  # a diverged path may leave float64 in the data's units
        for k in fam.param_names:
            result.trace[k] = result.trace[k] * factor[k]
    if result.reference is not None:
        result.reference = {k: v * factor[k] for k, v in result.reference.items()}
    shift_ll = math.log(scale)  # each density picks up 1 / scale
    result.loglik -= shift_ll
    result.trace["loglik"] = result.trace["loglik"] - shift_ll
    opts = result.options
    opts["init"] = {k: v * factor[k] for k, v in opts["init"].items()}
    opts["fixed"] = {k: v * factor[k] for k, v in opts["fixed"].items()}
    opts["data_scale"] = scale
    result.message += f" (fitted in units of {scale:g}: the data were divided by it exactly, a power of two)"
    return result


def _prep(drop: bool, loc: float, scale: float, chunk: np.ndarray) -> np.ndarray:
    """What every chunk of data in pieces goes through: drop NaN/inf, subtract loc,
    divide by the power of two the fit is made in."""
    if drop:
        chunk = chunk[np.isfinite(chunk)]
    if loc:
        chunk = chunk - loc
    return chunk / scale if scale != 1.0 else chunk


def fit_source(fam: Family, source, options: dict, progress=None) -> FitResult:
    """Fit data that arrive in pieces (a file, an iterable of chunks, a Dask array)."""
    from .streaming import NeedsRescale, reduce_source

    if not fam.streamable:  # (Laplace needs its median): the whole sample in memory
        result = fit_array(fam, source.to_array(), options)
        result.passes, result.source = source.passes, source.name
        result.message += f" [the {fam.name} family needs the whole sample: the data were loaded into memory]"
        return result
    if not source.reiterable and not fam.sufficient:
        source = source.kept()
    drop, loc, scale = options.get("nonfinite") == "drop", options.get("loc", 0.0), 1.0
    if drop or loc:
        source.prep = functools.partial(_prep, drop, loc, 1.0)
    try:
        stats = reduce_source(fam, source, progress)
    except NeedsRescale as need:
        if not source.reiterable:
            raise ValueError(f"{source.name}: values of magnitude near {need.scale:.3g} must be read again in "
                             "rescaled units, and an iterator can be read only once: pass a list or a file") from None
        scale = need.scale
        source.prep = functools.partial(_prep, drop, loc, scale)
        stats = reduce_source(fam, source, progress, rescale=False)
    source = getattr(stats, "source", None) or source
    result = fit_reduced(fam, stats, stats.n, rescale_options(fam, options, scale))
    result.passes = source.passes
    result.source = source.name
    if drop:
        result.options["dropped"] = (source.array.size if hasattr(source, "array") else source.raw) - stats.n
    if not fam.sufficient:
        result.message += (f" [{source.passes} passes over the data: the {fam.name} family has no sufficient "
                           f"statistics, so each new point costs one pass; {options['run']} needs the fewest]")
    return unscale(result, fam, scale)


def shift(x, options: dict):
    """The data minus a fixed ``loc`` (families whose support starts at loc)."""
    loc = options.get("loc", 0.0)
    return x - loc if loc else x


def check_fixed(fam: Family, fixed) -> tuple[dict, float]:
    """Validate ``fixed``; returns ``({index: value}, loc)``."""
    if fixed is None:
        return {}, 0.0
    if not hasattr(fixed, "items"):
        raise TypeError(f"fixed must be a dict of values by parameter name ({', '.join(fam.param_names)}), got {fixed!r}")
    out, loc = {}, 0.0
    for name, value in fixed.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise ValueError(f"fixed[{name!r}] must be a finite number, got {value!r}")
        if name == "loc" and fam.shiftable:
            loc = float(value)
            continue
        if name not in fam.param_names:
            extra = "; loc can be fixed (default 0)" if fam.shiftable else ""
            raise ValueError(f"unknown parameter {name!r} in fixed; {fam.name} has: {', '.join(fam.param_names)}{extra}")
        i = fam.param_names.index(name)
        _check_value(fam, i, float(value), f"fixed[{name!r}]")
        out[i] = float(value)
    if len(out) == len(fam.param_names):
        raise ValueError(f"every parameter of {fam.name} is fixed: nothing is left to fit")
    return out, loc


def _check_value(fam: Family, i: int, v: float, what: str) -> None:
    c = fam.constraints[i]
    name = fam.param_names[i]
    if c == "positive" and not v > 0.0:
        raise ValueError(f"{what} = {v!r} is not allowed: {name} must be > 0")
    if c == "unit_interval" and not 0.0 < v < 1.0:
        raise ValueError(f"{what} = {v!r} is not allowed: {name} must be strictly between 0 and 1")


def check_options(fam: Family, method, step, init, max_iter, tol, n_inner, n_outer, parametrization, fixed=None) -> dict:
    """Validate every option of :func:`fit`; returns them in canonical form."""
    method = choice("method", method, METHODS)
    run = method
    if method == "auto":
        # A likelihood with kinks (Laplace) has no gradient test at its maximum: use the
        # exact answer there; everywhere else safeguarded Newton.
        run = AUTO_METHOD if fam.smooth else "closed_form"
    if step is None:
        step = DEFAULT_STEP.get(run)
    elif run in ("lbfgs", "closed_form"):
        raise ValueError(f"step={step!r} does not apply to method={method!r}; leave it out")
    else:
        step = positive_float("step", step)
    max_iter = positive_int("max_iter", max_iter)
    tol = positive_float("tol", tol)
    if run != "coordinate":
        for name, value in (("n_inner", n_inner), ("n_outer", n_outer)):
            if value is not None:
                raise ValueError(f"{name}={value!r} applies only to method='coordinate', not method={method!r}")
    else:
        n_inner = 10 if n_inner is None else positive_int("n_inner", n_inner)
        if n_outer is not None:
            max_iter = positive_int("n_outer", n_outer)
    names = fam.parametrizations()
    if parametrization is None:
        parametrization = fam.default_parametrization
    else:
        parametrization = choice("parametrization", parametrization, tuple(names))
    if init is not None and not hasattr(init, "items"):
        raise TypeError(f"init must be a dict of starting values by name ({', '.join(fam.param_names)}), got {init!r}")
    fixed_idx, loc = check_fixed(fam, fixed)
    options = {"method": method, "run": run, "step": step, "init": init, "max_iter": max_iter, "tol": tol,
               "parametrization": parametrization, "fixed": fixed_idx}
    if fam.shiftable:
        options["loc"] = loc
    if run == "coordinate":
        options.update(n_inner=n_inner, n_outer=max_iter)
    return options


def fit_reduced(fam: Family, stats, n: int, options: dict) -> FitResult:
    """Run a fit on already reduced data with options from :func:`check_options`."""
    theta0 = _start(fam, stats, options["init"], options["fixed"])
    transforms = fam.parametrizations()[options["parametrization"]]
    problem = Problem(fam, stats, transforms, options["fixed"])
    run, step = options["run"], options["step"]
    t0 = time.perf_counter()
    if run == "closed_form":  # in natural coordinates: no round trip through exp and log
        out = _closed_form_run(Problem(fam, stats, (IDENTITY,) * len(fam.param_names), options["fixed"]))
    elif run == "lbfgs":
        monitor = Monitor(problem, options["tol"], leash=3, reach=opt.base.REACH)
        status, message, nit = opt.run_lbfgs(problem, problem.working(theta0), monitor, options["max_iter"])
        out = monitor.finish(status, message, nit)
    else:
        stepper = {
            "gradient": lambda: opt.gradient(step),
            "sequential": lambda: opt.sequential(step),
            "coordinate": lambda: opt.coordinate(step, options["n_inner"]),
            "fisher": lambda: opt.fisher(step),
            "newton": lambda: opt.newton(step),
            "linesearch": lambda: opt.linesearch(step),
            "adam": lambda: opt.adam(step),
        }[run]()
        out = drive(problem, stepper, problem.working(theta0), options["max_iter"], options["tol"],
                    options.get("progress"))
    out["ngev"] = problem.ngev
    if options["method"] == "auto":
        out["message"] = f"auto ran {run}: {out['message']}"
    record = {k: v for k, v in options.items() if k not in ("init", "progress", "fixed")}
    record["fixed"] = {fam.param_names[i]: v for i, v in options["fixed"].items()}
    record.update(init=dict(zip(fam.param_names, theta0)), elapsed=time.perf_counter() - t0)
    result = _result(fam, stats, out, record, n)
    limit = fam.limit(result)
    if limit:
        result.status = "boundary"
        result.message = f"{limit} ({result.message})"
        result.limit_fit = fam.limit_fit(stats)
    return result


def _start(fam: Family, stats, init, fixed=None) -> tuple:
    theta = list(fam.initial(stats))
    for i, v in (fixed or {}).items():
        theta[i] = v
    if init is None:
        return tuple(theta)
    if not hasattr(init, "items"):
        raise TypeError(f"init must be a dict of starting values by name ({', '.join(fam.param_names)}), got {init!r}")
    for name, value in init.items():
        if name not in fam.param_names:
            raise ValueError(f"unknown parameter {name!r} in init; {fam.name} has: {', '.join(fam.param_names)}")
        i = fam.param_names.index(name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"init[{name!r}] must be a number, got {type(value).__name__} {value!r}")
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"init[{name!r}] must be finite, got {value!r}")
        _check_value(fam, i, v, f"init[{name!r}]")
        if i in (fixed or {}):
            raise ValueError(f"{name} is both in init and in fixed; give it in one of them")
        theta[i] = v
    return tuple(theta)


def _closed_form_run(problem: Problem) -> dict:
    fam, stats = problem.family, problem.stats
    theta = fam.closed_form(stats, problem.fixed)
    if theta is None:
        what = " with " + ", ".join(fam.param_names[i] for i in problem.fixed) + " fixed" if problem.fixed else ""
        raise ValueError(f"the {fam.name} family has no closed-form MLE{what}; choose an iterative method such as 'auto'")
    monitor = Monitor(problem, 1.0)
    u = problem.working(theta)
    value, grad = problem.f(u)
    monitor.begin(State(u, value, grad))
    held = f" with {', '.join(fam.param_names[i] for i in problem.fixed)} held fixed" if problem.fixed else ""
    return monitor.finish("converged", f"closed form: the exact maximizer of the likelihood{held}", 0)


def _result(fam: Family, stats, run: dict, options: dict, n: int) -> FitResult:
    params = dict(zip(fam.param_names, (float(v) for v in run["theta"])))
    # With parameters held fixed the reference is the restricted MLE (the maximizer
    # over the free parameters), never the unrestricted one.
    ref_theta = fam.closed_form(stats, {fam.param_names.index(k): v for k, v in options["fixed"].items()})
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
        method=options["method"],
        n=n,
        options=options,
        _context=(fam, stats),
    )
