"""Censored, truncated and weighted data: the fits against scipy.stats' on the same
CensoredData, the uncensored and expanded fits they must equal, the samples with no
maximum named, bad input refused in one line."""

import math
import warnings

import numpy as np
import pytest
import scipy.stats as st

import gradmle
from gradmle.io import DataError

#: family -> (scipy distribution, true parameters as gradmle names them, scipy's fixed
#: arguments, how gradmle's parameters map onto scipy's shapes/loc/scale)
FAMILIES = {
    "normal": (st.norm, {"mu": 1.0, "sigma": 2.0}, {}, lambda p: (p["mu"], p["sigma"])),
    "logistic": (st.logistic, {"loc": 1.0, "scale": 2.0}, {}, lambda p: (p["loc"], p["scale"])),
    "student_t": (st.t, {"df": 4.0, "loc": 1.0, "scale": 2.0}, {}, lambda p: (p["df"], p["loc"], p["scale"])),
    "exponential": (st.expon, {"scale": 2.5}, {"floc": 0}, lambda p: (0.0, p["scale"])),
    "lognormal": (st.lognorm, {"s": 0.7, "scale": 3.0}, {"floc": 0}, lambda p: (p["s"], 0.0, p["scale"])),
    "gamma": (st.gamma, {"a": 2.7, "scale": 3.0}, {"floc": 0}, lambda p: (p["a"], 0.0, p["scale"])),
    "weibull": (st.weibull_min, {"c": 1.7, "scale": 3.0}, {"floc": 0}, lambda p: (p["c"], 0.0, p["scale"])),
    "beta": (st.beta, {"a": 2.5, "b": 1.7}, {"floc": 0, "fscale": 1}, lambda p: (p["a"], p["b"], 0.0, 1.0)),
}
PATTERNS = ("right", "left", "interval", "mixed")
FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9)


def censored_sample(dist, truth, pattern, frac, n, rng):
    """A sample of ``n`` with a fraction ``frac`` censored as ``pattern`` says: right-
    censored below the value, left-censored above it, intervals around it."""
    x = dist.rvs(*truth, size=n, random_state=rng)
    u = rng.random(n)
    kinds = {"right": np.where(u < frac, 1, 0), "left": np.where(u < frac, 2, 0), "interval": np.where(u < frac, 3, 0),
             "mixed": np.select([u < frac / 3, u < 2 * frac / 3, u < frac], [1, 2, 3], 0)}[pattern]
    f = dist(*truth)
    p = f.cdf(x)
    below = f.ppf(p * rng.uniform(0.3, 1.0, n))            # a bound below the value
    above = f.ppf(p + (1 - p) * rng.uniform(0.0, 0.7, n))  # and one above it
    above = np.maximum(above, x)
    ok = below < above
    kinds = np.where((kinds == 3) & ~ok, 0, kinds)
    return st.CensoredData(uncensored=x[kinds == 0], right=below[kinds == 1], left=above[kinds == 2],
                           interval=np.column_stack([below[kinds == 3], above[kinds == 3]]))


def censored_loglik(dist, args, data) -> float:
    d = dist(*args)
    iv = data._interval
    with np.errstate(divide="ignore"):
        return float(d.logpdf(data._uncensored).sum() + d.logsf(data._right).sum() + d.logcdf(data._left).sum()
                     + np.log(d.cdf(iv[:, 1]) - d.cdf(iv[:, 0])).sum())


@pytest.mark.parametrize("name", FAMILIES)
def test_the_loglik_is_at_least_scipys_on_twenty_censored_samples(name):
    dist, truth, floc, args = FAMILIES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    shapes = tuple(args(truth))
    worse = []
    for pattern in PATTERNS:
        for frac in FRACTIONS:
            data = censored_sample(dist, shapes, pattern, frac, 120, rng)
            r = gradmle.fit(data, family=name)
            if r.status == "boundary":  # a t whose df runs to infinity: its Normal limit is the answer
                assert name == "student_t" and r.limit_fit.converged, r.message
                ours = censored_loglik(st.norm, tuple(r.limit_fit.params.values()), data)
                assert ours >= censored_loglik(dist, args(r.params), data) - 1e-9 * abs(ours)
            else:
                assert r.status == "converged", (pattern, frac, r.message)
                ours = censored_loglik(dist, args(r.params), data)
                assert ours == pytest.approx(r.loglik * r.n, rel=1e-10)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = censored_loglik(dist, dist.fit(data, **floc), data)
            if not ours >= theirs - 1e-9 * abs(theirs):
                worse.append((pattern, frac, ours, theirs))
    assert not worse


