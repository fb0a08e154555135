"""``compare``: the same data and start, several methods, one table."""

from __future__ import annotations

from dataclasses import dataclass

from . import engine
from .families import get_family
from .methods import METHODS, get_method

__all__ = ["compare", "Comparison"]

#: Every iterative method (the closed form is the reference the others are measured by).
DEFAULT_METHODS = tuple(name for name in METHODS if name != "closed_form")


@dataclass
class Comparison:
    """Results by method; ``str()`` gives the table, ``rows()`` the numbers."""

    results: dict

    def rows(self) -> list[dict]:
        return [
            {"method": m, "status": r.status, "nit": r.nit, "nfev": r.nfev,
             "time": r.info["elapsed"], "error": r.error, "loglik": r.loglik}
            for m, r in self.results.items()
        ]

    def __str__(self) -> str:
        head = f"{'method':<12} {'status':<10} {'iter':>6} {'evals':>7} {'time':>10} {'error':>10}"
        lines = [head, "-" * len(head)]
        for row in self.rows():
            err = "-" if row["error"] is None else f"{row['error']:.2e}"
            lines.append(
                f"{row['method']:<12} {row['status']:<10} {row['nit']:>6} {row['nfev']:>7} "
                f"{row['time'] * 1e3:>8.2f}ms {err:>10}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        runs = ", ".join(f"{m} {r.status} nit={r.nit}" for m, r in self.results.items())
        return f"<Comparison of {len(self.results)} methods: {runs}>"

    def _repr_html_(self) -> str:
        from .display import comparison_html

        return comparison_html(self)

    def __getitem__(self, method):
        return self.results[method]


def compare(data, methods=DEFAULT_METHODS, family="normal", init=None, step=None, max_iter=1000, tol=1e-10,
            parametrization=None, n_inner=None, n_outer=None, fixed=None, nonfinite="raise") -> Comparison:
    """Fit ``data`` with each of ``methods`` from the same start; one reduction of the
    data (``data``: anything :func:`gradmle.fit` accepts).

    ``step`` applies to the methods that take one (each uses its default otherwise);
    ``n_inner``/``n_outer`` to ``"coordinate"``.

    Examples
    --------
    >>> import numpy as np, gradmle
    >>> x = np.random.default_rng(0).normal(2.0, 1.0, 1000)
    >>> table = gradmle.compare(x, ["fisher", "newton"], init={"mu": 0.0, "sigma": 0.5})
    >>> table["fisher"].status
    'converged'
    """
    fam = get_family(family)
    if isinstance(methods, str):
        methods = [methods]
    checked = []
    for m in methods:
        coord = get_method(m).sweeps
        checked.append((m, engine.check_options(fam, m, step if get_method(m).takes_step else None, init,
                                                max_iter, tol, n_inner if coord else None, n_outer if coord else None,
                                                parametrization, fixed, nonfinite)))
    # The data are reduced once; the time column is each optimizer's own.
    reduced = engine.reduce(fam, data, checked[0][1]) if checked else None
    return Comparison({m: engine.run(fam, reduced, opts) for m, opts in checked})
