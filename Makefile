# deconv-checkerboard: `make lab` to read along, `make test` to check everything.
# Every target creates .venv (via `make install`) when it is missing.
#
#   TORCH_SPEC   the torch requirement installed first (default torch==2.13.0, the CPU wheel this
#                project is tested with). Use your own build with e.g. TORCH_SPEC='torch>=2.1',
#                or TORCH_SPEC= (empty) to keep whatever torch pip resolves from pyproject.toml.
#   TORCH_INDEX  where that torch comes from (nbhelpers/install_torch.py): auto (default: a local
#                wheel in PIP_FIND_LINKS, else the CPU build on Linux without nvidia-smi, else
#                PyPI), pypi, or an index URL such as https://download.pytorch.org/whl/cu126.
#   PYTHON       interpreter used to create the virtual environment (3.10 or newer).
#   VENV         where the virtual environment lives (default .venv).

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?= auto
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: install install-ui lab test test-ui unit lint notebooks bench claims results results-check html student clean help

help:
	@echo "make lab        open JupyterLab on notebooks/ (creates .venv when missing; LAB_ARGS=... for options)"
	@echo "make test       ruff + unit tests + every notebook under nbval"
	@echo "make notebooks  re-execute the notebooks in place (commit the result)"
	@echo "make bench      time each notebook and the widget update"
	@echo "make results    train the long runs (10 seeds: 0-4 to design the claims, 5-9 to confirm them; up to 10000 steps) into data/results/ (resumable)"
	@echo "make results-check  are data/results/ untouched (seals) and still this code's (replays of the first 20 steps)?"
	@echo "make claims     the claims ledger of the committed notebooks (measured, threshold, margin)"
	@echo "make test-ui    JupyterLab + headless Chromium: widgets render and respond"
	@echo "make grading    the exercises as an nbgrader course in build/grading/ (installs nbgrader when missing)"
	@echo "make test-grading  autograde three fake students with nbgrader and check their exact scores"
	@echo "make hub        a JupyterHub for a class on 127.0.0.1:8000 (local system users, trial login; deploy/)"
	@echo "make test-hub   a class on that hub: 3 students fetch, run and submit notebook 01, graded (as root)"
	@echo "make html       executed notebooks as static HTML in build/html/"
	@echo "make student    student versions (solutions stubbed, outputs cleared) in build/student/"
	@echo "make install    create .venv and install nbhelpers (idempotent)"

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@if [ -n "$(TORCH_SPEC)" ]; then TORCH_INDEX="$(TORCH_INDEX)" $(BIN)/python nbhelpers/install_torch.py "$(TORCH_SPEC)"; fi
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

# LAB_ARGS: extra JupyterLab options, e.g. LAB_ARGS='--no-browser --port=9000 --ip=0.0.0.0'.
# As root (containers, many class servers) JupyterLab needs --allow-root: added when id -u is 0.
lab: install
	@echo "Starting JupyterLab on notebooks/: open the http://...lab?token=... URL it prints (Ctrl-C stops it)."
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

lint: install
	$(BIN)/ruff check nbhelpers tests

unit: install
	$(BIN)/python -m pytest tests -q

# The notebooks (nbval) and the unit tests in two pytest workers (pytest-xdist), one torch thread
# each: each notebook's cells go to one worker together, in order, and every test that starts a
# kernel or a server runs in one worker, one at a time (conftest.py). The notebooks come first:
# the long units start early and the short tests fill in at the end. TEST_JOBS=0: one process.
# `make results-check` runs as one of the unit tests (tests/test_resultcheck.py), beside the others.
TEST_JOBS ?= 2
test: install lint
	NBHELPERS_THREADS=$${NBHELPERS_THREADS:-1} $(BIN)/python -m pytest notebooks tests -q \
	    --ignore=tests/ui --nbval-lax --nbval-current-env --nbval-cell-timeout=120 \
	    -n $(TEST_JOBS) --dist loadgroup

install-ui: install
	@$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[ui]"

# Needs Chromium from the system (Debian: apt-get install -y chromium); skipped without it.
test-ui: install-ui
	$(BIN)/python -m pytest tests/ui -q -rs

.PHONY: install-grading grading test-grading

install-grading: install
	@$(BIN)/python -c "import nbgrader" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[grading]"

# nbgrader runs the `alembic` command from $(BIN): it must be on PATH (nbhelpers.course.grading adds it too).
grading: install-grading
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m nbhelpers.course.grading --course build/grading build $(NOTEBOOKS)

test-grading: install-grading
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest tests/test_grading.py -q -rs

.PHONY: install-hub hub test-hub

# JupyterHub from PyPI (the `hub` extra) and configurable-http-proxy from npm into build/hub/node/.
CHP_VERSION := 4.6.3
HUB_NODE := build/hub/node
install-hub: install-grading
	@$(BIN)/python -c "import jupyterhub" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[hub]"
	@test -x $(HUB_NODE)/node_modules/.bin/configurable-http-proxy || { \
	    command -v npm >/dev/null || { echo "warning: no npm (Node.js 18 or newer) to install configurable-http-proxy:" \
	        "make hub cannot start, make test-hub skips the hub tests"; exit 0; }; \
	    npm install --silent --no-audit --no-fund --prefix $(HUB_NODE) configurable-http-proxy@$(CHP_VERSION) \
	        || echo "warning: npm could not install configurable-http-proxy (no registry?):" \
	            "make hub cannot start, make test-hub skips the hub tests"; }

# Settings (HUB_PORT, HUB_IP, NBGRADER_EXCHANGE, HUB_AUTHENTICATOR, ...) are read from the
# environment by deploy/jupyterhub_config.py: make hub HUB_PORT=9000. Run as root to serve other users.
hub: install-hub
	$(BIN)/jupyterhub -f deploy/jupyterhub_config.py $(HUB_ARGS)

# As root (creates and removes system users); skips itself otherwise. CI runs it after test-grading
# when it can still finish within 12 minutes (.ci/run; about 2 minutes).
test-hub: install-hub
	HUB_CLASS_TEST=1 NBHELPERS_THREADS=1 $(BIN)/python -m pytest tests/test_hub.py -q -rs -s

# FORCE=1 overwrites student files that are newer than their source.
student: install
	FORCE=$(FORCE) $(BIN)/python -m nbhelpers.course.student $(NOTEBOOKS) --out build/student

html: install
	$(BIN)/python -m nbhelpers.course.site $(NOTEBOOKS) --out build/html

notebooks: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=300 $(NOTEBOOKS)

# JOBS processes at a time, one thread each (default 2: this project's 2-core machines).
results: install
	$(BIN)/python -m nbhelpers.experiments.longrun run --jobs $(or $(JOBS),2)

results-check: install
	$(BIN)/python -m nbhelpers.experiments.longrun check

claims: install
	$(BIN)/python -m nbhelpers.claims $(NOTEBOOKS) --json build/claims.json

bench: install
	$(BIN)/python -m nbhelpers.course.bench $(NOTEBOOKS)

clean:
	rm -rf build .pytest_cache .ruff_cache
