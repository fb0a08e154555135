"""Many rows as few weighted points: the Gauss rule of the data within narrow cells.

A censored fit sums, at every evaluation, a smooth function f of each row's value (its
log-density, log-survival, ...) whose shape changes with the parameters. With the values
put on a variable u in which f is smooth (log x for the positive families, logit x on
the unit interval, x itself on the line), the range of u is cut into cells of width h,
and the rows of each cell are replaced by the m-point Gauss rule of the cell's own
weighted empirical distribution: m points u_j inside the cell and weights w_j with

    sum_j w_j p(u_j) = sum over the cell's rows of w_i p(u_i)

for every polynomial p of degree < 2m. The sum over the rows of any smooth f is then
off by at most max|f^(2m)| / (2m)! times the cell's weighted integral of the squared
orthogonal polynomial of degree m, which is below weight * (h/2)^(2m) / 4^m: with
f's derivatives growing like D^k (D of the order of one over the distribution's spread
in u), a relative error of about (D h / 4)^(2m) / (2m)!. A cell holding no more than m
distinct values is represented exactly.

The rule comes from the cell's modified moments (its sums of the monic Legendre
polynomials of the cell's own coordinate, computed once per fit with one bincount
each) by Gautschi's modified Chebyshev algorithm, which stays well conditioned where
ordinary moments would not, and the eigen-decomposition of the small Jacobi matrix
(Golub and Welsch). The (m-1)-point rule of the same cells comes with it: its
difference from the m-point rule, which overestimates the m-point rule's error by a
factor of about 1 / (D h)^2, is what a fit checks at every evaluation.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["gauss_cells", "POINTS"]

#: Points per cell.
POINTS = 4
#: A cell whose measure is within this (relative beta_k) of one on k points is taken as one.
DEGENERATE = 1e-13


def _legendre_b(k: int) -> float:
    """The recurrence coefficient b_k of the monic Legendre polynomials on [-1, 1]:
    pi_{k+1}(t) = t pi_k(t) - b_k pi_{k-1}(t)."""
    return k * k / (4.0 * k * k - 1.0) if k > 0 else 2.0


def _legendre_in_powers(count: int) -> np.ndarray:
    """C with pi_k(t) = sum_j C[k, j] t^j for k < count (pi_k: monic Legendre)."""
    c = np.zeros((count, count))
    c[0, 0] = 1.0
    if count > 1:
        c[1, 1] = 1.0
    for k in range(1, count - 1):
        c[k + 1, 1:] = c[k, :-1]
        c[k + 1] -= _legendre_b(k) * c[k - 1]
    return c


def _modified_moments(cell: np.ndarray, t: np.ndarray, w: np.ndarray | None, cells: int, count: int) -> list[np.ndarray]:
    """nu_k = sum over each cell of w * pi_k(t), k < count (pi_k: monic Legendre), from
    the sums of w t^j (one product and one bincount each; t in [-1, 1], so the change
    of basis costs a few ulps)."""
    powers = [np.bincount(cell, weights=w, minlength=cells).astype(float)]
    cur = t.copy() if w is None else t * w
    for j in range(1, count):
        if j > 1:
            cur *= t
        powers.append(np.bincount(cell, weights=cur, minlength=cells))
    c = _legendre_in_powers(count)
    return [sum(c[k, j] * powers[j] for j in range(k + 1) if c[k, j]) for k in range(count)]


def _jacobi(nu: list[np.ndarray], m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The recurrence coefficients (alpha_0..alpha_{m-1}, beta_0..beta_{m-1}) of each
    cell's measure from its 2m modified moments (the modified Chebyshev algorithm, with
    a_k = 0 and the Legendre b_k), and each cell's number of support points when it has
    fewer than m (m otherwise)."""
    g = nu[0].size
    alpha, beta = np.zeros((g, m)), np.zeros((g, m))
    rank = np.full(g, m)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sig_prev = [np.zeros(g)] * (2 * m)
        sig = list(nu)
        alpha[:, 0] = nu[1] / nu[0]
        beta[:, 0] = nu[0]
        for k in range(1, m):
            new = [np.zeros(g)] * (2 * m)
            for l in range(k, 2 * m - k):
                new[l] = (sig[l + 1] - alpha[:, k - 1] * sig[l] - beta[:, k - 1] * sig_prev[l]
                          + _legendre_b(l) * sig[l - 1])
            ratio = new[k] / sig[k - 1]
            dead = (rank == m) & ~(ratio > DEGENERATE)
            rank[dead] = k
            live = rank > k
            alpha[:, k] = np.where(live, new[k + 1] / new[k] - sig[k] / sig[k - 1], 0.0)
            beta[:, k] = np.where(live, ratio, 0.0)
            sig_prev, sig = sig, [np.where(live, s, 0.0) for s in new]
            # a dead cell's coefficients stay 0: its Jacobi matrix splits into its first
            # block (the exact rule) and a block whose points carry no weight
    return alpha, beta, rank


