"""One route for every input: a data record reduced to what a family's objective needs.

Data in memory, files, iterables of chunks and Dask arrays all take this route: the
first pass checks every chunk (NaN and infinite values, values outside the support,
the smallest and largest value) and reduces it; the checks are merged with the
partial results, so that bad values are refused with how many there are and where
the first one is, whatever the source.

Families with sufficient statistics reduce every chunk to a ``partial`` and merge the
partials pairwise, in one pass; after it every iteration is O(1). Families without
them learn their start from the first pass (moments of x and of log x, min and max)
and then make one pass per new point at which the likelihood is evaluated; the value,
gradient and Hessian at a point come from the same pass. On a Dask array every pass is
a Dask computation (per-block partials combined in a tree) on whatever scheduler is
active, a dask.distributed cluster included.

Data of extreme magnitude, or far from zero compared with their spread, are then put
in working units (:mod:`gradmle.units`): data in memory are converted once, data in
pieces on every pass.
"""

from __future__ import annotations

import copy
import math
from typing import Any, NamedTuple

import numpy as np

from .families.base import Family, Refine, Sample, StatisticsOverflow, split
from .record import DataRecord
from .source import ArraySource, Columns, DaskSource, Source, as_chunk
from .stats import log_moments, merge, merge_log, moments, sum_of_products, tree
from .units import Units, choose_units

__all__ = ["Reduced", "reduce_record", "statistics", "tree", "scan_chunk", "refuse", "working_units", "moments_partial",
           "merge_moments", "sample_of"]


class Reduced(NamedTuple):
    """A record reduced for one family, in working units."""

    stats: Any
    #: Values fitted (after anything dropped).
    n: int
    units: Units
    #: Smallest and largest value, in working units (None when the family checks its
    #: own data and no pass computed them).
    lo: float | None
    hi: float | None
    #: What was left out, by reason ("masked", "nonfinite") -> count.
    dropped: dict
    #: The source the statistics were read from (in working units).
    source: Source
    #: The record in the data's units (with the chunks of a one-shot iterator kept
    #: when they had to be), for what must read the same data again.
    record: DataRecord


# -- checking a chunk ------------------------------------------------------------------

def _scan_columns(chunk: Columns) -> dict:
    """Rows with a NaN or infinite value in any column (the first named by row and
    column); several columns have no one smallest or largest value."""
    out = {**EMPTY_SCAN, "n": chunk.size}
    for key, v in chunk.items():
        bad = ~np.isfinite(v)
        if bad.any():
            rows = ~chunk.finite_rows()
            i = int(np.flatnonzero(bad)[0])
            out.update(nonfinite=int(np.count_nonzero(rows)), first_nonfinite=(i, float(v[i])),
                       kinds=(int(np.count_nonzero(rows)), 0, 0))
            break
    return out


def scan_chunk(fam: Family, chunk: np.ndarray) -> dict:
    """Counts of non-finite values and of values outside the support (each with the
    first, by position in this chunk), and the smallest and largest finite value."""
    if isinstance(chunk, Columns):
        return _scan_columns(chunk)
    out = {"n": chunk.size, "nonfinite": 0, "kinds": (0, 0, 0), "first_nonfinite": None, "outside": 0,
           "first_outside": None, "lo": math.inf, "hi": -math.inf}
    lo, hi = float(chunk.min()), float(chunk.max())  # NaN and inf show in these
    where = None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        bad = ~np.isfinite(chunk)
        i = int(np.flatnonzero(bad)[0])
        nan = int(np.count_nonzero(np.isnan(chunk)))
        pos = int(np.count_nonzero(chunk == math.inf))
        out.update(nonfinite=int(np.count_nonzero(bad)), kinds=(nan, pos, int(bad.sum()) - nan - pos),
                   first_nonfinite=(i, float(chunk[i])))
        where = np.flatnonzero(~bad)
        chunk = chunk[where]
        lo, hi = (float(chunk.min()), float(chunk.max())) if chunk.size else (math.inf, -math.inf)
    out.update(lo=lo, hi=hi)
    mask = fam.support.bad(chunk) if chunk.size else None
    if mask is not None:
        i = int(np.flatnonzero(mask)[0])
        out.update(outside=int(np.count_nonzero(mask)),
                   first_outside=(int(where[i]) if where is not None else i, float(chunk[i])))
    return out