@pytest.mark.parametrize("name", ["normal", "gamma", "weibull", "student_t", "beta", "lognormal"])
def test_without_censoring_and_with_integer_weights_the_fits_are_the_plain_ones(name):
    dist, truth, _, args = FAMILIES[name]
    rng = np.random.default_rng(7)
    x = np.round(dist.rvs(*args(truth), size=400, random_state=rng), 2)
    x = np.clip(x, 0.01, 0.99) if name == "beta" else (np.maximum(x, 0.01) if dist.a >= 0 else x)
    plain = gradmle.fit(x, family=name, tol=1e-13)
    every = gradmle.fit(x, family=name, event=np.ones(x.size), tol=1e-13)
    scipy_form = gradmle.fit(st.CensoredData(uncensored=x), family=name, tol=1e-13)
    values, counts = np.unique(x, return_counts=True)
    grouped = gradmle.fit(values, family=name, weights=counts, tol=1e-13)
    # weights with censoring information go through the censored table: the same n
    table = gradmle.fit(values, family=name, weights=counts, event=np.ones(values.size), tol=1e-13)
    for r in (every, scipy_form, grouped, table):
        assert r.converged
        for k, v in plain.params.items():
            assert r.params[k] == pytest.approx(v, rel=1e-12), (k, r.params, plain.params)
        assert r.n == plain.n
        assert r.loglik == pytest.approx(plain.loglik, rel=1e-12)
    for k, v in plain.stderr.items():
        assert grouped.stderr[k] == pytest.approx(v, rel=1e-9)
    assert grouped.info["censoring"]["observed"] == x.size and grouped.info["censoring"]["rows"] == values.size


def test_the_counts_are_reported():
    rng = np.random.default_rng(3)
    t, c = 3.0 * rng.weibull(1.5, 300), rng.uniform(0, 6, 300)
    entry = np.where(rng.random(300) < 0.2, 0.05, 0.0)
    entry = np.minimum(entry, np.minimum(t, c))
    r = gradmle.fit(np.minimum(t, c), family="weibull", event=t <= c, entry=entry)
    assert r.converged
    counts = r.info["censoring"]
    assert counts["observed"] == np.sum(t <= c) and counts["right_censored"] == np.sum(t > c)
    assert counts["truncated"] == np.sum(entry > 0)
    assert f"{counts['observed']:.0f} observed, {counts['right_censored']:.0f} right-censored" in r.summary()
    assert r.to_dict()["info"]["censoring"]["rows"] == 300


def test_a_fixed_loc_shifts_the_data_and_the_fitted_distribution():
    rng = np.random.default_rng(8)
    t, c = 3.0 * rng.weibull(1.5, 300), rng.uniform(0, 6, 300)
    x, event = np.minimum(t, c), t <= c
    base = gradmle.fit(x, family="weibull", event=event)
    shifted = gradmle.fit(x + 10.0, family="weibull", event=event, fixed={"loc": 10.0})
    assert shifted.params == pytest.approx(base.params, rel=1e-12)
    assert shifted.frozen().mean() == pytest.approx(base.frozen().mean() + 10.0, rel=1e-12)
    assert shifted.frozen().sf(12.0) == pytest.approx(base.frozen().sf(2.0), rel=1e-12)


def test_left_truncation_is_the_likelihood_given_entry():
    # An exponential is memoryless: entry at e changes nothing for the values above it,
    # and the MLE of the scale is total time at risk over the failures.
    rng = np.random.default_rng(11)
    x = rng.exponential(2.0, 500)
    entry = np.minimum(rng.uniform(0, 1, 500), x)
    event = rng.random(500) < 0.7
    r = gradmle.fit(x, family="exponential", event=event, entry=entry, tol=1e-13)
    assert r.params["scale"] == pytest.approx(np.sum(x - entry) / np.sum(event), rel=1e-12)


