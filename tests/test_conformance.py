"""One conformance suite over every registered family, and a family that gives only
what the protocol requires (no Fisher information, no frame, no closed form, no
boundary case): the engine must serve it with every method."""

import math
import warnings

import numpy as np
import pytest
import scipy.stats as ss

import gradmle
from familycheck import check_derivatives, check_loglik
from gradmle.families.base import PassFamily
from gradmle.streaming import statistics

#: A typical point of each family and the scipy distribution it is.
TYPICAL = {
    "normal": ((2.0, 1.5), lambda t: ss.norm(t[0], t[1])),
    "exponential": ((3.0,), lambda t: ss.expon(scale=t[0])),
    "lognormal": ((0.6, 2.0), lambda t: ss.lognorm(t[0], scale=t[1])),
    "gamma": ((2.5, 3.0), lambda t: ss.gamma(t[0], scale=t[1])),
    "weibull": ((1.7, 4.0), lambda t: ss.weibull_min(t[0], scale=t[1])),
    "student_t": ((5.0, 1.0, 2.0), lambda t: ss.t(t[0], t[1], t[2])),
    "laplace": ((1.0, 2.0), lambda t: ss.laplace(t[0], t[1])),
    "logistic": ((1.0, 2.0), lambda t: ss.logistic(t[0], t[1])),
    "gumbel_r": ((1.0, 2.0), lambda t: ss.gumbel_r(t[0], t[1])),
    "genextreme": ((0.1, 1.0, 2.0), lambda t: ss.genextreme(t[0], t[1], t[2])),
    "genpareto": ((0.2, 1.5), lambda t: ss.genpareto(t[0], scale=t[1])),
    "poisson": ((4.0,), lambda t: ss.poisson(t[0])),
    "nbinom": ((3.0, 0.4), lambda t: ss.nbinom(t[0], t[1])),
    "beta": ((2.0, 5.0), lambda t: ss.beta(t[0], t[1])),
    "pareto": ((3.0, 2.0), lambda t: ss.pareto(t[0], scale=t[1])),
    "fisk": ((3.0, 2.0), lambda t: ss.fisk(t[0], scale=t[1])),
    "invgauss": ((0.5, 3.0), lambda t: ss.invgauss(t[0], scale=t[1])),
    "rayleigh": ((2.0,), lambda t: ss.rayleigh(scale=t[0])),
    "halfnorm": ((2.0,), lambda t: ss.halfnorm(scale=t[0])),
    "cauchy": ((1.0, 2.0), lambda t: ss.cauchy(t[0], t[1])),
    "geom": ((0.3,), lambda t: ss.geom(t[0])),
    "binom": ((10.0, 0.3), lambda t: ss.binom(int(t[0]), t[1])),
}
#: What a fit of the family must be told (a known parameter).
FIT_KW = {"binom": {"fixed": {"n": 10}}}


def test_every_registered_family_is_in_the_suite():
    assert set(TYPICAL) == set(gradmle.FAMILIES)


@pytest.fixture(params=sorted(TYPICAL))
def family(request):
    name = request.param
    theta, frozen = TYPICAL[name]
    x = np.asarray(frozen(theta).rvs(2000, random_state=np.random.default_rng(7)), dtype=float)
    return name, theta, frozen, x


def test_declarations(family):
    name, theta, _, x = family
    fam = gradmle.get_family(name)
    assert len(fam.param_names) == len(fam.constraints) == len(theta)
    assert all(isinstance(c, gradmle.Constraint) for c in fam.constraints)
    assert isinstance(fam.support, gradmle.Support) and fam.support.bad(x) is None
    assert fam.in_domain(theta)
    assert set(fam.parametrizations()) >= {fam.default_parametrization}


def test_loglik_derivatives_and_information(family):
    name, theta, frozen, x = family
    fam = gradmle.get_family(name)
    check_loglik(name, theta, x, frozen(theta), rel=1e-9)
    if fam.smooth:
        check_derivatives(name, theta, x)
    f = np.asarray(fam.fisher(theta))
    assert np.allclose(f, f.T) and np.all(np.linalg.eigvalsh(f) > 0)
    stats = statistics(fam, x)
    value, grad = fam.value_and_grad(theta, stats)
    assert math.isfinite(value) and all(math.isfinite(g) for g in grad)
    # Outside the parameter space: -inf and NaN, never an exception.
    bad = tuple(-1.0 if c.lower == 0.0 else v for v, c in zip(theta, fam.constraints))
    if bad != theta:
        assert fam.value_and_grad(bad, stats)[0] == -math.inf


