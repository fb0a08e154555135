"""The ends of a run that real models have and the built-in families do not: a
likelihood unbounded as a scale collapses onto one observation, a parameter run to the
edge of its interval (a mixture weight to 0), a likelihood flat along a parameter or a
direction (parameters the data do not determine), a saddle point. None of them may be
reported as converged; :func:`verdict` names them from the family's value, gradient and
Hessian at the end (any family with a per-observation ``each``)."""

from __future__ import annotations

import math

import numpy as np

from .constraints import POSITIVE, UNIT_INTERVAL
from .families.base import Sample
from .outcomes import Outcome

__all__ = ["verdict", "row", "FLAT_PARAMETER", "FLAT_DIRECTION", "AT_EDGE", "SHRUNK", "RISE"]

#: At the end of a run: a parameter whose relative change moves the total log-likelihood
#: by less than this is not determined by the data; so is a direction of the information
#: scaled to unit diagonal whose eigenvalue is below FLAT_DIRECTION.
FLAT_PARAMETER = 1e-12
FLAT_DIRECTION = 1e-10
#: A unit-interval parameter this close to 0 or 1 is at the edge.
AT_EDGE = 1e-8
#: A positive parameter that has shrunk by this factor from its start is probed: the
#: likelihood is unbounded when each tenfold decrease raises it by at least RISE.
SHRUNK = 1e-6
RISE = 0.5


def row(chunk, j: int) -> str:
    """Observation j of a chunk (a value, or a row of named columns), as text."""
    if hasattr(chunk, "items"):
        return "{" + ", ".join(f"{k}: {float(v[j]):.6g}" for k, v in chunk.items()) + "}"
    return f"{float(chunk[j]):.6g}"


