"""Correct digits (LRE) on the NIST StRD univariate datasets, for every scheme."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import gradmle  # noqa: E402
import nist  # noqa: E402
from common import table  # noqa: E402


def main() -> int:
    rows = []
    for name in nist.NAMES:
        data = nist.read(name)
        exact, cert = nist.exact_mle(data["x"]), nist.certified_mle(data)
        closed = gradmle.fit(data["x"], method="closed_form").params
        s = closed["sigma"]
        init = {"mu": closed["mu"] + 0.05 * s, "sigma": 1.05 * s}
        for method in ("closed_form", "gradient", "sequential", "coordinate"):
            kw = {} if method == "closed_form" else dict(step=0.5 * s * s, init=init, tol=1e-14, max_iter=5000)
            r = gradmle.fit(data["x"], method=method, **kw)
            mu, sg = r.params["mu"], r.params["sigma"]
            rows.append([name, method, r.status,
                         f"{nist.lre(mu, exact[0]):.1f}", f"{nist.lre(sg, exact[1]):.1f}",
                         f"{nist.lre(mu, cert[0]):.1f}", f"{nist.lre(sg, cert[1]):.1f}"])
    print(table("NIST StRD univariate: correct significant digits (LRE, 16 = exact)",
                ["dataset", "method", "status", "mu/exact", "sigma/exact", "mu/cert", "sigma/cert"], rows))
    print("exact = the MLE of the parsed float64 data in rational arithmetic; cert = NIST's certified values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
