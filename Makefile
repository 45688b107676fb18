# Set-up is part of every target: .venv is created (or reused) and the project installed from pyproject.toml.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The DfE's validators of the statutory returns pin old pandas and numpy: they get a venv of their own.
VALIDATORS := .venv-validators
VSTAMP := $(VALIDATORS)/.installed

.PHONY: demo test test-slow bench clean validators

# setup.py and the .pyx files: an editable install compiles them in place (src/journeysim/compiled.py),
# so a change to their source needs a reinstall.
$(STAMP): pyproject.toml setup.py $(wildcard src/journeysim/*.pyx src/journeysim/*/*.pyx)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3 ...'" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,app,mining,animate]'
	@touch $(STAMP)

# tests/test_returns.py runs them over an exported year of the default scenario.
$(VSTAMP): tests/validators/requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3 ...'" >&2; exit 2; }
	$(PYTHON) -m venv $(VALIDATORS)
	$(VALIDATORS)/bin/python -m pip install --quiet --upgrade pip
	$(VALIDATORS)/bin/python -m pip install --quiet -r tests/validators/requirements.txt
	@touch $(VSTAMP)

validators: $(VSTAMP)

demo: $(STAMP)
	$(BIN)/journeysim run scenarios/hampshire.toml --reps 4 --seed 2018 --out results/demo --force
	$(BIN)/journeysim report results/demo --out results/demo/report.html

test: $(STAMP) $(VSTAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP) $(VSTAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	$(BIN)/python benchmarks/county_run.py
	$(BIN)/python benchmarks/engine_overhead.py
	$(BIN)/python benchmarks/growth.py --quick

clean:
	rm -rf $(VENV) $(VALIDATORS) results .pytest_cache test-artifacts build src/journeysim/_*.c src/journeysim/_*.so src/journeysim/*/_*.c src/journeysim/*/_*.so
