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

.PHONY: lab formgrader test check grade release bench bench-grading sandbox environment clean

# The student lab reads lab/ before the venv's config: nbgrader without its instructor tools (lab/README.md).
STUDENT_LAB_CONFIG := $(CURDIR)/lab

lab: $(STAMP)  ## student: open JupyterLab on the exercises
	JUPYTER_CONFIG_PATH="$(STUDENT_LAB_CONFIG)" $(BIN)/jupyter lab --ServerApp.root_dir=exercises $(ALLOW_ROOT) $(LAB_ARGS)

formgrader: $(STAMP)  ## instructor: JupyterLab on the nbgrader course, with all of nbgrader (the venv's config only)
	cd course && ../$(BIN)/jupyter lab $(ALLOW_ROOT) $(LAB_ARGS)

# Two pytest processes, each taking whole test files (the longest first, see tests/conftest.py).
PARALLEL := -n 2 --dist loadfile

test: $(STAMP) sandbox  ## the whole test suite
	$(BIN)/python -m pytest $(PARALLEL)

check: $(STAMP) sandbox  ## the fast tier: everything but the slow end-to-end grading and the browser
	$(BIN)/python -m pytest $(PARALLEL) -m "not slow and not browser"

# GRADE_ARGS passes more options to `make grade` (e.g. GRADE_ARGS="--jobs 1").
grade: $(STAMP) sandbox  ## grade the bundled sample class into grades/ and the course's gradebook, print the table
	$(BIN)/python -m autograder grade --out grades --gradebook $(GRADE_ARGS)

release: $(STAMP)  ## regenerate exercises/ and solutions/ from course/source/
	$(BIN)/python -m autograder release

bench: $(STAMP)  ## the NN class against scikit-learn and a per-sample loop (prints a table)
	$(BIN)/python bench/nn_speed.py

bench-grading: $(STAMP) sandbox  ## plain nbgrader, the local engine and a Dask cluster on one class (about 25 min)
	$(BIN)/python bench/grading_speed.py

# The grading sandbox: bubblewrap from the system's packages (Debian/Ubuntu names it bubblewrap).
sandbox:
	@command -v bwrap >/dev/null || { \
	  echo "installing bubblewrap, the sandbox the autograder runs student code in"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -qq bubblewrap || { apt-get update -qq && apt-get install -y -qq bubblewrap; }; \
	  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	    sudo apt-get install -y bubblewrap; \
	  else \
	    echo "WARNING: cannot install bubblewrap here; install it with your package manager." >&2; \
	    echo "Grading refuses to run without it (unless --no-sandbox); sandbox tests are skipped." >&2; \
	  fi; }

environment: $(STAMP)  ## rewrite environment.yml from pyproject.toml
	$(BIN)/python tools/environment_yml.py --write

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) grades .pytest_cache
