"""Delimited text read in chunks: CSV, TSV, semicolon- or whitespace-separated, with or
without a header line, ``#`` comments anywhere, or one line of numbers (a sample).

One reader for every kind of text: pyarrow's CSV reader, on blocks of whole lines that
:func:`_blocks` prepares. The sniffer (:func:`_sniff`: delimiter, header, columns), the
search for a bad line and the line numbers in messages read the same lines with the
same rules (:func:`_lines`, :func:`_fields`).
"""

from __future__ import annotations

import csv
import os
import re
from typing import Iterator, NamedTuple

import numpy as np

from .chunks import Columns, Source, pick, pick_many
from .io import DataError

__all__ = ["TextSource", "TEXT_BLOCK"]

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
    picked = pick_many(name, columns, numeric, want, several and column is None, unnamed=not header)
    if picked:
        return _Layout(delim, header, columns, picked[0][0], False, skip, picked)
    col = pick(name, columns, column, numeric) if column is not None or any(numeric) else 0
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
