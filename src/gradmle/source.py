"""Data that arrive in pieces: files read in chunks, standard input, iterables of chunks,
Dask arrays.

A ``Source`` yields float64 chunks, one pass per call of ``chunks()``, and counts its
passes. Files are never loaded whole: text (CSV, TSV, semicolon- or whitespace-separated,
a one-line sample) through one reader, pyarrow's, on blocks of whole lines (:func:`_blocks`);
Parquet by row groups; ``.npy`` memory-mapped (pages are released after each chunk, so
the resident memory stays at one chunk). Input that can be read only once (standard
input, a FIFO, ``/dev/stdin``) is copied once to a temporary file and then read like
any file (:class:`_Spool`).
"""

from __future__ import annotations

import csv
import mmap
import os
import re
import stat
import sys
import tempfile
import weakref
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np

from .io import DataError

__all__ = ["Source", "open_source", "ArraySource", "IterableSource", "NpySource", "ParquetSource", "TextSource",
           "DaskSource", "is_chunked"]

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



# -- files ------------------------------------------------------------------------------------

def _pick(name: str, columns: list[str], column, numeric: list[bool]) -> int:
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


def _pick_many(name: str, columns: list[str], numeric: list[bool], want, several: bool,
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
    picked = tuple((i, columns[i]) for i in (_pick(name, columns, w, numeric) for w in want))
    if len({n for _, n in picked}) < len(picked):
        raise DataError(f"{name}: the same column is asked for twice ({', '.join(want)})")
    return picked


def _npy_view(arr: np.ndarray, field, col, row: bool) -> np.ndarray:
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
            self.picked = _pick_many(self.name, fields, numeric, columns, several and column is None)
            if self.picked is not None:
                self._several(arr, lambda i: arr[fields[i]])
                return
            self.field = fields[_pick(self.name, fields, column, numeric)]
            what = f"field {self.field!r} holds"
        elif arr.ndim == 2 and arr.shape[0] == 1 and column is None:
            self.row = True
        elif arr.ndim == 2:
            names = [str(i) for i in range(arr.shape[1])]
            self.picked = _pick_many(self.name, names, [True] * len(names), columns, several and column is None,
                                     unnamed=True)
            if self.picked is not None:
                self._several(arr, lambda i: arr[:, i])
                return
            self.col = _pick(self.name, names, 0 if column is None else column, [True] * len(names))
        elif arr.ndim != 1:
            raise DataError(f"{self.name}: expected a 1-D or 2-D array, got shape {arr.shape}")
        elif columns is not None:
            raise DataError(f"{self.name}: a 1-D array has one column, not named columns ({', '.join(columns)})")
        elif column not in (None, 0, "0"):
            raise DataError(f"{self.name}: a 1-D array has no column {column!r}")
        view = _npy_view(arr, self.field, self.col, self.row)
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
        picked = _pick_many(self.name, cols, numeric, columns, several and column is None)
        for i in [j for j, _ in picked] if picked else [_pick(self.name, cols, column, numeric)]:
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


# -- text ---------------------------------------------------------------------------------------
#
# One reader for every kind of text: pyarrow's CSV reader, on blocks of whole lines that
# _blocks prepares. The sniffer, the search for a bad line and the line numbers in
# messages read the same lines with the same rules (_lines, _fields).

#: A number as pyarrow reads one (ASCII digits: pyarrow reads no others).
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|nan|inf|infinity)$", re.I | re.ASCII)
#: A number with a decimal comma: refused, but named as such, and it makes a column numeric
#: so that a column of them is not passed over for the next one.
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+([eE][+-]?\d+)?$", re.ASCII)
#: ``#`` outside double quotes starts a comment that runs to the end of the line (as
#: numpy.loadtxt and pandas' comment="#" read it); a line left blank is skipped.
_COMMENT = r'(?m)^((?:[^"#\r\n]|"[^"\r\n]*")*)#[^\r\n]*'
_COMMENT_TEXT, _COMMENT_BYTES = re.compile(_COMMENT), re.compile(_COMMENT.encode())
_BOM = b"\xef\xbb\xbf"
#: The blanks of text, as bytes.split() knows them (str.split() knows more, pyarrow fewer).
_BLANKS = " \t\r\n\x0b\x0c"
#: Lines the sniffer reads, and the characters of a line it looks at (a one-line sample
#: may be very long).
_HEAD_LINES, _HEAD_CHARS = 60, 1 << 20


