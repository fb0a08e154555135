"""The engine: the one place a run is assembled.

``fit``, ``compare``, ``stability``, ``sweep``, the diagnosis and the families' limit
fits all come here: options are checked once (:func:`check_options`), the data become a
record and are reduced once (:mod:`gradmle.streaming`), the start is chosen, the method
is looked up in the table (:mod:`gradmle.methods`) and run through the one driver, and
the run becomes a :class:`FitResult` in the data's units (:mod:`gradmle.units`).
Nothing below this module imports the public API.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from .checks import choice, positive_float, positive_int
from .driver import Frame, Monitor, drive
from .families import FAMILIES, Family, get_family
from .methods import Method, get_method, resolve
from .optimizers import run_lbfgs
from .optimizers.base import REACH, State
from .outcomes import Outcome
from .parametrize import IDENTITY
from .problem import Problem
from .record import NONFINITE, as_record
from .result import FitResult, relative_error
from .streaming import Reduced, reduce_record

__all__ = ["Options", "check_options", "fit", "run", "reduce", "refit", "optimum", "limit_fit", "frame", "RunContext"]


@dataclass(frozen=True)
class Options:
    """What the user asked for, checked and in canonical form, in the data's units:
    ``gradmle.fit(data, **options.kwargs())`` runs it again."""

    family: "str | Family"
    method: str = "auto"
    step: float | None = None
    init: dict | None = None
    max_iter: int = 1000
    tol: float = 1e-10
    n_inner: int | None = None
    n_outer: int | None = None
    parametrization: str | None = None
    fixed: dict = field(default_factory=dict)
    nonfinite: str = "raise"
    #: The columns of a file, dict or DataFrame the family receives by name (None:
    #: the default, see gradmle.fit).
    columns: tuple | None = None
    #: The arguments of gradmle.fit that say what the data are, where the run's family
    #: is built from them (censored, truncated or weighted data: the family as given,
    #: ``event``, ``weights``, ``entry``, ``truncation``); in ``result.options`` only.
    data_args: dict = field(default_factory=dict)

    def public(self) -> dict:
        """``result.options``: :meth:`kwargs` with the arguments that built the family
        (``gradmle.fit(data, **result.options)`` runs it again, censoring and all)."""
        return {**self.kwargs(), **self.data_args}

    def kwargs(self) -> dict:
        """The arguments of :func:`gradmle.fit` that reproduce this run."""
        out = {"family": self.family, "method": self.method}
        if self.step is not None:
            out["step"] = self.step
        if self.init:
            out["init"] = dict(self.init)
        if self.n_outer is not None:
            out["n_inner"], out["n_outer"] = self.n_inner, self.n_outer
        else:
            out["max_iter"] = self.max_iter
        out["tol"] = self.tol
        out["parametrization"] = self.parametrization
        if self.fixed:
            out["fixed"] = dict(self.fixed)
        if self.nonfinite != "raise":
            out["nonfinite"] = self.nonfinite
        if self.columns is not None:
            out["columns"] = list(self.columns)
        return out

    def held(self, fam: Family) -> dict:
        """The parameters held fixed, by index (``loc`` of the families whose support
        starts at loc is not a parameter: see ``data_loc``)."""
        return {fam.param_names.index(k): v for k, v in self.fixed.items() if k in fam.param_names}

    def data_loc(self, fam: Family) -> float:
        """The value subtracted from the data (families whose support starts at loc)."""
        return float(self.fixed.get("loc", 0.0)) if fam.shiftable else 0.0


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return v


def _check_value(fam: Family, i: int, v: float, what: str) -> None:
    c = fam.constraints[i]
    if not c.check(v):
        raise ValueError(f"{what} = {v!r} is not allowed: {c.describe(fam.param_names[i])}")


def _by_name(fam: Family, values, what: str) -> dict:
    names = fam.param_names
    if not hasattr(values, "items"):
        raise TypeError(f"{what} must be a dict of values by parameter name ({', '.join(names)}), got {values!r}")
    if hasattr(fam, "flatten_values"):  # a model's vector parameters, given as lists
        values = fam.flatten_values(values, what)
    out = {}
    for name, value in values.items():
        if name == "loc" and fam.shiftable and what == "fixed":
            out["loc"] = _number(value, "fixed['loc']")
            continue
        if name not in names:
            extra = "; loc can be fixed (default 0)" if fam.shiftable and what == "fixed" else ""
            raise ValueError(f"unknown parameter {name!r} in {what}; {fam.name} has: {', '.join(names)}{extra}")
        v = _number(value, f"{what}[{name!r}]")
        _check_value(fam, names.index(name), v, f"{what}[{name!r}]")
        out[name] = v
    return out


def _check_columns(fam: Family, columns) -> tuple | None:
    """``columns`` as a tuple of names (or 0-based indices, as strings); a family that
    takes one column of values accepts one."""
    if columns is None:
        return None
    if isinstance(columns, (str, numbers.Integral)):
        columns = [columns]
    if (not isinstance(columns, (list, tuple)) or not columns
            or not all(isinstance(c, (str, numbers.Integral)) and not isinstance(c, bool) and str(c).strip()
                       for c in columns)):
        raise TypeError(f"columns must be a list of column names or 0-based indices, got {columns!r}")
    names = tuple(str(c) for c in columns)
    if len(names) > 1 and not fam.takes_columns:
        raise ValueError(f"the {fam.name} family fits one column of values, and columns= names {len(names)} "
                         f"({', '.join(names)}): name one, or fit a gradmle.Model to several")
    return names


def check_options(family="normal", method="auto", step=None, init=None, max_iter=1000, tol=1e-10, n_inner=None,
                  n_outer=None, parametrization=None, fixed=None, nonfinite="raise", columns=None,
                  data_args=None) -> Options:
    """Validate every option of :func:`gradmle.fit`; returns them in canonical form.
    Every refusal is one sentence naming the value and what is allowed."""
    fam = get_family(family)
    m = get_method(method)
    ran = resolve(m, fam.smooth)
    if step is not None:
        if not ran.takes_step:
            raise ValueError(f"step={step!r} does not apply to method={m.name!r}; leave it out")
        step = positive_float("step", step)
    max_iter = positive_int("max_iter", max_iter)
    tol = positive_float("tol", tol)
    if not ran.sweeps:
        for name, value in (("n_inner", n_inner), ("n_outer", n_outer)):
            if value is not None:
                raise ValueError(f"{name}={value!r} applies only to method='coordinate', not method={m.name!r}")
    else:
        n_inner = 10 if n_inner is None else positive_int("n_inner", n_inner)
        n_outer = max_iter if n_outer is None else positive_int("n_outer", n_outer)
        max_iter = n_outer
    names = tuple(fam.parametrizations())
    parametrization = (fam.default_parametrization if parametrization is None
                       else choice("parametrization", parametrization, names))
    fixed = {} if fixed is None else _by_name(fam, fixed, "fixed")
    fam.check_fixed(fixed)
    if len([k for k in fixed if k in fam.param_names]) == len(fam.param_names):
        raise ValueError(f"every parameter of {fam.name} is fixed: nothing is left to fit")
    if init is not None:
        init = _by_name(fam, init, "init")
        for name in init:
            if name in fixed:
                raise ValueError(f"{name} is both in init and in fixed; give it in one of them")
    nonfinite = choice("nonfinite", nonfinite, NONFINITE)
    columns = _check_columns(fam, columns)
    # A registered family is named; any other (a family of the user's) is kept as it is.
    family = fam.name if _kind(fam) == "family" else fam
    return Options(family, m.name, step, init, max_iter, tol, n_inner, n_outer, parametrization, fixed, nonfinite,
                   columns, dict(data_args or {}))


class RunContext(NamedTuple):
    """What a result needs to compute more (standard errors, the diagnosis, pictures):
    the family, the reduced data (in working units) and the exact working estimate."""

    family: Family
    reduced: Reduced
    options: Options
    theta: tuple  # the estimate in working units
    start: tuple  # the start in working units

    @property
    def stats(self):
        return self.reduced.stats

    @property
    def units(self):
        return self.reduced.units


# -- data -----------------------------------------------------------------------------------

def reduce(fam: Family, data, options: Options, progress=None, column=None) -> Reduced:
    """The data reduced for ``fam`` (any input :func:`gradmle.fit` accepts)."""
    columns = options.columns
    if columns is not None and column is not None:
        raise ValueError(f"column={column!r} and columns={list(columns)!r}: give one of them")
    if columns is not None and not fam.takes_columns:
        column, columns = columns[0], None  # (one column: check_options refuses more)
    record = as_record(data, column, options.nonfinite, columns=columns, several=fam.takes_columns)
    if record.source.columns is not None and not fam.takes_columns:
        names = record.source.columns
        raise ValueError(f"{record.name}: the {fam.name} family fits one column of values, and the data have "
                         f"{len(names)} columns ({', '.join(names)}): choose one, or fit a gradmle.Model to several")
    if options.data_loc(fam):
        record = record.with_loc(options.data_loc(fam))
    return reduce_record(fam, record, progress)


def fit(data, options: Options, progress=None, column=None) -> FitResult:
    """Reduce ``data`` and run ``options`` on it."""
    fam = get_family(options.family)
    return run(fam, reduce(fam, data, options, progress, column), options, progress)


# -- the run -----------------------------------------------------------------------------------

def frame(fam: Family, reduced: Reduced, theta0) -> Frame:
    """Where a run may go (see driver.Frame), in working units, and how its values are
    shown in the data's units."""
    units = reduced.units
    within = None
    if fam.loc_index is not None and reduced.lo is not None:
        within = (fam.loc_index, reduced.lo, reduced.hi)
    return Frame(bounds(fam, reduced, theta0), within, units.to_data, lambda i, d: d * units.factor(i))


