"""One reader: a file, the same bytes on standard input, a FIFO and /dev/stdin give the
same values or the same one-line error naming the line."""

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gradmle
from gradmle import engine
from gradmle.source import TextSource, open_source

NORMAL = engine.check_options("normal")


def _stdin(monkeypatch, content: bytes):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(content)))


def _outcome(data, column=None, options=NORMAL, again=lambda: None):
    """("ok", values, params) or ("error", message) of reading and fitting ``data``
    (``again`` before each reading: standard input is read once)."""
    try:
        again()
        values = open_source(data, column).to_array()
        again()
        r = engine.fit(data, options, column=column)
    except (ValueError, TypeError) as exc:
        return "error", str(exc)
    return "ok", values.tolist(), r.params


def _file_and_stdin(tmp_path, monkeypatch, content: bytes, column=None, options=NORMAL):
    path = tmp_path / "d.txt"
    path.write_bytes(content)
    from_file = _outcome(str(path), column, options)
    from_stdin = _outcome("-", column, options, again=lambda: _stdin(monkeypatch, content))
    if from_file[0] == "error":
        from_file = ("error", from_file[1].replace(str(path), "<stdin>"))
    return from_file, from_stdin


# -- the same values ----------------------------------------------------------------------------

SAME_VALUES = [
    # comment lines after the header and between data lines
    (b"x\n# measured today\n1.5\n2\n# a pause\n4\n", None, [1.5, 2.0, 4.0]),
    (b"a,b\n# note, with a comma\n1,2\n# x, y\n3,4\n5,6\n", "b", [2.0, 4.0, 6.0]),
    (b"# leading comment\n\nid value\n1 10.5\n# middle\n2 11.5\n3 12\n", "value", [10.5, 11.5, 12.0]),
    # a trailing comment on a data line is stripped, also after a delimiter and in a header
    (b"1.5  # first\n2\n4\n", None, [1.5, 2.0, 4.0]),
    (b"a,b # the header\n1,2 # one\n3,4#two\n5,6\n", "b", [2.0, 4.0, 6.0]),
    (b"1 10 # c\n2 20\n3 30\n", "1", [10.0, 20.0, 30.0]),
    # a # inside quotes is text, not a comment
    (b'name,x\n"a#1",1\n"b",2 # two\n"c#",3\n', None, [1.0, 2.0, 3.0]),
    # quoted numbers are numbers
    (b'x\n"1.5"\n"2"\n"4"\n', None, [1.5, 2.0, 4.0]),
    (b'"a","b"\n"1.5","2"\n"3","4"\n"5","6e1"\n', "b", [2.0, 4.0, 60.0]),
    (b'"1.5"\n"2"\n"4"\n', None, [1.5, 2.0, 4.0]),
    (b'"1.5" "2"\n"3" "4"\n', "1", [2.0, 4.0]),
    # one line of numbers is a sample, whatever separates them
    (b"1 2 3 4 5.5\n", None, [1.0, 2.0, 3.0, 4.0, 5.5]),
    (b"1 2 3 4 5.5", None, [1.0, 2.0, 3.0, 4.0, 5.5]),
    (b"1,2,3,4,5.5\n", None, [1.0, 2.0, 3.0, 4.0, 5.5]),
    (b"1\t2\t3\n", None, [1.0, 2.0, 3.0]),
    (b"# five values\n\n  1  2 3   4 5.5  # the sample\n\n# end\n", None, [1.0, 2.0, 3.0, 4.0, 5.5]),
    (b'"1" "2" "3.5"\n', None, [1.0, 2.0, 3.5]),
    # lines of blanks are empty lines, with any line ending, after a BOM
    (b"x\n1\n   \n2\n\t\n4\n", None, [1.0, 2.0, 4.0]),
    (b"a,b\n1,2\n  \n3,4\n\n5,6\n", "b", [2.0, 4.0, 6.0]),
    (b"\xef\xbb\xbfx\r\n1\r\n\r\n2\r\n4\r\n", None, [1.0, 2.0, 4.0]),
    (b"\xef\xbb\xbf# c\r\n1 2 3\r\n", None, [1.0, 2.0, 3.0]),
    # by default the first numeric column
    (b"a,b\n1,x\n2,y\n3,z\n", None, [1.0, 2.0, 3.0]),
]


