import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "gradmle", *args], capture_output=True, text=True, timeout=120)


def test_demo_prints_every_scheme_and_start_truthfully():
    import gradmle.demo as demo

    p = run("demo")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for sigma0, r in demo.demo_runs():
        # The table shows what the API returns for the same run, status included.
        needle = f"{r.params['mu']:>12.6g} {r.params['sigma']:>12.6g} {r.status:<10}"
        assert needle in out
    assert out.count("diverged") >= 1 and "closed_form" in out


def test_help_shows_an_example():
    p = run("--help")
    assert p.returncode == 0 and "example" in p.stdout
    p = run("demo", "--help")
    assert p.returncode == 0 and "gradmle demo" in p.stdout
