"""FitResult.plot(kind=...): a matplotlib Figure per kind, drawn from the run's own numbers."""

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import gradmle
from gradmle.figures import KINDS


@pytest.fixture(scope="module")
def normal():
    x = np.random.default_rng(0).normal(2.0, 1.0, 2000)
    return x, gradmle.fit(x, method="gradient", step=0.4, init={"mu": 1.5, "sigma": 1.2})


@pytest.fixture(scope="module")
def diverged():
    x = np.random.default_rng(0).normal(2.0, 1.0, 2000)
    return gradmle.fit(x, method="sequential", step=0.1, init={"mu": -1.0, "sigma": 0.1})


@pytest.fixture(scope="module")
def weibull():
    rng = np.random.default_rng(1)
    t = 2.0 * rng.weibull(1.5, 300)
    return gradmle.fit(t, family="weibull", event=rng.random(300) < 0.7)


@pytest.fixture(scope="module")
def student():
    return gradmle.fit(np.random.default_rng(1).standard_t(4, 500), family="student_t")


def _lines(ax):
    return [(np.asarray(l.get_xdata(), float), np.asarray(l.get_ydata(), float)) for l in ax.get_lines()]


def _has_line(ax, x, y):
    return any(lx.shape == np.shape(x) and np.array_equal(lx, x, equal_nan=True) and np.array_equal(ly, y, equal_nan=True)
               for lx, ly in _lines(ax))


def test_path_is_the_trace_over_the_contours(normal):
    _, r = normal
    fig = r.plot("path")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert _has_line(ax, r.trace["mu"], r.trace["sigma"])
    assert ax.collections, "no contours drawn"


def test_trace_panels_are_the_iterates(normal):
    _, r = normal
    fig = r.plot("trace")
    mu_ax, sigma_ax, conv = fig.axes[:3]
    steps = np.arange(len(r.trace["mu"]), dtype=float)
    assert _has_line(mu_ax, steps, r.trace["mu"]) and mu_ax.get_title() == "mu"
    assert _has_line(sigma_ax, steps, r.trace["sigma"])
    assert conv.get_yscale() == "log"
    assert "converged" in conv.get_title()


def test_diagnostics_of_an_array_fit_use_the_values(normal):
    x, r = normal
    fig = r.plot("diagnostics")
    assert len(fig.axes) == 4
    # The Q-Q panel's points are the sorted data against the fitted quantiles.
    ys = [ly for _, ly in _lines(fig.axes[2]) if ly.size == x.size]
    assert any(np.array_equal(y, np.sort(x)) for y in ys)


def test_profile_panels_end_at_the_profile_intervals(student):
    fig = student.plot("profile")
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 3
    ci = student.conf_int(method="profile")
    for ax, name in zip(fig.axes, ("df", "loc", "scale")):
        ends = sorted(float(l.get_xdata()[0]) for l in ax.get_lines() if len(l.get_xdata()) == 2
                      and l.get_xdata()[0] == l.get_xdata()[1])
        assert ends == pytest.approx(list(ci[name]), rel=1e-9)
    one = student.plot("profile", param="df")
    assert len(one.axes) == 1 and "df" in one.axes[0].get_xlabel()


def test_censored_fit_draws_survival(weibull):
    for kind in ("survival", "diagnostics"):
        fig = weibull.plot(kind)
        assert [ax.get_ylabel() for ax in fig.axes] == ["S(t)", "log(-log S)"]
    assert len(weibull.plot("auto").axes) == 4


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_draws_or_says_why(kind, normal, diverged, weibull, student):
    for r in (normal[1], diverged, weibull, student):
        try:
            fig = r.plot(kind)
        except ValueError as e:
            msg = str(e)
            assert "\n" not in msg and "kind=" in msg or "profile starts" in msg, msg
            continue
        assert isinstance(fig, Figure) and fig.axes
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        assert buf.tell() > 1000


def test_what_cannot_be_drawn_is_said(normal, diverged, student):
    _, r = normal
    with pytest.raises(ValueError, match="unknown kind of picture 'hist'; kinds: auto, path"):
        r.plot("hist")
    with pytest.raises(ValueError, match="censored"):
        r.plot("survival")
    with pytest.raises(ValueError, match="this student_t fit has 3 .*kind='trace'"):
        student.plot("path")
    with pytest.raises(ValueError, match="ended diverged"):
        diverged.plot("diagnostics")
    with pytest.raises(ValueError, match="no parameter 'nu'"):
        student.plot("profile", param="nu")
    with pytest.raises(ValueError, match="param= chooses"):
        student.plot("trace", param="df")


def test_pyplot_is_left_alone_and_path_is_written(normal, tmp_path):
    _, r = normal
    backend = matplotlib.get_backend()
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    out = tmp_path / "path.svg"
    fig = r.plot("path", path=out)
    assert plt.get_fignums() == before and matplotlib.get_backend() == backend
    assert out.read_text().lstrip().startswith("<?xml") and fig.axes
    with pytest.raises(ValueError, match="allowed extensions"):
        r.plot("path", path=tmp_path / "path.xyz")
    assert not (tmp_path / "path.xyz").exists()


def test_no_picture_imports_pyplot():
    """pyplot would choose a backend (and the old forced Agg broke a notebook's inline
    figures): every picture of the library is drawn on plain Figures."""
    import subprocess
    import sys

    code = """
import sys, numpy as np, gradmle
x = np.random.default_rng(0).normal(2.0, 1.0, 500)
r = gradmle.fit(x, method="gradient", step=0.4, init={"mu": 1.5, "sigma": 1.2})
for k in ("auto", "path", "trace", "diagnostics"):
    r.plot(k)
r._repr_html_()
w = gradmle.fit(x + 5, family="weibull", event=x > 1.5)
w.plot("survival"); w._repr_html_()
gradmle.select(x + 5, families=["gamma", "weibull"]).plot()
assert "matplotlib.pyplot" not in sys.modules, "pyplot imported"
print("ok")
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr[-2000:]


def test_figures_show_themselves_without_pyplot(normal, student):
    """A notebook shows a Figure by its _repr_png_ when no inline backend was set up."""
    for fig in (normal[1].plot("trace"), student.plot("diagnostics")):
        png = fig._repr_png_()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