def _merge_scans(a: dict, b: dict) -> dict:
    out = {k: a[k] + b[k] for k in ("n", "nonfinite", "outside")}
    out["kinds"] = tuple(x + y for x, y in zip(a["kinds"], b["kinds"]))
    out.update(lo=min(a["lo"], b["lo"]), hi=max(a["hi"], b["hi"]))
    for key in ("first_nonfinite", "first_outside"):
        # Positions are relative to the start of each part: b's start after a's values.
        first = a[key] if a[key] is not None else b[key] and (b[key][0] + a["n"], b[key][1])
        out[key] = first
    for key in ("raw", "masked"):
        if key in a or key in b:
            out[key] = a.get(key, 0) + b.get(key, 0)
    return out


EMPTY_SCAN = {"n": 0, "nonfinite": 0, "kinds": (0, 0, 0), "first_nonfinite": None, "outside": 0,
              "first_outside": None, "lo": math.inf, "hi": -math.inf}


# -- the first pass -------------------------------------------------------------------

def moments_partial(chunk: np.ndarray, learns: tuple, logs: bool) -> dict:
    """What a family without sufficient statistics learns from the first pass (from
    values with weights: the same, weighted; see families.base.split)."""
    out = {}
    if not ("moments" in learns or "m4" in learns or (logs and "log" in learns)):
        return out  # (a censored table's rows: nothing to learn from them)
    x, w = split(chunk)
    if "moments" in learns or "m4" in learns:
        m = out["m"] = moments(x, weights=w)
        if "m4" in learns:
            d = x - m.mean
            d2 = d * d
            wd2 = d2 if w is None else w * d2
            m3 = sum_of_products(wd2, d, out=d)
            out.update(m3=m3, m4=sum_of_products(wd2, d2, out=d2))
    if logs and "log" in learns:
        out["log"] = log_moments(x, w)
    return out


def merge_moments(a: dict, b: dict) -> dict:
    out = {}
    if "log" in a and "log" in b:
        out["log"] = merge_log(a["log"], b["log"])
    if "m" not in a:
        return out
    ma, mb = a["m"], b["m"]
    if "m4" not in a:
        out["m"] = merge(ma, mb)
        return out
    # Third and fourth central sums merged as Pebay (2008) gives them.
    na, nb = ma.n, mb.n
    n = na + nb
    delta = mb.mean - ma.mean
    d2 = delta * delta  # (products, not **: on data to be rescaled they may overflow to inf)
    m3 = a["m3"] + b["m3"] + d2 * delta * na * nb * (na - nb) / (n * n) + 3 * delta * (na * mb.m2 - nb * ma.m2) / n
    m4 = (a["m4"] + b["m4"] + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
          + 6 * d2 * (na * na * mb.m2 + nb * nb * ma.m2) / (n * n) + 4 * delta * (na * b["m3"] - nb * a["m3"]) / n)
    out.update(m=merge(ma, mb), m3=m3, m4=m4)
    return out


class _Pass(NamedTuple):
    """How the first pass reduces a chunk: the family's partial (sufficient
    statistics) or the moments (one pass per evaluation)."""

    partial: Any
    combine: Any
    #: Skip the check of every value: the family's sums reveal bad values themselves.
    trusting: bool


def _plan(fam: Family, record: DataRecord, refine: Refine | None = None) -> _Pass:
    if refine is not None:
        return _Pass(refine.partial, refine.combine, False)
    if fam.sufficient:
        # Trusting the sums means reading the data again to name a bad value: only for
        # data that can be read again.
        trust = fam.checks_finite and record.nonfinite == "raise" and record.source.reiterable
        return _Pass(fam.partial, fam.combine, trust)
    logs, learns = fam.support.positive, fam.learns
    return _Pass(lambda c: moments_partial(c, learns, logs), merge_moments, False)


def _chunk_pass(plan: _Pass, fam: Family, chunk: np.ndarray):
    """(scan, partial) of one chunk (prep already applied)."""
    if plan.trusting:
        return {**EMPTY_SCAN, "n": chunk.size, "trusted": True}, plan.partial(chunk)
    scan = scan_chunk(fam, chunk)
    if scan["nonfinite"] or scan["outside"]:
        return scan, None
    return scan, plan.partial(chunk)


def _block_pass(plan: _Pass, fam: Family, block, prep):
    """A Dask block's (scan, partial), with what it held before ``prep``."""
    chunk, masked = as_chunk(block)
    raw = chunk.size
    if prep is not None:
        chunk = prep(chunk)
    if not chunk.size:
        return {**EMPTY_SCAN, "raw": raw, "masked": masked}, None
    scan, part = _chunk_pass(plan, fam, chunk)
    return {**scan, "raw": raw, "masked": masked}, part


