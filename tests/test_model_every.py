"""A model of the user's through every method and every output, against the built-in
family on the same data: estimates, traces of the schemes run as written, honest
divergence, stability bounds, the diagnosis, compare, standard errors, fixed
parameters, JSON; and data in pieces read once per point evaluated.

(tests/test_model.py checks auto, newton, fisher, lbfgs and linesearch on the Normal,
gamma, Weibull and Student-t written as models; these tests add the rest, but for the
Student-t, whose Hessian takes XLA some 15 s to compile.)"""

import json
import math

import numpy as np
import pytest

import gradmle
from gradmle.methods import METHODS

jax = pytest.importorskip("jax")
jnp = jax.numpy
jss = jax.scipy.stats

N = 1000
X = np.random.default_rng(11).normal(2.0, 1.0, N)
INIT = {"mu": 1.5, "sigma": 1.2}


def _normal(x, mu, sigma):
    return jss.norm.logpdf(x, mu, sigma)


# Shared by the tests: JAX compiles once per model and shape of data.
NORMAL = gradmle.Model(_normal, {"mu": "real", "sigma": "positive"}, name="normal")
#: The built-in Normal's parametrization with the model's working coordinates.
SAME = {"natural": "sigma", "unconstrained": "log_sigma"}
#: What each method needs to converge from INIT within max_iter.
OPTIONS = {"adam": {"step": 0.05}, "coordinate": {"step": 0.4, "n_inner": 5}}
AS_WRITTEN = [name for name, row in METHODS.items() if row.as_written]
NORMAL_ONLY = ("small_start_sigma", "convex_crawl")  # causes keyed on fam.normal_theory in diagnose.py


def _both(method, par="unconstrained", data=X, **kw):
    """The model's run and the built-in Normal's, with the same options and coordinates."""
    r = gradmle.fit(data, family=NORMAL, method=method, init=INIT, parametrization=par, **kw)
    b = gradmle.fit(data, family="normal", method=method, init=INIT, parametrization=SAME[par], **kw)
    return r, b


def _close(a: dict, b: dict, rel: float) -> bool:
    return all(abs(a[k] - b[k]) <= rel * abs(b[k]) for k in b)


@pytest.mark.parametrize("method", [m for m in METHODS if m != "closed_form"])
def test_every_method_gives_the_families_estimates(method):
    r, b = _both(method, max_iter=5000, **OPTIONS.get(method, {}))
    assert r.converged and b.converged, (r.message, b.message)
    assert r.info["derivatives"] == "jax" and r.info["method"] == b.info["method"]
    assert _close(r.params, b.reference, 1e-9) and _close(r.params, b.params, 1e-9)
    assert r.loglik == pytest.approx(b.loglik, rel=1e-12)


@pytest.mark.parametrize("method", AS_WRITTEN)
@pytest.mark.parametrize("par", SAME)
def test_the_schemes_as_written_make_the_same_iterates(method, par):
    r, b = _both(method, par, **OPTIONS.get(method, {"step": 0.4}))
    assert r.status == b.status == "converged" and r.nit == b.nit
    for k in ("mu", "sigma", "loglik"):
        assert r.trace[k].shape == b.trace[k].shape
        assert np.max(np.abs(r.trace[k] - b.trace[k]) / np.abs(b.trace[k])) <= 1e-12, k


def test_the_closed_form_is_refused_for_a_model():
    with pytest.raises(ValueError, match="the normal model has no closed-form MLE; choose an iterative method"):
        gradmle.fit(X, family=NORMAL, method="closed_form", init=INIT)


# -- other families written as models: the schemes the other tests leave out -------------------

def _weibull(x, c, scale):
    return jnp.log(c / scale) + (c - 1) * jnp.log(x / scale) - (x / scale) ** c


FAMILY_MODELS = {
    "gamma": (gradmle.Model(lambda x, a, scale: jss.gamma.logpdf(x, a, scale=scale),
                            {"a": "positive", "scale": "positive"}), np.random.default_rng(3).gamma(2.5, 3.0, N)),
    "weibull": (gradmle.Model(_weibull, {"c": "positive", "scale": "positive"}),
                4.0 * np.random.default_rng(4).weibull(1.7, N)),
}


