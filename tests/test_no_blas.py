"""The per-chunk sums never go through BLAS (issue 10, item 13).

OpenBLAS ran even one chunk's dot product on threads that spin waiting for each other:
with another process keeping a core busy a Weibull fit took 2-8 times as long. A timing
test would be flaky, so instead numpy's entry points to BLAS dot products are wrapped
to record the calls that see data-sized vectors, and since ``a @ b`` and ``a.dot(b)``
go to BLAS without passing through them (array operators and methods cannot be
patched), the source of the modules that hold the reductions is checked for them.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

import gradmle

ENTRY_POINTS = ("dot", "vdot", "inner", "matmul", "vecdot", "tensordot", "einsum")
#: Parameter vectors have 2-3 entries; anything this long is data.
DATA_SIZED = 64
N = 2 * (1 << 16) + 1001  # three chunks, the last one short

RNG = np.random.default_rng(13)
SAMPLES = {
    "normal": RNG.normal(5.0, 2.0, N),
    "weibull": 3.0 * RNG.weibull(1.7, N),
    "student_t": 2.0 + 3.0 * RNG.standard_t(4.0, N),
    "logistic": RNG.logistic(1.0, 2.0, N),
    "gamma": RNG.gamma(2.5, 3.0, N),
    "laplace": RNG.laplace(-1.0, 0.5, N),
    "nbinom": RNG.negative_binomial(2.0, 0.01, N).astype(float),  # hundreds of distinct values
}
SRC = Path(gradmle.__file__).parent
REDUCTION_MODULES = [SRC / "stats.py", SRC / "streaming.py", SRC / "censoring.py", SRC / "weighted.py",
                     SRC / "condense.py", SRC / "censored_cells.py", *sorted((SRC / "families").glob("*.py"))]


@pytest.fixture
def blas_calls(monkeypatch):
    """Wrap numpy's dot-product functions, on numpy and wherever gradmle imported them,
    to record the calls with an array argument of at least DATA_SIZED values."""
    calls = []

    def wrap(name, original):
        def recorded(*args, **kwargs):
            sizes = [np.size(a) for a in args if isinstance(a, np.ndarray)]
            if sizes and max(sizes) >= DATA_SIZED:
                calls.append((name, max(sizes)))
            return original(*args, **kwargs)

        return recorded

    for name in ENTRY_POINTS:
        original = getattr(np, name, None)
        if original is None:
            continue
        wrapped = wrap(name, original)
        monkeypatch.setattr(np, name, wrapped)
        for mod_name, mod in list(sys.modules.items()):
            if mod_name.startswith("gradmle") and getattr(mod, name, None) is original:
                monkeypatch.setattr(mod, name, wrapped)
    return calls


@pytest.mark.parametrize("family", SAMPLES)
def test_fits_in_memory_make_no_blas_dot_products(family, blas_calls):
    r = gradmle.fit(SAMPLES[family], family=family)
    assert r.status == "converged", r
    assert blas_calls == []


@pytest.mark.parametrize("family", ["weibull", "student_t", "logistic"])
def test_fits_of_data_in_pieces_make_no_blas_dot_products(family, blas_calls):
    x = SAMPLES[family]
    r = gradmle.fit([x[:50_000], x[50_000:]], family=family)
    assert r.status == "converged", r
    assert blas_calls == []


def test_moments_make_no_blas_dot_products(blas_calls):
    m = gradmle.moments(SAMPLES["normal"])
    assert m.n == N
    assert blas_calls == []


def test_the_wrapper_sees_a_dot_product(blas_calls):
    np.dot(SAMPLES["normal"], SAMPLES["normal"])
    assert blas_calls == [("dot", N)]


def _blas_syntax(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        op = getattr(node, "op", None)
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(op, ast.MatMult):
            found.append(f"{path.name}:{node.lineno}: @")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ENTRY_POINTS:
            found.append(f"{path.name}:{node.lineno}: .{node.func.attr}(")
    return found


def test_reduction_modules_have_no_dot_products_in_their_source():
    assert len(REDUCTION_MODULES) > 10
    assert [f for p in REDUCTION_MODULES for f in _blas_syntax(p)] == []
