"""Reading one numeric column from a file or standard input, and writing files atomically.

Formats: CSV, TSV and whitespace-separated text (with or without a header line), NumPy
``.npy`` and Parquet. Text is parsed with pyarrow; every refusal names the file, the
line and the value.
"""

from __future__ import annotations

import io
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["read_column", "atomic_write", "DataError"]

NPY_MAGIC = b"\x93NUMPY"
PARQUET_MAGIC = b"PAR1"
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|nan|inf|infinity)$", re.IGNORECASE)


class DataError(ValueError):
    """Bad input data (a file that cannot be read as a numeric column)."""


def read_column(source, column=None, nonfinite: str = "raise") -> np.ndarray:
    """Read the numeric column ``column`` (a name, or a 0-based index; by default the
    only column, or the first numeric one) of ``source`` (a path or ``"-"`` for
    standard input) into a float64 array. NaN and infinite values raise a DataError
    naming the line (``nonfinite="raise"``) or are kept (``"keep"``).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(path, "w").write("x,y\\n1,a\\n2,b\\n")
    >>> read_column(path).tolist()
    [1.0, 2.0]
    """
    name, raw = _open(source)
    if raw.startswith(NPY_MAGIC):
        values, where = _read_npy(name, raw, column), "row {}"
    elif raw.startswith(PARQUET_MAGIC):
        values, where = _read_parquet(name, raw, column), "row {}"
    else:
        values, lines = _read_text(name, raw, column)
        where = None
    if nonfinite == "raise":
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            k = int(bad[0])
            at = f"line {lines[k]}" if where is None else where.format(k)
            raise DataError(
                f"{name}: {bad.size} value(s) are NaN or infinite (first at {at}: {values[k]!r}); "
                "only finite numbers are allowed"
            )
    return values


def _open(source) -> tuple[str, bytes]:
    if source in ("-", None):
        return "<stdin>", sys.stdin.buffer.read()
    path = Path(source)
    if not path.exists():
        raise DataError(f"{source}: no such file")
    if path.is_dir():
        raise DataError(f"{source}: is a directory, not a data file")
    try:
        return str(source), path.read_bytes()
    except OSError as exc:
        raise DataError(f"{source}: cannot be read ({exc.strerror or exc})") from None


def pick_column(name: str, columns: list[str], column, numeric: list[bool]) -> int:
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


# -- binary formats ----------------------------------------------------------------