@pytest.mark.parametrize("content, column, values", SAME_VALUES)
def test_file_and_standard_input_read_the_same_values(tmp_path, monkeypatch, content, column, values):
    from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, content, column)
    assert from_file[0] == "ok", from_file
    assert from_file[1] == values
    assert from_stdin == from_file
    assert from_file[2] == gradmle.fit(values).params


# -- the same one-line errors -----------------------------------------------------------------------

SAME_ERRORS = [
    (b"a,b\n1,2\n3,4,5\n6,7\n", None, "<stdin>: line 3 has 3 fields where the header has 2 (a, b)"),
    (b"a,b\n1,2\n3\n4,5\n", "a", "<stdin>: line 3 has 1 field where the header has 2 (a, b)"),
    (b"1,2\n3,4\n5\n", None, "<stdin>: line 3 has 1 field where line 1 has 2"),
    (b"x\n1\n2\n3 4\n", None, "<stdin>: line 4 has 2 fields where the header has 1 (x)"),
    (b'a,b\n1,2\n3,"4\n6,7\n8,9\n', None, "<stdin>: line 3: a quote opens a field that is not closed on the line"),
    (b'a,b\n1,2\n3,"4\n6,7\n8,"9\n10,11\n', None, "<stdin>: line 3: a quote opens"),
    (b'a,b\n1,2\n"3,4\n6,7\n', None, "<stdin>: line 3: a quote opens"),
    (b"a;b\n1,5;2\n3;4\n6;7\n", None,
     "<stdin>: line 2, column 'a': text '1,5' where a number is expected (the decimal separator must be a point)"),
    (b"a;b\n1;2\n3;4,25\n6;7\n", "b", "<stdin>: line 3, column 'b': text '4,25' where a number"),
    (b"x\n# c\n1\n2\nabc\n3\n", None, "<stdin>: line 5, column 'x': text 'abc' where a number is expected"),
    (b"x\n# c\n1\n\n2\nnan\n4\n", None, "the first is nan at line 6"),
    (b"1 2 nan 4\n", None, "the first is nan at line 1"),
    (b"# c\n1 2 3\n", "0", "<stdin>: only 1 value"),
    (b"a,b\n1,2\n,3\n4,5\n", None, "<stdin>: line 3, column 'a': an empty cell where a number is expected"),
    (b"a,b\n1,2\n3,\n", "b", "<stdin>: line 3, column 'b': an empty cell where a number is expected"),
    (b'a,b\n1,2\n3,""\n', "b", "<stdin>: line 3, column 'b': an empty cell where a number is expected"),
    (b"", None, "<stdin>: empty file (no data lines)"),
    (b"\n  \n# only a comment\n", None, "<stdin>: empty file (no data lines)"),
    (b"height # cm\n", None, "<stdin>: has a header (height) but no data lines"),
    (b"x\n1\n2\n", "y", "<stdin>: no column 'y'; columns: x"),
]


@pytest.mark.parametrize("content, column, words", SAME_ERRORS)
def test_file_and_standard_input_refuse_alike_in_one_line(tmp_path, monkeypatch, content, column, words):
    from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, content, column)
    assert from_file[0] == "error", from_file
    assert from_stdin == from_file
    message = from_file[1]
    assert words in message and "\n" not in message
    for raw in ("CSV parse error", "conversion error", "Expected", "ArrowInvalid", "pyarrow"):
        assert raw not in message


def test_every_family_reads_standard_input_as_a_file(tmp_path, monkeypatch):
    x = np.random.default_rng(3).gamma(2.0, 1.5, 2000)
    content = ("value\n" + "".join(f"{v!r}\n" for v in x.tolist())).encode()
    for family in ("weibull", "laplace", "student_t", "gamma"):
        opts = engine.check_options(family)
        from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, content, options=opts)
        assert from_file[0] == "ok" and from_stdin == from_file, family
        assert from_file[2] == pytest.approx(gradmle.fit(x, family=family).params, rel=1e-9)


