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

run: seed
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