def bounds(fam: Family, reduced: Reduced, theta0) -> tuple:
    """``(center, limit)`` per parameter for the run-away rule. One rule whatever the
    source: a location or scale parameter more than 100 times the data's range away
    from the data (locations: from the middle of the data; scales: from 0); families
    name their other parameters' frames (shapes, counts), or 1e6 times the start."""
    given = fam.frame(reduced.stats) or (None,) * len(fam.param_names)
    lo, hi = reduced.lo, reduced.hi
    powers = fam.scale_power or (None,) * len(fam.param_names)
    out = []
    for i, spec in enumerate(given):
        if spec is not None:
            out.append(spec)
        elif lo is not None and powers[i] == 1:
            spread = 100.0 * (hi - lo)
            out.append((0.5 * lo + 0.5 * hi, spread) if fam.constraints[i].lower == -math.inf else (0.0, spread))
        else:
            out.append((0.0, 1e6 * max(abs(theta0[i]), 1.0)))
    return tuple(out)


def start(fam: Family, reduced: Reduced, options: Options) -> tuple[tuple, dict]:
    """The start and the fixed values (by index), in working units."""
    units = reduced.units
    theta = list(fam.initial(reduced.stats))
    fixed = {}
    for i, v in options.held(fam).items():
        fixed[i] = theta[i] = units.to_work(i, v)
    for name, v in (options.init or {}).items():
        i = fam.param_names.index(name)
        theta[i] = units.to_work(i, v)
    missing = [n for n, v in zip(fam.param_names, theta) if not math.isfinite(v)]
    if missing:  # a model of the user's has no moment estimates to start from
        raise ValueError(f"the {fam.name} model needs a start: give init for {', '.join(missing)}")
    return tuple(theta), fixed


