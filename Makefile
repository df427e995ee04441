# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install translations

$(BIN)/haven: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

install: $(BIN)/haven

demo: $(BIN)/haven
	$(BIN)/haven demo

lint: $(BIN)/haven
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# After changing text on a public page: extract it, then translate the new entries in each
# src/haven/web/translations/<lang>/LC_MESSAGES/messages.po (tests/i18n fails until every one is).
translations: $(BIN)/haven
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project=Haven \
		--copyright-holder="Haven contributors" -o src/haven/web/translations/messages.pot .
	$(BIN)/pybabel update -i src/haven/web/translations/messages.pot \
		-d src/haven/web/translations --no-fuzzy-matching --ignore-obsolete
