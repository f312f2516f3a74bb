# Every target installs what is missing first, from the pinned lock file, into .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCK_OPTIONS := --extra dev --universal --python-version 3.11.5 --generate-hashes

# Material prints an end-of-life notice on every build; it is known (see docs-anchors research).
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: install serve test lint typecheck pytest build bench lock clean

install: $(INSTALLED)

$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11, 5) else "Python 3.11.5 or newer is needed; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	@touch $@

serve: $(INSTALLED)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

test: lint typecheck pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy src

pytest: $(INSTALLED)
	$(BIN)/pytest

build: $(INSTALLED)
	$(BIN)/mkdocs build --strict --site-dir site

bench: $(INSTALLED)
	$(BIN)/python -m benchmarks

lock: $(INSTALLED)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_OPTIONS) --quiet --output-file requirements.lock

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache .hypothesis
