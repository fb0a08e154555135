"""Pictures of what the optimizers did (matplotlib, imported only here).

- ``trajectories``: the paths over the contours of the average log-likelihood, start
  and optimum marked, a diverging path drawn up to where it leaves the frame and
  labelled with its cause;
- ``distances``: distance to the optimum against the iteration, log scale;
- ``stability_map``: the outcome over a grid of step x starting sigma, with the bound;
- ``fit_figure``: one fit, as the command line's ``--plot`` draws it; for a model of
  more than two free parameters (``model_figure``), the traces, the convergence and a
  triangle of two-parameter slices of the log-likelihood through the estimate with the
  path projected on each; for a fit to censored data, with the two pictures of
  :mod:`gradmle.survival_plot` below;
- ``profile_figure``: a profile log-likelihood with its cut, estimate and interval.
All files are written atomically.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .io import atomic_write
from .survival import fit_table, kaplan_meier
from .sweep import SWEEP_OUTCOMES

__all__ = ["trajectories", "distances", "stability_map", "fit_figure", "model_figure", "profile_figure", "profile_panel",
           "traces", "free_params", "new_figure", "convergence_panel", "surface_grid", "contours", "path_line",
           "write", "normal_stats", "picture_format", "finish", "COLORS"]

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")
OUTCOME_COLORS = ("#4daf4a", "#ff7f00", "#e41a1c", "#377eb8")


#: What matplotlib can write but is no picture to open (raw pixel dumps without their
#: size) or needs a TeX installation at the moment of writing (pgf).
_NOT_PICTURES = frozenset({"raw", "rgba", "pgf"})


def picture_format(path) -> str:
    """The format the extension of ``path`` names (``fit.svg`` -> ``"svg"``); a one-line
    ValueError naming the extensions allowed when it names none that matplotlib writes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    allowed = sorted(set(FigureCanvasAgg.get_supported_filetypes()) - _NOT_PICTURES)
    ext = Path(path).suffix.lower()
    if ext[1:] in allowed:
        return ext[1:]
    what = f"unknown picture format '{ext}'" if ext else "no extension to say the picture format"
    raise ValueError(f"{path}: {what}; allowed extensions: {', '.join(allowed)}")