def coordinate_power(fam: Family, parametrization: str, held) -> int | None:
    """How every free working coordinate scales with the data's units, when they all
    scale alike (None otherwise): a coordinate theta of power p scales like k^p, theta^2
    like k^2p, log(theta) and logit(theta) not at all (they shift). A step of gradient
    type then scales like k^(2 p)."""
    transforms = fam.parametrizations()[parametrization]
    powers = set()
    for i, t in enumerate(transforms):
        if i in held:
            continue
        p = fam.scale_power[i] if fam.scale_power else 0
        powers.add({"identity": p, "square": 2 * p}.get(t.name, 0))
    return powers.pop() if len(powers) == 1 else None


def _step(fam: Family, method: Method, options: Options, reduced: Reduced, parametrization: str):
    """The step in working units. A fixed-step scheme is the same run in those units
    only when every working coordinate scales alike; otherwise it cannot be run on
    data that must be rescaled."""
    step = options.step if options.step is not None else method.default_step
    units = reduced.units
    if step is None or method.step_power is None or units.scale == 1.0:
        return step
    power = coordinate_power(fam, parametrization, options.held(fam))
    if power is None:
        raise ValueError(
            f"method={method.name!r} in parametrization={parametrization!r} is not scale-free (its coordinates "
            f"scale differently with the data's units), and data of magnitude {units.scale:.3g} must be fitted in "
            "rescaled units: use method='auto', 'newton', 'fisher' or 'lbfgs', or divide the data by a constant "
            "yourself"
        )
    return units.step_to_work(step, method.step_power * power)


