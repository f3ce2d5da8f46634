# The Hinton Notebooks: two commands matter.
#   make book   build the website into _build/html (executes every notebook once)
#   make test   unit tests, every notebook under nbval, the built site in Chromium
# Both create .venv and install what they need; only Python 3.10+ and make are required.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Demos render as kernel-free HTML (notebooks keep the inline figure backend).
# Two notebooks (or test workers) run at once on two cores: one BLAS thread each.
RUN_ENV := HINTON_STATIC=1 PYTHONHASHSEED=0 PYDEVD_DISABLE_FILE_VALIDATION=1 \
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
LINTED := $(wildcard hinton_utils tests scripts benchmarks book/_ext)

.PHONY: book test venv lint unit notebooks site sitetest determinism lab clean

book: notebooks site

test: lint unit book sitetest

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check $(LINTED) notebooks
	$(BIN)/ruff format --check $(LINTED)

unit: venv
	$(RUN_ENV) MPLBACKEND=Agg $(BIN)/python -m pytest -q -n 2 tests

# Every notebook runs exactly once, under nbval, two at a time; the executed
# copies (with outputs) are what the site is built from.
notebooks: venv
	rm -rf _build/executed
	$(RUN_ENV) HINTON_EXECUTED_DIR=_build/executed PYTHONPATH=scripts \
	  $(BIN)/python -m pytest -q -p nbcapture --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=300 -n 2 --dist loadscope -o testpaths= $(NOTEBOOKS)

site: venv
	$(BIN)/python scripts/stage_book.py _build/executed _build/src
	rm -rf _build/html
	$(RUN_ENV) $(BIN)/jupyter-book build _build/src --path-output . -W -n --keep-going
	@echo "The book is in _build/html/index.html"

sitetest: venv
	$(BIN)/python -m pytest -q -o testpaths= scripts/site_test.py

# Opt-in (not part of make test): run every notebook twice, compare what they print.
determinism: venv
	rm -rf _build/run_a _build/run_b
	for run in run_a run_b; do \
	  $(RUN_ENV) HINTON_EXECUTED_DIR=_build/$$run PYTHONPATH=scripts \
	  $(BIN)/python -m pytest -q -p nbcapture --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=300 -n 2 --dist loadscope -o testpaths= $(NOTEBOOKS) || exit 1; \
	done
	$(BIN)/python scripts/compare_runs.py _build/run_a _build/run_b

lab: venv
	$(BIN)/python -m pip install --quiet jupyterlab
	$(BIN)/jupyter lab notebooks

clean:
	rm -rf _build .pytest_cache .ruff_cache
