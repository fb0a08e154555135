"""Parameters held fixed: closed forms give the restricted MLE, and so do the reference,
the error and the summary (never the unrestricted MLE)."""

import math

import numpy as np
import pytest
import scipy.optimize

import gradmle

RNG = np.random.default_rng(11)
X_NORMAL = RNG.normal(1.0, 2.0, 800)
X_LAPLACE = RNG.laplace(1.0, 2.0, 801)
X_LOGNORMAL = RNG.lognormal(1.0, 0.5, 800)


def restricted(family, x, fixed):
    """The restricted MLE by a bounded 1-D search on scipy's log-likelihood."""
    fam = gradmle.get_family(family)
    (free,) = [n for n in fam.param_names if n not in fixed]
    dist = getattr(__import__("scipy.stats").stats, fam.scipy_name)

    def kw(v):
        out = dict(fixed, **{free: v})
        if family == "normal":
            out = {"loc": out["mu"], "scale": out["sigma"]}
        return out

    def nll(v):
        return -np.sum(dist.logpdf(x, **kw(v)))

    ref = gradmle.fit(x, family=family, method="lbfgs", fixed=fixed, tol=1e-13).params[free]
    lo, hi = ref * 0.5 if ref > 0 else ref - 1, ref * 1.5 if ref > 0 else ref + 1
    return scipy.optimize.minimize_scalar(nll, bounds=(min(lo, hi), max(lo, hi)), method="bounded",
                                          options={"xatol": 1e-12}).x, free


@pytest.mark.parametrize("family, x, fixed", [
    ("laplace", X_LAPLACE, {"loc": 0.0}),
    ("laplace", X_LAPLACE, {"scale": 3.0}),
    ("normal", X_NORMAL, {"mu": 0.0}),
    ("normal", X_NORMAL, {"sigma": 5.0}),
    ("lognormal", X_LOGNORMAL, {"scale": 1.0}),
    ("lognormal", X_LOGNORMAL, {"s": 2.0}),
])
@pytest.mark.parametrize("method", ["auto", "closed_form"])
def test_closed_form_respects_fixed(family, x, fixed, method):
    r = gradmle.fit(x, family=family, method=method, fixed=fixed)
    (name, value), = fixed.items()
    assert r.params[name] == value
    assert r.converged and "held fixed" in r.message or method == "auto" and family != "laplace"
    (free,) = [n for n in r.params if n not in fixed]
    exact = {
        ("laplace", "loc"): lambda: np.mean(np.abs(x - value)),
        ("laplace", "scale"): lambda: np.median(x),
        ("normal", "mu"): lambda: math.sqrt(np.mean((x - value) ** 2)),
        ("normal", "sigma"): lambda: np.mean(x),
        ("lognormal", "scale"): lambda: math.sqrt(np.mean((np.log(x) - math.log(value)) ** 2)),
        ("lognormal", "s"): lambda: math.exp(np.mean(np.log(x))),
    }[(family, name)]()
    assert r.params[free] == pytest.approx(exact, rel=1e-12)
    # The reference is the restricted MLE, so the error is that of this fit.
    assert r.reference == pytest.approx(r.params, rel=1e-9)
    assert r.error < 1e-9
    if family != "laplace":  # (Laplace with b held: every median maximizes)
        search, _ = restricted(family, x, fixed)
        assert r.params[free] == pytest.approx(search, rel=1e-5)  # (a bounded search on a flat curve)


def test_iterative_fit_with_fixed_is_compared_with_the_restricted_mle():
    r = gradmle.fit(X_NORMAL, method="gradient", step=0.5, fixed={"mu": 0.0}, init={"sigma": 1.0})
    assert r.converged
    assert r.reference["mu"] == 0.0
    assert r.reference["sigma"] == pytest.approx(math.sqrt(np.mean(X_NORMAL**2)), rel=1e-12)
    assert r.error < 1e-9
    assert "restricted" in r.summary()


def test_no_restricted_closed_form_is_said():
    r = gradmle.fit(X_LOGNORMAL, family="gamma", fixed={"scale": 1.0})
    assert r.converged and r.reference is None
    with pytest.raises(ValueError, match="no closed-form MLE with scale fixed"):
        gradmle.fit(X_LOGNORMAL, family="gamma", method="closed_form", fixed={"scale": 1.0})
