"""Data that arrive in pieces: arrays in memory read in chunks, iterables of chunks,
Dask arrays, and files opened by their first bytes.

A ``Source`` (:mod:`gradmle.chunks`) yields float64 chunks, one pass per call of
``chunks()``, and counts its passes. Files are never loaded whole: text (CSV, TSV,
semicolon- or whitespace-separated, a one-line sample) through one reader, pyarrow's,
on blocks of whole lines (:mod:`gradmle.textfile`); Parquet by row groups; ``.npy``
memory-mapped (:mod:`gradmle.binaryfile`). Input that can be read only once (standard
input, a FIFO, ``/dev/stdin``) is copied once to a temporary file and then read like
any file (:mod:`gradmle.spool`). This module opens any of them (:func:`open_source`)
and exports every kind of source.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import numpy as np

from .binaryfile import NpySource, ParquetSource, npy_block, parquet_block
from .chunks import FILE_CHUNK, Columns, Source, as_chunk, as_columns
from .io import DataError
from .spool import Spool
from .textfile import TextSource

__all__ = ["Source", "open_source", "ArraySource", "IterableSource", "NpySource", "ParquetSource", "TextSource",
           "DaskSource", "is_chunked", "Columns", "as_columns", "as_chunk", "TableSource", "dask_array"]


class ArraySource(Source):
    """Data in memory: one array, read in cache-sized chunks (what a pass over data in
    memory costs is then what a pass over a file costs, minus the reading)."""

    def __init__(self, x: np.ndarray, chunk: int = 1 << 16, name: str = "array", masked: int = 0):
        super().__init__()
        self.x, self.chunk, self.name = x, chunk, name
        self.size = x.size
        #: Masked values dropped before the data became this array.
        self.masked_before = masked

    def _chunks(self):
        for i in range(0, self.x.size, self.chunk):
            yield self.x[i : i + self.chunk]

    def chunks(self):
        # The array was validated when it became this source: no conversion per chunk.
        self.passes += 1
        self.raw, self.masked = self.x.size, self.masked_before
        for i in range(0, self.x.size, self.chunk):
            c = self.x[i : i + self.chunk]
            if self.prep is not None:
                c = self.prep(c)
            if c.size:
                yield i, c

    def total(self, fn):
        if self.prep is not None:
            return super().total(fn)
        self.passes += 1
        x, size = self.x, self.chunk
        acc = fn(x[:size])
        for i in range(size, x.size, size):
            acc = acc + fn(x[i : i + size])
        return acc

    def median(self, n: int, lo: float, hi: float) -> float:
        self.passes += 1
        return float(np.median(self.x))

    def order_statistics(self, ranks, n: int, lo: float, hi: float) -> list:
        """The values at these 0-based ranks of the sorted data: one partition."""
        self.passes += 1
        ranks = list(ranks)
        part = np.partition(self.x, sorted(set(ranks)))
        return [float(part[r]) for r in ranks]

    def apply(self, fn) -> "ArraySource":
        """The array transformed once (a shift, a rescaling, logarithms), as a new source
        that keeps the pass count."""
        out = ArraySource(fn(self.x), self.chunk, self.name, self.masked_before)
        out.passes, out.raw = self.passes, self.raw
        return out


class TableSource(ArraySource):
    """Several named columns in memory (a dict of arrays, a DataFrame), read in
    cache-sized chunks of rows: each chunk is Columns."""

    def __init__(self, columns: Columns, chunk: int = 1 << 16, name: str = "table"):
        Source.__init__(self)
        self.x, self.chunk, self.name = columns, chunk, name
        self.size = columns.size
        self.masked_before = 0
        self.columns = tuple(columns.keys())

    def apply(self, fn) -> "TableSource":
        out = TableSource(fn(self.x), self.chunk, self.name)
        out.passes, out.raw = self.passes, self.raw
        return out


class IterableSource(Source):
    """An iterable of chunks (arrays or sequences of numbers). A list or tuple can be
    read again; a generator only once."""

    def __init__(self, chunks):
        super().__init__()
        self.items = chunks
        self.reiterable = isinstance(chunks, (list, tuple))
        self.name = "iterable of chunks"

    def kept(self) -> "IterableSource":
        """The chunks of a one-shot iterator kept in memory, for a family that needs
        a pass per evaluation (they were in memory as they were produced anyway).
        Reading the iterator and the first pass over the kept chunks are one pass."""
        kept = IterableSource(list(self.items))
        kept.name = self.name + " (kept in memory: the family needs several passes)"
        kept.prep = self.prep
        return kept

    def _chunks(self):
        if not self.reiterable and self.passes > 1:
            raise DataError("the data were an iterator of chunks, which can be read only once")
        yield from self.items


def _open_file(data, column, columns=None, several: bool = False) -> Source:
    """A Source for a path (``"-"``: standard input)."""
    name, spool = str(data), None
    if name == "-":
        name = "<stdin>"
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise DataError("<stdin>: there is no standard input to read")
        spool = Spool(stream, name)
    else:
        path = Path(data)
        if not path.exists():
            raise DataError(f"{data}: no such file")
        if path.is_dir():
            raise DataError(f"{data}: is a directory, not a data file")
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                with open(path, "rb") as fh:
                    spool = Spool(fh, name)
        except OSError as exc:
            raise DataError(f"{data}: cannot be read ({exc.strerror or exc})") from None
    path = spool.path if spool else str(data)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    kind = NpySource if magic.startswith(b"\x93NUMPY") else ParquetSource if magic.startswith(b"PAR1") else TextSource
    if kind is TextSource and b"\x00" in magic:
        raise DataError(f"{name}: a binary file, not text, .npy or Parquet")
    src = kind(path, column, name=name, columns=columns, several=several)
    src.spool = spool  # (the copy lives as long as a source reads it)
    return src


class DaskSource(Source):
    """A dask.array: reductions run as Dask computations on the active scheduler."""

    def __init__(self, array):
        super().__init__()
        if array.ndim != 1:
            if array.ndim == 2 and 1 in array.shape:
                array = array.ravel()
            else:
                raise DataError(f"a dask array of shape {array.shape}: pass a 1-D array")
        if array.dtype.kind not in "iuf":
            raise DataError(f"the dask array holds {array.dtype} values, not numbers")
        self.array = array.astype(np.float64)
        self.name = "dask array"
        try:  # on a dask.distributed cluster keep the blocks in the workers' memory
            from distributed import default_client

            default_client()
            self.array = self.array.persist()
        except (ImportError, ValueError):
            pass

    def total(self, fn):
        """``fn(block)`` summed over the blocks, as one Dask computation."""
        import dask

        from .stats import tree

        self.passes += 1
        prep = self.prep
        task = (lambda b: fn(as_chunk(b)[0])) if prep is None else (lambda b: fn(prep(as_chunk(b)[0])))
        parts = [dask.delayed(task)(b) for b in self.array.to_delayed().ravel()]
        root = tree(parts, lambda a, b: dask.delayed(np.add)(a, b))
        return dask.compute(root)[0]

    def _chunks(self):
        for block in self.array.to_delayed().ravel():
            yield block.compute()  # (a masked block keeps its mask: chunks() drops those values)


def is_chunked(data) -> bool:
    """True for what ``open_source`` handles rather than the in-memory path."""
    if isinstance(data, (str, Path)):
        return True
    if _is_dask(data):
        return True
    if isinstance(data, np.ndarray) or hasattr(data, "__array__"):
        return False
    if isinstance(data, (list, tuple)):
        return bool(data) and all(isinstance(c, np.ndarray) or (isinstance(c, (list, tuple)) and not _scalar(c))
                                  for c in data) and any(np.ndim(c) >= 1 for c in data)
    return hasattr(data, "__iter__") and not isinstance(data, (bytes, dict))


def _scalar(c) -> bool:
    return np.ndim(c) == 0


def _is_dask(data) -> bool:
    mod = type(data).__module__ or ""
    return mod.startswith("dask") and hasattr(data, "to_delayed")


def dask_array(path, column=None, chunk: int = FILE_CHUNK):
    """A dask.array over one column of a file: each block is read by the worker that
    needs it (so the file must be at the same path on every worker)."""
    import dask
    import dask.array as da

    src = open_source(path, column)
    if getattr(src, "spool", None):
        raise DataError(f"{src.name}: can be read only once, so not by the workers of a cluster: save it to a file")
    if isinstance(src, NpySource):
        select = (src.field, src.col, src.row)
        blocks = [da.from_delayed(dask.delayed(npy_block)(src.path, i, min(i + chunk, src.size), select),
                                  shape=(min(i + chunk, src.size) - i,), dtype=np.float64)
                  for i in range(0, src.size, chunk)]
    elif isinstance(src, ParquetSource):
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(src.path).metadata
        blocks = [da.from_delayed(dask.delayed(parquet_block)(src.path, g, src.column),
                                  shape=(meta.row_group(g).num_rows,), dtype=np.float64)
                  for g in range(meta.num_row_groups)]
    elif src.layout.row:  # one line
        return da.from_array(src.to_array())
    else:
        import dask.dataframe as dd

        lay = src.layout
        kw = {"sep": lay.delim if lay.delim else r"\s+", "skiprows": lay.skip, "comment": "#",
              "header": 0 if lay.header else None, "usecols": [lay.col]}
        frame = dd.read_csv(src.path, blocksize=64 << 20, dtype=float, **kw)
        return frame.iloc[:, 0].to_dask_array(lengths=True)
    return da.concatenate(blocks) if blocks else da.zeros(0)


def open_source(data, column=None, columns=None, several: bool = False) -> Source:
    """A Source for a path (``"-"``: standard input), a dask array or an iterable of
    chunks. For a file, ``columns`` names the columns read as Columns (several named
    columns per chunk); without it a family that takes several (``several``) reads every
    numeric column of a file that has more than one, unless ``column`` names one."""
    if isinstance(data, (str, Path)):
        return _open_file(data, column, columns, several)
    if columns is not None:
        raise DataError(f"columns= ({', '.join(map(str, columns))}) selects columns of a file, a dict or a DataFrame, "
                        "not of this input")
    if _is_dask(data):
        return DaskSource(data)
    return IterableSource(data)
