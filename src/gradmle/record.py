"""The data record: whatever the user passed, turned at the entry into one thing that
then only flows down.

A record is a source of chunks (an in-memory array is a source of one array, read in
cache-sized chunks; a file, an iterable of chunks and a Dask array are read in
pieces), what to do with NaN and infinite values, a fixed ``loc`` subtracted from every
value (families whose support starts at loc), frequency weights per observation (data
in memory: see :mod:`gradmle.weighted`) and the place for censoring. Validation,
reduction, chunk sums and sources all receive the record, so that adding weights or
censoring touches the record and the reductions, not every caller.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .checks import choice
from .data import as_sample
from .source import ArraySource, Columns, Source, TableSource, as_columns, is_chunked, open_source

__all__ = ["DataRecord", "Weighted", "as_record", "NONFINITE"]

#: What may be done with NaN and infinite values.
NONFINITE = ("raise", "drop")


class Weighted(NamedTuple):
    """Values with frequency weights, one per value (``gradmle.fit(data, weights=w)``):
    a row counts as that many observations."""

    data: Any
    weights: Any


class DataRecord:
    """One input, ready to be reduced (see :func:`as_record`)."""

    def __init__(self, source: Source, nonfinite: str = "raise", loc: float = 0.0, weights=None, censoring=None):
        self.source = source
        self.nonfinite = nonfinite
        self.loc = loc
        #: Frequency weights per observation (None: all 1).
        self.weights = weights
        #: Censoring per observation (None: every value observed exactly).
        self.censoring = censoring

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def in_memory(self) -> bool:
        return isinstance(self.source, ArraySource)

    def with_loc(self, loc: float) -> "DataRecord":
        return DataRecord(self.source, self.nonfinite, loc, self.weights, self.censoring)

    def prep(self):
        """What every chunk goes through as it is read (None when nothing): drop
        NaN/inf, subtract loc."""
        drop, loc = self.nonfinite == "drop", self.loc
        if not (drop or loc):
            return None

        def prep(chunk: np.ndarray) -> np.ndarray:
            if drop:
                chunk = chunk[chunk.finite_rows() if isinstance(chunk, Columns) else np.isfinite(chunk)]
            return chunk - loc if loc else chunk

        return prep


def as_record(data, column=None, nonfinite: str = "raise", loc: float = 0.0, columns=None,
              several: bool = False) -> DataRecord:
    """The record of ``data``: an array-like (numpy arrays, masked arrays, lists,
    pandas and polars Series), a path, an iterable of chunks, a Dask array, or several
    named columns (a dict of arrays, a DataFrame).

    ``columns`` names the columns each chunk holds (Columns: name -> values), for a
    family that takes several (``several``: a model of the user's, which without
    ``columns`` receives every numeric column of a file that has several). ``column``
    names one column, whose chunks are then arrays of values.

    Masked values (numpy and dask masked arrays) are dropped, and the result says how
    many; NaN and infinite values are refused or dropped (``nonfinite``)."""
    if isinstance(data, DataRecord):
        return data
    if isinstance(data, Weighted):
        return _weighted_record(data, choice("nonfinite", nonfinite, NONFINITE), loc)
    if isinstance(data, Columns):  # a table already checked (censored data)
        return DataRecord(TableSource(data), choice("nonfinite", nonfinite, NONFINITE), loc)
    nonfinite = choice("nonfinite", nonfinite, NONFINITE)
    if isinstance(data, dict) or (hasattr(data, "columns") and hasattr(data, "to_dict") and not
                                  isinstance(data, np.ndarray) and (len(getattr(data, "columns", ())) > 1
                                                                    or columns is not None)):
        # Several named columns: a model of the user's receives them by name.
        if column is not None and columns is None:
            (values,) = as_columns(data, want=[column]).data.values()
            return DataRecord(ArraySource(as_sample(values)), nonfinite, loc)
        return DataRecord(TableSource(as_columns(data, want=columns)), nonfinite, loc)
    if is_chunked(data):
        return DataRecord(open_source(data, column, columns, several), nonfinite, loc)
    if columns is not None:
        raise ValueError(f"columns= ({', '.join(map(str, columns))}) selects columns of a file, a dict or a "
                         "DataFrame; these data are one column of values")
    data, mask = _unmasked(data)
    return DataRecord(ArraySource(as_sample(data), masked=0 if mask is None else int(mask.sum())), nonfinite, loc)


def _unmasked(data):
    """The values without the masked ones (a numpy masked array) and the mask (None
    when nothing is masked)."""
    if not np.ma.isMaskedArray(data):
        return data, None
    mask = np.ma.getmaskarray(data)
    masked = int(np.count_nonzero(mask))
    if masked == mask.size:
        raise ValueError(f"every one of the {mask.size} values is masked: no data to fit")
    return (np.asarray(data.data)[~mask], mask) if masked else (np.asarray(data.data), None)


def _weighted_record(data: Weighted, nonfinite: str, loc: float) -> DataRecord:
    """The record of values with frequency weights: data in memory (one array-like), the
    weights checked against them (one per value, masked values dropped with theirs)."""
    from .censoring import check_weights

    values, weights = data
    if is_chunked(values) or isinstance(values, dict) or hasattr(values, "columns"):
        raise ValueError("weights= gives one weight per value of data in memory (an array-like of values); for a "
                         "file, read the values and the weights into arrays (the command line's --weight does)")
    values, mask = _unmasked(values)
    x = as_sample(values, min_size=1)  # (one value with a weight of 2 or more is two observations)
    w = check_weights(weights, x.size if mask is None else mask.size)
    if mask is not None:
        w = w[~mask]
        if not w.sum() > 0:
            raise ValueError("the weights of the values that are not masked sum to 0: there is nothing to fit")
    masked = 0 if mask is None else int(mask.sum())
    return DataRecord(ArraySource(x, masked=masked), nonfinite, loc, weights=w)
