"""The family protocol: what a distribution must provide to be fitted.

A family works from a reduction of the data (its sufficient statistics where it has
them) and evaluates the *average* log-likelihood, its gradient and Hessian from that
reduction. Everything is on the natural scale of the parameters; transforms to an
unconstrained scale live in :mod:`gradmle.parametrize`.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..parametrize import IDENTITY, for_constraint

Theta = tuple  # a tuple of Python floats, in the order of ``Family.param_names``

#: Values per chunk when a reduction works through the data piece by piece (cache-sized).
CHUNK = 1 << 16


def chunked(x: np.ndarray, size: int = CHUNK):
    """Yield ``(chunk, scratch)`` pairs over ``x``: ``scratch`` is a buffer of the
    chunk's length for temporaries, reused across chunks."""
    buf = np.empty(min(size, x.size))
    for i in range(0, x.size, size):
        c = x[i : i + size]
        yield c, buf[: c.size]

#: Constraints a parameter may declare.
CONSTRAINTS = ("real", "positive", "unit_interval")
#: Supports a family may declare (what values the data may take).
SUPPORTS = ("real", "positive", "nonnegative", "unit_interval", "counts")


class StatisticsOverflow(ValueError):
    """The data are finite but their sums overflow float64: fit them rescaled."""


class Sample:
    """The data, kept for families without sufficient statistics (each evaluation is
    a pass), with a one-entry cache: the objective stores what one pass computed at
    the last theta, so the Hessian at that same theta costs nothing more.

    The data are an in-memory array ``x``, or (see gradmle.streaming) a source read
    chunk by chunk on every pass; ``passes`` counts the passes made."""

    __slots__ = ("x", "extra", "cache", "source", "passes", "size")

    def __init__(self, x: np.ndarray | None, source=None, n: int | None = None, **extra):
        self.x = x
        self.source = source
        self.size = x.size if x is not None else n
        self.extra = extra
        self.cache: dict = {}
        self.passes = 0

    @property
    def n(self) -> int:
        return self.size

    def at(self, theta, compute):
        """``compute(theta)``, remembered for the last theta asked."""
        theta = tuple(theta)
        if self.cache.get("theta") != theta:
            value = compute(theta)  # (stored after: a computation that raised leaves no entry)
            self.cache["theta"], self.cache["value"] = theta, value
        return self.cache["value"]

    def total(self, fn) -> np.ndarray:
        """``fn(chunk)`` summed over the data: one pass. In-memory data go in
        cache-sized chunks, so that the temporaries of ``fn`` stay in cache."""
        self.passes += 1
        # Far from the optimum (a trial point of a line search) sums may overflow: the
        # family turns a non-finite value into -inf, so numpy need not warn about it.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            if self.x is None:
                return self.source.total(fn)
            x = self.x
            acc = fn(x[:CHUNK])
            for i in range(CHUNK, x.size, CHUNK):
                acc = acc + fn(x[i : i + CHUNK])
            return acc


