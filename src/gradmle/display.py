"""Rich displays for notebooks: the HTML that ``_repr_html_`` of FitResult, Selection,
Comparison, Stability and Diagnosis returns.

The HTML is self-contained (inline styles, no script, pictures embedded as base64 PNG)
and well-formed XML (every element closed, ``<img/>`` and ``<br/>`` self-closing, every
value escaped), so that it can be pasted into any page and parsed strictly. The status
of a run is a coloured badge. The small picture is drawn only when matplotlib imports,
at DPI dots per inch on a figure that pyplot does not manage (the notebook's backend is
left alone); a picture that fails to draw is left out: a display never fails for its
picture.

A fit's intervals are Wald intervals, estimate +- 1.96 standard errors (the observed
information at the estimate), unless ``fit_html(result, intervals="profile")`` asks for
the likelihood-ratio ones (``result.conf_int(method="profile")``).
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from html import escape

import numpy as np

__all__ = ["fit_html", "selection_html", "comparison_html", "stability_html", "diagnosis_html", "badge", "number", "data_values", "plural", "diagnosis_display", "box",
           "STATUS_COLORS", "DPI"]

#: The colour of each status's badge (white text on it): the statuses of a fit
#: (gradmle.STATUSES) and of a selection's rows ("skipped", "error").
STATUS_COLORS = {
    "converged": "#2e7d32",
    "boundary": "#1565c0",
    "stalled": "#e65100",
    "max_iter": "#ad6800",
    "diverged": "#c62828",
    "not_identified": "#6a1b9a",
    "error": "#c62828",
    "skipped": "#757575",
}
#: Resolution of the embedded pictures.
DPI = 80
#: Size of the picture of a fit, inches.
FIGSIZE = (4.4, 3.3)

_BOX = "font-family:sans-serif;font-size:13px;line-height:1.45;color:#222;max-width:1100px"
_TABLE = "border-collapse:collapse;font-size:12px;margin:4px 0"
_TH = "padding:2px 8px;border-bottom:1px solid #999;font-weight:bold;text-align:"
_TD = "padding:2px 8px;text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap"
_TDL = "padding:2px 8px;text-align:left"
_NOTE = "color:#555;font-size:12px"
_ROW_BEST = "background:#e8f5e9;font-weight:bold"


def number(v, spec: str = ".10g") -> str:
    """A number as shown: ``spec`` for a finite one, ``inf``/``nan`` as such, ``-``
    for None."""
    if v is None:
        return "-"
    v = float(v)
    return format(v, spec) if math.isfinite(v) else str(v)


def badge(status: str) -> str:
    """The status as a coloured label."""
    color = STATUS_COLORS.get(status, "#455a64")
    return (f'<span style="background:{color};color:#fff;border-radius:3px;padding:1px 7px;font-size:12px;'
            f'font-weight:bold">{escape(status)}</span>')


#: How the goodness-of-fit statistics are written in a table's head.
_LABELS = {"ks": "KS", "cvm": "CvM", "ad": "AD"}


def box(inner: str) -> str:
    """``inner`` in the displays' box: their font, size and line height (a widget's
    HTML, for one, would otherwise inherit a line height of its own)."""
    return _div(inner, _BOX)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _e(v) -> str:
    return escape(str(v), quote=True)


def _cell(text: str, style: str = _TD, raw: bool = False) -> str:
    return f'<td style="{style}">{text if raw else _e(text)}</td>'


def _head(names, left=()) -> str:
    cells = "".join(f'<th style="{_TH}{"left" if n in left else "right"}">{_e(n)}</th>' for n in names)
    return f"<tr>{cells}</tr>"


def _div(inner: str, style: str = "") -> str:
    return f'<div style="{style}">{inner}</div>' if style else f"<div>{inner}</div>"


def _table(rows) -> str:
    """The rows as a table that scrolls sideways by itself when it is wider than the
    page (a phone), instead of making the whole page scroll."""
    return f'<div style="overflow-x:auto"><table style="{_TABLE}">{"".join(rows)}</table></div>'


def _columns(left: str, picture: str | None, alt: str) -> str:
    """The text and the picture side by side (the picture below on a narrow page)."""
    if not picture:
        return _div(left)
    img = f'<img src="data:image/png;base64,{picture}" alt="{_e(alt)}" style="max-width:100%"/>'
    return _div(_div(left, "flex:1 1 420px;min-width:0") + _div(img, "flex:0 0 auto"),
                "display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start")


# -- pictures ------------------------------------------------------------------------------


def _png(draw, figsize=FIGSIZE) -> str | None:
    """``draw(ax)`` on a small figure, as base64 PNG; None when matplotlib is missing or
    anything goes wrong while drawing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fig = Figure(figsize=figsize, dpi=DPI)
            ax = fig.subplots()
            if draw(ax) is False:
                return None
            ax.tick_params(labelsize=7)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    except Exception:  # a picture is a bonus: the display goes on without it
        return None
    return base64.b64encode(buf.getvalue()).decode("ascii")


