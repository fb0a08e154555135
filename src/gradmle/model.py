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
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import Callable, NamedTuple

import numpy as np

from .constraints import CONSTRAINTS, VECTOR_CONSTRAINTS, Constraint, VectorConstraint, as_constraint
from .families.base import PassFamily, Sample
from .verdict import row as _row, verdict

__all__ = ["Model"]

#: Finite differences use steps of this size relative to each parameter's scale
#: (eps^(1/3): the error of a central difference is then of order eps^(2/3)).
FD_STEP = 6e-6
#: A hand-written gradient is refused when it differs from finite differences by more
#: than this, relative to the size of the gradient (or of the values around it).
GRAD_CHECK = 1e-4


class Block(NamedTuple):
    """One parameter as the user declared it: a scalar (``length`` None) or a vector,
    of which the optimizer sees ``free`` elements (a simplex's last weight is implied)."""

    name: str
    length: int | None
    vector: VectorConstraint | None
    free: int

    def names(self) -> list[str]:
        return [self.name] if self.length is None else [f"{self.name}[{i}]" for i in range(self.free)]


def _block(name: str, spec) -> tuple[Block, Constraint]:
    """The block and the constraint of each of its free elements, from ``"positive"``,
    ``("real", 3)`` or ``("simplex", 3)``."""
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and isinstance(spec[1], numbers.Integral):
        length = int(spec[1])
        kind = spec[0].strip().lower() if isinstance(spec[0], str) else spec[0]
        vector = VECTOR_CONSTRAINTS.get(kind) if isinstance(kind, str) else (
            kind if isinstance(kind, VectorConstraint) else None)
        least = 2 if vector is not None else 1
        if length < least:
            raise ValueError(f"params[{name!r}]: a{' ' + vector.name if vector else ''} vector parameter needs a "
                             f"length >= {least}, got {length}")
        if vector is not None:
            return Block(name, length, vector, length - vector.implied), vector.element
        return Block(name, length, None, length), _constraint(name, spec[0])
    return Block(name, None, None, 1), _constraint(name, spec)


def _constraint(name: str, spec) -> Constraint:
    try:
        return as_constraint(spec)
    except ValueError:
        raise ValueError(f"params[{name!r}] = {spec!r}: give a constraint ({', '.join(CONSTRAINTS)}), or "
                         f"(constraint, length) for a vector, where the constraint may also be "
                         f"{' or '.join(VECTOR_CONSTRAINTS)}") from None


def _x64(jax):
    """A context in which JAX computes in float64, leaving the user's own setting as it
    was outside it."""
    state = getattr(jax, "enable_x64", None)
    if state is not None:
        return state(True)
    from jax.experimental import enable_x64  # (older JAX)

    return enable_x64()


def _to_jax(jnp, x):
    """A chunk (an array, or Columns by name), or a point, as JAX float64 arrays
    (device_put of float64 numpy: a plain copy, without jnp.asarray's conversions)."""
    put = sys.modules["jax"].device_put
    if hasattr(x, "items"):
        return {k: put(np.asarray(v, dtype=np.float64)) for k, v in x.items()}
    return put(np.asarray(x, dtype=np.float64))


#: Data in memory up to this many bytes are copied to JAX once per fit, in chunks of
#: RESIDENT_CHUNK rows, and every pass reads them there (no copy per chunk and pass; the
#: data are then held twice). Chunks of this size keep the Hessian's intermediates in
#: cache: larger ones make it slower per row.
RESIDENT_BYTES = 200_000_000
RESIDENT_CHUNK = 1 << 14

#: Compiled JAX functions by (log-density, parameter layout), oldest first.
_COMPILED: dict = {}
#: Parameter points evaluated together by ``Model.values`` (times the rows of a chunk:
#: the size of the arrays JAX holds at once).
VALUES_BATCH = 1 << 22

#: How each way of computing derivatives is described.
DERIVATIVES = {"jax": "value, gradient and Hessian jit-compiled",
               "numeric": "central differences: no JAX function and no grad= were given"}


