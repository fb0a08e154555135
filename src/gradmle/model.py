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
Newton iteration costs one pass), for data in memory and data in pieces alike.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable

import numpy as np

from .constraints import Constraint, as_constraint
from .families.base import PassFamily, Sample

__all__ = ["Model"]

#: Finite differences use steps of this size relative to each parameter's scale
#: (eps^(1/3): the error of a central difference is then of order eps^(2/3)).
FD_STEP = 6e-6
#: A hand-written gradient is refused when it differs from finite differences by more
#: than this, relative to the size of the gradient (or of the values around it).
GRAD_CHECK = 1e-4


def _param_spec(name: str, spec) -> tuple[Constraint, int | None]:
    """(constraint, length or None for a scalar) from ``"positive"`` or ``("real", 3)``."""
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and isinstance(spec[1], numbers.Integral):
        length = int(spec[1])
        if length < 1:
            raise ValueError(f"params[{name!r}]: a vector parameter needs a length >= 1, got {length}")
        return as_constraint(spec[0]), length
    try:
        return as_constraint(spec), None
    except ValueError:
        raise ValueError(f"params[{name!r}] = {spec!r}: give a constraint (real, positive, unit_interval) or "
                         "(constraint, length) for a vector") from None


def _x64(jax):
    """A context in which JAX computes in float64, leaving the user's own setting as it
    was outside it."""
    state = getattr(jax, "enable_x64", None)
    if state is not None:
        return state(True)
    from jax.experimental import enable_x64  # (older JAX)

    return enable_x64()


def _to_jax(jnp, x):
    """A chunk (an array, or Columns by name) as JAX float64 arrays."""
    if hasattr(x, "items"):
        return {k: jnp.asarray(v, dtype=jnp.float64) for k, v in x.items()}
    return jnp.asarray(x, dtype=jnp.float64)


