"""The displays of results: every ``_repr_html_`` is well-formed XML (parsed strictly by
ElementTree), shows the estimates as the tables format them, the status, the diagnosis
of a run that did not converge, and embeds a picture that decodes to a PNG; the plain
reprs are one short line."""

import base64
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import gradmle
from gradmle import display

RNG = np.random.default_rng(20240614)
X = RNG.normal(2.0, 1.0, 500)
PNG = b"\x89PNG\r\n\x1a\n"


def _parse(obj):
    html = obj._repr_html_()
    root = ET.fromstring(html)  # raises on anything not well-formed
    return root, " ".join("".join(root.itertext()).split())


def _pictures(root):
    out = []
    for img in root.iter("img"):
        head, data = img.get("src").split(",", 1)
        assert head == "data:image/png;base64"
        out.append(base64.b64decode(data, validate=True))
    return out


def _badges(root):
    return [e.text for e in root.iter("span") if "border-radius" in (e.get("style") or "")]


def _estimates_shown(result, text):
    for name, value in result.params.items():
        assert f"{value:.10g}" in text, (name, value)


def _normal_numpy(x, mu, sigma):
    return -0.5 * np.log(2 * np.pi) - np.log(sigma) - 0.5 * ((x - mu) / sigma) ** 2


def _normal_grad(x, mu, sigma):
    d = np.mean((x - mu) ** 2)
    return np.array([np.mean(x - mu) / sigma**2, d / sigma**3 - 1.0 / sigma])


def test_a_converged_normal_fit_shows_estimates_wald_intervals_and_its_picture():
    r = gradmle.fit(X, method="fisher", init={"mu": 0.0, "sigma": 3.0})
    assert r.converged
    root, text = _parse(r)
    _estimates_shown(r, text)
    assert _badges(root) == ["converged"]
    # Standard errors from the closed form of the Normal's information: sigma/sqrt(n), sigma/sqrt(2n).
    n, mu, sigma = X.size, np.mean(X), np.std(X)
    se = {"mu": sigma / math.sqrt(n), "sigma": sigma / math.sqrt(2 * n)}
    z = 1.959963984540054
    for name, hat in (("mu", mu), ("sigma", sigma)):
        assert f"{se[name]:.4g}" in text
        assert f"[{hat - z * se[name]:.6g}, {hat + z * se[name]:.6g}]" in text
    assert "Wald" in text and "1.96 standard errors" in text
    assert f"n = {n}" in text and f"{r.nit} iterations" in text and f"{r.nfev} evaluations" in text
    assert r.message in text
    (png,) = _pictures(root)
    assert png.startswith(PNG)


def test_a_diverged_gradient_run_shows_its_diagnosis_and_the_verified_remedies():
    r = gradmle.fit(X, method="gradient", step=4.0, init={"mu": 2.0, "sigma": 2.0})
    assert r.status == "diverged"
    root, text = _parse(r)
    _estimates_shown(r, text)
    assert _badges(root) == ["diverged"]
    d = r.diagnosis
    assert d.remedies
    for words in (d.cause, d.meaning, " ".join(d.explanation.split()), *(rem.description for rem in d.remedies)):
        assert words in text
    assert "not computed (the fit did not converge)" in text
    (png,) = _pictures(root)
    assert png.startswith(PNG)
    # The diagnosis displays itself too, and was computed once.
    assert r.diagnosis is d
    root_d, text_d = _parse(d)
    assert d.explanation.split()[0] in text_d and all(rem.description in text_d for rem in d.remedies)


def test_a_censored_weibull_fit_shows_its_censoring():
    t = RNG.weibull(1.5, 300) * 2.0
    event = (t < 2.5).astype(int)
    r = gradmle.fit(np.minimum(t, 2.5), family="weibull", event=event)
    assert r.converged
    root, text = _parse(r)
    _estimates_shown(r, text)
    described = r.info["censoring"]["described"]
    assert f"{int(event.sum())} observed, {int((1 - event).sum())} right-censored" == described
    assert described in text
    assert _pictures(root)[0].startswith(PNG)


def test_a_boundary_student_t_fit_shows_its_status_and_the_limit():
    r = gradmle.fit(RNG.normal(0.0, 1.0, 400), family="student_t")
    assert r.status == "boundary"
    root, text = _parse(r)
    _estimates_shown(r, text)
    assert _badges(root) == ["boundary"]
    assert " ".join(r.message.split()) in text
    assert "limit_fit" in text and r.diagnosis.cause in text
    assert _pictures(root)[0].startswith(PNG)