def test_far_tails_keep_their_digits():
    # Right-censored 40 standard deviations below: no information (log S = -4e-350), the
    # plain fit; 40 above: a term of log S = -804.6 that scipy's own fit must not beat.
    rng = np.random.default_rng(2)
    x = rng.normal(0.0, 1.0, 200)
    plain = gradmle.fit(x, tol=1e-13)
    low = gradmle.fit(np.append(x, -40.0), family="normal", event=np.append(np.ones(200), 0), tol=1e-13)
    assert low.converged
    for k, v in plain.params.items():
        assert low.params[k] == pytest.approx(v, rel=1e-12, abs=1e-14)
    data = st.CensoredData(uncensored=x, right=[40.0])
    high = gradmle.fit(data, family="normal")
    assert high.converged and math.isfinite(high.loglik)
    ours = censored_loglik(st.norm, tuple(high.params.values()), data)
    assert ours >= censored_loglik(st.norm, st.norm.fit(data), data) - 1e-12 * abs(ours)


@pytest.mark.parametrize("data, event, words", [
    ([13467, 13760, 12011, 7798, 7928], [0, 1, 0, 0, 0], "piles up at 13760.0"),
    ([3.0, 5.0, 8.0], [0, 0, 0], "all 3 values are right-censored"),
    ([2.0, 2.0, 1.0], [1, 1, 0], "piles up at 2.0"),
])
def test_samples_with_no_maximum_are_named(data, event, words):
    # scipy answers the first with a Weibull shape of about 1e8.
    for family in ("weibull", "lognormal", "gamma"):
        with pytest.raises(ValueError, match=words):
            gradmle.fit(data, family=family, event=event)


@pytest.mark.parametrize("kwargs, words", [
    ({"event": [1, 2, 0]}, "event must be 1 (observed) or 0"),
    ({"event": [1, 0]}, "event has 2 values for 3 observations"),
    ({"weights": [1, -1, 1]}, "weights must be finite and >= 0; weights[1] = -1.0"),
    ({"weights": [0, 0, 0]}, "the weights sum to 0"),
    ({"entry": [0, 4, 0]}, "entry[1] = 4.0 is after the value 2.0"),
    ({"event": [1, 1, 1], "family": "laplace"}, "not fitted for 'laplace' yet"),
    ({"event": [1, 1, 1], "family": "poisson"}, "is not one of them"),
])
def test_bad_censoring_input_is_one_line(kwargs, words):
    kwargs = dict(kwargs)
    family = kwargs.pop("family", "weibull")
    with pytest.raises((ValueError, TypeError, DataError)) as info:
        gradmle.fit([1.0, 2.0, 3.0], family=family, **kwargs)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_an_observed_value_outside_the_support_is_refused():
    with pytest.raises(DataError, match="observed value -1.0 .index 1. is outside the gamma support"):
        gradmle.fit([1.0, -1.0, 3.0], family="gamma", event=[1, 1, 0])
    with pytest.raises(DataError, match="left-censored at 0.0: below the gamma support"):
        gradmle.fit(st.CensoredData(uncensored=[1.0, 2.0], left=[0.0]), family="gamma")


# -- the command line --------------------------------------------------------------------------

@pytest.fixture
def survival_files(tmp_path):
    rng = np.random.default_rng(21)
    t, c = 3.0 * rng.weibull(1.5, 200), rng.uniform(0, 6, 200)
    x, event = np.minimum(t, c), (t <= c).astype(int)
    w = rng.integers(1, 4, 200)
    entry = np.where(rng.random(200) < 0.3, 0.5 * x, 0.0)
    surv = tmp_path / "surv.csv"
    surv.write_text("time,status,w,entry\n" + "".join(f"{float(a)!r},{b},{k},{float(e)!r}\n"
                                                      for a, b, k, e in zip(x, event, w, entry)))
    bounds = tmp_path / "bounds.csv"
    rows = [f"{float(a) * 0.8!r},{float(a) * 1.2!r}" for a in x[:60]] + [f"{float(a)!r}," for a in x[60:90]] + \
        [f",{float(a)!r}" for a in x[90:120]] + [f"{float(a)!r},inf" for a in x[120:130]] + \
        [f"{float(a)!r},{float(a)!r}" for a in x[130:]]
    bounds.write_text("lo,hi\n" + "\n".join(rows) + "\n")
    return {"surv": str(surv), "bounds": str(bounds), "x": x, "event": event, "w": w, "entry": entry}


