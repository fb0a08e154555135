"""Profile-likelihood (likelihood-ratio) confidence intervals: against the closed forms
where there are some (the exponential's scale, censored or not; the Normal's mu; a
regression coefficient of a Model), the shape of a family without one, an end at the
edge of the parameter space, and the refusals."""

import json
import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import chi2

import gradmle

C95 = chi2.ppf(0.95, 1)


def _exponential_roots(theta_hat: float, d: float, c: float = C95):
    """The two roots in theta of 2 d (r - 1 - log r) = c, r = theta_hat / theta."""
    def f(theta):
        r = theta_hat / theta
        return 2.0 * d * (r - 1.0 - math.log(r)) - c
    return (brentq(f, theta_hat * 1e-6, theta_hat, xtol=1e-15, rtol=1e-15),
            brentq(f, theta_hat, theta_hat * 1e6, xtol=1e-15, rtol=1e-15))


def _censored_sample(seed=1, n=60):
    rng = np.random.default_rng(seed)
    t, c = rng.exponential(2.0, n), rng.exponential(3.0, n)
    return np.minimum(t, c), (t <= c).astype(int)


@pytest.mark.parametrize("case", ["right-censored", "uncensored", "weighted"])
def test_the_exponential_scale_matches_the_likelihood_ratio_equation(case):
    x, event = _censored_sample()
    weights = None
    if case == "uncensored":
        event = None
    if case == "weighted":
        weights = np.random.default_rng(2).integers(1, 4, x.size)
    r = gradmle.fit(x, family="exponential", event=event, weights=weights)
    assert r.converged
    w = np.ones(x.size) if weights is None else weights
    d = float(np.sum(w * (1 if event is None else event)))  # the observed failures
    theta_hat = float(np.sum(w * x)) / d
    lo, hi = _exponential_roots(theta_hat, d)
    p = r.profile("scale")
    assert p.lower.kind == p.upper.kind == "profile"
    assert p.lower.value == pytest.approx(lo, rel=1e-8) and p.upper.value == pytest.approx(hi, rel=1e-8)
    assert r.conf_int(method="profile")["scale"] == (p.lower.value, p.upper.value)
    assert p.lower.value < r.params["scale"] < p.upper.value


@pytest.mark.parametrize("level", [0.95, 0.8])
def test_the_normal_mean_matches_its_closed_form(level):
    y = np.random.default_rng(3).normal(3.0, 2.0, 40)
    r = gradmle.fit(y)
    n, mu_hat, sigma_hat = y.size, y.mean(), y.std()
    # The profile of mu is -n/2 log(sigma_hat^2 + (mu - mu_hat)^2) + const.
    half = sigma_hat * math.sqrt(math.exp(chi2.ppf(level, 1) / n) - 1.0)
    p = r.profile("mu", level=level)
    assert p.lower.value == pytest.approx(mu_hat - half, rel=1e-8)
    assert p.upper.value == pytest.approx(mu_hat + half, rel=1e-8)
    # The curve itself, at every point computed.
    expected = -0.5 * n * np.log(sigma_hat**2 + (p.values - mu_hat) ** 2)
    shift = p.loglik - (-0.5 * n * math.log(sigma_hat**2))
    assert p.logliks == pytest.approx(expected + shift, rel=1e-10)
    assert len(p.values) >= 21 and p.values.min() < p.lower.value and p.values.max() > p.upper.value


@pytest.mark.parametrize("family, shape", [("gamma", "a"), ("weibull", "c")])
def test_a_shape_interval_is_skewed_right_and_its_ends_are_on_the_cut(family, shape):
    x = np.random.default_rng(4).gamma(2.0, 3.0, 60)
    r = gradmle.fit(x, family=family)
    p = r.profile(shape, points=0)
    lo, hi = p.interval
    est = r.params[shape]
    assert lo < est < hi
    assert hi - est > est - lo  # a positive shape: the likelihood falls more slowly upwards
    wald = r.conf_int()[shape]
    assert lo > wald[0] and hi > wald[1]
    for end in (lo, hi):  # an independent fit with the shape held at the end
        held = gradmle.fit(x, family=family, fixed={shape: end})
        assert abs(held.loglik * held.n - p.cut) < 1e-8


def test_a_scale_under_heavy_censoring_reaches_the_edge():
    # Two failures among twenty: the Weibull's scale is bounded below, not above.
    x = np.random.default_rng(2).exponential(2.0, 20)
    r = gradmle.fit(x, family="weibull", event=np.r_[np.ones(2, int), np.zeros(18, int)])
    p = r.profile("scale", points=0)
    assert p.lower.kind == "profile" and 0 < p.lower.value < r.params["scale"]
    assert p.upper == (math.inf, "edge", p.upper.note) and "the farthest point examined" in p.upper.note
    above = p.values > r.params["scale"]
    assert p.values.max() > 1e4 * r.params["scale"] and np.all(p.logliks[above] > p.cut)


def test_an_end_that_never_falls_to_the_cut_is_the_edge():
    # A Student-t on data near the Normal: the profile of df stays above the cut as df
    # runs to infinity (the Normal limit is within 1.92 of the maximum).
    x = np.random.default_rng(0).standard_t(12, 150)
    r = gradmle.fit(x, family="student_t")
    assert r.converged
    p = r.profile("df", points=0)
    assert p.lower.kind == "profile" and 0 < p.lower.value < r.params["df"]
    assert p.upper.kind == "edge" and p.upper.value == math.inf
    assert "edge of the parameter space" in p.upper.note and "\n" not in p.upper.note
    normal = gradmle.fit(x)
    assert normal.loglik * normal.n > p.cut  # why: the limit is inside the interval
    assert r.conf_int(method="profile")["df"] == (p.lower.value, math.inf)
    text = r.summary(intervals="profile")
    assert "inf]" in text and p.upper.note in text
    d = p.to_dict()
    assert d["upper"] == {"value": None, "end": "edge", "note": p.upper.note}
    json.dumps(d, allow_nan=False)


