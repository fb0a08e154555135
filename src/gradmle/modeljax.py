"""Derivatives of a model's log-likelihood by JAX: value, gradient and Hessian of a
log-density written with ``jax.numpy``, jit-compiled once per log-density and parameter
layout, evaluated in float64 inside ``jax.enable_x64`` (the user's own JAX setting is
left as it was).

Data in memory are copied to JAX once per fit and every pass reads them there; a line
search's trial points take a pass for the value and gradient alone (no Hessian).
"""

from __future__ import annotations

import sys

import numpy as np

from .families.base import Sample
from .modelcheck import brief

__all__ = ["JaxDerivatives", "x64", "to_jax", "RESIDENT_BYTES", "RESIDENT_CHUNK", "VALUES_BATCH"]


def x64(jax):
    """A context in which JAX computes in float64, leaving the user's own setting as it
    was outside it."""
    state = getattr(jax, "enable_x64", None)
    if state is not None:
        return state(True)
    from jax.experimental import enable_x64  # (older JAX)

    return enable_x64()


def to_jax(jnp, x):
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


class JaxDerivatives:
    """The JAX side of a model (a base of :class:`gradmle.Model`): compiling its
    functions (``_jax``: jax, jax.numpy and the compiled sums, outer products and
    per-observation log-densities), the data held by JAX, and the passes over them.
    Reads ``logpdf``, ``blocks``, ``param_names``, ``_split`` and ``_backend``."""

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
            with x64(jax):
                t = jnp.ones(len(self.param_names), dtype=jnp.float64) * 0.5
                jax.eval_shape(jax.value_and_grad(total), t, to_jax(jnp, probe))
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

    def _jax_values(self, thetas: np.ndarray, chunk) -> np.ndarray:
        """The total log-likelihood of the chunk at each row of ``thetas``: one
        vectorized call per batch of rows."""
        jax, jnp = self._jax[:2]
        if len(thetas) == 0:
            return np.zeros(0)
        batch = max(1, VALUES_BATCH // max(len(chunk), 1))
        with x64(jax):
            fn = _COMPILED.get(("values", self.logpdf, self.blocks))
            if fn is None:
                logpdf, split = self.logpdf, self._split
                one = lambda t, x: jnp.sum(logpdf(x, **split(t, jnp)))  # noqa: E731
                fn = _COMPILED[("values", self.logpdf, self.blocks)] = jax.jit(jax.vmap(one, in_axes=(0, None)))
            xj = to_jax(jnp, chunk)
            # Every batch of one size (the last padded), so that JAX compiles once.
            batch = min(batch, len(thetas))
            padded = np.concatenate([thetas, np.repeat(thetas[-1:], -len(thetas) % batch, axis=0)])
            out = [np.asarray(fn(jnp.asarray(padded[i : i + batch]), xj), dtype=float)
                   for i in range(0, len(padded), batch)]
        return np.concatenate(out)[: len(thetas)] if out else np.empty(0)

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
        with x64(jax):
            chunks = tuple(to_jax(jnp, x[i : i + RESIDENT_CHUNK]) for i in range(0, len(x), RESIDENT_CHUNK))
        sample.extra["resident"] = (source, chunks)
        return chunks

    def _resident_total(self, theta, chunks, outer: bool, sums: bool = True) -> np.ndarray:
        """One pass over chunks held by JAX: the sums of ``chunk_sums`` (``sums``), then
        those of ``_outer_sums`` (``outer``), added up there and copied back once."""
        jax, jnp, sums_fn, outer_fn, _ = self._jax
        with x64(jax):
            t = to_jax(jnp, theta)
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
        with x64(jax):
            if fn is None:
                logpdf, split = self.logpdf, self._split

                def vg(t, x):
                    v, g = jax.value_and_grad(lambda t: jnp.sum(logpdf(x, **split(t, jnp))))(t)
                    return jnp.concatenate([v[None], g])

                fn = _COMPILED[key] = jax.jit(vg)
            t = to_jax(jnp, theta)
            acc = None
            for c in chunks:
                v = fn(t, c)
                acc = v if acc is None else acc + v
            return np.asarray(acc, dtype=float)
