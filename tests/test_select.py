"""gradmle.select: the true family ranks first, the statistics agree with scipy.stats,
failing candidates stay in the table, bootstrap p-values are uniform under the null,
and the command line's exit codes and JSON."""

import json
import math

import numpy as np
import pytest
import scipy.stats as st

import gradmle
from gradmle import cli
from gradmle.gof import chi_square, edf_statistics
from gradmle.select import criteria

DRAWS = {
    "normal": lambda r, n: r.normal(3.0, 2.0, n),
    "gamma": lambda r, n: r.gamma(2.5, 1.5, n),
    "weibull": lambda r, n: 2.0 * r.weibull(1.7, n),
    "lognormal": lambda r, n: r.lognormal(0.3, 0.6, n),
    "exponential": lambda r, n: r.exponential(2.0, n),
    "poisson": lambda r, n: r.poisson(4.0, n),
    "nbinom": lambda r, n: r.negative_binomial(3, 0.4, n),
    "student_t": lambda r, n: st.t(5, 1, 2).rvs(size=n, random_state=r),
    "laplace": lambda r, n: r.laplace(1.0, 2.0, n),
    "logistic": lambda r, n: r.logistic(1.0, 2.0, n),
    "beta": lambda r, n: r.beta(2.0, 5.0, n),
    "gumbel_r": lambda r, n: r.gumbel(1.0, 2.0, n),
    "genextreme": lambda r, n: st.genextreme(-0.2, 1, 2).rvs(size=n, random_state=r),
    "genpareto": lambda r, n: st.genpareto(0.2, 0, 2).rvs(size=n, random_state=r),
    "pareto": lambda r, n: st.pareto(3.0, 0, 1.5).rvs(size=n, random_state=r),
    "fisk": lambda r, n: st.fisk(3.0, 0, 2).rvs(size=n, random_state=r),
    "invgauss": lambda r, n: st.invgauss(0.5, 0, 2).rvs(size=n, random_state=r),
    "rayleigh": lambda r, n: st.rayleigh(0, 2).rvs(size=n, random_state=r),
    "halfnorm": lambda r, n: st.halfnorm(0, 2).rvs(size=n, random_state=r),
    "cauchy": lambda r, n: st.cauchy(1, 2).rvs(size=n, random_state=r),
    "geom": lambda r, n: r.geometric(0.3, n).astype(float),
}
#: (binom needs its n: test_binom_is_ranked_when_its_n_is_given)


@pytest.mark.parametrize("family", list(DRAWS))
def test_the_true_family_ranks_first_or_within_2_aic(family):
    for seed in range(3):
        x = DRAWS[family](np.random.default_rng(seed), 2000)
        s = gradmle.select(x)
        ranked = [r for r in s.table if r["rank"] is not None]
        true = next(r for r in ranked if r["family"] == family)
        assert true["aic"] - ranked[0]["aic"] <= 2.0, (seed, s.summary())
        assert s.best == ranked[0]["family"]
        assert [r["aic"] for r in ranked] == sorted(r["aic"] for r in ranked)


@pytest.mark.parametrize("family", ["normal", "gamma", "weibull", "lognormal", "exponential", "student_t",
                                    "logistic", "laplace"])
def test_edf_statistics_agree_with_scipy(family):
    x = np.random.default_rng(5).gamma(3.0, 2.0, 500)
    s = gradmle.select(x, families=[family])
    row, fz = s.table[0], s.results[family].frozen()
    assert row["ks"] == pytest.approx(st.kstest(x, fz.cdf).statistic, abs=1e-12)
    assert row["cvm"] == pytest.approx(st.cramervonmises(x, fz.cdf).statistic, abs=1e-10)
    u = np.sort(fz.cdf(x))
    i = np.arange(1, x.size + 1)
    ad = -x.size - np.sum((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1]))) / x.size
    assert row["ad"] == pytest.approx(ad, rel=1e-9)
    r = s.results[family]
    assert row["loglik"] == pytest.approx(np.sum(fz.logpdf(x)), rel=1e-12)
    k = len(r.params)
    assert row["aic"] == pytest.approx(2 * k - 2 * row["loglik"], rel=1e-14)
    assert row["bic"] == pytest.approx(k * math.log(x.size) - 2 * row["loglik"], rel=1e-14)
    assert row["aicc"] == pytest.approx(row["aic"] + 2 * k * (k + 1) / (x.size - k - 1), rel=1e-14)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # (scipy >= 1.17 asks for a p-value method)
