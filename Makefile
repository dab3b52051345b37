# The few commands a newcomer needs. Everything runs in ./venv, the virtualenv Pulumi uses too.
VENV ?= venv
PYTHON ?= python3
BIN := $(VENV)/bin
DEMO_DIR ?= demo-logs
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: help install hooks demo fmt lint typecheck check test bench docs mutation clean

help:
	@echo "make demo       generate sample CloudTrail logs and run the CIS detections on them"
	@echo "make fmt        format the code and apply ruff's safe fixes"
	@echo "make check      the fast inner loop: ruff, then the tests up to the first failure"
	@echo "make test       everything CI runs: ruff, mypy (strict) and the whole test suite"
	@echo "make bench      measure the detection runner against plain DuckDB (200,000 events;"
	@echo "                SCALE=200000,1000000,2000000 for time and memory at each size)"
	@echo "make docs       regenerate the generated docs: the detection catalogue, the settings tables"
	@echo "make mutation   mutation testing of lib/, components/, detect/ (hours; MUTANTS='lib.alerts*'"
	@echo "                for one module); not part of make test"
	@echo "make install    create $(VENV) and install every pinned requirement"
	@echo "make hooks      run ruff before every commit (pre-commit, .pre-commit-config.yaml)"
	@echo "make clean      remove $(VENV), the demo logs and caches"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Re-install only when a requirements file changed.
$(VENV)/.installed-detect: requirements-detect.txt requirements-ops.txt requirements-pack.txt \
		| $(BIN)/activate
	$(PIP) -r requirements-detect.txt
	touch $@

$(VENV)/.installed: requirements.txt requirements-detect.txt requirements-ops.txt \
		requirements-pack.txt requirements-dev.txt | $(BIN)/activate
	$(PIP) -r requirements-dev.txt
	touch $@ $(VENV)/.installed-detect

$(VENV)/.installed-mutation: requirements-mutation.txt $(VENV)/.installed
	$(PIP) -r requirements-mutation.txt
	touch $@

install: $(VENV)/.installed

hooks: install
	$(BIN)/pre-commit install

demo: $(VENV)/.installed-detect
	rm -rf $(DEMO_DIR)
	$(BIN)/python -m detect generate $(DEMO_DIR) --events 20000
	$(BIN)/python -m detect $(DEMO_DIR) --summary

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# No mypy here: it is the slow part of `make test`, and CI runs it.
check: lint
	$(BIN)/pytest -n auto -x -q

test: lint typecheck
	$(BIN)/pytest -n auto

# SCALE=200000,1000000,2000000: python -m detect and DuckDB at each size instead (bench/README.md).
bench: install
	$(BIN)/python bench/bench_detect.py $(if $(SCALE),--scale $(SCALE))

# Written to a temporary file first: a pack that fails to load must not empty the catalogue.
docs: install
	$(BIN)/python -m lib.detections --catalogue > docs/detection-catalogue.md.new
	mv docs/detection-catalogue.md.new docs/detection-catalogue.md
	$(BIN)/python -m tests.config_doc

# mutmut keeps its results in mutants/ and resumes from them: a second run only tests the mutants
# without a result (and those of functions that changed). MUTANTS narrows the run by mutant name.
mutation: $(VENV)/.installed-mutation
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/mutmut run $(foreach m,$(MUTANTS),'$(m)')
	@echo "Mutants not killed (venv/bin/mutmut show <name> for the change):"
	@$(BIN)/mutmut results | { grep -v ': not checked$$' || true; }

clean:
	rm -rf $(VENV) $(DEMO_DIR) mutants .mypy_cache .pytest_cache .ruff_cache
