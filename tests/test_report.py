"""``gradmle report``: one HTML file that is well-formed XML (parsed strictly by
ElementTree), opens without a network (no script, no link, every picture a PNG data
URI that decodes), and shows the numbers of ``gradmle fit --json`` / ``gradmle select
--json`` to the digits it writes them, the data summary, the command line and the
version, and the diagnosis of a run that did not converge."""

import base64
import io
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import gradmle

NS = "{http://www.w3.org/1999/xhtml}"
PNG = b"\x89PNG\r\n\x1a\n"
RNG = np.random.default_rng(314)
X = RNG.gamma(3.0, 2.0, 400)


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("value\n" + "".join(f"{float(v)!r}\n" for v in X))
    return path


def _read(path):
    """The report parsed strictly, its text (whitespace collapsed) and its source."""
    html = path.read_text(encoding="utf-8")
    root = ET.fromstring(html.encode("utf-8"))  # raises on anything not well-formed
    assert root.tag == f"{NS}html"
    return root, " ".join("".join(root.itertext()).split()), html


def _self_contained(root, html):
    import matplotlib.image as mpimg

    assert not list(root.iter(f"{NS}script")) and not list(root.iter(f"{NS}link"))
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", html), "a reference outside the file"
    pictures = list(root.iter(f"{NS}img"))
    for img in pictures:
        head, payload = img.get("src").split(",", 1)
        assert head == "data:image/png;base64"
        png = base64.b64decode(payload, validate=True)
        assert png.startswith(PNG)
        pixels = mpimg.imread(io.BytesIO(png), format="png")  # decodes whole
        assert pixels.shape[0] > 50 and pixels.shape[1] > 50 and float(np.std(pixels[..., :3])) > 0.01
    return len(pictures)


def _cells(root, first):
    """The texts of the cells of every table row whose first cell reads ``first``."""
    out = []
    for tr in root.iter(f"{NS}tr"):
        cells = [" ".join("".join(c.itertext()).split()) for c in tr if c.tag in (f"{NS}td", f"{NS}th")]
        if cells and cells[0] == first:
            out.append(cells)
    return out


def _shown(value, spec=".10g"):
    return float(format(value, spec))


def test_a_fit_report_is_self_contained_and_shows_the_numbers_of_the_json(cli, data, tmp_path):
    fit = cli("fit", data, "--family", "gamma", "--json")
    assert fit.returncode == 0
    expected = json.loads(fit.stdout)
    out = tmp_path / "report.html"
    args = ("report", data, "--family", "gamma", "--quiet", "--out", out)
    p = cli(*args)
    assert p.returncode == 0 and p.stderr == "" and str(out) in p.stdout
    root, text, html = _read(out)
    assert _self_contained(root, html) == 3  # the small fit picture, the four diagnostics, the run
    for name, value in expected["params"].items():
        rows = _cells(root, name)
        assert rows, name
        assert float(rows[0][1]) == _shown(value), (name, rows[0], value)
    assert f"{expected['loglik']:.10g}" in text
    for name, value in (("n", X.size), ("min", X.min()), ("max", X.max()), ("mean", np.mean(X))):
        (row,) = _cells(root, name)
        assert float(row[1]) == pytest.approx(_shown(value), rel=1e-15, abs=0), (name, row)
    command = " ".join(["gradmle", *map(str, args)])
    assert command in text
    assert f"gradmle {gradmle.__version__}" in text
    assert "converged" in text and "diagnosis" not in text


def test_a_diverged_fit_report_holds_the_diagnosis(cli, data, tmp_path):
    opts = ("--method", "gradient", "--step", "0.5", "--init", "mu=-1,sigma=0.05", "--max-iter", "50")
    expected = json.loads(cli("fit", data, *opts, "--json").stdout)
    assert expected["status"] == "diverged" and expected["diagnosis"] is not None
    out = tmp_path / "diverged.html"
    p = cli("report", data, *opts, "--quiet", "--out", out)
    assert p.returncode == 3  # as 'gradmle fit': finished without converging, and the report written
    root, text, html = _read(out)
    assert _self_contained(root, html) >= 1
    d = expected["diagnosis"]
    assert "diagnosis" in text and d["cause"] in text
    assert " ".join(d["explanation"].split()) in text
    for remedy in d["remedies"]:
        assert remedy["description"] in text


def test_a_selection_report_shows_the_ranked_table_of_the_json(cli, data, tmp_path):
    opts = ("--families", "gamma,lognormal,weibull", "--criterion", "bic")
    sel = cli("select", data, *opts, "--json")
    expected = json.loads(sel.stdout)
    out = tmp_path / "select.html"
    p = cli("report", data, "--select", *opts, "--quiet", "--out", out)
    assert p.returncode == sel.returncode == 0
    root, text, html = _read(out)
    assert _self_contained(root, html) >= 3
    for row in expected["table"]:
        (cells,) = [c for c in _cells(root, str(row["rank"])) if len(c) > 4 and c[1] == row["family"]]
        assert float(cells[3]) == _shown(row["loglik"], ".6f")
        assert float(cells[4]) == _shown(row["bic"], ".6f")
    best = expected["best"]
    for name, value in expected["table"][0]["params"].items():  # the best's own table
        assert float(_cells(root, name)[0][1]) == _shown(value)
    assert f"the best: {best}" in text
    assert f"gradmle {gradmle.__version__}" in text and "gradmle report" in text and "--select" in text


