"""User models (gradmle.Model, derivatives by JAX) against general-purpose optimizers
on the same likelihoods, timed in the same run: logistic regression (6 coefficients,
n = 10^6), a two-component Normal mixture (5 parameters, n = 10^5) and a Normal linear
regression whose log-sigma is linear too (5 parameters, n = 10^6).

Peers, each from the same start: iminuit's MIGRAD with the JAX gradient (errordef 0.5
on the negative log-likelihood), statsmodels' GenericLikelihoodModel (its default
optimizer, Nelder-Mead, given the negative log-likelihood per observation in numpy, no
gradient), scipy.optimize.minimize(method="BFGS") with the jit-compiled JAX gradient,
torch.optim.LBFGS (float64, strong-Wolfe line search, the log-likelihood in torch).
gradmle runs its default method. The peers see the constrained parameters (mixture
weight, scales) on the logit and log scales; every log-likelihood is computed by one
function at the parameters each tool returned.

Times are warm: every tool that compiles or traces (gradmle, iminuit and scipy through
JAX, torch) runs once untimed, then the best of REPEAT timed runs counts;
GenericLikelihoodModel (numpy, nothing to compile, minutes at n = 10^6) runs once, timed.
Goals (printed as met or missed): gradmle no slower than iminuit, >= 10x faster than
GenericLikelihoodModel, and a log-likelihood >= every peer's (to 1e-9 relative).
GRADMLE_BENCH_QUICK=1 runs at n/10.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

import gradmle
from common import best_of, table

QUICK = os.environ.get("GRADMLE_BENCH_QUICK", "") not in ("", "0")
SCALE = 10 if QUICK else 1
LOGLIK_TOL = 1e-9
REPEAT = 3
GENERIC = "statsmodels GenericLikelihoodModel"


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)  # (the peers' functions run in float64, as gradmle's do)
    return jax, jax.numpy


# -- the three problems -----------------------------------------------------------------------
# Each: the data as columns (gradmle), a gradmle.Model and its start, and for the peers a
# flat unconstrained vector u with to_u / from_u between it and gradmle's parameters, the
# log-likelihood per observation of u in JAX, numpy and torch.


def logistic(n: int, rng):
    _, jnp = _jax()
    k = 6
    beta = np.array([0.3, -1.0, 0.5, 0.8, -0.4, 0.2])
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-X @ beta))).astype(float)
    cols = {"y": y, **{f"x{i}": np.ascontiguousarray(X[:, i]) for i in range(1, k)}}

    def logpdf(d, beta):
        eta = beta[0] + sum(beta[i] * d[f"x{i}"] for i in range(1, k))
        return d["y"] * eta - jnp.logaddexp(0.0, eta)

    model = gradmle.Model(logpdf, {"beta": ("real", k)}, name="logistic")
    init = {"beta": [0.0] * k}

    def obs(u, xp):
        eta = X @ u
        return y * eta - xp.logaddexp(0.0, eta)

    return dict(name=f"logistic k={k}", n=n, data=cols, model=model, init=init, u0=np.zeros(k),
                to_u=lambda p: np.array(list(p.values())), obs=obs, arrays=(X, y))


def mixture(n: int, rng):
    _, jnp = _jax()
    from jax.scipy.special import logsumexp
    from jax.scipy.stats import norm

    m = int(0.4 * n)
    x = np.concatenate([rng.normal(-1.0, 1.0, m), rng.normal(2.0, 0.7, n - m)])
    rng.shuffle(x)

    def logpdf(x, w, mu, sigma):
        return logsumexp(jnp.log(w)[:, None] + norm.logpdf(x[None, :], mu[:, None], sigma[:, None]), axis=0)

    model = gradmle.Model(logpdf, {"w": ("simplex", 2), "mu": ("real", 2), "sigma": ("positive", 2)},
                          components=("w", "mu", "sigma"), name="mixture")
    init = {"w": [0.5, 0.5], "mu": [-0.5, 1.0], "sigma": [1.0, 1.0]}

    def obs(u, xp):  # u = (logit w0, mu0, mu1, log sigma0, log sigma1)
        lw0 = -xp.logaddexp(0.0 * u[0], -u[0])
        lw1 = -xp.logaddexp(0.0 * u[0], u[0])
        a = lw0 - u[3] - 0.5 * ((x - u[1]) / xp.exp(u[3])) ** 2
        b = lw1 - u[4] - 0.5 * ((x - u[2]) / xp.exp(u[4])) ** 2
        return xp.logaddexp(a, b) - 0.5 * np.log(2.0 * np.pi)

    def to_u(p):
        w = p["w[0]"]
        return np.array([np.log(w / (1.0 - w)), p["mu[0]"], p["mu[1]"], np.log(p["sigma[0]"]),
                         np.log(p["sigma[1]"])])

    return dict(name="mixture of 2 Normals", n=n, data=x, model=model, init=init,
                u0=to_u({"w[0]": 0.5, "mu[0]": -0.5, "mu[1]": 1.0, "sigma[0]": 1.0, "sigma[1]": 1.0}),
                to_u=to_u, obs=obs, arrays=(x,))


def heteroscedastic(n: int, rng):
    _, jnp = _jax()
    x1, x2 = rng.normal(size=n), rng.uniform(-1.0, 1.0, n)
    y = 1.0 - 2.0 * x1 + 0.5 * x2 + np.exp(-0.3 + 0.4 * x1) * rng.normal(size=n)
    cols = {"y": y, "x1": x1, "x2": x2}

    def logpdf(d, beta, gamma):
        mu = beta[0] + beta[1] * d["x1"] + beta[2] * d["x2"]
        log_sigma = gamma[0] + gamma[1] * d["x1"]
        return -0.5 * jnp.log(2.0 * jnp.pi) - log_sigma - 0.5 * ((d["y"] - mu) * jnp.exp(-log_sigma)) ** 2

    model = gradmle.Model(logpdf, {"beta": ("real", 3), "gamma": ("real", 2)}, name="heteroscedastic")
    init = {"beta": [0.0, 0.0, 0.0], "gamma": [0.0, 0.0]}

    def obs(u, xp):
        mu = u[0] + u[1] * x1 + u[2] * x2
        log_sigma = u[3] + u[4] * x1
        return -0.5 * np.log(2.0 * np.pi) - log_sigma - 0.5 * ((y - mu) * xp.exp(-log_sigma)) ** 2

    return dict(name="Normal, log-linear sigma", n=n, data=cols, model=model, init=init, u0=np.zeros(5),
                to_u=lambda p: np.array(list(p.values())), obs=obs, arrays=(y, x1, x2))


# -- the tools ----------------------------------------------------------------------------------


def run_gradmle(case):
    r = gradmle.fit(case["data"], family=case["model"], init=case["init"])
    return case["to_u"](r.params), f"{r.status}, {r.nit} it"


def jax_negloglik(case):
    """The total negative log-likelihood of u and its gradient, jit-compiled (the
    data are closed over: on the device once, outside the timing)."""
    jax, jnp = _jax()
    obs = case["obs"]
    f = jax.jit(lambda u: -jnp.sum(obs(u, jnp)))
    g = jax.jit(jax.grad(lambda u: -jnp.sum(obs(u, jnp))))
    vg = jax.jit(jax.value_and_grad(lambda u: -jnp.sum(obs(u, jnp))))

    def fun(u):
        return float(f(jnp.asarray(u)))

    def grad(u):
        return np.asarray(g(jnp.asarray(u)))

    def value_and_grad(u):
        v, g = vg(jnp.asarray(u))
        return float(v), np.asarray(g)

    return fun, grad, value_and_grad


def run_iminuit(case, fns):
    from iminuit import Minuit

    fun, grad, _ = fns
    m = Minuit(fun, np.array(case["u0"], dtype=float), grad=grad)
    m.errordef = Minuit.LIKELIHOOD
    m.migrad()
    return np.array(m.values), f"valid={m.valid}, {m.nfcn} calls"


def run_scipy(case, fns):
    from scipy.optimize import minimize

    r = minimize(fns[2], np.array(case["u0"], dtype=float), jac=True, method="BFGS")
    return r.x, f"{'ok' if r.success else 'not ok'}, {r.nit} it"


def run_torch(case):
    import torch

    tensors = [torch.from_numpy(a) for a in case["arrays"]]
    u = torch.tensor(case["u0"], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([u], lr=1.0, max_iter=1000, tolerance_grad=1e-10, tolerance_change=1e-14,
                            history_size=20, line_search_fn="strong_wolfe")
    obs = case["obs_torch"](tensors)

    def closure():
        opt.zero_grad()
        loss = -torch.mean(obs(u))
        loss.backward()
        return loss

    opt.step(closure)
    return u.detach().numpy().copy(), f"{opt.state[opt._params[0]]['n_iter']} it"


def torch_obs(case):
    """The per-observation log-likelihood of u in torch (the numpy one with torch's
    functions: the same formula)."""
    import torch

    def make(tensors):
        name = case["name"]
        if name.startswith("logistic"):
            X, y = tensors
            return lambda u: y * (X @ u) - torch.logaddexp(torch.zeros((), dtype=torch.float64), X @ u)
        if name.startswith("mixture"):
            (x,) = tensors
            zero = torch.zeros((), dtype=torch.float64)

            def f(u):
                lw0, lw1 = -torch.logaddexp(zero, -u[0]), -torch.logaddexp(zero, u[0])
                a = lw0 - u[3] - 0.5 * ((x - u[1]) / torch.exp(u[3])) ** 2
                b = lw1 - u[4] - 0.5 * ((x - u[2]) / torch.exp(u[4])) ** 2
                return torch.logaddexp(a, b) - 0.5 * np.log(2.0 * np.pi)

            return f
        y, x1, x2 = tensors

        def g(u):
            mu = u[0] + u[1] * x1 + u[2] * x2
            log_sigma = u[3] + u[4] * x1
            return -0.5 * np.log(2.0 * np.pi) - log_sigma - 0.5 * ((y - mu) * torch.exp(-log_sigma)) ** 2

        return g

    return make


def run_statsmodels(case):
    from statsmodels.base.model import GenericLikelihoodModel

    obs = case["obs"]
    n = case["n"]

    class Negative(GenericLikelihoodModel):
        def nloglikeobs(self, params):
            return -obs(np.asarray(params, dtype=float), np)

    model = Negative(np.zeros(n), np.zeros((n, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = model.fit(start_params=np.array(case["u0"], dtype=float), disp=0)
    conv = r.mle_retvals.get("converged")
    return np.asarray(r.params, dtype=float), f"{'converged' if conv else 'not converged'}, " \
                                              f"{r.mle_retvals.get('iterations')} it"


def timed(fn, warm: bool):
    """Seconds of the fastest timed run and what it returned; with ``warm``, after one
    untimed run, the best of REPEAT."""
    out = {}

    def run():
        out["v"] = fn()

    if warm:
        run()
    return best_of(run, REPEAT if warm else 1), out["v"]


def main() -> int:
    rng = np.random.default_rng(0)
    cases = [logistic(10**6 // SCALE, rng), mixture(10**5 // SCALE, rng), heteroscedastic(10**6 // SCALE, rng)]
    rows, goals = [], []
    for case in cases:
        case["obs_torch"] = torch_obs(case)
        total = lambda u: float(np.sum(case["obs"](np.asarray(u, dtype=float), np)))  # noqa: E731
        fns = jax_negloglik(case)
        tools = [("gradmle", lambda: run_gradmle(case), True),
                 ("iminuit", lambda: run_iminuit(case, fns), True),
                 ("scipy BFGS", lambda: run_scipy(case, fns), True),
                 ("torch LBFGS", lambda: run_torch(case), True),
                 (GENERIC, lambda: run_statsmodels(case), False)]
        results = {}
        for name, fn, warm in tools:
            seconds, (u, note) = timed(fn, warm)
            results[name] = (seconds, total(u), note)
        t0, ll0, _ = results["gradmle"]
        for name, (seconds, ll, note) in results.items():
            rows.append([case["name"] if name == "gradmle" else "", f"{case['n']:.0e}" if name == "gradmle" else "",
                         name, f"{seconds * 1e3:.0f} ms", f"{seconds / t0:.2f}x", f"{ll:.6f}", f"{ll0 - ll:+.2e}",
                         note])
        others = [v for k, v in results.items() if k != "gradmle"]
        goals.append((case["name"], results["iminuit"][0] >= t0, results[GENERIC][0] >= 10 * t0,
                      all(ll0 >= ll - LOGLIK_TOL * abs(ll) for _, ll, _ in others)))
    print(table(f"gradmle.Model (default method) against peers on the same log-likelihood, same run; warm times "
                f"(one untimed run, then the best of {REPEAT}, for every tool that compiles: gradmle, iminuit, "
                f"scipy, torch; statsmodels once)"
                + (" [QUICK: n/10]" if QUICK else ""),
                ["model", "n", "tool", "time", "time / gradmle's", "total loglik", "gradmle's - this", "notes"],
                rows))
    yes = {True: "met", False: "MISSED"}
    for name, fast, ten, best in goals:
        print(f"goals, {name}: no slower than iminuit {yes[fast]}; >= 10x faster than GenericLikelihoodModel "
              f"{yes[ten]}; loglik >= every peer's (1e-9 relative) {yes[best]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
