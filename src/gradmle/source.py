"""Data that arrive in pieces: files read in chunks, iterables of chunks, Dask arrays.

A ``Source`` yields float64 chunks, one pass per call of ``chunks()``, and counts its
passes. Files are never loaded whole: CSV/TSV through pyarrow's streaming reader,
Parquet by row groups, ``.npy`` memory-mapped (pages are released after each chunk,
so the resident memory stays at one chunk). Whitespace-separated text, which pyarrow
cannot split, is read line by line.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path
from typing import Iterator

import numpy as np

from .io import NUMBER, DataError, delimiter, split_fields

__all__ = ["Source", "open_source", "ArraySource", "IterableSource", "NpySource", "CsvSource", "ParquetSource",
           "TextSource", "DaskSource", "is_chunked"]

#: Values per chunk when reading files (8 MiB of float64).
FILE_CHUNK = 1 << 20


class Source:
    """A pass over the data is ``for offset, chunk in source.chunks(): ...``."""

    name = "data"
    #: True when the data can be read more than once.
    reiterable = True

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


def as_chunk(c, name: str = "data") -> tuple[np.ndarray, int]:
    """A chunk as a 1-D float64 array, and how many masked values were dropped from it
    (a numpy masked array, or a block of a dask masked array)."""
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

    def mad(self, median: float) -> float:
        """The median absolute deviation from ``median`` (for starts; data in memory)."""
        self.passes += 1
        return float(np.median(np.abs(self.x - median)))

    def apply(self, fn) -> "ArraySource":
        """The array transformed once (a shift, a rescaling, logarithms), as a new source
        that keeps the pass count."""
        out = ArraySource(fn(self.x), self.chunk, self.name, self.masked_before)
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


class NpySource(Source):
    def __init__(self, path, column=None, chunk: int = FILE_CHUNK):
        super().__init__()
        self.path, self.chunk, self.name = str(path), chunk, str(path)
        arr = np.load(self.path, mmap_mode="r")
        if arr.dtype.names or arr.ndim not in (1, 2):
            raise DataError(f"{path}: expected a 1-D or 2-D numeric array, got shape {arr.shape}, dtype {arr.dtype}")
        if arr.dtype.kind not in "iuf":
            raise DataError(f"{path}: the array holds {arr.dtype} values, not numbers")
        if arr.ndim == 2:
            i = 0 if column is None else int(column)
            if not 0 <= i < arr.shape[1]:
                raise DataError(f"{path}: column index {i} is out of range: there are {arr.shape[1]} columns")
            self.col = i
        else:
            if column not in (None, 0, "0"):
                raise DataError(f"{path}: a 1-D array has no column {column!r}")
            self.col = None
        self.shape = arr.shape
        self.size = arr.shape[0]
        del arr

    def _chunks(self):
        arr = np.load(self.path, mmap_mode="r")
        mm = getattr(arr, "_mmap", None)
        if mm is None:  # an empty array is not mapped
            yield np.asarray(arr if self.col is None else arr[:, self.col])
            return
        itemsize = arr.dtype.itemsize * (1 if arr.ndim == 1 else arr.shape[1])
        base = arr.offset if hasattr(arr, "offset") else 0
        page = mmap.PAGESIZE
        done = 0
        for i in range(0, self.size, self.chunk):
            part = arr[i : i + self.chunk] if self.col is None else arr[i : i + self.chunk, self.col]
            yield np.array(part, dtype=np.float64)
            # Release the pages just read: the resident memory stays at one chunk.
            end = (base + (i + self.chunk) * itemsize) // page * page
            if end > done and hasattr(mm, "madvise"):
                mm.madvise(mmap.MADV_DONTNEED, done, min(end, len(mm)) - done)
                done = end
            if self.progress:
                self.progress(min(i + self.chunk, self.size), self.size)
        del arr


class ParquetSource(Source):
    def __init__(self, path, column=None, batch: int = FILE_CHUNK):
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__()
        self.path, self.batch, self.name = str(path), batch, str(path)
        try:
            pf = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
        schema = pf.schema_arrow
        cols = list(schema.names)
        numeric = [pa.types.is_integer(f.type) or pa.types.is_floating(f.type) for f in schema]
        from .io import pick_column

        i = pick_column(self.path, cols, column, numeric)
        if not numeric[i]:
            raise DataError(f"{path}: column {cols[i]!r} holds {schema.field(i).type} values, not numbers")
        self.column = cols[i]
        self.size = pf.metadata.num_rows

    def _chunks(self):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(self.path)
        done = 0
        for g in range(pf.num_row_groups):
            table = pf.read_row_group(g, columns=[self.column])
            col = table.column(0)
            if col.null_count:
                first = next(k for k, v in enumerate(col.is_null().to_pylist()) if v)
                raise DataError(f"{self.path}: column {self.column!r} has an empty value at row {done + first}")
            yield col.to_numpy()
            done += table.num_rows
            if self.progress:
                self.progress(done, self.size)


class CsvSource(Source):
    """CSV, TSV or semicolon-separated text through pyarrow's streaming reader."""

    def __init__(self, path, column=None, block_size: int = 1 << 20):
        super().__init__()
        self.path, self.name, self.block_size = str(path), str(path), block_size
        self.delim, self.header, self.columns, self.col, self.skip = _sniff(self.path, column)
        self.size = os.path.getsize(self.path)

    def _chunks(self):
        import pyarrow as pa
        import pyarrow.csv as pcsv

        name = self.columns[self.col]
        read = pcsv.ReadOptions(block_size=self.block_size, skip_rows=self.skip,
                                column_names=None if self.header else self.columns,
                                autogenerate_column_names=False)
        parse = pcsv.ParseOptions(delimiter=self.delim, ignore_empty_lines=True)
        convert = pcsv.ConvertOptions(include_columns=[name], column_types={name: pa.float64()},
                                      null_values=[""], strings_can_be_null=False)
        try:
            reader = pcsv.open_csv(self.path, read_options=read, parse_options=parse, convert_options=convert)
        except (pa.ArrowException, UnicodeDecodeError) as exc:
            self._locate()
            raise DataError(f"{self.path}: could not be read as {self.delim!r}-separated text ({exc})") from None
        try:
            done = 0
            for batch in reader:
                col = batch.column(0)
                if col.null_count:
                    self._locate()
                yield col.to_numpy(zero_copy_only=False)
                done += batch.num_rows
                if self.progress:
                    self.progress(min(done * 8, self.size), self.size)
        except (pa.ArrowException, UnicodeDecodeError):
            self._locate()
            raise DataError(f"{self.path}: could not be read as {self.delim!r}-separated numbers") from None

    def _locate(self):
        """Find the first bad cell of the column by a plain scan (only after an error)."""
        with open(self.path, encoding="utf-8-sig", errors="replace") as fh:
            for k, line in enumerate(fh, start=1):
                if k <= self.skip + (1 if self.header else 0) or not line.strip() or line.lstrip().startswith("#"):
                    continue
                parts = split_fields(line.rstrip("\r\n"), self.delim)
                if self.col >= len(parts):
                    raise DataError(f"{self.path}: line {k} has {len(parts)} field(s), no column {self.columns[self.col]!r}")
                cell = parts[self.col]
                if not NUMBER.match(cell):
                    what = "an empty cell" if cell == "" else f"text {cell[:40]!r}"
                    raise DataError(f"{self.path}: line {k}, column {self.columns[self.col]!r}: {what} where a number is expected")

    def line_of(self, index: int) -> int:
        """The line number of the index-th value (for messages about NaN and the like)."""
        seen = -1
        with open(self.path, encoding="utf-8-sig", errors="replace") as fh:
            for k, line in enumerate(fh, start=1):
                if k <= self.skip + (1 if self.header else 0) or not line.strip() or line.lstrip().startswith("#"):
                    continue
                seen += 1
                if seen == index:
                    return k
        return -1


