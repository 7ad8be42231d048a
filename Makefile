# Two commands do all the set-up:  make lab  (open the series)  and  make test  (run every test).
# Both create .venv on first use and reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# JupyterLab refuses to start as root (as in many containers) unless told it may.
LAB_FLAGS := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: lab test lint format bench student site serve-site clean help

help:
	@echo "make lab      open the notebook series in JupyterLab"
	@echo "make test     lint, unit tests and strict nbval of every notebook"
	@echo "make format   apply ruff's formatting and safe fixes"
	@echo "make student  student copies of the notebooks in student/ (solutions removed)"
	@echo "make site     the website in _site/: notebooks, docs, search, JupyterLite (make serve-site)"
	@echo "make bench    benchmarks (loopback only); writes benchmarks/RESULTS.md"
	@echo "make clean    remove .venv and caches"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("sms-cookies needs Python 3.10 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[notebook,test,production,site]"
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/00-start-here.ipynb

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m benchmarks

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

student: $(STAMP)
	$(BIN)/python -m companion_app.student notebooks student

# The site's downloads (Pyodide and mermaid from npm, pure wheels from PyPI) are fetched once per
# pyproject.toml or wheel-list change into .site-cache/; building needs no network after that.
SITE_STAMP := .site-cache/downloads.stamp
HOST ?= 0.0.0.0
PORT ?= 8000

$(SITE_STAMP): $(STAMP) pyproject.toml tools/sitebuild/browser-wheels.txt
	$(BIN)/python -m tools.sitebuild fetch

site: $(STAMP) $(SITE_STAMP)
	$(BIN)/python -m tools.sitebuild build

serve-site: $(STAMP)
	@test -f _site/index.html || $(MAKE) site
	$(BIN)/python -m tools.sitebuild serve --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis _site .site-cache