def write(fig, path, tight: bool = True) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its extension names (png, svg,
    pdf, ...: :func:`picture_format`); ``tight``: cropped to what is drawn (for figures
    not laid out by hand). Every figure here is a plain matplotlib Figure that pyplot
    does not manage: no backend is chosen or switched, nothing needs closing."""
    fmt = picture_format(path)
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format=fmt, dpi=110, bbox_inches="tight" if tight else None)


def _normal_loglik(stats, mu, sigma):
    dm = (stats.shift - mu) + stats.dmean
    return -0.5 * math.log(2 * math.pi) - np.log(sigma) - (stats.var + dm * dm) / (2 * sigma * sigma)


def _frame(stats, results):
    xbar, s = stats.mean, math.sqrt(stats.var)
    mus = [xbar] + [r.trace["mu"][0] for r in results]
    sigmas = [s] + [r.trace["sigma"][0] for r in results]
    lo_mu, hi_mu = min(mus), max(mus)
    pad = max(hi_mu - lo_mu, 2 * s) * 0.35
    top = max(max(sigmas) * 1.6, 2.5 * s)
    return (lo_mu - pad, hi_mu + pad), (0.0, top)


def _exit_point(mu, sigma, xlim, ylim):
    """Index of the first point outside the frame (None if the path stays inside)."""
    inside = (mu > xlim[0]) & (mu < xlim[1]) & (sigma > ylim[0]) & (sigma < ylim[1]) & np.isfinite(mu) & np.isfinite(sigma)
    out = np.flatnonzero(~inside)
    return int(out[0]) if out.size else None


def trajectories(ax, stats, results, labels=None, title=None):
    """Paths of ``results`` (Normal fits on the data of ``stats``) over the contours."""
    xlim, ylim = _frame(stats, results)
    mu = np.linspace(*xlim, 220)
    sg = np.linspace(ylim[1] / 400, ylim[1], 220)
    m, s = np.meshgrid(mu, sg)
    ll = _normal_loglik(stats, m, s)
    best = _normal_loglik(stats, stats.mean, math.sqrt(stats.var))
    gap = np.log10(np.maximum(best - ll, 1e-12))
    cs = ax.contour(m, s, gap, levels=np.arange(-3, 6.5, 0.5), cmap="Greys", linewidths=0.6)
    ax.clabel(cs, cs.levels[::2], fmt=lambda v: f"{10 ** v:.0e}", fontsize=6)
    for k, r in enumerate(results):
        color = COLORS[k % len(COLORS)]
        label = labels[k] if labels else r.method
        tm, ts = r.trace["mu"], r.trace["sigma"]
        ax.plot(tm, ts, "-", color=color, lw=1.2, marker=".", ms=3, label=f"{label} ({r.status})")
        ax.plot(tm[0], ts[0], "o", color=color, ms=6, mfc="white")
        out = _exit_point(tm, ts, xlim, ylim)
        if out is not None or r.status == "diverged":
            k_in = max((out if out is not None else len(tm)) - 1, 0)
            cause = r.diagnosis.cause if r.diagnosis is not None else r.status
            ax.annotate(f"{label}: {cause}", (tm[k_in], ts[k_in]), xytext=(10, 10 + 13 * k), textcoords="offset points",
                        fontsize=7, color=color, arrowprops={"arrowstyle": "->", "color": color, "lw": 0.8})
    ax.plot(stats.mean, math.sqrt(stats.var), "*", color="black", ms=12, label="optimum (closed form)")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("mu")
    ax.set_ylabel("sigma")
    ax.set_title(title or "paths over log10(l_max - l(mu, sigma))", fontsize=9)
    ax.legend(fontsize=6, loc="upper right")


def distances(ax, results, labels=None):
    """Scaled distance to the optimum, max(|mu - mu_hat|, |sigma - sigma_hat|) / sigma_hat."""
    for k, r in enumerate(results):
        ref = r.reference
        s = ref["sigma"]
        d = np.maximum(np.abs(r.trace["mu"] - ref["mu"]), np.abs(r.trace["sigma"] - s)) / s
        d = np.where(np.isfinite(d), np.maximum(d, 1e-17), np.nan)
        label = labels[k] if labels else r.method
        color = COLORS[k % len(COLORS)]
        ax.semilogy(np.arange(d.size), d, "-", color=color, lw=1.2, label=f"{label} ({r.status})")
        if r.status == "diverged":
            ax.plot(d.size - 1, d[-1] if np.isfinite(d[-1]) else 1e17, "x", color=color, ms=8)
    ax.set_xlabel("update (trace row)")
    ax.set_ylabel("distance to the optimum / sigma_hat")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6)


def stability_map(ax, sweep_result, title=None):
    """The outcome grid of :func:`gradmle.sweep`, with the computed bound."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    sr = sweep_result
    x = sr.steps
    y = sr.sigma0s / sr.sigma_hat
    ax.pcolormesh(_edges(x), _edges(y), sr.outcome, cmap=ListedColormap(OUTCOME_COLORS), vmin=-0.5, vmax=3.5, shading="flat")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axvline(sr.bound, color="black", lw=1.5, ls="--")
    ax.text(sr.bound, y[-1], f" bound {sr.bound:.3g}", fontsize=7, va="top")
    ax.set_xlabel("step gamma")
    ax.set_ylabel("sigma0 / sigma_hat")
    ax.set_title(title or f"{sr.method} ({sr.parametrization}), mu0 = {sr.mu0:.3g}", fontsize=9)
    ax.legend(handles=[Patch(color=c, label=o) for c, o in zip(OUTCOME_COLORS, SWEEP_OUTCOMES)], fontsize=6, loc="lower left")


def _edges(v: np.ndarray) -> np.ndarray:
    lv = np.log(v)
    mid = (lv[1:] + lv[:-1]) / 2 if v.size > 1 else np.array([])
    first = lv[0] - (mid[0] - lv[0] if mid.size else 0.5)
    last = lv[-1] + (lv[-1] - mid[-1] if mid.size else 0.5)
    return np.exp(np.concatenate([[first], mid, [last]]))


#: Rows of the data a model's likelihood surface is drawn from (a systematic subsample
#: beyond), points per side of each slice, and slices of at most this many parameters.
SURFACE_ROWS = 20_000
SLICE_GRID = 30
SLICE_PARAMS = 6


def free_params(result) -> list[str]:
    """The names of a fit's parameters that were not held fixed."""
    fixed = result.options.get("fixed") or {}
    return [k for k in result.params if k not in fixed]