def run(fam: Family, reduced: Reduced, options: Options, progress=None, second_starts: bool = True) -> FitResult:
    """Run ``options`` on data already reduced for ``fam``. With ``second_starts``, a
    family whose likelihood may have several maxima is tried from a second start where
    the first run ends at a local maximum or runs to a limit (see ``_inside`` and
    ``_beyond_a_local_maximum``)."""
    method = get_method(options.method)
    ran = resolve(method, fam.smooth)
    theta0, fixed = start(fam, reduced, options)
    transforms = fam.parametrizations()[options.parametrization]
    stats = reduced.stats
    fam.check_held(stats, fixed)
    if hasattr(fam, "check_at_start"):  # a model of the user's: its log-density and gradient at the start
        fam.check_at_start(theta0, stats)
        fam.plan_passes(stats, ran.uses_information)
    problem = Problem(fam, stats, transforms, fixed)
    step = _step(fam, ran, options, reduced, options.parametrization)
    box = frame(fam, reduced, theta0)
    t0 = time.perf_counter()
    if ran.name == "closed_form":  # in natural coordinates: no round trip through exp and log
        out = _closed_form_run(Problem(fam, stats, (IDENTITY,) * len(fam.param_names), fixed), box)
    elif ran.name == "lbfgs":
        monitor = Monitor(problem, options.tol, box, leash=3, reach=REACH)
        out = monitor.finish(*run_lbfgs(problem, problem.working(theta0), monitor, options.max_iter))
    else:
        stepper = ran.factory(step, options.n_inner)
        out = drive(problem, stepper, problem.working(theta0), options.max_iter, options.tol, box, progress)
    elapsed = time.perf_counter() - t0
    if method.name == "auto":
        out["message"] = f"auto ran {ran.name}: {out['message']}"
    info = {"method": ran.name, "elapsed": elapsed, "ngev": problem.ngev, "step": step}
    if hasattr(fam, "counts"):  # censored, truncated or weighted data
        info["censoring"] = dict(fam.counts.to_dict(), described=fam.counts.describe())
    elif reduced.record.weights is not None:  # frequency weights alone
        from .weighted import describe

        info["censoring"] = describe(reduced.record, reduced.n)
    summed = fam.condensed(stats) if hasattr(fam, "condensed") else None
    if summed:  # (a large sample summed as the Gauss points of cells)
        info["condensed"] = summed
    if problem.information:  # (scoring steps: what stood for the Fisher information)
        info["information"] = " and ".join(problem.information)
        if "empirical" in problem.information:
            out["message"] += (" [the scoring steps used the empirical information, the sum of outer products of "
                               f"the per-observation scores: the {fam.name} model declares no expected information]")
    if out["status"] != "diverged" and hasattr(fam, "canonical"):  # (a mixture's labels)
        relabelled = fam.canonical(out["theta"], options.fixed)
        if relabelled is not None:
            out["theta"], note = relabelled
            out["message"] += f" ({note})"
    result = _result(fam, reduced, options, out, info, theta0)
    if hasattr(fam, "verdict"):  # a model of the user's, or a family with non-regular ends (GEV, GPD)
        held = tuple(options.held(fam))
        found = fam.verdict(result.context.theta, tuple(theta0), result.status, reduced.stats, held)
        if found is not None:
            status, outcome, text = found
            result.status = status
            result.outcome = outcome._replace(iteration=result.nit)
            result.message = f"{text} ({result.message})"
    # With a parameter of the boundary held fixed, the boundary cannot be reached.
    limit = None if any(p in options.fixed for p in fam.limit_params) else fam.limit(result)
    if second_starts and not limit and result.converged and hasattr(fam, "start_from_limit") and options.init is None:
        better = _beyond_a_local_maximum(fam, reduced, options, result, progress)
        if better is not result:
            return better  # (its own run has judged its limit)
    if limit and second_starts and hasattr(fam, "start_inside"):
        inside = _inside(fam, reduced, options, result)
        if inside is not None and options.init is None and options.method == "auto":
            return inside
        if inside is not None:  # the user's own run: its verdict stays, without the limit's claim
            result.message += (f" (this is not the maximum: from {inside.options['init']} auto converges to "
                               f"{_point(inside.params)}, where the log-likelihood is higher)")
            return result
    if limit:
        result.status = "boundary"
        result.outcome = Outcome("boundary", result.outcome.param, result.outcome.iteration)
        result.message = f"{limit} ({result.message})"
        result.limit_fit = limit_fit(fam, reduced, options)
    return result


