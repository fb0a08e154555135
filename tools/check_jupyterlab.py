"""Check that gradmle's notebook displays and the ``gradmle.explore`` widget render and
work in JupyterLab, in a real browser (``make check-notebook``; not part of ``make test``).

It writes a small notebook into a temporary folder, starts ``jupyter lab`` there (a free
port, a random token, no browser), opens the notebook with playwright driving the
system's Chromium (``$GRADMLE_CHROMIUM``, else ``/usr/bin/chromium``), runs all cells
from the menu (Run > Run All Cells), waits for the kernel to be idle and then requires:

- no console error and no page error, no cell writing to stderr;
- each display as HTML: the status badges in their colours (the converged green, the
  diverged red), its table, and every picture decoded (``naturalWidth > 0``);
- ``r.plot("trace")`` (pyplot never imported) shown as a picture;
- the explorer live: its method control reads "sequential", its picture is decoded, its
  status says "diverged"; choosing "fisher" in that control reruns the fit: the status
  says "converged" and the picture is a new one.

Screenshots of each output and of the page go to ``--out``. The server and its kernels
are stopped at the end, also on failure. A failed check prints one line saying what
failed and exits with status 1; a missing prerequisite (Chromium, playwright,
JupyterLab) exits with status 2.

Run as ``python tools/check_jupyterlab.py [--out notebook-check] [--timeout 300]`` with
a Python that has gradmle (with its ``notebook`` extra), jupyterlab and playwright.
"""

import argparse
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: The visible notebook (JupyterLab keeps closed panels hidden in the DOM).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden) "

#: The notebook: (name, source) per code cell; the name labels its screenshot and checks.
CELLS = [
    ("setup", "import sys, numpy as np, gradmle\n"
              "print(sys.executable)\n"
              "print(gradmle.__file__)"),
    ("fit-diverged", "x = np.random.default_rng(0).normal(2, 1, 1000)\n"
                     'r = gradmle.fit(x, method="sequential", step=0.1, init={"mu": -1.0, "sigma": 0.1})\n'
                     "r"),
    ("diagnosis", "r.diagnosis"),
    ("fit-weibull-censored", "rng = np.random.default_rng(2)\n"
                             "t = rng.weibull(1.5, 400) * 3.0\n"
                             "c = rng.uniform(0, 6, 400)\n"
                             'w = gradmle.fit(np.minimum(t, c), "weibull", event=(t <= c))\n'
                             "w"),
    ("stability", "gradmle.stability(x)"),
    ("compare", 'gradmle.compare(x, ["gradient", "fisher", "newton"], init={"mu": -1.0, "sigma": 0.1})'),
    ("select", "gradmle.select(np.random.default_rng(1).gamma(2, 3, 500), "
               'families=["gamma", "weibull", "lognormal"])'),
    ("plot-trace", "assert 'matplotlib.pyplot' not in sys.modules\n"
                   'r.plot("trace")'),
    ("explore", 'ex = gradmle.explore(x, method="sequential", step=0.1, init={"mu": -1.0, "sigma": 0.1})\n'
                "ex"),
]

#: What each HTML display must show: the statuses of its badges, whether it has a table
#: and a picture, and words of its text.
EXPECT = {
    "fit-diverged": dict(badges={"diverged"}, table=True, img=True, words=["gradmle fit"]),
    "diagnosis": dict(badges=set(), table=True, img=False, words=["diagnosis", "what works"]),
    "fit-weibull-censored": dict(badges={"converged"}, table=True, img=True, words=["weibull"]),
    # A stability bound is a sentence and its derivation: no status, no table.
    "stability": dict(badges=set(), table=False, img=False, words=["stability", "converge near the optimum"]),
    "compare": dict(badges={"diverged", "converged"}, table=True, img=True, words=["fisher", "newton"]),
    "select": dict(badges={"converged"}, table=True, img=True, words=["gamma", "weibull", "lognormal"]),
}