@pytest.mark.parametrize("family, method, options", [
    ("gamma", "sequential", {"step": 0.5}), ("gamma", "adam", {"step": 0.05}),
    ("weibull", "gradient", {"step": 0.5}), ("weibull", "sequential", {"step": 0.5}),
    ("weibull", "coordinate", {"step": 0.5, "n_inner": 3}),
])
def test_families_written_as_models_in_every_scheme(family, method, options):
    model, x = FAMILY_MODELS[family]
    ref = gradmle.fit(x, family=family, tol=1e-12)
    start = {k: round(1.1 * v, 3) for k, v in ref.params.items()}
    r = gradmle.fit(x, family=model, method=method, init=start, max_iter=3000, **options)
    b = gradmle.fit(x, family=family, method=method, init=start, max_iter=3000, **options)
    assert r.converged and b.converged and r.nit == b.nit
    assert _close(r.params, ref.params, 1e-9)
    for k in ref.params:
        assert np.max(np.abs(r.trace[k] / b.trace[k] - 1.0)) <= 1e-12, k


# -- how a run ends, and why --------------------------------------------------------------------

DIVERGED, DIVERGED_B = _both("gradient", step=3.0, max_iter=200)


def test_a_diverging_step_diverges_for_both_and_says_so():
    r, b = DIVERGED, DIVERGED_B
    assert r.status == b.status == "diverged"
    assert r.outcome.code == b.outcome.code == "ran_away" and r.outcome.param == b.outcome.param == "sigma"
    assert r.message.startswith(f"sigma ran away at iteration {r.nit}: ") and "still moving away" in r.message
    # The same iterates up to where the built-in Normal's frame (100 times the data's
    # range) stops it; a model's frame is wider (it knows no locations and scales).
    rows = b.trace["sigma"].size
    assert b.nit <= r.nit and np.allclose(r.trace["sigma"][:rows], b.trace["sigma"], rtol=1e-12, atol=0)


def test_the_diagnosis_of_a_model_offers_verified_remedies_and_no_normal_only_cause():
    d = DIVERGED.diagnosis
    assert d.cause == DIVERGED_B.diagnosis.cause == "step_above_bound"
    assert d.cause not in NORMAL_ONLY and "sigma_hat" not in d.explanation
    assert d.bound == pytest.approx(DIVERGED_B.diagnosis.bound, rel=1e-8)
    assert d.remedies and not any("log_sigma" in rem.description for rem in d.remedies)
    for rem in d.remedies:
        again = gradmle.fit(X, **rem.options)
        assert rem.options["family"] is NORMAL and again.converged and again.nit == rem.nit
        assert _close(again.params, DIVERGED_B.reference, 1e-9)


# -- stability, compare, inference --------------------------------------------------------------

@pytest.mark.parametrize("method", AS_WRITTEN)
@pytest.mark.parametrize("par", SAME)
def test_stability_bounds_are_the_families(method, par):
    s = gradmle.stability(X, family=NORMAL, method=method, parametrization=par, init=INIT)
    b = gradmle.stability(X, method=method, parametrization=SAME[par], init=INIT)
    assert s.bound == pytest.approx(b.bound, rel=1e-8) and s.start_bound == pytest.approx(b.start_bound, rel=1e-8)
    held = gradmle.stability(X, family=NORMAL, method=method, parametrization=par, init={"sigma": 1.2},
                             fixed={"mu": 1.0})
    assert held.bound == pytest.approx(gradmle.stability(X, method=method, parametrization=SAME[par],
                                                         fixed={"mu": 1.0}).bound, rel=1e-8)