def _inside(fam: Family, reduced: Reduced, options: Options, result: FitResult):
    """Before a fit is said to run to its family's limit (a Student-t's df to infinity),
    a run of auto from a start well inside (heavy tails) must not find a higher
    maximum; returns that better fit, or None."""
    start = dict(zip(fam.param_names, reduced.units.theta_to_data(fam.start_inside(reduced.stats))))
    init = {k: v for k, v in start.items() if k not in options.fixed}
    try:
        other = run(fam, reduced, replace(options, method="auto", step=None, n_inner=None, n_outer=None,
                                          max_iter=max(options.max_iter, 1000), init=init), second_starts=False)
    except ValueError:
        return None
    if other.converged and other.loglik > result.loglik + 1e-12 * abs(result.loglik):
        other.message += (f" (from the moment start the fit ran towards the {fam.limit_family} limit, where the "
                          f"log-likelihood is lower; this run started inside, from {_point(init)})")
        return other
    return None


def _beyond_a_local_maximum(fam: Family, reduced: Reduced, options: Options, result: FitResult, progress):
    """A likelihood with several maxima (the Student-t's on small samples): when the
    family's limiting model (the Normal) is more likely than the maximum found from the
    moment start, the run is repeated from that limit; the more likely of the two ends
    is the result, and its message says what happened."""
    lim = limit_fit(fam, reduced, options)
    if not lim.loglik > result.loglik + 1e-12 * abs(result.loglik):
        return result
    start = dict(zip(fam.param_names, fam.start_from_limit(tuple(lim.params.values()))))
    again = run(fam, reduced, replace(options, init={k: v for k, v in start.items() if k not in options.fixed}),
                progress, second_starts=False)
    note = (f" (from the moment start the run converged to a local maximum, {_point(result.params)}, where the "
            f"log-likelihood is {result.loglik * result.n:.6g}, below the {lim.family} limit's "
            f"{lim.loglik * lim.n:.6g}; this run started from the {lim.family} fit)")
    if again.loglik >= result.loglik:
        again.message += note
        again.options = result.options  # what the user asked for: the second start is the engine's
        return again
    return result


