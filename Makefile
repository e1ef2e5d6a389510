# Nutera: `make run` serves the seeded demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app nutera
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test test-postgres lint install migrate seed bench clean

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) demo seed --if-empty

# The dev server and, beside it, the queue worker that runs background jobs (refresh
# analysis, commit, revert); Ctrl-C stops both. In production run them as separate services.
run: seed
	@$(FLASK) queue worker --workers 2 & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-postgres: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest --ignore=tests/e2e $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/seed_demo.py
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