#: Everything about one output area the checks look at, read in the page.
INSPECT_JS = """(el, statuses) => ({
  mimes: Array.from(el.querySelectorAll('.jp-OutputArea-output')).map(e => e.getAttribute('data-mime-type')),
  text: el.innerText,
  tables: el.querySelectorAll('table').length,
  imgs: Array.from(el.querySelectorAll('img')).map(i => ({w: i.naturalWidth, h: i.naturalHeight, complete: i.complete})),
  badges: Array.from(el.querySelectorAll('span'))
            .filter(s => statuses.includes(s.textContent.trim()) && getComputedStyle(s).color === 'rgb(255, 255, 255)')
            .map(s => ({status: s.textContent.trim(), bg: getComputedStyle(s).backgroundColor})),
})"""


class CheckFailed(Exception):
    """A check did not hold: the message is the one line printed."""


class Missing(Exception):
    """A prerequisite is missing: the message says how to install it."""


def rgb(hex_color: str) -> str:
    """``#2e7d32`` as the browser's computed value, ``rgb(46, 125, 50)``."""
    h = hex_color.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


def chromium() -> str:
    """The Chromium executable; Missing, naming how to install it, when there is none."""
    exe = os.environ.get("GRADMLE_CHROMIUM") or DEFAULT_CHROMIUM
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        where = "GRADMLE_CHROMIUM=" + exe if os.environ.get("GRADMLE_CHROMIUM") else exe
        raise Missing(f"no Chromium at {where}: install it (Debian: sudo apt-get install chromium) "
                      "or set GRADMLE_CHROMIUM to a Chromium or Chrome executable")
    return exe


def prerequisites() -> str:
    """The Chromium executable; Missing, naming how to install it, when something is absent."""
    exe = chromium()
    for module, how in (("playwright", "pip install playwright (it is in gradmle's test extra)"),
                        ("jupyterlab", "pip install jupyterlab (make check-notebook puts it in .venv-lab)"),
                        ("ipywidgets", "pip install 'gradmle[notebook]'")):
        if importlib.util.find_spec(module) is None:
            raise Missing(f"the python package {module} is not installed in {sys.executable}: {how}")
    return exe


def write_notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for _, src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "check.ipynb"
    nbformat.write(nb, path)
    return path


