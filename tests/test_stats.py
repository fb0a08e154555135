import numpy as np
from hypothesis import given, strategies as st

from gradmle.stats import merge, moments


def _exact(x):
    from fractions import Fraction

    xs = [Fraction(float(v)) for v in x]
    m = sum(xs) / len(xs)
    return float(m), float(sum((v - m) ** 2 for v in xs))


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3000),
    loc=st.floats(-1e9, 1e9),
    log_scale=st.floats(-6, 6),
    chunk=st.integers(1, 700),
)
def test_chunked_moments_match_exact_arithmetic(seed, n, loc, log_scale, chunk):
    x = loc + 10.0**log_scale * np.random.default_rng(seed).standard_normal(n)
    mean, m2 = _exact(x)
    whole = moments(x)
    pieces = moments([x[i : i + chunk] for i in range(0, n, chunk)])
    for m in (whole, pieces):
        assert m.n == n
        assert abs(m.mean - mean) <= 4e-16 * max(abs(mean), 1e-300) + 1e-15 * 10.0**log_scale
        assert abs(m.m2 - m2) <= 1e-12 * m2 + 1e-300
        assert m.min == x.min() and m.max == x.max()


def test_empty_chunks_change_nothing():
    x = np.arange(10.0)
    a = moments([x[:3], np.array([]), x[3:], np.array([])])
    b = moments(x)
    assert a == b or np.allclose(a, b, rtol=1e-15)


def test_merge_is_the_moments_of_the_union():
    rng = np.random.default_rng(1)
    a, b = rng.normal(5, 2, 100), rng.normal(-3, 0.1, 37)
    m = merge(moments(a), moments(b))
    both = np.concatenate([a, b])
    assert m.n == 137
    assert np.isclose(m.mean, both.mean(), rtol=1e-15)
    assert np.isclose(m.m2, ((both - both.mean()) ** 2).sum(), rtol=1e-13)


def test_numacc4_style_data_keep_their_digits():
    # The textbook sum(x^2) - n*xbar^2 loses every digit here.
    x = 1e7 + 0.1 * np.tile([1.0, 2.0, 3.0], 1000)
    m = moments(x, chunk=64)
    naive = (np.sum(x * x) - x.size * np.mean(x) ** 2) / x.size
    exact = _exact(x)[1] / x.size
    assert abs(m.var - exact) <= 1e-12 * exact
    assert abs(naive - exact) > 1e-3 * exact  # the test would catch the naive formula
