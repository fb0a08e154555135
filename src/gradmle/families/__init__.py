"""Registry of distribution families, by lower-case name (one module per family)."""

from __future__ import annotations

from .base import Family, Sample
from .beta import Beta
from .exponential import Exponential
from .extremes import GenExtreme, GenPareto, Gumbel
from .gamma import Gamma
from .laplace import Laplace
from .logistic import Logistic
from .lognormal import LogNormal
from .nbinom import NegativeBinomial
from .normal import Normal
from .poisson import Poisson
from .student_t import StudentT
from .weibull import Weibull

# Durations, the line and counts (issue 13).
from .binom import Binomial
from .cauchy import Cauchy
from .fisk import Fisk
from .geom import Geometric
from .invgauss import InverseGaussian
from .pareto import Pareto
from .squares import HalfNormal, Rayleigh

#: Every family, by name, in the order they are listed to users.
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (Normal(), Exponential(), LogNormal(), Gamma(), Weibull(), StudentT(), Laplace(), Logistic(),
              Gumbel(), GenExtreme(), GenPareto(), Poisson(), NegativeBinomial(), Beta())
}
# Durations, the line and counts (issue 13).
FAMILIES.update((f.name, f) for f in (Pareto(), Fisk(), InverseGaussian(), Rayleigh(), HalfNormal(), Cauchy(),
                                      Geometric(), Binomial()))
#: Other names people use for the same families.
ALIASES = {"norm": "normal", "gaussian": "normal", "t": "student_t", "weibull_min": "weibull", "expon": "exponential",
           "lognorm": "lognormal", "negative_binomial": "nbinom", "negbin": "nbinom",
           "gumbel": "gumbel_r", "gev": "genextreme", "gpd": "genpareto"}
ALIASES.update({"loglogistic": "fisk", "log_logistic": "fisk", "inverse_gaussian": "invgauss", "half_normal": "halfnorm",
                "halfnormal": "halfnorm", "geometric": "geom", "binomial": "binom"})


def get_family(name) -> Family:
    """Look up a family by name; an unknown name raises ValueError listing the valid ones."""
    if isinstance(name, Family):
        return name
    if not isinstance(name, str):
        raise TypeError(f"family must be a string, got {type(name).__name__} {name!r}; one of: {', '.join(FAMILIES)}")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in FAMILIES:
        raise ValueError(f"unknown family {name!r}; valid families: {', '.join(FAMILIES)}")
    return FAMILIES[key]


__all__ = ["Family", "Sample", "FAMILIES", "get_family"]
