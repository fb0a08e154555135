"""Fits beside a busy core (issue 10, item 13): Weibull, Student-t and logistic fits at
n = 10^6 and gradmle.moments at n = 10^7, timed on the machine as it is and then while
a process started by this benchmark keeps one core busy, with the ratio busy / idle.

The peer of each row is the same computation with its per-chunk sums of products done
by np.dot, as they were before: OpenBLAS spreads each over threads that spin waiting
for each other when a core is taken. gradmle sums them in numpy (no BLAS), so its ratio
should stay near what a single-threaded program sees. Prints the table; asserts
nothing about time.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import numpy as np

import gradmle
from gradmle import stats, streaming
from gradmle.families import logistic, student_t, weibull
from common import best_of, table

N = 10**6
#: Idle and busy runs alternate ROUNDS times, REPEAT calls each, and the best is kept:
#: a spell of other work on the machine then spoils neither side alone.
ROUNDS, REPEAT = 3, 3
#: The modules whose reductions call stats.sum_of_products (imported by name).
REDUCERS = (stats, streaming, weibull, student_t, logistic)
#: A single-threaded numpy pass with no BLAS: its ratio is what the busy core costs
#: any one-thread program on this machine.
CONTROL = "control: sum(log x), n = 1e7"


@contextlib.contextmanager
def busy_core():
    """One other process spinning on a core for the duration."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # past its start-up, into the loop
        yield
    finally:
        proc.kill()
        proc.wait()


def _np_dot(a, b, out=None):
    return float(np.dot(a, b))


@contextlib.contextmanager
def sums_by_np_dot():
    saved = [m.sum_of_products for m in REDUCERS]
    for m in REDUCERS:
        m.sum_of_products = _np_dot
    try:
        yield
    finally:
        for m, f in zip(REDUCERS, saved):
            m.sum_of_products = f


def _as_before(fn):
    def run():
        with sums_by_np_dot():
            fn()

    return run


def measure(cases) -> dict:
    times = {}
    for name, fn in cases:
        times[name, "gradmle"] = best_of(fn, REPEAT)
        if name == CONTROL:
            continue
        times[name, "np.dot peer"] = best_of(_as_before(fn), REPEAT)
        # OpenBLAS's threads spin for a while after their last call: let them sleep
        # before the next gradmle row, which would otherwise compete with them.
        time.sleep(0.5)
    return times


def _keep_best(best: dict, times: dict) -> None:
    for k, t in times.items():
        best[k] = min(t, best.get(k, t))


def main() -> int:
    rng = np.random.default_rng(0)
    xw, xt, xl = 4.0 * rng.weibull(1.7, N), rng.standard_t(4.0, N) * 3.0 + 2.0, rng.logistic(1.0, 2.0, N)
    xm = rng.normal(5.0, 2.0, 10 * N)
    cases = [
        ("weibull fit, n = 1e6", lambda: gradmle.fit(xw, family="weibull")),
        ("student_t fit, n = 1e6", lambda: gradmle.fit(xt, family="student_t")),
        ("logistic fit, n = 1e6", lambda: gradmle.fit(xl, family="logistic")),
        ("moments, n = 1e7", lambda: gradmle.moments(xm)),
        (CONTROL, lambda: np.log(xm + 10.0).sum()),
    ]
    load = os.getloadavg()[0]
    idle, busy = {}, {}
    for _ in range(ROUNDS):
        _keep_best(idle, measure(cases))
        with busy_core():
            _keep_best(busy, measure(cases))
    rows = []
    for name, _ in cases:
        row = [name]
        for way in ("gradmle", "np.dot peer"):
            a, b = idle.get((name, way)), busy.get((name, way))
            row += [f"{a * 1e3:.1f} ms", f"{b * 1e3:.1f} ms", f"{b / a:.2f}x"] if a else ["", "", ""]
        rows.append(row)
    # The load average says how idle "idle" was: other programs on the machine count too.
    print(table(f"beside a busy core ({os.cpu_count()} cores; best of {ROUNDS * REPEAT}; load average {load:.2f} before)",
                ["computation", "gradmle idle", "busy", "busy / idle", "np.dot peer idle", "busy", "busy / idle"],
                rows))
    print("np.dot peer: the same computation with its per-chunk sums of products through np.dot (BLAS), "
          "as before gradmle summed them itself")
    return 0


if __name__ == "__main__":
    sys.exit(main())
