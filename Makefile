# The Hinton Notebooks: two commands matter.
#   make book   build the website into _build/html (executes every notebook once)
#   make test   unit tests, every notebook under nbval, the built site in Chromium
# Both create .venv and install what they need; only Python 3.10-3.13 and make are required.

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
# The Pythons requirements.txt is resolved for (README promises the same).
SUPPORTED := "3.10 3.11 3.12 3.13"
PY_CHECK := import sys; v = "%d.%d" % sys.version_info[:2]; \
  sys.exit(0 if v in $(SUPPORTED).split() else "this is Python " + sys.version.split()[0] \
  + ": The Hinton Notebooks need Python " + " to ".join($(SUPPORTED).split()[::3]) \
  + " (set PYTHON=..., e.g. make PYTHON=python3.12 test)")
# The oldest versions pyproject.toml allows, in a second environment.
LOWEST := .venv-lowest

.PHONY: book test venv lint unit notebooks site sitetest lowest seeds determinism lab clean

book: notebooks site

# lowest runs the unit tests and every notebook once more, on the oldest allowed
# versions and with the default BLAS threading (the rest of the build uses one
# thread per process): one pass, two checks.
test: lint unit book lowest sitetest

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) -c '$(PY_CHECK)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check $(LINTED) notebooks
	$(BIN)/ruff format --check $(LINTED) notebooks

unit: venv
	$(RUN_ENV) MPLBACKEND=Agg $(BIN)/python -m pytest -q -n 2 tests

# Every notebook runs exactly once, under nbval, two at a time; the executed
# copies (with outputs) are what the site is built from.
notebooks: venv
	rm -rf _build/executed
	$(RUN_ENV) HINTON_EXECUTED_DIR=_build/executed PYTHONPATH=$(CURDIR)/scripts:$(CURDIR) \
	  $(BIN)/python -m pytest -q -p nbcapture --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=300 -n 2 --dist loadscope -o testpaths= $(NOTEBOOKS)

site: venv
	$(BIN)/python scripts/stage_book.py _build/executed _build/src
	rm -rf _build/html
	$(RUN_ENV) $(BIN)/jupyter-book build _build/src --path-output . -W -n --keep-going
	@echo "The book is in _build/html/index.html"

sitetest: venv
	$(BIN)/python -m pytest -q -o testpaths= scripts/site_test.py

# The unit tests and every notebook on the lowest versions of the package's
# direct dependencies (uv's --resolution lowest-direct: numpy 2.0, scipy 1.13,
# matplotlib 3.9, scikit-learn 1.4.2, ipywidgets 7.7.1 ...), with BLAS free to
# use every core, as on a reader's laptop or Colab: so the notebooks run one at a time.
lowest: venv
	rm -rf $(LOWEST)
	$(BIN)/uv venv --quiet --python $(BIN)/python $(LOWEST)
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e ".[test]"
	@$(BIN)/uv pip list --python $(LOWEST)/bin/python 2>/dev/null \
	  | grep -E "^(numpy|scipy|matplotlib|scikit-learn|mlxtend|ipywidgets|tqdm) " | tr -s " " | paste -sd, -
	env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u MKL_NUM_THREADS \
	  HINTON_STATIC=1 PYTHONHASHSEED=0 PYDEVD_DISABLE_FILE_VALIDATION=1 MPLBACKEND=Agg \
	  PYTHONPATH=$(CURDIR) $(LOWEST)/bin/python -m pytest -q -p no:cacheprovider -n 2 tests
	env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u MKL_NUM_THREADS \
	  HINTON_STATIC=1 PYTHONHASHSEED=0 PYDEVD_DISABLE_FILE_VALIDATION=1 \
	  PYTHONPATH=$(CURDIR) $(LOWEST)/bin/python -m pytest -q -p no:cacheprovider \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=300 -o testpaths= $(NOTEBOOKS)

# Opt-in (not part of make test): every notebook with other seeds (HINTON_SEED
# overrides the seed a chapter passes to hu.setup), then the asserts that failed.
SEEDS ?= 1 2 3
seeds: venv
	rm -rf _build/seeds && mkdir -p _build/seeds
	for seed in $(SEEDS); do \
	  $(RUN_ENV) HINTON_SEED=$$seed PYTHONPATH=$(CURDIR) $(BIN)/python -m pytest -q \
	  -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout=300 -n 2 \
	  --dist loadscope -o testpaths= --junitxml=_build/seeds/seed_$$seed.xml $(NOTEBOOKS) \
	  > _build/seeds/seed_$$seed.log 2>&1; \
	  echo "seed $$seed: $$(tail -n 1 _build/seeds/seed_$$seed.log)"; \
	done
	$(BIN)/python scripts/seed_report.py _build/seeds

# Opt-in (not part of make test): run every notebook twice, compare what they print.
determinism: venv
	rm -rf _build/run_a _build/run_b
	for run in run_a run_b; do \
	  $(RUN_ENV) HINTON_EXECUTED_DIR=_build/$$run PYTHONPATH=$(CURDIR)/scripts:$(CURDIR) \
	  $(BIN)/python -m pytest -q -p nbcapture --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=300 -n 2 --dist loadscope -o testpaths= $(NOTEBOOKS) || exit 1; \
	done
	$(BIN)/python scripts/compare_runs.py _build/run_a _build/run_b

lab: venv
	$(BIN)/python -m pip install --quiet jupyterlab
	$(BIN)/jupyter lab notebooks

clean:
	rm -rf _build .pytest_cache .ruff_cache $(LOWEST)