def test_fisher_scoring_on_a_model_uses_the_empirical_information_and_says_so():
    r, b = _both("fisher", "natural")
    assert r.info["information"] == "empirical" and b.info["information"] == "expected"
    assert "empirical information, the sum of outer products of the per-observation scores" in r.message
    assert "empirical" not in b.message
    # Its stability bound: 2 / max|eig(F^-1 H)| at the optimum with F the mean outer
    # product of the scores (not 2, as with the expected information).
    mu, s = b.reference["mu"], b.reference["sigma"]
    d = X - mu
    scores = np.column_stack([d / s**2, d * d / s**3 - 1.0 / s])
    f = scores.T @ scores / N
    h = np.diag([-1.0 / s**2, -2.0 / s**2])
    expected = 2.0 / np.max(np.abs(np.linalg.eigvals(np.linalg.solve(f, h))))
    st = gradmle.stability(X, family=NORMAL, method="fisher", parametrization="natural", init=INIT)
    assert st.bound == pytest.approx(expected, rel=1e-8) and "empirical information" in st.formula
    with pytest.raises(ValueError, match="needs a start"):
        gradmle.stability(X, family=NORMAL, method="gradient")


def test_compare_on_a_model():
    table = gradmle.compare(X, ["gradient", "fisher", "newton", "lbfgs"], family=NORMAL, init=INIT)
    ref = gradmle.fit(X, method="closed_form").params
    for method, r in table.results.items():
        assert r.converged and r.info["method"] == method and _close(r.params, ref, 1e-9)
    assert [row["error"] for row in table.rows()] == [None] * 4 and "fisher" in str(table)


def test_standard_errors_and_fixed_parameters_are_the_families():
    r = gradmle.fit(X, family=NORMAL, init=INIT)
    b = gradmle.fit(X)
    assert _close(r.stderr, b.stderr, 1e-7)
    assert np.allclose(r.cov, b.cov, rtol=1e-7, atol=1e-7 * np.max(np.abs(b.cov)))
    for k, (lo, hi) in b.conf_int(0.9).items():
        assert r.conf_int(0.9)[k] == pytest.approx((lo, hi), rel=1e-7)
    held = gradmle.fit(X, family=NORMAL, init={"sigma": 1.2}, fixed={"mu": 1.0})
    bh = gradmle.fit(X, fixed={"mu": 1.0})
    assert held.converged and held.params["mu"] == 1.0 and held.stderr["mu"] is None
    assert held.params["sigma"] == pytest.approx(math.sqrt(np.mean((X - 1.0) ** 2)), rel=1e-9)
    assert held.params["sigma"] == pytest.approx(bh.reference["sigma"], rel=1e-9)
    assert held.stderr["sigma"] == pytest.approx(bh.stderr["sigma"], rel=1e-7)


def test_a_model_result_in_json_names_the_model():
    name = "<Model normal: mu, sigma>"
    d = json.loads(json.dumps(DIVERGED.to_dict()))
    assert d["options"]["family"] == name and d["family"] == "normal"
    assert d["diagnosis"]["remedies"] and all(rem["options"]["family"] == name for rem in d["diagnosis"]["remedies"])
    ok = json.loads(json.dumps(gradmle.fit(X, family=NORMAL, init=INIT).to_dict()))
    assert ok["status"] == "converged" and ok["info"]["derivatives"] == "jax" and ok["reference"] is None


def test_what_only_a_family_has_is_refused_in_one_line():
    r = gradmle.fit(X, family=NORMAL, init=INIT)
    with pytest.raises(ValueError, match="the normal model is no scipy.stats distribution") as info:
        r.frozen()
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=r"the normal family fits one column of values, and the data have 2 "
                                         r"columns \(y, z\): choose one, or fit a gradmle.Model") as info:
        gradmle.fit({"y": X, "z": X}, family="normal")
    assert "\n" not in str(info.value)


# -- data in pieces: one pass per point --------------------------------------------------------

PIECES = 7  # chunks of N values: one shape for JAX to compile
BIG = np.random.default_rng(12).normal(2.0, 1.0, PIECES * N)