def test_the_command_line_reads_events_weights_entries_and_bounds(cli, survival_files):
    import json

    f = survival_files
    p = cli("fit", f["surv"], "--family", "weibull", "--column", "time", "--event", "status", "--weight", "w",
            "--entry", "entry", "--json")
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    want = gradmle.fit(f["x"], family="weibull", event=f["event"], weights=f["w"], entry=f["entry"])
    assert got["params"] == pytest.approx(want.params, rel=1e-12)
    assert got["info"]["censoring"]["observed"] == float(np.sum(f["w"] * f["event"]))
    p = cli("fit", f["bounds"], "--family", "weibull", "--lower", "lo", "--upper", "hi")
    assert p.returncode == 0, p.stderr
    assert "data: 70 observed, 40 right-censored, 30 left-censored, 60 interval-censored" in p.stdout
    x = f["x"]
    data = st.CensoredData(uncensored=x[130:], right=x[60:90].tolist() + x[120:130].tolist(), left=x[90:120],
                           interval=np.column_stack([0.8 * x[:60], 1.2 * x[:60]]))
    want = gradmle.fit(data, family="weibull")
    assert f"{want.params['c']:.10g}" in p.stdout


@pytest.mark.parametrize("args, words", [
    (["--column", "time", "--event", "nope"], "no column 'nope'"),
    (["--lower", "time"], "--lower and --upper give an interval together"),
    (["--event", "status"], "name the column of the values with --column"),
    (["--column", "time", "--event", "w"], "event must be 1 (observed) or 0"),
    (["--column", "time", "--event", "status", "--family", "laplace"], "not fitted for 'laplace' yet"),
])
def test_the_command_line_refuses_bad_censoring_in_one_line(cli, survival_files, args, words):
    args = list(args)
    if "--family" not in args:
        args += ["--family", "weibull"]
    p = cli("fit", survival_files["surv"], *args)
    assert p.returncode == 2 and words in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


LIFELINES = {"weibull": ("WeibullFitter", lambda f: (f.rho_, 0.0, f.lambda_)),
             "exponential": ("ExponentialFitter", lambda f: (0.0, f.lambda_)),
             "lognormal": ("LogNormalFitter", lambda f: (f.sigma_, 0.0, math.exp(f.mu_)))}


@pytest.mark.parametrize("name", LIFELINES)
def test_the_loglik_is_at_least_lifelines_on_right_censored_samples(name):
    lifelines = pytest.importorskip("lifelines")
    dist, truth, _, args = FAMILIES[name]
    fitter, theirs_args = LIFELINES[name]
    rng = np.random.default_rng(sum(map(ord, name)) + 1)
    for frac in FRACTIONS:
        data = censored_sample(dist, tuple(args(truth)), "right", frac, 150, rng)
        x = np.concatenate([data._uncensored, data._right])
        event = np.concatenate([np.ones(data._uncensored.size), np.zeros(data._right.size)])
        r = gradmle.fit(x, family=name, event=event)
        assert r.converged, r.message
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = getattr(lifelines, fitter)().fit(x, event)
        ours = censored_loglik(dist, args(r.params), data)
        theirs = censored_loglik(dist, theirs_args(f), data)
        assert theirs == pytest.approx(f.log_likelihood_, rel=1e-9)
        assert ours >= theirs - 1e-9 * abs(theirs), (frac, ours, theirs)


def test_truncation_of_the_exponential_has_its_closed_form():
    """Left-truncated at t0 the exponential forgets t0: the MLE of its scale is mean(x) - t0."""
    x = np.random.default_rng(21).exponential(2.0, 4000)
    t0 = 1.3
    x = x[x > t0]
    r = gradmle.fit(x, family="exponential", truncation=t0)
    assert r.converged
    assert r.params["scale"] == pytest.approx(x.mean() - t0, rel=1e-12)
    assert "all truncated to (1.3, inf) (seen only there)" in r.summary()
    assert r.info["censoring"]["truncation"] == [1.3, None]