def _rule(alpha: np.ndarray, beta: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The m-point Gauss rule of each cell (nodes in the cell's t, weights)."""
    g = alpha.shape[0]
    if m == 1:
        return alpha[:, :1].copy(), beta[:, :1].copy()
    jac = np.zeros((g, m, m))
    idx = np.arange(m)
    jac[:, idx, idx] = alpha[:, :m]
    off = np.sqrt(beta[:, 1:m])
    jac[:, idx[:-1], idx[1:]] = off
    jac[:, idx[1:], idx[:-1]] = off
    nodes, vecs = np.linalg.eigh(jac)
    weights = beta[:, :1] * vecs[:, 0, :] ** 2
    return nodes, weights


def gauss_cells(u: np.ndarray, w: np.ndarray | None, h: float, group: np.ndarray | None = None, groups: int = 1,
                m: int = POINTS):
    """The rows (finite values u, weights w >= 0, None for all 1; in ``groups`` groups
    numbered by ``group``) as the m-point and (m-1)-point Gauss rules of cells of width
    h of each group: ``(u_m, w_m, group_m, u_m1, w_m1, group_m1)``, or None when the
    cells would be too many to pay (more than a quarter as many points as rows)."""
    n = u.size
    if n == 0:
        return None
    lo, hi = float(u.min()), float(u.max())
    cells = int(math.floor((hi - lo) / h)) + 1
    if cells * groups > max(n // 2, 16) or cells * groups > 1 << 22:
        return None
    pos = u - lo
    pos *= 1.0 / h
    cell = pos.astype(np.intp)
    np.minimum(cell, cells - 1, out=cell)
    pos -= cell
    pos *= 2.0
    pos -= 1.0  # t, in [-1, 1]
    if group is not None:
        cell += group * cells
    nu = _modified_moments(cell, pos, w, cells * groups, 2 * m)
    occupied = np.flatnonzero(nu[0] > 0)
    if occupied.size * m > n // 4:
        return None
    nu = [v[occupied] for v in nu]
    alpha, beta, _ = _jacobi(nu, m)
    left = lo + h * (occupied % cells).astype(float)
    label = occupied // cells
    out = []
    for points in (m, m - 1):
        nodes, weights = _rule(alpha, beta, points)
        keep = weights > 0
        t_nodes = np.clip(nodes[keep], -1.0, 1.0)
        at = np.broadcast_to(np.arange(occupied.size)[:, None], nodes.shape)[keep]
        out += [left[at] + 0.5 * h * (t_nodes + 1.0), weights[keep], label[at]]
    return tuple(out)


# -- the values of a sample ------------------------------------------------------------------

#: Samples of at least this many values in memory are summed as Gauss points of cells.
CONDENSE_ROWS = 20_000
#: The cells' width, in standard deviations of the values on the family's variable.
CELL_WIDTH = 0.15
#: How closely the POINTS- and (POINTS-1)-point rules must agree where checked (per
#: observation: in nats for the value, in the parameters' statistical scales for the
#: shift of the optimum the gradients' difference implies); the POINTS-point rule itself
#: is then some 10^4 times closer. Where they do not, the cells are halved.
AGREE = 1e-9


def shift_in_scales(hess, vec) -> float | None:
    """The largest |(-H)^-1 vec| in each parameter's statistical scale (the square root
    of (-H)^-1's diagonal), H and vec per observation: how far a gradient error of vec
    moves the optimum. None where H is not negative definite (far from the optimum)."""
    h = -np.asarray(hess, dtype=float)
    v = np.asarray(vec, dtype=float)
    if not (np.all(np.isfinite(h)) and np.all(np.isfinite(v))):
        return None
    try:
        with np.errstate(all="ignore"):
            cov = np.linalg.inv(h)
            shift = np.abs(np.linalg.solve(h, v))
    except np.linalg.LinAlgError:
        return None
    var = np.diag(cov)
    if not np.all(var > 0):
        return None
    return float(np.max(shift / np.sqrt(var)))


def smooth_variable(support, transformed: bool = False):
    """(u(x), x(u), name): the variable in which a family's terms are smooth: log x for
    positive values, logit x on the unit interval, x on the line (and for values already
    transformed by the family)."""
    from scipy.special import expit

    if transformed or not support.positive:
        return (lambda x: x), (lambda u: u), "x"
    if support.outside(np.array([2.0]))[0]:  # no values above 1: the unit interval
        return (lambda x: np.log(x) - np.log1p(-x)), expit, "logit x"  # (expit: x near 0 keeps its digits)
    return np.log, np.exp, "log x"


def spread(u: np.ndarray) -> float:
    """A robust spread of u: the smaller of its standard deviation and its interquartile
    range / 1.349 (equal for Normal data; a few far outliers inflate only the first), of
    a spread-out subset of at most ~20000 values; 1 where they are all equal."""
    sub = u[:: max(1, u.size // 20_000)]
    sd = float(np.std(sub))
    q1, q3 = np.quantile(sub, [0.25, 0.75])
    iqr = float(q3 - q1) / 1.349
    best = min(v for v in (sd, iqr, math.inf) if v > 0 and math.isfinite(v))
    return best if math.isfinite(best) else 1.0


class ValueCells:
    """A sample's values (with their weights) as two chunks of Gauss points, the POINTS-
    and (POINTS-1)-point rules of cells ``width`` standard deviations wide, each with
    the values that have no finite variable appended as they are."""

    def __init__(self, fine, coarse, width: float, rows: int, variable: str):
        self.fine, self.coarse, self.width, self.rows, self.variable = fine, coarse, width, rows, variable

    @classmethod
    def of(cls, values: np.ndarray, weights, support, transformed: bool, width: float | None = None):
        from .source import Columns

        width = CELL_WIDTH if width is None else width
        fwd, inv, name = smooth_variable(support, transformed)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = fwd(values)
        good = np.isfinite(u)
        w = weights
        raw = None
        if not good.all():
            bad = ~good
            raw = (values[bad], np.ones(int(bad.sum())) if weights is None else weights[bad])
            if not good.any():
                return None
            w = np.where(good, 1.0 if weights is None else weights, 0.0)
            u = np.where(good, u, u[int(good.argmax())])
        rules = gauss_cells(u, w, width * spread(u))
        if rules is None:
            return None
        chunks = []
        for pu, pw in (rules[:2], rules[3:5]):
            x, wt = inv(pu), pw
            if raw is not None:
                x, wt = np.concatenate([x, raw[0]]), np.concatenate([wt, raw[1]])
            chunks.append(Columns({"x": x, "weight": wt}))
        return cls(chunks[0], chunks[1], width, values.size, name)

    def describe(self, gap: float) -> str:
        return (f"{self.rows} values summed as {self.fine.size} Gauss points (up to {POINTS} per cell; cells "
                f"{self.width:.3g} standard deviations of {self.variable} wide); the rules with {POINTS} and "
                f"{POINTS - 1} points agreed to {gap:.1g}")


def condensed_pass(fam, theta, sample):
    """``fam.assemble`` of ``fam.chunk_sums`` over the Gauss points of the sample's
    values (see :class:`ValueCells`), checked at every evaluation against the rule with
    one point fewer (the cells halved where they disagree, three times, then the values
    summed as they are), or None when the sample is summed value by value."""
    extra = sample.extra
    if "cells" not in extra:
        extra["cells"] = _cells(fam, sample)
    cells = extra["cells"]
    if cells is None:
        return None
    # (far from the optimum sums may overflow: the family's value is then -inf)
    def quiet():
        return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")

    with quiet():
        fine = fam.assemble(theta, fam.chunk_sums(theta, cells.fine, extra), sample.n, extra)
    value, grad, hess = fine
    if not math.isfinite(value):
        return fine
    # Checked at every evaluation: a point far from the optimum decides where the run
    # goes, and cells narrow for one scale may be wide for another.
    with quiet():
        v2, g2, _ = fam.assemble(theta, fam.chunk_sums(theta, cells.coarse, extra), sample.n, extra)
    gap = abs(value - v2) / max(abs(value), 1.0)
    shift = shift_in_scales(hess, np.asarray(grad) - np.asarray(g2))
    gap = max(gap, shift or 0.0) if math.isfinite(gap) else math.inf
    if gap > AGREE:
        extra["cells"] = _cells(fam, sample, cells.width / 2) if cells.width >= CELL_WIDTH / 7 else None
        return condensed_pass(fam, theta, sample)
    extra["cells_gap"] = max(extra.get("cells_gap", 0.0), gap)
    return fine


def _cells(fam, sample, width=None):
    data = sample.x
    if data is None or len(data) < CONDENSE_ROWS:
        return None
    if isinstance(data, np.ndarray):
        values, weights = data, None
    else:
        values, weights = data["x"], data.data.get("weight")
    return ValueCells.of(values, weights, fam.support, bool(sample.extra.get("transformed")), width)
