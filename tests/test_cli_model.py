"""The command line with a model of the user's: ``gradmle fit FILE --model models.py:NAME``
on several named columns (text, Parquet, 2-D .npy), every problem with the model file
in one line, vector values in --init, and the pictures of model fits."""

import textwrap

import numpy as np
import pytest

import gradmle

pytest.importorskip("jax")

RNG = np.random.default_rng(23)
N = 1500
X = RNG.normal(size=N)
Y = 0.5 + 2.0 * X + RNG.normal(0.0, 0.7, N)

MODELS = textwrap.dedent('''\
    import jax.numpy as jnp
    import jax.scipy.stats as jss
    import gradmle


    def _line(d, beta, sigma):
        return jss.norm.logpdf(d["y"], beta[0] + beta[1] * d["x"], sigma)


    def _quadratic(d, beta, sigma):
        mu = beta[0] + beta[1] * d["x"] + beta[2] * d["x"] ** 2
        return jss.norm.logpdf(d["y"], mu, sigma)


    regression = gradmle.Model(_line, {"beta": ("real", 2), "sigma": "positive"}, name="regression")
    quadratic = gradmle.Model(_quadratic, {"beta": ("real", 3), "sigma": "positive"}, name="quadratic")
    helper = len
''')

#: The models the file defines, made once here too (JAX compiles each log-density once).
NS: dict = {}
exec(MODELS, NS)
INIT = "beta=[0,0],sigma=1"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = tmp_path_factory.mktemp("cli_model")
    out = {"models": d / "models.py", "csv": d / "xy.csv", "parquet": d / "xy.parquet", "npy": d / "xy.npy"}
    out["models"].write_text(MODELS)
    out["csv"].write_text("id,x,y,label\n" + "".join(f"{i},{float(a)!r},{float(b)!r},r{i}\n" for i, (a, b) in enumerate(zip(X, Y))))
    pq.write_table(pa.table({"label": [f"r{i}" for i in range(N)], "x": X, "y": Y}), out["parquet"],
                   row_group_size=750)
    np.save(out["npy"], np.column_stack([X, Y]))
    for name, text in {
        "syntax": "import gradmle\nm = gradmle.Model(\ndef\n",
        "raises": "import gradmle\n\nscale = 1 / 0\n",
        "none": "import gradmle\nx = 1\n",
        "raising_logpdf": "import gradmle\nimport jax.numpy as jnp\n\n\ndef f(d, mu, sigma):\n"
                          "    return jnp.log(sigma) + d['nope']\n\n\n"
                          "m = gradmle.Model(f, {'mu': 'real', 'sigma': 'positive'})\n",
        "shape": "import gradmle\nimport jax.numpy as jnp\n\n"
                 "m = gradmle.Model(lambda d, mu, sigma: jnp.sum(d['y']), {'mu': 'real', 'sigma': 'positive'})\n",
        "nan": "import gradmle\nimport jax.numpy as jnp\n\n"
               "m = gradmle.Model(lambda d, mu, sigma: jnp.where(d['y'] > 2, jnp.nan, -d['y'] ** 2),\n"
               "                  {'mu': 'real', 'sigma': 'positive'})\n",
        "untraceable": "import gradmle\nimport numpy as np\n\n\ndef f(d, mu, sigma):\n"
                       "    return -np.log(float(sigma)) - 0.5 * ((np.asarray(d['y']) - float(mu)) / float(sigma)) ** 2\n\n\n"
                       "m = gradmle.Model(f, {'mu': 'real', 'sigma': 'positive'}, derivatives='jax')\n",
    }.items():
        out[name] = d / f"{name}.py"
        out[name].write_text(text)
    out["text"] = d / "models.txt"
    out["text"].write_text(MODELS)
    return out


@pytest.fixture(scope="module")
def reference():
    return gradmle.fit({"x": X, "y": Y}, family=NS["regression"], init={"beta": [0, 0], "sigma": 1.0})


def one_line_error(p, *words):
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradmle: error:"), p.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "np.float64" not in lines[0]
    return lines[0]


def _params(stdout: str) -> dict:
    import json

    return json.loads(stdout)["params"]


@pytest.mark.parametrize("kind, extra", [("csv", ["--columns", "x,y"]), ("parquet", []), ("npy", ["--columns", "x,y"])])
def test_a_regression_from_columns_of_a_file_is_the_api_fit(cli, files, reference, kind, extra):
    p = cli("fit", files[kind], "--model", f"{files['models']}:regression", *extra, "--init", INIT, "--json",
            "--quiet")
    assert p.returncode == 0, p.stderr
    got = _params(p.stdout)
    assert list(got) == ["beta[0]", "beta[1]", "sigma"]
    for k, v in reference.params.items():
        assert got[k] == pytest.approx(v, rel=1e-10, abs=1e-12), k
    api = gradmle.fit(str(files[kind]), family=NS["regression"], init={"beta": [0, 0], "sigma": 1.0},
                      columns=["x", "y"])
    assert api.params == pytest.approx(reference.params, rel=1e-10)