def test_a_censored_fit_report_counts_the_censoring(cli, tmp_path):
    t = RNG.weibull(1.5, 300) * 2.0
    c = RNG.uniform(0.5, 4.0, 300)
    path = tmp_path / "times.csv"
    path.write_text("time,event\n" + "".join(f"{float(min(a, b))!r},{int(a <= b)}\n" for a, b in zip(t, c)))
    opts = ("--family", "weibull", "--column", "time", "--event", "event")
    expected = json.loads(cli("fit", path, *opts, "--json").stdout)
    out = tmp_path / "censored.html"
    assert cli("report", path, *opts, "--quiet", "--out", out).returncode == 0
    root, text, html = _read(out)
    _self_contained(root, html)
    counts = expected["info"]["censoring"]
    assert counts["right_censored"] > 0
    assert float(_cells(root, "right-censored")[0][1]) == counts["right_censored"]
    assert float(_cells(root, "observed exactly")[0][1]) == counts["observed"]
    for name, value in expected["params"].items():
        assert float(_cells(root, name)[0][1]) == _shown(value)


def test_a_report_of_standard_input(cli, tmp_path):
    out = tmp_path / "stdin.html"
    p = cli("report", "-", "--quiet", "--out", out, stdin="".join(f"{float(v)!r}\n" for v in X))
    assert p.returncode == 0, p.stderr
    root, text, _ = _read(out)
    assert float(_cells(root, "mean")[0][1]) == pytest.approx(_shown(np.mean(X)), rel=1e-15)
    assert "gradmle report - --quiet" in text


@pytest.mark.parametrize("args, words", [
    ((), "--out"),
    (("--out", "{tmp}/r.png"), "HTML"),
    (("--out", "{tmp}/missing/r.html"), "does not exist"),
    (("--out", "{data}"), "input"),
    (("--select", "--method", "gradient", "--out", "{tmp}/r.html"), "--method"),
    (("--families", "gamma", "--out", "{tmp}/r.html"), "--families"),
    (("--step", "abc", "--out", "{tmp}/r.html"), "--step"),
    (("--plot", "{tmp}/r.html", "--out", "{tmp}/r.html"), "--plot"),
    (("--select", "--criterion", "xyz", "--out", "{tmp}/r.html"), "--criterion"),
])
def test_bad_options_are_one_line_and_write_nothing(cli, data, tmp_path, args, words):
    before = sorted(tmp_path.rglob("*"))
    p = cli("report", data, *(a.format(tmp=tmp_path, data=data) for a in args))
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradmle: error:") and words in lines[0], p.stderr
    assert sorted(tmp_path.rglob("*")) == before
    assert data.read_text().startswith("value\n")


def test_a_free_location_fit_report_draws_its_diagnostics(cli, tmp_path):
    path = tmp_path / "shifted.txt"
    path.write_text("".join(f"{float(v)!r}\n" for v in 5.0 + X))
    out = tmp_path / "free.html"
    expected = json.loads(cli("fit", path, "--family", "gamma", "--free-loc", "--json").stdout)
    assert cli("report", path, "--family", "gamma", "--free-loc", "--quiet", "--out", out).returncode == 0
    root, text, html = _read(out)
    assert _self_contained(root, html) >= 1 and "diagnostic pictures" in text
    for name, value in expected["params"].items():
        assert float(_cells(root, name)[0][1]) == _shown(value)


@pytest.mark.parametrize("family, x", [("gamma", X), ("student_t", np.random.default_rng(0).standard_t(12, 150))])
def test_a_report_shows_the_profile_intervals_asked_for(cli, tmp_path, family, x):
    # The gamma's intervals are asymmetric about the estimate, unlike Wald's; the
    # Student-t's df has no upper end (the Normal limit is inside the interval): the
    # edge of the parameter space, +inf, with the note that says so.
    path = tmp_path / "x.csv"
    path.write_text("value\n" + "".join(f"{float(v)!r}\n" for v in x))
    opts = ("--family", family)
    profiled = json.loads(cli("fit", path, *opts, "--intervals", "profile", "--json").stdout)["conf_int"]
    wald = json.loads(cli("fit", path, *opts, "--intervals", "wald", "--json").stdout)["conf_int"]
    assert profiled["method"] == "profile"
    out = tmp_path / "profile.html"
    assert cli("report", path, *opts, "--intervals", "profile", "--quiet", "--out", out).returncode == 0
    root, text, _ = _read(out)
    head = _cells(root, "parameter")[0]
    assert head[3] == "95% interval (profile likelihood)"
    assert "profile likelihood, where the log-likelihood maximized over the other parameters" in text
    assert "Wald" not in text
    for name, ci in profiled["intervals"].items():
        shown = _cells(root, name)[0][3]
        ends = [float(v) for v in shown.strip("[]").split(", ")]
        for end, value, kind in ((ends[0], ci["lower"], ci["lower_end"]), (ends[1], ci["upper"], ci["upper_end"])):
            if kind == "profile":
                assert end == _shown(value, ".6g"), (name, shown, ci)
            else:  # the JSON has no number for an end at the edge: the report names the edge
                assert kind == "edge" and value is None and end in (0.0, np.inf, -np.inf), (name, shown, ci)
        w = wald["intervals"][name]
        assert ends != [_shown(w["lower"], ".6g"), _shown(w["upper"], ".6g")], name  # not the Wald interval
        for note in ci["notes"]:
            assert " ".join(note.split()) in text
    if family == "student_t":
        assert profiled["intervals"]["df"]["upper_end"] == "edge" and _cells(root, "df")[0][3].endswith("inf]")
