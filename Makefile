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
	touch $(STAMP)

system-deps:
	bash tools/system-deps.sh

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) nianbao-data .pytest_cache
