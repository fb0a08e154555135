"""What a pass over the data yields, whatever holds the data.

A :class:`Source` yields float64 chunks, one pass per call of ``chunks()``, and counts
its passes; a chunk is a 1-D array of values (:func:`as_chunk`) or, for several named
columns, :class:`Columns`. The choice of columns by name or 0-based index
(:func:`pick`, :func:`pick_many`) is shared by every reader of a table: files of text,
``.npy`` and Parquet, a dict of arrays or a DataFrame (:func:`as_columns`).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .io import DataError

__all__ = ["Source", "as_chunk", "Columns", "as_columns", "pick", "pick_many", "FILE_CHUNK"]

#: Values per chunk when reading files (8 MiB of float64).
FILE_CHUNK = 1 << 20


class Source:
    """A pass over the data is ``for offset, chunk in source.chunks(): ...``."""

    name = "data"
    #: True when the data can be read more than once.
    reiterable = True

    #: The names of the columns when every chunk is Columns (several named columns),
    #: None when chunks are arrays of values.
    columns: tuple | None = None

    def __init__(self):
        self.passes = 0
        self.progress = None  # progress(done_bytes_or_values, total) during a pass
        #: Applied to every chunk as it is read (dropping bad values, subtracting loc).
        self.prep = None
        #: Values read before ``prep`` on the last pass, and masked values dropped.
        self.raw = 0
        self.masked = 0

    def chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        self.passes += 1
        offset, self.raw, self.masked = 0, 0, 0
        for c in self._chunks():
            c, masked = as_chunk(c, self.name)
            self.masked += masked
            self.raw += c.size
            if self.prep is not None:
                c = self.prep(c)
            if c.size:
                yield offset, c
                offset += c.size

    def _chunks(self):
        raise NotImplementedError

    def total(self, fn):
        """``fn(chunk)`` summed over one pass (``prep`` applied)."""
        acc = None
        for _, c in self.chunks():
            v = fn(c)
            acc = v if acc is None else acc + v
        return acc

    def to_array(self) -> np.ndarray:
        """All the data in memory (for what needs it: small data)."""
        parts = [c for _, c in self.chunks()]
        return np.concatenate(parts) if parts else np.empty(0)

    def median(self, n: int, lo: float, hi: float) -> float:
        """The exact median (numpy's convention), in bounded memory: a few passes."""
        from .quantile import median

        return median(lambda: (c for _, c in self.chunks()), n=n, lo=lo, hi=hi)

    def order_statistics(self, ranks, n: int, lo: float, hi: float) -> list:
        """The values at these 0-based ranks of the sorted data, exactly, in bounded
        memory: a few counting passes."""
        from .quantile import order_statistics

        return order_statistics(lambda: (c for _, c in self.chunks()), list(ranks), n=n, lo=lo, hi=hi)


def as_chunk(c, name: str = "data") -> tuple[np.ndarray, int]:
    """A chunk as a 1-D float64 array, and how many masked values were dropped from it
    (a numpy masked array, or a block of a dask masked array)."""
    if isinstance(c, Columns):
        return c, 0
    masked = 0
    if np.ma.isMaskedArray(c):
        mask = np.ma.getmaskarray(c)
        masked = int(np.count_nonzero(mask))
        c = np.asarray(c.data)[~mask] if masked else np.asarray(c.data)
    c = np.asarray(c)
    if c.dtype.kind not in "iuf" and c.size:
        raise DataError(f"{name}: a chunk of the data holds {c.dtype} values, not numbers")
    c = np.asarray(c, dtype=np.float64)
    if c.ndim > 1 and c.size != max(c.shape):
        raise DataError(f"{name}: a chunk of shape {c.shape}: chunks must be 1-D (one column)")
    return c.ravel(), masked


class Columns:
    """Several named columns of equal length (float64): what a model of the user's with
    several variables receives as its first argument (``x["y"]``, ``x["x1"]``). Slicing
    by rows gives Columns; indexing by name gives the column."""

    __slots__ = ("data",)

    def __init__(self, data: dict):
        self.data = data

    @property
    def size(self) -> int:
        return len(next(iter(self.data.values())))

    @property
    def shape(self) -> tuple:
        return (self.size,)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.data[key]
        return Columns({k: v[key] for k, v in self.data.items()})

    def keys(self):
        return self.data.keys()

    def items(self):
        return self.data.items()

    def finite_rows(self) -> np.ndarray:
        mask = np.ones(self.size, bool)
        for v in self.data.values():
            mask &= np.isfinite(v)
        return mask

    def __repr__(self) -> str:
        return f"Columns({', '.join(self.data)}; {self.size} rows)"


def as_columns(data, name: str = "data", want=None) -> Columns:
    """A mapping of column name -> 1-D array, a pandas or polars DataFrame, as Columns
    (every column a number, all of one length); with ``want``, only those columns (by
    name or 0-based index), in that order."""
    if hasattr(data, "to_dict") and hasattr(data, "columns") and not isinstance(data, dict):
        items = [(str(c), data[c]) for c in data.columns]
    else:
        items = [(str(k), v) for k, v in data.items()]
    if not items:
        raise DataError(f"{name}: no columns")
    if want is not None:
        keys = [k for k, _ in items]
        picked = pick_many(name, keys, [True] * len(keys), want, False)
        items = [items[i] for i, _ in picked]
    items = [(k, v.to_numpy() if hasattr(v, "to_numpy") else v) for k, v in items]
    out = {}
    for key, values in items:
        arr = np.asarray(values)
        if arr.dtype.kind not in "iuf":
            raise DataError(f"{name}: column {key!r} holds {arr.dtype} values, not numbers")
        if arr.ndim != 1:
            raise DataError(f"{name}: column {key!r} has shape {arr.shape}: columns must be 1-D")
        out[key] = np.ascontiguousarray(arr, dtype=np.float64)
    sizes = {k: v.size for k, v in out.items()}
    if len(set(sizes.values())) != 1:
        raise DataError(f"{name}: the columns have different lengths ({', '.join(f'{k}: {n}' for k, n in sizes.items())})")
    return Columns(out)


# -- the choice of columns ------------------------------------------------------------------

def pick(name: str, columns: list[str], column, numeric: list[bool]) -> int:
    """The index of ``column`` (a name, or a 0-based index) among ``columns``; by default
    the first numeric one."""
    if column is None:
        for i, ok in enumerate(numeric):
            if ok:
                return i
        raise DataError(f"{name}: no numeric column (columns: {', '.join(columns)})")
    if isinstance(column, int) or (isinstance(column, str) and column.strip().lstrip("-").isdigit() and column not in columns):
        i = int(column)
        if not 0 <= i < len(columns):
            raise DataError(f"{name}: column index {i} is out of range: there are {len(columns)} columns (0 to {len(columns) - 1})")
        return i
    if column not in columns:
        raise DataError(f"{name}: no column {column!r}; columns: {', '.join(columns)}")
    return columns.index(column)


def pick_many(name: str, columns: list[str], numeric: list[bool], want, several: bool,
              unnamed: bool = False) -> tuple | None:
    """``((index, name), ...)`` of the columns each chunk holds as Columns, or None for
    one column (chunks of values). ``want``: the columns asked for, by name or 0-based
    index (always Columns, even for one); without it, every numeric column when the
    family takes several and there are several, else None. ``unnamed``: the columns
    are named by their index only (a 2-D .npy, text without a header), so that as many
    names as there are columns, not all of them indices, name them in order."""
    if want is None:
        found = [i for i, ok in enumerate(numeric) if ok]
        return tuple((i, columns[i]) for i in found) if several and len(found) > 1 else None
    want = [str(w) for w in want]
    if len(set(want)) < len(want):
        twice = next(w for w in want if want.count(w) > 1)
        raise DataError(f"{name}: column {twice!r} is asked for twice")
    if unnamed and not all(w in columns for w in want):
        if len(want) == len(columns):
            return tuple(enumerate(want))
        raise DataError(f"{name}: its {len(columns)} columns have no names: name all {len(columns)} in order, or "
                        f"pick some by 0-based index (0 to {len(columns) - 1}); got {len(want)} ({', '.join(want)})")
    picked = tuple((i, columns[i]) for i in (pick(name, columns, w, numeric) for w in want))
    if len({n for _, n in picked}) < len(picked):
        raise DataError(f"{name}: the same column is asked for twice ({', '.join(want)})")
    return picked
