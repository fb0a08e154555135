"""Four models written as gradmle.Model: a per-observation log-density in jax.numpy,
the constraints of its parameters, and nothing else (JAX gives the gradient and the
Hessian). Fit one with ``gradmle.fit(data, family=MODEL, init=...)`` or from the command
line with ``gradmle fit data.csv --model examples/models.py:NAME``."""

import jax.numpy as jnp
from jax.scipy.special import gammaln, logsumexp
from jax.scipy.stats import norm

import gradmle


def _mixture(x, w, mu, sigma):
    # log(w_1 N(x; mu_1, sigma_1) + w_2 N(x; mu_2, sigma_2)), summed in the log domain
    return logsumexp(jnp.log(w)[:, None] + norm.logpdf(x[None, :], mu[:, None], sigma[:, None]), axis=0)


#: Two-component Normal mixture: weights on the simplex (w[0] is free, w[1] = 1 - w[0]),
#: components reported in increasing order of their means.
mixture = gradmle.Model(_mixture, {"w": ("simplex", 2), "mu": ("real", 2), "sigma": ("positive", 2)},
                        components=("w", "mu", "sigma"), name="mixture")


def _heteroscedastic(d, beta, gamma):
    # y = beta_0 + beta_1 x + e, with log sigma = gamma_0 + gamma_1 x
    return norm.logpdf(d["y"], beta[0] + beta[1] * d["x"], jnp.exp(gamma[0] + gamma[1] * d["x"]))


#: Normal linear regression whose standard deviation is log-linear in x.
heteroscedastic = gradmle.Model(_heteroscedastic, {"beta": ("real", 2), "gamma": ("real", 2)},
                                name="heteroscedastic")

FEATURES = ("x1", "x2", "x3", "x4", "x5")


def _logistic(d, beta):
    eta = beta[0] + sum(beta[i + 1] * d[k] for i, k in enumerate(FEATURES))
    # log P(y | eta) = y eta - log(1 + e^eta), without overflow for large |eta|
    return d["y"] * eta - jnp.logaddexp(0.0, eta)


#: Logistic regression of y (0 or 1) on an intercept and x1..x5.
logistic = gradmle.Model(_logistic, {"beta": ("real", 1 + len(FEATURES))}, name="logistic")


def _zip(d, pi, beta):
    # zero-inflated Poisson: a structural zero with probability pi, else Poisson(lam)
    log_lam = beta[0] + beta[1] * d["x"]
    lam = jnp.exp(log_lam)
    y = d["y"]
    zero = jnp.logaddexp(jnp.log(pi), jnp.log1p(-pi) - lam)
    count = jnp.log1p(-pi) + y * log_lam - lam - gammaln(y + 1.0)
    return jnp.where(y == 0, zero, count)


#: Zero-inflated Poisson regression with log(lambda) linear in x.
zip_poisson = gradmle.Model(_zip, {"pi": "unit_interval", "beta": ("real", 2)}, name="zip_poisson")
