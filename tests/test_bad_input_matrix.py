"""The bad-input table of the README, row by row, through the API and the command line."""

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import gradmle
from test_cli import one_line_error


# -- files --------------------------------------------------------------------------------

@pytest.mark.parametrize("content, words", [
    (None, "no such file"),
    ("", "empty file"),
    ("\n\n# only a comment\n", "empty file"),
    ("height\n", "has a header (height) but no data lines"),
    ("x\n1\n2\nabc\n3\n", "line 4, column 'x': text 'abc' where a number is expected"),
    ("a,b\n1,2\n3,\n4,5\n", "line 3, column 'b': an empty cell where a number is expected"),
    ("x\n1\ntwo\n3.5\n", "line 3, column 'x': text 'two'"),
    ("x\n1\n2\nnan\n4\n", "NaN or infinite; the first is nan at line 4"),
    ("x\n1\n-inf\n4\n", "NaN or infinite; the first is -inf at line 3"),
    ("x\n7\n", "only 1 value"),
    ("x\n3\n3\n3\n", "all 3 values are equal"),
])
def test_bad_files(cli, tmp_path, content, words):
    path = tmp_path / "d.csv"
    if content is not None:
        path.write_text(content)
    args = ["fit", path] + (["--column", "b"] if content and content.startswith("a,b") else [])
    assert words in one_line_error(cli(*args))


def test_a_directory_and_an_unreadable_file(cli, tmp_path):
    assert "is a directory" in one_line_error(cli("fit", tmp_path))
    path = tmp_path / "secret.csv"
    path.write_text("x\n1\n2\n")
    path.chmod(0)
    try:
        if os.geteuid() == 0:
            pytest.skip("root reads any file")
        assert "cannot be read" in one_line_error(cli("fit", path))
    finally:
        path.chmod(0o644)


def test_drop_nonfinite(cli, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x\n1\n2\nnan\n4\ninf\n3\n")
    p = cli("fit", path, "--drop-nonfinite")
    assert p.returncode == 0 and "2 NaN or infinite value(s) were dropped" in p.stdout
    r = gradmle.fit([1.0, 2.0, np.nan, 4.0, np.inf, 3.0], nonfinite="drop")
    assert r.info["dropped"] == {"nonfinite": 2} and r.n == 4 and math.isclose(r.params["mu"], 2.5)
    with pytest.raises(ValueError, match="unknown nonfinite"):
        gradmle.fit([1.0, 2.0], nonfinite="ignore")


# -- numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [1e200, 1e-200, 1e300, 1e-300])
def test_huge_and_tiny_values_are_fitted(scale):
    x = np.random.default_rng(0).normal(3.0, 1.0, 500)
    ref = gradmle.fit(x)
    r = gradmle.fit(x * scale)
    assert r.converged and "fitted in units of" in r.message
    assert math.isclose(r.params["mu"], ref.params["mu"] * scale, rel_tol=1e-12)
    assert math.isclose(r.params["sigma"], ref.params["sigma"] * scale, rel_tol=1e-12)
    assert math.isclose(r.loglik, ref.loglik - math.log(scale), rel_tol=1e-12, abs_tol=1e-9)
    assert math.isclose(r.stderr["sigma"], ref.stderr["sigma"] * scale, rel_tol=1e-9)


def test_huge_mean_tiny_spread_is_exact():
    from fractions import Fraction

    x = 1e12 + 1e-3 * np.arange(1000)
    xs = [Fraction(float(v)) for v in x]
    mean = sum(xs) / len(xs)
    sd = math.sqrt(sum((v - mean) ** 2 for v in xs) / len(xs))
    for method in ("auto", "closed_form", "fisher", "newton", "linesearch"):
        r = gradmle.fit(x, method=method)
        assert r.converged, (method, r.message)
        assert abs(r.params["mu"] - float(mean)) <= math.ulp(1e12)
        assert math.isclose(r.params["sigma"], sd, rel_tol=1e-12), method
    with pytest.raises(ValueError, match="such a gamma is a Normal"):
        gradmle.fit(x, family="gamma")


def test_all_equal_and_outside_the_support():
    with pytest.raises(ValueError, match="sigma_hat = 0"):
        gradmle.fit([2.5] * 10)
    with pytest.raises(ValueError, match="2 of 5 values are outside the support of the weibull family"):
        gradmle.fit([1.0, 0.0, 2.0, -1.0, 3.0], family="weibull")


# -- options ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, words", [
    ({"step": 0}, "step must be a finite number > 0"),
    ({"step": -1.0}, "step must be a finite number > 0"),
    ({"step": float("nan")}, "step must be a finite number > 0"),
    ({"step": "big"}, "step must be a positive number"),
    ({"tol": 0}, "tol must be a finite number > 0"),
    ({"tol": -1e-3}, "tol must be a finite number > 0"),
    ({"max_iter": 0}, "max_iter must be a whole number >= 1"),
    ({"max_iter": -5}, "max_iter must be a whole number >= 1"),
    ({"max_iter": 1.5}, "max_iter must be a whole number >= 1"),
    ({"max_iter": "many"}, "max_iter must be a whole number >= 1"),
    ({"init": {"sigma": 0.0}}, "sigma must be > 0"),
    ({"init": {"sigma": -2.0}}, "sigma must be > 0"),
    ({"init": {"mu": float("nan")}}, "must be finite"),
    ({"init": {"mu": "0"}}, "must be a number"),
    ({"family": "cauchy_like"}, "unknown family 'cauchy_like'"),
    ({"method": "bfgs"}, "unknown method 'bfgs'"),
    ({"parametrization": "precision"}, "unknown parametrization 'precision'"),
    ({"method": "gradient", "n_inner": 3}, "applies only to method='coordinate'"),
    ({"method": "lbfgs", "step": 0.1}, "does not apply to method='lbfgs'"),
    ({"family": "student_t", "init": {"df": 3.0}, "fixed": {"df": 5.0}}, "both in init and in fixed"),
    ({"family": "gamma", "fixed": {"a": 1.0, "scale": 1.0}}, "nothing is left to fit"),
])
def test_bad_options_api(kwargs, words):
    with pytest.raises((ValueError, TypeError)) as info:
        gradmle.fit([1.0, 2.0, 4.0, 3.5], **kwargs)
    assert words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("args, words", [
    (["--step", "0"], "step must be a finite number > 0"),
    (["--step", "nan"], "step must be a finite number > 0"),
    (["--step", "big"], "invalid float value"),
    (["--tol", "-1"], "tol must be a finite number > 0"),
    (["--max-iter", "0"], "max_iter must be a whole number >= 1"),
    (["--max-iter", "1.5"], "invalid int value"),
    (["--init", "sigma=-1"], "sigma must be > 0"),
    (["--init", "sigma"], "expected NAME=VALUE"),
    (["--family", "cauchy_like"], "unknown family 'cauchy_like'"),
    (["--method", "bfgs"], "unknown method 'bfgs'"),
    (["--parametrization", "precision"], "unknown parametrization"),
    (["--column", "height"], "no column 'height'"),
    (["--column", "7"], "column index 7 is out of range"),
    (["--method", "gradient", "--n-inner", "3"], "applies only to method='coordinate'"),
    (["--dask", "--scheduler", "tcp://x:1"], "give one of them"),
])
def test_bad_options_cli(cli, tmp_path, args, words):
    path = tmp_path / "d.csv"
    path.write_text("x\n1\n2\n4\n3.5\n")
    assert words in one_line_error(cli("fit", path, *args))


