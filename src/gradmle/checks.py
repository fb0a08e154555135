"""Argument checks shared by the API and the command line: one clear sentence each."""

from __future__ import annotations

import math
import numbers

__all__ = ["positive_float", "positive_int", "choice"]


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def positive_float(name: str, value) -> float:
    """A finite float > 0, or a ValueError/TypeError naming ``name`` and the value."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def positive_int(name: str, value) -> int:
    """An integer >= 1 (an integral float such as 1e4 is accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a whole number >= 1, got {type(value).__name__} {value!r}")
    if isinstance(value, numbers.Integral):
        v = int(value)
    else:
        f = float(value)
        if not (math.isfinite(f) and f == int(f)):
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        v = int(f)
    if v < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return v


def choice(name: str, value, allowed) -> str:
    """A lower-case name from ``allowed``; anything else raises, listing the valid ones."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of: {', '.join(allowed)}; got {value!r}")
    key = value.strip().lower()
    if key not in allowed:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(allowed)}")
    return key
