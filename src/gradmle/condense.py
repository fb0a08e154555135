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
