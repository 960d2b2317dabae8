# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench catalogs clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# With a token (environment or .env) this runs the bot; without one, the built-in demo.
run: $(BIN)/.installed
	@if $(BIN)/alongside has-token; then exec $(BIN)/alongside run; else exec $(BIN)/alongside demo; fi

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(BIN)/.installed
	$(BIN)/python -m tests.bench

catalogs: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -o locales/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
