"""The command line: formats, options, exit statuses, outputs. In this process through the
``cli`` fixture (conftest.py); what needs a real process (the installed script, exit
statuses, standard input through a pipe) at the end."""

import json
import subprocess
import sys

import numpy as np
import pytest

X = np.random.default_rng(5).normal(10.0, 2.0, 300)
XS = [float(v) for v in X]


def run(*args, stdin=None):
    """A fresh ``python -m gradmle``, for what only a real process shows."""
    return subprocess.run([sys.executable, "-m", "gradmle", *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=300)


def one_line_error(p, code=2):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradmle: error:"), p.stderr
    assert "Traceback" not in p.stderr
    return lines[0]


def is_picture(path):
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.shape[0] > 200 and img.shape[1] > 200
    assert float(np.std(img[..., :3])) > 0.02  # not blank


@pytest.fixture
def files(tmp_path):
    out = {}
    out["csv"] = tmp_path / "h.csv"
    out["csv"].write_text("id,value,name\n" + "".join(f"{i},{v!r},n{i}\n" for i, v in enumerate(XS)))
    out["csv_noheader"] = tmp_path / "n.csv"
    out["csv_noheader"].write_text("".join(f"{v!r},{i}\n" for i, v in enumerate(XS)))
    out["tsv"] = tmp_path / "t.tsv"
    out["tsv"].write_text("a\tvalue\n" + "".join(f"x{i}\t{v!r}\n" for i, v in enumerate(XS)))
    out["txt"] = tmp_path / "w.txt"
    out["txt"].write_text("".join(f"  {v!r}   {i}\n" for i, v in enumerate(XS)))
    out["npy"] = tmp_path / "x.npy"
    np.save(out["npy"], X)
    import pyarrow as pa
    import pyarrow.parquet as pq

    out["parquet"] = tmp_path / "x.parquet"
    pq.write_table(pa.table({"name": [f"n{i}" for i in range(X.size)], "value": X}), out["parquet"], row_group_size=64)
    return out


@pytest.mark.parametrize("kind, column", [("csv", "value"), ("csv", "1"), ("csv_noheader", None), ("tsv", "value"),
                                          ("tsv", None), ("txt", "0"), ("txt", None), ("npy", None), ("parquet", None)])
def test_each_format_gives_the_closed_form(cli, files, kind, column):
    args = ["fit", files[kind], "--json"] + (["--column", column] if column else [])
    p = cli(*args)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res["converged"] and res["n"] == X.size
    assert abs(res["params"]["mu"] - X.mean()) < 1e-12 * 10 and abs(res["params"]["sigma"] - X.std()) < 1e-12 * 2


def test_standard_input_text_and_binary(cli, files):
    p = cli("fit", "-", "--json", stdin="\n".join(map(repr, XS)))
    assert p.returncode == 0 and json.loads(p.stdout)["n"] == X.size
    p = cli("fit", "-", "--json", stdin=files["npy"].read_bytes())
    assert p.returncode == 0 and json.loads(p.stdout)["n"] == X.size
    p = cli("fit", "-", stdin="1 2 3 4 5.5")
    assert p.returncode == 0 and "mu" in p.stdout


def test_options_mirror_the_api(cli, files, tmp_path):
    import gradmle

    p = cli("fit", files["npy"], "--method", "coordinate", "--step", "0.5", "--init", "mu=8,sigma=1.5",
            "--n-inner", "3", "--n-outer", "40", "--tol", "1e-8", "--json")
    res = json.loads(p.stdout)
    api = gradmle.fit(X, method="coordinate", step=0.5, init={"mu": 8.0, "sigma": 1.5}, n_inner=3, n_outer=40, tol=1e-8)
    assert res["status"] == api.status and res["nit"] == api.nit
    assert res["params"] == pytest.approx(api.params, rel=1e-15)
    p = cli("fit", files["npy"], "--method", "gradient", "--parametrization", "log_sigma", "--step", "0.3",
            "--init", "mu=9,sigma=3", "--max-iter", "5000", "--json")
    assert json.loads(p.stdout)["options"]["parametrization"] == "log_sigma"


def test_exit_status_three_prints_the_diagnosis(cli, files):
    p = cli("fit", files["npy"], "--method", "gradient", "--step", "0.1", "--init", "mu=0,sigma=0.1", "--max-iter", "50")
    assert p.returncode == 3
    assert "diverged" in p.stdout and "diagnosis:" in p.stdout and "what works" in p.stdout


def test_json_schema(cli, files):
    p = cli("fit", files["npy"], "--method", "gradient", "--step", "100", "--init", "mu=9,sigma=2.5", "--json")
    assert p.returncode == 3
    res = json.loads(p.stdout)
    expected = {"family": str, "method": str, "n": int, "status": str, "converged": bool, "message": str,
                "nit": int, "nfev": int, "params": dict, "loglik": (float, type(None)), "reference": dict,
                "error": (float, type(None)), "options": dict, "diagnosis": dict, "trace": dict}
    for key, typ in expected.items():
        assert isinstance(res[key], typ), key
    assert set(res["diagnosis"]) == {"cause", "meaning", "explanation", "bound", "remedies"}
    assert set(res["trace"]) >= {"mu", "sigma", "loglik", "grad_norm", "iteration"}
    assert len(res["trace"]["mu"]) == len(res["trace"]["loglik"])
    for rem in res["diagnosis"]["remedies"]:
        assert {"description", "options", "nit", "error"} <= set(rem)


def test_trace_file_holds_every_iterate(cli, files, tmp_path):
    out = tmp_path / "trace.csv"
    p = cli("fit", files["npy"], "--method", "gradient", "--step", "1", "--init", "mu=8,sigma=2.5", "--trace-out", out, "--json")
    res = json.loads(p.stdout)
    rows = out.read_text().splitlines()
    assert rows[0] == "iteration,mu,sigma,loglik,grad_norm"
    assert len(rows) == 1 + len(res["trace"]["mu"])
    last = rows[-1].split(",")
    assert float(last[1]) == res["params"]["mu"] and float(last[2]) == res["params"]["sigma"]


def test_plot_and_demo_write_real_pictures(cli, files, tmp_path):
    png = tmp_path / "fit.png"
    p = cli("fit", files["npy"], "--method", "sequential", "--step", "0.5", "--init", "mu=5,sigma=1", "--plot", png)
    assert p.returncode in (0, 3) and png.exists()
    is_picture(png)
    p = cli("demo", "--out", tmp_path / "demo")
    assert p.returncode == 0, p.stderr
    for name in ("trajectories.png", "distance.png", "stability.png"):
        is_picture(tmp_path / "demo" / name)
    assert not list((tmp_path / "demo").glob(".*tmp"))


def test_sweep_prints_a_map_and_draws_it(cli, files, tmp_path):
    png = tmp_path / "map.png"
    p = cli("sweep", files["npy"], "--max-iter", "200", "--out", png)
    assert p.returncode == 0, p.stderr
    assert "bound" in p.stdout and "converged" in p.stdout
    is_picture(png)


PICTURE_MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF"}


@pytest.mark.parametrize("ext", sorted(PICTURE_MAGIC))
def test_pictures_are_written_in_the_format_their_extension_names(cli, files, tmp_path, ext):
    pic = tmp_path / f"fit.{ext}"
    p = cli("fit", files["npy"], "--plot", pic)
    assert p.returncode == 0, p.stderr
    assert pic.read_bytes().startswith(PICTURE_MAGIC[ext])
    if ext == "svg":
        assert b"<svg" in pic.read_bytes()
        p = cli("sweep", files["npy"], "--max-iter", "50", "--out", tmp_path / "map.svg")
        assert p.returncode == 0, p.stderr
        assert (tmp_path / "map.svg").read_bytes().startswith(b"<?xml")


def test_write_honours_the_extension_whatever_its_case(tmp_path):
    from gradmle.plot import new_figure, write

    fig = new_figure((3, 2))
    write(fig, tmp_path / "a.PDF")
    assert (tmp_path / "a.PDF").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match=r"unknown picture format '\.xyz'; allowed extensions: .*pdf.*png.*svg"):
        write(new_figure((3, 2)), tmp_path / "b.xyz")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.PDF"]


