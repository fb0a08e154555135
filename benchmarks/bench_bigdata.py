"""Data larger than memory: fit the Normal and the gamma to a 10^8-value file (.npy and
CSV, generated here once into bench-data/), each in a fresh process whose peak resident
memory is measured (goal: under 300 MB); the one-pass statistics against np.mean +
np.var on in-memory data (goal: at least half as fast); CSV throughput against
pyarrow's reader alone. N can be lowered with GRADMLE_BENCH_N for a quick run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import best_of, table

N = int(float(os.environ.get("GRADMLE_BENCH_N", "1e8")))
DIR = Path(__file__).resolve().parent.parent / "bench-data"

CHILD = r"""
import json, sys, time
import gradmle
import pyarrow.csv, pyarrow.parquet  # imported before the clock starts, as for the peer
t = time.perf_counter()
r = gradmle.fit(sys.argv[1], family=sys.argv[2])
dt = time.perf_counter() - t
# VmHWM is this process's own peak (ru_maxrss would carry the parent's over exec).
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"status": r.status, "params": r.params, "passes": r.passes, "seconds": dt, "peak_mb": peak}))
"""


def make_files() -> dict:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    DIR.mkdir(exist_ok=True)
    npy, csv = DIR / f"gamma_{N}.npy", DIR / f"gamma_{N}.csv"
    rng = np.random.default_rng(0)
    if not npy.exists():
        # Written block by block, so generating it does not need the whole array either.
        header = {"descr": "<f8", "fortran_order": False, "shape": (N,)}
        with open(npy, "wb") as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            for i in range(0, N, 1 << 22):
                rng.gamma(2.0, 3.0, min(1 << 22, N - i)).tofile(fh)
    if not csv.exists():
        data = np.load(npy, mmap_mode="r")
        with pcsv.CSVWriter(str(csv), pa.schema([("value", pa.float64())])) as writer:
            for i in range(0, N, 1 << 22):
                writer.write_table(pa.table({"value": np.asarray(data[i : i + (1 << 22)])}))
    return {"npy": npy, "csv": csv}


def run_child(path: Path, family: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), family], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> int:
    t = time.perf_counter()
    files = make_files()
    print(f"data files ready ({time.perf_counter() - t:.0f} s): " + ", ".join(f"{p.name} {p.stat().st_size / 2**20:.0f} MiB" for p in files.values()))
    rows = []
    for kind, path in files.items():
        for family in ("normal", "gamma"):
            res = run_child(path, family)
            est = ", ".join(f"{k}={v:.6g}" for k, v in res["params"].items())
            rows.append([kind, family, res["status"], res["passes"], f"{res['seconds']:.1f} s",
                         f"{N / res['seconds'] / 1e6:.1f} M/s", f"{res['peak_mb']:.0f} MB", est])
    print(table(f"fits to a file of {N:.0e} values, each in a fresh process (goal: peak memory < 300 MB)",
                ["file", "family", "status", "passes", "time", "values/s", "peak RSS", "estimates"], rows))

    # One-pass statistics against numpy on data already in memory (10^7 values).
    import gradmle

    x = np.random.default_rng(1).normal(5.0, 2.0, 10**7)
    t_np = best_of(lambda: (np.mean(x), np.var(x)))
    t_us = best_of(lambda: gradmle.moments(x))
    print(f"\none pass over 1e7 in-memory values: np.mean + np.var {t_np * 1e3:.1f} ms, gradmle.moments "
          f"{t_us * 1e3:.1f} ms: gradmle is {t_np / t_us:.2f}x numpy's speed (goal >= 0.5)")

    # CSV: gradmle's streaming reduction against pyarrow's streaming reader alone.
    import pyarrow.csv as pcsv

    def arrow_only():
        total = 0
        for batch in pcsv.open_csv(str(files["csv"]), read_options=pcsv.ReadOptions(block_size=8 << 20)):
            total += batch.num_rows
        return total

    t0 = time.perf_counter()
    arrow_only()
    t_arrow = time.perf_counter() - t0
    t_ours = run_child(files["csv"], "normal")["seconds"]
    print(f"CSV of {N:.0e} values: pyarrow's reader alone {t_arrow:.1f} s, gradmle fit (read + reduce + fit) "
          f"{t_ours:.1f} s: {t_arrow / t_ours:.2f}x the reader's throughput")
    return 0


if __name__ == "__main__":
    sys.exit(main())