def model_surface(result, points) -> np.ndarray:
    """The average log-likelihood of a model's fit at each row of ``points`` (parameter
    values in the order of ``result.params``), all evaluated in one pass over the data
    (``Model.values``: vectorized under JAX), from a systematic subsample of at most
    SURFACE_ROWS rows. NaN where it is not finite."""
    ctx = result.context
    fam, units, sample = ctx.family, ctx.units, ctx.stats
    work = np.array([units.theta_to_work(tuple(p)) for p in np.asarray(points, dtype=float)])
    every = max(1, -(-sample.n // SURFACE_ROWS))
    total, rows = np.zeros(len(work)), 0
    with np.errstate(all="ignore"):
        for offset, chunk in sample.source.chunks():
            sub = chunk[(-offset) % every :: every]
            if len(sub):
                total += fam.values(work, sub)
                rows += len(sub)
        mean = total / max(rows, 1)
    return np.where(np.isfinite(mean), mean, np.nan)


def _span(result, name: str) -> tuple[float, float]:
    """The range of a slice in ``name``: the path and four standard errors about the
    estimate, inside the parameter's interval."""
    t = np.asarray(result.trace[name], dtype=float)
    t = t[np.isfinite(t)]
    hat = result.params[name]
    se = None
    if result.converged:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            se = (result.stderr or {}).get(name)
    se = se if se is not None and math.isfinite(se) and se > 0 else 0.05 * max(abs(hat), 1.0)
    lo, hi = min(t.min(initial=hat), hat - 4 * se), max(t.max(initial=hat), hat + 4 * se)
    c = result.context.family.constraints[list(result.params).index(name)]
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    if math.isfinite(c.lower) and lo <= c.lower:
        lo = c.lower + 0.02 * (min(hat, t.min(initial=hat)) - c.lower)
    if math.isfinite(c.upper) and hi >= c.upper:
        hi = c.upper - 0.02 * (c.upper - max(hat, t.max(initial=hat)))
    return lo, hi


def _slice_points(result, x: str, y: str, xs, ys) -> np.ndarray:
    """The parameter points of a slice: the estimate, with ``x`` and ``y`` on the grid
    (row i: ``y = ys[i]``)."""
    names = list(result.params)
    base = np.array([result.params[k] for k in names], dtype=float)
    pts = np.repeat(base[None, :], len(xs) * len(ys), axis=0)
    gx, gy = np.meshgrid(xs, ys)
    pts[:, names.index(x)], pts[:, names.index(y)] = gx.ravel(), gy.ravel()
    return pts


def contours(ax, xs, ys, values, spread: bool = False) -> None:
    """log10(l_max - l) of a grid of average log-likelihoods, as grey contours (every
    half decade from 1e-3; with ``spread``, a dozen levels over the grid's own range)."""
    if not np.isfinite(values).any():
        return
    gap = np.log10(np.maximum(np.nanmax(values) - values, 1e-12))
    levels = np.arange(-3, 6.5, 0.5)
    if spread:
        lo, hi = np.nanpercentile(gap, [3, 97])
        levels = np.linspace(lo, hi, 12) if hi > lo else levels
    ax.contour(xs, ys, gap, levels=levels, cmap="Greys", linewidths=0.6)


def path_line(ax, result, x: str, y: str, label: bool = True) -> None:
    tx, ty = result.trace[x], result.trace[y]
    ax.plot(tx, ty, ".-", color=COLORS[0], ms=3, lw=1.2, label=f"{result.method} ({result.status})" if label else None)
    ax.plot(tx[0], ty[0], "o", color=COLORS[0], mfc="white", ms=6, label="start" if label else None)
    ax.plot(tx[-1], ty[-1], "*", color="black", ms=11, label="end" if label else None)


def path_on_surface(ax, result, grid: int = 60, max_points: int = 2000, limits=None, surface=None):
    """The path of a two-parameter fit of any family over the contours of its average
    log-likelihood (for families that need the data at each evaluation the contours
    are drawn from a systematic subsample of at most ``max_points`` values; for a
    model, of SURFACE_ROWS rows, every point in one pass). ``limits``: the frame
    ``((lo0, hi0), (lo1, hi1))`` (the path's own range by default; a path leaving it is
    cut at its edge); ``surface``: the grid of values over that frame, when already at
    hand (:func:`surface_grid`)."""
    fam = result.context.family
    names = free_params(result) if hasattr(fam, "values") else list(result.params)
    if limits is None:
        t0, t1 = result.trace[names[0]], result.trace[names[1]]
        ok = np.isfinite(t0) & np.isfinite(t1)
        lo0, hi0, lo1, hi1 = t0[ok].min(), t0[ok].max(), t1[ok].min(), t1[ok].max()
        pad0, pad1 = 0.15 * (hi0 - lo0) or 0.1 * abs(hi0) or 1.0, 0.15 * (hi1 - lo1) or 0.1 * abs(hi1) or 1.0
        limits = ((lo0 - pad0, hi0 + pad0), (lo1 - pad1, hi1 + pad1))
    xs, ys = np.linspace(*limits[0], grid), np.linspace(*limits[1], grid)
    values = surface_grid(result, xs, ys, max_points) if surface is None else surface
    contours(ax, xs, ys, values)
    path_line(ax, result, names[0], names[1])
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(f"{result.family}: path over log10(l_max - l)", fontsize=9)
    ax.legend(fontsize=6)


def surface_grid(result, xs, ys, max_points: int = 2000) -> np.ndarray:
    """The average log-likelihood over the grid ``xs`` x ``ys`` of a fit's first two
    free parameters, the others at the estimate (row i: the second one at ``ys[i]``);
    NaN where it is not finite."""
    fam = result.context.family
    if hasattr(fam, "values"):  # a model: every point in one vectorized pass
        names = free_params(result)
        return model_surface(result, _slice_points(result, names[0], names[1], xs, ys)).reshape(len(ys), len(xs))
    return family_grid(result, list(result.params), xs, ys, max_points)


def family_grid(result, names, xs, ys, max_points: int) -> np.ndarray:
    """The average log-likelihood of a built-in family's fit over a grid of its two
    parameters (row i: the second one at ``ys[i]``)."""
    from .families import Sample
    from .source import ArraySource

    ctx = result.context
    fam, stats, units = ctx.family, ctx.stats, ctx.units
    grid = len(xs)
    x = getattr(stats, "x", None) if not fam.sufficient else None
    if x is not None and x.size > max_points:
        stats = Sample(ArraySource(x[:: x.size // max_points]), x[:: x.size // max_points].size, **stats.extra)
    f = fam.objective(stats)
    fixed = {k: v for k, v in (result.options.get("fixed") or {}).items() if k in result.params}
    values = np.full((grid, grid), np.nan)
    with np.errstate(all="ignore"):
        for i, y in enumerate(ys):
            for j, xv in enumerate(xs):
                theta = dict(result.params)
                theta[names[0]], theta[names[1]] = float(xv), float(y)
                theta.update(fixed)
                try:
                    v = f(units.theta_to_work(tuple(theta.values())))[0]
                except (ZeroDivisionError, OverflowError):
                    v = np.nan
                values[i, j] = v if np.isfinite(v) else np.nan
    return values


def normal_stats(result):
    """The Normal's moments of a fit, in the data's units (what the contours of the
    classic pictures are drawn from)."""
    ctx = result.context
    return ctx.units.moments_to_data(ctx.stats)


def convergence_panel(ax, result) -> None:
    """The scaled gradient per update and, for a converged run, the distance in
    log-likelihood to the maximum it reached; for a run that did not converge the
    log-likelihood itself on a second axis (the best value such a run reached is no
    maximum: a gap to it would fall to zero at a run's last, possibly runaway, point)."""
    g = np.where(np.isfinite(result.trace["grad_norm"]), result.trace["grad_norm"], np.nan)
    ax.semilogy(np.maximum(g, 1e-17), ".-", ms=3, label="scaled gradient")
    ll = np.asarray(result.trace["loglik"], dtype=float)
    handles, labels = ax.get_legend_handles_labels()
    if np.isfinite(ll).any() and result.converged:
        gap = np.nanmax(ll) - ll
        ax.semilogy(np.where(np.isfinite(gap), np.maximum(gap, 1e-17), np.nan), ".-", ms=3,
                    label="l_max - l (per observation)")
        handles, labels = ax.get_legend_handles_labels()
    elif np.isfinite(ll).any():
        right = ax.twinx()
        right.plot(np.where(np.isfinite(ll), ll, np.nan), ".-", ms=3, color=COLORS[4],
                   label="log-likelihood l (per observation)")
        finite = ll[np.isfinite(ll)]
        if finite.max() - finite.min() > 1e3:
            right.set_yscale("symlog", linthresh=max(1.0, float(np.abs(finite).min())))
        right.set_ylabel("l (per observation)", fontsize=8)
        right.tick_params(labelsize=7)
        h, lab = right.get_legend_handles_labels()
        handles, labels = handles + h, labels + lab
    ax.set_xlabel("update (trace row)")
    from .display import plural

    ax.set_title(f"{result.family} / {result.method}: {result.status} after {plural(result.nit, 'iteration')}",
                 fontsize=9)
    ax.legend(handles, labels, fontsize=7)
    ax.grid(True, which="both", alpha=0.3)


def new_figure(figsize):
    """A matplotlib Figure that pyplot does not manage (nothing to close, no backend
    switched; the caller's to keep): a :class:`Picture`, which displays itself in a
    notebook."""
    return _picture_class()(figsize=figsize)


_PICTURE = None


def _picture_class():
    """:class:`Picture`, defined on first use (matplotlib is imported only for pictures)."""
    global _PICTURE
    if _PICTURE is None:
        from matplotlib.figure import Figure

        class Picture(Figure):
            """A Figure that shows itself in Jupyter as a PNG, whether or not pyplot (and with
            it an inline backend's display hook) was ever imported."""

            def _repr_png_(self):
                import io

                buf = io.BytesIO()
                self.savefig(buf, format="png", bbox_inches="tight")
                return buf.getvalue()

        _PICTURE = Picture
    return _PICTURE


def finish(fig, path, tight: bool = True):
    """Write ``fig`` to ``path`` when one is given (atomically); return it."""
    if path is not None:
        write(fig, path, tight)
    return fig


def model_figure(result, path=None):
    """A model of more than two free parameters: the traces of (the first SLICE_PARAMS
    of) them and the convergence above; below, a triangle of slices of the
    log-likelihood through the estimate, SLICE_GRID x SLICE_GRID points each (all
    evaluated in one pass: :func:`model_surface`), the path projected on each. Returns
    the Figure; with ``path``, also writes it there."""
    shown = free_params(result)[:SLICE_PARAMS]
    k = len(shown)
    # Two grids placed by hand: a layout engine (or a tight bounding box) would spend
    # longer on 30-odd axes than the slices take.
    row, gap = 2.4, 1.0
    height = row + gap + row * (k - 1) + 0.5
    fig = new_figure((max(2.7 * (k + 1), 2.7 * (k - 1)), height))
    split = 1.0 - (row + 0.35) / height
    top = fig.add_gridspec(1, k + 1, top=1.0 - 0.35 / height, bottom=split, left=0.06, right=0.98, wspace=0.35)
    bottom = fig.add_gridspec(k - 1, k - 1, top=split - gap / height, bottom=0.5 / height, left=0.08, right=0.98,
                              wspace=0.3, hspace=0.3)
    axes = [fig.add_subplot(top[0, i]) for i in range(k + 1)]
    traces(axes, result, shown)
    convergence_panel(axes[-1], result)
    spans = {name: np.linspace(*_span(result, name), SLICE_GRID) for name in shown}
    pairs = [(shown[c], shown[r + 1]) for r in range(k - 1) for c in range(r + 1)]
    points = np.concatenate([_slice_points(result, x, y, spans[x], spans[y]) for x, y in pairs])
    values = model_surface(result, points).reshape(len(pairs), SLICE_GRID, SLICE_GRID)
    done, first = 0, None
    for r in range(k - 1):
        for c in range(r + 1):
            ax = fig.add_subplot(bottom[r, c])
            first = first or ax
            x, y = pairs[done]
            contours(ax, spans[x], spans[y], values[done], spread=True)
            path_line(ax, result, x, y, label=done == 0)
            ax.set_xlim(spans[x][0], spans[x][-1])
            ax.set_ylim(spans[y][0], spans[y][-1])
            if r == k - 2:
                ax.set_xlabel(x)
            if c == 0:
                ax.set_ylabel(y)
            ax.tick_params(labelsize=7)
            done += 1
    first.legend(fontsize=6)
    more = len(free_params(result)) - k
    fig.text(0.5, split - 0.75 * gap / height, "slices of log10(l_max - l) through the estimate, the path projected"
             + (f" (the first {k} of {k + more} free parameters)" if more else ""), fontsize=9, ha="center")
    return finish(fig, path, tight=False)


def traces(axes, result, names) -> None:
    """One panel per parameter in ``names``: its value at every update, the end dotted."""
    for ax, name in zip(axes, names):
        ax.plot(result.trace[name], ".-", ms=3)
        end = result.params[name]
        if math.isfinite(end):
            ax.axhline(end, color="black", lw=0.6, ls=":")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("update")


def fit_figure(result, path=None):
    """The picture of one fit: its path (two-parameter families) and its traces; for
    censored, truncated or weighted data, below them the fitted survival function over
    the nonparametric estimate and the probability plot. Returns the Figure; with
    ``path``, also writes it there."""
    names = list(result.params)
    if hasattr(result.context.family, "values"):  # a model of the user's
        if len(free_params(result)) > 2:
            return model_figure(result, path)
        names = free_params(result)
    two = len(names) == 2
    ncols = 2 if two else len(names) + 1
    censored = fit_table(result) is not None
    fig = new_figure((11 if two else max(4 * ncols, 10.4), 8.6 if censored else 4.2))
    rows = fig.add_gridspec(2 if censored else 1, 1, hspace=0.3)
    axes = rows[0].subgridspec(1, ncols, wspace=0.25).subplots()
    axes = np.atleast_1d(axes)
    if censored:
        from .survival_plot import probability_panel, survival_panel

        km = kaplan_meier(result)
        below = rows[1].subgridspec(1, 2, wspace=0.25).subplots()
        survival_panel(below[0], result, km)
        probability_panel(below[1], result, km)
    if two and result.family == "normal" and not hasattr(result.context.family, "values") and \
            result.context.units.identity:
        trajectories(axes[0], normal_stats(result), [result], title=f"{result.method}: {result.status}")
        ax = axes[1]
    elif two:
        path_on_surface(axes[0], result)
        ax = axes[1]
    else:
        traces(axes, result, names)
        ax = axes[-1]
    convergence_panel(ax, result)
    return finish(fig, path)


def profile_figure(profile):
    """A matplotlib Figure (not registered with pyplot) of a :class:`gradmle.Profile`
    (:func:`profile_panel`)."""
    fig = new_figure((6.4, 4.4))
    profile_panel(fig.subplots(), profile)
    return fig


def profile_panel(ax, profile) -> None:
    """A profile log-likelihood, its quadratic (Wald) approximation, the cut, the
    estimate and the ends of the interval (an end at the edge of the parameter space
    is an arrow pointing there)."""
    p = profile
    v, ll = p.values, p.logliks
    # The points far out (the bracketing doubles its steps) would flatten the picture.
    shown = np.isfinite(ll) & (ll >= p.loglik - 2.0 * p.cutoff)
    if shown.sum() < 2:
        shown = np.isfinite(ll)
    v, ll = v[shown], ll[shown]
    ax.plot(v, ll, ".-", color=COLORS[0], lw=1.4, ms=4, label="profile log-likelihood")
    if p.stderr:
        q = np.linspace(v.min(), v.max(), 200)
        ax.plot(q, p.loglik - 0.5 * ((q - p.estimate) / p.stderr) ** 2, "--", color=COLORS[4], lw=1,
                label="quadratic (Wald) approximation")
    ax.axhline(p.cut, color="black", ls=":", lw=1, label=f"cut: maximum - {0.5 * p.cutoff:.3g} ({p.level:.0%})")
    ax.plot(p.estimate, p.loglik, "*", color="black", ms=11, label=f"estimate {p.estimate:.4g}")
    for end, side in ((p.lower, -1), (p.upper, 1)):
        if end.kind == "profile":
            ax.axvline(end.value, color=COLORS[1], lw=1)
            ax.plot(end.value, p.cut, "o", color=COLORS[1], ms=5)
            ax.annotate(f"{end.value:.4g}", (end.value, p.cut), xytext=(4 * side, 6), textcoords="offset points",
                        fontsize=7, color=COLORS[1], ha="left" if side > 0 else "right")
        else:
            x = v.max() if side > 0 else v.min()
            what = f"to the edge ({end.value:g})" if end.kind == "edge" else "end unknown"
            ax.annotate(what, (x, p.cut), xytext=(-60 * side, 14), textcoords="offset points", fontsize=7,
                        color=COLORS[1], arrowprops={"arrowstyle": "->", "color": COLORS[1], "lw": 0.8})
    lo = min(p.cut - 0.25 * p.cutoff, ll.min())
    ax.set_ylim(lo, p.loglik + 0.15 * (p.loglik - lo))
    if v.min() > 0 and v.max() / v.min() > 100:
        ax.set_xscale("log")
    ax.set_xlabel(p.name)
    ax.set_ylabel("log-likelihood (total)")
    lo_s, hi_s = ("?" if e.value is None else f"{e.value:.4g}" for e in (p.lower, p.upper))
    ax.set_title(f"{p.family}: profile of {p.name}, {p.level:.0%} interval [{lo_s}, {hi_s}]", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)