def data_values(result):
    """The values a fit was made to, in the data's units and sorted (None when they
    are not in memory)."""
    from .source import ArraySource

    ctx = result.context
    x = getattr(ctx.stats, "x", None)
    if x is None:  # a family reduced to its statistics: the array it was given, if any
        source = getattr(ctx.reduced, "source", None)
        return np.sort(source.to_array()) if isinstance(source, ArraySource) else None
    units = ctx.units
    return np.sort(np.asarray(x, dtype=float) * units.scale + units.shift + ctx.options.data_loc(ctx.family))


def _draw_fit(result):
    """The picture of a fit: for a converged fit to censored data, the fitted survival
    function over the nonparametric estimate; for two parameters, the path over the
    contours of the log-likelihood (unless the run started at its end and the data are
    at hand); otherwise the fitted density over the data (the limiting model's, for a
    run that ended at the boundary)."""
    from .diagnostics_plot import fit_panel
    from .plot import normal_stats, path_on_surface, trajectories
    from .survival_plot import survival_panel
    from .survival import fit_table

    ctx = result.context
    fam = ctx.family
    model = hasattr(fam, "values")
    fixed = result.options.get("fixed") or {}
    names = [k for k in result.params if k not in fixed] if model else list(result.params)
    censored = fit_table(result) is not None
    x = None if censored or model else data_values(result)
    shown = result if result.converged else result.limit_fit

    def draw(ax):
        if censored and result.converged:
            survival_panel(ax, result)
        elif len(names) == 2 and (len(result.trace[names[0]]) > 1 or x is None):
            if result.family == "normal" and not model and ctx.units.identity:
                trajectories(ax, normal_stats(result), [result], title=f"{result.method}: {result.status}")
            else:
                path_on_surface(ax, result, grid=32, max_points=500)
        elif x is not None and shown is not None and shown.context is not None:
            label = result.family if shown is result else f"{shown.family} (the limit)"
            fit_panel(ax, x, [(label, shown.frozen())])
            ax.legend(fontsize=7, frameon=False)
            ax.set_title(f"fitted {label} over the data", fontsize=9)
        else:
            return False
        return True

    return draw


# -- FitResult -----------------------------------------------------------------------------


