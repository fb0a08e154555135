"""Censored, truncated and weighted data for the continuous families.

The data become one table (:class:`~gradmle.source.Columns`) with a row per observation:
``x`` (the value, or the bound that is known), ``upper`` (the upper end of an interval;
``x`` otherwise), ``kind`` (observed exactly, right-, left- or interval-censored), and
where given ``weight`` (frequency weights: a row counts as that many observations) and
``entry`` (left truncation: the observation could only be seen above it). A censored
fit is then a family without sufficient statistics whose every evaluation is one pass
over the table, each row adding its own term:

- observed at x: log f(x);  right-censored at x (still running): log S(x);
- left-censored at x (below a detection limit): log F(x);
- censored to the interval (x, upper]: log(F(upper) - F(x));
- entered at e: minus log S(e) (the likelihood given survival to e);

times the row's weight; value, gradient and Hessian from the same pass, the tail terms
computed stably far in the tails (:mod:`gradmle.families.tails`).

The conventions are those of the ecosystem: ``scipy.stats.CensoredData`` (uncensored,
left, right and interval values), and lifelines' ``event`` (1 observed, 0
right-censored).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .condense import AGREE, CELL_WIDTH, CONDENSE_ROWS, POINTS, shift_in_scales
from .families import get_family
from .families.base import Family, PassFamily, Sample
from .families.density import DENSITIES, logpdf
from .families.tails import SHAPE_MAX, SHAPE_MIN, TAILS, OutOfRange, log_interval, logcdf, logsf
from .io import DataError
from .source import Columns
from .stats import sum_of_products

__all__ = ["Censored", "Counts", "censored", "censored_table", "check_weights", "count", "KINDS", "is_censored_input"]

#: The kinds of observation, by their code in the ``kind`` column.
EXACT, RIGHT, LEFT, INTERVAL = 0, 1, 2, 3
KINDS = ("observed", "right-censored", "left-censored", "interval-censored")


class Counts(NamedTuple):
    """How many observations of each kind (weighted: frequency weights count as that
    many), and how many entered late (left-truncated)."""

    observed: float
    right: float
    left: float
    interval: float
    truncated: float
    rows: int
    #: The range (lo, hi) every observation was truncated to, if one was given.
    window: tuple | None = None

    @property
    def censored(self) -> float:
        return self.right + self.left + self.interval

    def describe(self) -> str:
        parts = [f"{_n(self.observed)} observed"]
        late = 0.0 if self.window is not None else self.truncated  # (the range says it for all)
        for n, what in ((self.right, "right-censored"), (self.left, "left-censored"),
                        (self.interval, "interval-censored"), (late, "left-truncated (late entry)")):
            if n:
                parts.append(f"{_n(n)} {what}")
        if self.window is not None:
            lo, hi = self.window
            parts.append(f"all truncated to ({lo:g}, {hi:g}{']' if math.isfinite(hi) else ')'} (seen only there)")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        out = {"observed": self.observed, "right_censored": self.right, "left_censored": self.left,
               "interval_censored": self.interval, "truncated": self.truncated, "rows": self.rows}
        if self.window is not None:
            out["truncation"] = [v if math.isfinite(v) else None for v in self.window]
        return out


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # Not np.dot: BLAS would split a chunk's dot product over spinning threads (see
    # stats.sum_of_products).
    return sum_of_products(a, b, np.empty_like(a))


def _column_sums(a: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """The (weighted) sum of each column of ``a`` (n x m), column by column: numpy's sum
    over the first axis of a wide array strides through memory several times slower."""
    if w is None:
        return np.array([a[:, j].sum() for j in range(a.shape[1])])
    buf = np.empty(len(w))
    return np.array([sum_of_products(w, a[:, j], buf) for j in range(a.shape[1])])


def _n(v: float) -> str:
    return f"{int(v)}" if float(v).is_integer() else f"{v:.6g}"


def is_censored_input(data) -> bool:
    """Whether ``data`` is a scipy.stats.CensoredData."""
    return type(data).__name__ == "CensoredData" and hasattr(data, "_uncensored")


def _vector(values, what: str, n: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be numbers, got {values!r:.80}") from None
    arr = arr.ravel() if arr.ndim else arr.reshape(1)
    if n is not None and arr.size != n:
        raise DataError(f"{what} has {arr.size} values for {n} observations: give one per observation")
    if np.isnan(arr.min()) if arr.size else False:
        bad = np.flatnonzero(np.isnan(arr))
        raise DataError(f"{what} holds {bad.size} NaN value(s), the first at index {bad[0]}")
    return arr


def _from_scipy(data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    exact = _vector(data._uncensored, "the uncensored values")
    left = _vector(data._left, "the left-censored values")
    right = _vector(data._right, "the right-censored values")
    iv = np.asarray(data._interval, dtype=float).reshape(-1, 2)
    lo, hi = iv[:, 0], iv[:, 1]
    # An interval open at one end is a one-sided censoring; both ends open tells nothing.
    both = np.isinf(lo) & np.isinf(hi)
    if both.any():
        raise DataError(f"{int(both.sum())} interval(s) are (-inf, inf): they carry no information; leave them out")
    to_left, to_right = np.isinf(lo), np.isinf(hi)
    inner = ~(to_left | to_right)
    x = np.concatenate([exact, right, hi[to_left] if to_left.any() else left[:0], left, lo[to_right], lo[inner]])
    kinds = np.concatenate([np.full(exact.size, EXACT), np.full(right.size, RIGHT),
                            np.full(int(to_left.sum()) + left.size, LEFT), np.full(int(to_right.sum()), RIGHT),
                            np.full(int(inner.sum()), INTERVAL)])
    upper = x.copy()
    upper[kinds == INTERVAL] = hi[inner]
    return x, upper, kinds.astype(float)


def check_weights(weights, n: int) -> np.ndarray:
    """Frequency weights, one per observation, as an array: finite, >= 0, not all 0."""
    w = _vector(weights, "weights", n)
    if not (np.isfinite(w.sum()) and w.min() >= 0):
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
        raise DataError(f"weights must be finite and >= 0; weights[{bad[0]}] = {float(w[bad[0]])!r}")
    if not w.sum() > 0:
        raise DataError("the weights sum to 0: there is nothing to fit")
    return w


def censored_table(data, event=None, weights=None, entry=None, loc: float = 0.0) -> Columns:
    """The table of a censored, truncated or weighted sample (see the module's doc). ``data``: a scipy.stats.CensoredData, or the values (durations) with
    ``event`` (1 or True: observed; 0 or False: right-censored at that value);
    ``weights``: frequency weights >= 0; ``entry``: the time each observation entered
    (left truncation); ``loc`` is subtracted from every value and entry."""
    if is_censored_input(data):
        if event is not None:
            raise ValueError("event= cannot be given with a CensoredData: it already says which values are censored")
        x, upper, kind = _from_scipy(data)
    else:
        x = _vector(data, "data")
        upper = x  # (the table's columns are only read)
        kind = np.zeros(x.size)
        if event is not None:
            ev = _vector(event, "event", x.size)
            kind = 1.0 - ev  # RIGHT where 0, EXACT where 1
            if not np.all((kind == EXACT) | (kind == RIGHT)):
                odd = np.flatnonzero((ev != 0) & (ev != 1))
                raise DataError(f"event must be 1 (observed) or 0 (right-censored); event[{odd[0]}] = {float(ev[odd[0]])!r}")
    n = x.size
    if n == 0:
        raise DataError("no observations")
    if not (np.isfinite(x.sum()) and (upper is x or np.isfinite(upper.sum()))):
        finite = np.isfinite(x) & np.isfinite(upper)
        i = int(np.flatnonzero(~finite)[0])
        raise DataError(f"{int((~finite).sum())} value(s) are infinite, the first at index {i} ({float(x[i])!r}); a censored "
                        "value is given by its finite bound and its kind")
    cols = {"x": x - loc if loc else x, "upper": (upper - loc if loc else upper) if upper is not x else None,
            "kind": kind}
    if cols["upper"] is None:
        cols["upper"] = cols["x"]
    if weights is not None:
        cols["weight"] = check_weights(weights, n)
    if entry is not None:
        e = _vector(entry, "entry", n) - loc
        if not np.isfinite(e).all():
            i = int(np.flatnonzero(~np.isfinite(e))[0])
            raise DataError(f"entry[{i}] = {float(e[i] + loc)!r} is not finite")
        if np.any(e > x):
            i = int(np.flatnonzero(e > x)[0])
            raise DataError(f"entry[{i}] = {float(e[i] + loc)!r} is after the value {float(x[i] + loc)!r}: an observation is seen "
                            "only after it entered")
        cols["entry"] = e
    if upper is not x and not np.all((kind != INTERVAL) | (upper > x)):
        i = int(np.flatnonzero((kind == INTERVAL) & ~(upper > x))[0])
        raise DataError(f"the interval ({float(x[i] + loc)!r}, {float(upper[i] + loc)!r}] at index {i} is empty: its lower end must "
                        "be below its upper end")
    return Columns(cols)


def count(table: Columns, support) -> Counts:
    """The counts of each kind of observation in ``table``; an entry counts as late
    where the family's support starts before it."""
    kind = table["kind"]
    weight = table.data.get("weight")
    entry = table.data.get("entry")
    late = 0.0
    if entry is not None:
        if not support.positive:
            late = float(kind.size if weight is None else weight.sum())
        else:
            late = float(np.count_nonzero(entry > 0) if weight is None else weight.sum(where=entry > 0))
    by_kind = np.bincount(kind.astype(np.intp), weights=weight, minlength=4).astype(float)
    return Counts(*(float(v) for v in by_kind[:4]), late, kind.size)


#: A start is fitted to at most about this many of the values.
START_ROWS = 5_000


def _in_scales(total: np.ndarray, vec: np.ndarray, k: int, weight: float) -> float | None:
    """:func:`gradmle.condense.shift_in_scales` of summed sums: H and vec per observation."""
    return shift_in_scales(total[1 + k : 1 + k + k * k].reshape(k, k) / weight, vec / weight)


class Censored(PassFamily):
    """A continuous family fitted to censored, truncated or weighted data (see the
    module's doc): the same parameters, constraints and scipy name; one pass over the
    table per evaluation."""

    learns: tuple = ()
    takes_columns = True  # the table of censored rows

    def __init__(self, base, table: Columns, truncation: tuple | None = None):
        base = get_family(base)
        if not base.smooth:
            raise ValueError(f"censored or weighted data are not fitted for {base.name!r} yet: its likelihood has a kink "
                             "at every observed value, which the Newton steps of a censored fit cannot cross")
        if base.name not in DENSITIES:
            raise ValueError(f"censored or weighted data are fitted for the continuous families "
                             f"({', '.join(DENSITIES)}); {base.name!r} is not one of them")
        self.base = base
        #: (lo, hi): every observation was seen only in this range (None: no such range).
        self.truncation = truncation
        self.counts = count(table, base.support)
        if truncation is not None:
            c = self.counts
            self.counts = c._replace(truncated=c.observed + c.censored, window=truncation)
        c = self.counts
        total = c.observed + c.censored
        #: The observations the rows stand for (their weights' sum): the n of the fit.
        self.observations = int(total) if total.is_integer() else total
        self.name = base.name
        self.param_names = base.param_names
        self.constraints = base.constraints
        self.support = base.support
        self.scipy_name = base.scipy_name
        self.scale_power = None  # the table is fitted in the data's own units
        # A boundary of the base family (a Student-t's df to infinity) is one here too,
        # its limit fitted to the same censored table.
        self.limit_params, self.limit_names = base.limit_params, base.limit_names
        self.limit_family = Censored(base.limit_family, table, truncation) if base.limit_family else None

    def pinned(self, theta) -> tuple | None:
        """``(index, why)`` while the boundary parameter (a Student-t's df) sits at the
        end of the range over which the tails are computed, SHAPE_MAX: every step
        beyond is refused there, so a run whose likelihood still rises that way would
        wait out its iterations; the driver ends it after a few (it runs away to the
        limit model, which :meth:`limit` names). None elsewhere."""
        if not self.limit_params:
            return None
        i = self.param_names.index(self.limit_params[0])
        if theta[i] < 0.5 * SHAPE_MAX:
            return None
        return i, (f"{self.limit_params[0]} reached {theta[i]:.3g}, the end of the range over which the tails of "
                   f"censored data are computed ({SHAPE_MAX:g})")

    def limit(self, result) -> str | None:
        if not self.limit_params:
            return None
        p = self.limit_params[0]
        v = result.params[p]
        ran = result.status == "diverged" and result.outcome.code == "ran_away" and result.outcome.param == p
        if v < 0.5 * SHAPE_MAX and not ran:
            return None
        name = self.limit_family.name
        return (f"{p} runs to infinity (it reached {v:.3g} and was still rising): the {self.name} likelihood of these "
                f"censored data keeps increasing towards its {name} limit; see result.limit_fit for the {name} fit")

    # -- the data -------------------------------------------------------------------------------
    def check(self, table: Columns) -> None:
        """Refuse what the family's support or the censoring pattern make impossible, and
        samples with no maximum: nothing observed or censored on the side that bounds
        the parameters."""
        c = self.counts
        x, kind, support = table["x"], table["kind"], self.support
        exact = kind == EXACT
        if c.observed and not support.settled(x.min(), x.max()):  # (else every value is in the support)
            bad = support.bad(x[exact])
            if bad is not None:
                i = int(np.flatnonzero(exact)[np.flatnonzero(bad)[0]])
                raise DataError(f"the observed value {float(x[i])!r} (index {i}) is outside the {self.name} support: "
                                f"{support.rule}")
        left = kind == LEFT
        if support.positive and c.left and not (x[left] > 0).all():
            i = int(np.flatnonzero(left & (x <= 0))[0])
            raise DataError(f"the value at index {i} is left-censored at {float(x[i])!r}: below the {self.name} support "
                            f"({support.rule}) it has probability 0")
        if c.observed + c.interval == 0 and (c.left == 0 or c.right == 0):
            side = "right" if c.right else "left"
            grows = "grows" if side == "right" else "shrinks"
            raise ValueError(f"all {_n(c.censored)} values are {side}-censored and none is observed: the likelihood "
                             f"increases without limit as the distribution's scale {grows}, so no maximum exists")
        self._check_point_mass(table)

    def _check_point_mass(self, table: Columns) -> None:
        """Refuse samples whose likelihood has no maximum because one point t fits them
        all: every observed value equals t and every censored one allows it (right-
        censored below t, left-censored at or above it, intervals around it). Piling
        the distribution up at t then makes the likelihood grow without limit (a
        density at t that grows as the spread shrinks), or tend to 1 with nothing
        observed: the single failure that is also the longest time, for instance."""
        x, upper, kind = table["x"], table["upper"], table["kind"]
        weight = table.data.get("weight")
        seen = kind == EXACT
        if weight is not None:
            seen &= weight > 0
        first = int(seen.argmax())
        if seen[first]:
            seen &= x != x[first]
            if seen.any():
                return  # two different observed values: a spread the likelihood must fit
        if weight is not None:
            keep = weight > 0
            x, upper, kind = x[keep], upper[keep], kind[keep]
        exact = x[kind == EXACT]
        if exact.size and exact.min() != exact.max():
            return
        below = np.concatenate([x[kind == RIGHT], x[kind == INTERVAL]])   # t must be above these
        above = np.concatenate([x[kind == LEFT], upper[kind == INTERVAL]])  # and at or below these
        lo = float(below.max()) if below.size else -math.inf
        hi = float(above.min()) if above.size else math.inf
        if exact.size:
            t = float(exact[0])
            if lo < t <= hi:
                raise ValueError(
                    f"no maximum likelihood estimate: every observed value is {t!r} and every censored value allows "
                    f"it (right-censored values all below it{', left-censored values at or above it' if above.size else ''}), "
                    f"so the {self.name} likelihood grows without limit as the distribution piles up at {t!r}")
        elif lo < hi:
            raise ValueError(
                f"no maximum likelihood estimate: nothing is observed exactly and a single point between {lo!r} and "
                f"{hi!r} satisfies every censored value, so the {self.name} likelihood approaches its supremum only as "
                "the distribution piles up there")

    def prepare(self, info: dict) -> dict:
        return {}

    def initial(self, sample: Sample):
        """The base family's fit to the values as if they were observed (an interval by
        its middle): a start on the right scale."""
        from . import engine

        table = sample.source.x
        x, upper, kind = table["x"], table["upper"], table["kind"]
        values = np.where(kind == INTERVAL, 0.5 * (x + upper), x)
        if values.size > 4 * START_ROWS:  # a start needs no more than a spread-out subset
            values = values[:: values.size // START_ROWS]
        keep = self.support.bad(values)
        if keep is not None:
            values = values[~keep]
        try:
            r = engine.fit(values, engine.check_options(self.base, "auto"))
        except (ValueError, ArithmeticError):
            return (math.nan,) * len(self.param_names)
        theta = [r.params[k] for k in self.param_names]
        if r.status == "diverged" or not all(math.isfinite(t) for t in theta):
            return (math.nan,) * len(self.param_names)
        # A shape run to its limit (a t's df to infinity) starts well inside the range
        # over which the tails are computed.
        for i in TAILS[self.name].shapes:
            theta[i] = min(max(theta[i], 10.0 * SHAPE_MIN), 1e-3 * SHAPE_MAX)
        return tuple(theta)

    # -- one pass ---------------------------------------------------------------------------------
    def chunk_sums(self, theta, chunk: Columns, extra=None) -> np.ndarray:
        """[sum of values, of gradients (k), of Hessians (k x k), of outer products of
        the per-observation scores (k x k)], weighted; NaN where a shape is beyond the
        range over which the tails are computed (the optimizer then steps back)."""
        k = len(theta)
        try:
            return self._sums(theta, chunk)
        except OutOfRange:
            return np.full(1 + k + 2 * k * k, math.nan)

    def _terms(self, theta, chunk: Columns):
        """``(rows, (values, gradients, hessians))`` of each kind of row, and of the late
        entries (to be taken off), as the rows' own arrays."""
        name = self.name
        x, kind = chunk["x"], chunk["kind"]
        for code in (EXACT, RIGHT, LEFT, INTERVAL):
            rows = np.flatnonzero(kind == code)
            if rows.size == chunk.size:
                rows = slice(None)
            elif not rows.size:
                continue
            xm = x[rows]
            if code == EXACT:
                yield rows, logpdf(name, xm, theta), 1.0
            elif code == RIGHT:
                yield rows, logsf(name, xm, theta, 2), 1.0
            elif code == LEFT:
                yield rows, logcdf(name, xm, theta, 2), 1.0
            else:
                yield rows, log_interval(name, xm, chunk["upper"][rows], theta, 2), 1.0
        entry = chunk.data.get("entry")
        if entry is not None:
            yield slice(None), logsf(name, entry, theta, 2), -1.0

    def _sums(self, theta, chunk: Columns) -> np.ndarray:
        k = len(theta)
        weight = chunk.data.get("weight")
        if self.name in ("weibull", "exponential") and not np.any(chunk["kind"] >= LEFT):
            return self._power_sums(theta, chunk, weight)
        value, grad, hess = 0.0, np.zeros(k), np.zeros(k * k)
        scores = np.zeros((chunk.size, k))  # each row's score, for the outer products
        for rows, (v, g, h), sign in self._terms(theta, chunk):
            w = None if weight is None else weight[rows]
            if w is not None:
                with np.errstate(invalid="ignore"):  # a zero weight on an impossible term
                    v = np.where(w != 0, v, 0.0)
            value += sign * _column_sums(v[:, None], w)[0]
            grad += sign * _column_sums(g, w)
            hess += sign * _column_sums(h.reshape(len(v), k * k), w)
            scores[rows] += sign * g
        cols = [np.ascontiguousarray(scores[:, a]) for a in range(k)]
        weighted = cols if weight is None else [c * weight for c in cols]
        outer = np.array([[_dot(weighted[a], cols[b]) for b in range(k)] for a in range(k)])
        return np.concatenate([[value], grad, hess, outer.ravel()])

    def _power_sums(self, theta, chunk: Columns, weight) -> np.ndarray:
        """The Weibull (exponential: c = 1) with observed and right-censored rows and
        late entries: log f = log c - log scale + (c - 1) r - u and log S = -u, with
        r = log(x / scale) and u = e^(c r), so one pass gives everything from sums of
        u, u r and u r^2 (an entry's u taken off) and of r over the observed rows."""
        c, scale = (theta[0], theta[1]) if len(theta) == 2 else (1.0, theta[0])
        x, exact = chunk["x"], chunk["kind"] == EXACT
        w = np.ones(x.size) if weight is None else weight
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            r = np.log(x / scale)
            u = np.exp(c * r)
            ur = np.where(u > 0, u * r, 0.0)  # (a value at 0 is an entry at 0: no term)
            we = w * exact
            d, r1 = we.sum(), _dot(we, r)
            entry = chunk.data.get("entry")
            t0, t1, t2 = _dot(w, u), _dot(w, ur), _dot(w, np.where(u > 0, ur * r, 0.0))
            if entry is not None:
                re = np.log(entry / scale)
                ue = np.exp(c * re)
                ure = np.where(ue > 0, ue * re, 0.0)
                t0, t1, t2 = t0 - _dot(w, ue), t1 - _dot(w, ure), t2 - _dot(w, np.where(ue > 0, ure * re, 0.0))
            # each row's score in (c, scale), for the outer products
            sc = np.where(exact, 1.0 / c + r, 0.0) - ur
            ss = c * (u - exact) / scale
            if entry is not None:
                sc, ss = sc + ure, ss - c * ue / scale
        value = d * math.log(c / scale) + (c - 1.0) * r1 - t0
        g_c, g_s = d / c + r1 - t1, c * (t0 - d) / scale
        h_cc, h_cs, h_ss = -d / (c * c) - t2, (t0 - d + c * t1) / scale, c * (d - t0 - c * t0) / (scale * scale)
        if len(theta) == 1:
            return np.array([value, g_s, h_ss, _dot(w * ss, ss)])
        outer = [_dot(w * sc, sc), _dot(w * sc, ss), _dot(w * ss, ss)]
        return np.array([value, g_c, g_s, h_cc, h_cs, h_cs, h_ss, outer[0], outer[1], outer[1], outer[2]])

    def _truncated(self, theta, sums: np.ndarray, n) -> np.ndarray:
        """The sums with every observation's term less log P(lo < X <= hi) (its weight
        times), where the data were truncated to (lo, hi]; the scores' outer products,
        where the sums carry them, of the scores less that term's gradient."""
        if self.truncation is None:
            return sums
        k = len(theta)
        lo, hi = self.truncation
        try:
            v, g, h = log_interval(self.name, np.array([lo]), np.array([hi]), theta, 2)
        except OutOfRange:
            return np.full(sums.shape, math.nan)
        g, out = g[0], sums.copy()
        out[0] -= n * v[0]
        out[1 : 1 + k] -= n * g
        out[1 + k : 1 + k + k * k] -= n * h[0].ravel()
        if sums.size > 1 + k + k * k:  # sum w (s - g)(s - g)^T, with sum w s the gradient's sum
            total = sums[1 : 1 + k]
            cross = total[:, None] * g[None, :]
            out[1 + k + k * k :] -= (cross + cross.T - n * g[:, None] * g[None, :]).ravel()
        return out

    def assemble(self, theta, sums: np.ndarray, n: int, extra=None):
        return self._assembled(theta, self._truncated(theta, sums, n), n, extra)

    def _assembled(self, theta, sums: np.ndarray, n: int, extra=None):
        k = len(theta)
        value = float(sums[0]) / n
        if not math.isfinite(value):
            return -math.inf, (math.nan,) * k, np.full((k, k), math.nan)
        if extra is not None:  # the scores' outer products came with the same pass
            extra["outer_at"] = (tuple(float(t) for t in theta), sums[1 + k + k * k :].reshape(k, k) / n)
        return value, tuple(float(v) / n for v in sums[1 : 1 + k]), sums[1 + k : 1 + k + k * k].reshape(k, k) / n

    # -- large tables: Gauss points of cells --------------------------------------------------
    def _pass(self, theta, sample: Sample):
        """Value, gradient and Hessian at theta: from the table's Gauss points where it is
        large and in memory (see :func:`condense`; checked at every evaluation against
        the rule with one point fewer per cell, the cells halved where they disagree),
        else from a pass over the table."""
        plan = self._plan(sample)
        if plan is None:
            return super()._pass(theta, sample)
        k = len(theta)
        try:
            fine = self._sums(theta, plan.fine)[: 1 + k + k * k]
            raw = 0.0 if plan.raw is None else self._sums(theta, plan.raw)[: 1 + k + k * k]
        except OutOfRange:
            return self.assemble(theta, np.full(1 + k + k * k, math.nan), sample.n, None)
        weight = float(sample.n)
        sums = self._truncated(theta, fine + raw, weight)
        # The check, at every evaluation: a point far from the optimum decides where the
        # run goes, and cells narrow for one scale may be wide for another.
        try:
            coarse = self._sums(theta, plan.coarse)[: 1 + k]
        except OutOfRange:
            coarse = np.full(1 + k, math.nan)
        gap = abs(fine[0] - coarse[0]) / max(abs(sums[0]), weight)
        shift = _in_scales(sums, fine[1 : 1 + k] - coarse[1 : 1 + k], k, weight)
        gap = max(gap, shift or 0.0)
        if gap > AGREE and math.isfinite(sums[0]):
            sample.extra["plan"] = self._refined(sample, plan)
            return self._pass(theta, sample)
        sample.extra["gap"] = max(sample.extra.get("gap", 0.0), gap if math.isfinite(gap) else 0.0)
        return self._assembled(theta, sums, sample.n, None)

    def _plan(self, sample: Sample):
        """The table's Gauss points (a :class:`gradmle.censored_cells.Condensed`), made
        at the first evaluation; None: summed row by row."""
        from .censored_cells import condense

        extra = sample.extra
        if "plan" not in extra:
            table = sample.x
            plan = None
            if isinstance(table, Columns) and table.size >= CONDENSE_ROWS:
                plan = condense(table, self.support, CELL_WIDTH)
            extra["plan"] = plan
        return extra["plan"]

    def _refined(self, sample: Sample, plan):
        """The plan with cells half as wide; None (row by row) after three halvings."""
        if plan.width < CELL_WIDTH / 7:
            return None
        from .censored_cells import condense

        return condense(sample.x, self.support, plan.width / 2)

    def condensed(self, sample: Sample) -> str | None:
        """How the evaluations summed the table, for the result's info (None: row by row)."""
        plan = sample.extra.get("plan")
        if plan is None:
            return None
        return f"{plan.describe()}; the rules with {POINTS} and {POINTS - 1} points agreed to {sample.extra.get('gap', 0.0):.1g}"

    def empirical_information(self, theta, sample: Sample) -> np.ndarray:
        """The mean outer product of the per-observation scores at theta (weighted):
        what Fisher scoring, and Newton where the Hessian is not negative definite,
        use; it comes with the pass over the table that evaluated theta (one pass of
        its own where the evaluations use the Gauss points of cells)."""
        key = tuple(float(t) for t in theta)
        found = sample.extra.get("outer_at")
        if found is None or found[0] != key:
            super()._pass(key, sample)
            found = sample.extra.get("outer_at")
        if found is None or found[0] != key:
            return np.full((len(key),) * 2, math.nan)
        return found[1]

    #: The fixed ``loc`` subtracted from the values before the table was made (families
    #: whose support starts at loc): the fitted distribution is shifted back by it.
    loc: float = 0.0

    def frozen(self, params: dict, loc: float = 0.0):
        return self.base.frozen(params, self.loc + loc)

    def __repr__(self) -> str:
        return f"<family {self.name} on censored data: {', '.join(self.param_names)}>"


def censored(data, family, fixed, event=None, weights=None, entry=None,
             truncation=None) -> tuple[Columns, Censored, dict | None]:
    """``(table, family, fixed)`` for :func:`gradmle.fit` given censored, truncated or
    weighted data: a fixed ``loc`` of the families whose support starts there is
    subtracted from the values (as for uncensored data) and leaves ``fixed``."""
    base = get_family(family)
    if isinstance(base, Censored):
        raise TypeError("family must be a family's name or a Model, not a censored fit's family")
    fixed = dict(fixed) if fixed else {}
    loc = 0.0
    if base.shiftable and "loc" in fixed:
        loc = fixed.pop("loc")
        if isinstance(loc, bool) or not isinstance(loc, (int, float)) or not math.isfinite(loc):
            raise ValueError(f"fixed['loc'] must be a finite number, got {loc!r}")
    table = censored_table(data, event, weights, entry, float(loc))
    window = _window(truncation, entry, table, float(loc))
    fam = Censored(base, table, window)
    fam.loc = float(loc)
    fam.check(table)
    return table, fam, fixed or None


def _window(truncation, entry, table: Columns, loc: float) -> tuple | None:
    """``truncation`` (a number t: seen only above t; a pair (lo, hi), either end None or
    infinite for none) as (lo, hi) less ``loc``, checked against the values."""
    if truncation is None:
        return None
    if entry is not None:
        raise ValueError("give either entry= (a time of entry per observation) or truncation= (one range for all), "
                         "not both")
    pair = (truncation, None) if np.ndim(truncation) == 0 else tuple(truncation)
    if len(pair) != 2:
        raise ValueError(f"truncation must be a number (seen only above it) or a pair (lo, hi), got {truncation!r}")
    ends = []
    for v, missing in zip(pair, (-math.inf, math.inf)):
        if v is None:
            v = missing
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or math.isnan(v):
            raise ValueError(f"truncation's ends must be numbers or None, got {truncation!r}")
        ends.append(float(v) - loc)
    lo, hi = ends
    if not lo < hi:
        raise ValueError(f"truncation = {truncation!r} is an empty range: its lower end must be below its upper end")
    if lo == -math.inf and hi == math.inf:
        return None
    x, upper = table["x"], table["upper"]
    if x.min() < lo or upper.max() > hi:
        i = int(np.flatnonzero((x < lo) | (upper > hi))[0])
        raise DataError(f"the value {float(x[i] + loc)!r} (index {i}) is outside the truncation range ({lo + loc:g}, "
                        f"{hi + loc:g}]: truncated data hold only values seen inside it")
    return (lo, hi)
