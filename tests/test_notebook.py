"""Every notebook in examples/ runs, top to bottom, in a fresh Jupyter kernel (nbclient
and ipykernel, as Jupyter runs it), on the gradmle of this checkout: no cell raises or
warns, and the classic notebook still shows what it says it shows (the blow-up, the
first step by hand equal to the recorded one, Heron's iteration, the censored Weibull
against scipy, the HTML displays and the pictures)."""

import base64
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
if importlib.util.find_spec("jax") is None:  # (found, not imported: the kernel imports it)
    pytest.skip("the notebook's user model is written with jax.numpy", allow_module_level=True)

from jupyter_client import KernelManager  # noqa: E402  (installed with nbclient)
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402

import gradmle  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
#: Per cell; the classic notebook takes about 20 s in all.
CELL_TIMEOUT = 300

#: The first cell run: where the kernel found gradmle and which Python it is.
PROBE = ("import json as _j, sys as _s, gradmle as _g\n"
         "print('PROBE' + _j.dumps({'file': _g.__file__, 'prefix': _s.prefix, 'executable': _s.executable}))\n"
         "del _j, _s, _g")


def _kernel_env(home: Path) -> dict:
    """The environment of the kernel: this gradmle first on its path (PYTHONPATH=src is
    relative to the directory the tests were started in, and the kernel runs elsewhere),
    and a fresh IPython profile (no startup files of the user's)."""
    src = Path(gradmle.__file__).resolve().parent.parent
    inherited = [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(src)] + inherited), IPYTHONDIR=str(home / "ipython"))


def _execute(path: Path, workdir: Path):
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PROBE))
    # ipykernel's own kernel spec, which runs sys.executable: the interpreter under test,
    # whatever "python3" kernels the machine has registered elsewhere.
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
    client = nbclient.NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute(env=_kernel_env(workdir))
    except nbclient.exceptions.CellExecutionError as exc:  # names the cell's source and the traceback
        return f"{path.name}: a cell failed in a fresh kernel:\n" + re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    except Exception as exc:  # a dead kernel, a timeout: say which cell was running
        running = next((c.source for c in reversed(nb.cells) if c.get("execution_count")), "(before the first cell)")
        return f"{path.name}: {type(exc).__name__}: {exc}\nlast cell started:\n{running}"
    return nb


_RUNS: dict = {}


def _run(path: Path, tmp_path_factory):
    """The notebook executed (once per test session), or why it could not be."""
    if path not in _RUNS:
        _RUNS[path] = _execute(path, tmp_path_factory.mktemp(path.stem))
    run = _RUNS[path]
    if isinstance(run, str):
        pytest.fail(run, pytrace=False)
    return run


def _stdout(nb) -> str:
    return "".join(o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs
                   if o.output_type == "stream" and o.name == "stdout")