@pytest.mark.parametrize("command, option, name, words", [
    ("fit", "--plot", "fit.xyz", "unknown picture format '.xyz'"),
    ("fit", "--plot", "fit", "no extension"),
    ("sweep", "--out", "map.txt", "unknown picture format '.txt'"),
])
def test_an_unknown_picture_format_is_refused_before_any_work(cli, files, tmp_path, command, option, name, words):
    trace = ["--trace-out", tmp_path / "trace.csv"] if command == "fit" else []
    line = one_line_error(cli(command, files["npy"], option, tmp_path / name, *trace))
    assert f"{option} {tmp_path / name}: {words}" in line
    assert "allowed extensions: " in line and "png" in line and "svg" in line and "pdf" in line
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(x.name for x in files.values())


@pytest.mark.parametrize(
    "content, args, words",
    [
        (None, [], "no such file"),
        ("", [], "empty file"),
        ("x,y\n", [], "no data lines"),
        ("x\n1\n2\nabc\n3\n", [], "line 4"),
        ("x\n1\n\n2\nnan\n", [], "NaN"),
        ("a,b\n1,2\n3,\n4,5\n", ["--column", "b"], "empty cell"),
        ("x\n1\n2\n3\n", ["--method", "newtonish"], "unknown method"),
        ("x\n1\n2\n3\n", ["--column", "nope"], "no column 'nope'"),
        ("x\n1\n2\n3\n", ["--step", "-1"], "step"),
        ("x\n1\n2\n3\n", ["--init", "sigma=0"], "sigma"),
        ("x\n1\n2\n3\n", ["--parametrization", "cubic"], "parametrization"),
        ("x\n1\n2\n3\n", ["--max-iter", "0"], "max_iter"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_leaves_files_alone(cli, tmp_path, content, args, words):
    data = tmp_path / "d.csv"
    if content is not None:
        data.write_text(content)
    keep = tmp_path / "trace.csv"
    keep.write_text("KEEP")
    png = tmp_path / "new.png"
    p = cli("fit", data, "--trace-out", keep, "--plot", png, *args)
    assert words in one_line_error(p)
    assert keep.read_text() == "KEEP" and not png.exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(["trace.csv"] + (["d.csv"] if content is not None else []))


def test_outputs_get_the_usual_permissions_and_never_replace_the_input(cli, files, tmp_path):
    import os
    import stat

    png = tmp_path / "fit.png"
    p = cli("fit", files["npy"], "--plot", png)
    assert p.returncode == 0, p.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(png.stat().st_mode) == 0o666 & ~umask
    before = files["npy"].read_bytes()
    one_line_error(cli("sweep", files["npy"], "--out", files["npy"]))
    assert files["npy"].read_bytes() == before


def test_bad_usage_is_one_line_too(cli):
    one_line_error(cli("fit"))
    one_line_error(cli("fit", "x.csv", "--bogus"))
    one_line_error(cli("sweep"))


def test_help_is_complete_with_examples(cli):
    p = cli("--help")
    assert p.returncode == 0 and "examples:" in p.stdout
    for cmd in ("fit", "demo", "sweep"):
        q = cli(cmd, "--help")
        assert q.returncode == 0 and "example" in q.stdout and f"gradmle {cmd}" in q.stdout
    q = cli("fit", "--help")
    for opt in ("--column", "--family", "--method", "--step", "--init", "--max-iter", "--tol", "--n-inner",
                "--n-outer", "--parametrization", "--json", "--trace-out", "--plot", "--quiet"):
        assert opt in q.stdout


def test_the_installed_script_matches_python_m():
    import shutil

    exe = shutil.which("gradmle") or str(__import__("pathlib").Path(sys.executable).parent / "gradmle")
    a = subprocess.run([exe, "--version"], capture_output=True, text=True)
    b = run("--version")
    assert a.returncode == b.returncode == 0 and a.stdout == b.stdout


def test_demo_prints_every_scheme_and_start_truthfully(cli):
    import gradmle.demo as demo

    p = cli("demo")
    assert p.returncode == 0, p.stderr
    for sigma0, r in demo.demo_runs():
        needle = f"{r.params['mu']:>12.6g} {r.params['sigma']:>12.6g} {r.status:<10}"
        assert needle in p.stdout
    assert p.stdout.count("diverged") >= 1 and "closed_form" in p.stdout


def test_exit_statuses_and_standard_input_through_a_real_process(files):
    p = run("fit", "-", "--json", stdin="\n".join(map(repr, XS)))
    assert p.returncode == 0 and json.loads(p.stdout)["n"] == X.size
    p = run("fit", files["npy"], "--method", "gradient", "--step", "0.1", "--init", "mu=0,sigma=0.1", "--max-iter", "50")
    assert p.returncode == 3 and "diagnosis:" in p.stdout
    assert "no such file" in one_line_error(run("fit", files["npy"].parent / "missing.csv"))


def test_a_reader_that_goes_away_early_loses_no_output_file(files, tmp_path):
    trace, png = tmp_path / "trace.csv", tmp_path / "fit.png"
    # The JSON of 5000 iterations is megabytes, more than a pipe holds: whatever the timing,
    # gradmle writes to standard output after the reader has gone (``| head -1``).
    proc = subprocess.Popen([sys.executable, "-m", "gradmle", "fit", str(files["npy"]), "--method", "gradient",
                             "--step", "1e-4", "--init", "mu=8,sigma=2.5", "--max-iter", "5000", "--json",
                             "--trace-out", str(trace), "--plot", str(png)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"{\n"
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=300) == 3, stderr  # max_iter, as the fit says: not 0
    assert stderr == b""
    assert len(trace.read_text().splitlines()) == 1 + 5001
    is_picture(png)