def _first_pass(fam: Family, source: Source, plan: _Pass, progress=None):
    """One pass: the merged scan and the merged partial (None when bad values or no
    values were found)."""
    source.progress = progress
    # Values of extreme magnitude may overflow these statistics: then they are redone
    # in rescaled units, so numpy need not warn about this pass.
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        if isinstance(source, DaskSource):
            return _dask_first_pass(fam, source, plan)
        scans, partials = [], []
        for _, chunk in source.chunks():
            scan, part = _chunk_pass(plan, fam, chunk)
            scans.append(scan)
            partials.append(part)
        scan = tree(scans, _merge_scans) or dict(EMPTY_SCAN)
        scan["raw"], scan["masked"] = source.raw, source.masked
        clean = scan["n"] and not (scan["nonfinite"] or scan["outside"])
        return scan, (tree(partials, plan.combine) if clean else None)


def _dask_first_pass(fam: Family, source: DaskSource, plan: _Pass):
    import dask

    blocks = source.array.to_delayed().ravel()
    parts = [dask.delayed(_block_pass)(plan, fam, b, source.prep) for b in blocks]

    def both(a, b):
        (sa, pa), (sb, pb) = a, b
        return _merge_scans(sa, sb), (pb if pa is None else pa if pb is None else plan.combine(pa, pb))

    root = tree(parts, lambda a, b: dask.delayed(both)(a, b))
    source.passes += 1
    if root is None:
        return {**EMPTY_SCAN, "raw": 0, "masked": 0}, None
    (scan, partial), = dask.compute(root)
    if scan["nonfinite"] or scan["outside"]:
        partial = None
    return scan, partial


# -- refusals ------------------------------------------------------------------------------

def refuse(fam: Family, record: DataRecord, source: Source, scan: dict) -> None:
    n, name = scan["n"], source.name
    if n == 0:
        if scan.get("raw"):
            what = "masked, NaN or infinite" if scan.get("masked") else "NaN or infinite"
            raise ValueError(f"{name}: all {scan['raw'] + scan.get('masked', 0)} values are {what}: no data to fit")
        raise ValueError(f"{name}: no values (empty data)")
    if n < 2:
        raise ValueError(f"{name}: only 1 value: at least 2 are needed")
    where = getattr(source, "line_of", None)
    if scan["nonfinite"]:
        i, v = scan["first_nonfinite"]
        kinds = ", ".join(f"{k} {what}" for k, what in zip(scan["kinds"], ("NaN", "+inf", "-inf")) if k)
        at = f"line {where(i)}" if where else f"index {i}"
        raise ValueError(f"{name}: {scan['nonfinite']} of {n} values are NaN or infinite; the first is {v!r} at {at} "
                         f"({kinds}); only finite numbers can be fitted (nonfinite='drop' drops them)")
    if scan["outside"]:
        i, v = scan["first_outside"]
        raise ValueError(f"{name}: {scan['outside']} of {n} values are outside the support of the {fam.name} family "
                         f"({fam.support.rule}); the first is {v!r} at index {i}")


def _name_culprits(fam: Family, record: DataRecord, source: Source, prep) -> dict:
    """A full check of a source whose trusted sums came out non-finite."""
    source.prep = prep
    scan, _ = _first_pass(fam, source, _Pass(lambda c: None, lambda a, b: None, False))
    refuse(fam, record, source, scan)
    return scan


# -- the route -----------------------------------------------------------------------------

