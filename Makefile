# The two commands a new user needs:  make demo  and  make test.
# Both create a project-local virtual environment (.venv) and install nianbao into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup system-deps lint clean

demo: setup
	$(BIN)/nianbao demo

test: setup
	$(BIN)/python -m pytest

setup: $(STAMP)

$(STAMP): pyproject.toml tools/system-deps.sh
	bash tools/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(MAKE) $(PYWB_STAMP)
	touch $(STAMP)

# pywb replays the archive in the tests; its pins clash with the project's, so it lives
# in a virtual environment of its own (tests find it at .venv-pywb/bin/wayback).
PYWB_VENV  := .venv-pywb
PYWB_STAMP := $(PYWB_VENV)/.installed

$(PYWB_STAMP):
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYWB_VENV)/bin/python -m pip install --quiet 'pywb>=2.8,<3'
	touch $(PYWB_STAMP)

system-deps:
	bash tools/system-deps.sh

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .venv-pywb nianbao-data .pytest_cache
