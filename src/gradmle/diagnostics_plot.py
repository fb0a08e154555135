"""The four diagnostic pictures of fitted distributions (fitdistrplus's), one fit or
several overlaid:

- density over the histogram of the data (for counts: the PMF over the relative
  frequencies);
- CDF over the empirical CDF;
- Q-Q: the data's order statistics against the fitted quantiles at (i - 1/2)/n (for
  counts, a hanging rootogram instead: sqrt(observed) bars hung from sqrt(expected), so
  that every misfit stands out at one scale whatever the frequency);
- P-P: the fitted CDF at the data against (i - 1/2)/n.

A good fit lies on the diagonal of Q-Q and P-P: Q-Q shows misfit in the tails, P-P in
the middle.
"""

from __future__ import annotations

import numpy as np

from .plot import COLORS

__all__ = ["diagnostic_figure", "fit_panel"]

#: At most this many points are drawn in Q-Q and P-P (evenly spaced ranks).
MAX_POINTS = 2000


def diagnostic_figure(x_sorted: np.ndarray, fits, title: str | None = None):
    """A matplotlib Figure (not managed by pyplot) with the four pictures of ``fits``, a
    list of ``(name, frozen scipy distribution)``, against the sorted data."""
    from .gof import is_discrete
    from .plot import new_figure

    fig = new_figure((10, 7.5))
    axes = fig.subplots(2, 2).ravel()
    discrete = bool(fits) and is_discrete(fits[0][1])
    if discrete:
        _pmf(axes[0], x_sorted, fits)
        _cdf(axes[1], x_sorted, fits, step=True)
        _rootogram(axes[2], x_sorted, fits)
    else:
        _density(axes[0], x_sorted, fits)
        _cdf(axes[1], x_sorted, fits, step=False)
        _qq(axes[2], x_sorted, fits)
    _pp(axes[3], x_sorted, fits)
    if fits:
        axes[0].legend(fontsize=8, frameon=False)
    if title:
        fig.suptitle(f"n = {x_sorted.size}: {title}", fontsize=11)
    fig.tight_layout()
    return fig


def _ranks(n: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, MAX_POINTS)).round().astype(int))


def _grid(x: np.ndarray) -> np.ndarray:
    lo, hi = x[0], x[-1]
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    return np.linspace(lo - pad, hi + pad, 400)


def _density(ax, x, fits) -> None:
    lo, hi = np.quantile(x, [0.001, 0.999]) if x.size > 1000 else (x[0], x[-1])
    inside = x[(x >= lo) & (x <= hi)]
    ax.hist(inside, bins=min(100, max(10, int(np.sqrt(inside.size)))), density=True, color="0.85",
            edgecolor="0.6", linewidth=0.4, label="data")
    t = np.linspace(lo, hi, 400)
    with np.errstate(all="ignore"):
        for (name, fz), c in zip(fits, COLORS):
            ax.plot(t, fz.pdf(t), color=c, lw=1.4, label=name)
    ax.set(title="density over histogram", xlabel="x", ylabel="density")


def _pmf(ax, x, fits) -> None:
    k, freq = np.unique(x, return_counts=True)
    top = int(x[-1])
    ks = np.arange(0, top + 1) if top <= 200 else k
    ax.bar(k, freq / x.size, width=0.8, color="0.85", edgecolor="0.6", linewidth=0.4, label="data")
    width = 0.8 / max(1, len(fits))
    for j, ((name, fz), c) in enumerate(zip(fits, COLORS)):
        ax.plot(ks + (j - (len(fits) - 1) / 2) * width * 0.5, fz.pmf(ks), "o", ms=3.5, color=c, label=name)
    ax.set(title="probability mass over frequencies", xlabel="count", ylabel="probability")


def _cdf(ax, x, fits, step: bool) -> None:
    n = x.size
    ax.step(x, np.arange(1, n + 1) / n, where="post", color="0.3", lw=1.0, label="empirical")
    t = np.arange(np.floor(x[0]), np.ceil(x[-1]) + 1) if step and x[-1] - x[0] <= 400 else _grid(x)
    with np.errstate(all="ignore"):
        for (name, fz), c in zip(fits, COLORS):
            if step:
                ax.step(t, fz.cdf(t), where="post", color=c, lw=1.2, label=name)
            else:
                ax.plot(t, fz.cdf(t), color=c, lw=1.2, label=name)
    ax.set(title="CDF over empirical CDF", xlabel="x", ylabel="probability", ylim=(-0.02, 1.02))


def _qq(ax, x, fits) -> None:
    n = x.size
    r = _ranks(n)
    p = (r + 0.5) / n
    for (name, fz), c in zip(fits, COLORS):
        ax.plot(fz.ppf(p), x[r], ".", ms=3, color=c, label=name)
    lo, hi = x[0], x[-1]
    ax.plot([lo, hi], [lo, hi], color="0.4", lw=0.8, ls="--")
    ax.set(title="Q-Q", xlabel="fitted quantile", ylabel="data")


def _pp(ax, x, fits) -> None:
    n = x.size
    r = _ranks(n)
    p = (r + 0.5) / n
    for (name, fz), c in zip(fits, COLORS):
        ax.plot(p, fz.cdf(x[r]), ".", ms=3, color=c, label=name)
    ax.plot([0, 1], [0, 1], color="0.4", lw=0.8, ls="--")
    ax.set(title="P-P", xlabel="empirical probability", ylabel="fitted probability", xlim=(0, 1), ylim=(0, 1))


def _rootogram(ax, x, fits) -> None:
    """Hanging rootogram of the first fit; the others' sqrt(expected) as lines."""
    ks, counts = np.unique(x, return_counts=True)
    if x[-1] <= 1000:  # every cell, the empty ones too
        full = np.zeros(int(x[-1]) + 1)
        full[ks.astype(np.int64)] = counts
        ks, counts = np.arange(full.size), full
    obs = np.sqrt(counts)
    for j, ((name, fz), c) in enumerate(zip(fits, COLORS)):
        exp = np.sqrt(x.size * fz.pmf(ks))
        if j == 0:
            ax.bar(ks, obs, bottom=exp - obs, width=0.8, color="0.85", edgecolor="0.6", linewidth=0.4,
                   label=f"sqrt(observed), hung from {name}")
        ax.plot(ks, exp, "-o", ms=3, lw=1.0, color=c, label=name)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set(title="hanging rootogram", xlabel="count", ylabel="sqrt(frequency)")
    ax.legend(fontsize=8, frameon=False)


def fit_panel(ax, x_sorted: np.ndarray, fits) -> None:
    """The first of the four pictures alone, on ``ax``: the density of each fit over the
    histogram of the data (for counts, the PMF over the relative frequencies)."""
    from .gof import is_discrete

    if fits and is_discrete(fits[0][1]):
        _pmf(ax, x_sorted, fits)
    else:
        _density(ax, x_sorted, fits)
