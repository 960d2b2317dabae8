# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCALES := en sq vi ar prs fa ps ckb ti am ro fr pl

.PHONY: run sandbox test test-fast lint bench catalogs clean model check-model env-example

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# With a token (environment or .env) this runs the bot; without one, the built-in demo. A token
# or setting that cannot work stops here with its reason (has-token exits 2), never the demo.
run: $(BIN)/.installed
	@$(BIN)/alongside has-token; status=$$?; \
	if [ $$status -eq 0 ]; then exec $(BIN)/alongside run; \
	elif [ $$status -eq 1 ]; then exec $(BIN)/alongside demo; \
	else exit $$status; fi

# The real bot in a browser, for practice (the README's "Practise in a browser").
sandbox: $(BIN)/.installed
	$(BIN)/alongside sandbox

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	# Six processes on two cores: most of the suite waits on real HTTP, subprocesses and timers,
	# not the CPU (a whole run used 41% of the two cores with four).
	$(BIN)/pytest -q -n 6 --dist worksteal

# The quick part, for while you work: the unit tests (the rules run on `conversations.fakes`),
# the catalog and content tests and the safety tests, without the tests marked slow nor the
# safety measurements (blind set, benchmark); no database, no bot. In one process: starting
# pytest-xdist's workers costs more than they save here. CI runs `make test`.
FAST_TESTS := tests/unit tests/safety tests/test_catalogs.py tests/test_content.py \
	tests/test_readability.py --ignore=tests/safety/test_blind.py --ignore=tests/safety/test_bench.py
test-fast: $(BIN)/.installed
	$(BIN)/pytest -q -m "not slow" $(FAST_TESTS)

bench: $(BIN)/.installed
	$(BIN)/python -m tests.bench

# The safety model: retrain from safety/corpus (and the shared published text), or check that
# retraining gives the committed weights.
model: $(BIN)/.installed
	$(BIN)/python -m safety.train

check-model: $(BIN)/.installed
	$(BIN)/python -m safety.train --check

# For translators: refresh the template from the source (Python strings, and the journey content
# files with each passage's id as msgctxt), then merge it into every catalog. The merge is ours,
# not `pybabel update`: a passage whose English changed keeps its translation, marked fuzzy
# (shown in English until a translator checks it); other changed strings start empty.
# CATALOGS_ROOT runs the same steps on a copy of the tree (the tests do).
CATALOGS_ROOT ?= .
catalogs: $(BIN)/.installed
	cd $(CATALOGS_ROOT) && $(abspath $(BIN))/pybabel extract -F babel.cfg -k n_:1,2 -k _ -k N_ \
		--no-location --sort-output --project=Alongside --copyright-holder="Alongside" \
		-o locales/messages.pot .
	for lang in $(LOCALES); do \
		if [ ! -f $(CATALOGS_ROOT)/locales/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel init -i $(CATALOGS_ROOT)/locales/messages.pot -d $(CATALOGS_ROOT)/locales -l $$lang --no-wrap; \
		fi; \
	done
	$(BIN)/python -m bot.catalogs update $(CATALOGS_ROOT)/locales
	$(BIN)/python -m bot.catalogs fill-english $(CATALOGS_ROOT)/locales

# .env.example is made from the settings' list (bot/variables.py); a test holds it to it.
env-example: $(BIN)/.installed
	$(BIN)/python -m bot.variables > .env.example

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
