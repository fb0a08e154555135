"""Turning what the user passed into a clean 1-D float64 array, or a clear refusal."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_sample", "check_finite"]


def _describe(values: np.ndarray, limit: int = 3) -> str:
    return ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:limit])


def check_finite(x: np.ndarray) -> None:
    """Raise the ValueError that names the NaN and infinite values of ``x``, if any."""
    if not np.isfinite(x).all():
        raise ValueError(_nonfinite_message(x))


def as_sample(data, *, min_size: int = 2, finite: bool = True) -> np.ndarray:
    """Validate ``data`` and return it as a contiguous 1-D float64 array.

    Raises
    ------
    TypeError
        Data that are not numbers (strings, objects, booleans, complex numbers).
    ValueError
        Empty data, fewer than ``min_size`` values, more than one dimension, or
        values that are NaN or infinite.

    Examples
    --------
    >>> as_sample([1, 2, 3]).dtype
    dtype('float64')
    """
    if data is None:
        raise TypeError("data is None: pass a 1-D array-like of finite numbers")
    if isinstance(data, (str, bytes)):
        raise TypeError(f"data is a {type(data).__name__} ({data[:20]!r}): pass a 1-D array-like of finite numbers")
    if isinstance(data, numbers.Number):
        raise TypeError(f"data is a single number ({data!r}): pass a 1-D array-like of at least {min_size} finite numbers")
    try:
        arr = np.asarray(data)
    except (ValueError, TypeError) as exc:  # ragged nesting and the like
        raise TypeError(f"data could not be read as a 1-D array of numbers: {exc}") from None
    kind = arr.dtype.kind
    if kind == "b":
        raise TypeError("data are booleans: pass numbers (convert with .astype(float) if intended)")
    if kind == "c":
        raise TypeError("data are complex numbers: only real numbers can be fitted")
    if kind not in "iuf":
        bad = _non_numeric(arr)
        raise TypeError(
            f"data must be numbers; found {bad} (dtype {arr.dtype}): pass a 1-D array-like of finite numbers"
        )
    if arr.ndim != 1:
        if arr.ndim == 2 and 1 in arr.shape:
            arr = arr.ravel()
        else:
            raise ValueError(f"data must be 1-D; got an array of shape {arr.shape}")
    n = arr.shape[0]
    if n == 0:
        raise ValueError("data is empty: at least 2 values are needed")
    if n < min_size:
        raise ValueError(f"data has only {n} value ({_describe(arr)}): at least {min_size} are needed")
    x = np.ascontiguousarray(arr, dtype=np.float64)
    if finite:  # (a family whose reduction detects non-finite data itself skips this pass)
        check_finite(x)
    return x


def _non_numeric(arr: np.ndarray) -> str:
    flat = arr.ravel()
    for i, v in enumerate(flat):
        if not isinstance(v, numbers.Real) or isinstance(v, bool):
            return f"{v!r} at index {i}"
    return f"values of type {arr.dtype}"


def _nonfinite_message(x: np.ndarray) -> str:
    nan = np.isnan(x)
    posinf = np.isposinf(x)
    neginf = np.isneginf(x)
    parts = []
    for name, mask in (("NaN", nan), ("+inf", posinf), ("-inf", neginf)):
        k = int(mask.sum())
        if k:
            parts.append(f"{k} {name}")
    first = int(np.flatnonzero(~np.isfinite(x))[0])
    return (
        f"data contain {', '.join(parts)} value(s) (first at index {first}): "
        "only finite numbers are allowed; drop them before fitting"
    )