def test_truncation_is_an_entry_common_to_all():
    x = 3.0 * np.random.default_rng(22).weibull(1.5, 3000)
    x = x[x > 1.0]
    a = gradmle.fit(x, family="weibull", truncation=(1.0, None))
    b = gradmle.fit(x, family="weibull", entry=np.full(x.size, 1.0))
    for k in a.params:
        assert a.params[k] == pytest.approx(b.params[k], rel=1e-12)
        assert a.stderr[k] == pytest.approx(b.stderr[k], rel=1e-9)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)


@pytest.mark.parametrize("method", ["auto", "fisher"])
def test_doubly_truncated_normal_against_a_direct_search(method):
    import scipy.optimize as so

    x = np.random.default_rng(23).normal(1.0, 2.0, 8000)
    x = x[(x > -0.5) & (x < 3.0)]
    r = gradmle.fit(x, family="normal", truncation=(-0.5, 3.0), method=method)
    assert r.converged, r.message

    def nll(p):
        m, s = p
        return np.inf if s <= 0 else -(st.norm.logpdf(x, m, s).sum()
                                       - x.size * np.log(st.norm.cdf(3.0, m, s) - st.norm.cdf(-0.5, m, s)))

    o = so.minimize(nll, [0.5, 1.5], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    assert r.loglik * r.n >= -o.fun - 1e-9 * abs(o.fun)
    assert r.params["mu"] == pytest.approx(o.x[0], rel=1e-6)
    lo, hi = r.conf_int(method="profile")["sigma"]
    assert lo < r.params["sigma"] < hi


@pytest.mark.parametrize("kwargs, words", [
    ({"truncation": (2.0, None)}, "is outside the truncation range (2, inf]"),
    ({"truncation": (0.5, 0.1)}, "is an empty range"),
    ({"truncation": "soon"}, "must be numbers or None"),
    ({"truncation": (0.0, 1.0, 2.0)}, "must be a number (seen only above it) or a pair"),
    ({"truncation": 0.0, "entry": np.zeros(50)}, "not both"),
])
def test_truncation_refused_with_reasons(kwargs, words):
    x = np.random.default_rng(24).uniform(0.5, 3.0, 50)
    with pytest.raises(ValueError) as err:
        gradmle.fit(x, family="weibull", **kwargs)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_the_command_line_reads_a_truncation(cli, tmp_path):
    x = np.random.default_rng(25).exponential(2.0, 3000)
    x = x[x > 1.3]
    f = tmp_path / "late.csv"
    np.savetxt(f, x, header="x", comments="")
    p = cli("fit", str(f), "--column", "x", "--family", "exponential", "--truncation", "1.3,")
    assert p.returncode == 0, p.stderr
    assert "all truncated to (1.3, inf)" in p.stdout and f"{x.mean() - 1.3:.6g}" in p.stdout
    for bad, words in (("1.3,a", "takes numbers LO,HI"), ("2", "outside the truncation range")):
        p = cli("fit", str(f), "--column", "x", "--family", "exponential", "--truncation", bad)
        assert p.returncode == 2 and words in p.stderr and "Traceback" not in p.stderr


def test_a_censored_t_whose_df_runs_to_infinity_ends_at_once():
    """The tails of censored data are computed up to df = SHAPE_MAX; a run held there with
    the likelihood still rising ends after a few iterations as running away to the Normal
    limit (it used to wait out max_iter, ~50 refused trial steps per iteration)."""
    from gradmle.families.tails import SHAPE_MAX

    x = np.random.default_rng(2).normal(0, 1, 400)
    event = np.random.default_rng(3).random(400) < 0.8
    r = gradmle.fit(x, family="student_t", event=event)
    assert r.status == "boundary" and r.nfev < 100, (r.nfev, r.message)
    assert r.params["df"] >= 0.5 * SHAPE_MAX and "normal limit" in r.message and "stayed there" in r.message
    assert r.limit_fit.params == gradmle.fit(x, family="normal", event=event).params
    held = gradmle.fit(x, family="student_t", event=event, fixed={"loc": 0.0})
    assert held.status == "boundary" and held.nfev < 100
    t = gradmle.fit(np.random.default_rng(2).standard_t(4, 400), family="student_t", event=event)
    assert t.converged and 2 < t.params["df"] < 8
