"""A model of the user's: any per-observation log-density, fitted by the same engine as
the built-in families (the same driver, stopping rule, diagnosis, standard errors).

The derivatives come from JAX when the log-density is written with ``jax.numpy`` and
JAX is installed (value, gradient and Hessian jit-compiled, evaluated in float64 inside
``jax.enable_x64`` so that the user's own JAX setting is left as it was); from the
user's hand-written ``grad=`` (and ``hess=``), which are checked against finite
differences at the start; or, with neither, from finite differences, and the result
says so.

A model has no sufficient statistics: every evaluation is one pass over the data, and
the value, gradient and Hessian at a point come from the same pass (cached, so that a
Newton iteration costs one pass), for data in memory and data in pieces alike; a line
search's trial points after its first, more often refused than accepted, take a pass
for the value and gradient alone when the data are held by JAX.

The parts of a model: its parameters (:mod:`gradmle.modelparams`), derivatives by JAX
(:mod:`gradmle.modeljax`) or by central differences (:mod:`gradmle.modelnumeric`), the
checks at the start (:mod:`gradmle.modelcheck`); this module puts them together and
runs the passes over the data.
"""

from __future__ import annotations

import math
import sys
from typing import Callable

import numpy as np

from .families.base import PassFamily, Sample
from .modelcheck import brief, check_start, raised_at
from .modeljax import JaxDerivatives, to_jax, x64
from .modelnumeric import central, hessian_from_grad, score_outer, steps as difference_steps, totals
from .modelparams import Parameters, components_of, declare
from .verdict import verdict

# (brief and raised_at: the command line and model files name the user's errors with them)
__all__ = ["Model", "brief", "raised_at"]

#: How each way of computing derivatives is described.
DERIVATIVES = {"jax": "value, gradient and Hessian jit-compiled",
               "numeric": "central differences: no JAX function and no grad= were given"}


