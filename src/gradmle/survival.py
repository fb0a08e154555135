"""Nonparametric estimates of the survival function of censored data: what a censored
fit is drawn over.

- :func:`kaplan_meier`: the product-limit estimate for observed and right-censored
  values, with late entry and frequency weights (a value is at risk at t when its time
  is t or later and it entered before t, or at t when t is the first time in the data
  or its own time: lifelines' convention, under which an entry of 0 for all is no
  late entry); Greenwood's variance
  and the pointwise band of the log(-log S) transform (lifelines' default). Given
  left- or interval-censored values it returns Turnbull's nonparametric maximum
  likelihood estimate instead (self-consistency iterations on the Turnbull
  intervals), a point estimate without a band.
- :func:`plotting_positions`: the estimate's F at each time something failed, midway
  between the steps, for probability paper.

The data take the forms :func:`gradmle.fit` takes (values with ``event``, ``entry`` and
``weights``, or a ``scipy.stats.CensoredData``), and become the same table
(:func:`gradmle.censoring.censored_table`); a censored :class:`gradmle.FitResult` gives
the table it was fitted to (:func:`fit_table`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from .censoring import EXACT, INTERVAL, LEFT, RIGHT, Censored, censored_table
from .io import DataError
from .source import Columns

__all__ = ["SurvivalEstimate", "kaplan_meier", "plotting_positions", "fit_table", "LEVEL", "TURNBULL_TOL",
           "TURNBULL_MAX_ITER"]

#: The confidence level of the pointwise band.
LEVEL = 0.95
#: Turnbull's iterations stop when no probability mass moves by more than this (or
#: after TURNBULL_MAX_ITER of them; the estimate says how many it took).
TURNBULL_TOL = 1e-10
TURNBULL_MAX_ITER = 20_000


@dataclass(frozen=True)
class SurvivalEstimate:
    """A nonparametric survival function: a right-continuous step function, S(t) =
    ``survival[i]`` for ``times[i] <= t < times[i + 1]`` and 1 before ``times[0]``.

    ``times``: the distinct times in the data (events and censorings; for Turnbull's
    estimate, the right ends of the intervals that carry its mass); ``at_risk`` and
    ``events``: the (weighted) number at risk at each time and failing there (for
    Turnbull's estimate, their expected values under it); ``lower``/``upper``: the
    pointwise band at ``level`` (None for Turnbull's); ``variance``: Greenwood's;
    ``method``: ``"kaplan-meier"`` or ``"turnbull"``; ``starts``: for Turnbull's, the
    left ends of the intervals (the mass of interval i lies somewhere in
    [starts[i], times[i]] and S is not determined inside); ``iterations``: how many
    self-consistency steps Turnbull's estimate took."""

    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None
    at_risk: np.ndarray
    events: np.ndarray
    variance: np.ndarray | None = None
    level: float = LEVEL
    method: str = "kaplan-meier"
    starts: np.ndarray | None = None
    iterations: int = 0

    def __repr__(self) -> str:
        last = f"S = {self.survival[-1]:.4g} at t = {self.times[-1]:.6g}" if self.times.size else "no times"
        return (f"<SurvivalEstimate {self.method}: {self.times.size} times, {float(np.sum(self.events)):.6g} events; "
                f"{last}>")

    def __call__(self, t) -> np.ndarray:
        """S at ``t`` (the step function; right-continuous)."""
        return self._step(self.survival, t)

    def band(self, t) -> tuple[np.ndarray, np.ndarray]:
        """The band's (lower, upper) at ``t``."""
        if self.lower is None:
            raise ValueError(f"the {self.method} estimate has no confidence band")
        return self._step(self.lower, t), self._step(self.upper, t)

    def _step(self, values: np.ndarray, t) -> np.ndarray:
        k = np.searchsorted(self.times, np.asarray(t, dtype=float), side="right")
        return np.concatenate([[1.0], values])[k]


def fit_table(result) -> Columns | None:
    """The table of a censored, truncated or weighted fit (None for other fits), in the
    units of ``result.frozen()``."""
    ctx = result.context
    if not isinstance(ctx.family, Censored):
        return None
    return ctx.stats.source.x


def _table(data, event, entry, weights) -> Columns:
    if isinstance(data, Columns):
        return data
    if hasattr(data, "context") and hasattr(data, "params"):  # a FitResult
        table = fit_table(data)
        if table is None:
            raise ValueError("this fit is not of censored, truncated or weighted data: give the values instead")
        return table
    return censored_table(data, event, weights, entry)


def kaplan_meier(data, event=None, entry=None, weights=None, level: float = LEVEL) -> SurvivalEstimate:
    """The Kaplan-Meier (product-limit) estimate of the survival function.

    ``data``: the times (with ``event``: 1 observed, 0 right-censored; ``entry``: when
    each entered, left truncation; ``weights``: frequency weights), a
    ``scipy.stats.CensoredData``, or a censored :class:`gradmle.FitResult` (its data).
    The band is the pointwise ``level`` interval of log(-log S) with Greenwood's
    variance, as lifelines' KaplanMeierFitter draws it; where S is 1 or 0 it is that
    value. Left- or interval-censored values give Turnbull's estimate instead (no band;
    ``method == "turnbull"``); with late entry they are refused."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    table = _table(data, event, entry, weights)
    kind = table["kind"]
    w = table.data.get("weight")
    w = np.ones(kind.size) if w is None else w
    if np.any(kind >= LEFT):
        if "entry" in table.data:
            raise ValueError("left- or interval-censored values with late entry: Turnbull's estimate for truncated "
                             "data is not implemented; leave out entry or the left/interval-censored values")
        return _turnbull(table, w, level)
    keep = w > 0
    x, exact, w = table["x"][keep], kind[keep] == EXACT, w[keep]
    entry_ = table.data.get("entry")
    times = np.unique(x)
    # weighted deaths and exits at each time; at risk: entered at or before t, not gone before t
    slot = np.searchsorted(times, x)
    events = np.bincount(slot, weights=w * exact, minlength=times.size)
    exits = np.bincount(slot, weights=w, minlength=times.size)
    gone_before = np.concatenate([[0.0], np.cumsum(exits)[:-1]])
    if entry_ is None:
        entered = np.full(times.size, w.sum())
    else:
        e = entry_[keep]
        # entered before t; at t itself only at the first time of the data (entries
        # there are at risk from the start) or when the value also leaves at t
        at_once = (e == x) | (e == min(e.min(), x.min()))
        e = np.where(at_once, np.nextafter(e, -math.inf), e)
        order = np.argsort(e, kind="stable")
        cum = np.concatenate([[0.0], np.cumsum(w[order])])
        entered = cum[np.searchsorted(e[order], times, side="left")]
    at_risk = entered - gone_before
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(np.where(events > 0, 1.0 - events / at_risk, 1.0))
        # Greenwood: S^2 sum d / (n (n - d)); a time where all at risk fail adds nothing
        # (S is 0 from there on)
        term = np.where((events > 0) & (at_risk > events), events / (at_risk * (at_risk - events)), 0.0)
    greenwood = np.cumsum(term)
    lower, upper = _loglog_band(survival, greenwood, level)
    return SurvivalEstimate(times, survival, lower, upper, at_risk, events, survival ** 2 * greenwood, level)


def _loglog_band(survival: np.ndarray, greenwood: np.ndarray, level: float):
    """The pointwise band of S from the normal interval of log(-log S), whose standard
    error is sqrt(greenwood) / |log S|."""
    z = float(ndtri(0.5 + level / 2))
    inside = (survival > 0) & (survival < 1)
    lower, upper = survival.copy(), survival.copy()
    s = survival[inside]
    log_s = np.log(s)
    centre = np.log(-log_s)
    half = z * np.sqrt(greenwood[inside]) / -log_s
    lower[inside] = np.exp(-np.exp(centre + half))
    upper[inside] = np.exp(-np.exp(centre - half))
    return lower, upper


def _turnbull(table: Columns, w: np.ndarray, level: float) -> SurvivalEstimate:
    """Turnbull's NPMLE: each value is an interval (left, right] (an observed one the
    point [x, x], a right-censored one (x, inf), a left-censored one (-inf, x]); the
    mass lies on the innermost intervals, the Turnbull intervals (a left end followed
    by a right end with no end between), and the self-consistency (EM) iterations give
    each of them its share of every value whose interval contains it."""
    keep = w > 0
    x, upper, kind, w = table["x"][keep], table["upper"][keep], table["kind"][keep], w[keep]
    left = np.where(kind == LEFT, -math.inf, x)
    right = np.select([kind == RIGHT, kind == INTERVAL], [math.inf, upper], x)
    # the order of the ends: at one value, an observed point's (closed) left end comes
    # before the right ends, an open left end after them
    left_tie = np.where(kind == EXACT, -1, 1)
    ends = np.concatenate([left, right])
    ties = np.concatenate([left_tie, np.zeros(right.size, int)])
    is_left = np.concatenate([np.ones(left.size, bool), np.zeros(right.size, bool)])
    order = np.lexsort((ties, ends))
    rank = np.empty(order.size, int)
    # equal (value, tie) keys share a rank
    key_v, key_t = ends[order], ties[order]
    new = np.concatenate([[True], (key_v[1:] != key_v[:-1]) | (key_t[1:] != key_t[:-1])])
    rank[order] = np.cumsum(new) - 1
    lrank, rrank = rank[: left.size], rank[left.size :]
    # the Turnbull intervals: a left end whose next distinct key is a right end
    kinds_at = np.zeros(rank.max() + 1, int)  # 1: some left end has this key; 2: some right end
    np.bitwise_or.at(kinds_at, rank, np.where(is_left, 1, 2))
    # (no key is both: the ties keep left and right ends apart)
    lo_k = np.flatnonzero((kinds_at[:-1] == 1) & (kinds_at[1:] == 2))
    hi_k = lo_k + 1
    value_of = np.empty(rank.max() + 1)
    value_of[rank] = ends
    # groups of identical intervals, with their summed weights
    pairs, inverse = np.unique(np.column_stack([lrank, rrank]), axis=0, return_inverse=True)
    wg = np.bincount(inverse.ravel(), weights=w)
    contains = (pairs[:, :1] <= lo_k[None, :]) & (hi_k[None, :] <= pairs[:, 1:])
    mass, it = _self_consistent(contains.astype(float), wg / wg.sum())
    total = wg.sum()
    survival = np.clip(1.0 - np.cumsum(mass), 0.0, 1.0)
    before = np.concatenate([[1.0], survival[:-1]])
    return SurvivalEstimate(value_of[hi_k], survival, None, None, total * before, total * mass, None, level,
                            "turnbull", value_of[lo_k], it)


def _self_consistent(a: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, int]:
    """The masses p maximizing sum_i w_i log((a p)_i) on the simplex (``w`` sums to 1):
    Turnbull's self-consistency (EM) step p_j <- p_j sum_i w_i a_ij / (a p)_i, two at a
    time extrapolated along their direction (SQUAREM; kept only where it raises the
    likelihood), until the optimality condition holds: sum_i w_i a_ij / (a p)_i <= 1 + TURNBULL_TOL
    for every j (equality where p_j > 0)."""

    def step(p):
        ratio = a.T @ (w / (a @ p))
        return p * ratio, ratio

    def loglik(p):
        return float(w @ np.log(a @ p))

    p = np.full(a.shape[1], 1.0 / a.shape[1])
    for it in range(1, TURNBULL_MAX_ITER + 1):
        p1, ratio = step(p)
        if ratio.max() <= 1.0 + TURNBULL_TOL:
            return p, it
        p2, _ = step(p1)
        r, v = p1 - p, p2 - 2 * p1 + p
        vv = float(v @ v)
        if vv > 0:
            alpha = -math.sqrt(float(r @ r) / vv)
            jump = np.maximum(p - 2 * alpha * r + alpha * alpha * v, 0.0)
            jump /= jump.sum()
            if np.all(a @ jump > 0) and loglik(jump) > loglik(p2):
                p2 = jump
        p = p2
    return p, TURNBULL_MAX_ITER


def plotting_positions(estimate: SurvivalEstimate) -> tuple[np.ndarray, np.ndarray]:
    """``(t, F)`` for probability paper: at each time with failures, F = 1 - S taken
    midway between the step's two levels (the midpoint of the Kaplan-Meier jump, as
    Meeker and Escobar plot it: it keeps the last point, where S may reach 0, on the
    paper, and is Hazen's (i - 0.5)/n without censoring). Censored values place no
    point but move the later ones, through the estimate. For Turnbull's estimate, the
    right end of each interval that carries mass."""
    s = estimate.survival
    before = np.concatenate([[1.0], s[:-1]])
    jump = before > s
    return estimate.times[jump], 1.0 - 0.5 * (before[jump] + s[jump])