def _point(params: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in params.items())


def _kind(fam: Family) -> str:
    """"family" for a registered family, "model" for one of the user's."""
    return "family" if FAMILIES.get(fam.name) is fam else "model"


def _closed_form_run(problem: Problem, box) -> dict:
    fam, stats = problem.family, problem.stats
    theta = fam.closed_form(stats, problem.fixed)
    if theta is None:
        what = " with " + ", ".join(fam.param_names[i] for i in problem.fixed) + " fixed" if problem.fixed else ""
        raise ValueError(f"the {fam.name} {_kind(fam)} has no closed-form MLE{what}; choose an iterative method such "
                         "as 'auto'")
    monitor = Monitor(problem, 1.0, box)
    u = problem.working(theta)
    value, grad = problem.f(u)
    monitor.begin(State(u, value, grad))
    held = f" with {', '.join(fam.param_names[i] for i in problem.fixed)} held fixed" if problem.fixed else ""
    return monitor.finish("converged", Outcome("closed_form", None, 0),
                          f"closed form: the exact maximizer of the likelihood{held}", 0)


def _result(fam: Family, reduced: Reduced, options: Options, out: dict, info: dict, theta0) -> FitResult:
    """The run in the data's units."""
    units = reduced.units
    names = fam.param_names
    theta_w = tuple(float(v) for v in out["theta"])
    params = {k: float(units.to_data(i, v)) for i, (k, v) in enumerate(zip(names, theta_w))}
    trace = dict(out["trace"])
    for i, k in enumerate(names):
        trace[k] = units.to_data(i, trace[k])
    trace["loglik"] = units.loglik_to_data(trace["loglik"])
    # With parameters held fixed the reference is the restricted MLE (the maximizer over
    # the free parameters), never the unrestricted one.
    fixed_w = {i: units.to_work(i, v) for i, v in options.held(fam).items()}
    ref_w = fam.closed_form(reduced.stats, fixed_w)
    reference = error = None
    if ref_w is not None:
        reference = {k: float(units.to_data(i, v)) for i, (k, v) in enumerate(zip(names, ref_w))}
        scales = Problem(fam, reduced.stats, (IDENTITY,) * len(names)).scales(ref_w)
        info["reference_scales"] = {k: float(s * units.factor(i)) for i, (k, s) in enumerate(zip(names, scales))}
        error = relative_error(params, reference, info["reference_scales"])
    status = out["status"]
    outcome = out["outcome"]
    if status != "diverged" and not all(math.isfinite(v) for v in params.values()):
        status, outcome = "diverged", Outcome("nonfinite", None, out["nit"])
    message = out["message"]
    source = reduced.source
    notes = []
    if reduced.dropped.get("masked"):
        notes.append(f"{reduced.dropped['masked']} masked value(s)")
    if reduced.dropped.get("nonfinite"):
        notes.append(f"{reduced.dropped['nonfinite']} NaN or infinite value(s)")
    if notes:
        message += f" ({' and '.join(notes)} were dropped before fitting)"
    if units.scale != 1.0:
        message += f" ({units.describe()})"
    in_memory = reduced.record.in_memory
    if not fam.sufficient and not in_memory:
        fewest = "; newton needs the fewest" if info["method"] == "newton" else ""
        message += (f" [{source.passes} passes over the data: the {fam.name} family has no sufficient "
                    f"statistics, so each new point costs one pass{fewest}]")
    info.update(dropped=dict(reduced.dropped), data_scale=units.scale, data_shift=units.shift)
    if hasattr(fam, "describe_derivatives"):
        info["derivatives"] = fam.backend
        if fam.backend == "numeric":
            message += f" [numeric derivatives ({fam.derivatives_detail()})]"
    return FitResult(
        params=params,
        loglik=float(units.loglik_to_data(out["value"])),
        status=status,
        message=message,
        nit=out["nit"],
        nfev=out["nfev"],
        trace=trace,
        reference=reference,
        error=error,
        family=fam.name,
        method=options.method,
        n=reduced.n,
        options=options.public(),
        info=info,
        outcome=outcome,
        passes=source.passes,
        source=None if in_memory else source.name,
        context=RunContext(fam, reduced, options, theta_w, tuple(theta0)),
    )