class Model(PassFamily):
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
        ``beta[1]``, ...
    grad, hess : callable, optional
        Hand-written derivatives with the log-density's signature, returning the
        gradient (the Hessian) of the MEAN log-density over ``x``, in the order of
        ``params`` (vectors flattened). The gradient is checked against finite
        differences at the start.
    derivatives : {"auto", "jax", "hand", "numeric"}
        How derivatives are computed; "auto" takes the hand-written ones if given, else
        JAX if it can trace ``logpdf``, else finite differences.
    name : str, optional

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

    def __init__(self, logpdf: Callable, params: dict, grad: Callable | None = None, hess: Callable | None = None,
                 derivatives: str = "auto", name: str | None = None):
        if not callable(logpdf):
            raise TypeError(f"logpdf must be a function logpdf(x, **params), got {logpdf!r}")
        if not hasattr(params, "items") or not params:
            raise TypeError(f"params must be a dict of constraints by parameter name, got {params!r}")
        self.logpdf = logpdf
        self.blocks = []
        names, constraints = [], []
        for pname, spec in params.items():
            if not isinstance(pname, str) or not pname.isidentifier():
                raise ValueError(f"parameter name {pname!r} must be a Python identifier (a keyword of logpdf)")
            constraint, length = _param_spec(pname, spec)
            self.blocks.append((pname, length))
            if length is None:
                names.append(pname)
                constraints.append(constraint)
            else:
                names += [f"{pname}[{i}]" for i in range(length)]
                constraints += [constraint] * length
        self.param_names = tuple(names)
        self.constraints = tuple(constraints)
        self.name = name or getattr(logpdf, "__name__", "model")
        self.user_grad, self.user_hess = grad, hess
        if derivatives not in ("auto", "jax", "hand", "numeric"):
            raise ValueError(f"unknown derivatives {derivatives!r}; valid: auto, jax, hand, numeric")
        if derivatives == "hand" and grad is None:
            raise ValueError("derivatives='hand' needs grad= (and optionally hess=)")
        self.requested = derivatives
        self._jax = None
        self._backend = None

    # -- parameters -----------------------------------------------------------------------
    def unflatten(self, theta) -> dict:
        """The parameters as the log-density receives them (vectors as arrays)."""
        out, i = {}, 0
        for pname, length in self.blocks:
            if length is None:
                out[pname] = theta[i]
                i += 1
            else:
                out[pname] = np.asarray(theta[i : i + length], dtype=float)
                i += length
        return out

    def flatten_values(self, values, what: str) -> dict:
        """``{"beta": [0, 0, 0]}`` -> ``{"beta[0]": 0, ...}``: vector values given as lists."""
        out = {}
        vectors = {pname: length for pname, length in self.blocks if length is not None}
        for key, value in values.items():
            if key in vectors:
                v = np.asarray(value, dtype=object).ravel()
                if v.size != vectors[key]:
                    raise ValueError(f"{what}[{key!r}] has {v.size} values; {key} has length {vectors[key]}")
                out.update({f"{key}[{i}]": val for i, val in enumerate(v.tolist())})
            else:
                out[key] = value
        return out

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

    def _make_jax(self, required: bool, probe) -> bool:
        try:
            import jax
            import jax.numpy as jnp
        except ImportError:
            if required:
                raise ValueError("derivatives='jax' needs JAX: pip install 'gradmle[jax]'") from None
            return False
        logpdf, unflatten_blocks = self.logpdf, self.blocks

        def params_of(theta):
            out, i = {}, 0
            for pname, length in unflatten_blocks:
                if length is None:
                    out[pname] = theta[i]
                    i += 1
                else:
                    out[pname] = theta[i : i + length]
                    i += length
            return out

        def total(theta, x):
            return jnp.sum(logpdf(x, **params_of(theta)))

        def one(theta, xi):
            return logpdf(xi, **params_of(theta))

        value_grad = jax.jit(jax.value_and_grad(total))
        hessian = jax.jit(jax.hessian(total))
        scores = jax.jit(lambda theta, x: jax.vmap(jax.grad(one), in_axes=(None, 0))(theta, x))
        self._jax = (jax, jnp, value_grad, hessian, scores)
        # A first call proves the log-density traceable (or it is not a JAX function).
        try:
            with _x64(jax):
                t = jnp.ones(len(self.param_names), dtype=jnp.float64) * 0.5
                value_grad(t, _to_jax(jnp, probe))
        except Exception as exc:  # not written with jax.numpy: numeric derivatives instead
            self._jax = None
            if required:
                raise ValueError(f"logpdf cannot be traced by JAX ({type(exc).__name__}: {exc})") from None
            return False
        return True

    def _values(self, thetas: np.ndarray, chunk: np.ndarray) -> np.ndarray:
        """Sum of the log-density over the chunk at each row of ``thetas``."""
        out = np.empty(len(thetas))
        for k, t in enumerate(thetas):
            v = np.asarray(self.logpdf(chunk, **self.unflatten(tuple(t))), dtype=float)
            out[k] = float(v.sum()) if v.shape == chunk.shape else math.nan
        return out

    def steps(self, theta) -> np.ndarray:
        return FD_STEP * np.maximum(np.abs(np.asarray(theta, dtype=float)), 1.0)

    def chunk_sums(self, theta, chunk: np.ndarray, extra=None) -> np.ndarray:
        """[sum of values, sum of gradients (k), sum of Hessians (k x k), sum of outer
        products of per-observation scores (k x k; NaN where they are not computed)]."""
        k = len(theta)
        backend = self.choose_backend(chunk[:2])
        if backend == "jax":
            jax, jnp, value_grad, hessian, scores = self._jax
            with _x64(jax):
                t = jnp.asarray(theta, dtype=jnp.float64)
                xj = _to_jax(jnp, chunk)
                v, g = value_grad(t, xj)
                h = hessian(t, xj)
                s = scores(t, xj)
                outer = np.asarray(s.T @ s)
            return np.concatenate([[float(v)], np.asarray(g, float), np.asarray(h, float).ravel(), outer.ravel()])
        params = self.unflatten(theta)
        if backend == "hand":
            v = np.asarray(self.logpdf(chunk, **params), dtype=float)
            value = float(v.sum()) if v.shape == chunk.shape else math.nan
            g = np.asarray(self.user_grad(chunk, **params), dtype=float).ravel() * chunk.size
            if self.user_hess is not None:
                h = np.asarray(self.user_hess(chunk, **params), dtype=float).reshape(k, k) * chunk.size
            else:
                h = self._fd_hessian_from_grad(theta, chunk)
            return np.concatenate([[value], g, h.ravel(), np.full(k * k, math.nan)])
        return self._numeric(theta, chunk)

    def _fd_hessian_from_grad(self, theta, chunk) -> np.ndarray:
        k = len(theta)
        steps = self.steps(theta)
        h = np.empty((k, k))
        for j in range(k):
            up, dn = list(theta), list(theta)
            up[j] += steps[j]
            dn[j] -= steps[j]
            gu = np.asarray(self.user_grad(chunk, **self.unflatten(tuple(up))), dtype=float).ravel()
            gd = np.asarray(self.user_grad(chunk, **self.unflatten(tuple(dn))), dtype=float).ravel()
            h[:, j] = (gu - gd) / (2.0 * steps[j]) * chunk.size
        return 0.5 * (h + h.T)

    def _numeric(self, theta, chunk) -> np.ndarray:
        """Value, gradient and Hessian by central differences, all from one pass over
        the chunk (the log-density evaluated at every point the differences need)."""
        k = len(theta)
        steps = self.steps(theta)
        base = np.asarray(theta, dtype=float)
        points = [base]
        for i in range(k):
            for s in (1.0, -1.0):
                p = base.copy()
                p[i] += s * steps[i]
                points.append(p)
        pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
        for i, j in pairs:
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                p = base.copy()
                p[i] += si * steps[i]
                p[j] += sj * steps[j]
                points.append(p)
        vals = self._values(np.array(points), chunk)
        f0 = vals[0]
        g = np.empty(k)
        h = np.empty((k, k))
        for i in range(k):
            fp, fm = vals[1 + 2 * i], vals[2 + 2 * i]
            g[i] = (fp - fm) / (2.0 * steps[i])
            h[i, i] = (fp - 2.0 * f0 + fm) / (steps[i] * steps[i])
        for n, (i, j) in enumerate(pairs):
            pp, pm, mp, mm = vals[1 + 2 * k + 4 * n : 5 + 2 * k + 4 * n]
            h[i, j] = h[j, i] = (pp - pm - mp + mm) / (4.0 * steps[i] * steps[j])
        return np.concatenate([[f0], g, h.ravel(), np.full(k * k, math.nan)])

    def assemble(self, theta, sums: np.ndarray, n: int, extra=None):
        k = len(theta)
        value = float(sums[0]) / n
        if not math.isfinite(value):
            return -math.inf, (math.nan,) * k, np.full((k, k), math.nan)
        grad = tuple(float(v) / n for v in sums[1 : 1 + k])
        hess = np.asarray(sums[1 + k : 1 + k + k * k], dtype=float).reshape(k, k) / n
        outer = np.asarray(sums[1 + k + k * k :], dtype=float).reshape(k, k) / n
        if extra is not None:
            extra["outer"] = outer
        return value, grad, hess

    def empirical_information(self, theta, sample: Sample) -> np.ndarray:
        """The mean outer product of the per-observation scores at theta (JAX models):
        what Fisher scoring uses where no expected information is declared. NaN where
        it is not computed (then the observed information stands in)."""
        self.hessian(theta, sample)  # the pass at theta (cached) leaves it in the extras
        return sample.extra.get("outer", np.full((len(theta),) * 2, math.nan))

    # -- checks at the start ----------------------------------------------------------------
    def check_at_start(self, theta, sample: Sample) -> None:
        """Refuse a start where the log-density is not finite or has the wrong shape, and
        a hand-written gradient that disagrees with finite differences there."""
        x = sample.source.x if getattr(sample.source, "x", None) is not None else None
        if x is None:
            x = next(c for _, c in sample.source.chunks())
        probe = x[: 1 << 14]
        try:
            v = np.asarray(self.logpdf(probe, **self.unflatten(theta)), dtype=float)
        except Exception as exc:
            raise ValueError(f"the model's logpdf raised at the start ({type(exc).__name__}: {exc})") from None
        self.choose_backend(probe[:2])
        if v.shape != probe.shape:
            raise ValueError(f"the model's logpdf returned shape {v.shape} for {probe.size} values: it must return one "
                             "log-density per observation")
        if not np.all(np.isfinite(v)):
            i = int(np.flatnonzero(~np.isfinite(v))[0])
            raise ValueError(f"the model's log-density is {v[i]} at the start for the value {probe[i]!r} (index {i}): "
                             f"start where every observation is possible ({self._at(theta)})")
        if self.backend != "hand":
            return
        g = np.asarray(self.user_grad(probe, **self.unflatten(theta)), dtype=float).ravel()
        if g.size != len(theta):
            raise ValueError(f"the hand-written grad returned {g.size} values; the model has {len(theta)} parameters "
                             f"({', '.join(self.param_names)})")
        fd = self._numeric(tuple(theta), probe)[1 : 1 + len(theta)] / probe.size
        scale = max(float(np.max(np.abs(fd))), float(np.max(np.abs(g))), 1e-12)
        for name, a, b in zip(self.param_names, g, fd):
            if not abs(a - b) <= GRAD_CHECK * scale:
                raise ValueError(f"your gradient in {name} is {a:.6g} where finite differences give {b:.6g} at the "
                                 f"start ({self._at(theta)}): check the hand-written grad")

    def _at(self, theta) -> str:
        return ", ".join(f"{n}={v:.6g}" for n, v in zip(self.param_names, theta))

    def describe_derivatives(self) -> str:
        return {"jax": "derivatives by JAX (automatic differentiation)",
                "hand": "the hand-written gradient" + (" and Hessian" if self.user_hess else
                                                       ", the Hessian by differences of it"),
                "numeric": "numeric derivatives (central differences): no JAX function and no grad= were given"
                }[self.backend]

    def __repr__(self) -> str:
        return f"<Model {self.name}: {', '.join(self.param_names)}>"
