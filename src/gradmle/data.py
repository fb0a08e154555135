"""Turning what the user passed into a clean 1-D float64 array, or a clear refusal."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_sample"]


def _describe(values: np.ndarray, limit: int = 3) -> str:
    return ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:limit])


def as_sample(data, *, min_size: int = 2) -> np.ndarray:
    """Validate ``data`` and return it as a contiguous 1-D float64 array.

    Raises
    ------
    TypeError
        Data that are not numbers (strings, objects, booleans, complex numbers).
    ValueError
        Empty data, fewer than ``min_size`` values, or more than one dimension (NaN
        and infinite values are judged on the way down, with the data's other checks).

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
    # NaN and infinite values are counted, refused or dropped on the one route down
    # (gradmle.streaming), with the rest of the checks.
    return np.ascontiguousarray(arr, dtype=np.float64)


def _non_numeric(arr: np.ndarray) -> str:
    flat = arr.ravel()
    for i, v in enumerate(flat):
        if not isinstance(v, numbers.Real) or isinstance(v, bool):
            return f"{v!r} at index {i}"
    return f"values of type {arr.dtype}"