def fit_html(result, intervals: str = "wald") -> str:
    """The HTML display of a :class:`gradmle.FitResult`; ``intervals``: the 95%
    confidence intervals shown, ``"wald"`` (estimate +- 1.96 standard errors) or
    ``"profile"`` (likelihood ratio, see :meth:`gradmle.FitResult.profile`)."""
    from .checks import choice
    from .profile import INTERVALS
    from .result import HessianWarning

    intervals = choice("intervals", intervals, INTERVALS)

    ran = result.info.get("method", result.method)
    head = (f"<b>gradmle fit</b>: {_e(result.family)} by {_e(result.method)}"
            + (f" (ran {_e(ran)})" if ran != result.method else "") + f" &#160; {badge(result.status)}")
    data = [f"n = {_e(result.n)}"]
    if "censoring" in result.info:
        data.append(_e(result.info["censoring"]["described"]))
    if result.source:
        data.append(f"from {_e(result.source)}")
    par = result.options.get("parametrization")
    if par:
        data.append(f"parametrization {_e(par)}")
    run = f"{plural(result.nit, 'iteration')}, {plural(result.nfev, 'evaluation')}"
    if result.passes != 1:
        run += f", {result.passes} passes over the data"
    if "elapsed" in result.info:
        run += f", {result.info['elapsed'] * 1e3:.3g} ms"
    fam = result.context.family if result.context is not None else None
    if "derivatives" in result.info and hasattr(fam, "describe_derivatives"):
        run += f"; derivatives: {fam.describe_derivatives()}"
    lines = [_div(head), _div(_e(result.message)), _div("data: " + "; ".join(data), _NOTE), _div(_e(run), _NOTE)]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HessianWarning)
        se = result.stderr if result.converged else None
        ci = result.conf_int(method=intervals) if result.converged else None
    profiled = ci is not None and intervals == "profile"
    cols = ["parameter", "estimate", "std. error", "95% interval (profile likelihood)" if profiled else
            "95% interval (Wald)"]
    ref = result.reference
    if ref is not None:
        cols += ["closed form"]
    rows = [_head(cols, left=("parameter",))]
    fixed = result.options.get("fixed") or {}
    for name, value in result.params.items():
        cells = _cell(name, _TDL) + _cell(number(value))
        if name in fixed:
            cells += _cell("(fixed)") + _cell("")
        else:
            cells += _cell("-" if se is None else number(se[name], ".4g"))
            cells += _cell("-" if ci is None or ci[name] is None else
                           "[" + ", ".join("?" if v is None else number(v, ".6g") for v in ci[name]) + "]")
        if ref is not None:
            cells += _cell(number(ref.get(name)))
        rows.append(f"<tr>{cells}</tr>")
    table = _table(rows)
    notes = [f"log-likelihood {number(result.loglik)} per observation (total {number(result.loglik * result.n)})"]
    if ref is not None and result.error is not None:
        notes.append(f"largest relative distance to the closed form: {number(result.error, '.2e')}")
    if not result.converged:
        notes.append("standard errors: not computed (the fit did not converge)")
    elif caught:
        notes.append("standard errors: unavailable, the Hessian at the estimate is not negative definite")
    if profiled:
        notes.append("95% intervals: profile likelihood, where the log-likelihood maximized over the other "
                     "parameters falls 1.92 below its maximum (chi-square(1) at 95%)")
        notes += [_e(note) for k in ci if ci[k] is not None for note in result.profile(k, points=0).notes]
    elif ci is not None:
        notes.append("95% intervals: Wald, estimate &#177; 1.96 standard errors (observed information); "
                     "<code>conf_int(method=\"profile\")</code> for likelihood-ratio intervals")
    if result.limit_fit is not None:
        notes.append(f"<code>result.limit_fit</code>: {_e(repr(result.limit_fit))}")
    left = table + "".join(_div(n, _NOTE) for n in notes)
    picture = _png(_draw_fit(result)) if result.context is not None else None
    parts = lines + [_columns(left, picture, f"picture of the {result.family} fit")]
    if not result.converged and result.context is not None:
        try:
            d = result.diagnosis
        except Exception as exc:  # the display shows what went wrong instead of failing
            parts.append(_div(f"diagnosis: not available ({_e(type(exc).__name__)}: {_e(exc)})", _NOTE))
        else:
            if d is not None:
                parts.append(diagnosis_html(d))
    return _div("".join(parts), _BOX)


