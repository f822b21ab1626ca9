PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format schema messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "make: '$(PYTHON) -m venv' failed; on Debian: apt-get install python3-venv" >&2; exit 1; }

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/indigo migrate
	$(BIN)/indigo seed --if-empty
	$(BIN)/indigo serve

# Most tests wait on sockets, servers and databases rather than compute: three processes
# (pytest-xdist) keep both cores busy. PYTEST_ARGS="-p no:xdist tests/test_x.py" runs one file.
PYTEST_ARGS ?= -n 3
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP)
	$(BIN)/indigo schema > schema.graphql

# Extracts every message marked with N_ into the template, then adds the new ones (empty) to
# each language's catalogue and drops those no longer used: translate the empty ones there.
LOCALE := resolvers/locale
messages: $(STAMP)
	$(BIN)/pybabel extract --omit-header --sort-output --no-wrap --add-location=file \
		--no-default-keywords --keyword=N_ --output-file=$(LOCALE)/indigo.pot indigo resolvers schema
	$(BIN)/pybabel update --omit-header --no-wrap --no-fuzzy-matching --ignore-obsolete \
		--domain=indigo --input-file=$(LOCALE)/indigo.pot --output-dir=$(LOCALE)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