def brief(exc: BaseException, code=None) -> str:
    """An exception as one short phrase: its type, the first line of its message and,
    when ``code`` (a function's code object) is given and the exception passed through
    it, the line of the user's file where it was raised."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 200:
        first = first[:197] + "..."
    out = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    line = raised_at(exc, code.co_filename) if code is not None else None
    if line is not None:
        out += f", at line {line} of {code.co_filename.rsplit('/', 1)[-1]}"
    return out


def raised_at(exc: BaseException, filename: str) -> int | None:
    """The last line of the file ``filename`` that the exception passed through."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


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
        blocks, names, constraints = [], [], []
        for pname, spec in params.items():
            if not isinstance(pname, str) or not pname.isidentifier():
                raise ValueError(f"parameter name {pname!r} must be a Python identifier (a keyword of logpdf)")
            block, constraint = _block(pname, spec)
            blocks.append(block)
            names += block.names()
            constraints += [constraint] * block.free
        self.blocks = tuple(blocks)
        self.param_names = tuple(names)
        self.constraints = tuple(constraints)
        self.name = name or getattr(logpdf, "__name__", "model")
        self.components = self._check_components(components)
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

    def _check_components(self, components) -> tuple:
        """The vector parameters whose elements belong to interchangeable components (a
        mixture's weights, means and scales), sorted by the first of them."""
        if components is None:
            return ()
        components = (components,) if isinstance(components, str) else tuple(components)
        by_name = {b.name: b for b in self.blocks}
        lengths = set()
        for c in components:
            b = by_name.get(c)
            if b is None or b.length is None:
                vectors = [b.name for b in self.blocks if b.length is not None]
                raise ValueError(f"components: {c!r} is not a vector parameter of the model "
                                 f"(vector parameters: {', '.join(vectors) or 'none'})")
            lengths.add(b.length)
        if len(lengths) > 1:
            raise ValueError(f"components: {', '.join(components)} must have the same length (one element per "
                             f"component), got lengths {sorted(lengths)}")
        return components

    # -- parameters -----------------------------------------------------------------------
    def _split(self, theta, xp=np) -> dict:
        out, i = {}, 0
        for b in self.blocks:
            if b.length is None:
                out[b.name] = theta[i]
            else:
                v = theta[i : i + b.free] if xp is not np else np.asarray(theta[i : i + b.free], dtype=float)
                out[b.name] = b.vector.complete(v, xp) if b.vector is not None else v
            i += b.free
        return out

    def unflatten(self, theta) -> dict:
        """The parameters as the log-density receives them (vectors as arrays, a
        simplex with its last, implied element)."""
        return self._split(theta)

    def full(self, params) -> dict:
        """The user's parameters from flat values (a fit's ``params``, or a sequence in
        the order of ``param_names``): vectors as arrays, a simplex with its implied
        last element. ``model.full(result.params)["w"]`` is the whole weight vector."""
        values = tuple(params.values()) if hasattr(params, "values") else tuple(params)
        return self._split(tuple(float(v) for v in values))

    def flatten_values(self, values, what: str) -> dict:
        """``{"beta": [0, 0, 0]}`` -> ``{"beta[0]": 0, ...}``: vector values given as
        lists (a simplex by all its elements, or by all but the implied last one)."""
        out = {}
        vectors = {b.name: b for b in self.blocks if b.length is not None}
        for key, value in values.items():
            b = vectors.get(key)
            if b is None:
                out[key] = value
                continue
            v = np.asarray(value, dtype=object).ravel()
            if v.size == b.length and b.free < b.length:
                total = sum(float(e) for e in v.tolist())
                if what == "init" and not abs(total - 1.0) <= 1e-9:
                    raise ValueError(f"{what}[{key!r}] = {list(v.tolist())} sums to {total:.12g}; "
                                     f"{b.vector.describe(key)}")
                v = v[: b.free]
            elif v.size != b.free:
                also = f" (or {b.free}: the last is implied)" if b.free < b.length else ""
                raise ValueError(f"{what}[{key!r}] has {v.size} values; {key} has length {b.length}{also}")
            out.update({f"{key}[{i}]": val for i, val in enumerate(v.tolist())})
        return out

    def canonical(self, theta, fixed=()):
        """``(theta, note)`` with the components in increasing order of the first of
        ``components`` (a mixture's likelihood is the same for every labelling of its
        components: the fit reports one, always the same), or None when the order is
        already canonical, no components were declared, or one of their elements is
        held fixed."""
        if not self.components:
            return None
        names = self.param_names
        if any(n in fixed for n in names for c in self.components if n == c or n.startswith(c + "[")):
            return None
        full = self._split(tuple(theta))
        key = np.asarray(full[self.components[0]], dtype=float)
        order = np.argsort(key, kind="stable")
        if np.all(order == np.arange(key.size)):
            return None
        for c in self.components:
            full[c] = np.asarray(full[c], dtype=float)[order]
        flat = []
        for b in self.blocks:
            v = full[b.name]
            flat += [float(v)] if b.length is None else [float(e) for e in np.asarray(v)[: b.free]]
        note = (f"components reported in increasing order of {self.components[0]} (the run ended with them in the "
                f"order {', '.join(str(int(i)) for i in order)}; the trace keeps the run's own labels)")
        return tuple(flat), note

    def in_domain(self, theta) -> bool:
        return super().in_domain(theta) and self.outside(theta) is None

    def outside(self, theta):
        """``(index, reason)`` when the elements of a vector parameter break the
        constraint that ties them (a simplex's weights summing past 1, means out of
        order), else None."""
        i = 0
        for b in self.blocks:
            if b.vector is not None:
                full = b.vector.complete(np.asarray(theta[i : i + b.free], dtype=float))
                if not b.vector.joint(full):
                    shown = ", ".join(f"{v:.6g}" for v in full)
                    return i + b.free - 1, f"{b.vector.describe(b.name)}, but {b.name} = [{shown}]"
            i += b.free
        return None

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
        logpdf, split = self.logpdf, self._split

        def params_of(theta):
            return split(theta, jnp)

        def total(theta, x):
            return jnp.sum(logpdf(x, **params_of(theta)))

        def each(theta, x):
            return logpdf(x, **params_of(theta))

        def outer(theta, x):  # (per-observation scores, n x k by forward mode; k x k back)
            s = jax.jacfwd(each)(theta, x)
            return (s.T @ s).ravel()

        def sums(theta, x):
            """[value, gradient, Hessian] as one array: one call and one copy back per chunk."""
            v, g = jax.value_and_grad(total)(theta, x)
            return jnp.concatenate([v[None], g, jax.hessian(total)(theta, x).ravel()])

        # Compiled once per log-density and parameter layout: a model made again (in a
        # notebook, in a loop) reuses the compiled functions.
        key = (logpdf, self.blocks)
        compiled = _COMPILED.get(key)
        if compiled is None:
            compiled = (jax.jit(sums), jax.jit(outer), jax.jit(each))
        self._jax = (jax, jnp, *compiled)
        # A trace (without compiling) proves the log-density a JAX function, or not.
        try:
            with _x64(jax):
                t = jnp.ones(len(self.param_names), dtype=jnp.float64) * 0.5
                jax.eval_shape(jax.value_and_grad(total), t, _to_jax(jnp, probe))
        except Exception as exc:  # not written with jax.numpy: numeric derivatives instead
            self._jax = None
            if required:
                raise ValueError(f"derivatives='jax', but the model's logpdf cannot be traced by JAX "
                                 f"({brief(exc, getattr(logpdf, '__code__', None))}): write it with jax.numpy, or "
                                 "use derivatives='numeric'") from None
            return False
        if len(_COMPILED) >= 64:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = compiled
        return True

    def _values(self, thetas: np.ndarray, chunk: np.ndarray) -> np.ndarray:
        """Sum of the log-density over the chunk at each row of ``thetas``."""
        out = np.empty(len(thetas))
        for k, t in enumerate(thetas):
            v = self.each(chunk, tuple(t))
            out[k] = float(v.sum()) if v.shape == chunk.shape else math.nan
        return out

    def values(self, thetas, chunk) -> np.ndarray:
        """The total log-likelihood of the chunk at each row of ``thetas`` (for
        pictures of the likelihood surface): one vectorized JAX call per batch of
        rows when the derivatives come from JAX, else a loop over the rows."""
        thetas = np.asarray(thetas, dtype=float).reshape(-1, len(self.param_names))
        if self.choose_backend(chunk[:2]) != "jax":
            return self._values(thetas, chunk)
        jax, jnp = self._jax[:2]
        batch = max(1, VALUES_BATCH // max(len(chunk), 1))
        with _x64(jax):
            fn = _COMPILED.get(("values", self.logpdf, self.blocks))
            if fn is None:
                logpdf, split = self.logpdf, self._split
                one = lambda t, x: jnp.sum(logpdf(x, **split(t, jnp)))  # noqa: E731
                fn = _COMPILED[("values", self.logpdf, self.blocks)] = jax.jit(jax.vmap(one, in_axes=(0, None)))
            xj = _to_jax(jnp, chunk)
            # Every batch of one size (the last padded), so that JAX compiles once.
            batch = min(batch, len(thetas))
            padded = np.concatenate([thetas, np.repeat(thetas[-1:], -len(thetas) % batch, axis=0)])
            out = [np.asarray(fn(jnp.asarray(padded[i : i + batch]), xj), dtype=float)
                   for i in range(0, len(padded), batch)]
        return np.concatenate(out)[: len(thetas)] if out else np.empty(0)

    def each(self, chunk, theta) -> np.ndarray:
        """The log-density of each observation of the chunk at theta, in float64 (a
        JAX log-density is evaluated inside ``jax.enable_x64``)."""
        jax = sys.modules.get("jax")
        if jax is None:
            return np.asarray(self.logpdf(chunk, **self.unflatten(theta)), dtype=float)
        with _x64(jax):
            if self._backend == "jax":  # compiled: one compilation per chunk size, not one per operation
                jnp, each = self._jax[1], self._jax[4]
                return np.asarray(each(_to_jax(jnp, theta), _to_jax(jnp, chunk)), dtype=float)
            return np.asarray(self.logpdf(chunk, **self.unflatten(theta)), dtype=float)

    def steps(self, theta) -> np.ndarray:
        return FD_STEP * np.maximum(np.abs(np.asarray(theta, dtype=float)), 1.0)

    def chunk_sums(self, theta, chunk: np.ndarray, extra=None) -> np.ndarray:
        """[sum of values, sum of gradients (k), sum of Hessians (k x k)]."""
        k = len(theta)
        backend = self.choose_backend(chunk[:2])
        if backend == "jax":
            jax, jnp, sums, _, _ = self._jax
            with _x64(jax):
                return np.asarray(sums(_to_jax(jnp, theta), _to_jax(jnp, chunk)), dtype=float)
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
        return np.concatenate([[f0], g, h.ravel()])

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
            with _x64(jax):
                return np.asarray(outer(_to_jax(jnp, theta), _to_jax(jnp, chunk)), dtype=float)
        else:
            steps = self.steps(theta)
            cols = []
            for i in range(len(theta)):
                up, dn = list(theta), list(theta)
                up[i] += steps[i]
                dn[i] -= steps[i]
                fu = self.each(chunk, tuple(up))
                fd = self.each(chunk, tuple(dn))
                cols.append((fu - fd) / (2.0 * steps[i]))
            s = np.stack(cols, axis=-1)
        return (s.T @ s).ravel()

    def plan_passes(self, sample: Sample, information: bool) -> None:
        """What each pass of the coming run sums: with ``information`` (Fisher scoring),
        the outer products of the per-observation scores too, so that the empirical
        information at a point comes from the same pass as the value and gradient."""
        sample.extra["outer"] = information

    def _resident(self, sample: Sample):
        """The data as JAX arrays in chunks of RESIDENT_CHUNK rows, copied once per
        sample, when the derivatives come from JAX and the data are in memory (an
        array or a table, no more than RESIDENT_BYTES); else None."""
        source = sample.source
        found = sample.extra.get("resident")
        if found is not None and found[0] is source:
            return found[1]
        x = getattr(source, "x", None)
        if self._backend != "jax" or x is None or getattr(source, "prep", None) is not None or not len(x):
            return None
        columns = tuple(v for _, v in x.items()) if hasattr(x, "items") else (x,)
        if sum(np.asarray(c).nbytes for c in columns) > RESIDENT_BYTES:
            return None
        jax, jnp = self._jax[:2]
        with _x64(jax):
            chunks = tuple(_to_jax(jnp, x[i : i + RESIDENT_CHUNK]) for i in range(0, len(x), RESIDENT_CHUNK))
        sample.extra["resident"] = (source, chunks)
        return chunks

    def _resident_total(self, theta, chunks, outer: bool, sums: bool = True) -> np.ndarray:
        """One pass over chunks held by JAX: the sums of ``chunk_sums`` (``sums``), then
        those of ``_outer_sums`` (``outer``), added up there and copied back once."""
        jax, jnp, sums_fn, outer_fn, _ = self._jax
        with _x64(jax):
            t = _to_jax(jnp, theta)
            acc = None
            for c in chunks:
                parts = ([sums_fn(t, c)] if sums else []) + ([outer_fn(t, c)] if outer else [])
                v = parts[0] if len(parts) == 1 else jnp.concatenate(parts)
                acc = v if acc is None else acc + v
            return np.asarray(acc, dtype=float)

    def _resident_vg(self, theta, chunks) -> np.ndarray:
        """[value, gradient] summed over chunks held by JAX (no Hessian)."""
        jax, jnp = self._jax[:2]
        key = ("value_and_grad", self.logpdf, self.blocks)
        fn = _COMPILED.get(key)
        with _x64(jax):
            if fn is None:
                logpdf, split = self.logpdf, self._split

                def vg(t, x):
                    v, g = jax.value_and_grad(lambda t: jnp.sum(logpdf(x, **split(t, jnp))))(t)
                    return jnp.concatenate([v[None], g])

                fn = _COMPILED[key] = jax.jit(vg)
            t = _to_jax(jnp, theta)
            acc = None
            for c in chunks:
                v = fn(t, c)
                acc = v if acc is None else acc + v
            return np.asarray(acc, dtype=float)

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
        a hand-written gradient that disagrees with finite differences there."""
        joint = self.outside(theta)
        if joint is not None:
            raise ValueError(f"the start is not allowed: {joint[1]}")
        x = sample.x
        if x is None:
            source = sample.source
            passes = source.passes
            x = next(c for _, c in source.chunks())
            source.passes = passes  # (a look at the first chunk, not a pass over the data)
        probe = x[: 1 << 14]
        self.choose_backend(probe[:2])  # (a log-density JAX cannot trace is left to numeric derivatives)
        try:
            v = self.each(probe, theta)
        except Exception as exc:
            raise ValueError(f"the model's logpdf raised at the start ({brief(exc, self._code)}; "
                             f"start: {self._at(theta)})") from None
        if v.shape != probe.shape:
            raise ValueError(f"the model's logpdf returned shape {v.shape} for {probe.size} "
                             f"{'rows' if hasattr(probe, 'items') else 'values'}: it must return one log-density per "
                             f"observation, shape ({probe.size},)")
        if not np.all(np.isfinite(v)):
            i = int(np.flatnonzero(~np.isfinite(v))[0])
            what = "row" if hasattr(probe, "items") else "value"
            raise ValueError(f"the model's log-density is {float(v[i])} at the start for the {what} {_row(probe, i)} "
                             f"(index {i}): start where every observation is possible ({self._at(theta)})")
        if self.backend != "hand":
            return
        try:
            g = np.asarray(self.user_grad(probe, **self.unflatten(theta)), dtype=float).ravel()
        except Exception as exc:
            raise ValueError(f"the model's grad raised at the start ({brief(exc, getattr(self.user_grad, '__code__', None))}; "
                             f"start: {self._at(theta)})") from None
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

    @property
    def _code(self):
        """The code of the log-density (to name the line of the user's file where it
        raised)."""
        return getattr(self.logpdf, "__code__", None)

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
