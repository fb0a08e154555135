"""Exact order statistics of data in pieces (gradmle.quantile) against np.sort and np.median."""

import doctest
import math
import struct
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradmle import quantile
from gradmle.quantile import BITS_PER_PASS, MAX_PASSES, median, order_statistics

RNG = np.random.default_rng(10)
TINY = 5e-324  # the smallest subnormal
VALUES = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)
# Few distinct values (heavy ties, zeros of both signs, the extremes) or any float.
SPECIAL = st.sampled_from([0.0, -0.0, 1.0, -1.0, TINY, -TINY, 2.2250738585072014e-308, 1e308, -1e308,
                           np.finfo(float).max, -np.finfo(float).max, 3.5])


def _bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _passes(chunks):
    """``passes`` over a list of chunks, counting its calls."""
    def passes():
        passes.calls += 1
        return iter(chunks)
    passes.calls = 0
    return passes


def _split(x, cuts):
    """Chunks of x at the given cut points; repeated cuts give empty chunks."""
    return np.split(x, sorted(c % (x.size + 1) for c in cuts))


def _check(x, ranks, got):
    """Each answer is np.sort's value bit for bit (only a zero may have the other sign)."""
    want = np.sort(x)[ranks]
    assert all(isinstance(g, float) for g in got)
    for g, w in zip(got, want):
        assert g == w and (w == 0 or _bits(g) == _bits(float(w))), (g, w)


def _np_median(x):
    with np.errstate(over="ignore"):
        return float(np.median(x))


def _bound(distinct_ranks):
    """The documented bound on the passes: 4 up to 16 distinct ranks, 8 at the most."""
    if distinct_ranks <= 16:
        return MAX_PASSES
    return min(8, math.ceil(64 / quantile._bits(distinct_ranks)))


def _known(x, known):
    return dict(n=x.size, lo=float(x.min()), hi=float(x.max())) if known else {}


@settings(max_examples=150)
@given(data=st.lists(st.one_of(VALUES, SPECIAL), min_size=1, max_size=300),
       cuts=st.lists(st.integers(0, 400), max_size=8), memory=st.sampled_from([0, 1, 7, 100, 1 << 20]),
       known=st.booleans(), picks=st.lists(st.integers(0, 10**6), min_size=1, max_size=40))
def test_order_statistics_equal_np_sort(data, cuts, memory, known, picks):
    x = np.array(data)
    ranks = [p % x.size for p in picks]
    passes = _passes(_split(x, cuts))
    report = {}
    got = order_statistics(passes, ranks, memory=memory, report=report, **_known(x, known))
    _check(x, ranks, got)
    assert report["passes"] == passes.calls <= _bound(len(set(ranks)))
    assert report["peak"] <= memory


@settings(max_examples=150)
@given(data=st.lists(st.one_of(VALUES, SPECIAL), min_size=1, max_size=300),
       cuts=st.lists(st.integers(0, 400), max_size=8), memory=st.sampled_from([0, 1, 7, 100, 1 << 20]),
       known=st.booleans())
