# Two commands for a fresh machine: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the project with what it needs (the rl extra pins the
# CPU build torch==2.13.0, so the reinforcement-learning tests run too).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,rl]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/trimtab demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info src/*.egg-info