def _delimiter(lines: list[str]) -> str | None:
    sample = [ln for ln in lines[:20] if ln.strip()]
    for delim in (",", "\t", ";"):
        if sample and all(delim in ln for ln in sample):
            return delim
    return None  # whitespace


def _lines(path: str, start: int = 0, errors: str = "replace", cap: int | None = None):
    """(line number, text without its comment) of every line of ``path`` after the first
    ``start`` that holds anything but blanks and a comment; with ``cap``, at most that many
    characters of each line (cut at a blank or delimiter)."""
    with open(path, "rb") as fh:
        for k in range(1, start + 1):
            if not _skip_line(fh):
                return
        k = start
        limit = cap * 4 if cap else -1
        while True:
            raw = fh.readline(limit)
            if not raw:
                return
            k += 1
            if len(raw) == limit and not raw.endswith(b"\n"):
                _skip_line(fh)
                raw = raw[: max(raw.rfind(c) for c in b" \t,;")]
            text = raw.decode("utf-8", errors)
            if k == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if "#" in text:
                text = _COMMENT_TEXT.sub(r"\1", text)
            text = text.rstrip("\r\n")
            if text.strip(_BLANKS):
                yield k, text


def _skip_line(fh) -> bool:
    """Read past the end of the current line; False at the end of the file."""
    while True:
        part = fh.readline(1 << 20)
        if not part:
            return False
        if part.endswith(b"\n"):
            return True


def _fields(line: str, delim: str | None) -> tuple[list[str], bool]:
    """The cells of a line as pyarrow splits them (quotes removed, blanks around a cell
    dropped, as pyarrow drops them around a number), and whether a quote opens a cell
    that the line does not close."""
    if delim is None:
        line, delim = "\t".join(_words(line)), "\t"
    cells, open_quote = line.split(delim), False
    if '"' in line:
        try:
            cells = next(csv.reader([line], delimiter=delim, strict=True))
        except csv.Error as exc:
            open_quote = "end of data" in str(exc)
            try:
                cells = next(csv.reader([line], delimiter=delim))
            except csv.Error:
                pass
    return [c.strip(" \t") for c in cells], open_quote


def _words(line: str) -> list[str]:
    return [w.decode() for w in line.encode().split()]


def _numberlike(cell: str) -> bool:
    return bool(_NUMBER.match(cell) or _DECIMAL_COMMA.match(cell))


def _what(cell: str) -> str:
    return "an empty cell" if cell == "" else f"text {cell[:40]!r}"


class _Layout(NamedTuple):
    """What the sniffer found in the head of a text file."""

    #: "," "\t" ";", or None: blanks.
    delim: str | None
    header: bool
    columns: list[str]
    col: int
    #: The data are one line of numbers: a sample (each field a value).
    row: bool
    #: Lines before the first data line (blank, comments).
    skip: int
    #: ``((index, name), ...)`` of the columns read as Columns, or None: one column.
    picked: tuple | None = None


