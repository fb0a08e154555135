"""``gradmle.explore``: the optimizers under the user's hands, in a notebook.

Controls for the method, the step, the start, the iterations, the parametrization and
(for block-coordinate ascent) n_inner / n_outer. Every change runs :func:`gradmle.fit`
with the options the controls show and redraws:

- the path over the contours of the average log-likelihood (two free parameters; with
  more, the traces of each), the start and the maximum marked;
- the distance to the maximum per update, each parameter measured in its statistical
  scale (the standard deviation of one observation's score, as ``result.error`` does),
  on a log scale: a straight line down is linear convergence, one up is divergence;
- the status, the message and, for a run that did not converge, the diagnosis with its
  verified remedies.

Beside the step control the largest stable fixed step (:func:`gradmle.stability`) of
the chosen method on these data is shown, at the maximum and at the start, red when the
step is beyond it. The maximum itself is fitted once, by Newton's method, when the
explorer is made.

The widgets come from ipywidgets (the ``notebook`` extra: ``pip install
'gradmle[notebook]'``); the pictures are PNG images drawn by matplotlib outside pyplot,
so no interactive matplotlib backend is needed. Everything the controls do can be done
from code (``explorer.set(step=0.5)``, or ``explorer.controls["step"].value = 0.5``), and
``explorer.result`` / ``explorer.figure`` hold what is shown.
"""

from __future__ import annotations

import io
import math
import warnings

import numpy as np

from .display import badge, box, diagnosis_html, plural
from .fit import fit
from .families import get_family
from .methods import METHODS
from .model import Model
from .stability import stability

__all__ = ["explore", "Explorer"]

#: The range of the step control (a logarithmic slider).
STEP_RANGE = (1e-4, 1e2)
#: Upper end of the iteration and sweep controls.
MAX_ITER_LIMIT = 5000
#: Points per side of the contour grid.
GRID = 48
#: Resolution of the picture.
DPI = 80


def _widgets():
    try:
        import ipywidgets
    except ImportError as exc:
        raise ImportError("gradmle.explore needs ipywidgets: pip install 'gradmle[notebook]'") from exc
    return ipywidgets


def _round(v: float) -> float:
    return float(f"{v:.6g}")


def _step_range(step, bound) -> tuple[int, int]:
    """log10 of the ends of the step control: STEP_RANGE, widened to hold the step given
    and the stability bound with three decades below and two above (a step is in units
    of theta^2: data in large units have large steps)."""
    lo, hi = math.log10(STEP_RANGE[0]), math.log10(STEP_RANGE[1])
    for v in (step, bound):
        if v is not None and math.isfinite(v) and v > 0:
            lo, hi = min(lo, math.floor(math.log10(v)) - 3), max(hi, math.ceil(math.log10(v)) + 2)
    return lo, hi


