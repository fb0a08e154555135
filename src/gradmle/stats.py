"""Stable one-pass moments: ``(n, mean, M2)`` per chunk, merged pairwise.

Within a chunk the mean is corrected by a second sweep over the (cache-resident)
deviations, so data such as ``1e7 + 0.1 * k`` keep their digits; across chunks the
partial results are merged with the update of Chan, Golub & LeVeque (1979), so an
array, a file read in pieces and a Dask array give the same answer to a few ulps.
"""

from __future__ import annotations

import math
from typing import Iterable, NamedTuple

import numpy as np

__all__ = ["Moments", "moments", "merge", "tree", "LogMoments", "log_moments", "merge_log", "log_ratio", "log_rel",
           "wsum"]

# Elements per chunk: 64 Ki float64 values (512 KiB) stay in cache for the second sweep.
CHUNK = 1 << 16


class Moments(NamedTuple):
    """Sufficient statistics of a sample for the Normal family.

    The mean is held as ``shift + dmean``, with ``shift`` a value of the data and
    ``dmean`` the (small) mean of the deviations from it: together they carry the
    mean to more digits than one float, so ``xbar - mu`` stays exact near the optimum
    even for data such as ``1e7 + 0.1 * k``.

    Attributes
    ----------
    n : int or float
        Number of values (for weighted data the sum of the frequency weights).
    shift, dmean : float
        The mean is ``shift + dmean``.
    m2 : float
        Sum of squared deviations from the mean, ``sum((x - mean)**2)``.
    min, max : float
        Smallest and largest value (used for the data's range).
    """

    n: int
    shift: float
    dmean: float
    m2: float
    min: float
    max: float

    @property
    def mean(self) -> float:
        return self.shift + self.dmean

    @property
    def var(self) -> float:
        """Maximum-likelihood variance ``m2 / n`` (divisor n)."""
        return self.m2 / self.n

    @property
    def range(self) -> float:
        return self.max - self.min


EMPTY = Moments(0, 0.0, 0.0, 0.0, float("inf"), float("-inf"))


