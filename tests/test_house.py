"""The structure the next steps build on: one engine below the API, one vocabulary per
concept, one route for data. Checked on the source itself where the rule is about the
source (imports, literals), and by behaviour where it is about behaviour."""

import ast
import inspect
import pathlib

import numpy as np
import pytest

import gradmle
from gradmle import engine, streaming
from gradmle.methods import METHODS

SRC = pathlib.Path(gradmle.__file__).parent
MODULES = sorted(p for p in SRC.rglob("*.py"))


def _tree(path):
    return ast.parse(path.read_text(), filename=str(path))


def _module_name(path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    return ".".join(rel.parts)


def _absolute(path, node: ast.ImportFrom) -> str:
    """The absolute module an ImportFrom refers to."""
    if not node.level:
        return node.module or ""
    base = _module_name(path).split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path):
    """Every module imported by ``path`` (at module level or inside a function), and
    every name imported from a gradmle module."""
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, None
        elif isinstance(node, ast.ImportFrom):
            mod = _absolute(path, node)
            for a in node.names:
                yield mod, a.name


BELOW_THE_API = ("gradmle.families", "gradmle.streaming", "gradmle.result", "gradmle.stability", "gradmle.diagnose",
                 "gradmle.engine", "gradmle.driver", "gradmle.problem", "gradmle.optimizers", "gradmle.source",
                 "gradmle.record", "gradmle.units", "gradmle.methods", "gradmle.constraints", "gradmle.outcomes",
                 "gradmle.profile", "gradmle.chunks", "gradmle.textfile", "gradmle.binaryfile", "gradmle.spool")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_nothing_below_the_api_imports_the_public_fit(path):
    name = _module_name(path)
    if not name.startswith(BELOW_THE_API):
        pytest.skip("an API-level module")
    for mod, what in _imports(path):
        assert mod != "gradmle.fit", f"{name} imports gradmle.fit"
        assert not (mod == "gradmle" and what == "fit"), f"{name} imports fit from gradmle"


def test_the_layering_check_can_fail(tmp_path):
    """The check above reads relative imports inside functions too."""
    path = SRC / "families" / "student_t.py"
    tree = ast.parse("def f():\n    from ..fit import fit\n")
    node = tree.body[0].body[0]
    assert _absolute(path, node) == "gradmle.fit"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_name_crosses_modules(path):
    name = _module_name(path)
    modules = set()
    for mod, what in _imports(path):
        if mod.startswith("gradmle") and what is not None:
            assert not (what.startswith("_") and not what.startswith("__")), f"{name} imports {what} from {mod}"
            modules.add(what)
        elif mod.startswith("gradmle") and what is None:
            modules.add(mod.split(".")[-1])
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            attr = node.attr
            assert not (attr.startswith("_") and not attr.startswith("__")), f"{name} uses {node.value.id}.{attr}"


# -- one vocabulary per concept ----------------------------------------------------------------

def _string_constants(node):
    return [e.value for e in getattr(node, "elts", []) if isinstance(e, ast.Constant) and isinstance(e.value, str)]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_lists_of_methods_live_in_the_method_table(path):
    if path.name == "methods.py":
        return
    tree = _tree(path)
    exported = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and id(node) not in exported:
            names = [v for v in _string_constants(node) if v in METHODS]
            assert len(names) < 3, f"{path.name}:{node.lineno} lists methods {names}: use gradmle.methods.METHODS"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_constraints_and_supports_are_objects_not_strings(path):
    """Only the constraint objects interpret the words: no comparison with them elsewhere."""
    if path.name in ("constraints.py", "parametrize.py"):
        return
    words = {"real", "positive", "unit_interval", "nonnegative", "counts"}
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Compare):
            consts = [c.value for c in [node.left, *node.comparators] if isinstance(c, ast.Constant)]
            assert not words & set(consts), f"{path.name}:{node.lineno} compares with {consts}"


