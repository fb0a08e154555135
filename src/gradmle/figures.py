"""What :meth:`gradmle.FitResult.plot` draws: one matplotlib Figure per kind of picture.

- ``"auto"``: the picture of the command line's ``--plot`` (:func:`gradmle.plot.fit_figure`):
  the path over the contours for two free parameters, else the traces, and the
  convergence; for censored data the survival pictures below;
- ``"path"``: the path over the contours of the average log-likelihood (two free
  parameters; a model of more: the triangle of two-parameter slices through the
  estimate);
- ``"trace"``: every parameter against the update, and the convergence;
- ``"convergence"``: the scaled gradient and l_max - l per update;
- ``"diagnostics"``: density over the histogram, CDF over the empirical CDF, Q-Q and P-P
  (for counts, PMF and a rootogram); for censored data, the survival function over the
  Kaplan-Meier estimate and the probability plot;
- ``"survival"``: those two pictures of a censored fit;
- ``"profile"``: the profile log-likelihood of one parameter (``param``) or of each.

The figures are not managed by pyplot: in a notebook they display themselves, and
nothing else changes (no backend is switched, nothing needs closing).
"""

from __future__ import annotations

import numpy as np

from . import plot
from .survival_plot import survival_figure

__all__ = ["KINDS", "result_figure"]

#: The kinds of :meth:`gradmle.FitResult.plot`.
KINDS = ("auto", "path", "trace", "convergence", "diagnostics", "survival", "profile")


def _censored(result) -> bool:
    from .survival import fit_table

    return fit_table(result) is not None


def _path(result):
    names = plot.free_params(result)
    model = hasattr(result.context.family, "values")
    if len(names) > 2 and model:
        return plot.model_figure(result)
    if len(names) != 2:
        raise ValueError(f"kind='path' draws two free parameters over the contours; this {result.family} fit has "
                         f"{len(names)} ({', '.join(names)}): kind='trace' draws each against the update")
    fig = plot.new_figure((5.6, 4.6))
    ax = fig.subplots()
    if result.family == "normal" and not model and result.context.units.identity:
        plot.trajectories(ax, plot.normal_stats(result), [result], title=f"{result.method}: {result.status}")
    else:
        plot.path_on_surface(ax, result)
    return fig


def _trace(result):
    names = plot.free_params(result)
    cols = min(len(names) + 1, 4)
    rows = -(-(len(names) + 1) // cols)
    fig = plot.new_figure((3.6 * cols, 3.2 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    plot.traces(axes, result, names)
    plot.convergence_panel(axes[len(names)], result)
    for ax in axes[len(names) + 1:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _convergence(result):
    fig = plot.new_figure((6.0, 4.2))
    plot.convergence_panel(fig.subplots(), result)
    return fig


def _diagnostics(result):
    from .diagnostics_plot import diagnostic_figure
    from .display import data_values

    if _censored(result):
        return survival_figure(result)
    if hasattr(result.context.family, "values"):
        raise ValueError("kind='diagnostics' compares a family's distribution with the data; a model of the user's "
                         "has none to draw: kind='path' or kind='trace'")
    x = data_values(result)
    if x is None:
        raise ValueError("kind='diagnostics' needs the values in memory; these data were read in pieces "
                         "(kind='path', 'trace' or 'convergence' draw the run)")
    shown = result if result.converged else result.limit_fit
    if shown is None or shown.context is None:
        raise ValueError(f"kind='diagnostics' draws a fitted distribution; this run ended {result.status} "
                         f"({result.message}): kind='path' or kind='trace' show what it did")
    label = result.family if shown is result else f"{shown.family} (the limit)"
    return diagnostic_figure(x, [(label, shown.frozen())], title=f"{label}: fit diagnostics")


def _survival(result):
    if not _censored(result):
        raise ValueError("kind='survival' draws a fit to censored, truncated or weighted data (fit(..., event=...)); "
                         "kind='diagnostics' draws the fit of these data")
    return survival_figure(result)


def _profile(result, param):
    names = plot.free_params(result)
    if param is not None:
        if param not in result.params:
            raise ValueError(f"no parameter {param!r} in this {result.family} fit; parameters: {', '.join(names)}")
        names = [param]
    if not result.converged:
        raise ValueError(f"a profile starts from the maximum; this run ended {result.status}: "
                         "fit again with method='auto'")
    profiles = [result.profile(name) for name in names]
    cols = min(len(profiles), 3)
    rows = -(-len(profiles) // cols)
    fig = plot.new_figure((5.4 * cols, 4.0 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, p in zip(axes, profiles):
        plot.profile_panel(ax, p)
    for ax in axes[len(profiles):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def result_figure(result, kind: str = "auto", param: str | None = None):
    """The Figure of ``kind`` (:data:`KINDS`) for a fit; a one-line ValueError naming
    the kinds allowed, or why this fit has no such picture and which one it has."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of picture {kind!r}; kinds: {', '.join(KINDS)}")
    if param is not None and kind != "profile":
        raise ValueError(f"param= chooses the parameter of kind='profile', not of kind={kind!r}")
    if result.context is None:
        raise ValueError("this result carries no data to draw from (a result read back from JSON)")
    if not np.isfinite(np.asarray(result.trace["loglik"], dtype=float)).any() and kind in ("path", "diagnostics"):
        raise ValueError(f"the log-likelihood was never finite on this run ({result.message}): kind='trace'")
    with np.errstate(all="ignore"):
        if kind == "auto":
            return plot.fit_figure(result)
        if kind == "profile":
            return _profile(result, param)
        return {"path": _path, "trace": _trace, "convergence": _convergence, "diagnostics": _diagnostics,
                "survival": _survival}[kind](result)