def test_block_boundaries_do_not_matter(tmp_path):
    """Comments, quotes and blank lines across the reader's blocks, and a bad line far down."""
    rng = np.random.default_rng(4)
    x = rng.normal(5.0, 2.0, 3000)
    lines = ["id,value"]
    for i, v in enumerate(x.tolist()):
        if i % 97 == 0:
            lines.append("# a comment, with a comma")
        if i % 89 == 0:
            lines.append("   ")
        lines.append(f'{i},"{v!r}"' if i % 3 == 0 else f"{i},{v!r}  # c{i}" if i % 5 == 0 else f"{i},{v!r}")
    path = tmp_path / "blocks.csv"
    path.write_text("\n".join(lines) + "\n")
    for block in (7, 64, 1000, 1 << 20):
        assert TextSource(path, "value", block_size=block).to_array().tolist() == x.tolist()
    bad = lines.copy()
    k = len(bad) - 10
    bad[k] = bad[k].split(",")[0] + ',"' + bad[k].split(",")[1]
    path.write_text("\n".join(bad) + "\n")
    for block in (7, 1000, 1 << 20):
        with pytest.raises(ValueError, match=f"line {k + 1}: a quote opens a field"):
            TextSource(path, "value", block_size=block).to_array()


PIECES = ['"', "#", ",", ";", "\t", " ", "\n", "\r\n", "abc", "1,5", '""', "nan", "\n\n", '"x"', "5'11\"", "# c\n",
          '"1.5"', "\n  \n", "\ufeff", "e5", "-", "\n\r\n", "\xa0", "\x0b", "\x0c"]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3), st.sampled_from([",", "\t", ";", " "]), st.booleans(),
       st.lists(st.lists(st.floats(-5, 5).map(lambda v: round(v, 3)), min_size=3, max_size=3), min_size=1, max_size=25),
       st.lists(st.tuples(st.floats(0, 1), st.sampled_from(PIECES)), max_size=3), st.sampled_from([None, "0", "1"]))
def test_blocks_and_lines_agree_on_any_text(tmp_path_factory, ncol, delim, header, rows, insert, column):
    """pyarrow on blocks of any size reads what the line-by-line rules (those of the
    messages) read, or refuses, with a line number."""
    import gradmle.textfile as textfile

    text = "\n".join(([delim.join(f"c{i}" for i in range(ncol))] if header else [])
                     + [delim.join(repr(v) for v in row[:ncol]) for row in rows]) + "\n"
    for where, piece in insert:
        k = int(where * len(text))
        text = text[:k] + piece + text[k:]
    path = tmp_path_factory.mktemp("t") / "d.txt"
    path.write_bytes(text.encode())
    try:
        src = open_source(str(path), column)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    lay = src.layout
    want = []
    for _, line in src._data():
        cells, open_quote = textfile._fields(line, lay.delim)
        cells = [c.replace('"', "") for c in cells if c.replace('"', "")] if lay.row else cells
        if lay.row and all(textfile._NUMBER.match(c) for c in cells):
            want += map(float, cells)
        elif lay.row or open_quote or lay.delim and "\r" in line.strip(" \t\r\n\x0b\x0c") \
                or len(cells) != len(lay.columns) or not textfile._NUMBER.match(cells[lay.col]):
            want = None
            break
        else:
            want.append(float(cells[lay.col]))
    for block in (7, 50, 1 << 20):
        src.block_size = block
        try:
            got = src.to_array()
        except ValueError as exc:
            assert want is None and "line " in str(exc), (block, str(exc), text)
            continue
        assert want is not None and np.array_equal(got, want, equal_nan=True), (block, text)


def test_a_one_line_sample_of_many_values(tmp_path, monkeypatch):
    x = np.random.default_rng(5).normal(size=300_000)
    content = (" ".join(map(repr, x.tolist())) + "  # the sample\n").encode()
    from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, content)
    assert from_file[0] == "ok" and from_file[1] == x.tolist() and from_stdin == from_file


# -- .npy and Parquet --------------------------------------------------------------------------------

def _npy_bytes(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def test_structured_npy_picks_a_field_by_name_or_the_first_numeric_one(tmp_path, monkeypatch):
    rec = np.zeros(5, dtype=[("name", "U4"), ("height", "f8"), ("count", "i4")])
    rec["name"] = list("abcde")
    rec["height"] = [1.5, 2.0, 4.0, 3.0, 2.5]
    rec["count"] = [1, 2, 3, 4, 5]
    content = _npy_bytes(rec)
    for column, values in ((None, rec["height"]), ("height", rec["height"]), ("count", rec["count"]), ("2", rec["count"])):
        from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, content, column)
        assert from_file[0] == "ok" and from_file[1] == values.astype(float).tolist(), from_file
        assert from_stdin == from_file
    for column, words in (("name", "field 'name' holds <U4 values, not numbers"), ("weight", "no column 'weight'")):
        from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, content, column)
        assert from_file[0] == "error" and words in from_file[1] and from_stdin == from_file


