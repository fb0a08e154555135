"""Every method, from a near start and from a far start: iterations and time to a
relative error of 1e-10 against the closed form (n = 10^5; the data are reduced once,
so the time is the optimizer's own). The fixed-step schemes use half their stability
bound, the best fixed step there is; what they do from the far start is printed as is.
"""

from __future__ import annotations

import sys

import numpy as np

import gradmle
from common import best_of, table
from gradmle import engine

METHODS = ("gradient", "sequential", "coordinate", "fisher", "newton", "linesearch", "adam", "lbfgs", "auto")


def main() -> int:
    x = np.random.default_rng(0).normal(2.0, 1.0, 10**5)
    ref = gradmle.fit(x, method="closed_form").params
    s = ref["sigma"]
    starts = {
        "near": {"mu": ref["mu"] + 0.1 * s, "sigma": 1.1 * s},
        "far": {"mu": ref["mu"] + 5.0 * s, "sigma": 0.1 * s},
    }
    fam = gradmle.get_family("normal")
    reduced = engine.reduce(fam, x, engine.check_options("normal"))
    rows = []
    for method in METHODS:
        kw = {"tol": 1e-10, "max_iter": 20_000}
        if method in ("gradient", "sequential", "coordinate"):
            kw["step"] = 0.5 * gradmle.stability(x, method=method).bound
        if method == "adam":
            kw["step"] = 0.01
        for label, init in starts.items():
            r = gradmle.fit(x, method=method, init=init, **kw)
            # Time the optimizer on the reduced data: the pass over x is the same for all.
            opts = engine.check_options("normal", method, kw.get("step"), init, kw["max_iter"], kw["tol"])
            t = best_of(lambda: engine.run(fam, reduced, opts), 3)
            err = "-" if r.error is None else f"{r.error:.1e}"
            rows.append([method, label, r.status, r.nit, r.nfev, f"{t * 1e3:.2f} ms", err])
    print(table("Methods on N(2, 1), n = 1e5: near start (0.1 sd off) and far start (mu0 5 sd off, sigma0 = 0.1 sd)",
                ["method", "start", "status", "iter", "evals", "time", "error"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
