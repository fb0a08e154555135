"""The pictures of a fit to censored, truncated or weighted data (matplotlib).

- ``survival_panel``: the fitted survival function S(t) over the Kaplan-Meier estimate
  of the data and its 95% band (Turnbull's estimate, without a band, for left- or
  interval-censored data);
- ``probability_panel``: the data on the fitted family's probability paper
  (``probability_paper``: the numbers drawn), the fit a straight line;
- ``survival_figure``: those two side by side (``result.plot("survival")``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from .plot import COLORS, finish, new_figure
from .survival import fit_table, kaplan_meier, plotting_positions

__all__ = ["survival_panel", "probability_panel", "probability_paper", "Paper", "survival_figure", "PAPERS"]


def _estimate(result):
    """The nonparametric estimate of a censored fit's data (a ValueError for other fits)."""
    if fit_table(result) is None:
        raise ValueError("the survival pictures are drawn for fits to censored, truncated or weighted data "
                         "(gradmle.fit(..., event=...) or a scipy.stats.CensoredData)")
    return kaplan_meier(result)


def survival_panel(ax, result, estimate=None) -> None:
    """The fitted S(t) over the Kaplan-Meier estimate of the data and its pointwise 95%
    band (log(-log) transformed, Greenwood's variance), censoring times marked; for
    left- or interval-censored data over Turnbull's estimate, each interval that holds
    its mass drawn as a slope across it (S is not determined inside)."""
    km = estimate if estimate is not None else _estimate(result)
    t = np.concatenate([[min(0.0, km.times[0])], km.times])
    s = np.concatenate([[1.0], km.survival])
    if km.method == "turnbull":
        starts = np.where(np.isfinite(km.starts), km.starts, t[0])
        xs = np.column_stack([starts, km.times]).ravel()
        ys = np.column_stack([s[:-1], km.survival]).ravel()
        ax.plot(np.concatenate([[t[0]], xs]), np.concatenate([[1.0], ys]), "-", color="black", lw=1.1,
                label="Turnbull NPMLE")
    else:
        ax.step(t, s, where="post", color="black", lw=1.1, label="Kaplan-Meier")
        lo, hi = np.concatenate([[1.0], km.lower]), np.concatenate([[1.0], km.upper])
        ax.fill_between(t, lo, hi, step="post", color="grey", alpha=0.3, lw=0,
                        label=f"{km.level:.0%} band (log-log, Greenwood)")
        cens = km.events == 0
        ax.plot(km.times[cens], km.survival[cens], "|", color="black", ms=5, label="censored")
    grid = np.linspace(t[0], km.times[-1], 400)
    with np.errstate(all="ignore"):
        fitted = result.frozen().sf(grid)
    ax.plot(grid, fitted, "-", color=COLORS[1], lw=1.5, label=f"fitted {result.family}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("t")
    ax.set_ylabel("S(t)")
    ax.set_title(f"{result.family} fit over the nonparametric estimate", fontsize=9)
    ax.legend(fontsize=6)


class Paper(NamedTuple):
    """What a probability plot draws: the data's points and the fitted model's line in
    the paper's coordinates, with the axes' names."""

    name: str
    x: np.ndarray
    y: np.ndarray
    line_x: np.ndarray
    line_y: np.ndarray
    xlabel: str
    ylabel: str


def _loglog(sf):
    return np.log(-np.log(sf))


def _probit(sf):
    return ndtri(1.0 - sf)


#: family -> (paper, x of t, y of S, axis labels): the papers on which the family's
#: distribution functions are straight lines; other families get a P-P plot.
PAPERS = {
    "weibull": ("Weibull", np.log, _loglog, "log t", "log(-log S)"),
    "exponential": ("exponential", lambda t: t, lambda sf: -np.log(sf), "t", "-log S"),
    "lognormal": ("lognormal", np.log, _probit, "log t", "Phi^-1(F)"),
    "normal": ("normal", lambda t: t, _probit, "t", "Phi^-1(F)"),
}


def probability_paper(result, estimate=None) -> Paper:
    """The numbers of a censored fit's probability plot. The points: the nonparametric
    estimate's F at each time something failed, midway between the two levels of its
    step (:func:`gradmle.survival.plotting_positions`: censoring moves them, as the
    product-limit estimate does); the line: the fitted F over the same times. On the
    family's own paper (:data:`PAPERS`: Weibull, x = log t and y = log(-log S);
    lognormal and normal, y = Phi^-1(F) against log t or t; exponential, -log S against
    t) the fitted model is a straight line; for the other families, a P-P plot: the
    points' F against the fitted F at their times, the fit the diagonal."""
    km = estimate if estimate is not None else _estimate(result)
    t, f = plotting_positions(km)
    frozen = result.frozen()
    if result.family not in PAPERS:
        fitted = frozen.cdf(t)
        return Paper("P-P", fitted, f, np.array([0.0, 1.0]), np.array([0.0, 1.0]), f"fitted F ({result.family})",
                     "F from the nonparametric estimate")
    name, xt, ys, xlabel, ylabel = PAPERS[result.family]
    lo, hi = t.min(), t.max()
    grid = np.geomspace(lo, hi, 200) if xt is np.log else np.linspace(lo, hi, 200)
    with np.errstate(divide="ignore"):
        line = ys(frozen.sf(grid))
    return Paper(name, xt(t), ys(1.0 - f), xt(grid), line, xlabel, ylabel)


def probability_panel(ax, result, estimate=None) -> None:
    """The data on the fitted family's probability paper (:func:`probability_paper`)."""
    paper = probability_paper(result, estimate)
    ax.plot(paper.line_x, paper.line_y, "-", color=COLORS[1], lw=1.5, label=f"fitted {result.family}")
    ax.plot(paper.x, paper.y, "o", color="black", ms=3, mfc="none", label="data (midpoints of the steps)")
    ax.set_xlabel(paper.xlabel)
    ax.set_ylabel(paper.ylabel)
    ax.set_title(f"{paper.name} probability plot", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=6)


def survival_figure(result, path=None, kind: str = "both"):
    """A censored fit's survival function over the nonparametric estimate
    (``kind="survival"``), its probability plot (``"probability"``), or both. Returns
    the Figure; with ``path``, also writes it there."""
    if kind not in ("both", "survival", "probability"):
        raise ValueError(f"kind must be 'both', 'survival' or 'probability', got {kind!r}")
    km = _estimate(result)
    panels = [survival_panel, probability_panel] if kind == "both" else \
        [survival_panel if kind == "survival" else probability_panel]
    fig = new_figure((5.2 * len(panels), 4.2))
    axes = fig.subplots(1, len(panels))
    for ax, panel in zip(np.atleast_1d(axes), panels):
        panel(ax, result, km)
    return finish(fig, path)
