"""A model of the user's checked at its start, and the user's errors told in a few words.

Before a run, the log-density is evaluated on the first rows of the data: it must
return one finite value per observation, and a hand-written gradient must agree with
central differences there (relative to the size of the gradient), so that a wrong
derivative is refused before it steers an optimizer rather than reported as converged.
"""

from __future__ import annotations

import numpy as np

from .families.base import Sample
from .modelnumeric import central, totals
from .verdict import row as _row

__all__ = ["GRAD_CHECK", "brief", "raised_at", "check_start"]

#: A hand-written gradient is refused when it differs from finite differences by more
#: than this, relative to the size of the gradient (or of the values around it).
GRAD_CHECK = 1e-4


def brief(exc: BaseException, code=None) -> str:
    """An exception as one short phrase: its type, the first line of its message and,
    when ``code`` (a function's code object) is given and the exception passed through
    it, the line of the user's file where it was raised."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 200:
        first = first[:197] + "..."
    out = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    line = raised_at(exc, code.co_filename) if code is not None else None
    if line is not None:
        out += f", at line {line} of {code.co_filename.rsplit('/', 1)[-1]}"
    return out


def raised_at(exc: BaseException, filename: str) -> int | None:
    """The last line of the file ``filename`` that the exception passed through."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def check_start(model, theta, sample: Sample) -> None:
    """Refuse a start where the log-density is not finite or has the wrong shape, and
    a hand-written gradient that disagrees with finite differences there (on the first
    rows of the data: a probe, not a pass)."""
    joint = model.outside(theta)
    if joint is not None:
        raise ValueError(f"the start is not allowed: {joint[1]}")
    x = sample.x
    if x is None:
        source = sample.source
        passes = source.passes
        x = next(c for _, c in source.chunks())
        source.passes = passes  # (a look at the first chunk, not a pass over the data)
    probe = x[: 1 << 14]
    model.choose_backend(probe[:2])  # (a log-density JAX cannot trace is left to numeric derivatives)
    try:
        v = model.each(probe, theta)
    except Exception as exc:
        code = getattr(model.logpdf, "__code__", None)  # (to name the line of the user's file)
        raise ValueError(f"the model's logpdf raised at the start ({brief(exc, code)}; "
                         f"start: {_at(model, theta)})") from None
    if v.shape != probe.shape:
        raise ValueError(f"the model's logpdf returned shape {v.shape} for {probe.size} "
                         f"{'rows' if hasattr(probe, 'items') else 'values'}: it must return one log-density per "
                         f"observation, shape ({probe.size},)")
    if not np.all(np.isfinite(v)):
        i = int(np.flatnonzero(~np.isfinite(v))[0])
        what = "row" if hasattr(probe, "items") else "value"
        raise ValueError(f"the model's log-density is {float(v[i])} at the start for the {what} {_row(probe, i)} "
                         f"(index {i}): start where every observation is possible ({_at(model, theta)})")
    if model.backend != "hand":
        return
    try:
        g = np.asarray(model.user_grad(probe, **model.unflatten(theta)), dtype=float).ravel()
    except Exception as exc:
        raise ValueError(f"the model's grad raised at the start ({brief(exc, getattr(model.user_grad, '__code__', None))}; "
                         f"start: {_at(model, theta)})") from None
    if g.size != len(theta):
        raise ValueError(f"the hand-written grad returned {g.size} values; the model has {len(theta)} parameters "
                         f"({', '.join(model.param_names)})")

    def total(points):  # the log-likelihood of the probe at each point
        return totals(lambda t: model.each(probe, t), points, probe.shape)

    fd = central(total, tuple(theta))[1 : 1 + len(theta)] / probe.size
    scale = max(float(np.max(np.abs(fd))), float(np.max(np.abs(g))), 1e-12)
    for name, a, b in zip(model.param_names, g, fd):
        if not abs(a - b) <= GRAD_CHECK * scale:
            raise ValueError(f"your gradient in {name} is {a:.6g} where finite differences give {b:.6g} at the "
                             f"start ({_at(model, theta)}): check the hand-written grad")


def _at(model, theta) -> str:
    return ", ".join(f"{n}={v:.6g}" for n, v in zip(model.param_names, theta))
