""".npy and Parquet files, read in chunks without loading them whole: ``.npy``
memory-mapped (the pages of each chunk are released once read, so that the resident
memory stays at one chunk), Parquet by row groups; and the blocks of either that the
workers of a Dask cluster read (:func:`npy_block`, :func:`parquet_block`).
"""

from __future__ import annotations

import mmap

import numpy as np

from .chunks import FILE_CHUNK, Columns, Source, pick, pick_many
from .io import DataError

__all__ = ["NpySource", "ParquetSource", "npy_block", "parquet_block"]


def npy_view(arr: np.ndarray, field, col, row: bool) -> np.ndarray:
    """The values of a .npy array: a field of records, one row, one column or all."""
    if field is not None:
        return arr[field]
    if row:
        return arr[0]
    return arr if col is None else arr[:, col]


class NpySource(Source):
    """A ``.npy`` array, memory-mapped: 1-D; 2-D, one column (by default the first) or,
    when it has a single row and no column is asked for, that row (a sample, as a single
    column is); records, one field by name or index (by default the first numeric one)."""

    def __init__(self, path, column=None, chunk: int = FILE_CHUNK, name: str | None = None, columns=None,
                 several: bool = False):
        super().__init__()
        self.path, self.chunk, self.name = str(path), chunk, name or str(path)
        try:
            arr = np.load(self.path, mmap_mode="r")
        except (ValueError, OSError, EOFError) as exc:
            raise DataError(f"{self.name}: not a readable .npy array of numbers ({exc})") from None
        self.field, self.col, self.row, self.picked = None, None, False, None
        what = "the array holds"
        if arr.dtype.names:
            if arr.ndim != 1:
                raise DataError(f"{self.name}: expected a 1-D array of records, got shape {arr.shape}")
            fields = list(arr.dtype.names)
            numeric = [arr.dtype[f].kind in "iuf" and not arr.dtype[f].shape for f in fields]
            self.picked = pick_many(self.name, fields, numeric, columns, several and column is None)
            if self.picked is not None:
                self._several(arr, lambda i: arr[fields[i]])
                return
            self.field = fields[pick(self.name, fields, column, numeric)]
            what = f"field {self.field!r} holds"
        elif arr.ndim == 2 and arr.shape[0] == 1 and column is None:
            self.row = True
        elif arr.ndim == 2:
            names = [str(i) for i in range(arr.shape[1])]
            self.picked = pick_many(self.name, names, [True] * len(names), columns, several and column is None,
                                    unnamed=True)
            if self.picked is not None:
                self._several(arr, lambda i: arr[:, i])
                return
            self.col = pick(self.name, names, 0 if column is None else column, [True] * len(names))
        elif arr.ndim != 1:
            raise DataError(f"{self.name}: expected a 1-D or 2-D array, got shape {arr.shape}")
        elif columns is not None:
            raise DataError(f"{self.name}: a 1-D array has one column, not named columns ({', '.join(columns)})")
        elif column not in (None, 0, "0"):
            raise DataError(f"{self.name}: a 1-D array has no column {column!r}")
        view = npy_view(arr, self.field, self.col, self.row)
        if view.dtype.kind not in "iuf":
            raise DataError(f"{self.name}: {what} {view.dtype} values, not numbers")
        self.shape = arr.shape
        self.size = view.shape[0]
        del arr, view

    def _several(self, arr, column_of) -> None:
        """Check the columns picked (``column_of(index)``: the values of one)."""
        for i, key in self.picked:
            kind = column_of(i).dtype
            if kind.kind not in "iuf":
                raise DataError(f"{self.name}: column {key!r} holds {kind} values, not numbers")
        self.columns = tuple(key for _, key in self.picked)
        self.shape, self.size = arr.shape, arr.shape[0]

    def _rows(self, block) -> "np.ndarray | Columns":
        """A block of rows of the array as the chunk it gives: Columns, or values."""
        if self.field is not None:
            block = block[self.field]
        elif self.col is not None:
            block = block[:, self.col]
        elif self.picked is not None:
            names = block.dtype.names
            return Columns({key: np.array(block[names[i]] if names else block[:, i], dtype=np.float64)
                            for i, key in self.picked})
        return np.array(block, dtype=np.float64)

    def _chunks(self):
        arr = np.load(self.path, mmap_mode="r")
        view = arr[0] if self.row else arr
        mm = getattr(arr, "_mmap", None)
        if mm is None:  # an empty array is not mapped
            yield self._rows(view)
            return
        # Where the values lie in the mapping (columns and fields are strided), so that
        # the pages of each chunk can be released once read: the resident memory stays
        # at one chunk.
        first = view.ctypes.data - np.frombuffer(mm, np.uint8).ctypes.data
        stride, page, done = view.strides[0], mmap.PAGESIZE, 0
        for i in range(0, self.size, self.chunk):
            stop = min(i + self.chunk, self.size)
            yield self._rows(view[i:stop])
            end = min(first + stop * stride, len(mm)) // page * page
            if end > done and hasattr(mm, "madvise"):
                mm.madvise(mmap.MADV_DONTNEED, done, end - done)
                done = end
            if self.progress:
                self.progress(stop, self.size)
        del arr, view


class ParquetSource(Source):
    def __init__(self, path, column=None, batch: int = FILE_CHUNK, name: str | None = None, columns=None,
                 several: bool = False):
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__()
        self.path, self.batch, self.name = str(path), batch, name or str(path)
        try:
            pf = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{self.name}: not a readable Parquet file ({exc})") from None
        schema = pf.schema_arrow
        cols = list(schema.names)
        numeric = [pa.types.is_integer(f.type) or pa.types.is_floating(f.type) for f in schema]
        picked = pick_many(self.name, cols, numeric, columns, several and column is None)
        for i in [j for j, _ in picked] if picked else [pick(self.name, cols, column, numeric)]:
            if not numeric[i]:
                raise DataError(f"{self.name}: column {cols[i]!r} holds {schema.field(i).type} values, not numbers")
        self.column = cols[i]
        self.read = [cols[j] for j, _ in picked] if picked else [self.column]
        self.columns = tuple(key for _, key in picked) if picked else None
        self.size = pf.metadata.num_rows

    def _chunks(self):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(self.path)
        done = 0
        for g in range(pf.num_row_groups):
            table = pf.read_row_group(g, columns=self.read)
            for key in self.read:
                col = table.column(key)
                if col.null_count:
                    first = next(k for k, v in enumerate(col.is_null().to_pylist()) if v)
                    raise DataError(f"{self.name}: column {key!r} has an empty value at row {done + first}")
            if self.columns is None:
                yield table.column(0).to_numpy()
            else:
                yield Columns({key: table.column(k).to_numpy().astype(np.float64, copy=False)
                               for key, k in zip(self.columns, range(len(self.read)))})
            done += table.num_rows
            if self.progress:
                self.progress(done, self.size)


def npy_block(path: str, start: int, stop: int, select: tuple) -> np.ndarray:
    """Rows ``start:stop`` of the values of a .npy array (``select``: the field, column
    and row of :func:`npy_view`)."""
    return np.array(npy_view(np.load(path, mmap_mode="r"), *select)[start:stop], dtype=np.float64)


def parquet_block(path: str, group: int, column: str) -> np.ndarray:
    """One column of one row group of a Parquet file."""
    import pyarrow.parquet as pq

    col = pq.ParquetFile(path).read_row_group(group, columns=[column]).column(0)
    if col.null_count:
        raise DataError(f"{path}: column {column!r} has an empty value in row group {group}")
    return col.to_numpy().astype(np.float64, copy=False)
