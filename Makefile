# Two commands do all the set-up:  make lab  (open the series)  and  make test  (run every test).
# Both create .venv on first use and reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Every package, direct or not, at one version with its hashes (make lock refreshes it).
LOCK   := requirements.lock
UV     := uv==0.13.9
# Twilio's own Node.js library and segment calculator, second opinions for the fidelity tests.
# Twilio's CLI (twilio-cli, about 500 npm packages) is opt-in: make test-cli installs it and runs
# its tests, which also need the webhook:invoke plugin, not on npm (see tests/fidelity/test_cli.py).
NODE_DIR   := tests/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed-stamp
CLI_DIR    := tests/node-cli
CLI_STAMP  := $(CLI_DIR)/node_modules/.installed-stamp
# Twilio's OpenAPI description of its REST API (twilio-oai, inside @twilio-alpha/mcp): the HTTPS
# stand-in of api.twilio.com in tests/support/network_edge.py is validated against it.
OAI_DIR   := tests/oai
OAI_STAMP := $(OAI_DIR)/node_modules/.installed-stamp
# JupyterLab refuses to start as root (as in many containers) unless told it may.
LAB_FLAGS := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: setup lock lab test test-browser test-cli lint format bench student notebooks links site serve-site clean help node-oracle twilio-oai

help:
	@echo "make lab      open the notebook series in JupyterLab"
	@echo "make test     lint, unit tests and strict nbval of every notebook (a few minutes)"
	@echo "make test-browser  the notebooks run in JupyterLite in Chromium (what CI adds)"
	@echo "make test-cli the tests against Twilio's CLI (installs twilio-cli from npm)"
	@echo "make format   apply ruff's formatting and safe fixes"
	@echo "make lock     refresh requirements.lock from pyproject.toml (every package, with hashes)"
	@echo "make notebooks re-run every notebook top to bottom in a fresh kernel, offline, saving outputs"
	@echo "make student  student copies of the notebooks in student/ (solutions removed)"
	@echo "make links    point every Binder/Colab badge and Colab install cell at [project.urls]"
	@echo "make site     the website in _site/: notebooks, docs, search, JupyterLite (make serve-site)"
	@echo "make bench    benchmarks (loopback only); writes benchmarks/RESULTS.md"
	@echo "make clean    remove .venv and caches"

# The lock is installed by uv (same files, same hashes as pip would check): 6 s where pip takes
# 34 s with its cache warm, measured on the 2-core CI machine. --compile-bytecode writes the .pyc
# files pip writes by default: without them, where PYTHONDONTWRITEBYTECODE is set (as in many
# containers and CI machines), every Python process (Lab, each kernel, each test worker) compiles
# what it imports again; make test took 2:46 without them and 2:22 with them (+3 s to install).
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit("sms-cookies needs Python 3.10 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip $(UV)
	$(BIN)/python -m uv pip install --quiet --python $(BIN)/python --compile-bytecode --require-hashes -r $(LOCK)
	$(BIN)/python -m uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

# Resolve pyproject.toml's pins and everything they need, for Python 3.10 and newer on every
# platform, into requirements.lock (with hashes); uv does it in a venv of its own.
# Two smaller locks follow it, each constrained by it (a package they share is at the same version):
# requirements-colab.lock, what Colab installs (the package's own dependencies and the production
# extra: Colab brings its own Jupyter), and the site's build tools (tools/sitebuild/).
COMPILE := build/lock-tools/bin/uv pip compile --universal --python-version 3.10 --generate-hashes \
	--custom-compile-command "make lock"
lock:
	$(PYTHON) -m venv build/lock-tools
	build/lock-tools/bin/python -m pip install --quiet $(UV)
	$(COMPILE) pyproject.toml --extra notebook --extra test --extra production -o $(LOCK)
	$(COMPILE) pyproject.toml --extra production -c $(LOCK) -o requirements-colab.lock
	$(COMPILE) tools/sitebuild/build-requirements.in -c $(LOCK) \
		-o tools/sitebuild/build-requirements.lock

# Rooted at the repository, so README.md, docs/ and student/ open in Lab and the notebooks'
# links to ../docs/ resolve.
lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) --ServerApp.root_dir=. notebooks/00-start-here.ipynb

node-oracle: $(NODE_STAMP)

$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the tests against Twilio's Node.js code will be skipped"; \
	fi

twilio-oai: $(OAI_STAMP)

$(OAI_STAMP): $(OAI_DIR)/package.json $(OAI_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(OAI_DIR) --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the tests against the real twilio SDK and pyngrok will be skipped"; \
	fi

# The Python environment and the two npm folders do not depend on each other: they are made side
# by side (a fresh clone's set-up, measured twice each way: 19 and 23 s one after the other, 17
# and 22 s side by side).
setup:
	@$(MAKE) --no-print-directory -j3 $(STAMP) node-oracle twilio-oai

test: setup lint
	$(BIN)/python -m pytest -n auto

# Twilio's CLI signing requests for the webhook (opt-in: see the note on NODE_DIR above).
test-cli: $(STAMP) $(CLI_STAMP)
	$(BIN)/python -m pytest tests/fidelity/test_cli.py -rs

$(CLI_STAMP): $(CLI_DIR)/package.json $(CLI_DIR)/package-lock.json
	npm ci --prefix $(CLI_DIR) --no-audit --no-fund --loglevel=error && touch $@

# The notebooks run in JupyterLite in Chromium (the website's "Run in your browser"): minutes.
test-browser: $(STAMP) node-oracle
	$(BIN)/python -m pytest -n auto -m lite

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m benchmarks

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Restart & Run All for each notebook, in place: fresh kernel, offline (as the tests run them),
# metadata and tags kept. Run from notebooks/ so relative paths resolve as in JupyterLab.
notebooks: $(STAMP)
	cd notebooks && for nb in [0-9][0-9]-*.ipynb; do \
		SMS_COOKIES_OFFLINE=1 ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False "$$nb" || exit 1; \
	done

student: $(STAMP)
	$(BIN)/python -m tools.student notebooks student

# The site's downloads (Pyodide and mermaid from npm, pure wheels from PyPI) are fetched once per
# pyproject.toml or wheel-list change into .site-cache/; building needs no network after that.
SITE_STAMP := .site-cache/downloads.stamp
HOST ?= 0.0.0.0
PORT ?= 8000
# make site ALLOW_UNCOMMITTED=1 publishes notebooks with changes not committed (refused otherwise);
# make site BROWSER_NOTEBOOKS=full puts the full notebooks, not the student copies, in the browser.
ALLOW_UNCOMMITTED ?=
BROWSER_NOTEBOOKS ?= student

$(SITE_STAMP): $(STAMP) pyproject.toml tools/sitebuild/browser-wheels.txt
	$(BIN)/python -m tools.sitebuild fetch

site: $(STAMP) $(SITE_STAMP)
	$(BIN)/python -m tools.sitebuild build --browser-notebooks $(BROWSER_NOTEBOOKS) \
		$(if $(ALLOW_UNCOMMITTED),--allow-uncommitted,)

serve-site: $(STAMP)
	@test -f _site/index.html || $(MAKE) site
	$(BIN)/python -m tools.sitebuild serve --host $(HOST) --port $(PORT)

links: $(STAMP)
	$(BIN)/python -m tools.links --write

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis $(NODE_DIR)/node_modules $(CLI_DIR)/node_modules $(OAI_DIR)/node_modules _site .site-cache