def _sniff(path: str, name: str, column, want=None, several: bool = False) -> _Layout:
    """Delimiter, header, column names, chosen column, one-line sample, lines to skip."""
    head, complete = [], True
    lines = _lines(path, errors="strict", cap=_HEAD_CHARS)
    try:
        for k, text in lines:
            if "\x00" in text:
                raise DataError(f"{name}: a binary file, not text, .npy or Parquet")
            head.append((k, text))
            if len(head) > _HEAD_LINES:
                complete = False
                break
    except UnicodeDecodeError:
        raise DataError(f"{name}: not UTF-8 text, .npy or Parquet") from None
    finally:
        lines.close()
    if not head:
        raise DataError(f"{name}: empty file (no data lines)")
    texts = [t for _, t in head]
    skip = head[0][0] - 1
    delim = _delimiter(texts)
    if delim is None and all(len(_words(t)) == 1 for t in texts):
        delim = ","  # one value per line: a one-column CSV, which pyarrow reads as it is
    rows = [_fields(t, delim)[0] for t in texts]
    first = rows[0]
    header = not all(_numberlike(c) for c in first if c)
    if column is None and want is None and complete and len(rows) == 1 and not header and len(first) > 1:
        return _Layout(delim, False, ["0"], 0, True, skip)
    columns = first if header else [str(i) for i in range(len(first))]
    body = rows[1:] if header else rows
    if not body:
        raise DataError(f"{name}: has a header ({', '.join(columns)}) but no data lines")
    # A column is numeric when its cells are numbers; empty cells and decimal commas do
    # not make it text (it is then read, and the bad cell named).
    numeric = [any(i < len(r) and _NUMBER.match(r[i]) for r in body)
               and all(i >= len(r) or not r[i] or _numberlike(r[i]) for r in body) for i in range(len(columns))]
    picked = _pick_many(name, columns, numeric, want, several and column is None, unnamed=not header)
    if picked:
        return _Layout(delim, header, columns, picked[0][0], False, skip, picked)
    col = _pick(name, columns, column, numeric) if column is not None or any(numeric) else 0
    return _Layout(delim, header, columns, col, False, skip)


#: The reader's blocks of text (a block ends at a line end).
TEXT_BLOCK = 8 << 20
#: The window of the checks with numpy (their temporaries stay small).
_WINDOW = 1 << 20


def _blocks(path: str, lay: _Layout, size: int) -> Iterator[tuple[object, int | None, int]]:
    """The data lines of a text file as pyarrow's CSV reader is to see them, in blocks of
    whole lines: (block, the number of lines in it or None when pyarrow cannot merge
    any, bytes read so far). The lines before the data and the header are left out,
    comments and blank lines removed, the blanks between fields of whitespace-separated
    text made one tab, and the fields of a one-line sample put one per line.

    pyarrow reads no comments and takes a line of blanks for a row, hence the cleaning;
    a block without ``#`` and without a line that starts with a blank goes to pyarrow as
    it is (found with memchr and numpy, not a loop over its lines). pyarrow also takes
    the lines after a quote left open into that field, and a carriage return for a line
    end, without an error: in a block with quotes or carriage returns the lines are
    counted, and the count is checked against the rows.
    """
    with open(path, "rb") as fh:
        if fh.read(3) != _BOM:
            fh.seek(0)
        for _ in range(lay.skip + lay.header):
            fh.readline()
        if lay.row:
            yield from _row_blocks(fh, lay, size)
            return
        flags = np.empty(_WINDOW, bool), np.empty(_WINDOW, bool)
        while True:
            raw = fh.read(size)
            if not raw:
                return
            end = raw.rfind(b"\n") + 1
            if not end:  # a line longer than a block, or the last line
                raw += fh.readline()
                end = len(raw)
            elif end < len(raw):
                fh.seek(end - len(raw), os.SEEK_CUR)  # the next block starts at a line
            if raw[end - 1] != 10:
                raw += b"\n"
                end += 1
            block, lines = _clean(raw, end, lay.delim, flags)
            yield (*_guard(block, lines, "\t" if lay.delim is None else lay.delim), fh.tell())