def test_fits_from_every_source_agree(family, tmp_path):
    name, theta, frozen, x = family
    kw = FIT_KW.get(name, {})
    r = gradmle.fit(x, family=name, **kw)
    assert r.status in ("converged", "boundary"), r.message
    path = tmp_path / "x.npy"
    np.save(path, x)
    for data in ([x[:700], x[700:]], str(path)):
        other = gradmle.fit(data, family=name, **kw)
        assert other.status == r.status
        assert other.params == pytest.approx(r.params, rel=1e-8)
    frozen_fit = r.frozen()
    assert math.isclose(float(np.mean(frozen_fit.logpmf(x) if hasattr(frozen_fit, "logpmf") else frozen_fit.logpdf(x))),
                        r.loglik, rel_tol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        se = r.stderr
    assert all(v > 0 for k, v in se.items() if k not in kw.get("fixed", {}))
    if fam_has_closed_form(name):
        assert r.error is not None and r.error < 1e-9


def fam_has_closed_form(name):
    fam = gradmle.get_family(name)
    return type(fam).closed_form is not gradmle.Family.closed_form


@pytest.mark.parametrize("method", [m for m in gradmle.METHODS if m != "closed_form"])
def test_every_method_ends_with_a_result(family, method):
    name, theta, _, x = family
    r = gradmle.fit(x, family=name, method=method, max_iter=200, **FIT_KW.get(name, {}))
    assert r.status in gradmle.STATUSES and r.outcome.code in gradmle.OUTCOMES
    r.summary()
    if not r.converged:
        assert r.diagnosis.cause in gradmle.CAUSES


# -- the least a family must give ------------------------------------------------------------

class Gumbel(PassFamily):
    """The Gumbel (max) distribution written with the protocol's required parts only:
    no Fisher information, no frame, no closed form, no limit."""

    name = "gumbel_minimal"
    param_names = ("loc", "scale")
    constraints = ("real", "positive")
    scale_power = (1, 1)
    loc_index = 0
    scipy_name = "gumbel_r"

    def prepare(self, info):
        scale = math.sqrt(6.0 * info["var"]) / math.pi
        return {"start": (info["mean"] - 0.5772156649015329 * scale, scale)}

    def initial(self, sample):
        return sample.extra["start"]

    def chunk_sums(self, theta, x, extra):
        z = (x - theta[0]) / theta[1]
        e = np.exp(-z)
        return np.array([float(z.sum()), float(e.sum()), float((z * e).sum()), float((z * z * e).sum())])

    def assemble(self, theta, sums, n, extra):
        loc, s = theta
        m1, m0, m2, m3 = (float(v) / n for v in sums)
        value = -math.log(s) - m1 - m0
        if not math.isfinite(value):
            return -math.inf, (math.nan, math.nan), np.full((2, 2), math.nan)
        grad = ((1.0 - m0) / s, (-1.0 + m1 - m2) / s)
        h = np.array([[-m0, -1.0 + m0 - m2], [-1.0 + m0 - m2, 1.0 - 2.0 * m1 + 2.0 * m2 - m3]]) / s / s
        return value, grad, h


GUMBEL = Gumbel()
XG = ss.gumbel_r(3.0, 2.0).rvs(3000, random_state=np.random.default_rng(5))


def test_a_minimal_family_matches_scipy():
    loc, scale = ss.gumbel_r.fit(XG)
    r = gradmle.fit(XG, family=GUMBEL)
    assert r.converged and r.reference is None
    assert r.params["loc"] == pytest.approx(loc, rel=1e-6) and r.params["scale"] == pytest.approx(scale, rel=1e-6)
    # Standard errors from the observed information, as for every family.
    assert all(v > 0 for v in r.stderr.values())
    assert r.loglik >= float(np.mean(ss.gumbel_r(loc, scale).logpdf(XG))) - 1e-12


@pytest.mark.parametrize("method", [m for m in gradmle.METHODS if m != "closed_form"])
def test_a_minimal_family_with_every_method(method):
    kw = {"step": 0.5} if method in ("gradient", "sequential", "coordinate") else {}
    r = gradmle.fit(XG, family=GUMBEL, method=method, max_iter=3000, **kw)
    assert r.status in gradmle.STATUSES
    if method not in ("adam",):
        assert r.converged, (method, r.message)
    r.summary()
    if not r.converged:
        r.diagnosis
    st = gradmle.stability(XG, family=GUMBEL, method="fisher")
    assert st.bound == pytest.approx(2.0, rel=0.05)  # observed information stands in for Fisher's


def test_a_minimal_family_refuses_the_closed_form():
    with pytest.raises(ValueError, match="no closed-form MLE"):
        gradmle.fit(XG, family=GUMBEL, method="closed_form")
