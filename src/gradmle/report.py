"""One self-contained HTML file to share a fit or a selection: ``gradmle report``.

The document holds the data summary (n, min, max, mean; the censoring counts when some
observations are censored or truncated), the table of the fit or of the selection (the
notebook displays of :mod:`gradmle.display`), the diagnostic pictures (density over the
histogram, CDF over the empirical CDF, Q-Q, P-P: :mod:`gradmle.diagnostics_plot`), the
picture of the run (the path over the contours of the log-likelihood or the traces, and
the convergence: the scaled gradient and l_max - l per update), the diagnosis of a run
that did not converge, and the command line and gradmle version that produced it.

Nothing is fetched when it is opened: the style is inline, there is no script, and the
pictures are PNG embedded as base64 ``data:`` URIs. The document is well-formed XML
(XHTML), so it can also be parsed strictly.
"""

from __future__ import annotations

import base64
import io
import math
import tempfile
import warnings
from html import escape
from pathlib import Path

import numpy as np

from . import __version__
from .display import badge, fit_html, number, selection_html
from .io import atomic_write

__all__ = ["fit_report", "selection_report", "data_summary", "write_report", "DPI"]

#: Resolution of the report's pictures.
DPI = 90

_PAGE = ("font-family:sans-serif;font-size:14px;line-height:1.5;color:#222;max-width:1150px;margin:20px auto;"
         "padding:0 16px")
_H2 = "font-size:17px;border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:26px"
_TABLE = "border-collapse:collapse;font-size:13px"
_TH = "padding:2px 10px;text-align:left;font-weight:normal;color:#555"
_TD = "padding:2px 10px;text-align:right;font-variant-numeric:tabular-nums"
_PRE = "background:#f5f5f5;padding:6px 10px;white-space:pre-wrap;word-break:break-all;font-size:13px"
_NOTE = "color:#555;font-size:12px"


def data_summary(values=None, n=None, censoring: dict | None = None, dropped: int = 0) -> dict:
    """The numbers of the data summary: ``n`` (the values' count unless given), and the
    ``min``, ``max`` and ``mean`` of ``values`` when they are at hand (None otherwise);
    ``censoring``: the counts a fit to censored data records (``result.info["censoring"]``);
    ``dropped``: non-finite values left out."""
    out = {"n": n, "min": None, "max": None, "mean": None, "censoring": censoring, "dropped": dropped}
    if values is not None:
        x = np.asarray(values, dtype=float)
        if n is None:
            out["n"] = int(x.size)
        if x.size:
            out.update(min=float(x.min()), max=float(x.max()), mean=float(math.fsum(x) / x.size))
    return out


def _summary_html(summary: dict) -> str:
    rows = [("n", number(summary["n"], "g"))]
    rows += [(k, number(summary[k])) for k in ("min", "max", "mean") if summary[k] is not None]
    if summary["dropped"]:
        rows.append(("non-finite values dropped", str(summary["dropped"])))
    cens = summary["censoring"]
    if cens:
        labels = {"observed": "observed exactly", "right_censored": "right-censored", "left_censored": "left-censored",
                  "interval_censored": "interval-censored", "truncated": "left-truncated (late entry)",
                  "rows": "rows"}
        rows += [(labels[k], number(cens[k], "g")) for k in labels if cens.get(k) is not None]
    body = "".join(f'<tr><th style="{_TH}">{escape(k)}</th><td style="{_TD}">{escape(v)}</td></tr>' for k, v in rows)
    out = f'<table style="{_TABLE}">{body}</table>'
    if cens and cens.get("described"):
        out += f'<div style="{_NOTE}">{escape(cens["described"])}</div>'
    if summary["min"] is None:
        out += (f'<div style="{_NOTE}">minimum, maximum and mean: not shown (the columns of a model, interval '
                "bounds, or values not kept in memory)</div>")
    return out


# -- pictures ---------------------------------------------------------------------------


def _encode(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def _figure_png(fig) -> str:
    """A matplotlib Figure (not managed by pyplot) as base64 PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return _encode(buf.getvalue())


def _run_png(result) -> str:
    """The picture the command line's ``--plot`` draws of a fit (path or traces, and the
    convergence; the survival pictures of censored data), as base64 PNG."""
    from .plot import fit_figure

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.png"
        fit_figure(result, path)
        return _encode(path.read_bytes())


def _img(png: str, alt: str) -> str:
    return f'<img src="data:image/png;base64,{png}" alt="{escape(alt, quote=True)}" style="max-width:100%"/>'


def _picture(draw, alt: str) -> str:
    """``draw()`` -> base64 PNG, as an image; a picture that cannot be drawn is named,
    with the reason, instead of failing the report."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            png = draw()
    except Exception as exc:  # a picture is part of the report, not a reason to lose the rest
        return f'<div style="{_NOTE}">{escape(alt)}: not drawn ({escape(type(exc).__name__)}: {escape(str(exc))})</div>'
    return _img(png, alt)


