# Every target installs what is missing first, from the pinned lock file, into .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The mypyc build of the reconciler's core (src/whatsapp_pricing/compiled.py), where a C compiler is.
COMPILED := $(VENV)/compiled/SOURCES.sha256
PACKAGE_SOURCES := $(wildcard src/whatsapp_pricing/*.py src/whatsapp_pricing/reconcile/*.py)
HAS_CC := $(shell $(PYTHON) src/whatsapp_pricing/compiled.py --can-build)
# The Java class archive that shortens a local Spark run's start (src/whatsapp_pricing/spark_classes.py),
# where Java is; built again when the jars (the lock), the Java or the Spark code change.
JAVA := $(realpath $(shell command -v java))
SPARK_CLASSES := $(VENV)/spark-classes.jsa
TRAINING_LOGS := tests/fixtures/webhooks/december-2026.jsonl $(wildcard tests/fixtures/webhooks/real/*.jsonl)
LOCK_OPTIONS := --extra dev --extra spark --universal --python-version 3.11.5 --generate-hashes
# The platform of the Pyodide runtime pinned in web/package-lock.json (its pyodide-lock.json says).
BROWSER_WHEELS := --no-deps --only-binary=:all: --platform pyemscripten_2026_0_wasm32 --platform any \
	--python-version 3.14 --implementation cp --abi cp314 --abi none

# Material prints an end-of-life notice on every build; it is known (see docs-anchors research).
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: install serve test lint typecheck pytest build bench lock clean

install: $(INSTALLED) $(if $(HAS_CC),$(COMPILED)) $(if $(JAVA),$(SPARK_CLASSES))

$(INSTALLED): requirements.lock pyproject.toml web/package-lock.json web/requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11, 5) else "Python 3.11.5 or newer is needed; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/npm ci --prefix web --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf web/wheels
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --require-hashes $(BROWSER_WHEELS) \
		--dest web/wheels -r web/requirements.lock
	@touch $@

$(COMPILED): $(INSTALLED) $(PACKAGE_SOURCES)
	$(BIN)/python -m whatsapp_pricing.compiled > $(VENV)/compiled.log 2>&1 || (cat $(VENV)/compiled.log; exit 1)

$(SPARK_CLASSES): $(INSTALLED) $(JAVA) src/whatsapp_pricing/spark.py src/whatsapp_pricing/spark_classes.py
	$(BIN)/python -m whatsapp_pricing.spark_classes $(TRAINING_LOGS)

serve: $(INSTALLED)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

test: lint typecheck pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy src hooks

# The same core tests again on the compiled build (not the site's and browser's: the browser
# runs the pure engine), wherever make install built it; Spark's among them, whose Python
# workers run the compiled build too.
CORE_TESTS := $(wildcard tests/test_*.py)

pytest: install
	$(BIN)/pytest
ifneq ($(HAS_CC),)
	WHATSAPP_PRICING_COMPILED=1 $(BIN)/pytest -p no:cacheprovider $(CORE_TESTS)
endif

build: $(INSTALLED)
	$(BIN)/mkdocs build --strict --site-dir site

bench: install
	$(BIN)/python -m benchmarks

lock: $(INSTALLED)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_OPTIONS) --quiet --output-file requirements.lock
	$(BIN)/python web/lock.py $(BROWSER_WHEELS)

clean:
	rm -rf $(VENV) web/node_modules web/wheels web/bytecode site .pytest_cache .mypy_cache .ruff_cache .hypothesis
