# The few commands a newcomer needs. Everything runs in ./venv, the virtualenv Pulumi uses too.
VENV ?= venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: help install lint typecheck test clean

help:
	@echo "make install    create $(VENV) and install the pinned requirements"
	@echo "make test       lint (ruff), type-check (mypy) and run the tests (pytest)"
	@echo "make clean      remove $(VENV) and caches"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Re-install only when a requirements file changed.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