# -- documents --------------------------------------------------------------------------


def _section(title: str, inner: str) -> str:
    return f'<h2 style="{_H2}">{escape(title)}</h2>{inner}'


def _document(title: str, status: str, sections: list[str], command: str | None) -> str:
    made = (f'<div style="{_NOTE}">made by gradmle {escape(__version__)}'
            + (f' with the command</div><pre style="{_PRE}"><code>{escape(command)}</code></pre>' if command else
               "</div>"))
    body = (f'<h1 style="font-size:22px;margin-bottom:4px">{escape(title)} &#160; {badge(status)}</h1>' + made
            + "".join(sections))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>'
            f'<title>{escape(title)}</title></head><body style="{_PAGE}">{body}</body></html>\n')


def fit_report(result, command: str | None = None, values=None, dropped: int = 0, intervals: str = "wald") -> str:
    """The report of a :class:`gradmle.FitResult` as an HTML document. ``values``: the
    data (any order), for the summary and the diagnostic pictures; without them the
    summary has n alone and the diagnostic pictures are left out. ``command``: the
    command line shown as the report's origin. ``intervals``: the confidence intervals
    of the table, ``"wald"`` or ``"profile"`` (likelihood ratio)."""
    from .diagnostics_plot import diagnostic_figure

    censoring = result.info.get("censoring")
    x = None if values is None else np.sort(np.asarray(values, dtype=float))
    sections = [_section("data", _summary_html(data_summary(x, result.n, censoring, dropped))),
                _section("fit", fit_html(result, intervals))]
    shown = result if result.converged else result.limit_fit
    model = result.context is not None and hasattr(result.context.family, "values")
    if x is not None and x.size and not censoring and not model and shown is not None:
        label = result.family if shown is result else f"{shown.family} (the limit)"
        pic = _picture(lambda: _figure_png(diagnostic_figure(x, [(label, shown.frozen())], title=label)),
                       "diagnostic pictures")
        sections.append(_section("diagnostic pictures", pic + f'<div style="{_NOTE}">a good fit lies on the diagonal '
                                 "of Q-Q (the tails) and P-P (the middle)</div>"))
    if result.context is not None:
        sections.append(_section("the run: path and convergence", _picture(lambda: _run_png(result),
                                                                            "the path and the convergence")))
    title = f"gradmle fit: {result.family} by {result.method}"
    return _document(title, result.status, sections, command)


def selection_report(selection, command: str | None = None, dropped: int = 0) -> str:
    """The report of a :class:`gradmle.Selection` as an HTML document: the ranked table,
    the diagnostic pictures of the converged candidates overlaid, and the best fit's
    table and run."""
    s = selection
    sections = [_section("data", _summary_html(data_summary(s.data, s.n, None, dropped))),
                _section("selection", selection_html(s))]
    best = s.best
    if s.data is not None and best is not None:
        def draw():
            from .diagnostics_plot import diagnostic_figure

            names = [r["family"] for r in s.table if r["status"] == "converged"]
            fits = [(n, s.results[n].frozen()) for n in names]
            return _figure_png(diagnostic_figure(s.data, fits, title=f"ranked by {s.criterion.upper()}"))

        sections.append(_section("diagnostic pictures of the converged candidates",
                                 _picture(draw, "diagnostic pictures")))
    if best is not None:
        r = s.results[best]
        sections.append(_section(f"the best: {best}", fit_html(r)))
        if r.context is not None:
            sections.append(_section(f"the run of {best}: path and convergence",
                                     _picture(lambda: _run_png(r), "the path and the convergence")))
    return _document(f"gradmle select: {len(s.table)} candidates by {s.criterion.upper()}",
                     "converged" if best is not None else "error", sections, command)


def write_report(html: str, path) -> None:
    """Write the document to ``path`` atomically (completely or not at all)."""
    with atomic_write(path, "wb") as fh:
        fh.write(html.encode("utf-8"))
