"""Exact median of data in pieces (gradmle.quantile) against np.median on the whole array.

Not part of ``make bench``: ``python benchmarks/bench_quantile.py [n]``. Times are the
best of a few runs; "passes" counts the passes over the data (chunks of 2**20 values).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table  # noqa: E402

from gradmle.quantile import median, order_statistics  # noqa: E402

CHUNK = 1 << 20


def best(fn, repeat: int = 5) -> tuple[float, object]:
    """Shortest CPU time of ``repeat`` calls (the machine may be shared), and the result."""
    t = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        out = fn()
        t = min(t, time.process_time() - start)
    return t, out


def main() -> int:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**7
    rng = np.random.default_rng(0)
    data = {
        "normal": rng.standard_normal(n),
        "1e6 + 3 N(0, 1)": 1e6 + 3.0 * rng.standard_normal(n),
        "lognormal(0, 3)": rng.lognormal(0.0, 3.0, n),
        "integers 0..99": rng.integers(0, 100, n).astype(float),
    }
    rows, bad = [], 0
    for name, x in data.items():
        t_np, want = best(lambda: np.median(x))
        passes = lambda: (x[i:i + CHUNK] for i in range(0, n, CHUNK))
        known = dict(n=n, lo=float(x.min()), hi=float(x.max()))
        for memory in (1 << 20, 1 << 16):
            for label, kw in (("found", {}), ("given", known)):
                report = {}
                t, got = best(lambda: median(passes, memory=memory, report=report, **kw))
                bad += got != want
                rows.append([name, f"2^{memory.bit_length() - 1}", label, report["passes"], f"{t * 1e3:.0f}",
                             f"{t_np * 1e3:.0f}", f"{t / t_np:.2f}", "yes" if got == want else "NO"])
        ranks = list(range(0, n, n // 10))
        report = {}
        t, got = best(lambda: order_statistics(passes, ranks, memory=1 << 16, report=report, **known), 3)
        t_sort, want_q = best(lambda: np.sort(x)[ranks], 3)
        bad += got != list(want_q)
        rows.append([name + ", 10 ranks", "2^16", "given", report["passes"], f"{t * 1e3:.0f}",
                     f"{t_sort * 1e3:.0f} (sort)", f"{t / t_sort:.2f}", "yes" if got == list(want_q) else "NO"])
    print(table(f"Exact median of {n:.0e} values in chunks of 2^20 (CPU ms, best of 5)",
                ["data", "memory", "n, lo, hi", "passes", "ms", "np ms", "ratio", "equal"], rows))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
