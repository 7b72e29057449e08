# recovery-rules: every command works on a fresh machine from nothing.
#   make demo   decide the example complaints against the shipped presets
#   make check  the edit loop, in about a minute: ruff, mypy --strict and the fast tests (the quick Hypothesis
#               profile, 10 examples a property; no tests/reliability, no test marked slow, no PostgreSQL)
#   make test   lint, type-check and run the whole test suite with the CI Hypothesis profile (400 examples a
#               property, derandomized), the reliability suite at its CI size included
#   make lint   ruff and mypy --strict only
#   make test-pythons   the suite but tests/reliability on every other supported Python found under pyenv
#               (3.12, 3.13), with the dev Hypothesis profile: the reliability suite runs once, in make test
#   make docs   build the documentation site into site/ (mkdocs build --strict)
#   make docs-serve  preview the documentation at http://127.0.0.1:8000 while editing it
#   make schema regenerate docs/policy.schema.json from the Policy model
#   make openapi     regenerate docs/reference/openapi.json, the decision service's OpenAPI document
#   make bench  speed and memory against a hand-written floor (a table, and benchmarks/results/latest.json)
#   make bench-scale  the journal at 10k to 10M events and huge catalogs, against the raw database (issue 14)
#   make bench-load   the decision service: 2 workers on one PostgreSQL journal, 50 clients for 30 s, a worker
#               killed halfway; throughput and latency beside a no-op route, caps and lost steps audited (issue 15)
#   make reliability  the reliability suite at full size (the cap hammer: 8 processes x 4 threads x 200 attempts...)
#   make postgres     install PostgreSQL's server programs for the tests when missing (Debian's packages)
#   make browser      install chromium-headless-shell for the console's browser tests when missing (Debian's package)
#   make screenshots  take the console's screenshots for its how-to again (docs/how-to/console/)
#
# The tests that need PostgreSQL start a throwaway server of their own (initdb into a temporary folder, a unix
# socket only), or use the one RECOVERY_RULES_TEST_DSN names; without either they are skipped, saying how to get
# one, except under CI or RECOVERY_RULES_REQUIRE_POSTGRES=1, where that is a failure.
# Hypothesis profiles (tests/conftest.py): HYPOTHESIS_PROFILE=quick, dev (the default) or ci. A test marked slow
# (pytest -m slow lists them) is one that takes seconds whatever the profile; make check leaves those out.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo check test lint format clean test-pythons docs docs-serve schema openapi bench bench-scale bench-load reliability postgres browser screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The package alone, as a host app would install it.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

# The package with every development tool (the documentation tools included).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed $(VENV)/.installed-docs

# The package with the documentation tools only.
$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[docs]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/python examples/demo.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -n auto --dist worksteal -p no:cacheprovider

check: lint
	HYPOTHESIS_PROFILE=quick $(BIN)/python -m pytest -n auto --dist worksteal -p no:cacheprovider -q \
		--ignore=tests/reliability -m "not slow and not postgres and not browser"

# The full sizes take several minutes; each test prints its figures (listed again at the end of the run).
reliability: $(VENV)/.installed-dev
	RECOVERY_RULES_RELIABILITY=full RECOVERY_RULES_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -p no:cacheprovider -q tests/reliability

postgres:
	bash .ci/install-postgres

browser:
	bash .ci/install-browser

# The console's screenshots in docs/how-to/console/, taken again by its browser test (make browser first).
screenshots: $(VENV)/.installed-dev
	RECOVERY_RULES_SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_console_browser.py

# Each other supported Python gets its own venv; durable-rules is skipped by its marker on 3.13. The reliability
# suite is left out (make test runs it on the main Python), and the dev Hypothesis profile is used, not ci.
OTHER_PYTHONS ?= $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3 $(HOME)/.pyenv/versions/3.13*/bin/python3)

test-pythons:
	@test -n "$(OTHER_PYTHONS)" || { echo "no Python 3.12/3.13 found under pyenv"; exit 1; }
	@for python in $(OTHER_PYTHONS); do \
		version=$$($$python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
		venv=.venv-$$version; \
		echo "== Python $$version"; \
		test -x $$venv/bin/python || $$python -m venv $$venv || exit 1; \
		$$venv/bin/python -m pip install --quiet --upgrade pip && \
		$$venv/bin/python -m pip install --quiet -e '.[dev]' && \
		HYPOTHESIS_PROFILE=dev $$venv/bin/python -m pytest -q -n auto --dist worksteal -p no:cacheprovider \
			--ignore=tests/reliability || exit 1; \
	done
# NO_MKDOCS_2_WARNING: mkdocs-material prints a banner about MkDocs 2 on every build; the pin is mkdocs<2.
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

schema: $(VENV)/.installed
	$(BIN)/python docs/_tools/policy_schema.py

openapi: $(VENV)/.installed-dev
	$(BIN)/python docs/_tools/openapi.py

# Not part of the test suite: the numbers depend on the machine, so every row is shown next to the floor.
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# Builds the journals it lacks first (SQLite and PostgreSQL, 10k to 10M events, through Journal.append_many) into
# benchmarks/journals/ (git-ignored; RECOVERY_RULES_BENCH_DIR elsewhere): about 25 GB and up to two hours the
# first time, 15 GB more while the writes run on a scratch copy; later runs reuse them. A PostgreSQL server of its
# own is started there and stopped after, unless RECOVERY_RULES_BENCH_DSN names one. See
# docs/explanation/performance.md; SCALE_ARGS=--tiny checks the script.
bench-scale: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/scale.py $(SCALE_ARGS)

# A throwaway PostgreSQL cluster of its own (make postgres installs the server), recovery-rules serve --workers 2 on
# it, and the clients, all on this machine; LOAD_ARGS="--seconds 10 --clients 20", or --smoke, for a shorter run.
# Prints a table and writes benchmarks/results/load.json; exits 1 if a cap broke or an acknowledged step was lost.
bench-load: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .venv-3.* build dist site .mypy_cache .ruff_cache .pytest_cache .hypothesis