class Counting:
    """The model's per-chunk sums, counted by point: a pass is one call per chunk (for
    data in memory, held by JAX, one per chunk held there; and apart, the passes
    for the value and gradient alone at a line search's later trial points)."""

    def __init__(self, monkeypatch):
        self.points = {}
        real, resident = NORMAL.chunk_sums, NORMAL._resident_total

        def counted(theta, chunk, extra=None):
            key = tuple(float(v) for v in theta)
            self.points[key] = self.points.get(key, 0) + 1
            return real(theta, chunk, extra)

        def counted_resident(theta, chunks, outer, sums=True):
            if sums:
                key = tuple(float(v) for v in theta)
                self.points[key] = self.points.get(key, 0) + len(chunks)
            return resident(theta, chunks, outer, sums)

        def counted_trial(theta, chunks):
            self.trials += 1
            return trial(theta, chunks)

        self.trials, trial = 0, NORMAL._resident_vg
        monkeypatch.setattr(NORMAL, "chunk_sums", counted)
        monkeypatch.setattr(NORMAL, "_resident_total", counted_resident)
        monkeypatch.setattr(NORMAL, "_resident_vg", counted_trial)


def _generator(reads):
    for i in range(PIECES):
        reads.append(i)
        yield BIG[i * N : (i + 1) * N]


def _csv(tmp_path, monkeypatch, reads):
    """A CSV file of fixed-width lines, read in blocks of N lines; each read of it is
    noted in ``reads``."""
    from gradmle import textfile

    path = tmp_path / "x.csv"
    lines = [f"{v:+.17e}" for v in BIG]
    assert len({len(s) for s in lines}) == 1
    path.write_text("\n".join(lines) + "\n")
    real = textfile._blocks

    def blocks(p, lay, size):
        for block in real(p, lay, N * (len(lines[0]) + 1)):
            reads.append(p)
            yield block

    monkeypatch.setattr(textfile, "_blocks", blocks)
    return str(path)


@pytest.mark.parametrize("kind", ["array", "generator", "dask", "csv"])
def test_data_in_pieces_is_read_once_per_point(kind, tmp_path, monkeypatch):
    import dask.array as da

    reads = []
    path = _csv(tmp_path, monkeypatch, reads) if kind == "csv" else None
    data = {"array": lambda: BIG, "generator": lambda: _generator(reads),
            "dask": lambda: da.from_array(BIG, chunks=N), "csv": lambda: path}
    ref = gradmle.fit(BIG, family=NORMAL, init=INIT)
    chunks = 1 if kind == "array" else PIECES
    for method in ("auto", "fisher"):
        reads.clear()
        count = Counting(monkeypatch)
        r = gradmle.fit(data[kind](), family=NORMAL, method=method, init=INIT)
        assert r.converged, r.message
        if method == "auto":
            assert r.params == pytest.approx(ref.params, rel=1e-12, abs=0)
        assert r.params == pytest.approx(gradmle.fit(BIG, method="closed_form").params, rel=1e-9)
        # Every point read in one pass (value, gradient, Hessian and, for Fisher scoring,
        # the outer products of the scores together); one pass more, the first, checked
        # the data; looking at the first chunk to check the start is no pass.
        assert set(count.points.values()) == {chunks}, count.points
        assert r.passes == 1 + len(count.points) + count.trials
        if kind == "generator":
            assert reads == list(range(PIECES))  # the chunks were produced once, then kept
        if kind == "csv":  # (and the first block once more, to check the start)
            assert len(reads) == PIECES * r.passes + 1


def test_a_sweep_reads_each_point_once(monkeypatch):
    """The coordinate scheme evaluates n_inner points per parameter before they are
    recorded: the statistical scales at each of them come from the pass that evaluated it."""
    count = Counting(monkeypatch)
    r = gradmle.fit(BIG, family=NORMAL, method="coordinate", step=0.4, n_inner=5, init=INIT)
    assert r.converged and set(count.points.values()) == {1} and r.passes == 1 + len(count.points)


def test_values_of_no_points_is_empty():
    """The surface of a model at no points at all (a picture's empty grid): nothing, not a
    division by zero in the batching."""
    jnp = jax.numpy

    m = gradmle.Model(lambda v, mu, sigma: -0.5 * ((v - mu) / sigma) ** 2 - jnp.log(sigma),
                      params={"mu": "real", "sigma": "positive"})
    gradmle.fit(np.arange(5.0), family=m, init={"mu": 0.0, "sigma": 1.0})
    assert m.values(np.zeros((0, 2)), np.arange(5.0)).shape == (0,)
    np.testing.assert_allclose(m.values(np.array([[0.0, 1.0]]), np.arange(5.0)), [-15.0])
