"""Data in pieces give the in-memory answer: chunked iterables, files, Dask arrays."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gradmle

RNG = np.random.default_rng(7)
DATA = {
    "normal": 1e6 + 3.0 * RNG.standard_normal(3000),
    "gamma": RNG.gamma(2.0, 3.0, 3000),
    "student_t": 2.0 + RNG.standard_t(4.0, 3000),
    "weibull": 3.0 * RNG.weibull(1.5, 3000),
    "exponential": RNG.exponential(2.0, 3000),
    "lognormal": RNG.lognormal(1.0, 0.5, 3000),
    "logistic": RNG.logistic(-3.0, 0.7, 3000),
}


def _close(a, b, rel=1e-12):
    for k in a.params:
        assert math.isclose(a.params[k], b.params[k], rel_tol=rel, abs_tol=rel * abs(b.params[k] or 1)), (k, a.params, b.params)


def _split(x, cuts):
    """Chunks of x at the given cut points, with empty chunks where cuts repeat."""
    edges = [0] + sorted(cuts) + [x.size]
    return [x[a:b] for a, b in zip(edges[:-1], edges[1:])]


@pytest.mark.parametrize("family", DATA)
def test_chunked_fits_equal_in_memory_fits(family):
    x = DATA[family]
    # Agreement to 1e-12 needs both runs converged well past that (default tol 1e-10).
    whole = gradmle.fit(x, family=family, tol=1e-14)

    @settings(max_examples=12, deadline=None)
    @given(st.lists(st.integers(0, x.size), max_size=12), st.integers(1, 50), st.booleans())
    def run(cuts, tiny, as_generator):
        chunks = _split(x, cuts)
        if tiny < 5:  # chunks of a single value at the start
            chunks = [x[i : i + 1] for i in range(tiny)] + _split(x[tiny:], [c - tiny for c in cuts if c > tiny])
        data = (c for c in chunks) if as_generator else chunks
        r = gradmle.fit(data, family=family, tol=1e-14)
        assert r.status == whole.status
        _close(r, whole)
        assert r.passes >= 1 and r.source.startswith("iterable of chunks")

    run()


def test_passes_are_reported():
    x = DATA["normal"]
    assert gradmle.fit(x).passes == 1
    assert gradmle.fit([x[:1000], x[1000:]]).passes == 1
    r = gradmle.fit([DATA["student_t"][:1000], DATA["student_t"][1000:]], family="student_t")
    # A first pass, a few counting passes for the quartiles of the start (at most 4),
    # then one per new point (the Hessian reuses it).
    assert 2 < r.passes <= 1 + 4 + r.nfev
    assert "passes over the data" in r.message


def test_pandas_and_polars_series():
    import pandas as pd
    import polars as pl

    x = DATA["gamma"]
    ref = gradmle.fit(x, family="gamma")
    _close(gradmle.fit(pd.Series(x), family="gamma"), ref, rel=1e-15)
    _close(gradmle.fit(pl.Series(x), family="gamma"), ref, rel=1e-15)


@pytest.fixture
def files(tmp_path):
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    x = DATA["weibull"]
    out = {"x": x}
    np.save(tmp_path / "x.npy", x)
    out["npy"] = tmp_path / "x.npy"
    np.save(tmp_path / "x2.npy", np.column_stack([np.arange(x.size), x]))
    out["npy2"] = tmp_path / "x2.npy"
    pq.write_table(pa.table({"id": np.arange(x.size), "v": x}), tmp_path / "x.parquet", row_group_size=256)
    out["parquet"] = tmp_path / "x.parquet"
    pcsv.write_csv(pa.table({"id": np.arange(x.size), "v": x}), tmp_path / "h.csv")
    out["csv"] = tmp_path / "h.csv"
    (tmp_path / "n.tsv").write_text("".join(f"{v!r}\t{i}\n" for i, v in enumerate(x.tolist())))
    out["tsv"] = tmp_path / "n.tsv"
    (tmp_path / "w.txt").write_text("# a comment\n" + "".join(f"  {v!r}  \n" for v in x.tolist()))
    out["txt"] = tmp_path / "w.txt"
    return out


@pytest.mark.parametrize("family", ["weibull", "gamma", "normal"])
def test_files_are_read_in_chunks_and_agree(files, family):
    import pyarrow.parquet as pq

    assert pq.ParquetFile(files["parquet"]).num_row_groups > 5
    ref = gradmle.fit(files["x"], family=family)
    for key, column in (("npy", None), ("parquet", "v"), ("csv", "v"), ("tsv", None), ("txt", None)):
        from gradmle import engine

        r = gradmle.fit(str(files[key]), family=family) if column is None else None
        if r is None:
            r = engine.fit(str(files[key]), engine.check_options(family), column=column)
        _close(r, ref)


def test_two_dimensional_npy_column(files):
    from gradmle import engine

    r = engine.fit(str(files["npy2"]), engine.check_options("weibull"), column=1)
    _close(r, gradmle.fit(files["x"], family="weibull"))


def test_malformed_lines_are_named(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("a,b\n1,2\n3,4\n5,oops\n7,8\n")
    from gradmle import engine

    opts = engine.check_options("normal")
    with pytest.raises(ValueError, match="line 4, column 'b': text 'oops'"):
        engine.fit(str(p), opts, column="b")
    p.write_text("a,b\n1,2\n3,\n")
    with pytest.raises(ValueError, match="line 3, column 'b': an empty cell"):
        engine.fit(str(p), opts, column="b")
    p.write_text("x\n1\n2\nnan\n4\n")
    with pytest.raises(ValueError, match="1 of 4 values are NaN or infinite; the first is nan at line 4"):
        gradmle.fit(str(p))
    p.write_text("x\n1\n-2\n4\n")
    with pytest.raises(ValueError, match="1 of 3 values are outside the support of the gamma family"):
        gradmle.fit(str(p), family="gamma")


def test_dask_array_on_a_local_cluster_with_two_processes():
    import dask.array as da
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        for family in ("normal", "gamma", "student_t"):
            x = DATA[family]
            r = gradmle.fit(da.from_array(x, chunks=700), family=family, tol=1e-14)
            _close(r, gradmle.fit(x, family=family, tol=1e-14))
            assert r.source == "dask array"


def test_generators_keep_loc_and_dropping():
    x = RNG.gamma(2, 1.5, 3000) + 10
    ref = gradmle.fit(x, family="weibull", fixed={"loc": 9.5}, tol=1e-14)
    r = gradmle.fit((x[i : i + 700] for i in range(0, 3000, 700)), family="weibull", fixed={"loc": 9.5}, tol=1e-14)
    _close(r, ref)
    xn = x.copy()
    xn[[5, 1500]] = [np.nan, np.inf]
    r = gradmle.fit((c for c in [xn[:1000], xn[1000:]]), family="student_t", nonfinite="drop", tol=1e-14)
    _close(r, gradmle.fit(xn, family="student_t", nonfinite="drop", tol=1e-14))
    assert r.info["dropped"] == {"nonfinite": 2}


def test_student_t_boundary_from_pieces_gives_the_normal_limit():
    y = RNG.normal(1, 2, 5000)
    r = gradmle.fit([y[:2000], y[2000:]], family="student_t")
    assert r.status == "boundary" and r.limit_fit.family == "normal"
    assert math.isclose(r.limit_fit.params["mu"], y.mean(), rel_tol=1e-12)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
@pytest.mark.parametrize("family", ["normal", "gamma", "weibull", "student_t", "logistic"])
def test_pieces_of_extreme_magnitude_are_rescaled(family, scale):
    z = np.random.default_rng(1).gamma(3, 1, 400) * scale
    _close(gradmle.fit([z[:100], z[100:]], family=family, tol=1e-14), gradmle.fit(z, family=family, tol=1e-14))


def test_two_column_chunks_are_refused_and_laplace_streams():
    two = RNG.normal(size=(200, 2))
    with pytest.raises(ValueError, match="chunks must be 1-D"):
        gradmle.fit([two[:100], two[100:]])
    for n in (3000, 3001):  # the median of an even and of an odd number of values
        x = RNG.gamma(2, 1.5, n)
        r = gradmle.fit([x[:1000], x[1000:2000], x[2000:]], family="laplace")
        assert "loaded into memory" not in r.message and r.source == "iterable of chunks"
        # The exact median by counting passes, not by loading the data.
        mem = gradmle.fit(x, family="laplace")
        assert r.params == mem.params and r.params["loc"] == np.median(x)
        assert r.passes <= 6