def test_npy_row_is_a_sample_like_a_column(tmp_path, monkeypatch):
    x = np.random.default_rng(6).normal(3.0, 1.0, 50)
    for arr in (x.reshape(1, -1), np.asfortranarray(x.reshape(1, -1)), x.reshape(-1, 1), x.astype(np.float32).reshape(1, -1)):
        from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, _npy_bytes(arr))
        assert from_file[0] == "ok" and from_file[1] == arr.ravel().astype(float).tolist()
        assert from_stdin == from_file
    two = np.column_stack([x, 2 * x])
    for column, values in ((None, x), ("1", 2 * x), (1, 2 * x)):
        from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, _npy_bytes(two), column)
        assert from_file[1] == values.tolist() and from_stdin == from_file
    for arr, words in ((np.zeros((2, 2, 2)), "expected a 1-D or 2-D array, got shape (2, 2, 2)"),
                       (np.array(["a", "b"]), "holds <U1 values, not numbers"),
                       (np.array([1 + 1j, 2j]), "holds complex128 values, not numbers")):
        from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, _npy_bytes(arr))
        assert from_file[0] == "error" and words in from_file[1] and from_stdin == from_file
    from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, _npy_bytes(two), "7")
    assert "column index 7 is out of range" in from_file[1] and from_stdin == from_file


def test_parquet_on_standard_input(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    x = np.random.default_rng(7).gamma(2.0, 1.0, 500)
    buf = io.BytesIO()
    pq.write_table(pa.table({"name": [str(i) for i in range(x.size)], "v": x}), buf, row_group_size=64)
    from_file, from_stdin = _file_and_stdin(tmp_path, monkeypatch, buf.getvalue())
    assert from_file[0] == "ok" and from_file[1] == x.tolist() and from_stdin == from_file


# -- FIFOs, /dev/stdin and the temporary copy ---------------------------------------------------------

def _feed(path, content: bytes):
    def write():
        with open(path, "wb") as fh:
            fh.write(content)

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def test_a_fifo_is_read_once_and_fitted_like_a_file(tmp_path):
    x = np.random.default_rng(8).weibull(1.5, 3000) * 2.0
    content = ("# from a pipe\nv\n" + "".join(f"{v!r}\n" for v in x.tolist())).encode()
    (tmp_path / "d.csv").write_bytes(content)
    fifo = tmp_path / "pipe"
    for family in ("normal", "weibull"):  # one pass, and a pass per new point
        os.mkfifo(fifo)
        writer = _feed(fifo, content)
        r = gradmle.fit(str(fifo), family=family)
        writer.join(10)
        ref = gradmle.fit(str(tmp_path / "d.csv"), family=family)
        assert r.params == ref.params and r.n == x.size and r.source == str(fifo)
        fifo.unlink()
    os.mkfifo(fifo)
    writer = _feed(fifo, _npy_bytes(x))
    assert gradmle.fit(str(fifo)).params == gradmle.fit(x).params
    writer.join(10)


def cli(*args, stdin=None, env=None):
    return subprocess.run([sys.executable, "-m", "gradmle", *map(str, args)], input=stdin, capture_output=True,
                          timeout=300, env=env)


def _error(p) -> str:
    err = p.stderr.decode()
    assert p.returncode == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (p.returncode, err)
    return err.strip()


def test_cli_standard_input_and_dev_stdin_match_the_file(tmp_path):
    x = np.random.default_rng(9).gamma(3.0, 2.0, 1000)
    content = ("# header follows\nvalue\n" + "".join(f"{v!r}\n" for v in x.tolist()) + "nan\n").encode()
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    for family in ("gamma", "weibull"):
        args = ["--family", family, "--drop-nonfinite", "--json"]
        ref = cli("fit", path, *args)
        assert ref.returncode == 0, ref.stderr
        want = json.loads(ref.stdout)
        for source in ("-", "/dev/stdin"):
            p = cli("fit", source, *args, stdin=content, env=env)
            assert p.returncode == 0, p.stderr
            got = json.loads(p.stdout)
            assert got["params"] == want["params"] and got["n"] == want["n"] == x.size
            assert "1 NaN or infinite value(s) were dropped" in got["message"]
    # The refusal names the line, from standard input as from the file.
    file_err = _error(cli("fit", path, "--family", "gamma"))
    stdin_err = _error(cli("fit", "-", "--family", "gamma", stdin=content, env=env))
    assert f"at line {x.size + 3}" in file_err and stdin_err == file_err.replace(str(path), "<stdin>")
    assert list(tmp.iterdir()) == []


def test_cli_sweep_reads_standard_input_as_a_file(tmp_path):
    x = np.random.default_rng(10).normal(4.0, 1.5, 400)
    content = ("x  # metres\n" + "".join(f"{v!r}\n" for v in x.tolist())).encode()
    path = tmp_path / "d.txt"
    path.write_bytes(content)
    ref = cli("sweep", path, "--max-iter", "50", "--quiet")
    assert ref.returncode == 0, ref.stderr
    p = cli("sweep", "-", "--max-iter", "50", "--quiet", stdin=content)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ref.stdout and b"bound" in p.stdout
    assert _error(cli("sweep", "-", "--column", "y", stdin=content)) == "gradmle: error: <stdin>: no column 'y'; columns: x"


def test_cli_interrupted_while_reading_standard_input_leaves_nothing(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "gradmle", "fit", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "TMPDIR": str(tmp)})
    proc.stdin.write(b"x\n" + b"1.5\n2.5\n" * 100_000)
    proc.stdin.flush()
    # Interrupted while it copies standard input (the writer keeps its end open): its
    # copy, already unlinked, shows among its open files.
    while not any("gradmle-input-" in name for name in _open_files(proc.pid)):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    assert list(tmp.iterdir()) == []
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.decode().strip() == "gradmle: interrupted", err
    assert list(tmp.iterdir()) == []