class Model(Parameters, JaxDerivatives, PassFamily):
    """A model from a per-observation log-density.

    Parameters
    ----------
    logpdf : callable
        ``logpdf(x, **params) -> array``: the log-density of each observation in ``x``
        (a 1-D array), with the parameters as keyword arguments (floats, or 1-D arrays
        for vector parameters). Written with ``jax.numpy``, it is differentiated by JAX.
    params : dict
        Name -> constraint (``"real"``, ``"positive"``, ``"unit_interval"``), or
        ``(constraint, length)`` for a vector parameter, reported flat as ``beta[0]``,
        ``beta[1]``, ... A vector's constraint may also tie its elements together:
        ``("simplex", 3)`` (mixture weights: each > 0, summing to 1; the last is implied
        by the others, so the fit reports ``w[0]``, ``w[1]``, and ``model.full(params)``
        gives all three) or ``("ordered", 2)`` (strictly increasing, e.g. component
        means; the start must be ordered too).
    grad, hess : callable, optional
        Hand-written derivatives with the log-density's signature, returning the
        gradient (the Hessian) of the MEAN log-density over ``x``, in the order of
        ``params`` (vectors flattened). The gradient is checked against finite
        differences at the start.
    derivatives : {"auto", "jax", "hand", "numeric"}
        How derivatives are computed; "auto" takes the hand-written ones if given, else
        JAX if it can trace ``logpdf``, else finite differences.
    name : str, optional
    components : sequence of str, optional
        Vector parameters of equal length whose elements belong to interchangeable
        components (a mixture's ``("w", "mu", "sigma")``): the likelihood is the same
        for every labelling, and the fit reports the components in increasing order of
        the first one named (the trace keeps the run's labels).

    The end of a run is judged as for the families, and more: a likelihood that grows
    without limit as a scale collapses (a mixture component on one observation) ends
    with status "boundary" and outcome "unbounded"; a weight run to 0 or 1 with
    "boundary"; a likelihood flat along a direction (parameters the data do not
    determine) with "not_identified", naming the direction; a saddle point with
    "stalled". None of these is reported as converged.

    Examples
    --------
    >>> import numpy as np, gradmle
    >>> def logpdf(x, mu, sigma):
    ...     return -0.5 * np.log(2 * np.pi) - np.log(sigma) - 0.5 * ((x - mu) / sigma) ** 2
    >>> m = gradmle.Model(logpdf, {"mu": "real", "sigma": "positive"}, derivatives="numeric")
    >>> x = np.random.default_rng(0).normal(2.0, 1.0, 500)
    >>> r = gradmle.fit(x, family=m, init={"mu": 0.0, "sigma": 1.0})
    >>> r.status, bool(abs(r.params["mu"] - x.mean()) < 1e-8)
    ('converged', True)
    """

    learns: tuple = ()
    support = "real"
    #: A model may receive several named columns: a mapping name -> array, when the
    #: data have several columns (see ``gradmle.fit``'s ``columns``).
    takes_columns = True

    def __init__(self, logpdf: Callable, params: dict, grad: Callable | None = None, hess: Callable | None = None,
                 derivatives: str = "auto", name: str | None = None, components=None):
        if not callable(logpdf):
            raise TypeError(f"logpdf must be a function logpdf(x, **params), got {logpdf!r}")
        if not hasattr(params, "items") or not params:
            raise TypeError(f"params must be a dict of constraints by parameter name, got {params!r}")
        self.logpdf = logpdf
        self.blocks, self.param_names, self.constraints = declare(params)
        self.name = name or getattr(logpdf, "__name__", "model")
        self.components = components_of(self.blocks, components)
        self.user_grad, self.user_hess = grad, hess
        if derivatives not in ("auto", "jax", "hand", "numeric"):
            raise ValueError(f"unknown derivatives {derivatives!r}; valid: auto, jax, hand, numeric")
        if derivatives == "hand" and grad is None:
            raise ValueError("derivatives='hand' needs grad= (and optionally hess=)")
        if grad is not None and any(b.vector is not None and b.vector.implied for b in self.blocks):
            raise ValueError("a hand-written grad= cannot be given with a simplex parameter (its last element is "
                             "implied by the others); use JAX or numeric derivatives")
        self.requested = derivatives
        self._jax = None
        self._backend = None

    # -- parameters (their layout: gradmle.modelparams) -------------------------------------
    def in_domain(self, theta) -> bool:
        return super().in_domain(theta) and self.outside(theta) is None

    # -- the start ---------------------------------------------------------------------------
    def prepare(self, info: dict) -> dict:
        return {}

    def initial(self, sample: Sample):
        # A model has no moment estimates: the start is the user's (see gradmle.engine.start).
        return (math.nan,) * len(self.param_names)

    # -- derivatives --------------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """How the derivatives are computed: "jax", "hand" or "numeric" (decided at the
        first evaluation, on the data: see ``choose_backend``)."""
        return self._backend or "undecided"

    def choose_backend(self, probe) -> str:
        """Decide how derivatives are computed, trying the log-density on ``probe`` (a
        few observations) where JAX is to trace it."""
        if self._backend is None:
            if self.requested == "hand" or (self.requested == "auto" and self.user_grad is not None):
                self._backend = "hand"
            elif self.requested in ("auto", "jax") and self._make_jax(self.requested == "jax", probe):
                self._backend = "jax"
            else:
                self._backend = "numeric"
        return self._backend

    def _values(self, thetas: np.ndarray, chunk: np.ndarray) -> np.ndarray:
        """Sum of the log-density over the chunk at each row of ``thetas``."""
        return totals(lambda t: self.each(chunk, t), thetas, chunk.shape)

    def values(self, thetas, chunk) -> np.ndarray:
        """The total log-likelihood of the chunk at each row of ``thetas`` (for
        pictures of the likelihood surface): one vectorized JAX call per batch of
        rows when the derivatives come from JAX, else a loop over the rows."""
        thetas = np.asarray(thetas, dtype=float).reshape(-1, len(self.param_names))
        if self.choose_backend(chunk[:2]) != "jax":
            return self._values(thetas, chunk)
        return self._jax_values(thetas, chunk)

    def each(self, chunk, theta) -> np.ndarray:
        """The log-density of each observation of the chunk at theta, in float64 (a
        JAX log-density is evaluated inside ``jax.enable_x64``)."""
        jax = sys.modules.get("jax")
        if jax is None:
            return np.asarray(self.logpdf(chunk, **self.unflatten(theta)), dtype=float)
        with x64(jax):
            if self._backend == "jax":  # compiled: one compilation per chunk size, not one per operation
                jnp, each = self._jax[1], self._jax[4]
                return np.asarray(each(to_jax(jnp, theta), to_jax(jnp, chunk)), dtype=float)
            return np.asarray(self.logpdf(chunk, **self.unflatten(theta)), dtype=float)

    def steps(self, theta) -> np.ndarray:
        """The steps of the central differences at theta (see :mod:`gradmle.modelnumeric`)."""
        return difference_steps(theta)

    def chunk_sums(self, theta, chunk: np.ndarray, extra=None) -> np.ndarray:
        """[sum of values, sum of gradients (k), sum of Hessians (k x k)]."""
        k = len(theta)
        backend = self.choose_backend(chunk[:2])
        if backend == "jax":
            jax, jnp, sums, _, _ = self._jax
            with x64(jax):
                return np.asarray(sums(to_jax(jnp, theta), to_jax(jnp, chunk)), dtype=float)
        params = self.unflatten(theta)
        if backend == "hand":
            v = self.each(chunk, theta)
            value = float(v.sum()) if v.shape == chunk.shape else math.nan
            g = np.asarray(self.user_grad(chunk, **params), dtype=float).ravel() * chunk.size
            if self.user_hess is not None:
                h = np.asarray(self.user_hess(chunk, **params), dtype=float).reshape(k, k) * chunk.size
            else:
                h = self._fd_hessian_from_grad(theta, chunk)
            return np.concatenate([[value], g, h.ravel()])
        return self._numeric(theta, chunk)

    def _fd_hessian_from_grad(self, theta, chunk) -> np.ndarray:
        """The sum over the chunk of the Hessians, by central differences of the
        hand-written gradient (of the mean)."""
        return hessian_from_grad(lambda t: self.user_grad(chunk, **self.unflatten(t)), theta, chunk.size)

    def _numeric(self, theta, chunk) -> np.ndarray:
        """Value, gradient and Hessian by central differences, all from one pass over
        the chunk (the log-density evaluated at every point the differences need)."""
        return central(lambda points: self._values(points, chunk), theta)

    def assemble(self, theta, sums: np.ndarray, n: int, extra=None):
        k = len(theta)
        value = float(sums[0]) / n
        if not math.isfinite(value):
            return -math.inf, (math.nan,) * k, np.full((k, k), math.nan)
        grad = tuple(float(v) / n for v in sums[1 : 1 + k])
        hess = np.asarray(sums[1 + k :], dtype=float).reshape(k, k) / n
        return value, grad, hess

    def _outer_sums(self, theta, chunk) -> np.ndarray:
        """The sum over the chunk of the outer products of per-observation scores: by
        JAX, else by central differences of each observation's log-density."""
        if self.choose_backend(chunk[:2]) == "jax":
            jax, jnp, _, outer, _ = self._jax
            with x64(jax):
                return np.asarray(outer(to_jax(jnp, theta), to_jax(jnp, chunk)), dtype=float)
        return score_outer(lambda t: self.each(chunk, t), theta)

    def plan_passes(self, sample: Sample, information: bool) -> None:
        """What each pass of the coming run sums: with ``information`` (Fisher scoring),
        the outer products of the per-observation scores too, so that the empirical
        information at a point comes from the same pass as the value and gradient."""
        sample.extra["outer"] = information

    def trial_objective(self, sample: Sample):
        """The value and gradient at a trial point of a line search after its first
        (more often refused than accepted): for data held by JAX, from a pass that
        computes no Hessian, a fraction of the cost of one that does; the point's
        Hessian, if it is accepted, then costs one pass more. Not cached: an accepted
        point is evaluated in full when its Hessian is asked."""
        full = self.objective(sample)
        nan = (math.nan,) * len(self.param_names)

        def value_and_grad(theta):
            theta = tuple(theta)
            chunks = None if theta in sample.cache or not self.in_domain(theta) else self._resident(sample)
            if chunks is None or sample.extra.get("outer"):
                return full(theta)
            sample.source.passes += 1
            sums = self._resident_vg(theta, chunks)
            value = float(sums[0]) / sample.n
            if not math.isfinite(value):
                return -math.inf, nan
            return value, tuple(float(v) / sample.n for v in sums[1:])

        return value_and_grad

    def _pass(self, theta, sample: Sample):
        k = len(theta)
        outer = sample.extra.get("outer")
        chunks = self._resident(sample)
        if chunks is not None:
            sample.source.passes += 1
            sums = self._resident_total(theta, chunks, outer)
        elif not outer:
            return super()._pass(theta, sample)
        else:
            sums = sample.total(lambda c: np.concatenate([self.chunk_sums(theta, c), self._outer_sums(theta, c)]))
        if not outer:
            return self.assemble(theta, sums, sample.n)
        sample.extra["outer_at"] = (tuple(float(v) for v in theta), sums[1 + k + k * k :].reshape(k, k) / sample.n)
        return self.assemble(theta, sums[: 1 + k + k * k], sample.n)

    def empirical_information(self, theta, sample: Sample) -> np.ndarray:
        """The mean outer product of the per-observation scores at theta: what Fisher
        scoring uses where no expected information is declared (summed in the pass that
        evaluated theta while a run plans for it, see ``plan_passes``; else one more pass)."""
        key = tuple(float(v) for v in theta)
        found = sample.extra.get("outer_at")
        if found is None or found[0] != key:
            k = len(key)
            chunks = self._resident(sample)
            if chunks is not None:
                sample.source.passes += 1
                total = self._resident_total(key, chunks, True, sums=False)
            else:
                total = np.asarray(sample.total(lambda c: self._outer_sums(key, c)), dtype=float)
            found = sample.extra["outer_at"] = (key, total.reshape(k, k) / sample.n)
        return found[1]

    # -- the verdict at the end ----------------------------------------------------------------
    def verdict(self, theta, start, status: str, sample: Sample, fixed=()):
        """The non-regular ends real models have (see :func:`gradmle.verdict.verdict`)."""
        return verdict(self, theta, start, status, sample, fixed)

    # -- checks at the start ----------------------------------------------------------------
    def check_at_start(self, theta, sample: Sample) -> None:
        """Refuse a start where the log-density is not finite or has the wrong shape, and
        a hand-written gradient that disagrees with finite differences there (see
        :func:`gradmle.modelcheck.check_start`)."""
        check_start(self, theta, sample)

    # -- description ----------------------------------------------------------------------
    def derivatives_detail(self) -> str:
        """How the derivatives in use are computed, in a few words."""
        if self.backend == "hand":
            return "the hand-written grad= and hess=" if self.user_hess else \
                "the hand-written grad=, the Hessian by differences of it"
        return DERIVATIVES[self.backend]

    def describe_derivatives(self) -> str:
        """``"jax (value, gradient and Hessian jit-compiled)"``, ``"hand (...)"`` or
        ``"numeric (...)"``: the line of a fit's summary."""
        return f"{self.backend} ({self.derivatives_detail()})"

    def __repr__(self) -> str:
        return f"<Model {self.name}: {', '.join(self.param_names)}>"