def test_the_summary_says_how_the_derivatives_are_computed(cli, files):
    p = cli("fit", files["csv"], "--model", files["models"], "--columns", "x,y", "--init", "beta[0]=0.5,beta[1]=0,sigma=1",
            "--quiet")
    assert p.returncode == 2  # the file defines two models: which one?
    p = cli("fit", files["csv"], "--model", f"{files['models']}:regression", "--columns", "x,y",
            "--init", "beta[0]=0.5,beta[1]=0,sigma=1", "--quiet")
    assert p.returncode == 0, p.stderr
    assert "derivatives: jax (value, gradient and Hessian jit-compiled)" in p.stdout
    assert "beta[1]" in p.stdout and "family=regression" in p.stdout
    plain = cli("fit", files["csv"], "--column", "y", "--quiet")
    assert plain.returncode == 0 and "derivatives:" not in plain.stdout


def test_init_takes_vectors_whole_and_by_element(cli, files):
    from gradmle.cli import UsageError, parse_init

    assert parse_init("beta=[0,0.5, 1],sigma=1") == {"beta": [0.0, 0.5, 1.0], "sigma": 1.0}
    assert parse_init("beta[1]=0.5,sigma=2") == {"beta[1]": 0.5, "sigma": 2.0}
    for bad in ("beta=[0,0", "beta=[0,x]", "beta=0]", "beta"):
        with pytest.raises(UsageError):
            parse_init(bad)
    p = cli("fit", files["csv"], "--model", f"{files['models']}:regression", "--columns", "x,y",
            "--init", "beta=[0,0,0],sigma=1")
    one_line_error(p, "beta", "3 values", "length 2")
    p = cli("fit", files["csv"], "--model", f"{files['models']}:regression", "--columns", "x,y",
            "--init", "beta[0]=0,sigma=1", "--fixed", "beta[1]=2", "--json", "--quiet")
    assert p.returncode == 0, p.stderr
    assert _params(p.stdout)["beta[1]"] == 2.0


@pytest.mark.parametrize("spec, columns, words", [
    ("missing.py:regression", "x,y", ["missing.py", "no such file"]),
    ("{text}:regression", "x,y", ["models.txt", "not a Python file"]),
    ("{syntax}:m", "x,y", ["syntax.py", "line 2", "SyntaxError"]),
    ("{raises}:m", "x,y", ["raises.py", "ZeroDivisionError", "line 3"]),
    ("{models}:regresion", "x,y", ["no 'regresion'", "regression, quadratic"]),
    ("{models}:helper", "x,y", ["helper is a builtin_function_or_method, not a gradmle.Model", "regression, quadratic"]),
    ("{models}", "x,y", ["defines 2 Models (regression, quadratic)", ":regression"]),
    ("{none}", "x,y", ["defines no gradmle.Model"]),
    ("{models}:regression", "x,z", ["no column 'z'", "columns: id, x, y, label"]),
    ("{raising_logpdf}:m", "x,y", ["raised at the start", "KeyError", "line 6 of raising_logpdf.py"]),
    ("{shape}", "x,y", ["returned shape ()", "one log-density per observation"]),
    ("{nan}", "x,y", ["log-density is nan at the start for the row {x: ", "index"]),
    ("{untraceable}", "x,y", ["cannot be traced by JAX", "derivatives='numeric'"]),
])
def test_each_problem_with_the_model_is_one_line_and_exit_2(cli, files, spec, columns, words):
    spec = spec.format(**{k: v for k, v in files.items()})
    init = INIT if "models" in spec or "missing" in spec else "mu=0,sigma=1"
    p = cli("fit", files["csv"], "--model", spec, "--columns", columns, "--init", init, "--quiet")
    one_line_error(p, *words)


def test_options_that_do_not_go_with_a_model_are_refused(cli, files):
    model = f"{files['models']}:regression"
    one_line_error(cli("fit", files["csv"], "--model", model, "--family", "gamma"), "--family", "--model")
    one_line_error(cli("fit", files["csv"], "--model", model, "--column", "x", "--columns", "x,y"), "--columns")
    one_line_error(cli("fit", files["csv"], "--family", "normal", "--columns", "x,y"),
                   "the normal family fits one column of values")
    one_line_error(cli("fit", files["npy"], "--model", model, "--columns", "a,b,c", "--init", INIT),
                   "2 columns have no names")


def test_a_builtin_family_refuses_several_columns_in_the_api(files):
    with pytest.raises(ValueError, match=r"the normal family fits one column of values, and the data have 2 columns"):
        gradmle.fit({"x": X, "y": Y})
    r = gradmle.fit(str(files["csv"]), columns=["y"])
    assert r.params["mu"] == pytest.approx(Y.mean(), rel=1e-12)


def _is_picture(path):
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.shape[0] > 200 and img.shape[1] > 200
    assert float(np.std(img[..., :3])) > 0.02  # not blank


@pytest.mark.parametrize("name, init", [("regression", "beta[1]=0,sigma=1"),
                                        ("quadratic", "beta=[0,0,0],sigma=1")])
def test_plot_of_a_model_fit(cli, files, tmp_path, name, init):
    out = tmp_path / f"{name}.png"
    fixed = ["--fixed", "beta[0]=0.5"] if name == "regression" else []  # two free parameters
    p = cli("fit", files["parquet"], "--model", f"{files['models']}:{name}", "--init", init, *fixed,
            "--plot", out, "--quiet")
    assert p.returncode == 0, p.stderr
    _is_picture(out)
    assert not list(tmp_path.glob(".*.tmp"))