def _clean(raw: bytes, end: int, delim: str | None, flags) -> tuple[object, int | None]:
    """The first ``end`` bytes of ``raw`` (whole lines) as pyarrow is to see them, and
    the number of lines when they must be checked."""
    if delim is None or raw.find(b"#", 0, end) >= 0:
        return _careful(raw[:end], delim)
    # Lines are counted where pyarrow could make more or fewer rows of them: after a
    # quote, and at a carriage return (a line end for pyarrow even without a newline).
    count = raw.find(b'"', 0, end) >= 0 or raw.find(b"\r", 0, end) >= 0
    if not (count or any(raw.find(c, 0, end) >= 0 for c in (b" ", b"\t", b"\x0b", b"\x0c"))):
        return memoryview(raw)[:end], None  # empty lines, which pyarrow skips, are the only blank ones
    a = np.frombuffer(raw, np.uint8, count=end)
    if a[0] <= 32:
        return _careful(raw[:end], delim)
    newline, blank = flags
    lines = 0
    for i in range(0, end, _WINDOW):
        j = min(i + _WINDOW, end)
        m = np.equal(a[i:j], 10, out=newline[: j - i])
        lines += int(np.count_nonzero(m))
        # A line that starts with a blank or a CR, or is empty (the block ends with a
        # newline, which starts no line).
        after = a[i + 1 : j + 1]
        b = np.less_equal(after, 32, out=blank[: after.size])
        if np.logical_and(m[: after.size], b, out=b).any():
            return _careful(raw[:end], delim)
    return memoryview(raw)[:end], (lines if count else None)


def _guard(block, lines: int | None, delim: str) -> tuple[object, int | None]:
    """pyarrow takes a quote left open on the last line of its input for a field that
    ends there, and a BOM at the start of its input for a BOM: neither may depend on
    where a block ends, so the first is made to fail the count of lines and the second
    to be read as text (a BOM of the file itself is gone by now)."""
    if bytes(block[:3]) == _BOM:
        block = b"\n" + bytes(block)
    if lines is not None:
        tail = bytes(block[-(1 << 20):])
        last = tail[tail.rfind(b"\n", 0, len(tail) - 1) + 1:]
        if b'"' in last and _fields(last.decode("utf-8", "replace").rstrip("\r\n"), delim)[1]:
            lines = -1
    return block, lines


def _careful(block: bytes, delim: str | None) -> tuple[bytes, int]:
    """``block`` without comments and blank lines (blanks made one tab where they
    separate the fields), line by line."""
    if b"#" in block:
        block = _COMMENT_BYTES.sub(rb"\1", block)
    lines = block.split(b"\n")
    if delim is None:
        lines = [b"\t".join(ln.split()) for ln in lines]
    lines = [ln for ln in lines if ln.strip()]
    return b"\n".join(lines) + b"\n" if lines else b"", len(lines)


def _row_blocks(fh, lay: _Layout, size: int):
    """The blocks of a one-line sample: comments out, every field on a line of its own
    (its quotes dropped: pyarrow then has nothing to merge)."""
    seps = (_BLANKS + (lay.delim or "")).encode()
    table = bytes.maketrans(seps, b"\n" * len(seps))
    in_comment, tail = False, b""
    while True:
        raw = fh.read(size)
        if not raw:
            if tail.strip():
                yield tail + b"\n", None, fh.tell()
            return
        if in_comment:
            stop = raw.find(b"\n")
            raw, in_comment = (b"", True) if stop < 0 else (raw[stop:], False)
        while b"#" in raw:
            start = raw.find(b"#")
            stop = raw.find(b"\n", start)
            if stop < 0:
                raw, in_comment = raw[:start], True
            else:
                raw = raw[:start] + raw[stop:]
        out = tail + raw.translate(table, b'"')
        cut = out.rfind(b"\n") + 1
        tail = out[cut:]
        if out[:cut].strip():
            yield out[:cut], None, fh.tell()


