"""The table of methods: one row per optimizer, read by fit, stability, diagnose,
compare, sweep and the command line.

Each row says what the method's step means and how it scales with the data's units,
whether it runs exactly as written with a fixed step (and so has a stability bound),
and how to build its stepper (see :mod:`gradmle.optimizers`).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import optimizers as opt
from .checks import choice

__all__ = ["Method", "METHODS", "AUTO_METHOD", "get_method", "resolve"]


class Method(NamedTuple):
    name: str
    #: One line for the command line's help and the documentation.
    summary: str
    #: The step used when none is given (None: the method takes no step).
    default_step: float | None = None
    #: True when a fixed step gamma is applied as written: such a method has a largest
    #: stable step (see gradmle.stability).
    has_bound: bool = False
    #: True when the method runs with no safeguard at all (the classic schemes).
    as_written: bool = False
    #: How the step scales with the data's units: a step of gradient type is in units
    #: of theta^2 (power 2), Adam's learning rate in units of theta (1); None when the
    #: step is a pure number (Fisher scoring, Newton).
    step_power: int | None = None
    #: ``factory(step, n_inner) -> Stepper``; None for methods run otherwise (scipy's
    #: L-BFGS-B, the closed form).
    factory: Callable | None = None
    #: True when the method sweeps the parameters block by block (n_inner, n_outer).
    sweeps: bool = False
    #: True when the parameters are updated one after another within an iteration.
    in_turn: bool = False
    #: Near the optimum one iteration maps the error e to M e:
    #: ``error_map(gamma, H, F, n_inner) -> M`` (H the Hessian, F the information).
    error_map: Callable | None = None
    #: For maps of the form M = I + gamma A: ``rate(H, F) -> A`` (the bound is then
    #: 2 / max|eig A|, without a search).
    rate: Callable | None = None
    #: True when the error map needs the information F.
    uses_information: bool = False

    @property
    def takes_step(self) -> bool:
        return self.default_step is not None


def _simultaneous(gamma, h, f, n_inner):
    return np.eye(h.shape[0]) + gamma * h


def _in_turn(gamma, h, f, n_inner):
    # Gauss-Seidel: with H = L + D + U, (I - gamma L) e' = (I + gamma (D + U)) e.
    eye = np.eye(h.shape[0])
    lower = np.tril(h, -1)
    return np.linalg.solve(eye - gamma * lower, eye + gamma * (h - lower))


def _blocks(gamma, h, f, n_inner):
    eye = np.eye(h.shape[0])
    m = eye
    for i in range(h.shape[0]):
        block = eye.copy()
        block[i, :] += gamma * h[i, :]
        m = np.linalg.matrix_power(block, n_inner) @ m
    return m


def _natural(gamma, h, f, n_inner):
    return np.eye(h.shape[0]) + gamma * np.linalg.solve(f, h)


#: Every method, in the order they are listed to users.
METHODS: dict[str, Method] = {m.name: m for m in (
    Method("auto", "safeguarded Newton (the closed form for a likelihood with kinks, such as Laplace's)"),
    Method("gradient", "simultaneous fixed-step gradient ascent, run as written", 0.1, True, True, 2,
           lambda step, n_inner: opt.gradient(step), error_map=_simultaneous, rate=lambda h, f: h),
    Method("sequential", "the same, each parameter using the already updated ones (sigma uses the new mu)",
           0.1, True, True, 2, lambda step, n_inner: opt.sequential(step), in_turn=True, error_map=_in_turn),
    Method("coordinate", "block-coordinate ascent: n_inner steps on each parameter in turn, n_outer sweeps",
           0.1, True, True, 2, lambda step, n_inner: opt.coordinate(step, n_inner), sweeps=True, in_turn=True,
           error_map=_blocks),
    Method("fisher", "Fisher scoring (natural gradient): scale-free, stable for 0 < step < 2 near the optimum",
           1.0, True, False, None, lambda step, n_inner: opt.fisher(step), error_map=_natural,
           rate=lambda h, f: np.linalg.solve(f, h), uses_information=True),
    Method("newton", "Newton inside a trust region, the Fisher direction elsewhere, Armijo backtracking",
           1.0, False, False, None, lambda step, n_inner: opt.newton(step)),
    Method("linesearch", "gradient ascent with a Barzilai-Borwein trial step and Armijo backtracking",
           1.0, False, False, 2, lambda step, n_inner: opt.linesearch(step)),
    Method("adam", "Adam; the step is the learning rate", 0.01, False, False, 1, lambda step, n_inner: opt.adam(step)),
    Method("lbfgs", "scipy's L-BFGS-B on standardized coordinates, every iterate recorded"),
    Method("closed_form", "the exact maximizer, where the family has one"),
)}

#: What ``method="auto"`` runs on a smooth likelihood: safeguarded Newton converges from
#: any start (every iterate improves the likelihood) and quadratically near the optimum.
AUTO_METHOD = "newton"


def get_method(name) -> Method:
    """The row of ``name``; an unknown name raises ValueError listing the valid ones."""
    return METHODS[choice("method", name, tuple(METHODS))]


def resolve(method: Method, smooth: bool) -> Method:
    """The method a run actually uses: ``auto`` becomes Newton, or the closed form for
    a likelihood with kinks (it has no gradient test at its maximum)."""
    if method.name != "auto":
        return method
    return METHODS[AUTO_METHOD if smooth else "closed_form"]