def test_median_equals_np_median(data, cuts, memory, known):
    x = np.array(data)
    report = {}
    got = median(_passes(_split(x, cuts)), memory=memory, report=report, **_known(x, known))
    want = _np_median(x)
    if math.isinf(want):  # the two middle values overflow when added: the true midpoint here
        s = np.sort(x)
        assert got == float((Fraction(s[(x.size - 1) // 2]) + Fraction(s[x.size // 2])) / 2)
    else:
        assert got == want and (want == 0 or _bits(got) == _bits(want)), (got, want)
    assert report["passes"] <= MAX_PASSES and report["peak"] <= memory


ADVERSARIAL = {
    "one value": np.array([-2.5]),
    "two values": np.array([3.0, -7.0]),
    "all equal": np.full(5000, 0.1),
    "two distinct values": np.repeat([1.0, 2.0], [2501, 2499]),
    "heavy ties": RNG.integers(-3, 4, 20000).astype(float),
    "extremes and subnormals": RNG.choice([1e308, -1e308, TINY, -TINY, 0.0, -0.0, 1e-310, -1e-310], 4001),
    "sorted": np.sort(RNG.standard_normal(3000)),
    "reverse sorted": np.sort(RNG.standard_normal(3000))[::-1].copy(),
    "huge outlier": np.append(RNG.standard_normal(3000), 1e300),
    "narrow far from 0": 1e6 + 1e-6 * RNG.standard_normal(3000),
    "wide spread": RNG.lognormal(0.0, 30.0, 3000) * RNG.choice([-1.0, 1.0], 3000),
}


@pytest.mark.parametrize("memory", [0, 1, 7, 100, 1 << 20])
@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_data(name, memory):
    x = ADVERSARIAL[name]
    ranks = sorted({0, x.size - 1, (x.size - 1) // 2, x.size // 2, x.size // 3, (2 * x.size) // 3})
    # Chunks of size 0 and 1 among larger ones.
    cuts = [0, 0, 1, 2, 2, x.size // 2, x.size // 2 + 1, x.size]
    for known in (False, True):
        report = {}
        got = order_statistics(_passes(_split(x, cuts)), ranks[::-1], memory=memory, report=report,
                               **_known(x, known))
        _check(x, ranks[::-1], got)
        assert report["passes"] <= MAX_PASSES and report["peak"] <= memory
        assert median(_passes(_split(x, cuts)), memory=memory, **_known(x, known)) == _np_median(x)


def test_chunks_of_one_value_each():
    x = RNG.standard_normal(500)
    chunks = [c for v in x for c in (np.array([v]), np.empty(0))]
    assert median(_passes(chunks), memory=3) == np.median(x)


def test_ties_are_settled_without_collecting():
    # Each value repeated far more often than memory holds: settled once its bracket
    # narrows to one key, in two passes (never all four).
    x = np.repeat(np.arange(10.0), 10000)
    RNG.shuffle(x)
    report = {}
    assert median(_passes(_split(x, range(0, x.size, 999))), memory=10, report=report, **_known(x, True)) == 4.5
    assert report == {"passes": 2, "peak": 0}
    report = {}
    assert median(_passes([x]), memory=10, report=report, n=x.size, lo=3.0, hi=3.0) == 3.0
    assert report["passes"] == 0  # lo == hi: nothing to read


def test_zeros_of_both_signs():
    x = np.array([0.0, -0.0, 0.0, -0.0, -0.0])
    got = order_statistics(_passes([x]), range(5), memory=0)
    assert [math.copysign(1.0, v) for v in got] == [-1.0, -1.0, -1.0, 1.0, 1.0]  # in key order
    # lo and hi given as zeros of either sign still bracket both zeros.
    for lo, hi in [(0.0, 0.0), (-0.0, 0.0), (0.0, -0.0)]:
        assert order_statistics(_passes([x]), [0, 4], n=5, lo=lo, hi=hi, memory=1) == [0.0, 0.0]


def test_median_does_not_overflow():
    for a, b in [(1e308, 1e308), (-1e308, -1.7e308), (np.finfo(float).max,) * 2]:
        x = np.array([a, b, -1.0, 1e308 if a > 0 else -1e308])
        want = float((Fraction(sorted(x)[1]) + Fraction(sorted(x)[2])) / 2)
        assert median(_passes([x])) == want
        assert math.isfinite(want)


@pytest.mark.parametrize("memory", [1 << 20, 1 << 16])
@pytest.mark.parametrize("known", [False, True])
def test_few_passes_on_ordinary_data(memory, known):
    rng = np.random.default_rng(3)
    for x in (rng.standard_normal(10**6), 1e6 + 3.0 * rng.standard_normal(10**6), rng.lognormal(0.0, 2.0, 10**6)):
        report = {}
        assert median(_passes(_split(x, range(0, x.size, 1 << 17))), memory=memory, report=report,
                      **_known(x, known)) == np.median(x)
        assert report["passes"] <= 3 and report["peak"] <= memory


def test_pass_bound_with_many_ranks():
    x = RNG.standard_normal(20000)
    ranks = list(range(0, x.size, 37))  # 541 distinct ranks: fewer bits per pass
    report = {}
    got = order_statistics(_passes(_split(x, range(0, x.size, 1000))), ranks, memory=1, report=report)
    _check(x, ranks, got)
    assert quantile._bits(len(ranks)) < BITS_PER_PASS
    assert report["passes"] <= _bound(len(ranks)) <= 8


def test_memory_is_bounded():
    """Data made chunk by chunk (32 MB of them) are never held: the traced memory
    stays at a chunk, the work arrays and the bin counts (about 4 MB)."""
    n, size = 4 * 10**6, 10**5

    def passes():
        rng = np.random.default_rng(5)  # the same data on every pass
        return (rng.standard_normal(size) for _ in range(n // size))

    want = float(np.median(np.concatenate(list(passes()))))
    report = {}
    tracemalloc.start()
    try:
        got = median(passes, memory=1000, report=report)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == want
    assert 0 < report["peak"] <= 1000
    assert peak < 6_000_000, peak


def test_dask_blocks_give_the_same_answer():
    da = pytest.importorskip("dask.array")
    x = RNG.standard_normal(20001)
    arr = da.from_array(x, chunks=3000)
    passes = lambda: (np.asarray(b.compute()) for b in arr.to_delayed().ravel())
    assert median(passes, memory=100) == np.median(x)
    assert order_statistics(passes, [0, 20000, 7], memory=10) == list(np.sort(x)[[0, 20000, 7]])


def test_no_ranks_need_no_pass():
    report = {}
    assert order_statistics(_passes([np.arange(3.0)]), [], report=report) == []
    assert report["passes"] == 0


@pytest.mark.parametrize("chunks, kwargs, match", [
    ([np.arange(3.0)], {"ranks": [3]}, "out of range"),
    ([np.arange(3.0)], {"ranks": [-1]}, "out of range"),
    ([np.empty(0)], {"ranks": [0]}, "no values"),
    ([np.array([1.0, np.nan])], {"ranks": [0]}, "NaN"),
    ([np.arange(3.0)], {"ranks": [0], "n": 4}, "n=4"),
    ([np.arange(3.0)], {"ranks": [0], "lo": 1.0}, "outside"),
    ([np.arange(3.0)], {"ranks": [0], "n": 3, "lo": 1.0, "hi": 2.0}, "different"),
    ([np.arange(3.0)], {"ranks": [0], "memory": -1}, "memory"),
    ([np.arange(3.0)], {"ranks": [0], "lo": 2.0, "hi": 1.0}, "lo="),
])
def test_errors(chunks, kwargs, match):
    with pytest.raises(ValueError, match=match):
        order_statistics(_passes(chunks), **kwargs)


def test_passes_that_change_are_refused():
    calls = []

    def passes():
        calls.append(None)
        return iter([RNG.standard_normal(1000)])  # new values on every call

    with pytest.raises(ValueError, match="different"):
        median(passes, memory=10)


def test_docstring_examples():
    assert doctest.testmod(quantile).failed == 0