class TextSource(Source):
    """CSV, TSV, semicolon- or whitespace-separated text, with or without a header line,
    ``#`` comments anywhere, or one line of numbers (a sample): pyarrow's CSV reader on
    blocks of whole lines prepared by :func:`_blocks`. Every refusal names the line."""

    #: Whether an empty cell is read as NaN (a bound that is not known: censored data's
    #: --lower and --upper) rather than refused.
    empty_is_nan = False

    def __init__(self, path, column=None, block_size: int = TEXT_BLOCK, name: str | None = None, columns=None,
                 several: bool = False):
        super().__init__()
        self.path, self.name, self.block_size = str(path), name or str(path), block_size
        self.layout = _sniff(self.path, self.name, column, columns, several)
        if self.layout.picked:
            self.columns = tuple(key for _, key in self.layout.picked)
        self.size = os.path.getsize(self.path)

    def _chunks(self):
        import pyarrow as pa
        import pyarrow.csv as pcsv

        lay = self.layout
        names = [f"f{i}" for i in range(1 if lay.row else len(lay.columns))]
        want = [names[i] for i, _ in lay.picked] if lay.picked else [names[lay.col]]
        read = pcsv.ReadOptions(column_names=names)
        parse = pcsv.ParseOptions(delimiter="\t" if lay.delim is None else lay.delim, ignore_empty_lines=True)
        convert = pcsv.ConvertOptions(include_columns=want, column_types={w: pa.float64() for w in want},
                                      null_values=[""], strings_can_be_null=False)
        for block, lines, done in _blocks(self.path, lay, self.block_size):
            if not len(block):
                continue
            # Each block is parsed whole, from memory: pyarrow never calls back into
            # Python, and a failure is known to lie in this block.
            try:
                table = pcsv.read_csv(pa.py_buffer(block), read_options=read, parse_options=parse,
                                      convert_options=convert)
            except (pa.ArrowException, UnicodeDecodeError):
                table = None
            nulls = table is not None and any(c.null_count for c in table.columns)
            if table is None or (nulls and not self.empty_is_nan) or lines not in (None, table.num_rows):
                self._locate()
                raise DataError(f"{self.name}: could not be read as {self._kind()} text")
            if lay.picked:
                yield Columns({key: table.column(k).to_numpy(zero_copy_only=False) for k, (_, key) in
                               enumerate(lay.picked)})
            else:
                yield table.column(0).to_numpy()
            if self.progress:
                self.progress(done, self.size)

    def _kind(self) -> str:
        return {",": "comma-separated", "\t": "tab-separated", ";": "semicolon-separated"}.get(
            self.layout.delim, "whitespace-separated")

    def _data(self):
        lay = self.layout
        return _lines(self.path, start=lay.skip + (1 if lay.header else 0))

    def _locate(self):
        """Raise the error of the first bad data line, found by a plain scan (only after
        the reader failed)."""
        lay = self.layout
        n = len(lay.columns)
        for k, line in self._data():
            cells, open_quote = _fields(line, lay.delim)
            if lay.row:
                for j, cell in enumerate(cells, start=1):
                    cell = cell.replace('"', "")
                    if cell and not _NUMBER.match(cell):
                        raise DataError(f"{self.name}: line {k}, value {j}: {_what(cell)} where a number is expected")
                continue
            if open_quote:
                raise DataError(f"{self.name}: line {k}: a quote opens a field that is not closed on the line")
            if lay.delim is not None and "\r" in line.strip(_BLANKS):
                raise DataError(f"{self.name}: line {k}: a carriage return (\\r) inside the line, where lines end "
                                "with \\n or \\r\\n")
            if len(cells) != n:
                where = f"the header has {n} ({', '.join(lay.columns)})" if lay.header else f"line {lay.skip + 1} has {n}"
                raise DataError(f"{self.name}: line {k} has {len(cells)} field{'s' * (len(cells) != 1)} where {where}")
            for i in [i for i, _ in lay.picked] if lay.picked else [lay.col]:
                cell = cells[i]
                if not _NUMBER.match(cell) and not (cell == "" and self.empty_is_nan):
                    hint = (" (the decimal separator must be a point)" if _DECIMAL_COMMA.match(cell) and lay.delim != ","
                            else "")
                    raise DataError(f"{self.name}: line {k}, column {lay.columns[i]!r}: {_what(cell)} where a number "
                                    f"is expected{hint}")

    def line_of(self, index: int) -> int:
        """The line number of the index-th value (for messages about NaN and the like)."""
        for seen, (k, _) in enumerate(self._data()):
            if seen == index or self.layout.row:
                return k
        return -1