def _read_npy(name: str, raw: bytes, column) -> np.ndarray:
    try:
        arr = np.load(io.BytesIO(raw), allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{name}: not a readable .npy array of numbers ({exc})") from None
    if arr.dtype.names:
        cols = list(arr.dtype.names)
        i = pick_column(name, cols, column, [arr.dtype[c].kind in "iuf" for c in cols])
        arr = arr[cols[i]]
    elif arr.ndim == 2:
        cols = [str(i) for i in range(arr.shape[1])]
        i = pick_column(name, cols, column if column is not None else (0 if arr.shape[1] else None), [True] * arr.shape[1])
        arr = arr[:, i]
    elif arr.ndim != 1:
        raise DataError(f"{name}: expected a 1-D or 2-D array, got shape {arr.shape}")
    if arr.dtype.kind not in "iuf":
        raise DataError(f"{name}: the array holds {arr.dtype} values, not numbers")
    return np.asarray(arr, dtype=np.float64)


def _read_parquet(name: str, raw: bytes, column) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(pa.BufferReader(raw))
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{name}: not a readable Parquet file ({exc})") from None
    schema = pf.schema_arrow
    cols = list(schema.names)
    numeric = [pa.types.is_integer(f.type) or pa.types.is_floating(f.type) for f in schema]
    i = pick_column(name, cols, column, numeric)
    if not numeric[i]:
        raise DataError(f"{name}: column {cols[i]!r} holds {schema.field(i).type} values, not numbers")
    col = pf.read(columns=[cols[i]]).column(0)
    if col.null_count:
        first = next(k for k, v in enumerate(col.is_null().to_pylist()) if v)
        raise DataError(f"{name}: column {cols[i]!r} has {col.null_count} empty value(s) (first at row {first})")
    return col.to_numpy().astype(np.float64, copy=False)


# -- text ---------------------------------------------------------------------------

def delimiter(lines: list[str]) -> str | None:
    sample = [ln for ln in lines[:20] if ln.strip()]
    if sample and all("," in ln for ln in sample):
        return ","
    if sample and all("\t" in ln for ln in sample):
        return "\t"
    if sample and all(";" in ln for ln in sample):
        return ";"
    return None  # whitespace


def split_fields(line: str, delim: str | None) -> list[str]:
    if delim is None:
        return line.split()
    if '"' in line:  # quoted fields (e.g. a quoted header): let the csv module unquote
        import csv

        return [c.strip() for c in next(csv.reader([line], delimiter=delim))]
    return [c.strip() for c in line.split(delim)]


def _read_text(name: str, raw: bytes, column) -> tuple[np.ndarray, list[int]]:
    if b"\x00" in raw[:4096]:
        raise DataError(f"{name}: a binary file, not text, .npy or Parquet")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{name}: not UTF-8 text, .npy or Parquet") from None
    lines = text.splitlines()
    # Skip blank and comment lines at the top; remember where the data start.
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        start += 1
    if start == len(lines):
        raise DataError(f"{name}: empty file (no data lines)")
    delim = delimiter(lines[start:])
    data_lines = [ln for ln in lines[start:] if ln.strip() and not ln.lstrip().startswith("#")]
    if delim is None and column is None and len(data_lines) == 1:
        # One line of whitespace-separated numbers (``echo 1 2 3 | gradmle fit -``): a sample.
        tokens = data_lines[0].split()
        if all(NUMBER.match(t) for t in tokens):
            lines = lines[:start] + tokens
    first = split_fields(lines[start], delim)
    header = not all(NUMBER.match(c) for c in first if c)
    columns = first if header else [str(i) for i in range(len(first))]
    body = start + 1 if header else start
    if body >= len(lines) or not any(ln.strip() for ln in lines[body:]):
        raise DataError(f"{name}: has a header ({', '.join(columns)}) but no data lines")
    probe = [split_fields(ln, delim) for ln in lines[body : body + 50] if ln.strip()]
    numeric = [all(i < len(r) and NUMBER.match(r[i]) for r in probe) for i in range(len(columns))]
    if column is None and not any(numeric):
        # Name the first offending value of the first column.
        return _convert(name, lines, body, delim, 0, columns)
    i = pick_column(name, columns, column, numeric)
    return _convert(name, lines, body, delim, i, columns)


def _convert(name, lines, body, delim, i, columns) -> tuple[np.ndarray, list[int]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    cells, where = [], []
    for k in range(body, len(lines)):
        line = lines[k]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = split_fields(line, delim)
        if i >= len(parts):
            raise DataError(f"{name}: line {k + 1} has {len(parts)} field(s), no column {columns[i]!r}")
        cells.append(parts[i])
        where.append(k + 1)
    strings = pa.array(cells, type=pa.string())
    try:
        values = pc.cast(strings, pa.float64())
    except pa.ArrowInvalid:
        for cell, line_no in zip(cells, where):
            if not NUMBER.match(cell):
                what = "an empty cell" if cell == "" else f"text {cell[:40]!r}"
                raise DataError(f"{name}: line {line_no}, column {columns[i]!r}: {what} where a number is expected") from None
        raise DataError(f"{name}: column {columns[i]!r} could not be read as numbers") from None
    return values.to_numpy(zero_copy_only=False).astype(np.float64, copy=False), where


# -- output -------------------------------------------------------------------------

@contextmanager
def atomic_write(path, mode: str = "w"):
    """Write ``path`` completely or not at all: a temporary file in the same folder is
    renamed over ``path`` only when the block finishes without an exception."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(f"{path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        # mkstemp makes the file private (0600): give it the mode a new file would
        # have (or keep the mode of the file it replaces).
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