def test_the_command_line_and_the_api_read_the_same_tables():
    import importlib

    cli, stability = importlib.import_module("gradmle.cli"), importlib.import_module("gradmle.stability")
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    helps = {a.dest: a.help for a in sub["fit"]._actions}
    assert all(m in helps["method"] for m in METHODS) and all(f in helps["family"] for f in gradmle.FAMILIES)
    assert set(stability.FIXED) == {m for m, row in METHODS.items() if row.has_bound}
    assert set(gradmle.compare.__defaults__[0]) <= set(METHODS)
    x = np.random.default_rng(0).normal(size=200)
    for name, row in METHODS.items():
        r = gradmle.fit(x, method=name, init={"mu": 0.1, "sigma": 1.2} if name != "closed_form" else None)
        assert r.info["method"] in METHODS
        if row.takes_step:
            assert r.options.get("step") is None and r.info["step"] == row.default_step or name == "auto"


def test_the_diagnosis_reads_outcome_codes_not_messages():
    x = np.random.default_rng(1).normal(2.0, 1.0, 1000)
    r = gradmle.fit(x, method="gradient", step=0.1, init={"mu": -1.0, "sigma": 0.1}, max_iter=100)
    cause = r.diagnosis.cause
    again = gradmle.fit(x, method="gradient", step=0.1, init={"mu": -1.0, "sigma": 0.1}, max_iter=100)
    again.message = "(a message that names no cause)"
    assert again.diagnosis.cause == cause == "small_start_sigma"
    assert r.outcome.code == "ran_away" and r.outcome.param in r.params


def test_user_options_are_kept_apart_from_run_internals():
    x = np.random.default_rng(2).gamma(2.0, 3.0, 500)
    r = gradmle.fit(x, family="gamma", method="fisher", init={"a": 1.0}, fixed={"loc": 0.0})
    assert set(r.options) <= set(inspect.signature(gradmle.fit).parameters)
    assert {"elapsed", "method", "ngev"} <= set(r.info) and not {"elapsed", "run", "ngev"} & set(r.options)
    again = gradmle.fit(x, **r.options)
    assert again.params == r.params and again.nit == r.nit


def test_one_converter_of_units():
    x = np.random.default_rng(3).gamma(2.0, 3.0, 500)
    for factor in (2.0**300, 2.0**-300):
        big = gradmle.fit(x * factor, family="gamma")
        small = gradmle.fit(x, family="gamma")
        assert big.info["data_scale"] != 1.0
        assert big.params["scale"] == pytest.approx(small.params["scale"] * factor, rel=1e-12)
        assert big.stderr["scale"] == pytest.approx(small.stderr["scale"] * factor, rel=1e-9)
        assert big.trace["scale"][0] == pytest.approx(small.trace["scale"][0] * factor, rel=1e-12)


# -- one route for data ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["array", "list", "masked", "chunks", "file", "dask"])
def test_every_input_is_one_record_reduced_once(kind, tmp_path, monkeypatch):
    import dask.array as da

    x = np.random.default_rng(4).gamma(2.0, 3.0, 1000)
    path = tmp_path / "x.npy"
    np.save(path, x)
    data = {"array": x, "list": list(x), "masked": np.ma.masked_array(x), "chunks": [x[:300], x[300:]],
            "file": str(path), "dask": da.from_array(x, chunks=250)}[kind]
    calls = {"as_record": 0, "reduce_record": 0}
    real_record, real_reduce = engine.as_record, engine.reduce_record

    def count(name, real):
        def wrapped(*a, **k):
            calls[name] += 1
            return real(*a, **k)
        return wrapped

    monkeypatch.setattr(engine, "as_record", count("as_record", real_record))
    monkeypatch.setattr(engine, "reduce_record", count("reduce_record", real_reduce))
    for family in ("gamma", "weibull"):
        calls.update(as_record=0, reduce_record=0)
        r = gradmle.fit(data, family=family)
        assert calls == {"as_record": 1, "reduce_record": 1}
        assert r.params == pytest.approx(gradmle.fit(np.asarray(x), family=family).params, rel=1e-9)
    assert streaming.reduce_record is real_reduce
