# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install dev bench run test lint messages screenshots clean

# Idempotent: the stamp files make a second `make install` a no-op until pyproject changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

$(VENV)/.bench-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[bench]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

run: install
	$(BIN)/kosmmos migrate --noinput
	$(BIN)/kosmmos demo
	$(BIN)/kosmmos serve --host $(HOST) --port $(PORT)

test: dev
	KOSMMOS_VAR=$$(mktemp -d) $(BIN)/python -m pytest

# `make bench NAME=proposal [ARGS="--briefs 5"]`: installs what the benchmarks need on top of
# `make install` and runs one (see the README's Benchmarks); without NAME, only installs.
bench: $(VENV)/.bench-installed
	$(if $(NAME),$(BIN)/kosmmos bench $(NAME) --json $(ARGS),@echo "usage: make bench NAME=<name>; names: $(BIN)/kosmmos help")

# ruff, the import contracts (the layers in pyproject.toml, no cycles in tools/), then mypy
# (configured in pyproject.toml).
lint: dev
	$(BIN)/ruff check kosmmos tests benches
	$(BIN)/lint-imports --no-cache --no-logo pyproject.toml tools/import-cycles.toml
	$(BIN)/mypy

# The main pages and the first-hour journey at 1366, 1280 and 390 px in Russian and English, into
# test-artifacts/layouts/ and test-artifacts/journey/
# (the browser tests of #13; they fail on a page wider than the window or a console error).
screenshots: dev
	KOSMMOS_VAR=$$(mktemp -d) $(BIN)/python -m pytest tests/browser/test_layouts.py tests/browser/test_journey.py

# Refresh the Russian catalogue after changing user-facing strings, then translate and compile.
messages: dev
	cd kosmmos && ../$(BIN)/django-admin makemessages -l ru -l en --no-obsolete --settings=kosmmos.settings
	cd kosmmos && ../$(BIN)/django-admin compilemessages --settings=kosmmos.settings

clean:
	rm -rf $(VENV) var
