"""The four worked models of the README on simulated data: ``python examples/worked_models.py``
prints each fit's summary (``--n`` sets the sample size, default 10^5)."""

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import models  # noqa: E402

import gradmle  # noqa: E402


def data(n: int, seed: int = 2026) -> dict:
    """Samples from each model at known parameters."""
    rng = np.random.default_rng(seed)
    out = {}
    first = rng.random(n) < 0.3
    out["mixture"] = np.where(first, rng.normal(-1.0, 0.5, n), rng.normal(2.0, 1.0, n))
    x = rng.uniform(0, 2, n)
    out["heteroscedastic"] = {"x": x, "y": 1.0 + 2.0 * x + np.exp(-1.0 + 0.8 * x) * rng.standard_normal(n)}
    feats = {k: rng.standard_normal(n) for k in models.FEATURES}
    eta = 0.5 + sum(b * feats[k] for b, k in zip((1.0, -0.5, 0.25, 0.0, 2.0), models.FEATURES))
    out["logistic"] = dict(feats, y=(rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float))
    x = rng.uniform(0, 1, n)
    counts = rng.poisson(np.exp(0.3 + 1.2 * x))
    out["zip_poisson"] = {"x": x, "y": np.where(rng.random(n) < 0.25, 0, counts).astype(float)}
    return out


STARTS = {
    "mixture": {"w": [0.5, 0.5], "mu": [-0.5, 0.5], "sigma": [1.0, 1.0]},
    "heteroscedastic": {"beta": [0.0, 0.0], "gamma": [0.0, 0.0]},
    "logistic": {"beta": [0.0] * 6},
    "zip_poisson": {"pi": 0.5, "beta": [0.0, 0.0]},
}


def fits(n: int) -> dict:
    samples = data(n)
    return {name: gradmle.fit(samples[name], family=getattr(models, name), init=STARTS[name]) for name in STARTS}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args(argv)
    for name, r in fits(args.n).items():
        print(f"# {name}")
        print(r.summary())
        print()


if __name__ == "__main__":
    main()