def test_the_input_file_is_never_written(cli, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x\n1\n2\n4\n3.5\n")
    before = path.read_bytes()
    assert "is the input file" in one_line_error(cli("fit", path, "--trace-out", path))
    assert path.read_bytes() == before


def long_fit(folder, max_iter: int) -> subprocess.Popen:
    """``gradmle fit`` in a real process: a gradient ascent of tiny steps that runs
    ``max_iter`` iterations, its trace written to ``folder/trace.csv``."""
    x = np.random.default_rng(0).normal(0.0, 1.0, 1000)
    np.save(folder / "x.npy", x)
    return subprocess.Popen([sys.executable, "-m", "gradmle", "fit", str(folder / "x.npy"), "--method", "gradient",
                             "--step", "1e-9", "--init", "mu=5,sigma=2", "--max-iter", str(max_iter),
                             "--trace-out", str(folder / "trace.csv")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def cpu_seconds(pid: int) -> float:
    """The processor time a process has used (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_interrupt_exits_130_and_leaves_no_file(tmp_path):
    out = tmp_path / "trace.csv"
    proc = long_fit(tmp_path, 100_000_000)
    # Interrupted in the run, not while Python still imports numpy and scipy (about 2.5
    # s of processor time; wall time says little on a loaded machine).
    if Path(f"/proc/{proc.pid}/stat").exists():
        while cpu_seconds(proc.pid) < 6.0 and proc.poll() is None:
            time.sleep(0.05)
    else:
        time.sleep(3.0)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, stderr)
    assert stderr.strip() == "gradmle: interrupted"
    assert not out.exists() and not list(tmp_path.glob(".trace.csv*"))


def writing(path) -> bool:
    """Whether the temporary file of ``path`` holds data (the run is past creating it)."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            if tmp.stat().st_size > 0:
                return True
        except FileNotFoundError:  # renamed into place since the listing
            pass
    return False


def test_sigterm_while_an_output_is_written_exits_143_and_leaves_no_file(tmp_path):
    # 300,000 rows of trace take a while to write: long enough to be caught at it.
    proc = long_fit(tmp_path, 300_000)
    while not (started := writing(tmp_path / "trace.csv")) and proc.poll() is None:
        time.sleep(0.005)
    assert started, "the run ended before its trace file was being written"
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, (proc.returncode, stderr)
    assert stderr.strip() == "gradmle: terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]


def test_main_gives_back_the_sigterm_handler_it_found(cli, tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    cli("fit", tmp_path / "missing.csv")
    cli("--version")
    assert signal.getsignal(signal.SIGTERM) is before
