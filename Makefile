# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: run run-prod test lint install install-dev clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Serve on http://127.0.0.1:8000 with the embedded default (SQLite in instance/ and a local
# Redis) unless QUIZAPP_DATABASE_URL / QUIZAPP_REDIS_URL say otherwise, with the background
# worker (judges' downloads) beside gunicorn.
run: $(VENV)/.installed
	$(BIN)/flask --app wsgi db upgrade
	@if [ ! -f instance/.demo-loaded ]; then $(BIN)/flask --app wsgi demo && touch instance/.demo-loaded; fi
	QUIZAPP_WEB_WORKERS=$(WORKERS) $(BIN)/python -m quizapp.localredis --beside "$(BIN)/flask --app wsgi jobs worker" \
		$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

# The production layout of deploy/ on this machine, in the foreground until Ctrl-C: Debian's
# nginx on HOST:PORT in front of gunicorn (deploy/gunicorn.conf.py) and the background worker
# (deploy/run_prod.py). Same databases as `make run`; WORKERS=N given here sets gunicorn's workers.
run-prod: $(VENV)/.installed
	$(BIN)/flask --app wsgi db upgrade
	@if [ ! -f instance/.demo-loaded ] && [ "$$QUIZAPP_ENV" != production ]; then \
		$(BIN)/flask --app wsgi demo && touch instance/.demo-loaded; fi
	$(if $(filter command line,$(origin WORKERS)),WEB_CONCURRENCY=$(WORKERS)) \
		$(BIN)/python deploy/run_prod.py --host $(HOST) --port $(PORT)

# ruff, then the architecture's import contracts (pyproject.toml, docs/architecture.md).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The whole suite. With no QUIZAPP_DATABASE_URL it runs on SQLite; with no QUIZAPP_REDIS_URL
# it starts a throwaway Redis server of its own.
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The README's pictures (docs/screenshots/), from the demo data, with Debian's chromium.
screenshots: $(VENV)/.installed-dev
	$(BIN)/python docs/screenshots/render.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
