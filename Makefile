# The two commands a user needs (README, "Two commands, no account needed"):
#   make quickstart   run examples/basic against a local Quickchat emulator
#   make test         lint, type-check and run every test
# And for the numbers in BENCHMARKS.md:
#   make bench        the benchmark suite (benchmarks/run.py), against the emulator
#   make bench-cli    the fleet through the real Pulumi CLI (benchmarks/real_engine.py)
# And the real Pulumi CLI, built from its Go modules (needs Go; CONTRIBUTING.md):
#   make cli          scripts/build_cli.sh, into ~/.cache/pulumi-quickchat/cli
# And to see whether the tests notice wrong code (scores in CONTRIBUTING.md):
#   make mutation     scripts/mutation.py; not part of make test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test quickstart bench bench-cli mutation lint venv cli examples sdk clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The emulator is its own distribution (emulator/); the tests, the quick start and the
# benchmarks all run it. It goes in second: in a venv made before it was split out,
# upgrading pulumi-quickchat deletes the quickchat-emulator command it used to install.
# The native resource's Python SDK, generated into sdk/python (scripts/gen_sdk.py), is a
# distribution of its own, pulumi-quickchat-native, that requires pulumi-quickchat (the
# plugin): it goes in last.
$(VENV)/.installed: $(BIN)/python pyproject.toml emulator/pyproject.toml sdk/python/pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet -e ./emulator
	$(BIN)/python -m pip install --quiet -e ./sdk/python
	touch $@

venv: $(VENV)/.installed

lint: venv
	$(BIN)/ruff check provider emulator tests examples scripts benchmarks
	$(BIN)/ruff format --check provider emulator tests examples scripts benchmarks
	$(BIN)/mypy
	$(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/zizmor --offline --persona=pedantic --quiet .github/workflows

# examples/typescript and examples/go, from their pinned package-lock.json and go.sum
# (tests/test_other_languages.py runs them through the real CLI).
examples:
	cd examples/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	cd examples/go && go build -mod=readonly -o bin/quickchat-go .

# In a random order, its seed printed first: rerun one order with --randomly-seed=N
# (pytest -p no:randomly for the file order).
test: lint examples
	$(BIN)/python -m pytest -p randomly

# The tests find what this builds without PATH (tests/support/cli.py); .ci/run builds it
# first and puts it on PATH.
cli:
	bash scripts/build_cli.sh

# sdk/python, sdk/nodejs and sdk/go, regenerated from the plugin's schema by the real
# CLI's `pulumi package gen-sdk` (tests/test_sdk.py fails on any difference).
sdk: venv
	$(BIN)/python scripts/gen_sdk.py

quickstart: venv
	$(BIN)/python scripts/quickstart.py

bench: venv
	$(BIN)/python benchmarks/run.py

# The real CLI, built (or found in its cache) by scripts/build_cli.sh, first on PATH.
bench-cli: venv
	PATH="$$(bash scripts/build_cli.sh):$$PATH" $(BIN)/python benchmarks/real_engine.py

mutation: venv
	$(BIN)/python scripts/mutation.py

clean:
	rm -rf $(VENV) .quickstart examples/typescript/node_modules examples/typescript/bin examples/go/bin
