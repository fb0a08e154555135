"""Parametric-bootstrap p-values of the EDF statistics, with a refit per replicate.

When the parameters are estimated from the data the fitted CDF follows the data more
closely than the true one, so KS, CvM and AD come out smaller than their classical
null distributions (which assume F known) say: the classical p-values are too large.
The bootstrap draws the null distribution of the statistic as it is actually computed:
for b = 1..B, a sample of size n from the fitted distribution, refitted by the same
method (started from the fitted parameters), its statistics T*_b against its own fit;
then p = (1 + #{T*_b >= T}) / (1 + B'), B' the replicates whose refit converged (the
others are left out and counted). Each replicate has its own random stream,
``SeedSequence(seed, spawn_key=(family, b))``, so the p-values depend on the seed only,
not on how the replicates are shared among the worker processes.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np

from .fit import fit
from .gof import EDF_STATISTICS, edf_statistics, is_discrete

__all__ = ["bootstrap", "replicates"]

#: Replicates per task sent to a worker process (fewer, larger tasks: less overhead).
BATCH = 25


def replicates(frozen, options: dict, init: dict, n: int, entropy: int, key: int, indices) -> list:
    """The statistics of replicates ``indices`` (None for one whose refit failed)."""
    out = []
    for b in indices:
        rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(key, b)))
        xs = np.asarray(frozen.rvs(size=n, random_state=rng), dtype=float)
        try:
            r = fit(xs, **dict(options, init=init))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            out.append(None)
            continue
        out.append(edf_statistics(np.sort(xs), r.frozen()) if r.converged else None)
    return out


def bootstrap(rows: list, results: dict, x, n_boot: int, seed, workers, progress, notes: list) -> None:
    """Fill the rows' ``ks_p``, ``cvm_p`` and ``ad_p`` (continuous candidates that
    converged, with their statistics computed); say in ``notes`` what was left out."""
    from .progress import Progress
    from .select import stream_key

    if x is None:
        notes.append("no bootstrap p-values: they need the values in memory, each observed exactly once")
        return
    todo = []
    for row in rows:
        r = results.get(row["family"])
        if r is None or row["ks"] is None:
            continue
        frozen = r.frozen()
        if is_discrete(frozen):
            continue
        opts = dict(r.options)
        fixed = opts.get("fixed") or {}
        if not isinstance(opts.get("family"), str):
            notes.append(f"{row['family']}: no bootstrap (a model of yours has no sampler)")
            continue
        init = {k: v for k, v in r.params.items() if k not in fixed}
        todo.append((row, (frozen, opts, init, int(x.size))))
    if not todo:
        notes.append("no bootstrap p-values: no continuous candidate converged")
        return
    entropy = np.random.SeedSequence(seed).entropy
    if seed is None:
        notes.append(f"bootstrap seed {entropy} (pass seed= to repeat it)")
    tasks = [(i, start, range(start, min(start + BATCH, n_boot))) for i in range(len(todo))
             for start in range(0, n_boot, BATCH)]
    stats = [[None] * n_boot for _ in todo]
    bar = progress if callable(progress) else Progress("bootstrap", quiet=not progress)
    total, done = len(todo) * n_boot, 0
    workers = (os.cpu_count() or 1) if workers is None else workers

    def store(i, start, values):
        nonlocal done
        stats[i][start:start + len(values)] = values
        done += len(values)
        bar(done, total)

    try:
        if workers == 1:
            for i, start, idx in tasks:
                frozen, opts, init, n = todo[i][1]
                store(i, start, replicates(frozen, opts, init, n, entropy, stream_key(todo[i][0]["family"]), idx))
        else:
            # JAX's threads do not survive a fork: with it loaded the workers start from a
            # fresh server process (the candidates are then pickled to them).
            ctx = multiprocessing.get_context("forkserver") if "jax" in sys.modules else None
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = {pool.submit(replicates, *todo[i][1], entropy, stream_key(todo[i][0]["family"]), idx):
                           (i, start) for i, start, idx in tasks}
                for fut in as_completed(futures):
                    store(*futures[fut], fut.result())
    finally:
        if hasattr(bar, "close"):
            bar.close()
    for (row, _), values in zip(todo, stats):
        ok = [v for v in values if v is not None]
        for s in EDF_STATISTICS:
            t = row[s]
            row[f"{s}_p"] = (1 + sum(1 for v in ok if v[s] >= t)) / (1 + len(ok))
        row["n_boot"] = len(ok)
        if len(ok) < n_boot:
            notes.append(f"{row['family']}: {n_boot - len(ok)} of {n_boot} bootstrap refits did not converge "
                         f"(left out: p-values over {len(ok)})")
