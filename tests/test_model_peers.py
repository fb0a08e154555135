"""User models against the libraries that fit the same likelihoods their own way:
logistic regression against statsmodels' Logit, a zero-inflated Poisson against
statsmodels' ZeroInflatedPoisson, a two-component Normal mixture against scikit-learn's
GaussianMixture (EM). gradmle must reach their estimates and a log-likelihood at least
theirs."""

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.mixture import GaussianMixture
from statsmodels.discrete.count_model import ZeroInflatedPoisson
from statsmodels.tools.numdiff import approx_hess

import gradmle

jax = pytest.importorskip("jax")
jnp = jax.numpy
from jax.scipy.special import gammaln, logsumexp  # noqa: E402
from jax.scipy.stats import norm  # noqa: E402

RNG = np.random.default_rng(23)
K = 5  # logistic regression: an intercept and four covariates


def _logistic(d, beta):
    eta = beta[0] + sum(beta[i] * d[f"x{i}"] for i in range(1, K))
    return d["y"] * eta - jnp.logaddexp(0.0, eta)


def _zip(d, infl, beta):
    """Zero-inflated Poisson: a zero with probability 1 / (1 + exp(-infl)), else a
    Poisson count of mean exp(beta[0] + beta[1] x)."""
    log_pi, log_rest = -jnp.logaddexp(0.0, -infl), -jnp.logaddexp(0.0, infl)
    eta = beta[0] + beta[1] * d["x"]
    count = log_rest + d["y"] * eta - jnp.exp(eta) - gammaln(d["y"] + 1.0)
    return jnp.where(d["y"] == 0, jnp.logaddexp(log_pi, log_rest - jnp.exp(eta)), count)


def _mixture(x, w, mu, sigma):
    return logsumexp(jnp.log(w)[:, None] + norm.logpdf(x[None, :], mu[:, None], sigma[:, None]), axis=0)


# Shared: each model's JAX functions compile once for the module.
LOGISTIC = gradmle.Model(_logistic, {"beta": ("real", K)})
ZIP = gradmle.Model(_zip, {"infl": "real", "beta": ("real", 2)})
MIXTURE = gradmle.Model(_mixture, {"w": ("simplex", 2), "mu": ("real", 2), "sigma": ("positive", 2)},
                        components=("w", "mu", "sigma"))


def test_logistic_regression_gives_statsmodels_logit():
    n = 4000
    X = np.column_stack([np.ones(n), RNG.normal(size=(n, K - 1))])
    true = np.array([-0.4, 1.0, -0.7, 0.3, 0.0])
    y = (RNG.uniform(size=n) < 1.0 / (1.0 + np.exp(-X @ true))).astype(float)
    data = {"y": y, **{f"x{i}": X[:, i] for i in range(1, K)}}
    r = gradmle.fit(data, family=LOGISTIC, init={"beta": [0.0] * K})
    assert r.converged, r.message
    ref = sm.Logit(y, X).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
    ours = np.array(list(r.params.values()))
    assert ours == pytest.approx(ref.params, abs=1e-7)
    assert np.array(list(r.stderr.values())) == pytest.approx(ref.bse, rel=1e-5)
    assert r.loglik * n == pytest.approx(ref.llf, rel=1e-12)


def test_zero_inflated_poisson_gives_statsmodels_zip():
    n = 3000
    x = RNG.uniform(-1.0, 1.0, n)
    counts = RNG.poisson(np.exp(0.8 + 0.6 * x))
    y = np.where(RNG.uniform(size=n) < 0.3, 0, counts).astype(float)
    r = gradmle.fit({"y": y, "x": x}, family=ZIP, init={"infl": 0.0, "beta": [0.0, 0.0]})
    assert r.converged, r.message
    zip_model = ZeroInflatedPoisson(y, sm.add_constant(x), exog_infl=np.ones((n, 1)), inflation="logit")
    ref = zip_model.fit(method="newton", maxiter=100, tol=1e-12, disp=0)
    assert ref.mle_retvals["converged"]
    ll_ours = r.loglik * n
    assert ll_ours >= ref.llf - 1e-9 * abs(ref.llf)
    ours = np.array(list(r.params.values()))  # (statsmodels: the inflation parameter first, as here)
    assert ours == pytest.approx(ref.params, abs=1e-5)
    # Standard errors against a numerically differentiated Hessian of statsmodels' own
    # log-likelihood, not against ref.bse: statsmodels' analytic ZIP Hessian
    # (ZeroInflatedPoisson.hessian, 0.15.0) sets the cross terms between the inflation
    # and the count parameters to 0 (here they are 365 and -53 against diagonals of 446,
    # 4048 and 1443), so ref.bse is off by 6% for the inflation parameter and 5-2% for
    # the others; its Newton iteration converges all the same, to the same maximum.
    h = approx_hess(ours, zip_model.loglike)
    numeric = np.sqrt(np.diag(np.linalg.inv(-h)))
    assert np.array(list(r.stderr.values())) == pytest.approx(numeric, rel=1e-5)


def test_normal_mixture_likelihood_at_least_sklearn_em():
    n = 3000
    m = int(0.35 * n)
    x = np.concatenate([RNG.normal(-1.5, 0.8, m), RNG.normal(1.5, 1.2, n - m)])
    r = gradmle.fit(x, family=MIXTURE, init={"w": [0.5, 0.5], "mu": [-1.0, 1.0], "sigma": [1.0, 1.0]})
    assert r.converged, r.message
    gm = GaussianMixture(2, tol=1e-12, max_iter=100_000, reg_covar=0.0, means_init=[[-1.0], [1.0]],
                         random_state=0).fit(x[:, None])
    ll_sklearn = gm.score(x[:, None]) * n
    ll_ours = r.loglik * n
    assert ll_ours >= ll_sklearn - 1e-9 * abs(ll_sklearn)
    # The same maximum: components in increasing order of the means, as gradmle reports them.
    order = np.argsort(gm.means_.ravel())
    full = MIXTURE.full(r.params)
    assert full["w"] == pytest.approx(gm.weights_[order], abs=1e-4)
    assert full["mu"] == pytest.approx(gm.means_.ravel()[order], abs=1e-4)
    assert full["sigma"] == pytest.approx(np.sqrt(gm.covariances_.ravel()[order]), abs=1e-4)