def verdict(fam, theta, start, status: str, sample: Sample, fixed=()):
    """``(status, Outcome, message)`` for the non-regular ends that real models have
    and the built-in families do not, else None: an unbounded likelihood (a scale
    collapsing onto one observation), a parameter run to the edge of its interval
    (a mixture weight to 0), a likelihood flat along a direction (parameters the
    data do not determine), a saddle point. ``fixed``: indices held fixed."""
    if status == "diverged" and not all(math.isfinite(v) for v in theta):
        return None
    theta = tuple(float(v) for v in theta)
    free = [i for i in range(len(theta)) if i not in fixed]
    value = _mean(fam, theta, sample)
    if not math.isfinite(value):
        return None
    n = sample.n
    # A scale that collapsed: is the likelihood unbounded as it goes to 0?
    for i in free:
        c, t0 = fam.constraints[i], start[i]
        if c is POSITIVE and math.isfinite(t0) and 0.0 < theta[i] < SHRUNK * t0:
            rises = []
            last = value
            for j in (1, 2, 3):
                probe = list(theta)
                probe[i] = theta[i] * 10.0 ** -j
                v = _mean(fam, tuple(probe), sample)
                rises.append((v - last) * n)
                last = v
            if all(r >= RISE for r in rises):
                name = fam.param_names[i]
                where = _largest(fam, theta, sample)
                return ("boundary", Outcome("unbounded", name, None, t0, theta[i]),
                        f"the likelihood is unbounded: as {name} -> 0 the log-likelihood grows without limit "
                        f"(+{min(rises):.3g} or more for each tenfold decrease from {name} = {theta[i]:.3g}){where}; "
                        f"no maximum exists and these estimates mean nothing. Start {name} nearer the data's "
                        f"spread (a local maximum may exist inside), or keep it away from 0")
    h = np.asarray(fam.hessian(theta, sample), dtype=float)
    grad = fam.objective(sample)(theta)[1]
    # A weight at the edge of its interval, the likelihood still rising towards it.
    for i in free:
        c, t, g = fam.constraints[i], theta[i], grad[i]
        if c is UNIT_INTERVAL and ((t < AT_EDGE and g < 0) or (t > 1.0 - AT_EDGE and g > 0)):
            edge = 0 if t < 0.5 else 1
            name = fam.param_names[i]
            flat = _flat_parameters(fam, theta, h, free, n, skip=i)
            also = f"; there, {', '.join(flat)} no longer matter to the likelihood" if flat else ""
            return ("boundary", Outcome("boundary", name, None, None, t),
                    f"{name} ran to {edge} ({name} = {t:.3g}, the likelihood still rising towards it): the run ended "
                    f"on the edge of the parameter space{also} (for a mixture: a component emptied; a model with "
                    f"fewer components fits these data as well, or start elsewhere)")
    if status != "converged":
        return None
    flat = _flat_parameters(fam, theta, h, free, n)
    if flat:
        return ("not_identified", Outcome("not_identified", flat[0], None),
                f"the data do not determine {', '.join(flat)}: moving {'it' if len(flat) == 1 else 'each'} by "
                f"its own size changes the log-likelihood by less than {FLAT_PARAMETER:g}; the estimate is not a "
                f"maximum but one point of a flat set. Hold {'it' if len(flat) == 1 else 'them'} fixed, or "
                f"remove {'it' if len(flat) == 1 else 'them'} from the model")
    info = -h[np.ix_(free, free)] * n
    if not np.all(np.isfinite(info)):
        return None
    d = np.sqrt(np.abs(np.diag(info)))  # (a negative diagonal: the likelihood is convex along that axis)
    if not np.all(d > 0):
        return None
    scaled = info / np.outer(d, d)
    eig, vec = np.linalg.eigh(0.5 * (scaled + scaled.T))
    if eig[0] >= FLAT_DIRECTION:
        return None
    direction = vec[:, 0] / d
    direction /= direction[np.argmax(np.abs(direction))]
    names = [fam.param_names[i] for i in free]
    terms = [(a, nm) for a, nm in zip(direction, names) if abs(a) >= 1e-3]
    if terms[0][0] < 0:  # (a direction has no sign: the first term positive)
        terms = [(-a, nm) for a, nm in terms]
    combo = " ".join(f"{'+' if a > 0 else '-'} {'' if abs(abs(a) - 1) < 1e-9 else f'{abs(a):.4g} '}{nm}"
                     for a, nm in terms)[2:]
    if eig[0] < -FLAT_DIRECTION * 100:
        return ("stalled", Outcome("saddle", names[int(np.argmax(np.abs(direction)))], None),
                f"the gradient vanishes here but the log-likelihood rises along the direction ({combo}): a "
                f"saddle point, not a maximum (the information has the eigenvalue {eig[0]:.3g} after scaling "
                f"to unit diagonal); start elsewhere")
    return ("not_identified", Outcome("not_identified", names[int(np.argmax(np.abs(direction)))], None),
            f"the likelihood is flat along the direction ({combo}): the data determine the other combinations "
            f"of {', '.join(n for n, a in zip(names, direction) if abs(a) >= 1e-3)} but not this one (the "
            f"information is singular: eigenvalue {eig[0]:.2g} after scaling to unit diagonal); the estimate is "
            f"one point of a flat ridge. Hold one of them fixed, or reparametrize")

def _mean(fam, theta, sample: Sample) -> float:
    return fam.objective(sample)(theta)[0]

def _flat_parameters(fam, theta, h, free, n, skip=None) -> list:
    """The free parameters whose relative change moves the log-likelihood by less
    than FLAT_PARAMETER (their curvature is nil)."""
    out = []
    for i in free:
        if i == skip:
            continue
        size = max(abs(theta[i]), 1.0)
        curv = -float(h[i, i]) * n * size * size
        if math.isfinite(curv) and abs(curv) < FLAT_PARAMETER:
            out.append(fam.param_names[i])
    return out

def _largest(fam, theta, sample: Sample) -> str:
    """The observation with the largest log-density at theta (the one a collapsing
    component sits on), as a phrase."""
    best = (-math.inf, None, None)
    for offset, chunk in sample.source.chunks():
        v = fam.each(chunk, theta)
        if v.shape != chunk.shape or not v.size:
            continue
        with np.errstate(invalid="ignore"):
            j = int(np.nanargmax(np.where(np.isnan(v), -np.inf, v)))
        if v[j] > best[0]:
            best = (float(v[j]), offset + j, row(chunk, j))
    if best[1] is None:
        return ""
    return f": the log-density of the observation {best[2]} (index {best[1]}) is {best[0]:.4g} and rising"