def _compose(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return lambda chunk: b(a(chunk))


def working_units(fam: Family, scan: dict, partial) -> Units:
    lo, hi = scan["lo"], scan["hi"]
    known = math.isfinite(lo)
    if not known:  # a family that checks its own data: its typical size
        with np.errstate(all="ignore"):
            lo = hi = fam.magnitude(partial)
    return choose_units(fam.scale_power, fam.loc_index, fam.support.positive, lo, hi, fam.centers_itself, known)


def statistics(fam: Family, data):
    """The statistics of ``data`` (anything gradmle.fit accepts) for ``fam``, in the
    data's own units: what a family's objective is checked with against references."""
    from .record import as_record

    return reduce_record(fam, as_record(data), in_units=False).stats


def reduce_record(fam: Family, record: DataRecord, progress=None, in_units: bool = True) -> Reduced:
    """Reduce ``record`` for ``fam``: one pass (a few when the data must be put in
    working units, or a family asks for a second, more precise pass). With
    ``in_units=False`` the data stay in their own units."""
    if record.weights is not None:
        from .weighted import reduce_weighted

        return reduce_weighted(fam, record, in_units)
    source = record.source
    if not source.reiterable and not fam.sufficient:
        source = source.kept()
        record = DataRecord(source, record.nonfinite, record.loc, record.weights, record.censoring)
    source = copy.copy(source)  # this reduction's own passes and prep; the record's source is untouched
    source.passes = 0
    prep = record.prep()
    raw = None
    if isinstance(source, ArraySource) and prep is not None:
        raw = source.x.size
        source = source.apply(prep)  # in memory: dropped and shifted once, not on every pass
        prep = None
    source.prep = prep
    plan = _plan(fam, record)
    scan, partial = _first_pass(fam, source, plan, progress)
    refuse(fam, record, source, scan)
    raw = scan.get("raw", scan["n"]) if raw is None else raw
    dropped = {k: v for k, v in (("masked", scan.get("masked", 0)), ("nonfinite", raw - scan["n"])) if v}
    stats, overflow = None, False
    trusted = not math.isfinite(scan["lo"])
    # Data of extreme magnitude are put in working units before their statistics are
    # finished (those may have overflowed); a family that checks its own data is sized
    # by its sums.
    units = working_units(fam, scan, partial) if in_units and not trusted else Units()
    if fam.sufficient and units.identity:
        try:
            stats = fam.finish(partial)
        except StatisticsOverflow:
            # Trusted sums that are not finite: bad values (named now) or sums that
            # overflow float64 (then the data are fitted rescaled).
            scan = _name_culprits(fam, record, source, prep)
            overflow = True
        except Refine as refine:
            stats = refine
        if trusted and in_units:
            units = working_units(fam, scan, partial)
    if fam.sufficient and (not units.identity or overflow or isinstance(stats, Refine)) or \
            (not fam.sufficient and not units.identity):
        if not source.reiterable:
            raise ValueError(f"{source.name}: values of magnitude near {units.scale:.3g} must be read again in "
                             "working units, and an iterator can be read only once: pass a list or a file")
        if isinstance(source, ArraySource):
            if not units.identity:
                source = source.apply(units.prep)
        else:
            source.prep = _compose(prep, None if units.identity else units.prep)
        refine = stats if isinstance(stats, Refine) else None
        plan = _plan(fam, record, refine)
        scan, partial = _first_pass(fam, source, plan, progress)
        if fam.sufficient:
            try:
                stats = (refine.finish if refine else fam.finish)(partial)
            except Refine as again:  # in working units the cheap pass may now need refining
                scan, partial = _first_pass(fam, source, _plan(fam, record, again), progress)
                stats = again.finish(partial)
    lo, hi = (scan["lo"], scan["hi"]) if math.isfinite(scan["lo"]) else (None, None)
    n = scan["n"]
    if not fam.sufficient:
        stats = sample_of(fam, source, partial, scan)
        source = stats.source  # (data in memory may be kept transformed: its passes count)
        n = stats.n
    return Reduced(stats, n, units, lo, hi, dropped, source, record)


def sample_of(fam: Family, source: Source, part: dict, scan: dict) -> Sample:
    n = scan["n"]
    info = {"n": n, "min": scan["lo"], "max": scan["hi"]}
    if "m" in part:
        info.update(mean=part["m"].mean, var=part["m"].var)
    if "m4" in part:
        info["m4"] = part["m4"] / n
    if "log" in part:
        info["log"] = part["log"]
    in_memory = isinstance(source, ArraySource)
    learns = fam.learns
    # Exact order statistics, the same for every source (a partition in memory, a few
    # counting passes for data in pieces): a start, and so a run, that does not depend
    # on where the data came from.
    if "median" in learns:
        info["median"] = source.median(n, scan["lo"], scan["hi"])
    if "quartiles" in learns:
        info["quartiles"] = tuple(source.order_statistics(((n - 1) // 4, (n - 1) // 2, 3 * (n - 1) // 4), n,
                                                          scan["lo"], scan["hi"]))
    extra = fam.prepare(info)
    if in_memory:
        transformed = fam.pretransform(getattr(source, "values", source.x), extra)
        if transformed is not None:
            source = source.apply(lambda x: transformed)
            extra["transformed"] = True
    # Censored and weighted rows count as the observations their weights say.
    return Sample(source, getattr(fam, "observations", n), **extra)
