# Two commands do all set-up on a fresh clone:
#   make demo   JupyterLab on notebooks/quickstart.ipynb (the offline model when no API key is set)
#   make test   install everything the tests need (Python packages, the JS build, Debian's chromium), run every test

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
BUNDLE  := nbstream/static/widget.js
JS_SRC  := $(wildcard js/*.js js/*.css)

# Jupyter refuses to start as root (containers, this project's CI machine) unless told it may.
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: demo test test-fast test-oldstack oldstack js install chromium bench clean

$(PY):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench,pandas]"
	touch $@

install: $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

$(BUNDLE): node_modules/.package-lock.json $(JS_SRC)
	npm run build

js: $(BUNDLE)

# Browser tests drive Debian's chromium through Playwright (no browser downloads).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: install js chromium
	npm test
	$(PY) -m pytest
	$(MAKE) test-oldstack

# The oldest supported stack (Google Colab's pinned Jupyter set: IPython 7.34, ipykernel 6.17,
# ipywidgets 7.7, anywidget 0.9, classic Notebook 6.5) in its own virtualenv, cached under
# ~/.cache/nbstream keyed by the pin set (compat/oldstack.sh). It runs the working tree's nbstream.
# Every test but JupyterLab's browser tests (JupyterLab is not part of that stack) and the benchmarks'
# smoke test (benchmark tools are not either); the classic Notebook's browser tests run here only.
OLDSTACK_TESTS := tests --ignore-glob='tests/browser/test_*.py' --ignore=tests/test_benchmarks_smoke.py

oldstack:
	@compat/oldstack.sh >/dev/null

test-oldstack: js chromium oldstack
	PYTHONPATH=$(CURDIR) "$$(compat/oldstack.sh)/bin/python" -m pytest -p no:cacheprovider $(OLDSTACK_TESTS)

# Everything but the real-browser tests: a quick loop while developing.
test-fast: install js
	npm test
	$(PY) -m pytest -m "not browser"

demo: install js
	@if [ -z "$$ANTHROPIC_API_KEY$$ANTHROPIC_AUTH_TOKEN$$ANTHROPIC_BASE_URL" ]; then \
		echo "No ANTHROPIC_API_KEY set: the demo runs on nbstream's offline model (replies are simulated)."; \
		export NBSTREAM_OFFLINE=1; \
	fi; \
	$(PY) -m jupyter lab --ip=127.0.0.1 $(LAB_ROOT_FLAG) notebooks/quickstart.ipynb

bench: install js
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) node_modules nbstream/static