# -- runs asked for by other parts --------------------------------------------------------------

def refit(result: FitResult, **changes) -> FitResult:
    """The same data and start as ``result``, with some options changed (the remedies
    of the diagnosis are run this way). Options that do not apply to a new method are
    dropped; the start is kept."""
    ctx = result.context
    base = ctx.options
    kw = base.kwargs()
    # The same start (in the data's units), unless the change leaves init out.
    kw.setdefault("init", {k: ctx.reduced.units.to_data(i, v) for i, (k, v) in enumerate(zip(ctx.family.param_names,
                                                                                          ctx.start))
                           if k not in base.fixed})
    method = changes.get("method", base.method)
    if method != base.method:
        for k in ("step", "n_inner", "n_outer"):
            kw.pop(k, None)
    kw.update(changes)
    if kw.get("init") is None:
        kw.pop("init", None)
    if kw.get("n_outer") is not None:
        kw.pop("max_iter", None)
    opts = check_options(**kw, data_args=base.data_args)
    return run(ctx.family, ctx.reduced, opts)


def optimum(fam: Family, reduced: Reduced, fixed: dict | None = None, start=None) -> tuple:
    """The MLE in working units (with ``fixed``, {index: working value}, the restricted
    one): the closed form, or a tight run of auto, from ``start`` (working units) where
    the family has no moment start of its own (a model of the user's)."""
    theta = fam.closed_form(reduced.stats, fixed or None)
    if theta is None:
        units = reduced.units
        held = {fam.param_names[i]: units.to_data(i, v) for i, v in (fixed or {}).items()}
        init = None
        if start is not None and not all(math.isfinite(v) for v in fam.initial(reduced.stats)):
            init = {k: units.to_data(i, v) for i, (k, v) in enumerate(zip(fam.param_names, start)) if k not in held}
        r = run(fam, reduced, check_options(fam, "auto", tol=1e-12, fixed=held or None, init=init))
        theta = r.context.theta
    return tuple(theta)


def limit_fit(fam: Family, reduced: Reduced, options: Options | None = None) -> FitResult:
    """The fit of the family that ``fam`` tends to at its boundary, to the same data,
    with the parameters held fixed in ``options`` held in it too: from ``fam``'s
    statistics where it can give them, else by reading the data again."""
    target = get_family(fam.limit_family)
    # (a family given by name, or one of its own: the limit of a censored fit is fitted to the same table)
    spec = fam.limit_family if isinstance(fam.limit_family, Family) else target.name
    fixed = {fam.limit_names[k]: v for k, v in (options.fixed if options else {}).items() if k in fam.limit_names}
    natural = "natural" if "natural" in target.parametrizations() else None
    convert = getattr(fam, "limit_stats", None)
    limit = replace_stats(reduced, convert(reduced.stats)) if convert is not None else \
        reduce_record(target, reduced.record)
    # Data that built the family (censoring, weights) build the limit's too, by name.
    data_args = {**options.data_args, "family": target.name} if options and options.data_args else None
    try:
        return run(target, limit, check_options(spec, "closed_form", parametrization=natural, fixed=fixed,
                                                data_args=data_args))
    except ValueError:  # no closed form (with those parameters held): iterate
        return run(target, limit, check_options(spec, "auto", fixed=fixed, data_args=data_args))


def replace_stats(reduced: Reduced, stats) -> Reduced:
    return reduced._replace(stats=stats)