class TextSource(CsvSource):
    """Whitespace-separated text: split line by line (pyarrow needs one delimiter)."""

    def _chunks(self):
        values, done = [], 0
        first = self.skip + (1 if self.header else 0)
        with open(self.path, encoding="utf-8-sig", errors="replace") as fh:
            for k, line in enumerate(fh, start=1):
                if k <= first or not line.strip() or line.lstrip().startswith("#"):
                    continue
                parts = line.split()
                if self.col >= len(parts) or not NUMBER.match(parts[self.col]):
                    self._locate()
                values.append(float(parts[self.col]))
                if len(values) == FILE_CHUNK:
                    done += len(values)
                    yield np.array(values)
                    values = []
        if values:
            yield np.array(values)


def _sniff(path: str, column, delim: str | None = None):
    """Delimiter, header, column names, chosen column and leading lines to skip."""
    head = []
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line in fh:
                head.append(line.rstrip("\r\n"))
                if len(head) >= 60:
                    break
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text, .npy or Parquet") from None
    skip = 0
    while skip < len(head) and (not head[skip].strip() or head[skip].lstrip().startswith("#")):
        skip += 1
    if skip == len(head):
        raise DataError(f"{path}: empty file (no data lines)")
    delim = delim or delimiter(head[skip:])
    if delim is None and all(len(ln.split()) == 1 for ln in head[skip:] if ln.strip()):
        delim = ","  # one value per line: pyarrow reads it as a one-column CSV
    first = split_fields(head[skip], delim)
    header = not all(NUMBER.match(c) for c in first if c)
    columns = first if header else [f"{i}" for i in range(len(first))]
    rows = [split_fields(ln, delim) for ln in head[skip + (1 if header else 0):] if ln.strip()]
    if not rows:
        raise DataError(f"{path}: has a header ({', '.join(columns)}) but no data lines")
    numeric = [all(i < len(r) and NUMBER.match(r[i]) for r in rows) for i in range(len(columns))]
    from .io import pick_column

    col = pick_column(path, columns, column, numeric) if (column is not None or any(numeric)) else 0
    return delim, header, columns, col, skip


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


