"""Stability bounds of fixed-step schemes, from the Hessian at the optimum.

Near a maximum theta_hat a fixed-step scheme is a linear map on the error,
e_{t+1} = M(gamma) e_t, with H the Hessian in the working coordinates:

- gradient ascent: M = I + gamma H, stable when gamma < 2 / max|eig H|;
- sequential (Gauss-Seidel) update: M = (I - gamma L)^-1 (I + gamma (D + U)), with
  H = L + D + U split into its strictly lower, diagonal and strictly upper parts;
- block-coordinate ascent: M = prod_i (I + gamma e_i e_i^T H)^n_inner;
- Fisher scoring: M = I + gamma F^-1 H, stable when gamma < 2 / max|eig F^-1 H|.

The bound is the smallest gamma with spectral radius rho(M(gamma)) = 1; for the last
three it is found by bisection on rho.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from . import engine
from .families import get_family
from .methods import METHODS, get_method
from .problem import Problem

__all__ = ["Stability", "stability", "stability_of", "iteration_matrix", "bound_for"]

#: Methods whose step is a fixed gamma (the others choose their steps themselves).
FIXED = tuple(name for name, m in METHODS.items() if m.has_bound)

#: The bounds of docs/normal.md in symbols, for the Normal (s2 = sigma_hat^2).
_NORMAL_SYMBOLS = {
    ("gradient", "sigma"): "sigma_hat^2",
    ("gradient", "log_sigma"): "min(2 sigma_hat^2, 1)",
    ("gradient", "variance"): "min(2 sigma_hat^2, 4 sigma_hat^4)",
}


@dataclass(frozen=True)
class Stability:
    """The largest stable fixed step of a scheme on given data.

    Attributes
    ----------
    bound : float
        Largest gamma for which the optimum is a stable fixed point (``inf`` when the
        method chooses its own steps).
    formula : str
        Where the number comes from.
    start_bound : float or None
        The same computed from the Hessian at the start, when a start was given and
        the likelihood is concave there (None otherwise).
    """

    bound: float
    formula: str
    method: str
    parametrization: str
    start_bound: float | None = None
    hessian: np.ndarray | None = None

    def __float__(self) -> float:
        return self.bound

    def __str__(self) -> str:
        text = f"{self.method} ({self.parametrization}): gamma < {self.bound:.6g}; {self.formula}"
        if self.start_bound is not None:
            text += f"; at the start the local bound is {self.start_bound:.4g}"
        return text

    def __repr__(self) -> str:
        start = "" if self.start_bound is None else f", at the start {self.start_bound:.4g}"
        return f"<Stability {self.method} ({self.parametrization}): gamma < {self.bound:.6g}{start}>"

    def _repr_html_(self) -> str:
        from .display import stability_html

        return stability_html(self)


def iteration_matrix(method: str, gamma: float, hess: np.ndarray, info: np.ndarray | None = None, n_inner: int = 1) -> np.ndarray:
    """The linear map of the error of one iteration near the optimum (the method
    table's ``error_map``)."""
    m = get_method(method)
    if m.error_map is None:
        raise ValueError(f"no fixed-step stability bound for method {method!r}; fixed-step methods: {', '.join(FIXED)}")
    return m.error_map(gamma, hess, info, n_inner)


def _radius(m: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(m))))


def bound_for(method: str, hess: np.ndarray, info: np.ndarray | None = None, n_inner: int = 1) -> float:
    """Largest stable gamma of ``method`` at a point with Hessian ``hess``; 0 when the
    point is not a maximum (some eigenvalue of H is >= 0) or the curvature there
    cannot be computed."""
    if not np.all(np.isfinite(hess)) or (info is not None and not np.all(np.isfinite(info))):
        return 0.0
    eig = np.linalg.eigvalsh(hess)
    if eig.max() >= 0.0:
        return 0.0
    m = get_method(method)
    if m.rate is not None:  # M = I + gamma A: stable while gamma < 2 / max|eig A|
        return 2.0 / float(np.max(np.abs(np.linalg.eigvals(m.rate(hess, info)))))
    # Bracket the first unstable gamma from the gradient bound, then bisect on rho.
    stable = lambda g: _radius(iteration_matrix(method, g, hess, info, n_inner)) < 1.0
    lo = 2.0 / float(-eig.min())
    while not stable(lo):
        lo *= 0.5
        if lo < 1e-300:
            return 0.0
    hi = lo * 2.0
    while stable(hi):
        lo, hi = hi, hi * 2.0
        if hi > 1e300:
            return math.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if stable(mid) else (lo, mid)
    return lo


