"""Student's t family, parameters ``df``, ``loc``, ``scale`` (as scipy.stats.t).

No sufficient statistics: every evaluation is a pass over the data, so one pass
computes the value, the gradient and everything the Hessian needs at that point
(cached: a Newton iteration costs one pass). With z = (x - loc) / scale,
r = z^2 / df and w = 1 + r, the log-density is

    lgamma((df+1)/2) - lgamma(df/2) - log(pi df)/2 - log(scale) - (df+1)/2 log(w).

When the data look Normal the likelihood keeps increasing with df: the maximum is at
df = infinity, the Normal model; the fit says so (status "boundary") and reports it.
"""

from __future__ import annotations

import math

import numpy as np

from ..stats import sum_of_products
from .base import PassFamily, Sample, split
from .special import digamma_half, lgamma_half, trigamma_half

NAN3 = (math.nan, math.nan, math.nan)
#: Above this df a t fit is indistinguishable from the Normal one for any sample
#: size gradmle meets; a fit that is still raising df there has reached the limit.
DF_LIMIT = 1e6


class StudentT(PassFamily):
    name = "student_t"
    param_names = ("df", "loc", "scale")
    constraints = ("positive", "real", "positive")
    scale_power = (0, 1, 1)
    loc_index = 1
    support = "real"
    #: The quartiles make a robust start (the sd of heavy-tailed data tells little).
    learns = ("moments", "m4", "quartiles")
    scipy_name = "t"
    condensable = True

    def prepare(self, info: dict) -> dict:
        """The start: df from the excess kurtosis (6 / (df - 4) for df > 4; heavy tails
        give df = 2.5 at least, Normal-looking data 30); loc the median and scale from the
        interquartile range (1.349 scales for a Normal), or from the variance when the
        quartiles coincide (ties)."""
        self.check_spread(info["min"], info["max"], info["n"])
        var = info["var"]
        kurt = info["m4"] / var / var - 3.0
        df = min(max(4.0 + 6.0 / kurt if kurt > 0.25 else 30.0, 2.5), 30.0)
        q1, med, q3 = info["quartiles"]
        scale = (q3 - q1) / 1.349 if q3 > q1 else math.sqrt(var * (df - 2.0) / df)
        return {"min": info["min"], "max": info["max"], "start": (df, med, scale)}

    def initial(self, sample: Sample):
        return sample.extra["start"]

    def chunk_sums(self, theta, x: np.ndarray, extra=None) -> np.ndarray:
        """The sums over one chunk that value, gradient and Hessian need at theta."""
        nu, mu, sig = theta
        x, w = split(x)
        z = (x - mu) / sig
        r = z * z
        r /= nu
        iw = 1.0 / (1.0 + r)
        iw2 = iw * iw
        buf = np.log1p(r)
        if w is not None:  # every sum is linear in log1p(r), iw or iw2: weight those
            buf *= w
            iw *= w
            iw2 *= w
        s_logw = float(buf.sum())  # buf is scratch from here on
        return np.array([
            s_logw, sum_of_products(z, iw, buf), sum_of_products(r, iw, buf), float(iw2.sum()),
            sum_of_products(r, iw2, buf), sum_of_products(np.multiply(r, r, out=buf), iw2, buf),
            sum_of_products(z, iw2, buf), sum_of_products(np.multiply(z, r, out=buf), iw2, buf),
        ])

    def assemble(self, theta, sums: np.ndarray, n: int, extra=None):
        """Value, gradient and Hessian (averages) from the summed ``chunk_sums``."""
        nu, mu, sig = theta
        s_logw, s_zw, s_rw, s_w2, s_rw2, s_r2w2, s_zw2, s_zrw2 = (float(v) / n for v in sums)
        # The df terms through lgamma((df+1)/2) - lgamma(df/2) and its derivatives,
        # written so that nothing cancels for large df (see special.py).
        c = lgamma_half(nu / 2) - 0.5 * math.log(math.pi * nu)
        value = c - math.log(sig) - 0.5 * (nu + 1) * s_logw
        if not math.isfinite(value):  # overflowed far from the data: outside, for the optimizer
            return -math.inf, NAN3, np.full((3, 3), math.nan)
        dnu = 0.5 * digamma_half(nu / 2) - 0.5 * s_logw + 0.5 * (nu + 1) / nu * s_rw
        dmu = (nu + 1) / nu * s_zw / sig
        dsig = (-1.0 + (nu + 1) * s_rw) / sig
        h_mumu = -(nu + 1) / nu / sig / sig * (s_w2 - s_rw2)
        h_musig = -2.0 * (nu + 1) / nu / sig / sig * s_zw2
        h_sigsig = (1.0 - (nu + 1) * (s_rw + 2.0 * s_rw2)) / sig / sig
        h_nunu = -0.25 * trigamma_half(nu / 2) + (0.5 * (nu + 1) * s_r2w2 - s_rw) / nu / nu
        # z (z^2 - 1) / (sig nu^2 w^2) and z^2 (z^2 - 1) / (sig nu^2 w^2), with z^2 = nu r.
        # (Divisions one factor at a time: a product like sig * sig may underflow to 0.)
        h_numu = (nu * s_zrw2 - s_zw2) / sig / nu / nu
        h_nusig = (s_r2w2 - s_rw2 / nu) / sig
        hess = np.array([[h_nunu, h_numu, h_nusig], [h_numu, h_mumu, h_musig], [h_nusig, h_musig, h_sigsig]])
        return value, (dnu, dmu, dsig), hess

    def fisher(self, theta) -> np.ndarray:
        nu, mu, sig = theta
        i_nunu = 0.25 * trigamma_half(nu / 2) + (3.0 - nu) / (2 * (nu + 1) * (nu + 3)) / nu / nu
        i_nusig = -2.0 / (sig * (nu + 1) * (nu + 3))
        return np.array([
            [i_nunu, 0.0, i_nusig],
            [0.0, (nu + 1) / (nu + 3) / sig / sig, 0.0],
            [i_nusig, 0.0, 2 * nu / (nu + 3) / sig / sig],
        ])

    def frame(self, sample: Sample):
        # df only: loc and scale follow the one rule (100 times the data's range).
        return (0.0, DF_LIMIT), None, None

    def limit(self, result) -> str | None:
        df = result.params["df"]
        ran = result.status == "diverged" and result.outcome.code == "ran_away" and result.outcome.param == "df"
        if df < 0.5 * DF_LIMIT and not ran:
            return None
        return (
            f"df runs to infinity (it reached {df:.3g} and was still rising): the data look Normal, and the "
            "t likelihood keeps increasing towards its Normal limit; see result.limit_fit for the Normal fit"
        )

    #: The model the fit tends to as df runs to infinity.
    limit_family = "normal"
    limit_params = ("df",)
    limit_names = {"loc": "mu", "scale": "sigma"}

    @staticmethod
    def start_inside(sample) -> tuple:
        """A start well inside the parameter space, with heavy tails (df = 1: the Cauchy),
        at the moment start's loc and scale: where a maximum other than the Normal limit
        is looked for before the fit is said to run to that limit."""
        _, loc, scale = sample.extra["start"]
        return (1.0, loc, scale)

    @staticmethod
    def start_from_limit(normal) -> tuple:
        """A start near the Normal limit: its mu and sigma, and the largest df the moment
        start uses."""
        mu, sigma = normal
        return (30.0, mu, sigma)
