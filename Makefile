# `make demo`, `make test` and `make bench` each create (or reuse) .venv and install
# what they need into it, so they work on a fresh machine with only python3.
# `make check-notebook` uses a venv of its own, .venv-lab (JupyterLab is large), and the
# system's Chromium (Debian: apt-get install chromium).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

LAB_VENV := .venv-lab
LAB_BIN := $(LAB_VENV)/bin

.PHONY: demo test bench check-notebook clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes (the package itself is installed editable).
$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-base
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

$(LAB_BIN)/python:
	$(PYTHON) -m venv $(LAB_VENV)

$(LAB_VENV)/.installed: pyproject.toml | $(LAB_BIN)/python
	$(LAB_BIN)/python -m pip install --quiet --upgrade pip
	$(LAB_BIN)/python -m pip install --quiet -e '.[test,notebook]' jupyterlab
	touch $@

demo: $(VENV)/.installed-base
	$(BIN)/gradmle demo --out demo-out

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run_all.py

# The displays and the explorer in JupyterLab, in headless Chromium (not part of `make test`).
# Chromium is looked for first, before JupyterLab is downloaded.
check-notebook:
	@$(PYTHON) tools/check_jupyterlab.py --browser-only
	@$(MAKE) --no-print-directory $(LAB_VENV)/.installed
	$(LAB_BIN)/python tools/check_jupyterlab.py --out notebook-check

clean:
	rm -rf $(VENV) $(LAB_VENV) build dist src/*.egg-info .pytest_cache .hypothesis