def stability_of(fam, reduced, method: str, parametrization: str, n_inner: int = 1, start=None,
                 fixed=None) -> Stability:
    """:func:`stability` on data already reduced (in working units; ``start`` and
    ``fixed``, {index: value}, too): what the diagnosis uses. The bound is in working
    units (see ``in_data_units``); with parameters held fixed it is the bound of the
    free ones at the restricted optimum."""
    stats = reduced.stats
    problem = Problem(fam, stats, fam.parametrizations()[parametrization], fixed)
    if not get_method(method).has_bound:
        return Stability(math.inf, f"no fixed step: {method} chooses its step lengths itself", method, parametrization)
    u_hat = problem.working(engine.optimum(fam, reduced, fixed, start))
    hess = problem.hessian(u_hat)
    row = get_method(method)
    info = problem.fisher(u_hat) if row.uses_information else None
    bound = bound_for(method, hess, info, n_inner)
    labels = ", ".join(problem.labels())
    if row.uses_information:
        what = {"expected": "the Fisher information", "observed": "the observed information -H",
                "empirical": "the empirical information (the mean outer product of the per-observation scores: the "
                             "model declares no expected information)"}[problem.information[-1]]
        formula = (
            f"gamma < 2 / max|eig(F^-1 H)| = {bound:.4g} with F {what} and H the Hessian "
            f"in ({labels}) at the optimum (2 when H = -F there: scale-free)"
        )
    else:
        diag = ", ".join(f"{v:.4g}" for v in np.diag(hess))
        formula = f"the largest gamma with spectral radius < 1 of the error map, H at the optimum in ({labels}) has diagonal ({diag})"
        if row.rate is not None:
            formula = f"gamma < 2 / max|eig H| = {bound:.4g}, H at the optimum in ({labels}) has diagonal ({diag})"
        elif abs(np.tril(hess, -1)).max() <= 1e-12 * abs(hess).max():
            formula += "; H is diagonal there, so the bound equals the simultaneous gradient's"
        sym = _NORMAL_SYMBOLS.get(("gradient", parametrization)) if fam.normal_theory and not fixed else None
        if sym:
            formula += f" (= {sym})"
    start_bound = None
    if start is not None:
        u0 = problem.working(start)
        h0 = problem.hessian(u0)
        info0 = problem.fisher(u0) if row.uses_information else None
        b0 = bound_for(method, h0, info0, n_inner)
        start_bound = b0 if b0 > 0 else None
    return Stability(bound, formula, method, parametrization, start_bound, hess)


def in_data_units(st: Stability, fam, reduced, fixed=()) -> Stability:
    """A bound computed in working units, as a step in the data's units (a step of
    gradient type is in units of theta^2: see gradmle.units). Bounds of Fisher scoring
    are pure numbers."""
    units = reduced.units
    power = get_method(st.method).step_power
    if units.scale == 1.0 or power is None or not math.isfinite(st.bound):
        return st
    coord = engine.coordinate_power(fam, st.parametrization, {fam.param_names.index(k) for k in fixed})
    if coord is None:
        return st
    k = units.exponent * power * coord

    def conv(b):
        if b is None or b == 0.0:
            return b
        try:
            out = math.ldexp(b, k)
        except OverflowError:
            out = math.inf
        if out == 0.0 or math.isinf(out):
            raise ValueError(
                f"the stability bound of {st.method} on these data is {b:.4g} in units of 2^{k} (the data's "
                f"magnitude squared), beyond float64 in the data's own units: a fixed step of this kind cannot be "
                "written down for such data; use method='fisher', whose bound is a pure number (2 near the optimum)")
        return out

    return dataclasses.replace(st, bound=conv(st.bound), start_bound=conv(st.start_bound),
                               formula=st.formula + f" (in the data's units: the data were fitted in units of "
                                                    f"{units.scale:g})")


def stability(data, family="normal", method="gradient", parametrization=None, n_inner=1, init=None, fixed=None,
              nonfinite="raise") -> Stability:
    """The largest stable fixed step of ``method`` on ``data``.

    Parameters
    ----------
    data : anything :func:`gradmle.fit` accepts
    family : str
    method : str
        ``"gradient"``, ``"sequential"``, ``"coordinate"`` or ``"fisher"`` (other
        methods choose their own steps: the bound is ``inf``).
    parametrization : str, optional
        The working coordinates (Normal: ``"sigma"``, ``"log_sigma"``, ``"variance"``).
    n_inner : int
        Inner steps per block for ``"coordinate"``.
    init : dict, optional
        A start; the local bound there is reported as ``start_bound``.
    fixed : dict, optional
        Parameters held fixed: the bound is that of the free ones at the restricted MLE.

    Examples
    --------
    >>> import numpy as np, gradmle
    >>> x = np.random.default_rng(0).normal(2.0, 1.0, 10_000)
    >>> s = gradmle.stability(x)
    >>> round(s.bound, 6) == round(float(x.var()), 6)
    True
    """
    fam = get_family(family)
    method = get_method(method).name
    n_in = n_inner if get_method(method).sweeps else None
    opts = engine.check_options(fam, method if method != "auto" else "newton", None, init, 1, 1e-10,
                                n_in, None, parametrization, fixed, nonfinite)
    reduced = engine.reduce(fam, data, opts)
    theta0, held = engine.start(fam, reduced, opts)
    st = stability_of(fam, reduced, method, opts.parametrization, n_inner, theta0 if init is not None else None, held)
    return in_data_units(st, fam, reduced, tuple(fam.param_names[i] for i in held))