def sum_of_products(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> float:
    """sum(a * b): the products written into ``out`` (scratch of their size; it may be
    ``a`` or ``b``, which are then overwritten) and summed pairwise.

    The per-chunk sums of the fits use this, not np.dot (nor ``@``, vdot, inner,
    matmul): those hand a dot product to BLAS, and OpenBLAS splits even one chunk's over
    threads that spin waiting for each other, so a fit runs several times slower while
    another process keeps a core busy. numpy's pairwise sum is also more accurate than
    the dot product's running sums.
    """
    return float(np.multiply(a, b, out=out).sum())


def wsum(a: np.ndarray, w: np.ndarray | None, out: np.ndarray | None = None) -> float:
    """sum(a), or with frequency weights sum(w * a) (the sum over the data with each
    value repeated w times); ``out`` as for :func:`sum_of_products`."""
    return float(a.sum()) if w is None else sum_of_products(w, a, out)


def _chunk_moments(x: np.ndarray, shift: float, buf: np.ndarray, w: np.ndarray | None = None) -> Moments:
    """The moments of one chunk; with frequency weights ``w`` (> 0), those of the
    chunk with each value repeated w times: n = sum(w), the mean and M2 weighted.
    The second sweep is the same, each deviation counted with its weight."""
    if x.shape[0] == 0:
        return EMPTY
    d = np.subtract(x, shift, out=buf[: x.shape[0]])
    if w is None:
        n = x.shape[0]
        dmean = float(d.sum()) / n
        d -= dmean
        # Second sweep over the cached deviations: the sum s1 corrects the mean and M2.
        s1 = float(d.sum())
        m2 = sum_of_products(d, d, out=d) - s1 * s1 / n
    else:
        n = float(w.sum())
        wd = np.empty_like(d)
        dmean = sum_of_products(w, d, out=wd) / n
        d -= dmean
        np.multiply(w, d, out=wd)
        s1 = float(wd.sum())
        m2 = sum_of_products(wd, d, out=wd) - s1 * s1 / n
    return Moments(n, shift, dmean + s1 / n, max(m2, 0.0), float(x.min()), float(x.max()))


def merge(a: Moments, b: Moments) -> Moments:
    """Combine the moments of two disjoint samples (Chan, Golub & LeVeque)."""
    if a.n == 0:
        return b
    if b.n == 0:
        return a
    n = a.n + b.n
    # Work relative to a's shift: the means are then of the size of the spread and
    # their rounding errors are relative to it, not to the location of the data.
    b_dmean = b.dmean if b.shift == a.shift else (b.shift - a.shift) + b.dmean
    delta = b_dmean - a.dmean
    dmean = a.dmean + delta * (b.n / n)
    m2 = a.m2 + b.m2 + delta * delta * (a.n * (b.n / n))
    return Moments(n, a.shift, dmean, m2, min(a.min, b.min), max(a.max, b.max))


def tree(parts: list, combine):
    """Combine a list pairwise (a balanced tree: rounding grows like log(len));
    None entries are skipped, an empty list gives None."""
    parts = [p for p in parts if p is not None]
    while len(parts) > 1:
        nxt = [combine(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0] if parts else None


def _merge_all(parts: list[Moments]) -> Moments:
    return tree([p for p in parts if p.n], merge) or EMPTY


def moments(data: np.ndarray | Iterable[np.ndarray], chunk: int = CHUNK, weights: np.ndarray | None = None) -> Moments:
    """One pass over ``data`` (an array or an iterable of 1-D chunks); with frequency
    ``weights`` (an array, for an array of data) the weighted moments, n = sum of the
    weights, merged across chunks by the same update (it holds for any positive n).

    Examples
    --------
    >>> import numpy as np
    >>> m = moments(np.array([1e7 + 0.1, 1e7 + 0.2, 1e7 + 0.3]))
    >>> round(m.mean - 1e7, 6), round(m.var, 12)  # (of the floats nearest 1e7 + 0.1, ...)
    (0.2, 0.006666666741)
    """
    if weights is not None:
        shift = float(data[0]) if data.shape[0] else 0.0
        buf = np.empty(min(chunk, data.shape[0]))
        return _merge_all([_chunk_moments(data[i : i + chunk], shift, buf, weights[i : i + chunk])
                           for i in range(0, data.shape[0], chunk)])
    if isinstance(data, np.ndarray):
        chunks: Iterable[np.ndarray] = (
            data[i : i + chunk] for i in range(0, data.shape[0], chunk)
        )
    else:
        chunks = data
    buf = np.empty(chunk)
    parts = []
    shift = None
    for c in chunks:
        c = np.asarray(c, dtype=np.float64).ravel()
        if c.shape[0] == 0:
            continue
        if shift is None:
            shift = float(c[0])
        if c.shape[0] > buf.shape[0]:
            buf = np.empty(c.shape[0])
        parts.append(_chunk_moments(c, shift, buf))
    return _merge_all(parts)


class LogMoments(NamedTuple):
    """Moments of log x taken about log c, with c a value of the data:
    ``y = log1p((x - c) / c) = log x - log c``, exact to the last digits even when all
    values agree to many digits (1e12 + 1e-3 k), where log x itself would round to a
    few distinct floats."""

    c: float
    m: Moments  # of y; the mean of log x is log(c) + m.mean

    @property
    def mean_rel(self) -> float:
        return self.m.mean

    @property
    def var(self) -> float:
        return self.m.var


def log_ratio(x: np.ndarray, c: float, out: np.ndarray | None = None) -> np.ndarray:
    """log(x / c) to full relative precision for positive x: log1p((x - c) / c) where x
    is within a factor 2 of c (x - c is then exact, and log(x / c) would keep only the
    digits of its rounding), log(x / c) elsewhere (where it is at least log 2)."""
    y = np.divide(x, c, out=out)
    np.log(y, out=y)
    near = (x >= 0.5 * c) & (x <= 2.0 * c)
    if near.any():
        y[near] = np.log1p((x[near] - c) / c)
    return y


def log_rel(s: float, ref: float) -> float:
    """log(s / ref) for positive floats, through log1p within a factor 2 of ref (where
    log s - log ref would cancel)."""
    r = (s - ref) / ref
    return math.log1p(r) if -0.5 <= r <= 1.0 else math.log(s / ref) if math.isfinite(s / ref) and s / ref > 0 \
        else math.log(s) - math.log(ref)


def log_moments(chunk: np.ndarray, w: np.ndarray | None = None) -> LogMoments:
    """One chunk's :class:`LogMoments` (positive values; weighted by ``w``)."""
    c = float(chunk[0])
    return LogMoments(c, moments(log_ratio(chunk, c), weights=w))


def merge_log(a: LogMoments, b: LogMoments) -> LogMoments:
    """Combine two :class:`LogMoments`, re-expressing b about a's c:
    log x - log ca = (log x - log cb) + log1p((cb - ca) / ca)."""
    if a.m.n == 0:
        return b
    if b.m.n == 0:
        return a
    d = log_rel(b.c, a.c)
    return LogMoments(a.c, merge(a.m, b.m._replace(dmean=b.m.dmean + d)))