def _open_files(pid: int) -> list[str]:
    names = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            names.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    except FileNotFoundError:  # (a descriptor closed meanwhile)
        pass
    return names


def test_where_there_is_no_proc_the_copy_is_a_named_file_removed_after_use(tmp_path, monkeypatch):
    import gc

    import gradmle.spool as spool

    monkeypatch.setattr(spool, "_PROC_FD", str(tmp_path / "no-proc"))
    monkeypatch.setattr(spool.tempfile, "tempdir", str(tmp_path))
    _stdin(monkeypatch, b"x\n1\n2\n4\n")
    src = open_source("-")
    assert [p.name.startswith("gradmle-input-") for p in tmp_path.iterdir()] == [True]
    assert src.to_array().tolist() == [1.0, 2.0, 4.0] and src.name == "<stdin>"
    del src
    gc.collect()
    assert list(tmp_path.iterdir()) == []


# -- the API: every input everywhere -------------------------------------------------------------------

def test_sweep_compare_and_stability_take_every_input(tmp_path):
    x = np.random.default_rng(11).normal(2.0, 1.0, 600)
    path = tmp_path / "x.csv"
    path.write_text("# c\nx\n" + "".join(f"{v!r}\n" for v in x.tolist()))
    inputs = [x, [x[:100], x[100:]], iter([x[:300], x[300:]]), str(path)]
    steps, sigma0s = [0.1, 3.0], [1.0]
    ref = gradmle.sweep(x, steps=steps, sigma0s=sigma0s)
    for data in inputs:
        assert (gradmle.sweep(data, steps=steps, sigma0s=sigma0s).outcome == ref.outcome).all()
    for data in [x, [x[:100], x[100:]], iter([x[:300], x[300:]]), str(path)]:
        assert gradmle.stability(data).bound == pytest.approx(gradmle.stability(x).bound, rel=1e-12)
    for data in [x, [x[:100], x[100:]], iter([x[:300], x[300:]]), str(path)]:
        table = gradmle.compare(data, ["fisher", "newton"])
        assert table["newton"].params == pytest.approx(gradmle.fit(x, method="newton").params, rel=1e-12)
