"""Fitting data that arrive in pieces (see :mod:`gradmle.source`).

Families with sufficient statistics reduce every chunk to a ``partial`` and merge the
partials pairwise, in one pass; after it every iteration is O(1). Families without
them make a first pass for their start (moments of x and log x, min and max) and then
one pass per new point at which the likelihood is evaluated; the value, gradient and
Hessian at a point come from the same pass. Bad values are counted over the whole
pass and refused with how many there are and where the first one is.

On a Dask array every pass is a Dask computation (per-block partials combined in a
tree) on whatever scheduler is active, a dask.distributed cluster included.
"""

from __future__ import annotations

import math

import numpy as np

from .families import Family, Sample
from .source import DaskSource, Source
from .stats import sum_of_products, tree

__all__ = ["reduce_source", "tree"]


# -- checking a chunk ------------------------------------------------------------------

def _scan(fam: Family, chunk: np.ndarray, offset: int) -> dict:
    """Counts of non-finite values and of values outside the support, with the first."""
    out = {"n": chunk.size, "nonfinite": 0, "outside": 0, "first_nonfinite": None, "first_outside": None,
           "lo": math.inf, "hi": -math.inf}
    bad = ~np.isfinite(chunk)
    k = int(np.count_nonzero(bad))
    if k:
        i = int(np.flatnonzero(bad)[0])
        out.update(nonfinite=k, first_nonfinite=(offset + i, float(chunk[i])))
        chunk = chunk[~bad]
    if chunk.size:
        out.update(lo=float(chunk.min()), hi=float(chunk.max()))
    try:
        fam.check_support(chunk)
    except ValueError:
        s = fam.support
        with np.errstate(invalid="ignore"):
            if s == "positive":
                mask = chunk <= 0
            elif s == "nonnegative":
                mask = chunk < 0
            elif s == "unit_interval":
                mask = (chunk <= 0) | (chunk >= 1)
            else:
                mask = (chunk < 0) | (chunk != np.floor(chunk))
        i = int(np.flatnonzero(mask)[0])
        out.update(outside=int(np.count_nonzero(mask)), first_outside=(offset + i, float(chunk[i])))
    return out


def _merge_scans(a: dict, b: dict) -> dict:
    out = {k: a[k] + b[k] for k in ("n", "nonfinite", "outside")}
    out.update(lo=min(a["lo"], b["lo"]), hi=max(a["hi"], b["hi"]))
    for key in ("first_nonfinite", "first_outside"):
        out[key] = a[key] if a[key] is not None else b[key]
    return out


def _refuse(fam: Family, source: Source, scan: dict) -> None:
    n = scan["n"]
    if n == 0:
        raise ValueError(f"{source.name}: no values (empty data)")
    if not fam.streamable:
        return
    if n < 2:
        raise ValueError(f"{source.name}: only 1 value: at least 2 are needed")
    where = getattr(source, "line_of", None)
    for key, what in (("nonfinite", "are NaN or infinite"), ("outside", f"are outside the support of the {fam.name} family")):
        if scan[key]:
            i, v = scan[f"first_{key}"]
            at = f"line {where(i)}" if where and key == "nonfinite" else f"index {i}"
            rule = "" if key == "nonfinite" else f" ({_rule(fam.support)})"
            raise ValueError(f"{source.name}: {scan[key]} of {n} values {what}{rule}; the first is {v!r} at {at}")


def _rule(support: str) -> str:
    return {"positive": "values must be > 0", "nonnegative": "values must be >= 0",
            "unit_interval": "values must be strictly between 0 and 1",
            "counts": "values must be whole numbers >= 0"}.get(support, "")


# -- one pass ----------------------------------------------------------------------------

def _first_pass_partial(fam: Family, chunk: np.ndarray, offset: int, prep=None):
    if prep is not None:
        chunk = prep(np.asarray(chunk, dtype=np.float64))
    scan = _scan(fam, chunk, offset)
    if scan["nonfinite"] or scan["outside"]:
        return scan, None
    if fam.sufficient:
        return scan, fam.partial(chunk)
    return scan, _moments_partial(chunk, fam.support == "positive")


