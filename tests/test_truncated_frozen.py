"""result.frozen() of a fit to truncated data is the distribution the data were drawn
from: the parent restricted to the window (checked against scipy's own truncated
distributions, also far in a tail), and the pictures compare the data with it."""

import numpy as np
import pytest
import scipy.stats as st

import gradmle
from gradmle.survival_plot import probability_paper
from gradmle.truncated import TruncatedFrozen

GRID_Q = np.array([1e-9, 1e-4, 0.01, 0.25, 0.5, 0.75, 0.99, 1 - 1e-6])


@pytest.mark.parametrize("lo, hi", [(-1.0, 2.5), (0.3, np.inf), (-np.inf, -0.7), (8.0, 9.0), (-9.0, -8.5)])
def test_equals_scipys_truncnorm(lo, hi):
    mu, s = 0.0, 1.0
    mine = TruncatedFrozen(st.norm(mu, s), lo, hi)
    ref = st.truncnorm((lo - mu) / s, (hi - mu) / s, loc=mu, scale=s)
    a, b = max(lo, -12.0), min(hi, 12.0)
    x = np.linspace(a, b, 41)[1:-1]
    np.testing.assert_allclose(mine.pdf(x), ref.pdf(x), rtol=1e-9)
    np.testing.assert_allclose(mine.logpdf(x), ref.logpdf(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mine.cdf(x), ref.cdf(x), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(mine.sf(x), ref.sf(x), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(mine.ppf(GRID_Q), ref.ppf(GRID_Q), rtol=1e-9)
    assert mine.support() == (lo, hi)
    assert mine.pdf(lo - 1) == 0 and mine.cdf(lo) == 0 and mine.sf(hi) == 0 and mine.logpdf(hi + 1) == -np.inf


def test_a_window_far_in_the_upper_tail_keeps_its_digits():
    """P(8 < X <= 9) is 6e-16: a cdf difference would be all rounding."""
    mine = TruncatedFrozen(st.norm(), 8.0, 9.0)
    ref = st.truncnorm(8.0, 9.0)
    assert mine.mass == pytest.approx(st.norm.sf(8.0) - st.norm.sf(9.0), rel=1e-12)
    np.testing.assert_allclose(mine.cdf([8.1, 8.5]), ref.cdf([8.1, 8.5]), rtol=1e-9)


def test_an_empty_window_is_refused():
    with pytest.raises(ValueError, match="no probability on the truncation window"):
        TruncatedFrozen(st.norm(), 50.0, 60.0)


@pytest.fixture(scope="module")
def truncated_fit():
    x = 2.0 * np.random.default_rng(0).weibull(1.5, 4000)
    x = x[x > 1.0][:800]
    r = gradmle.fit(x, family="weibull", truncation=1.0)
    r.values = x
    return r


def test_frozen_of_a_truncated_fit(truncated_fit):
    r = truncated_fit
    f, parent = r.frozen(), r.frozen(truncated=False)
    assert isinstance(f, TruncatedFrozen) and (f.lo, f.hi) == (1.0, np.inf)
    ref = st.truncweibull_min(r.params["c"], 1.0 / r.params["scale"], np.inf, scale=r.params["scale"])
    t = np.array([1.2, 2.0, 3.5])
    np.testing.assert_allclose(f.sf(t), ref.sf(t), rtol=1e-9)
    np.testing.assert_allclose(parent.sf(t), st.weibull_min(r.params["c"], scale=r.params["scale"]).sf(t), rtol=1e-14)
    # The total log-likelihood of the fit is the truncated density's, summed.
    assert np.mean(f.logpdf(r.values)) == pytest.approx(r.loglik, rel=1e-10)
    plain = gradmle.fit(np.arange(1.0, 5.0), family="weibull")
    assert not isinstance(plain.frozen(), TruncatedFrozen)


def test_the_probability_plot_compares_the_data_with_the_truncated_fit(truncated_fit):
    """With the parent, the Weibull paper's points would lie far from the line at the
    window's edge (the parent's F is 0.27 there, the data's 0)."""
    p = probability_paper(truncated_fit)
    t = np.exp(p.x)
    data_f = -np.expm1(-np.exp(p.y))  # F from log(-log S)
    assert np.max(np.abs(data_f - truncated_fit.frozen().cdf(t))) < 0.05
    assert np.max(np.abs(data_f - truncated_fit.frozen(truncated=False).cdf(t))) > 0.2
