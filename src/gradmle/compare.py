"""``compare``: the same data and start, several methods, one table."""

from __future__ import annotations

from dataclasses import dataclass

from .data import as_sample
from .families import get_family
from .fit import check_options, fit_array

__all__ = ["compare", "Comparison"]

DEFAULT_METHODS = ("gradient", "sequential", "coordinate", "fisher", "newton", "linesearch", "adam", "lbfgs", "auto")


@dataclass
class Comparison:
    """Results by method; ``str()`` gives the table, ``rows()`` the numbers."""

    results: dict

    def rows(self) -> list[dict]:
        return [
            {"method": m, "status": r.status, "nit": r.nit, "nfev": r.nfev,
             "time": r.options["elapsed"], "error": r.error, "loglik": r.loglik}
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

    def __getitem__(self, method):
        return self.results[method]


def compare(data, methods=DEFAULT_METHODS, family="normal", init=None, step=None, max_iter=1000, tol=1e-10,
            parametrization=None, n_inner=None, n_outer=None) -> Comparison:
    """Fit ``data`` with each of ``methods`` from the same start; one pass over the data.

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
        takes_step = m not in ("lbfgs", "closed_form")
        coord = m == "coordinate"
        checked.append((m, check_options(fam, m, step if takes_step else None, init, max_iter, tol,
                                         n_inner if coord else None, n_outer if coord else None, parametrization)))
    x = as_sample(data)
    # Each method through the same path as fit() (rescaling, fixed loc); the time
    # column is the optimizer's own, after the pass over the data.
    return Comparison({m: fit_array(fam, x, dict(opts, nonfinite="raise")) for m, opts in checked})