def _npy_block(path: str, start: int, stop: int, col) -> np.ndarray:
    arr = np.load(path, mmap_mode="r")
    part = arr[start:stop] if col is None else arr[start:stop, col]
    return np.array(part, dtype=np.float64)


def _parquet_block(path: str, group: int, column: str) -> np.ndarray:
    import pyarrow.parquet as pq

    col = pq.ParquetFile(path).read_row_group(group, columns=[column]).column(0)
    if col.null_count:
        raise DataError(f"{path}: column {column!r} has an empty value in row group {group}")
    return col.to_numpy().astype(np.float64, copy=False)


def dask_array(path, column=None, chunk: int = FILE_CHUNK):
    """A dask.array over one column of a file: each block is read by the worker that
    needs it (so the file must be at the same path on every worker)."""
    import dask
    import dask.array as da

    src = open_source(path, column)
    if isinstance(src, NpySource):
        blocks = [da.from_delayed(dask.delayed(_npy_block)(src.path, i, min(i + chunk, src.size), src.col),
                                  shape=(min(i + chunk, src.size) - i,), dtype=np.float64)
                  for i in range(0, src.size, chunk)]
    elif isinstance(src, ParquetSource):
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(src.path).metadata
        blocks = [da.from_delayed(dask.delayed(_parquet_block)(src.path, g, src.column),
                                  shape=(meta.row_group(g).num_rows,), dtype=np.float64)
                  for g in range(meta.num_row_groups)]
    else:
        import dask.dataframe as dd

        name = src.columns[src.col]
        kw = {"sep": src.delim if src.delim else r"\s+", "skiprows": src.skip, "comment": "#",
              "header": 0 if src.header else None, "usecols": [name if src.header else src.col]}
        frame = dd.read_csv(src.path, blocksize=64 << 20, dtype=float, **kw)
        return frame.iloc[:, 0].to_dask_array(lengths=True)
    return da.concatenate(blocks) if blocks else da.zeros(0)


def open_source(data, column=None) -> Source:
    """A Source for a path, a dask array or an iterable of chunks."""
    if _is_dask(data):
        return DaskSource(data)
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.exists():
            raise DataError(f"{data}: no such file")
        if path.is_dir():
            raise DataError(f"{data}: is a directory, not a data file")
        try:
            with open(path, "rb") as fh:
                magic = fh.read(8)
        except OSError as exc:
            raise DataError(f"{data}: cannot be read ({exc.strerror or exc})") from None
        if magic.startswith(b"\x93NUMPY"):
            return NpySource(path, column)
        if magic.startswith(b"PAR1"):
            return ParquetSource(path, column)
        if b"\x00" in magic:
            raise DataError(f"{data}: a binary file, not text, .npy or Parquet")
        src = CsvSource(path, column)
        if src.delim is None:
            text = TextSource.__new__(TextSource)
            text.__dict__.update(src.__dict__)
            return text
        return src
    return IterableSource(data)