def test_anderson_darling_agrees_with_scipy_anderson():
    x = np.random.default_rng(6).normal(1.0, 2.0, 300)
    # scipy.stats.anderson estimates sigma with ddof=1: the same formula at those values.
    ad = edf_statistics(np.sort(x), st.norm(x.mean(), x.std(ddof=1)))["ad"]
    assert ad == pytest.approx(st.anderson(x, "norm").statistic, rel=1e-10)
    y = np.random.default_rng(7).exponential(3.0, 300)
    s = gradmle.select(y, families=["exponential"])  # the MLE is scipy's scale = mean
    assert s.table[0]["ad"] == pytest.approx(st.anderson(y, "expon").statistic, rel=1e-10)


def test_anderson_darling_far_in_the_tail_keeps_its_terms():
    """A value 40 sigma out: log(1 - F) rounds to log 0 = -inf, logsf does not. The
    reference takes log S(40) from Mills' ratio, S(t) = phi(t)/t (1 - 1/t^2 + 3/t^4 - ...)."""
    x = np.sort(np.r_[np.random.default_rng(8).normal(size=100), 40.0])
    ad = edf_statistics(x, st.norm())["ad"]
    n, t = x.size, 40.0
    log_sf = -t * t / 2 - 0.5 * math.log(2 * math.pi) - math.log(t) + math.log1p(-1 / t**2 + 3 / t**4 - 15 / t**6)
    u = st.norm.cdf(x)
    with np.errstate(divide="ignore"):
        one_minus = np.log1p(-u[::-1])
    assert one_minus[0] == -np.inf  # the naive formula would be infinite
    one_minus[0] = log_sf
    i = np.arange(1, n + 1)
    ref = -n - np.sum((2 * i - 1) * (st.norm.logcdf(x) + one_minus)) / n
    assert ad == pytest.approx(ref, rel=1e-12)


def test_chi_square_pools_cells_and_agrees_with_scipy():
    x = np.random.default_rng(9).poisson(3.0, 1000)
    fz = st.poisson(x.mean())
    chi = chi_square(x, fz, 1)
    assert np.all(chi.expected >= 5.0) and chi.observed.sum() == x.size
    assert chi.expected.sum() == pytest.approx(x.size, rel=1e-12)
    ref = st.chisquare(chi.observed, chi.expected, ddof=1)
    assert chi.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert chi.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
    assert chi.df == len(chi.expected) - 2
    s = gradmle.select(x, families=["poisson"])
    assert s.table[0]["chi2"] == pytest.approx(chi.statistic, rel=1e-9)


def test_failing_candidates_stay_in_the_table():
    x = np.random.default_rng(10).normal(3.0, 1.0, 1000)
    s = gradmle.select(x, families=["beta", "normal", "gamma"])
    by = {r["family"]: r for r in s.table}
    assert by["beta"]["status"] == "skipped" and "outside its support" in by["beta"]["message"]
    assert "beta" not in s.results
    assert s.best == "normal" and s.table[0]["family"] == "normal"
    assert s.table[-1]["status"] == "skipped" and all(r["rank"] for r in s.table if r["status"] == "converged")
    # Counts that are not over-dispersed: the negative binomial runs to its Poisson limit.
    c = np.random.default_rng(0).poisson(3.0, 1000)
    s = gradmle.select(c, families=["nbinom", "poisson"])
    by = {r["family"]: r for r in s.table}
    assert by["nbinom"]["status"] == "boundary" and by["nbinom"]["rank"] is None and "Poisson" in by["nbinom"]["message"]
    assert s.best == "poisson" and [r["family"] for r in s.table] == ["poisson", "nbinom"]

    def boom(x, mu):
        raise ValueError("this model cannot be evaluated")

    m = gradmle.Model(boom, {"mu": "real"}, derivatives="numeric", name="broken")
    s = gradmle.select(x, families=["normal", m])
    row = next(r for r in s.table if r["family"] == "broken")
    assert row["status"] in ("error", "diverged", "stalled") and row["message"]
    assert s.best == "normal"


def test_counts_and_densities_are_never_ranked_together():
    x = np.random.default_rng(11).poisson(5.0, 500)
    s = gradmle.select(x)
    by = {r["family"]: r for r in s.table}
    assert by["normal"]["status"] == "skipped" and by["poisson"]["status"] == "converged"
    with pytest.raises(ValueError, match="not on one scale"):
        gradmle.select(x, families=["poisson", "normal"])
    assert gradmle.select(x, families=["normal", "logistic"]).best in ("normal", "logistic")