def test_a_model_profiles_an_element_of_a_vector():
    pytest.importorskip("jax")
    import jax.scipy.stats as jss

    rng = np.random.default_rng(5)
    n = 200
    x1, x2 = rng.normal(size=n), rng.uniform(-1, 1, n)
    y = 1.0 - 2.0 * x1 + 0.5 * x2 + rng.normal(0, 0.7, n)

    def linear(d, beta, sigma):
        return jss.norm.logpdf(d["y"], beta[0] + beta[1] * d["x1"] + beta[2] * d["x2"], sigma)

    model = gradmle.Model(linear, {"beta": ("real", 3), "sigma": "positive"})
    r = gradmle.fit({"y": y, "x1": x1, "x2": x2}, family=model, init={"beta": [0, 0, 0], "sigma": 1.0})
    p = r.profile("beta[1]", points=0)
    # The profile of a coefficient: -n/2 log RSS(b1), RSS(b1) = RSS + (b1 - b1_hat)^2 / [(X'X)^-1]_11.
    a = np.column_stack([np.ones(n), x1, x2])
    coef, rss, *_ = np.linalg.lstsq(a, y, rcond=None)
    half = math.sqrt(rss[0] * (math.exp(C95 / n) - 1.0) * np.linalg.inv(a.T @ a)[1, 1])
    assert p.lower.value == pytest.approx(coef[1] - half, rel=1e-8)
    assert p.upper.value == pytest.approx(coef[1] + half, rel=1e-8)


def test_one_parameter_with_the_other_held_fixed():
    y = np.random.default_rng(6).normal(1.0, 2.0, 30)
    r = gradmle.fit(y, fixed={"sigma": 2.0})
    # The log-likelihood of mu alone is a parabola: the interval is exactly Wald's.
    lo, hi = r.profile("mu", points=0).interval
    half = 1.959963984540054 * 2.0 / math.sqrt(y.size)
    assert lo == pytest.approx(y.mean() - half, rel=1e-10) and hi == pytest.approx(y.mean() + half, rel=1e-10)
    assert r.conf_int(method="profile") == {"mu": (lo, hi), "sigma": None}


def test_refusals_are_one_line():
    y = np.random.default_rng(7).normal(1.0, 2.0, 30)
    held = gradmle.fit(y, fixed={"sigma": 2.0})
    stopped = gradmle.fit(y, method="gradient", step=0.01, init={"mu": 0.0, "sigma": 1.0}, max_iter=3)
    ok = gradmle.fit(y)
    cases = [
        (lambda: held.profile("sigma"), "held fixed"),
        (lambda: stopped.profile("mu"), "did not converge"),
        (lambda: ok.profile("tau"), "unknown parameter 'tau'"),
        (lambda: ok.profile("mu", level=1.5), "level"),
        (lambda: ok.profile("sigma", points=[-1.0]), "sigma must be > 0"),
        (lambda: ok.conf_int(method="bootstrap"), "unknown method"),
        (lambda: ok.summary(intervals="exact"), "unknown intervals"),
    ]
    for call, words in cases:
        with pytest.raises(ValueError) as info:
            call()
        assert words in str(info.value) and "\n" not in str(info.value)
    assert stopped.conf_int(method="profile") is None


def test_summary_json_and_picture(tmp_path):
    y = np.random.default_rng(8).normal(1.0, 2.0, 50)
    r = gradmle.fit(y)
    assert "95% confidence intervals: Wald (estimate +- 1.96 standard errors)" in r.summary()
    text = r.summary(intervals="profile")
    assert "95% confidence intervals: profile likelihood" in text
    lo, hi = r.conf_int(method="profile")["sigma"]
    assert f"[{lo:.6g}, {hi:.6g}]" in text
    assert "conf_int" not in r.to_dict()
    d = r.to_dict(trace=False, intervals="profile")["conf_int"]
    assert d["method"] == "profile" and d["intervals"]["sigma"]["lower"] == lo
    assert r.to_dict(trace=False, intervals="wald")["conf_int"]["intervals"]["mu"]["upper"] == r.conf_int()["mu"][1]
    p = r.profile("sigma", points=9)
    fig = p.plot(tmp_path / "profile.png")
    assert (tmp_path / "profile.png").stat().st_size > 0 and fig.axes[0].get_xlabel() == "sigma"
    assert str(p).startswith("0.95 profile-likelihood interval for sigma")


def test_command_line_prints_profile_intervals(cli, tmp_path):
    x = np.random.default_rng(9).weibull(1.5, 40) * 2.0
    path = tmp_path / "x.txt"
    np.savetxt(path, x)
    r = gradmle.fit(x, family="weibull")
    out = cli("fit", path, "--family", "weibull", "--intervals", "profile", "--quiet")
    assert out.returncode == 0, out.stderr
    lo, hi = r.conf_int(method="profile")["c"]
    assert f"[{lo:.6g}, {hi:.6g}]" in out.stdout and "profile likelihood" in out.stdout
    plain = cli("fit", path, "--family", "weibull", "--json", "--quiet")
    assert "conf_int" not in json.loads(plain.stdout)
    asked = json.loads(cli("fit", path, "--family", "weibull", "--json", "--intervals", "profile", "--quiet").stdout)
    assert asked["conf_int"]["intervals"]["c"]["lower"] == pytest.approx(lo, rel=1e-12)
    bad = cli("fit", path, "--intervals", "exact", "--quiet")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--intervals" in bad.stderr
