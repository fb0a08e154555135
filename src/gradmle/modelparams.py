"""The parameters of a model of the user's: what each declared parameter is (a scalar or
a vector, the constraint of each element, a simplex's implied last element), how the
optimizer's flat vector of free values maps to the keyword arguments of the
log-density and back, and the labelling of interchangeable components (a mixture's).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from .constraints import CONSTRAINTS, VECTOR_CONSTRAINTS, Constraint, VectorConstraint, as_constraint

__all__ = ["Block", "declare", "components_of", "Parameters"]


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


def declare(params: dict) -> tuple[tuple, tuple, tuple]:
    """``(blocks, param_names, constraints)`` from a dict of constraints by parameter
    name: one block per declared parameter, and the name and constraint of each of the
    optimizer's free values."""
    blocks, names, constraints = [], [], []
    for pname, spec in params.items():
        if not isinstance(pname, str) or not pname.isidentifier():
            raise ValueError(f"parameter name {pname!r} must be a Python identifier (a keyword of logpdf)")
        block, constraint = _block(pname, spec)
        blocks.append(block)
        names += block.names()
        constraints += [constraint] * block.free
    return tuple(blocks), tuple(names), tuple(constraints)


def components_of(blocks, components) -> tuple:
    """The vector parameters whose elements belong to interchangeable components (a
    mixture's weights, means and scales), sorted by the first of them."""
    if components is None:
        return ()
    components = (components,) if isinstance(components, str) else tuple(components)
    by_name = {b.name: b for b in blocks}
    lengths = set()
    for c in components:
        b = by_name.get(c)
        if b is None or b.length is None:
            vectors = [b.name for b in blocks if b.length is not None]
            raise ValueError(f"components: {c!r} is not a vector parameter of the model "
                             f"(vector parameters: {', '.join(vectors) or 'none'})")
        lengths.add(b.length)
    if len(lengths) > 1:
        raise ValueError(f"components: {', '.join(components)} must have the same length (one element per "
                         f"component), got lengths {sorted(lengths)}")
    return components


class Parameters:
    """The parameter layout of a model (a base of :class:`gradmle.Model`): the methods
    that read ``blocks``, ``param_names`` and ``components``, as :func:`declare` and
    :func:`components_of` made them."""

    blocks: tuple
    param_names: tuple
    components: tuple

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
