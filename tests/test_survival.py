"""The nonparametric survival estimates against lifelines' KaplanMeierFitter (ties,
late entry, frequency weights), Turnbull's estimate for left- and interval-censored
data, and the pictures of censored fits: files that decode and are not blank, and a
probability plot whose points lie on the fitted line."""

import warnings

import matplotlib.image
import numpy as np
import pytest
import scipy.stats as st

import gradmle
from gradmle import plot, survival_plot
from gradmle.survival import plotting_positions

lifelines = pytest.importorskip("lifelines")


def _lifelines(t, e, entry=None, weights=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lifelines.KaplanMeierFitter().fit(t, e, entry=entry, weights=weights)


def _sample(seed, n=300):
    rng = np.random.default_rng(seed)
    t = np.round(rng.weibull(1.3, n) * 10)  # rounded: many ties, some at 0
    e = (rng.random(n) < 0.7).astype(float)
    entry = np.floor(rng.random(n) * t * 0.8)
    w = rng.integers(1, 5, n).astype(float)
    return t, e, entry, w


CASES = {
    "ties": lambda t, e, entry, w: (t, e, None, None),
    "late entry": lambda t, e, entry, w: (t, e, entry, None),
    "weights": lambda t, e, entry, w: (t, e, None, w),
    "late entry and weights": lambda t, e, entry, w: (t, e, entry, w),
    "continuous": lambda t, e, entry, w: (t + np.linspace(0.01, 0.99, t.size), e, None, None),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [1, 2])
def test_kaplan_meier_agrees_with_lifelines(case, seed):
    t, e, entry, w = CASES[case](*_sample(seed))
    theirs = _lifelines(t, e, entry, w)
    ours = gradmle.kaplan_meier(t, event=e, entry=entry, weights=w)
    at = theirs.survival_function_.index.values
    np.testing.assert_allclose(ours(at), theirs.survival_function_.values[:, 0], rtol=0, atol=1e-10)
    lo, hi = ours.band(at)
    ci = theirs.confidence_interval_.values
    np.testing.assert_allclose(lo, ci[:, 0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(hi, ci[:, 1], rtol=0, atol=1e-10)
    table = theirs.event_table.loc[ours.times]
    np.testing.assert_array_equal(ours.events, table["observed"].values)
    # lifelines' at_risk counts those entering at t, who are at risk only after it
    entering = table["entrance"].values.copy()
    entering[0] = 0 if table.index[0] == theirs.event_table.index[0] else entering[0]
    np.testing.assert_array_equal(ours.at_risk, table["at_risk"].values - entering)


def test_kaplan_meier_without_censoring_is_the_empirical_survival_function():
    x = np.array([3.0, 1.0, 2.0, 2.0, 5.0])
    km = gradmle.kaplan_meier(x)
    np.testing.assert_allclose(km.survival, [0.8, 0.4, 0.2, 0.0])
    np.testing.assert_array_equal(km.at_risk, [5, 4, 2, 1])
    assert km.lower[-1] == km.upper[-1] == 0.0 and np.all(km.lower <= km.survival) and np.all(km.survival <= km.upper)


def test_a_censored_fit_and_censored_data_give_the_same_estimate():
    t, e, _, w = _sample(3)
    t = t + 0.5
    r = gradmle.fit(t, family="weibull", event=e, weights=w)
    a, b = gradmle.kaplan_meier(r), gradmle.kaplan_meier(t, event=e, weights=w)
    np.testing.assert_array_equal(a.survival, b.survival)
    cd = st.CensoredData(uncensored=t[e == 1], right=t[e == 0])
    np.testing.assert_allclose(gradmle.kaplan_meier(cd)(b.times), gradmle.kaplan_meier(t, event=e)(b.times))


def _turnbull_sample(seed, n=150):
    rng = np.random.default_rng(seed)
    t = rng.weibull(1.3, n) * 10
    lo, hi = t * rng.uniform(0.5, 1, n), t * rng.uniform(1, 1.6, n)
    exact = rng.random(n) < 0.3
    hi[(rng.random(n) < 0.2) & ~exact] = np.inf
    return t, exact, lo, hi


def _npmle_loglik(mass, starts, ends, t, exact, lo, hi):
    """sum log P(value's interval) of masses on [starts, ends] (open at the left but for points)."""
    a = np.where(exact[:, None], (starts[None, :] == t[:, None]) & (ends[None, :] == t[:, None]),
                 (lo[:, None] <= starts[None, :]) & (ends[None, :] <= hi[:, None]))
    return float(np.log(a @ mass).sum())


def test_turnbull_is_the_npmle_and_at_least_as_likely_as_lifelines():
    t, exact, lo, hi = _turnbull_sample(4)
    cd = st.CensoredData(uncensored=t[exact], interval=np.column_stack([lo[~exact], hi[~exact]]))
    est = gradmle.kaplan_meier(cd)
    assert est.method == "turnbull" and est.lower is None
    mass = est.events / est.events.sum()
    ours = _npmle_loglik(mass, est.starts, est.times, t, exact, lo, hi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = lifelines.KaplanMeierFitter().fit_interval_censoring(np.where(exact, t, lo), np.where(exact, t, hi))
    sf = theirs.survival_function_
    idx, s_left = sf.index.values, sf.values[:, 0]

    def s_before(x):  # lifelines' row at x is S just before x
        k = np.searchsorted(idx, x, side="left")
        return np.concatenate([s_left, s_left[-1:]])[k]

    their_mass = s_before(est.starts) - s_before(np.nextafter(est.times, np.inf))
    their_mass = np.maximum(their_mass, 0) / np.maximum(their_mass, 0).sum()
    assert ours >= _npmle_loglik(their_mass, est.starts, est.times, t, exact, lo, hi) - 1e-9
    # and they agree where S is determined
    outside = ~((idx[:, None] > est.starts) & (idx[:, None] <= est.times)).any(axis=1)
    assert np.abs(est(np.nextafter(idx, -np.inf)) - s_left)[outside].max() < 2e-3


def test_turnbull_with_one_left_censored_value_below_the_rest_is_kaplan_meier():
    t, e, _, _ = _sample(5, 80)
    t = t + 1.0
    cd = st.CensoredData(uncensored=np.append(t[e == 1], []), right=t[e == 0], left=[0.5])
    est = gradmle.kaplan_meier(cd)
    km = gradmle.kaplan_meier(np.append(t, 0.5), event=np.append(e, 1.0))
    assert est.method == "turnbull"
    np.testing.assert_allclose(est(km.times), km.survival, atol=1e-8)


def test_turnbull_refuses_late_entry_in_one_line():
    from gradmle.censoring import censored_table

    table = censored_table(st.CensoredData(uncensored=[1.0, 2, 3, 4], left=[2.5]))
    table.data["entry"] = np.zeros(table.size)
    with pytest.raises(ValueError, match="late entry") as info:
        gradmle.kaplan_meier(table)
    assert "\n" not in str(info.value)


# -- pictures ------------------------------------------------------------------------------------

def _censored_weibull(n, seed=0, c=1.5, scale=3.0):
    rng = np.random.default_rng(seed)
    t = scale * rng.weibull(c, n)
    cut = rng.uniform(0, 2 * scale, n)
    return np.minimum(t, cut), (t <= cut).astype(float)


def _not_blank(path):
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0.05  # more than a flat background


@pytest.mark.parametrize("family", ["weibull", "lognormal", "exponential", "gamma"])
def test_the_survival_pictures_write_pngs_that_decode(family, tmp_path):
    x, e = _censored_weibull(200)
    r = gradmle.fit(x, family=family, event=e)
    for kind in ("survival", "probability", "both"):
        survival_plot.survival_figure(r, tmp_path / f"{kind}.png", kind=kind)
        _not_blank(tmp_path / f"{kind}.png")


def test_the_picture_of_a_censored_fit_has_the_survival_panels(tmp_path):
    x, e = _censored_weibull(150)
    r = gradmle.fit(x, family="weibull", event=e)
    plot.fit_figure(r, tmp_path / "fit.png")
    img = matplotlib.image.imread(tmp_path / "fit.png")
    plain = gradmle.fit(x, family="weibull")
    plot.fit_figure(plain, tmp_path / "plain.png")
    _not_blank(tmp_path / "fit.png")
    assert img.shape[0] > 1.6 * matplotlib.image.imread(tmp_path / "plain.png").shape[0]  # a second row


def test_interval_censored_data_are_drawn_over_turnbulls_estimate(tmp_path):
    t, exact, lo, hi = _turnbull_sample(6)
    cd = st.CensoredData(uncensored=t[exact], interval=np.column_stack([lo[~exact], hi[~exact]]))
    r = gradmle.fit(cd, family="weibull")
    survival_plot.survival_figure(r, tmp_path / "t.png")
    _not_blank(tmp_path / "t.png")


def test_uncensored_fits_have_no_survival_picture(tmp_path):
    r = gradmle.fit(np.arange(1.0, 20.0), family="weibull")
    with pytest.raises(ValueError, match="censored"):
        survival_plot.survival_figure(r, tmp_path / "x.png")
    with pytest.raises(ValueError, match="kind"):
        survival_plot.survival_figure(r, tmp_path / "x.png", kind="hazard")


def test_weibull_paper_points_of_a_large_sample_lie_on_the_fitted_line():
    x, e = _censored_weibull(20_000, seed=7, c=1.7, scale=2.0)
    r = gradmle.fit(x, family="weibull", event=e)
    paper = survival_plot.probability_paper(r)
    assert paper.name == "Weibull"
    c, scale = r.params["c"], r.params["scale"]
    # the line is c (log t - log scale)
    np.testing.assert_allclose(paper.line_y, c * (paper.line_x - np.log(scale)), rtol=1e-9, atol=1e-9)
    # every point with F between 1% and 99% within 0.1 of it on the log(-log S) scale
    f = 1 - np.exp(-np.exp(paper.y))
    mid = (f > 0.01) & (f < 0.99)
    assert mid.sum() > 5000
    gap = paper.y[mid] - c * (paper.x[mid] - np.log(scale))
    assert np.abs(gap).max() < 0.1 and abs(gap.mean()) < 0.01


@pytest.mark.parametrize("family, paper", [("lognormal", "lognormal"), ("normal", "normal"),
                                           ("exponential", "exponential"), ("gamma", "P-P")])
def test_each_family_has_its_paper(family, paper):
    x, e = _censored_weibull(3000, seed=8, c=1.0)
    r = gradmle.fit(x + (1.0 if family == "normal" else 0.0), family=family, event=e)
    p = survival_plot.probability_paper(r)
    assert p.name == paper and np.all(np.isfinite(p.x)) and np.all(np.isfinite(p.y))
    if family == "exponential":  # the fit is right: the points follow the line
        line = np.interp(p.x, p.line_x, p.line_y)
        mid = (p.y > 0.05) & (p.y < 1.5)
        assert np.abs(p.y[mid] - line[mid]).max() < 0.1


def test_plotting_positions_are_the_midpoints_of_the_steps():
    km = gradmle.kaplan_meier([1.0, 2.0, 3.0, 4.0], event=[1, 0, 1, 1])
    t, f = plotting_positions(km)
    np.testing.assert_array_equal(t, [1.0, 3.0, 4.0])
    # S: 0.75, 0.75, 0.375, 0
    np.testing.assert_allclose(f, [0.125, 1 - (0.75 + 0.375) / 2, 1 - 0.375 / 2])


def test_survival_estimate_repr_is_one_line():
    rng = np.random.default_rng(1)
    t = rng.weibull(1.5, 300)
    km = gradmle.kaplan_meier(t, event=rng.random(300) < 0.7)
    text = repr(km)
    assert "\n" not in text and len(text) < 120
    assert f"{km.times.size} times" in text and f"{int(km.events.sum())} events" in text