def isolated_env(folder: Path) -> dict:
    """The server's environment: its own Jupyter and IPython folders (the user's settings,
    kernels and start-up files play no part) and JupyterLab told not to fetch news or
    look for updates (no network, no pop-up asking)."""
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"), ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces")):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(folder / sub)
    settings = folder / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # The kernel imports the working tree's gradmle even when it is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    env.pop("MPLBACKEND", None)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``jupyter lab`` in ``root`` on a free port with a random token."""

    def __init__(self, root: Path, work: Path, log_path: Path):
        self.port, self.token = free_port(), secrets.token_hex(16)
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={root}", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
               "jupyterlab.NeverCheckForUpdate"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=root, env=isolated_env(work), stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.kernels = set()

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}{path}{sep}token={self.token}"

    def wait_ready(self, timeout: float) -> None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise CheckFailed(f"jupyter lab exited with status {self.proc.returncode} "
                                  f"before answering (its log: {self.log_path})")
            try:
                with urllib.request.urlopen(self.url("/api/status"), timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise CheckFailed(f"jupyter lab did not answer on port {self.port} within {timeout:.0f} s "
                          f"(its log: {self.log_path})")

    def wait_kernel_connected(self, timeout: float) -> None:
        """Until a kernel is idle with a page connected to it."""
        t0 = time.monotonic()
        kernels = []
        while time.monotonic() - t0 < timeout:
            with urllib.request.urlopen(self.url("/api/kernels"), timeout=5) as resp:
                kernels = json.load(resp)
            if any(k.get("execution_state") == "idle" and k.get("connections", 0) > 0 for k in kernels):
                return
            time.sleep(0.3)
        raise CheckFailed(f"no kernel idle and connected after {timeout:.0f} s (the server's kernels: "
                          f"{[(k.get('execution_state'), k.get('connections')) for k in kernels]})")

    def note_kernels(self) -> None:
        """Remember the server's descendant processes (the kernels), to be sure they end."""
        try:
            import psutil
        except ImportError:
            return
        try:
            self.kernels |= {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}
        except psutil.Error:
            pass

    def stop(self) -> list:
        """Shut the server and its kernels down; returns the processes that had to be
        killed (none when the shutdown is clean)."""
        self.note_kernels()
        killed = []
        if self.proc.poll() is None:
            try:
                req = urllib.request.Request(self.url("/api/shutdown"), method="POST", data=b"")
                urllib.request.urlopen(req, timeout=10).close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    killed.append(self.proc.pid)
        deadline = time.monotonic() + 10
        for pid in sorted(self.kernels):
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        self.log.close()
        return killed


def _alive(pid: int) -> bool:
    try:
        import psutil

        return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except ImportError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    except psutil.Error:
        return False


def menu(page, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def dismiss_popups(page) -> None:
    """Answer "No" to a notification asking something (the news question of a first run)."""
    for b in page.locator(".jp-toast-button").all():
        try:
            if b.inner_text().strip() in ("No", "Dismiss"):
                b.click(timeout=2000)
        except Exception:  # a toast that went away by itself
            pass


def wait_all_ran(page, n: int, timeout: float) -> None:
    """Until every cell has an execution count and the kernel is idle."""
    t0 = time.monotonic()
    prompts = []
    while time.monotonic() - t0 < timeout:
        if time.monotonic() - t0 > 30 and prompts and all(p in ("[ ]:", "") for p in prompts):
            raise CheckFailed("Run > Run All Cells ran nothing: after 30 s every cell is still unrun")
        prompts = [p.strip() for p in page.eval_on_selector_all(PANEL + ".jp-CodeCell .jp-InputArea-prompt",
                                                                 "els => els.map(e => e.textContent)")]
        done = len(prompts) == n and all(p.startswith("[") and p[1:-2].isdigit() for p in prompts)
        idle = page.locator(PANEL + ".jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
        if done and idle:
            return
        time.sleep(0.5)
    raise CheckFailed(f"the cells had not all run after {timeout:.0f} s: prompts {' '.join(prompts)}")


def run_checks(page, server, out: Path, statuses: dict, timings: dict, timeout: float, passed: list) -> None:
    """The checks on the opened notebook; a line per check that holds goes to ``passed``."""
    green, red = rgb(statuses["converged"]), rgb(statuses["diverged"])
    colors = {"converged": green, "diverged": red}

    t0 = time.monotonic()
    page.wait_for_selector(PANEL + ".jp-CodeCell", timeout=timeout * 1000)
    # Cells run before the page is connected to its kernel are not run at all: wait for
    # the server to see the kernel idle with a connection, and the page to say so.
    server.wait_kernel_connected(timeout)
    page.wait_for_selector(PANEL + ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout * 1000)
    page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=timeout * 1000)
    dismiss_popups(page)
    timings["open the notebook, kernel idle"] = time.monotonic() - t0

    t0 = time.monotonic()
    menu(page, "Run", "Run All Cells")
    wait_all_ran(page, len(CELLS), timeout)
    timings["run all cells"] = time.monotonic() - t0
    dismiss_popups(page)

    t0 = time.monotonic()
    cells = page.locator(PANEL + ".jp-CodeCell")
    if cells.count() != len(CELLS):
        raise CheckFailed(f"the notebook shows {cells.count()} code cells, written with {len(CELLS)}")
    area = {name: cells.nth(i).locator(".jp-Cell-outputArea") for i, (name, _) in enumerate(CELLS)}
    # The explorer draws after its cell has run: wait for its picture and status.
    explorer = area["explore"]
    try:
        explorer.locator(".widget-vbox img").first.wait_for(timeout=60000)
        page.wait_for_function("el => { const i = el.querySelector('.widget-vbox img');"
                               " return i && i.complete && i.naturalWidth > 0; }",
                               arg=explorer.element_handle(), timeout=60000)
    except Exception:
        text = explorer.inner_text()[:200].replace("\n", " | ")
        raise CheckFailed(f"the explorer did not render as a widget with its picture (the output reads: {text!r})")
    info = {name: loc.evaluate(INSPECT_JS, list(statuses)) for name, loc in area.items()}
    for i, (name, loc) in enumerate(area.items()):
        loc.scroll_into_view_if_needed()
        loc.screenshot(path=str(out / f"out-{i:02d}-{name}.png"))
    page.screenshot(path=str(out / "page.png"), full_page=True)

    # No cell failed nor warned, and every picture decoded.
    for name, o in info.items():
        if "application/vnd.jupyter.stderr" in o["mimes"]:
            line = next((ln for ln in reversed(o["text"].splitlines()) if ln.strip()), "")
            raise CheckFailed(f"cell {name!r} wrote to stderr: {line[:200]}")
        for k, img in enumerate(o["imgs"]):
            if not (img["complete"] and img["w"] > 0):
                raise CheckFailed(f"picture {k + 1} of cell {name!r} is not decoded "
                                  f"(complete={img['complete']}, naturalWidth={img['w']})")
    n_imgs = sum(len(o["imgs"]) for o in info.values())
    passed.append(f"all {len(CELLS)} cells ran, none wrote to stderr; all {n_imgs} pictures decoded")

    # The kernel runs the working tree's gradmle.
    src = str(REPO / "src")
    if src not in info["setup"]["text"]:
        raise CheckFailed(f"the kernel imported gradmle from elsewhere than {src}: {info['setup']['text']!r}")

    for name, want in EXPECT.items():
        o = info[name]
        if "text/html" not in o["mimes"]:
            raise CheckFailed(f"cell {name!r} is not shown as HTML (output types {o['mimes']})")
        shown = {b["status"] for b in o["badges"]}
        if shown != want["badges"]:
            raise CheckFailed(f"cell {name!r} shows status badges {sorted(shown)}, expected {sorted(want['badges'])}")
        for b in o["badges"]:
            if b["status"] in colors and b["bg"] != colors[b["status"]]:
                raise CheckFailed(f"the {b['status']} badge of cell {name!r} is painted {b['bg']}, "
                                  f"expected {colors[b['status']]}")
        if want["table"] and not o["tables"]:
            raise CheckFailed(f"cell {name!r} shows no table")
        if want["img"] and not o["imgs"]:
            raise CheckFailed(f"cell {name!r} shows no picture")
        missing = [wd for wd in want["words"] if wd not in o["text"]]
        if missing:
            raise CheckFailed(f"cell {name!r} does not say {missing}: {o['text'][:160]!r}")
    passed.append("displays as HTML with their badges (green converged, red diverged), tables and pictures: "
                  + ", ".join(EXPECT))

    o = info["plot-trace"]
    if not (o["mimes"] == ["image/png"] and len(o["imgs"]) == 1):
        raise CheckFailed(f"r.plot('trace') is not shown as one picture (output types {o['mimes']})")
    passed.append(f"r.plot('trace') is a picture ({o['imgs'][0]['w']}x{o['imgs'][0]['h']}), pyplot never imported")

    # The explorer: a live widget in its starting state.
    o = info["explore"]
    if "Loading widget" in o["text"] or "Error displaying widget" in o["text"]:
        raise CheckFailed(f"the explorer is not a live widget: {o['text'][:160]!r}")
    method = explorer.locator("select", has=page.locator("option[value='fisher']")).first
    if method.count() == 0:
        raise CheckFailed("the explorer has no method control (a <select> offering fisher)")
    if method.input_value() != "sequential":
        raise CheckFailed(f"the explorer's method control reads {method.input_value()!r}, expected 'sequential'")
    status = explorer.locator(".widget-html").last
    picture = explorer.locator(".widget-vbox img").first

    def check_status(when: str, expected: str) -> str:
        """The status's first line; it must open with the badge ``expected`` in its colour."""
        st = status.evaluate(INSPECT_JS, list(statuses))
        first = st["text"].strip().splitlines()[0] if st["text"].strip() else ""
        if not st["badges"] or st["badges"][0]["status"] != expected:
            raise CheckFailed(f"{when} the explorer's status badge is "
                              f"{st['badges'][0]['status'] if st['badges'] else 'missing'!r}, expected {expected!r} "
                              f"(the status reads {first[:120]!r})")
        if st["badges"][0]["bg"] != colors[expected]:
            raise CheckFailed(f"{when} the explorer's {expected} badge is painted {st['badges'][0]['bg']}, "
                              f"expected {colors[expected]}")
        return first

    before_text, before_src = status.inner_text(), picture.get_attribute("src")
    check_status("at the start", "diverged")
    passed.append(f"explorer live: method 'sequential', picture {o['imgs'][0]['w']}x{o['imgs'][0]['h']}, "
                  "status badge 'diverged' in red")

    # Choosing fisher reruns the fit in the kernel and redraws: wait for a new status
    # and a new picture.
    t1 = time.monotonic()
    method.select_option("fisher")
    try:
        page.wait_for_function(
            "([el, text, src]) => { const s = el.querySelectorAll('.widget-html'); const i = el.querySelector('.widget-vbox img');"
            " return s.length && s[s.length - 1].innerText !== text && i && i.src !== src"
            " && i.complete && i.naturalWidth > 0; }",
            arg=[explorer.element_handle(), before_text, before_src], timeout=60000)
    except Exception:
        after = status.inner_text().strip().splitlines()[0][:120]
        changed = picture.get_attribute("src") != before_src
        raise CheckFailed(f"60 s after choosing fisher the explorer's status "
                          f"{'reads ' + repr(after) if status.inner_text() != before_text else 'is unchanged'} "
                          f"and its picture {'changed' if changed else 'did not change'}; "
                          "expected a new status and a new picture")
    timings["explorer: fisher redrawn"] = time.monotonic() - t1
    explorer.scroll_into_view_if_needed()
    explorer.screenshot(path=str(out / f"out-{len(CELLS) - 1:02d}-explore-fisher.png"))
    if method.input_value() != "fisher":
        raise CheckFailed(f"after choosing fisher the method control reads {method.input_value()!r}")
    line = check_status("after choosing fisher", "converged")
    passed.append(f"explorer after choosing fisher: a new picture, status {line[:70]!r}...")
    timings["checks"] = time.monotonic() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="notebook-check", help="folder of the screenshots (default: notebook-check)")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds allowed for the server to answer and for the cells to run (default: 300)")
    ap.add_argument("--browser-only", action="store_true",
                    help="only see that Chromium is there (needs nothing but the standard library)")
    args = ap.parse_args(argv)
    t_start = time.monotonic()
    try:
        exe = chromium() if args.browser_only else prerequisites()
    except Missing as exc:
        print(f"check-notebook: {exc}", file=sys.stderr)
        return 2
    if args.browser_only:
        return 0
    from playwright.sync_api import sync_playwright

    from gradmle.display import STATUS_COLORS

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    timings, passed, console, errors = {}, [], [], []
    failure = None
    work = Path(tempfile.mkdtemp(prefix="gradmle-lab-"))
    root = work / "notebooks"
    root.mkdir()
    write_notebook(root)
    server = Server(root, work / "jupyter", out / "jupyter-server.log")
    try:
        t0 = time.monotonic()
        server.wait_ready(args.timeout)
        timings["server answers"] = time.monotonic() - t0
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, headless=True,
                                         args=["--no-sandbox"] if os.geteuid() == 0 else [])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.on("console", lambda m: console.append((m.type, m.text)))
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(server.url("/lab/tree/check.ipynb?reset"))
                try:
                    run_checks(page, server, out, STATUS_COLORS, timings, args.timeout, passed)
                except CheckFailed as exc:
                    failure = str(exc)
                except Exception as exc:  # a selector that timed out, a closed page
                    failure = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                if failure:
                    try:
                        page.screenshot(path=str(out / "page-at-failure.png"), full_page=True)
                    except Exception:
                        pass
                server.note_kernels()
            finally:
                browser.close()
    except CheckFailed as exc:
        failure = str(exc)
    finally:
        killed = server.stop()
        shutil.rmtree(work, ignore_errors=True)

    (out / "console.json").write_text(json.dumps({"console": console, "pageerrors": errors}, indent=1))
    bad = [f"{t}: {m}" for t, m in console if t == "error"] + [f"page error: {e}" for e in errors]
    if failure is None and bad:
        failure = f"the page logged {len(bad)} error(s), the first: {bad[0][:200]}"
    elif failure is None:
        warned = sum(t == "warning" for t, _ in console)
        passed.insert(0, "no console error, no page error" + (f" ({warned} console warnings)" if warned else ""))
    if failure is None and killed:
        failure = f"the server or a kernel did not stop when asked and was killed (pids {killed})"

    total = time.monotonic() - t_start
    for line in passed:
        print(f"  ok  {line}")
    print("  time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + f"; total {total:.1f} s")
    print(f"  screenshots and the server's log: {out}")
    if failure:
        print(f"check-notebook: FAIL: {failure}", file=sys.stderr)
        return 1
    print(f"check-notebook: ok ({len(passed)} checks, {total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
