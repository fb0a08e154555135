"""The family protocol: what a distribution must provide to be fitted.

A family works from a reduction of the data (its sufficient statistics where it has
them, else a :class:`Sample` that reads the data once per evaluation) and evaluates the
*average* log-likelihood, its gradient and Hessian from that reduction. Everything is
on the natural scale of the parameters; transforms to an unconstrained scale come from
the parameters' constraints (:mod:`gradmle.constraints`).

What a family must give: ``name``, ``param_names``, ``constraints``, ``support``; the
reduction (``partial``/``combine``/``finish`` with sufficient statistics, or
``prepare``/``chunk_sums``/``assemble`` for one pass per evaluation); ``initial``;
``objective`` and ``hessian``. Everything else has a default: ``fisher`` (without it
the observed information stands in), ``frame`` (the run-away rule from the data's
range), ``closed_form``, ``limit`` and ``limit_fit`` (no boundary case).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..constraints import REAL, Constraint, Support, as_constraint, as_support
from ..parametrize import IDENTITY

Theta = tuple  # a tuple of Python floats, in the order of ``Family.param_names``

#: Values per chunk when a reduction works through the data piece by piece (cache-sized).
CHUNK = 1 << 16


def split(chunk) -> tuple[np.ndarray, np.ndarray | None]:
    """``(values, weights)`` of a chunk. A chunk is an array of values (weights None:
    each counts once) or, for data with frequency weights, a table (Columns) with the
    columns ``x`` and ``weight`` (> 0: a row stands for that many observations). A
    reduction with weights gives what the same reduction gives the data with every
    value repeated as many times: counts and sums become weighted sums."""
    if isinstance(chunk, np.ndarray):
        return chunk, None
    return chunk["x"], chunk["weight"]


class StatisticsOverflow(ValueError):
    """The data are finite but their sums overflow float64: fit them rescaled."""


class Refine(Exception):
    """Raised by ``finish`` when a cheap first pass was not precise enough: the data
    are read once more with ``partial``, ``combine`` and ``finish`` given here."""

    def __init__(self, partial, combine, finish):
        super().__init__("another pass")
        self.partial, self.combine, self.finish = partial, combine, finish


class Cached:
    """A small cache of what one evaluation computed at each of the last few points:
    the Hessian at an evaluated point costs nothing more, and neither do the
    statistical scales at every point of a sweep (a coordinate scheme evaluates up to
    ``n_inner`` times the number of parameters points before they are recorded)."""

    __slots__ = ("cache",)

    #: Points remembered (the oldest is forgotten first).
    SIZE = 64

    def __init__(self):
        self.cache: dict = {}

    def at(self, theta, compute):
        """``compute(theta)``, remembered for the last ``SIZE`` points asked."""
        theta = tuple(theta)
        cache = self.cache
        if theta in cache:
            return cache[theta]
        value = compute(theta)  # (stored after: a computation that raised leaves no entry)
        if len(cache) >= self.SIZE:
            del cache[next(iter(cache))]
        cache[theta] = value
        return value


class Sample(Cached):
    """The data of a family without sufficient statistics: a source read once per
    evaluation (an in-memory array is a source of cache-sized chunks), the number of
    values ``n`` and what the first pass learnt (``extra``)."""

    __slots__ = ("source", "n", "extra")

    def __init__(self, source, n: int, **extra):
        super().__init__()
        self.source = source
        self.n = n
        self.extra = extra

    @property
    def passes(self) -> int:
        return self.source.passes

    @property
    def x(self) -> np.ndarray | None:
        """The values, when they are in memory (None for data read in pieces)."""
        return getattr(self.source, "x", None)

    def total(self, fn) -> np.ndarray:
        """``fn(chunk)`` summed over the data: one pass."""
        # Far from the optimum (a trial point of a line search) sums may overflow: the
        # family turns a non-finite value into -inf, so numpy need not warn about it.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return self.source.total(fn)


class Family:
    """Base class of distribution families.

    ``objective``, ``hessian`` and ``fisher`` are averages over the sample (they do not
    grow with n) and receive the statistics returned by the reduction.
    """

    name: str = ""
    param_names: tuple[str, ...] = ()
    #: One :class:`~gradmle.constraints.Constraint` per parameter (names are accepted).
    constraints: tuple = ()
    #: The values the data may take (a :class:`~gradmle.constraints.Support` or its name).
    support: Support | str = "real"
    #: The scipy.stats distribution with the same parameters (``result.frozen()``).
    scipy_name: str = ""
    #: True when the support starts at ``loc`` and ``loc`` is not estimated: then
    #: ``fixed={"loc": c}`` fits the data minus c (default 0), as scipy's ``floc``.
    shiftable: bool = False
    #: True when the reduction yields statistics that make every evaluation O(1);
    #: False when each evaluation of the likelihood is a pass over the data.
    sufficient: bool = True
    #: How each parameter scales with the data's units (1 for loc and scale, 0 for a
    #: shape), or None when the family cannot be rescaled (counts, the unit interval).
    scale_power: tuple[int, ...] | None = None
    #: The parameter that moves with a shift of the data (a location), if any.
    loc_index: int | None = None
    #: True when the family keeps its location to full precision itself (so the data
    #: need not be taken about a value in their middle; see gradmle.units).
    centers_itself: bool = False
    #: True when the log-density can receive several named columns (a mapping name ->
    #: array): gradmle.Model. A built-in family fits one column of values.
    takes_columns: bool = False
    #: False when the log-likelihood has kinks (Laplace in loc): "auto" then returns
    #: the closed form instead of iterating.
    smooth: bool = True
    #: True when the first pass's sums come out non-finite for NaN, infinite or
    #: out-of-support values: the separate check of every value is then skipped (and
    #: made only to name the culprit). Such a family gives ``magnitude``.
    checks_finite: bool = False

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.constraints = tuple(as_constraint(c) for c in cls.constraints)
        cls.support = as_support(cls.support)

    # -- data ---------------------------------------------------------------------
    # A family with sufficient statistics reduces each chunk to a small ``partial``,
    # combines partials pairwise and ``finish``es them into its statistics. A family
    # without them gives ``prepare`` (the start and what else the first pass must
    # learn), ``chunk_sums`` (the sums one evaluation needs, from one chunk) and
    # ``assemble`` (value, gradient and Hessian from the summed sums).

    def partial(self, chunk: np.ndarray) -> Any:
        """The statistics of one chunk (an array, or values with weights: see
        :func:`split`)."""
        raise NotImplementedError

    def combine(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def finish(self, partial: Any) -> Any:
        """The statistics from the combined partials. Raises ValueError for data from
        which the MLE does not exist (e.g. all values equal), or :class:`Refine` for
        another pass."""
        raise NotImplementedError

    #: What the first pass over the data must learn for ``prepare`` (families without
    #: sufficient statistics): "moments" (mean, var), "m4" (fourth central moment),
    #: "log" (the LogMoments of log x, for data > 0), "median" (exact, as np.median),
    #: "quartiles" (the order statistics at ranks (n-1)//4, (n-1)//2, 3(n-1)//4). Order
    #: statistics cost a few counting passes for data in pieces. n, min and max are
    #: always known.
    learns: tuple = ("moments", "m4")

    def prepare(self, info: dict) -> dict:
        """What a family without sufficient statistics keeps from the first pass, from
        ``info``: n, min, max and what ``learns`` names."""
        raise NotImplementedError

    def pretransform(self, x: np.ndarray, extra: dict) -> np.ndarray | None:
        """For data in memory: an array to keep instead of x, computed once (e.g. the
        logarithms), or None; ``chunk_sums`` then receives chunks of it and
        ``extra["transformed"]`` is True."""
        return None

    def chunk_sums(self, theta, chunk: np.ndarray, extra: dict) -> np.ndarray:
        raise NotImplementedError

    def assemble(self, theta, sums: np.ndarray, n: int, extra: dict):
        raise NotImplementedError

    def magnitude(self, partial: Any) -> float:
        """A typical size of the data, from the first pass's combined partial (families
        that check their own data, see ``checks_finite``, use it to decide on
        rescaling)."""
        return 1.0

    def check_spread(self, x_min: float, x_max: float, n: int) -> None:
        """Refuse data whose values are all equal: no MLE exists (the scale -> 0)."""
        if x_min == x_max:
            raise ValueError(
                f"all {n} values are equal ({x_min!r}): the {self.name} MLE does not exist "
                "(the fit would degenerate to a point mass)"
            )

    #: Parameters that are known, never estimated: a fit must hold them fixed (the
    #: binomial's number of trials n).
    known: tuple = ()

    def check_fixed(self, fixed: dict) -> None:
        """Refuse, in one sentence, values held fixed that the family cannot take as
        given, and a missing value of a ``known`` parameter (``fixed`` is by name)."""
        for name in self.known:
            if name not in fixed:
                raise ValueError(f"the {self.name} family's {name} is known, not estimated: give it as "
                                 f"fixed={{'{name}': ...}}")

    def check_held(self, stats: Any, held: dict) -> None:
        """Refuse data that the values held fixed ({index: value}) make impossible (a
        binomial count above n): the likelihood would be 0 everywhere."""

    def initial(self, stats: Any) -> Theta:
        """A start computed from the reduction (moment estimates)."""
        raise NotImplementedError

    def closed_form(self, stats: Any, fixed: dict | None = None) -> Theta | None:
        """The MLE in closed form, or None when the family has none. With ``fixed``
        ({index: value}) it is the restricted MLE, the maximizer over the free
        parameters with the others held at those values (None when that has no
        closed form)."""
        return None

    # -- objective ------------------------------------------------------------------
    def objective(self, stats: Any):
        """``theta -> (value, grad)``: the average log-likelihood and its gradient,
        bound to the statistics (the hot loop calls this; keep it lean).

        Must not raise for any theta: outside the parameter space it returns
        ``(-inf, (nan, ...))`` so that the driver can report what happened.
        """
        raise NotImplementedError

    def trial_objective(self, stats: Any):
        """Like ``objective``, for trial points of a line search after its first (more
        often refused than accepted), or None (the default) when that is the same."""
        return None

    def value_and_grad(self, theta: Theta, stats: Any) -> tuple[float, Theta]:
        """Average log-likelihood and its gradient at one point."""
        return self.objective(stats)(theta)

    def hessian(self, theta: Theta, stats: Any) -> np.ndarray:
        raise NotImplementedError

    def fisher(self, theta: Theta) -> np.ndarray:
        """Fisher information of one observation. Optional: without it Fisher scoring
        and the statistical scales use the observed information -H at the point."""
        raise NotImplementedError

    def information(self, theta: Theta, stats: Any) -> np.ndarray:
        """Observed information per observation, ``-H``: what standard errors use."""
        return -np.asarray(self.hessian(theta, stats), dtype=float)

    def scales(self, theta: Theta) -> Theta:
        """Statistical scale of each parameter at theta: sqrt(diag(F^-1)) for one
        observation. Gradients and steps are measured in these units, which makes
        the stopping rule free of the data's units. Raises NotImplementedError when
        the family has no Fisher information."""
        return scales_from(self.fisher(theta), theta)

    def natural_step(self, theta: Theta, grad, free=None) -> Theta:
        """F^-1 g (on the ``free`` parameters): how far the optimum is, to first order.
        With correlated parameters this differs much from g_i s_i^2: a gamma with a
        large shape has a ridge along which a and scale trade off."""
        return natural_step_from(self.fisher(theta), theta, grad, free)

    def frame(self, stats: Any) -> tuple | None:
        """``(centers, limits)``: a parameter farther than ``limits[i]`` from
        ``centers[i]`` (and moving away) has run away from the data. None (the
        default), or None in place of a pair of entries, leaves it to the one rule of
        :func:`gradmle.engine.frame`: locations and scales 100 times the data's range
        away from the data."""
        return None

    # -- parametrizations -------------------------------------------------------------
    #: The parametrization used when none is asked for.
    default_parametrization: str = "unconstrained"

    def parametrizations(self) -> dict:
        """Name -> one transform per parameter. ``"natural"`` optimizes the parameters
        as they are; ``"unconstrained"`` maps each constraint to its transform."""
        return {
            "natural": tuple(IDENTITY for _ in self.param_names),
            "unconstrained": tuple(c.transform for c in self.constraints),
        }

    # -- results ----------------------------------------------------------------------
    def frozen(self, params: dict, loc: float = 0.0):
        """The scipy.stats frozen distribution with these parameters; refused for a
        family that has none (a model of the user's)."""
        if not self.scipy_name:
            raise ValueError(f"the {self.name} model is no scipy.stats distribution, so it has no frozen form: "
                             f"evaluate its log-density at the estimates instead (model.logpdf(x, "
                             f"**model.full(result.params)))")
        import scipy.stats

        dist = getattr(scipy.stats, self.scipy_name)
        kw = dict(params)
        if self.shiftable:
            kw["loc"] = loc
        return dist(**kw)

    def zero_likelihood(self, theta, stats) -> str | None:
        """Why the likelihood is exactly 0 at theta, when the family's support moves with
        its parameters and leaves values outside (a sentence), else None: a log-likelihood
        of -inf there is no overflow."""
        return None

    def limit(self, result) -> str | None:
        """A sentence when the fit ran to the boundary of the parameter space (the
        maximum is not attained inside it), else None. See Student-t."""
        return None

    #: The family the fit tends to at that boundary (asked of the engine by name), the
    #: parameters whose run to the edge is that boundary (with any of them held fixed
    #: there is no such limit), and the names the others have in the limiting family.
    limit_family: str | None = None
    #: Whether the closed-form theory of the Normal (docs/normal.md: the stability
    #: bounds in xbar and s^2, the first-step overshoot) applies: the built-in Normal
    #: only, never a user's model, whatever its name.
    normal_theory: bool = False
    limit_params: tuple = ()
    limit_names: dict = {}

    # -- helpers ----------------------------------------------------------------------
    def in_domain(self, theta: Sequence[float]) -> bool:
        return all(c.check(v) for v, c in zip(theta, self.constraints))

    def outside(self, theta: Sequence[float]):
        """``(index, reason)`` when ``theta`` breaks a constraint that ties parameters
        together (each within its own bounds), else None. The families have none."""
        return None

    def __repr__(self) -> str:
        return f"<family {self.name}: {', '.join(self.param_names)}>"


def scales_from(info: np.ndarray, theta) -> Theta:
    """sqrt(diag(info^-1)); where the information is singular or lost to rounding (a
    parameter running to a limit), the parameter's own size stands in."""
    f = np.asarray(info, dtype=float)
    with np.errstate(all="ignore"):
        if f.shape == (2, 2):  # the common case, without a LAPACK call
            a, b, d = float(f[0, 0]), float(f[0, 1]), float(f[1, 1])
            det = a * d - b * b
            diag = [d / det, a / det] if det > 0 and math.isfinite(det) else [math.nan, math.nan]
        elif f.shape == (1, 1):
            diag = [1.0 / f[0, 0] if f[0, 0] > 0 else math.nan]
        else:
            try:
                diag = np.diag(np.linalg.inv(f)).tolist()
            except (np.linalg.LinAlgError, ValueError):
                diag = [math.nan] * len(theta)
    out = []
    for i, (v, t) in enumerate(zip(diag, theta)):
        if v > 0 and math.isfinite(v):
            out.append(math.sqrt(v))
            continue
        # The information is not positive definite here (far from the optimum of a model,
        # or a parameter running to a limit): the parameter's own curvature, else its size.
        fii = float(f[i, i]) if f.ndim == 2 and f.shape[0] > i else math.nan
        out.append(1.0 / math.sqrt(fii) if fii > 0 and math.isfinite(fii) else (abs(t) if t else 1.0))
    return tuple(out)


def natural_step_from(info: np.ndarray, theta, grad, free=None) -> Theta:
    """info^-1 g on the ``free`` parameters (all when None), 0 for the others; g_i s_i^2
    where the information cannot be solved."""
    p = len(theta)
    f = np.asarray(info, dtype=float)
    if p == 2 and free is None:  # the common case, in Python floats
        a, b, d = float(f[0, 0]), float(f[0, 1]), float(f[1, 1])
        det = a * d - b * b
        if det > 0 and math.isfinite(det):
            g0, g1 = grad
            return ((d * g0 - b * g1) / det, (a * g1 - b * g0) / det)
    idx = list(range(p)) if free is None else list(free)
    ok = False
    if np.all(np.isfinite(f)):
        try:
            with np.errstate(all="ignore"):
                step = np.linalg.solve(f[np.ix_(idx, idx)], np.array([grad[i] for i in idx], dtype=float))
            ok = bool(np.all(np.isfinite(step)))
        except np.linalg.LinAlgError:
            pass
    out = [0.0] * p
    if ok:
        for i, v in zip(idx, step.tolist()):
            out[i] = v
        return tuple(out)
    scales = scales_from(f, theta)
    for i in idx:
        out[i] = grad[i] * scales[i] * scales[i]
    return tuple(out)


class PassFamily(Family):
    """A family without sufficient statistics whose every evaluation is one pass:
    ``chunk_sums`` and ``assemble`` give the value, gradient and Hessian together, and
    the Sample's cache makes the Hessian at an evaluated point free."""

    sufficient = False
    #: True when every sum of ``chunk_sums`` is a weighted sum of a smooth function of
    #: each value: a large sample in memory is then summed as the Gauss points of narrow
    #: cells of its values (:func:`gradmle.condense.condensed_pass`).
    condensable: bool = False

    def _pass(self, theta, sample: Sample):
        if self.condensable:
            from ..condense import condensed_pass

            out = condensed_pass(self, theta, sample)
            if out is not None:
                return out
        return self.assemble(theta, sample.total(lambda c: self.chunk_sums(theta, c, sample.extra)), sample.n,
                             sample.extra)

    def condensed(self, sample: Sample) -> str | None:
        """How the evaluations summed the sample, for the result's info (None: value by
        value)."""
        cells = sample.extra.get("cells") if isinstance(sample, Sample) else None
        return None if cells is None else cells.describe(sample.extra.get("cells_gap", 0.0))

    def objective(self, sample: Sample):
        nan = (math.nan,) * len(self.param_names)

        def compute(theta):
            return self._pass(theta, sample)

        def value_and_grad(theta):
            if not self.in_domain(theta):
                return -math.inf, nan
            value, grad, _ = sample.at(theta, compute)
            return value, grad

        return value_and_grad

    def hessian(self, theta, sample: Sample) -> np.ndarray:
        return sample.at(theta, lambda t: self._pass(t, sample))[2]


__all__ = ["Family", "PassFamily", "Sample", "split", "Cached", "Refine", "StatisticsOverflow", "CHUNK", "REAL", "Constraint",
           "scales_from", "natural_step_from"]