class Explorer:
    """The explorer of :func:`explore`: ``controls`` (name -> widget), ``widget`` (the
    whole box, what the notebook displays), ``result`` (the last fit, None when the
    options were refused), ``error`` (why they were), ``figure`` (the last picture, a
    matplotlib Figure), ``bound`` (the :class:`gradmle.Stability` of the method shown,
    None for methods that choose their own steps) and ``optimum`` (the maximum, fitted
    once by Newton's method)."""

    def __init__(self, data, family="normal", method="gradient", step=None, init=None, max_iter=200,
                 parametrization=None, n_inner=None, n_outer=None, fixed=None, tol=1e-10):
        w = _widgets()
        self._data = np.asarray(data, dtype=float) if isinstance(data, (list, tuple)) else data
        self._family = family
        self._fixed = dict(fixed or {})
        self._tol = tol
        fam = get_family(family)
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
        init = {k: float(v) for k, v in (init or {}).items()}
        # The maximum by Newton from the family's own start; a model of the user's has
        # none, and starts where the explorer does.
        self.optimum = fit(self._data, family, method="auto", fixed=self._fixed or None, tol=tol,
                           init=init if isinstance(fam, Model) else None)
        self._free = [k for k in self.optimum.params if k not in self._fixed]
        unknown = [k for k in init if k not in self.optimum.params]
        if unknown:
            raise ValueError(f"init names {', '.join(map(repr, unknown))}, not a parameter of {self.optimum.family}; "
                             f"parameters: {', '.join(self._free)}")
        if any(k not in init for k in self._free):  # the family's own start for the rest
            start = fit(self._data, family, method="newton", max_iter=1, fixed=self._fixed or None,
                        parametrization=parametrization, init=init or None)
            init = {k: init.get(k, _round(start.trace[k][0])) for k in self._free}
        starts = {k: init[k] for k in self._free}
        m = METHODS[method]
        step = m.default_step if step is None and m.takes_step else step
        names = tuple(fam.parametrizations())
        parametrization = fam.default_parametrization if parametrization is None else parametrization
        if parametrization not in names:
            raise ValueError(f"unknown parametrization {parametrization!r}; valid: {', '.join(names)}")
        lo, hi = _step_range(step, self._fixed_bound(method, parametrization, n_inner, starts))
        iterations = max(MAX_ITER_LIMIT, max_iter, n_outer or 0)
        self.controls = {
            "method": w.Dropdown(options=list(METHODS), value=method, description="method"),
            "step": w.FloatLogSlider(value=step if step else 0.1, base=10, min=lo, max=hi, step=0.01,
                                     description="step", continuous_update=False, readout_format=".4g"),
            "max_iter": w.IntSlider(value=max_iter, min=1, max=iterations, description="iterations",
                                    continuous_update=False),
            "parametrization": w.Dropdown(options=list(names), value=parametrization, description="coordinates"),
            # (fit's own default for block-coordinate ascent: 10 steps per block)
            "n_inner": w.IntSlider(value=n_inner or 10, min=1, max=max(50, n_inner or 0), description="n_inner",
                                   continuous_update=False),
            "n_outer": w.IntSlider(value=n_outer or max_iter, min=1, max=iterations, description="n_outer",
                                   continuous_update=False),
        }
        for k, v in starts.items():
            self.controls[f"init_{k}"] = w.FloatText(value=v, description=f"start {k}")
        self._bound_label = w.HTML()
        # At its own size (a box would stretch it to its width, and soften it).
        self._image = w.Image(format="png", layout=w.Layout(align_self="flex-start"))
        self._status = w.HTML()
        for c in self.controls.values():
            c.observe(self._changed, names="value")
        self._quiet = False
        self.result = None
        self.error = None
        self.figure = None
        self.bound = None
        self._bounds = {}
        self._surfaces = {}
        starts_box = w.HBox([self.controls[f"init_{k}"] for k in self._free])
        self.widget = w.VBox([
            w.HBox([self.controls["method"], self.controls["parametrization"]]),
            w.HBox([self.controls["step"], self._bound_label]),
            starts_box,
            w.HBox([self.controls["max_iter"], self.controls["n_inner"], self.controls["n_outer"]]),
            self._image,
            self._status,
        ])
        self.update()

    # -- the controls -----------------------------------------------------------------

    def _fixed_bound(self, method, parametrization, n_inner, starts):
        """The stability bound of a fixed-step ``method`` at the maximum (None for the
        others or when it cannot be computed): where the step control must reach."""
        if not METHODS[method].has_bound:
            return None
        try:
            return stability(self._data, self._family, method, parametrization, n_inner or 10, starts,
                             self._fixed or None).bound
        except (ValueError, ArithmeticError):
            return None

    def set(self, **values) -> "Explorer":
        """Set several controls at once (``step=0.5, method="fisher", init={"mu": 1}``)
        and run once."""
        init = values.pop("init", None) or {}
        unknown = [k for k in values if k not in self.controls]
        unknown += [k for k in init if f"init_{k}" not in self.controls]
        if unknown:
            allowed = [k for k in self.controls if not k.startswith("init_")] + ["init"]
            raise ValueError(f"no control {', '.join(map(repr, unknown))}; controls: {', '.join(allowed)}")
        self._quiet = True
        try:
            if "method" in values:  # first: it resets the step to the method's own
                self.controls["method"].value = values.pop("method")
            for k, v in values.items():
                self.controls[k].value = v
            for k, v in init.items():
                self.controls[f"init_{k}"].value = float(v)
        finally:
            self._quiet = False
        self.update()
        return self

    @property
    def options(self) -> dict:
        """The options of :func:`gradmle.fit` the controls show (``fit(data, **options)``
        is the run displayed)."""
        c = self.controls
        m = METHODS[c["method"].value]
        out = {"family": self._family, "method": m.name,
               "init": {k: float(c[f"init_{k}"].value) for k in self._free},
               "max_iter": int(c["max_iter"].value), "parametrization": c["parametrization"].value, "tol": self._tol}
        if m.takes_step:
            out["step"] = float(c["step"].value)
        if m.sweeps:
            out.update(n_inner=int(c["n_inner"].value), n_outer=int(c["n_outer"].value))
            del out["max_iter"]
        if self._fixed:
            out["fixed"] = dict(self._fixed)
        return out

    def _changed(self, change) -> None:
        if change["owner"] is self.controls["method"]:
            # A step means something else to each method (units of theta^2 for gradient
            # ascent, a pure number for Fisher scoring): a new method starts at its own.
            m = METHODS[change["new"]]
            if m.takes_step:
                quiet, self._quiet = self._quiet, True
                try:
                    self.controls["step"].value = m.default_step
                finally:
                    self._quiet = quiet
        if not self._quiet:
            self.update()

    # -- a run --------------------------------------------------------------------------

    def update(self) -> None:
        """Run the fit the controls show and redraw the picture, the bound and the status."""
        opts = self.options
        m = METHODS[opts["method"]]
        c = self.controls
        c["step"].disabled = not m.takes_step
        for k in ("n_inner", "n_outer"):
            c[k].layout.display = None if m.sweeps else "none"
        c["max_iter"].layout.display = "none" if m.sweeps else None
        self.bound = self._stability(opts)
        self._bound_label.value = self._bound_html(opts)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.result, self.error = fit(self._data, **opts), None
        except (ValueError, TypeError) as exc:
            self.result, self.error = None, str(exc)
        self.figure = self._draw()
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=DPI)
        self._image.value = buf.getvalue()
        self._status.value = box(self._status_html())

    def _stability(self, opts):
        m = METHODS[opts["method"]]
        if not m.has_bound:
            return None
        key = (m.name, opts["parametrization"], opts.get("n_inner", 1), tuple(opts["init"].items()))
        if key not in self._bounds:
            try:
                self._bounds[key] = stability(self._data, self._family, m.name, opts["parametrization"],
                                              opts.get("n_inner", 1), opts["init"], self._fixed or None)
            except (ValueError, ArithmeticError):
                self._bounds[key] = None
        return self._bounds[key]

    def _bound_html(self, opts) -> str:
        b = self.bound
        if b is None:
            m = METHODS[opts["method"]]
            what = "chooses its own steps" if not m.takes_step or not m.has_bound else "has no bound on these data"
            return f'<span style="color:#555">{m.name} {what}</span>'
        over = opts.get("step", 0.0) >= b.bound
        color = "#c62828" if over else "#2e7d32"
        text = f"stable for step &lt; {b.bound:.4g} at the maximum"
        if b.start_bound is not None:
            text += f" ({b.start_bound:.4g} at the start)"
        return f'<span style="color:{color}">{text}{"; this step is beyond it" if over else ""}</span>'

    def _status_html(self) -> str:
        r = self.result
        if r is None:
            return f'<div style="color:#c62828">refused: {_escape(self.error)}</div>'
        parts = [f'<div>{badge(r.status)} {_escape(r.message)}</div>',
                 f'<div style="color:#555">{plural(r.nit, "iteration")}, {plural(r.nfev, "evaluation")}; '
                 + ", ".join(f"{k} = {v:.8g}" for k, v in r.params.items()) + "</div>"]
        if not r.converged and r.diagnosis is not None:
            try:
                parts.append(diagnosis_html(r.diagnosis))
            except Exception as exc:  # the diagnosis is extra: the run is shown without it
                parts.append(f'<div style="color:#555">diagnosis not available: {_escape(str(exc))}</div>')
        return "".join(parts)

    # -- the picture -------------------------------------------------------------------------

    def _scales(self) -> dict:
        """Each parameter's statistical scale at the maximum (stderr x sqrt(n))."""
        o = self.optimum
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            se = o.stderr or {}
        return {k: (se.get(k) or 0.0) * math.sqrt(o.n) or max(abs(o.params[k]), 1.0) for k in self._free}

    def distances(self, result=None) -> np.ndarray:
        """The distance of every row of the trace to the maximum: the largest over the
        free parameters of ``|theta - theta_hat| / scale`` (``scale``: the standard
        deviation of one observation's score, stderr x sqrt(n))."""
        r = result if result is not None else self.result
        scales = self._scales()
        with np.errstate(all="ignore"):
            d = np.max([np.abs(np.asarray(r.trace[k], float) - self.optimum.params[k]) / scales[k]
                        for k in self._free], axis=0)
        return np.where(np.isfinite(d), d, np.nan)

    def _limits(self):
        """The frame of the path: the start and the maximum, with a margin of a third of
        their distance and at least two statistical scales."""
        scales = self._scales()
        out = []
        for k in self._free[:2]:
            a, b = float(self.controls[f"init_{k}"].value), self.optimum.params[k]
            lo, hi = min(a, b), max(a, b)
            stderr = scales[k] / math.sqrt(max(self.optimum.n, 1))
            pad = max(0.35 * (hi - lo), 20.0 * stderr)
            lo, hi = lo - pad, hi + pad
            c = self.optimum.context.family.constraints[list(self.optimum.params).index(k)]
            if math.isfinite(c.lower) and lo <= c.lower:
                lo = c.lower + 0.02 * (min(a, b) - c.lower)
            out.append((lo, hi))
        return tuple(out)

    def _draw(self):
        from . import plot

        fig = plot.new_figure((10.5, 4.0))
        left, right = fig.subplots(1, 2)
        r = self.result
        if r is None:
            left.text(0.5, 0.5, "no run: the options were refused", ha="center", va="center", transform=left.transAxes)
            right.set_visible(False)
            return fig
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if len(self._free) == 2:
                self._path(left, r)
            else:
                plot.traces([left], r, self._free[:1])
            self._distance(right, r)
        # Placed by hand: a layout engine would take longer than the run it shows.
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.92, wspace=0.28)
        return fig

    def _path(self, ax, r) -> None:
        from . import plot

        o = self.optimum
        if r.family == "normal" and not self._fixed and o.context.units.identity:
            plot.trajectories(ax, plot.normal_stats(o), [r], title=f"{r.method}: {r.status}")
            return
        limits = self._limits()
        if limits not in self._surfaces:
            xs, ys = np.linspace(*limits[0], GRID), np.linspace(*limits[1], GRID)
            self._surfaces[limits] = plot.surface_grid(o, xs, ys)
        plot.path_on_surface(ax, r, grid=GRID, limits=limits, surface=self._surfaces[limits])
        x, y = self._free[:2]
        ax.plot(o.params[x], o.params[y], "+", color="black", ms=12, mew=1.5, label="maximum")
        ax.legend(fontsize=6)
        ax.set_title(f"{r.method}: {r.status}", fontsize=9)

    def _distance(self, ax, r) -> None:
        d = self.distances(r)
        ax.semilogy(np.arange(d.size), np.maximum(d, 1e-17), ".-", ms=3, lw=1.2,
                    label=f"{r.method} ({r.status})")
        if r.status == "diverged":
            last = d[np.isfinite(d)]
            ax.plot(d.size - 1, last[-1] if last.size else 1.0, "x", color="#d62728", ms=9, label="stopped: diverged")
        ax.set_xlabel("update (trace row)")
        ax.set_ylabel("distance to the maximum (statistical scales)")
        title = plural(r.nit, "iteration")
        if self.bound is not None:
            title += f"; step {r.options.get('step', float('nan')):.4g}, stable below {self.bound.bound:.4g}"
        ax.set_title(title, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)

    # -- display ----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        """The live widget; for a viewer without the widgets (a saved notebook opened
        untrusted, nbviewer), the picture as it was shown and a one-line text."""
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        if self._image.value:
            bundle["image/png"] = bytes(self._image.value)
        return bundle

    def __repr__(self) -> str:
        r = self.result
        state = f"{r.status} after {plural(r.nit, 'iteration')}" if r is not None else "refused"
        return f"<Explorer {self._family}: {self.controls['method'].value}, {state}>"


def _escape(text) -> str:
    from html import escape

    return escape(str(text))


def explore(data, family="normal", method="gradient", step=None, init=None, max_iter=200, parametrization=None,
            n_inner=None, n_outer=None, fixed=None, tol=1e-10) -> Explorer:
    """An interactive explorer of the optimizers on ``data`` (a notebook widget; needs
    the ``notebook`` extra, ipywidgets).

    The controls start at the options given: ``method`` (any of ``gradmle.METHODS``),
    ``step``, ``init`` (a start per parameter; the family's own start where not given),
    ``max_iter``, ``parametrization``, ``n_inner`` / ``n_outer`` (block-coordinate
    ascent). Moving one runs :func:`gradmle.fit` again and redraws the path over the
    contours, the distance to the maximum per update and the status with the diagnosis;
    the largest stable step of the method is shown beside the step. Choosing another
    method puts the step at that method's default.

    Examples
    --------
    >>> import numpy as np, gradmle
    >>> x = np.random.default_rng(0).normal(2.0, 1.0, 1000)
    >>> ex = gradmle.explore(x, method="sequential", step=0.1, init={"mu": -1.0, "sigma": 0.1})
    >>> ex.result.status
    'diverged'
    >>> ex.set(method="fisher", step=1.0).result.status
    'converged'
    """
    return Explorer(data, family, method, step, init, max_iter, parametrization, n_inner, n_outer, fixed, tol)
