"""Large censored tables summed as Gauss points of cells (gradmle.condense): the rules
are exact for polynomials within each cell, exact for cells of few distinct values,
and a censored fit through them lands where the row-by-row fit does."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

import gradmle
import gradmle.censoring as cz
from gradmle.condense import POINTS, gauss_cells


def _sums(u, w, f):
    return float((w * f(u)).sum())


@pytest.mark.parametrize("seed", range(3))
def test_rules_sum_polynomials_exactly(seed):
    rng = np.random.default_rng(seed)
    u = rng.normal(0.0, 2.0, 50_000)
    w = rng.uniform(0.0, 3.0, u.size)
    fine_u, fine_w, _, coarse_u, coarse_w, _ = gauss_cells(u, w, 0.1)
    assert fine_u.size < u.size / 10
    assert abs(fine_w.sum() - w.sum()) < 1e-12 * w.sum()
    for degree in range(2 * POINTS):
        def f(v, d=degree):
            return (v - 0.3) ** d
        exact = _sums(u, w, f)
        assert _sums(fine_u, fine_w, f) == pytest.approx(exact, rel=1e-11, abs=1e-9)
        if degree < 2 * POINTS - 2:
            assert _sums(coarse_u, coarse_w, f) == pytest.approx(exact, rel=1e-11, abs=1e-9)
    # a smooth function that is no polynomial: close, and the coarse rule less so
    exact = _sums(u, w, np.exp)
    fine_err = abs(_sums(fine_u, fine_w, np.exp) - exact) / exact
    coarse_err = abs(_sums(coarse_u, coarse_w, np.exp) - exact) / exact
    assert fine_err < 1e-14 and coarse_err < 1e-9


def test_cells_of_few_values_are_kept_exactly():
    """Ties (every unit censored at the end of the test) and cells of one to three
    values are represented by those values themselves: exact for any function."""
    rng = np.random.default_rng(4)
    u = np.concatenate([np.full(30_000, 2.5), np.repeat([0.1, 0.1003], 5000), rng.uniform(-3, 3, 40), [7.0, 7.001, 7.002]])
    w = np.ones(u.size)
    fine_u, fine_w, *_ = gauss_cells(u, w, 0.05)
    for f in (np.exp, np.sin, lambda v: np.exp(10 * v)):
        assert _sums(fine_u, fine_w, f) == pytest.approx(_sums(u, w, f), rel=1e-13)
    assert np.all((fine_u >= u.min()) & (fine_u <= u.max()))


def test_too_spread_out_to_pay():
    u = np.linspace(0.0, 1e4, 5000)
    assert gauss_cells(u, np.ones(u.size), 0.01) is None


def _data(family, n, rng):
    dist = {"weibull": st.weibull_min(1.5, 0, 3), "gamma": st.gamma(2.5, 0, 3), "lognormal": st.lognorm(0.7, 0, 1.6),
            "normal": st.norm(2, 3), "logistic": st.logistic(1, 2)}[family]
    t = dist.rvs(size=n, random_state=rng)
    positive = family in ("weibull", "gamma", "lognormal")
    c = np.quantile(t, 0.75) * rng.uniform(0.3, 1.8, n) if positive else np.quantile(t, 0.75) + rng.normal(0, 1, n)
    x = np.minimum(t, c)
    kinds = rng.choice(4, n, p=[0.5, 0.3, 0.1, 0.1])  # observed, right, left, interval
    left = kinds == 2
    lo = np.where(kinds == 3, x - np.abs(x) * 0.2 - 0.1, x)
    hi = np.where(kinds == 3, x + 0.5, x)
    if positive:
        lo = np.where(kinds == 3, x * 0.8, lo)
    data = st.CensoredData(uncensored=x[kinds == 0], right=x[kinds == 1], left=t[left] + 0.2,
                           interval=np.column_stack([lo[kinds == 3], hi[kinds == 3]]))
    return data, rng.integers(0, 4, data.num_censored() + data._uncensored.size).astype(float)


@pytest.mark.parametrize("family", ["weibull", "gamma", "lognormal", "normal", "logistic"])
def test_condensed_fit_equals_row_by_row(family, monkeypatch):
    """Observed, right-, left- and interval-censored values with weights: the fit through
    the Gauss points and the fit row by row agree to 1e-10 standard errors, their
    log-likelihoods to 1e-12."""
    rng = np.random.default_rng(7)
    n = 25_000 if family == "gamma" else 60_000
    data, w = _data(family, n, rng)
    r = gradmle.fit(data, family=family, weights=w)
    assert r.converged, r.message
    assert "Gauss points" in r.info["condensed"]
    monkeypatch.setattr(cz, "CONDENSE_ROWS", 10**12)
    e = gradmle.fit(data, family=family, weights=w)
    assert "condensed" not in e.info
    for k in e.params:
        assert abs(r.params[k] - e.params[k]) < 1e-10 * e.stderr[k], k
    assert r.loglik == pytest.approx(e.loglik, rel=1e-12)


def test_late_entries_and_weights_condensed(monkeypatch):
    rng = np.random.default_rng(8)
    n = 80_000
    t = 3.0 * rng.weibull(1.5, n)
    c = 4.0 * rng.uniform(0.3, 1.8, n)
    x, event = np.minimum(t, c), t <= c
    entry = np.where(rng.random(n) < 0.3, x * rng.random(n), 0.0)
    r = gradmle.fit(x, family="weibull", event=event, entry=entry)
    monkeypatch.setattr(cz, "CONDENSE_ROWS", 10**12)
    e = gradmle.fit(x, family="weibull", event=event, entry=entry)
    for k in e.params:
        assert abs(r.params[k] - e.params[k]) < 1e-10 * e.stderr[k]


def test_cells_halved_where_the_rules_disagree(monkeypatch):
    """Cells far too wide for the distribution: the check at the first evaluation
    finds the two rules apart and the cells are halved until they agree (or the table
    is summed row by row); the answer is the row-by-row one."""
    rng = np.random.default_rng(9)
    t = 3.0 * rng.weibull(8.0, 40_000)
    x, event = np.minimum(t, 3.2), t <= 3.2
    monkeypatch.setattr(cz, "CELL_WIDTH", 0.6)
    halved = gradmle.fit(x, family="weibull", event=event)
    assert "0.15 standard deviations" in halved.info["condensed"]  # halved twice
    monkeypatch.setattr(cz, "CELL_WIDTH", 3.0)
    rows = gradmle.fit(x, family="weibull", event=event)
    assert "condensed" not in rows.info  # halved three times, then row by row
    monkeypatch.setattr(cz, "CONDENSE_ROWS", 10**12)
    e = gradmle.fit(x, family="weibull", event=event)
    for r in (halved, rows):
        for k in e.params:
            assert abs(r.params[k] - e.params[k]) < 1e-9 * e.stderr[k]


def test_truncated_and_condensed(monkeypatch):
    x = np.random.default_rng(10).normal(1.0, 2.0, 90_000)
    x = x[(x > -0.5) & (x < 3.0)]
    r = gradmle.fit(x, family="normal", truncation=(-0.5, 3.0))
    assert "Gauss points" in r.info["condensed"]
    monkeypatch.setattr(cz, "CONDENSE_ROWS", 10**12)
    e = gradmle.fit(x, family="normal", truncation=(-0.5, 3.0))
    for k in e.params:
        assert abs(r.params[k] - e.params[k]) < 1e-10 * e.stderr[k]
    assert r.loglik == pytest.approx(e.loglik, rel=1e-12)


PLAIN = {
    "student_t": lambda rng, n: 1.0 + 2.0 * rng.standard_t(4.0, n),
    "logistic": lambda rng, n: rng.logistic(1.0, 2.0, n),
    "gumbel_r": lambda rng, n: rng.gumbel(1.0, 2.0, n),
    "genextreme": lambda rng, n: st.genextreme(-0.1, 2.0, 3.0).rvs(size=n, random_state=rng),
    "genpareto": lambda rng, n: st.genpareto(-0.3, 0.0, 2.0).rvs(size=n, random_state=rng),
    "fisk": lambda rng, n: st.fisk(3.0, 0.0, 2.0).rvs(size=n, random_state=rng),
}


@pytest.mark.parametrize("family", sorted(PLAIN))
@pytest.mark.parametrize("weighted", [False, True])
def test_families_without_sufficient_statistics_condensed(family, weighted, monkeypatch):
    """A large sample of a family that reads its data at every evaluation is summed as
    Gauss points of cells: the same fit as value by value, to 1e-9 standard errors."""
    import gradmle.condense as cd

    rng = np.random.default_rng(11)
    x = PLAIN[family](rng, 60_000)
    w = rng.integers(1, 4, x.size).astype(float) if weighted else None
    r = gradmle.fit(x, family=family, weights=w)
    assert r.converged, r.message
    assert "Gauss points" in r.info["condensed"]
    monkeypatch.setattr(cd, "CONDENSE_ROWS", 10**12)
    e = gradmle.fit(x, family=family, weights=w)
    assert "condensed" not in e.info
    for k in e.params:
        assert abs(r.params[k] - e.params[k]) < 1e-9 * e.stderr[k], k
    assert r.loglik == pytest.approx(e.loglik, rel=1e-12)


def test_far_outliers_do_not_widen_the_cells(monkeypatch):
    """Two values at +-1e6 among N(0, 1) values: the cells' width follows the bulk's
    spread (not the standard deviation the outliers inflate), and every evaluation is
    checked, so the fit is the value-by-value one (here: the values themselves, the
    cells being too many to pay)."""
    import gradmle.condense as cd

    rng = np.random.default_rng(42)
    x = np.concatenate([rng.normal(0.0, 1.0, 50_000), [1e6, -1e6]])
    assert cd.spread(x) == pytest.approx(1.0, rel=0.05)
    r = gradmle.fit(x, family="student_t")
    assert r.converged
    monkeypatch.setattr(cd, "CONDENSE_ROWS", 10**12)
    e = gradmle.fit(x, family="student_t")
    for k in e.params:
        assert abs(r.params[k] - e.params[k]) < 1e-9 * e.stderr[k]