class Family:
    """Base class of distribution families.

    Subclasses set ``name``, ``param_names`` and ``constraints`` and implement the
    methods below. ``loglik``, ``grad`` and ``hessian`` are averages over the sample
    (so they do not grow with n) and receive the statistics returned by ``reduce``.
    """

    name: str = ""
    param_names: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    #: The values the data may take (see ``SUPPORTS``).
    support: str = "real"
    #: The scipy.stats distribution with the same parameters (``result.frozen()``).
    scipy_name: str = ""
    #: True when the support starts at ``loc`` and ``loc`` is not estimated: then
    #: ``fixed={"loc": c}`` fits the data minus c (default 0), as scipy's ``floc``.
    shiftable: bool = False
    #: True when ``reduce`` yields statistics that make every evaluation O(1); False
    #: when each evaluation of the likelihood is a pass over the data.
    sufficient: bool = True
    #: How each parameter scales with the data's units (1 for loc and scale, 0 for a
    #: shape), or None when the family cannot be rescaled (counts, the unit interval).
    scale_power: tuple[int, ...] | None = None
    #: False when the log-likelihood has kinks (Laplace in loc): "auto" then returns
    #: the closed form instead of iterating.
    smooth: bool = True
    #: True when ``reduce`` itself detects NaN and infinite values (its statistics come
    #: out non-finite) and then calls ``refuse_nonfinite``: the separate pass that
    #: checks every value is skipped.
    checks_finite: bool = False

    # -- data ---------------------------------------------------------------
    def reduce(self, x: np.ndarray) -> Any:
        """One pass over the validated sample; returns what the objective needs.
        Raises ValueError (via ``check_support``) for data outside the support and
        for data from which the MLE does not exist (e.g. all values equal).

        The default, for families with sufficient statistics: the partials of
        cache-sized chunks, combined pairwise, then ``finish``."""
        from ..stats import tree

        self.check_support(x)
        return self.finish(tree([self.partial(c, buf) for c, buf in chunked(x)], self.combine))

    # -- data in pieces (files, iterables, Dask): see gradmle.streaming -------
    # A family with sufficient statistics reduces each chunk to a small ``partial``,
    # combines partials pairwise and ``finish``es them into its statistics. A family
    # without them gives ``prepare`` (what a first pass must learn: the start, the
    # frame), ``chunk_sums`` (the sums one evaluation needs, from one chunk) and
    # ``assemble`` (value, gradient and Hessian from the summed sums).

    def partial(self, chunk: np.ndarray, buf: np.ndarray | None = None) -> Any:
        """The statistics of one chunk (``buf``: scratch space of the chunk's size)."""
        raise NotImplementedError

    def combine(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def finish(self, partial: Any) -> Any:
        raise NotImplementedError

    @property
    def streamable(self) -> bool:
        """Whether data in pieces can be fitted without loading them whole."""
        cls = type(self)
        if self.sufficient:
            return cls.partial is not Family.partial
        return cls.chunk_sums is not Family.chunk_sums

    def prepare(self, moments_and_more: dict) -> Any:
        raise NotImplementedError

    def chunk_sums(self, theta, chunk: np.ndarray, extra: dict) -> np.ndarray:
        raise NotImplementedError

    def assemble(self, theta, sums: np.ndarray, n: int, extra: dict):
        raise NotImplementedError

    def check_support(self, x: np.ndarray) -> None:
        """Refuse data outside the support, naming how many values and an example."""
        s = self.support
        if s == "real":
            return
        # Fast path: a min/max over the data settles the continuous supports.
        if s == "positive" and x.min() > 0:
            return
        if s == "unit_interval" and x.min() > 0 and x.max() < 1:
            return
        if s == "positive":
            bad, rule = x <= 0, "> 0"
        elif s == "nonnegative":
            bad, rule = x < 0, ">= 0"
        elif s == "unit_interval":
            bad, rule = (x <= 0) | (x >= 1), "strictly between 0 and 1"
        else:  # counts
            bad, rule = (x < 0) | (x != np.floor(x)), "whole numbers >= 0"
        k = int(np.count_nonzero(bad))
        if k:
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{k} of {x.size} values are outside the support of the {self.name} family "
                f"(values must be {rule}); the first is {float(x[i])!r} at index {i}"
            )

    def magnitude(self, stats: Any) -> float:
        """A typical size of the data, from the statistics (families that check
        their own data, see ``checks_finite``, use it to decide on rescaling)."""
        return 1.0

    def refuse_nonfinite(self, x: np.ndarray) -> None:
        """Called when the reduction came out non-finite: name the culprit."""
        from ..data import check_finite

        check_finite(x)
        self.check_support(x)
        raise StatisticsOverflow(
            f"the {self.name} family's statistics of these data overflow float64 "
            f"(values from {float(x.min())!r} to {float(x.max())!r}); rescale the data"
        )

    def check_spread(self, x_min: float, x_max: float, n: int) -> None:
        """Refuse data whose values are all equal: no MLE exists (the scale -> 0)."""
        if x_min == x_max:
            raise ValueError(
                f"all {n} values are equal ({x_min!r}): the {self.name} MLE does not exist "
                "(the fit would degenerate to a point mass)"
            )

    def initial(self, stats: Any) -> Theta:
        """A start computed from the reduction (moment estimates)."""
        raise NotImplementedError

    def closed_form(self, stats: Any, fixed: dict | None = None) -> Theta | None:
        """The MLE in closed form, or None when the family has none. With ``fixed``
        ({index: value}) it is the restricted MLE, the maximizer over the free
        parameters with the others held at those values (None when that has no
        closed form)."""
        return None

    # -- objective ----------------------------------------------------------
    def objective(self, stats: Any):
        """``theta -> (value, grad)``: the average log-likelihood and its gradient,
        bound to the statistics (the hot loop calls this; keep it lean).

        Must not raise for any theta: outside the parameter space it returns
        ``(-inf, (nan, ...))`` so that the driver can report what happened.
        """
        raise NotImplementedError

    def value_and_grad(self, theta: Theta, stats: Any) -> tuple[float, Theta]:
        """Average log-likelihood and its gradient at one point."""
        return self.objective(stats)(theta)

    def hessian(self, theta: Theta, stats: Any) -> np.ndarray:
        raise NotImplementedError

    def fisher(self, theta: Theta) -> np.ndarray:
        """Fisher information of one observation."""
        raise NotImplementedError

    def information(self, theta: Theta, stats: Any) -> np.ndarray:
        """Observed information per observation, ``-H``: what standard errors use."""
        return -np.asarray(self.hessian(theta, stats), dtype=float)

    def scales(self, theta: Theta) -> Theta:
        """Statistical scale of each parameter at theta: sqrt(diag(F^-1)) for one
        observation. Gradients and steps are measured in these units, which makes
        the stopping rule free of the data's units."""
        f = self.fisher(theta)
        if f.shape == (2, 2):  # the common case, without a LAPACK call
            a, b, d = float(f[0, 0]), float(f[0, 1]), float(f[1, 1])
            det = a * d - b * b
            diag = [d / det, a / det] if det > 0 else [math.nan, math.nan]
        else:
            try:
                diag = np.diag(np.linalg.inv(f)).tolist()
            except np.linalg.LinAlgError:
                diag = [math.nan] * len(theta)
        # Where the information is singular or lost to rounding (a parameter running to
        # a limit), fall back on the parameter's own size.
        return tuple(math.sqrt(v) if v > 0 and math.isfinite(v) else max(abs(t), 1e-300)
                     for v, t in zip(diag, theta))

    def natural_step(self, theta: Theta, grad, free=None) -> Theta:
        """F^-1 g (on the ``free`` parameters): how far the optimum is, to first order.
        With correlated parameters this differs much from g_i s_i^2: a gamma with a
        large shape has a ridge along which a and scale trade off."""
        p = len(theta)
        if p == 2 and free is None:  # the common case, in Python floats
            f = self.fisher(theta)
            a, b, d = float(f[0, 0]), float(f[0, 1]), float(f[1, 1])
            det = a * d - b * b
            if det > 0 and math.isfinite(det):
                g0, g1 = grad
                return ((d * g0 - b * g1) / det, (a * g1 - b * g0) / det)
        idx = list(range(p)) if free is None else list(free)
        try:
            f = np.asarray(self.fisher(theta), dtype=float)[np.ix_(idx, idx)]
            with np.errstate(all="ignore"):
                step = np.linalg.solve(f, np.array([grad[i] for i in idx], dtype=float))
            ok = bool(np.all(np.isfinite(step)))
        except (NotImplementedError, np.linalg.LinAlgError):
            ok = False
        out = [0.0] * p
        if ok:
            for i, v in zip(idx, step.tolist()):
                out[i] = v
            return tuple(out)
        scales = self.scales(theta)
        for i in idx:
            out[i] = grad[i] * scales[i] * scales[i]
        return tuple(out)

    def frame(self, stats: Any) -> tuple[Theta, Theta]:
        """``(centers, limits)``: a parameter farther than ``limits[i]`` from
        ``centers[i]`` (and moving away) has run away from the data."""
        raise NotImplementedError

    # -- parametrizations -----------------------------------------------------
    #: The parametrization used when none is asked for.
    default_parametrization: str = "unconstrained"

    def parametrizations(self) -> dict:
        """Name -> one transform per parameter. ``"natural"`` optimizes the parameters
        as they are; ``"unconstrained"`` maps each constraint to its transform."""
        return {
            "natural": tuple(IDENTITY for _ in self.param_names),
            "unconstrained": tuple(for_constraint(c) for c in self.constraints),
        }

    # -- results ------------------------------------------------------------
    def frozen(self, params: dict, loc: float = 0.0):
        """The scipy.stats frozen distribution with these parameters."""
        import scipy.stats

        dist = getattr(scipy.stats, self.scipy_name)
        kw = dict(params)
        if self.shiftable:
            kw["loc"] = loc
        return dist(**kw)

    def limit(self, result) -> str | None:
        """A sentence when the fit ran to the boundary of the parameter space (the
        maximum is not attained inside it), else None. See Student-t."""
        return None

    # -- helpers ------------------------------------------------------------
    def in_domain(self, theta: Sequence[float]) -> bool:
        for v, c in zip(theta, self.constraints):
            if not math.isfinite(v) or (c == "positive" and not v > 0) or (c == "unit_interval" and not 0 < v < 1):
                return False
        return True

    def __repr__(self) -> str:
        return f"<family {self.name}: {', '.join(self.param_names)}>"


class PassFamily(Family):
    """A family without sufficient statistics whose every evaluation is one pass:
    ``chunk_sums`` and ``assemble`` give the value, gradient and Hessian together, and
    the Sample's cache makes the Hessian at an evaluated point free."""

    sufficient = False

    def _pass(self, theta, sample: Sample):
        return self.assemble(theta, sample.total(lambda c: self.chunk_sums(theta, c, sample.extra)), sample.n,
                             sample.extra)

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
