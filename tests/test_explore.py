"""gradmle.explore, driven as a person would drive it: set a control, read what is shown."""

import io
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

import gradmle  # noqa: E402


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).normal(2.0, 1.0, 1000)


@pytest.fixture(scope="module")
def ex(x):
    return gradmle.explore(x, method="sequential", step=0.1, init={"mu": -1.0, "sigma": 0.1})


def _same_run(shown, x, options):
    ref = gradmle.fit(x, **options)
    assert shown.params == ref.params and shown.status == ref.status and shown.nit == ref.nit
    for k in ref.trace:
        np.testing.assert_array_equal(shown.trace[k], ref.trace[k])
    return ref


def _png(data: bytes):
    from matplotlib.image import imread

    return imread(io.BytesIO(data), format="png")


def _xhtml(text: str):
    return ET.fromstring(f"<div>{text}</div>")


def test_the_classic_blow_up_is_shown_with_its_bound(ex, x):
    assert ex.options == {"family": "normal", "method": "sequential", "init": {"mu": -1.0, "sigma": 0.1},
                          "max_iter": 200, "parametrization": "sigma", "tol": 1e-10, "step": 0.1}
    r = _same_run(ex.result, x, ex.options)
    assert r.status == "diverged"
    status = "".join(_xhtml(ex._status.value).itertext())
    assert "diverged" in status and r.message in status
    assert r.diagnosis.remedies and r.diagnosis.remedies[0].options["method"] in status
    bound = gradmle.stability(x, method="sequential", init={"mu": -1.0, "sigma": 0.1})
    assert ex.bound.bound == bound.bound
    assert f"{bound.bound:.4g}" in ex._bound_label.value


@pytest.mark.parametrize("changes", [
    {"step": 0.5},
    {"method": "gradient", "step": 0.02, "max_iter": 50},
    {"method": "coordinate", "step": 0.3, "n_inner": 3, "n_outer": 25},
    {"method": "fisher", "step": 1.0, "init": {"mu": 5.0, "sigma": 3.0}},
    {"method": "newton", "parametrization": "log_sigma"},
    {"method": "lbfgs"},
])
def test_a_control_set_runs_the_fit_it_shows(ex, x, changes):
    before = ex._image.value
    ex.set(**changes)
    r = _same_run(ex.result, x, ex.options)
    for k, v in changes.items():
        if k == "init":
            assert ex.options["init"] == v
        elif k in ex.options:
            assert ex.options[k] == v
    # The picture is the run: the path in the left panel, its distances in the right.
    left, right = ex.figure.axes[:2]
    assert any(np.array_equal(l.get_xdata(), r.trace["mu"]) and np.array_equal(l.get_ydata(), r.trace["sigma"])
               for l in left.get_lines())
    d = ex.distances()
    expect = np.maximum(np.abs(r.trace["mu"] - ex.optimum.params["mu"]) / ex.optimum.stderr["mu"],
                        np.abs(r.trace["sigma"] - ex.optimum.params["sigma"]) / ex.optimum.stderr["sigma"])
    np.testing.assert_allclose(d * np.sqrt(r.n), expect, rtol=1e-12)
    assert any(np.array_equal(l.get_ydata(), np.maximum(d, 1e-17)) for l in right.get_lines())
    image = _png(ex._image.value)
    assert image.shape[0] > 200 and ex._image.value != before
    assert r.status in "".join(_xhtml(ex._status.value).itertext())
    m = gradmle.METHODS[ex.options["method"]]
    assert ex.controls["step"].disabled == (not m.takes_step)
    assert (ex.controls["n_inner"].layout.display != "none") == m.sweeps
    assert (ex.bound is not None) == m.has_bound


def test_moving_a_widget_runs_again(x):
    ex = gradmle.explore(x, method="gradient", step=0.1, init={"mu": 0.0, "sigma": 2.0}, max_iter=30)
    first = ex.result
    ex.controls["step"].value = 3.0  # beyond the bound: the label turns red, no convergence
    assert ex.result is not first and ex.result.status != "converged"
    _same_run(ex.result, x, ex.options)
    assert "beyond it" in ex._bound_label.value and "#c62828" in ex._bound_label.value
    ex.controls["init_sigma"].value = 1.0
    assert ex.result.trace["sigma"][0] == 1.0
    ex.controls["method"].value = "fisher"
    assert ex.result.status == "converged" and "chooses its own steps" not in ex._bound_label.value