def test_bad_options_are_one_line_errors():
    x = np.random.default_rng(12).normal(size=100)
    with pytest.raises(ValueError, match="criterion"):
        gradmle.select(x, criterion="hqic")
    with pytest.raises(ValueError, match="unknown family"):
        gradmle.select(x, families=["gauss"])
    with pytest.raises(ValueError, match="n_boot"):
        gradmle.select(x, gof="bootstrap", n_boot=0)
    with pytest.raises(ValueError, match="NaN"):
        gradmle.select(np.r_[x, np.nan])
    assert gradmle.select(np.r_[x, np.nan], nonfinite="drop", families=["normal"]).n == 100


def test_to_frame_and_to_dict():
    x = np.random.default_rng(13).gamma(2.0, 1.0, 400)
    s = gradmle.select(x, families=["gamma", "weibull", "beta"])
    df = s.to_frame()
    assert list(df.columns) == ["family", "k", "loglik", "aic", "aicc", "bic", "ks", "cvm", "ad", "status", "message"]
    assert list(df["family"]) == [r["family"] for r in s.table]
    d = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert d["best"] == s.best and d["table"][-1]["aic"] is None


def test_censored_data_ranked_by_the_censored_likelihood():
    rng = np.random.default_rng(14)
    t = 2.0 * rng.weibull(1.5, 800)
    c = rng.uniform(0, 4, 800)
    event = (t <= c).astype(int)
    x = np.minimum(t, c)
    s = gradmle.select(x, families=["weibull", "exponential", "lognormal"], event=event)
    r = s.results["weibull"]
    assert s.table[0]["loglik"] == pytest.approx(r.loglik * r.n, rel=1e-12)
    assert s.best == "weibull" and s.table[0]["ks"] is None
    assert any("censored" in n for n in s.notes)
    with pytest.raises(ValueError, match="in memory"):
        s.plot()


def test_a_file_too_large_for_memory_is_fitted_by_streaming(tmp_path):
    x = np.random.default_rng(15).gamma(2.0, 1.0, 3000)
    path = tmp_path / "x.npy"
    np.save(path, x)
    big = gradmle.select(str(path), families=["gamma", "lognormal"], max_values=1000)
    small = gradmle.select(str(path), families=["gamma", "lognormal"])
    assert big.table[0]["ks"] is None and small.table[0]["ks"] is not None
    assert big.table[0]["loglik"] == pytest.approx(small.table[0]["loglik"], rel=1e-10)
    assert any("streaming" in n for n in big.notes) and any("into memory" in n for n in small.notes)


def test_bootstrap_is_reproducible_and_parallel_gives_the_same_p_values():
    x = np.random.default_rng(16).gamma(2.0, 1.0, 200)
    a = gradmle.select(x, families=["gamma", "lognormal"], gof="bootstrap", n_boot=30, seed=3, workers=1)
    b = gradmle.select(x, families=["gamma", "lognormal"], gof="bootstrap", n_boot=30, seed=3, workers=2)
    for ra, rb in zip(a.table, b.table):
        assert ra["ks_p"] == rb["ks_p"] and ra["ad_p"] == rb["ad_p"]
        assert 1 / 31 <= ra["ks_p"] <= 1.0
    assert "ks_p" in a.to_frame().columns


def test_bootstrap_p_values_are_uniform_under_the_null():
    """40 data sets from the exponential, 49 refitted replicates each: the fraction of
    p-values <= 0.1 is within 3 binomial standard errors of 0.1 (the classical KS
    p-value with the scale estimated would give far fewer)."""
    rng = np.random.default_rng(17)
    ps, classical = [], []
    for j in range(40):
        x = rng.exponential(1.0, 40)
        s = gradmle.select(x, families=["exponential"], gof="bootstrap", n_boot=49, seed=j, workers=1,
                           progress=False)
        ps.append(s.table[0]["ad_p"])
        classical.append(st.kstest(x, s.results["exponential"].frozen().cdf).pvalue)
    frac = np.mean(np.array(ps) <= 0.1)
    assert abs(frac - 0.1) <= 3 * math.sqrt(0.1 * 0.9 / 40)
    assert np.mean(np.array(ps) <= 0.5) == pytest.approx(0.5, abs=3 * math.sqrt(0.25 / 40))


def test_criteria_by_hand():
    c = criteria(-100.0, 3, 50)
    assert c == {"aic": 206.0, "aicc": 206.0 + 24 / 46, "bic": 3 * math.log(50) + 200.0}
    assert criteria(-1.0, 3, 4)["aicc"] is None


def test_plot_returns_a_figure_and_writes_it(tmp_path):
    x = np.random.default_rng(18).negative_binomial(3, 0.4, 500)
    s = gradmle.select(x)
    fig = s.plot(path=tmp_path / "c.png")
    assert len(fig.axes) >= 4 and (tmp_path / "c.png").stat().st_size > 1000
    y = np.random.default_rng(19).lognormal(size=500)
    fig = gradmle.select(y, families=["lognormal", "gamma"]).plot()
    assert [a.get_title() for a in fig.axes[:4]] == ["density over histogram", "CDF over empirical CDF", "Q-Q", "P-P"]


