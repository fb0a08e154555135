"""Bijections between a parameter's natural scale and the scale an optimizer works on.

Each constraint (gradmle.constraints) names the transform that removes it, as
numpyro's registry does; families never hand-code exp/log tricks. Each transform is elementwise, so its
Jacobian is diagonal: working gradients are ``g_theta * dtheta/du``.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

__all__ = ["Transform", "IDENTITY", "LOG", "SQUARE", "LOGIT", "TRANSFORMS"]

_LOG_MAX = math.log(1.7976931348623157e308)


class Transform(NamedTuple):
    name: str
    #: How to write the working coordinate of a parameter called ``p``.
    label: str
    to_working: Callable[[float], float]
    to_natural: Callable[[float], float]
    #: dtheta/du and d2theta/du2, both as functions of theta (the natural value).
    jac: Callable[[float], float]
    jac2: Callable[[float], float]


def _exp(u: float) -> float:
    return math.inf if u > _LOG_MAX else math.exp(u)


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def _sqrt(u: float) -> float:
    return math.sqrt(u) if u >= 0 else math.nan


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p) if 0.0 < p < 1.0 else math.nan


def _expit(u: float) -> float:
    if u >= 0:
        return 1.0 / (1.0 + math.exp(-u))
    e = _exp(u)
    return e / (1.0 + e)


IDENTITY = Transform("identity", "{}", float, float, lambda t: 1.0, lambda t: 0.0)
LOG = Transform("log", "log({})", _log, _exp, lambda t: t, lambda t: t)
SQUARE = Transform("square", "{}^2", lambda t: t * t, _sqrt, lambda t: 0.5 / t, lambda t: -0.25 / (t * t * t))

# theta = 1 / (1 + exp(-u)): dtheta/du = theta (1 - theta), d2theta/du2 = theta (1 - theta) (1 - 2 theta).
LOGIT = Transform("logit", "logit({})", _logit, _expit, lambda t: t * (1.0 - t), lambda t: t * (1.0 - t) * (1.0 - 2.0 * t))

TRANSFORMS = {t.name: t for t in (IDENTITY, LOG, SQUARE, LOGIT)}