# -- Diagnosis -----------------------------------------------------------------------------


def diagnosis_display(diagnosis) -> str:
    """A diagnosis shown on its own: :func:`diagnosis_html` in the displays' box (font
    and size), as it is inside a fit's display."""
    return box(diagnosis_html(diagnosis))


def diagnosis_html(diagnosis) -> str:
    """The HTML display of a :class:`gradmle.Diagnosis`: the cause, what it means, the
    explanation in the numbers of the run, and the remedies verified on the same data."""
    d = diagnosis
    parts = [_div(f"<b>diagnosis</b>: <code>{_e(d.cause)}</code>: {_e(d.meaning)}"), _div(_e(d.explanation))]
    if d.remedies:
        rows = [_head(["what works (each run on these data)", "iterations", "rel. error"], left=(
            "what works (each run on these data)",))]
        for r in d.remedies:
            opts = ", ".join(f"{k}={v!r}" for k, v in r.options.items() if k != "family")
            rows.append(f'<tr title="{_e(opts)}">' + _cell(r.description, _TDL) + _cell(r.nit)
                        + _cell(number(r.error, ".1e")) + "</tr>")
        parts.append(_table(rows))
        parts.append(_div("each converged when run; <code>gradmle.fit(data, **remedy.options)</code> repeats it "
                          "(hover a row for its options)", _NOTE))
    elif d.cause == "unbounded":
        parts.append(_div("no method can converge: there is no maximum", _NOTE))
    else:
        parts.append(_div("no alternative converged within the budget tried", _NOTE))
    return _div("".join(parts), "border-left:3px solid #c62828;padding:2px 0 2px 10px;margin-top:8px")


# -- Selection -----------------------------------------------------------------------------


def selection_html(selection) -> str:
    """The HTML display of a :class:`gradmle.Selection`: the ranked table, the best row
    highlighted, and the densities of the leading candidates over the data."""
    from .gof import EDF_STATISTICS

    s = selection
    crit = s.criterion
    table = s.table
    counts = any(r["chi2"] is not None for r in table)
    boot = any(r[f"{st}_p"] is not None for r in table for st in EDF_STATISTICS)
    cols = ["rank", "family", "k", "loglik", crit.upper(), "d" + crit.upper()]
    cols += ["chi2", "df", "p"] if counts else [_LABELS.get(st, st.upper()) + (" (p)" if boot else "")
                                                 for st in EDF_STATISTICS]
    cols.append("status")
    best_name = s.best
    best = next((r[crit] for r in table if r["family"] == best_name), None)
    rows = [_head(cols, left=("family", "status"))]
    for r in table:
        d = None if best is None or r[crit] is None else r[crit] - best
        cells = _cell(r["rank"] or "-") + _cell(r["family"], _TDL) + _cell("-" if r["k"] is None else r["k"])
        cells += _cell(number(r["loglik"], ".6f")) + _cell(number(r[crit], ".6f")) + _cell(number(d, ".2f"))
        if counts:
            cells += _cell(number(r["chi2"], ".4g")) + _cell("-" if r["chi2_df"] is None else r["chi2_df"])
            cells += _cell(number(r["chi2_p"], ".3g"))
        else:
            for st in EDF_STATISTICS:
                v = number(r[st], ".4g") + (f" ({number(r[st + '_p'], '.3f')})" if boot else "")
                cells += _cell(v)
        cells += _cell(badge(r["status"]), _TDL, raw=True)
        style = f' style="{_ROW_BEST}"' if r["family"] == best_name else ""
        rows.append(f'<tr{style} title="{_e(r["message"] or "")}">{cells}</tr>')
    head = (f"<b>gradmle select</b>: n = {_e(number(s.n, 'g'))}, {len(table)} candidate{'s' * (len(table) != 1)} "
            f"ranked by {_e(crit.upper())} (lower is better; d{_e(crit.upper())}: difference from the best)")
    notes = [f"best: <b>{_e(best_name)}</b>" if best_name else "best: none (no candidate converged)"]
    if boot:
        notes.append("(p): parametric-bootstrap p-values (each replicate refitted)")
    notes += [f"note: {_e(n)}" for n in s.notes]
    left = _table(rows) + "".join(_div(n, _NOTE) for n in notes)
    trouble = [r for r in table if r["status"] != "converged"]
    if trouble:  # the same reason given once for all the candidates it applies to
        why = {}
        for r in trouble:
            why.setdefault((r["status"], r["message"]), []).append(r["family"])
        items = "".join(f"<li>{_e(', '.join(names))}: {_e(status)}: {_e(msg)}</li>" for (status, msg), names in
                        why.items())
        left += (f'<details style="{_NOTE}"><summary>{len(trouble)} not converged, failed or not tried</summary>'
                 f'<ul style="margin:2px 0">{items}</ul></details>')
    return _div(_div(head) + _columns(left, _png(_draw_selection(s)), "the leading candidates over the data"), _BOX)