# -- input that can be read only once --------------------------------------------------------

#: Where a process opens its own files again by descriptor (Linux).
_PROC_FD = "/proc/self/fd"


class _Spool:
    """A copy of input that can be read only once (standard input, a FIFO, /dev/stdin),
    made while reading it once, block by block; the readers then open the copy as a
    file.

    A copy on disk rather than the chunks kept in memory: the sniffer reads the head
    first, families without sufficient statistics read the data once per new point, data
    of extreme magnitude are read again in working units, ``.npy`` is memory-mapped and
    Parquet keeps its index at the end; and data larger than memory stay out of memory.
    The copy has no name: it is unlinked as soon as it is made and opened again through
    /proc/self/fd, so the system frees it when the process ends, whatever ends it (an
    error, Ctrl-C, a kill). Where there is no /proc, it is a named file removed when
    the copy is no longer used or at exit.
    """

    def __init__(self, stream, name: str):
        try:
            fd, path = tempfile.mkstemp(prefix="gradmle-input-")
        except OSError as exc:
            raise _no_room(name, exc) from None
        self.file = os.fdopen(fd, "w+b")
        if os.path.isdir(_PROC_FD):
            os.unlink(path)
            self.path = f"{_PROC_FD}/{fd}"
        else:
            self.path = path
            weakref.finalize(self, _remove, path)
        try:
            try:
                for block in iter(lambda: _read(stream, name), b""):
                    self.file.write(block)
                self.file.flush()
            except OSError as exc:
                raise _no_room(name, exc) from None
        except BaseException:
            self.file.close()
            raise


def _read(stream, name: str) -> bytes:
    try:
        return stream.read(1 << 20)
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({exc.strerror or exc})") from None


def _no_room(name: str, exc: OSError) -> DataError:
    return DataError(f"{name}: could not be copied to a temporary file in {tempfile.gettempdir()} "
                     f"({exc.strerror or exc}): pass a file, or set TMPDIR to a folder with room")


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _open_file(data, column, columns=None, several: bool = False) -> Source:
    """A Source for a path (``"-"``: standard input)."""
    name, spool = str(data), None
    if name == "-":
        name = "<stdin>"
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise DataError("<stdin>: there is no standard input to read")
        spool = _Spool(stream, name)
    else:
        path = Path(data)
        if not path.exists():
            raise DataError(f"{data}: no such file")
        if path.is_dir():
            raise DataError(f"{data}: is a directory, not a data file")
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                with open(path, "rb") as fh:
                    spool = _Spool(fh, name)
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




def _npy_block(path: str, start: int, stop: int, select: tuple) -> np.ndarray:
    return np.array(_npy_view(np.load(path, mmap_mode="r"), *select)[start:stop], dtype=np.float64)
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
    if getattr(src, "spool", None):
        raise DataError(f"{src.name}: can be read only once, so not by the workers of a cluster: save it to a file")
    if isinstance(src, NpySource):
        select = (src.field, src.col, src.row)
        blocks = [da.from_delayed(dask.delayed(_npy_block)(src.path, i, min(i + chunk, src.size), select),
                                  shape=(min(i + chunk, src.size) - i,), dtype=np.float64)
                  for i in range(0, src.size, chunk)]
    elif isinstance(src, ParquetSource):
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(src.path).metadata
        blocks = [da.from_delayed(dask.delayed(_parquet_block)(src.path, g, src.column),
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
        picked = _pick_many(name, keys, [True] * len(keys), want, False)
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