def test_refused_options_are_shown_not_raised(x):
    ex = gradmle.explore(x, method="gradient", init={"mu": 0.0, "sigma": 1.0})
    ex.controls["init_sigma"].value = -1.0
    assert ex.result is None and "sigma" in ex.error
    assert "refused" in ex._status.value and "sigma" in ex._status.value
    ex.controls["init_sigma"].value = 1.0
    assert ex.result is not None and ex.error is None


def test_a_family_without_closed_form(x):
    g = np.random.default_rng(1).gamma(2.0, 3.0, 2000)
    ex = gradmle.explore(g, family="gamma", method="gradient", step=0.05, init={"a": 0.5, "scale": 1.0}, max_iter=100)
    _same_run(ex.result, g, ex.options)
    left = ex.figure.axes[0]
    assert left.collections, "no contours"
    marks = [l for l in left.get_lines() if l.get_marker() == "+"]
    assert marks and marks[0].get_xdata()[0] == ex.optimum.params["a"]
    assert ex.optimum.converged and ex.optimum.params == gradmle.fit(g, family="gamma").params


def test_bad_calls_are_one_line(x):
    with pytest.raises(ValueError, match="unknown method 'gradiant'; methods: "):
        gradmle.explore(x, method="gradiant")
    with pytest.raises(ValueError, match="init names 'nu'"):
        gradmle.explore(x, init={"nu": 1.0})
    ex = gradmle.explore(x)
    with pytest.raises(ValueError, match="no control 'learning_rate'; controls: method, step"):
        ex.set(learning_rate=0.1)


def test_display_and_missing_extra(x, monkeypatch):
    ex = gradmle.explore(x, max_iter=5)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    # What a viewer without the widgets shows: the picture as it was, and one line.
    assert bundle["text/plain"] == repr(ex) and repr(ex).startswith("<Explorer normal: gradient")
    assert bundle["image/png"] == ex._image.value and _png(bundle["image/png"]).shape[0] > 200
    assert "5 iterations" in repr(ex) or "1 iteration" in repr(ex)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match=r"pip install 'gradmle\[notebook\]'"):
        gradmle.explore(x)


def test_a_model_of_the_users(x):
    def logpdf(v, mu, sigma):
        return -0.5 * ((v - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)

    model = gradmle.Model(logpdf, params={"mu": "real", "sigma": "positive"}, name="gauss")
    with pytest.raises(ValueError, match="needs a start"):
        gradmle.explore(x, family=model)
    ex = gradmle.explore(x, family=model, method="gradient", step=0.1, init={"mu": 0.0, "sigma": 2.0}, max_iter=60)
    _same_run(ex.result, x, ex.options)
    assert ex.optimum.params == pytest.approx({"mu": x.mean(), "sigma": x.std()}, rel=1e-8)
    assert ex.figure.axes[0].collections, "no contours"


def test_the_controls_hold_what_fit_would_run(x):
    """A step in large data units is not clamped to the control's range, and the defaults
    are fit's own (coordinates, n_inner)."""
    big = x * 1e4
    ex = gradmle.explore(big, method="gradient", step=5e7, init={"mu": 1e4, "sigma": 2e4}, max_iter=7000)
    assert ex.options["step"] == 5e7 and ex.options["max_iter"] == 7000
    assert 10 ** ex.controls["step"].max > 100 * ex.bound.bound
    _same_run(ex.result, big, ex.options)
    t = np.random.default_rng(1).standard_t(4, 300)
    st = gradmle.explore(t, family="student_t", max_iter=5)
    assert st.options["parametrization"] == gradmle.fit(t, family="student_t").options["parametrization"]
    ex.set(method="coordinate")
    assert ex.options["n_inner"] == gradmle.fit(big, method="coordinate", max_iter=1).options["n_inner"]
    for init in (None, {"mu": 0.0, "sigma": 1.0}):
        with pytest.raises(ValueError, match="unknown parametrization 'logsigma'; valid: sigma"):
            gradmle.explore(x, parametrization="logsigma", init=init)