def _moments_partial(chunk: np.ndarray, logs: bool) -> dict:
    """What a family without sufficient statistics learns from the first pass."""
    from .stats import moments

    m = moments(chunk)
    d = chunk - m.mean
    d2 = d * d
    m3 = sum_of_products(d2, d, out=d)
    out = {"m": m, "m3": m3, "m4": sum_of_products(d2, d2, out=d2),
           "min": float(chunk.min()), "max": float(chunk.max())}
    if logs:
        y = np.log(chunk)
        out["lm"] = moments(y)
    return out


class NeedsRescale(Exception):
    """The first pass found values of a magnitude that must be fitted rescaled."""

    def __init__(self, scale: float):
        super().__init__(scale)
        self.scale = scale


def reduce_source(fam: Family, source: Source, progress=None, rescale: bool = True):
    """One pass over ``source``: the family's statistics (a Sample for families that
    evaluate by passes). Raises NeedsRescale when the values are so large or small that
    the family must see them divided by a power of two (see fit.data_scale)."""
    source.progress = progress
    # Values of extreme magnitude may overflow these statistics: then they are redone
    # rescaled, so numpy need not warn about this pass.
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        if isinstance(source, DaskSource):
            scan, partial = _dask_first_pass(fam, source)
        else:
            scans, partials = [], []
            for offset, chunk in source.chunks():
                scan, part = _first_pass_partial(fam, chunk, offset)
                scans.append(scan)
                partials.append(part)
            scan = tree(scans, _merge_scans) or {"n": 0, "nonfinite": 0, "outside": 0}
            partial = tree(partials, fam.combine if fam.sufficient else _merge_moments) if scan["n"] else None
    _refuse(fam, source, scan)
    if rescale:
        from .fit import data_scale

        scale = data_scale(fam, scan["lo"], scan["hi"])
        if scale != 1.0:
            raise NeedsRescale(scale)
    if fam.sufficient:
        return fam.finish(partial)
    return _stream_sample(fam, source, partial, scan["n"])



def _merge_moments(a: dict, b: dict) -> dict:
    from .stats import merge

    # Third and fourth central sums merged as Pebay (2008) gives them.
    ma, mb = a["m"], b["m"]
    na, nb = ma.n, mb.n
    n = na + nb
    delta = mb.mean - ma.mean
    d2 = delta * delta  # (products, not **: on data to be rescaled they may overflow to inf)
    m3 = a["m3"] + b["m3"] + d2 * delta * na * nb * (na - nb) / (n * n) + 3 * delta * (na * mb.m2 - nb * ma.m2) / n
    m4 = (a["m4"] + b["m4"] + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
          + 6 * d2 * (na * na * mb.m2 + nb * nb * ma.m2) / (n * n) + 4 * delta * (na * b["m3"] - nb * a["m3"]) / n)
    out = {"m": merge(ma, mb), "m3": m3, "m4": m4, "min": min(a["min"], b["min"]), "max": max(a["max"], b["max"])}
    if "lm" in a:
        out["lm"] = merge(a["lm"], b["lm"])
    return out


def _stream_sample(fam: Family, source: Source, part: dict, n: int) -> Sample:
    m = part["m"]
    fam.check_spread(part["min"], part["max"], n)
    info = {"mean": m.mean, "var": m.var, "m4": part["m4"] / n, "min": part["min"], "max": part["max"]}
    if "lm" in part:
        lm = part["lm"]
        info.update(log_mean=lm.mean, log_var=lm.var, log_max=math.log(part["max"]))
    return Sample(None, source=source, n=n, **fam.prepare(info))


# -- Dask ----------------------------------------------------------------------------------

def _dask_first_pass(fam: Family, source: DaskSource):
    import dask

    blocks = source.array.to_delayed().ravel()
    sizes = np.cumsum([0] + [int(c) for c in source.array.chunks[0]])
    parts = [dask.delayed(_first_pass_partial)(fam, b, int(off), source.prep) for b, off in zip(blocks, sizes[:-1])]
    combine = fam.combine if fam.sufficient else _merge_moments

    def both(a, b):
        (sa, pa), (sb, pb) = a, b
        s = _merge_scans(sa, sb)
        p = None if pa is None or pb is None else combine(pa, pb)
        return s, p

    root = tree(parts, lambda a, b: dask.delayed(both)(a, b))
    if root is None:
        return {"n": 0, "nonfinite": 0, "outside": 0}, None
    source.passes += 1
    (scan, partial), = dask.compute(root)
    return scan, partial
