"""`make bench`: run every benchmark in turn; each prints its own table."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_nist.py", "bench_normal.py", "bench_methods.py", "bench_families.py", "bench_more_families.py", "bench_models.py", "bench_censored.py", "bench_busy.py", "bench_bigdata.py", "bench_select.py"]

if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    only = sys.argv[1:]
    failed = []
    for name in BENCHES:
        if only and not any(o in name for o in only):
            continue
        print(f"\n=== {name}", flush=True)
        try:
            runpy.run_path(str(HERE / name), run_name="__main__")
        except SystemExit as exc:  # each benchmark ends with sys.exit(main())
            if exc.code:
                failed.append(name)
    if failed:
        sys.exit(f"benchmarks that failed: {', '.join(failed)}")
