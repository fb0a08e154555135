import io
import os
import sys
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

#: Lines the tests want shown after the run (e.g. the NIST digits table).
REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("gradmle accuracy report")
        for line in REPORT:
            terminalreporter.write_line(line)


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """``cli("fit", path, "--json", stdin=...)`` runs the command line in this process, as
    the ``gradmle`` script would, and returns its exit status and what it printed. A fresh
    interpreter per call is what made these tests slow; the few checks that need a real
    process (signals, pipes, the installed script) spawn one themselves."""
    from gradmle.cli import main

    def run(*args, stdin=None):
        if stdin is not None:
            data = stdin.encode() if isinstance(stdin, str) else stdin
            # The command line reads bytes from sys.stdin.buffer.
            monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(data)))
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # --help and --version leave through argparse's sys.exit
            code = 0 if exc.code is None else exc.code
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run