def test_command_line(tmp_path, capsys):
    path = tmp_path / "x.csv"
    np.savetxt(path, np.random.default_rng(20).gamma(2.0, 1.0, 500), header="x", comments="")
    assert cli.main(["select", str(path), "--families", "gamma,lognormal", "--json", "--quiet"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["best"] == "gamma" and [r["family"] for r in d["table"]] == ["gamma", "lognormal"]
    assert cli.main(["select", str(path), "--criterion", "bic", "--plot", str(tmp_path / "p.png"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "ranked by BIC" in out and (tmp_path / "p.png").exists()
    assert cli.main(["select", str(path), "--families", "poisson"]) == 1  # not tried: no candidate converged
    capsys.readouterr()
    for bad in (["--families", "gamma,nope"], ["--criterion", "hqic"], ["--n-boot", "5"],
                ["--plot", str(tmp_path / "p.xyz")]):
        assert cli.main(["select", str(path), *bad]) == 2, bad
        err = capsys.readouterr().err
        assert err.startswith("gradmle: error:") and err.count("\n") == 1, err
    counts = tmp_path / "c.txt"
    np.savetxt(counts, 1 + np.random.default_rng(21).poisson(3.0, 300), fmt="%d")
    assert cli.main(["select", str(counts), "--families", "poisson,gamma"]) == 2
    assert "not on one scale" in capsys.readouterr().err
    assert cli.main(["select", str(counts), "--quiet"]) == 0
    assert "chi2" in capsys.readouterr().out


def test_free_loc_applies_to_the_families_that_have_it():
    x = np.random.default_rng(5).gamma(2.5, 3.0, 3000) + 10.0
    s = gradmle.select(x, families=["gamma", "weibull", "normal", "exponential"], free_loc=True)
    rows = {r["family"]: r for r in s.table}
    assert s.best == "gamma" and rows["gamma"]["k"] == 3 and "loc" in s.results["gamma"].params
    assert rows["normal"]["status"] == "converged"  # a line family: fitted as it is
    assert rows["exponential"]["status"] == "boundary"  # loc = min(x): the boundary, said so
    assert any("free_loc" in note for note in s.notes)


def test_plot_given_a_path_where_a_family_belongs_says_so():
    x = np.random.default_rng(6).weibull(1.5, 500) * 3.0
    s = gradmle.select(x, families=["weibull", "gamma"])
    with pytest.raises(ValueError, match=r"give path='fits.png'"):
        s.plot("fits.png")
    assert s.plot("weibull") is not None


def test_the_command_line_selects_with_free_locations(cli, tmp_path):
    f = tmp_path / "shifted.csv"
    np.savetxt(f, np.random.default_rng(7).gamma(3.0, 2.0, 800) + 5.0, header="x", comments="")
    p = cli("select", str(f), "--column", "x", "--families", "gamma,weibull", "--free-loc", "--quiet")
    assert p.returncode == 0, p.stderr
    assert "gamma          3" in p.stdout and "free_loc" in p.stdout


def test_binom_is_ranked_when_its_n_is_given(tmp_path, capsys):
    x = np.random.default_rng(3).binomial(10, 0.3, 2000)
    by = {r["family"]: r for r in gradmle.select(x).table}
    assert by["binom"]["status"] == "skipped" and by["binom"]["rank"] is None
    assert "fixed={'binom': {'n': ...}}" in by["binom"]["message"]
    s = gradmle.select(x, fixed={"binom": {"n": 10}})
    row = next(r for r in s.table if r["family"] == "binom")
    assert s.best == "binom" and row["k"] == 1
    assert row["loglik"] == pytest.approx(np.sum(st.binom(10, x.mean() / 10).logpmf(x)), rel=1e-12)
    for bad, words in (({"binom": 10}, "fixed must map a family"), ({"gamma2": {"a": 1}}, "unknown family"),
                       ({"geom": {"p": 0.5}}, "not among the candidates")):
        with pytest.raises(ValueError, match=words):
            gradmle.select(x, families=["binom", "poisson"], fixed=bad)
    path = tmp_path / "counts.txt"
    np.savetxt(path, x, fmt="%d")
    assert cli.main(["select", str(path), "--fixed", "binom:n=10", "--json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["best"] == "binom"
    assert cli.main(["select", str(path), "--fixed", "binom"]) == 2
    assert "expected FAMILY:NAME=VALUE" in capsys.readouterr().err
