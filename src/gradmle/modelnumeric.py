"""Derivatives of a model's log-likelihood by central differences: where neither JAX nor
a hand-written gradient gives them, the Hessian where only a gradient is given, the
outer products of the per-observation scores, and the reference a hand-written gradient
is checked against at the start.

The central difference of a first derivative with step h errs by about h^2 f''' / 6
(truncation) plus eps f / h (rounding): steps of eps^(1/3) times each parameter's scale
balance the two, and the error is then of order eps^(2/3).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["FD_STEP", "steps", "totals", "central", "hessian_from_grad", "score_outer"]

#: Finite differences use steps of this size relative to each parameter's scale
#: (eps^(1/3): the error of a central difference is then of order eps^(2/3)).
FD_STEP = 6e-6


def steps(theta) -> np.ndarray:
    """The step of each parameter: FD_STEP times max(|theta_i|, 1)."""
    return FD_STEP * np.maximum(np.abs(np.asarray(theta, dtype=float)), 1.0)


def totals(each, thetas: np.ndarray, shape) -> np.ndarray:
    """The sum over a chunk of ``each(point)`` (the log-density of each observation) at
    each row of ``thetas``; NaN where it does not return one value per observation
    (``shape``)."""
    out = np.empty(len(thetas))
    for k, t in enumerate(thetas):
        v = each(tuple(t))
        out[k] = float(v.sum()) if v.shape == shape else math.nan
    return out


def central(total, theta) -> np.ndarray:
    """[value, gradient (k), Hessian (k x k)] of a function at theta by central
    differences, all from one call ``total(points)`` that evaluates it at every point
    the differences need (rows of an array): one pass over a chunk."""
    k = len(theta)
    step = steps(theta)
    base = np.asarray(theta, dtype=float)
    points = [base]
    for i in range(k):
        for s in (1.0, -1.0):
            p = base.copy()
            p[i] += s * step[i]
            points.append(p)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    for i, j in pairs:
        for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            p = base.copy()
            p[i] += si * step[i]
            p[j] += sj * step[j]
            points.append(p)
    vals = total(np.array(points))
    f0 = vals[0]
    g = np.empty(k)
    h = np.empty((k, k))
    for i in range(k):
        fp, fm = vals[1 + 2 * i], vals[2 + 2 * i]
        g[i] = (fp - fm) / (2.0 * step[i])
        h[i, i] = (fp - 2.0 * f0 + fm) / (step[i] * step[i])
    for n, (i, j) in enumerate(pairs):
        pp, pm, mp, mm = vals[1 + 2 * k + 4 * n : 5 + 2 * k + 4 * n]
        h[i, j] = h[j, i] = (pp - pm - mp + mm) / (4.0 * step[i] * step[j])
    return np.concatenate([[f0], g, h.ravel()])


def hessian_from_grad(grad, theta, scale: float) -> np.ndarray:
    """The Hessian as central differences of a gradient, ``grad(point)``, times
    ``scale`` (a mean's gradient times the rows of the chunk: a sum), made symmetric."""
    k = len(theta)
    step = steps(theta)
    h = np.empty((k, k))
    for j in range(k):
        up, dn = list(theta), list(theta)
        up[j] += step[j]
        dn[j] -= step[j]
        gu = np.asarray(grad(tuple(up)), dtype=float).ravel()
        gd = np.asarray(grad(tuple(dn)), dtype=float).ravel()
        h[:, j] = (gu - gd) / (2.0 * step[j]) * scale
    return 0.5 * (h + h.T)


def score_outer(each, theta) -> np.ndarray:
    """The sum over a chunk of the outer products of the per-observation scores, each
    score by central differences of ``each(point)`` (the log-density of each
    observation), flattened."""
    step = steps(theta)
    cols = []
    for i in range(len(theta)):
        up, dn = list(theta), list(theta)
        up[i] += step[i]
        dn[i] -= step[i]
        fu = each(tuple(up))
        fd = each(tuple(dn))
        cols.append((fu - fd) / (2.0 * step[i]))
    s = np.stack(cols, axis=-1)
    return (s.T @ s).ravel()
