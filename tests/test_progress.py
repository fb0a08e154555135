"""The progress bar: only on a terminal, only after about a second, never with quiet."""

import io

import gradmle.progress as progress


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_no_bar_off_a_terminal_or_when_quiet():
    for stream, quiet in ((io.StringIO(), False), (FakeTerminal(), True)):
        bar = progress.Progress("work", quiet=quiet, stream=stream)
        bar.t0 -= 10  # pretend it has been running long
        bar(5, 10)
        bar.close()
        assert stream.getvalue() == "" and bar.bar is None


def test_bar_appears_after_the_delay_on_a_terminal():
    stream = FakeTerminal()
    bar = progress.Progress("fitting", stream=stream)
    bar(1, 10)
    assert bar.bar is None  # too early: short work shows nothing
    bar.t0 -= progress.DELAY + 0.1
    bar(5, 10)
    assert bar.bar is not None
    bar.close()
    assert "fitting" in stream.getvalue()


def test_cli_dask_option(tmp_path):
    import json
    import subprocess
    import sys

    import numpy as np

    x = np.random.default_rng(0).gamma(2.0, 3.0, 5000)
    np.save(tmp_path / "g.npy", x)
    p = subprocess.run([sys.executable, "-m", "gradmle", "fit", str(tmp_path / "g.npy"), "--family", "gamma", "--dask",
                        "--json"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    import gradmle

    ref = gradmle.fit(x, family="gamma")
    assert res["source"] == "dask array"
    for k, v in ref.params.items():
        assert abs(res["params"][k] / v - 1) < 1e-12