def test_a_model_fit_and_a_name_that_is_html_stays_text():
    model = gradmle.Model(_normal_numpy, {"mu": "real", "sigma": "positive"}, grad=_normal_grad, name="<b>x</b>")
    r = gradmle.fit(X, family=model, init={"mu": 0.0, "sigma": 1.0})
    assert r.converged
    root, text = _parse(r)
    _estimates_shown(r, text)
    assert "<b>x</b>" in text  # shown as written, not as markup
    assert not any(e.tag == "b" and e.text == "x" for e in root.iter())
    assert _pictures(root)[0].startswith(PNG)


def test_a_selection_ranks_highlights_the_best_and_draws_the_leaders():
    data = RNG.gamma(2.0, 1.0, 300)
    s = gradmle.select(data, families=["gamma", "weibull", "lognormal", "normal"])
    root, text = _parse(s)
    rows = [tr for tr in root.iter("tr") if tr.find("td") is not None]
    families = ["".join(tr[1].itertext()) for tr in rows]
    assert families == [r["family"] for r in s.table]
    best = [tr for tr in rows if "background" in (tr.get("style") or "")]
    assert len(best) == 1 and "".join(best[0][1].itertext()) == s.best
    for r in s.table:
        assert f"{r['aic']:.6f}" in text and f"{r['ks']:.4g}" in text
    assert set(_badges(root)) == {"converged"}
    assert "CvM" in text and "AIC" in text
    assert _pictures(root)[0].startswith(PNG)


def test_comparison_stability_and_reprs():
    c = gradmle.compare(X, ["fisher", "newton", "gradient"], init={"mu": -1.0, "sigma": 0.1})
    root, text = _parse(c)
    assert _badges(root) == [r.status for r in c.results.values()]
    assert _pictures(root)[0].startswith(PNG)
    st = gradmle.stability(X, method="gradient")
    _, text = _parse(st)
    assert f"gamma < {st.bound:.6g}" in text and math.isclose(st.bound, np.var(X), rel_tol=1e-12)
    fit = gradmle.fit(X)
    objs = [fit, c, st, fit.profile("sigma", points=0), c["gradient"].diagnosis,
            c["gradient"].diagnosis.remedies[0], gradmle.select(X, families=["normal", "logistic"])]
    for o in objs:
        text = repr(o)
        assert text.startswith(f"<{type(o).__name__} ") and text.endswith(">") and "\n" not in text
        assert len(text) < 250 and "array(" not in text


def test_the_display_goes_on_without_its_picture(monkeypatch):
    import sys

    import gradmle.plot

    def broken(*args, **kwargs):
        raise RuntimeError("no picture")

    monkeypatch.setattr(gradmle.plot, "trajectories", broken)
    r = gradmle.fit(X, method="fisher", init={"mu": 0.0, "sigma": 3.0})
    root, text = _parse(r)
    assert _pictures(root) == [] and "converged" in _badges(root)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # as if matplotlib were not installed
    root, _ = _parse(gradmle.fit(RNG.gamma(2.0, 1.0, 200), family="gamma"))
    assert _pictures(root) == []


@pytest.mark.parametrize("value, shown", [(None, "-"), (math.inf, "inf"), (math.nan, "nan"), (1.0 / 3, "0.3333333333")])
def test_numbers_are_shown_as_the_tables_write_them(value, shown):
    assert display.number(value) == shown


def test_a_selection_gives_each_reason_once_for_the_candidates_it_skipped():
    counts = RNG.poisson(3.0, 300)
    s = gradmle.select(counts, families=["poisson", "nbinom", "exponential", "lognormal"])
    root, text = _parse(s)
    assert s.best in ("poisson", "nbinom") and "chi2" in text
    skipped = [r for r in s.table if r["status"] == "skipped"]
    assert {r["family"] for r in skipped} == {"exponential", "lognormal"}
    assert len({r["message"] for r in skipped}) == 1
    (item,) = [li for li in root.iter("li")]
    assert "".join(item.itertext()) == f"exponential, lognormal: skipped: {skipped[0]['message']}"
    assert _badges(root).count("skipped") == 2
