# Two commands for everyone:  make lab  (students)  and  make test.
# Everything runs from a virtual environment in .venv that is created on demand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# nbgrader runs `alembic` from PATH, so the venv's bin goes first for every target.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Root may only run JupyterLab with --allow-root. LAB_ARGS passes more options to `make lab`.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab formgrader test grade release bench environment clean

lab: $(STAMP)  ## student: open JupyterLab on the exercises
	$(BIN)/jupyter lab --ServerApp.root_dir=exercises $(ALLOW_ROOT) $(LAB_ARGS)

formgrader: $(STAMP)  ## instructor: JupyterLab on the nbgrader course, with the formgrader
	cd course && ../$(BIN)/jupyter lab $(ALLOW_ROOT)

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest

grade: $(STAMP)  ## grade the bundled sample class and print the table
	$(BIN)/python -m autograder grade --out grades

release: $(STAMP)  ## regenerate exercises/ and solutions/ from course/source/
	$(BIN)/python -m autograder release

bench: $(STAMP)  ## the NN class against scikit-learn and a per-sample loop (prints a table)
	$(BIN)/python bench/nn_speed.py

environment: $(STAMP)  ## rewrite environment.yml from pyproject.toml
	$(BIN)/python tools/environment_yml.py --write

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) grades .pytest_cache