#: Candidates drawn over the data in a selection's picture.
SHOWN = 3


def _draw_selection(s):
    from .diagnostics_plot import fit_panel

    def draw(ax):
        if s.data is None:
            return False
        names = [r["family"] for r in s.table if r["status"] == "converged"][:SHOWN]
        fits = [(n, s.results[n].frozen()) for n in names if s.results[n].context is not None]
        if not fits:
            return False
        fit_panel(ax, s.data, fits)
        ax.legend(fontsize=7, frameon=False)
        ax.set_title(f"the first {len(fits)} by {s.criterion.upper()} over the data", fontsize=9)
        return True

    return draw


# -- Comparison and Stability ----------------------------------------------------------------


def comparison_html(comparison) -> str:
    """The HTML display of a :class:`gradmle.Comparison`: one row per method, and for
    Normal fits their paths over the contours of the log-likelihood."""
    results = comparison.results
    rows = [_head(["method", "status", "iterations", "evaluations", "time", "rel. error", "loglik"],
                  left=("method", "status"))]
    for m, r in results.items():
        rows.append("<tr>" + _cell(m, _TDL) + _cell(badge(r.status), _TDL, raw=True) + _cell(r.nit) + _cell(r.nfev)
                    + _cell(f"{r.info.get('elapsed', math.nan) * 1e3:.3g} ms") + _cell(number(r.error, ".2e"))
                    + _cell(number(r.loglik)) + "</tr>")
    first = next(iter(results.values()), None)
    fam = "-" if first is None else first.family
    head = f"<b>gradmle compare</b>: {len(results)} method{'s' * (len(results) != 1)}, family {_e(fam)}, one start"
    left = _table(rows)
    left += _div("rel. error: largest relative distance to the closed form", _NOTE)
    return _div(_div(head) + _columns(left, _png(_draw_comparison(results)), "the paths of the methods"), _BOX)


def _draw_comparison(results):
    from .plot import normal_stats, trajectories

    def draw(ax):
        rs = list(results.values())
        if not rs or any(r.context is None or r.family != "normal" or hasattr(r.context.family, "values")
                         or not r.context.units.identity for r in rs):
            return False
        trajectories(ax, normal_stats(rs[0]), rs, labels=list(results))
        return True

    return draw


def stability_html(stability) -> str:
    """The HTML display of a :class:`gradmle.Stability`."""
    st = stability
    lines = [_div(f"<b>stability</b> of {_e(st.method)} ({_e(st.parametrization)}): fixed steps "
                  f"<b>gamma &lt; {_e(number(st.bound, '.6g'))}</b> converge near the optimum"),
             _div(_e(st.formula), _NOTE)]
    if st.start_bound is not None:
        lines.append(_div(f"at the start the local bound is {_e(number(st.start_bound, '.4g'))}", _NOTE))
    return _div("".join(lines), _BOX)
