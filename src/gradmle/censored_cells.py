"""A large censored table as the Gauss points of narrow cells (see
:mod:`gradmle.condense`): each kind of row (observed, right- and left-censored; late
entries as right-censored points of negative weight) condensed on the variable in which
its terms are smooth, intervals kept as rows. :class:`gradmle.censoring.Censored` sums
these at every evaluation and checks them against the rule with one point fewer."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .censoring import EXACT, INTERVAL, RIGHT
from .condense import CELL_WIDTH, POINTS, gauss_cells, smooth_variable, spread
from .source import Columns

__all__ = ["Condensed", "condense"]


class Condensed(NamedTuple):
    """A table as three smaller ones: ``fine`` (each kind's rows as the Gauss points of
    their cells; late entries as right-censored points of negative weight), ``coarse``
    (the same with one point fewer per cell: the check), ``raw`` (rows kept as they are:
    intervals, and kinds too few or too spread out to condense), and the cells' width
    relative to the values' spread."""

    fine: Columns
    coarse: Columns
    raw: Columns | None
    width: float
    rows: int
    variable: str

    def describe(self) -> str:
        raw = 0 if self.raw is None else self.raw.size
        return (f"{self.rows} rows summed as {self.fine.size} Gauss points (up to {POINTS} per cell; cells "
                f"{self.width:.3g} standard deviations of {self.variable} wide){f' and {raw} rows as they are' if raw else ''}")


def condense(table: Columns, support, width: float | None = None) -> Condensed | None:
    """The table as Gauss points of cells ``width`` standard deviations wide (default
    CELL_WIDTH; see :class:`Condensed`), or None when that would not make it much
    smaller."""
    width = CELL_WIDTH if width is None else width
    x, upper, kind = table["x"], table["upper"], table["kind"]
    weight = table.data.get("weight")
    fwd, inv, variable = smooth_variable(support)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = fwd(x)
    # Kept as they are: intervals, and values with no finite u (right-censored at 0).
    good = np.isfinite(u) & (kind != INTERVAL)
    raw = np.flatnonzero(~good)
    parts: dict = {"fine": [], "coarse": [], "raw": []}
    w = weight
    if raw.size:
        parts["raw"].append((x[raw], upper[raw], kind[raw], np.ones(raw.size) if weight is None else weight[raw]))
        if raw.size == x.size:
            return None
        w = np.ones(x.size) if weight is None else weight.copy()
        w[raw] = 0.0  # (in a cell of their own kind, with no weight)
        u = u.copy()
        u[raw] = u[int(good.argmax())]
    h = width * spread(u)
    rules = gauss_cells(u, w, h, kind.astype(np.intp), 3)
    if rules is None:
        return None
    _add(parts, rules, inv, 1.0)
    entry = table.data.get("entry")
    if entry is not None:
        late = np.flatnonzero(entry > 0) if support.positive else np.arange(entry.size)
        if late.size:
            e = entry[late]
            we = np.ones(late.size) if weight is None else weight[late]
            with np.errstate(divide="ignore", invalid="ignore"):
                ue = fwd(e)
            finite = np.isfinite(ue)
            rules = gauss_cells(ue[finite], we[finite], h) if finite.sum() >= 64 else None
            if rules is None:
                finite[:] = False
            else:
                _add(parts, rules, inv, -1.0)
            if not finite.all():
                far = ~finite
                parts["raw"].append((e[far], e[far], np.full(int(far.sum()), float(RIGHT)), -we[far]))
    tables = {k: _stack(v) if v else None for k, v in parts.items()}
    return Condensed(tables["fine"], tables["coarse"], tables["raw"], width, x.size, variable)


def _add(parts: dict, rules, inv, sign: float) -> None:
    """Append the two rules' points (on u, as values of x) to the fine and coarse parts:
    their kind is their group; late entries are right-censored points of negative
    weight."""
    for name, (pu, pw, pg) in (("fine", rules[:3]), ("coarse", rules[3:])):
        px = inv(pu)
        parts[name].append((px, px, pg.astype(float) if sign > 0 else np.full(px.size, float(RIGHT)), sign * pw))


def _stack(parts) -> Columns:
    return Columns({"x": np.concatenate([p[0] for p in parts]), "upper": np.concatenate([p[1] for p in parts]),
                    "kind": np.concatenate([p[2] for p in parts]), "weight": np.concatenate([p[3] for p in parts])})