def test_there_is_a_notebook():
    assert [p.name for p in NOTEBOOKS] and "classic.ipynb" in [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: stored with outputs (clear them before committing):\n{cell.source}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_a_fresh_kernel(path, tmp_path_factory):
    before = sorted(p.name for p in EXAMPLES.iterdir())
    nb = _run(path, tmp_path_factory)
    assert sorted(p.name for p in EXAMPLES.iterdir()) == before, "the notebook wrote into examples/"

    probe = next(o.text for o in nb.cells[0].outputs if o.output_type == "stream" and o.text.startswith("PROBE"))
    where = json.loads(probe[len("PROBE"):])
    assert Path(where["file"]).resolve() == Path(gradmle.__file__).resolve(), (
        f"the kernel imported {where['file']}, the tests {gradmle.__file__}")
    assert Path(where["prefix"]).resolve() == Path(sys.prefix).resolve(), where

    code = [c for c in nb.cells[1:] if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code)
    for cell in code:
        for out in cell.outputs:
            # A warning printed in a teaching notebook misleads its reader (RuntimeWarning,
            # gradmle's HessianWarning, a deprecation): none may appear.
            assert out.output_type != "error", cell.source
            if out.output_type == "stream" and out.name == "stderr":
                assert not re.search(r"Warning|Error|Traceback", out.text), f"{cell.source}\n---\n{out.text}"


def test_the_classic_notebook_tells_its_story(tmp_path_factory):
    nb = _run(EXAMPLES / "classic.ipynb", tmp_path_factory)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = _stdout(nb)

    # The schemes as in the question: from sigma0 = 0.1 all three diverge at iteration 1,
    # from sigma0 = 1 all three run out of iterations.
    table = re.findall(r"^(gradient|sequential|coordinate)\s+(1|0\.1)\s+\S+\s+\S+\s+(\w+)\s+(\d+)", text, re.M)
    assert sorted(table) == sorted([(m, "0.1", "diverged", "1") for m in ("gradient", "sequential", "coordinate")]
                                   + [("gradient", "1", "max_iter", "100"), ("sequential", "1", "max_iter", "100"),
                                      ("coordinate", "1", "max_iter", "10")]), table
    assert "sigma ran away at iteration 1" in text

    # The first step by the formulas equals the recorded iterate, for both schemes.
    by_hand = re.findall(r"sigma1 = ([\d.]+) \(recorded ([\d.]+)\)", text)
    assert len(by_hand) == 2 and all(a == b for a, b in by_hand), by_hand
    assert float(by_hand[0][0]) == pytest.approx(1002.51, abs=0.01)
    assert float(by_hand[1][0]) == pytest.approx(73305.8, abs=0.1)

    # Every remedy of the diagnosis, run again from its options, converges.
    assert "small_start_sigma" in text
    remedies = re.findall(r"^method='(\w+)'.*? (converged|max_iter|diverged|stalled), \d+ iterations", text, re.M)
    assert len(remedies) >= 2 and all(s == "converged" for _, s in remedies), remedies

    # The stability bound of the three schemes is s^2; Fisher's is 2.
    s2 = float(re.search(r"^s\^2 = ([\d.]+)", text, re.M).group(1))
    bounds = dict(re.findall(r"^(\w+)\s+sigma\s+gamma < ([\d.]+)", text, re.M))
    assert {k: float(v) for k, v in bounds.items()} == {"gradient": s2, "sequential": s2, "coordinate": s2,
                                                        "fisher": 2.0}

    # Fisher scoring at step 1 is Heron's square root iteration, digit for digit.
    heron = re.search(r"^Heron\s+(\[.*?\])", text, re.M | re.S).group(1)
    recorded = re.search(r"^recorded\s+(\[.*?\])", text, re.M | re.S).group(1)
    assert heron.split() == recorded.split()

    # The censored Weibull agrees with scipy's fit to the same CensoredData.
    m = re.search(r"scipy: c = ([\d.]+), scale = ([\d.]+);\s+gradmle: c = ([\d.]+), scale = ([\d.]+)", text)
    assert m and m.group(1) == m.group(3) and m.group(2) == m.group(4), m and m.group(0)

    # Results display themselves as HTML: the blow-up, the diagnosis, the converged fits.
    shown = [o.data for o in outputs if o.output_type in ("execute_result", "display_data")]

    def html(plain):
        found = [d["text/html"] for d in shown if d.get("text/plain", "").startswith(plain) and "text/html" in d]
        assert found, f"no HTML display of {plain}..."
        return found[0]

    assert "diverged" in html("<FitResult normal/gradient diverged")
    assert "small_start_sigma" in html("<Diagnosis small_start_sigma")
    assert "converged" in html("<FitResult weibull/auto converged")
    assert "converged" in html("<FitResult mixture/auto converged")
    assert "fisher" in html("<Comparison") and "0.996157" in html("<Stability gradient")

    # The explorer displays as a widget, and drives the same fits.
    assert any("application/vnd.jupyter.widget-view+json" in d for d in shown), "no widget displayed"
    assert re.search(r"^fisher: converged after \d+ iterations", text, re.M), "the explorer's Fisher run"

    # The pictures: inline PNGs (paths, stability maps, survival, profile, mixture).
    pngs = [base64.b64decode(o.data["image/png"]) for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 5 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
