# Every target builds the virtual environment it needs first, so each works on a fresh clone.
# Settings (see data/settings.py and boilerline's BOILERLINE_* limits in features/settings.py): DATA_MIRROR=DIR reads a local copy of the
# datasets instead of downloading them; TRAIN_EXTRA="labelled:my/pages" adds your own labelled
# pages to training, TRAIN_EXTRA_WEIGHT=10 weighs each as 10 WCXB pages; COMPOSITE_SHARE (of
# WCXB's training articles copied with a teaser grid or thread after the article; 0: none);
# EVAL_EXTRA="labelled:my/test-pages" adds datasets to `make eval`; JOBS, SEED, DATA_DIR,
# MODEL_DIR, REPORT_DIR; FUZZ_CASES, FUZZ_JOBS (make fuzz: how many generated pages, in how many processes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FUZZ_CASES ?= 1000000
FUZZ_JOBS ?= 1
DATA_DIR ?= data
LINES := $(DATA_DIR)/lines/summary.json
export DATA_MIRROR DATA_DIR TRAIN_EXTRA TRAIN_EXTRA_WEIGHT EVAL_EXTRA COMPOSITE_SHARE

.PHONY: all data lines train eval test test-quick test-oldest browser-test lint bench fuzz clean

all: train

$(VENV)/.installed: pyproject.toml models/constraints.txt features/_walk.pyx features/_trees.pyx features/_checks.pyx features/_counts.pyx features/_build/boilerline_build.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]' -c models/constraints.txt
	touch $@

venv: $(VENV)/.installed

## data: fetch WCXB dev and ScrapingHub (from DATA_MIRROR, else from GitHub)
data: $(VENV)/.installed
	$(PY) -m data fetch

## lines: build the labelled-line tables (rebuilt only when the code that makes them changes)
lines: $(LINES)

$(LINES): $(VENV)/.installed data/align.py data/build.py data/composite.py data/render.py data/settings.py data/sources.py features/segment.py
	$(PY) -m data fetch
	$(PY) -m data build

## train: fit the HTML and text models, write models/boilerplate.npz and its card (with TRAIN_EXTRA: to MODEL_DIR, a folder of your own)
train: $(LINES)
	$(PY) train.py

## eval: the model beside trafilatura, jusText, boilerpy3, readability, resiliparse, on the benchmarks
## and on pages in neither (`python -m data fetch-unseen`) -> reports/
eval: data
	$(PY) -m data fetch-unseen
	$(PY) evaluate.py

## bench: pages per second of clean_html against trafilatura, peak memory, and the memory of 10 MB pages
bench: data
	$(PY) evaluate.py --bench

## test: every test (small fixtures in tests/; with DATA_MIRROR, the quality gate on the benchmarks too)
test: $(VENV)/.installed
	$(PY) -m pytest

## test-quick: the tests not marked slow (no end-to-end training, no benchmark pages)
test-quick: $(VENV)/.installed
	$(PY) -m pytest -m "not slow"

## test-oldest: the library at the oldest versions pyproject allows of what scoring needs (no
## scikit-learn, no pandas) scores the test pages as the pinned versions do
OLDEST := .venv-oldest
test-oldest: $(VENV)/.installed $(OLDEST)/.installed
	OLDEST_PYTHON=$(OLDEST)/bin/python $(PY) -m pytest tests/test_model.py -k oldest_supported

$(OLDEST)/.installed: pyproject.toml
	rm -rf $(OLDEST)
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q $$($(PYTHON) -c "import tomllib; print(' '.join(d.replace('>=', '==') for d in tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))")
	$(OLDEST)/bin/python -m pip install -q --no-deps .
	touch $@

## browser-test: `boilerline label`'s page in headless Chromium (as root, installs Debian's chromium and chromium-driver)
browser-test: $(VENV)/.browser
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	  else echo "browser-test needs /usr/bin/chromium and /usr/bin/chromedriver: run it as root, or apt-get install chromium chromium-driver" >&2; exit 1; fi; \
	fi
	$(PY) -m pytest tests/test_labelling_browser.py

$(VENV)/.browser: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[browser]' -c models/constraints.txt
	touch $@

## fuzz: score FUZZ_CASES generated hostile pages (tests/fuzz.py), a summary to reports/fuzz.md
fuzz: $(VENV)/.installed
	$(PY) tests/fuzz.py --cases $(FUZZ_CASES) --jobs $(FUZZ_JOBS) --report reports/fuzz.md

## lint: ruff's checks and its formatting, as CI runs them
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) $(OLDEST) data/raw data/lines data/cache reports *.egg-info .pytest_cache
