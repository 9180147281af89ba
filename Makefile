# The two commands of the README: `make demo` and `make test`. Both set up whatever is missing first.
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export MPLBACKEND := Agg

.PHONY: setup demo test lint test-contracts test-forge slither test-python test-emulator test-slow bench

setup:
	@tools/setup.sh

## Compile, deploy every contract to the in-process EVM, run a market day, print settlement and emulator figures.
demo: setup
	energy-trading demo

## Every test: lint, slither, the brownie contract suite on anvil, the forge invariant suite, the Python package and
## emulator suites in-process.
test: setup lint slither test-contracts test-forge test-python test-emulator

lint:
	ruff check .
	ruff format --check .

# each test file on one of two xdist workers (brownie schedules by file; each worker runs its own anvil
# on the configured port + worker id). Compile first: on a fresh clone the workers would load the project
# while the master is still writing build/contracts (FileNotFoundError, a crashed worker). tools/compile.sh
# also fills the Python suite's compile cache in parallel (a second single-threaded solcjs run). Files are
# handed out longest first (tests/contracts/conftest.py).
test-contracts:
	tools/timed.sh compile tools/compile.sh
	tools/timed.sh test-contracts brownie test -n 2 --no-loadscope-reorder

## Foundry suite (tests/foundry): two invariant campaigns, runs x depth from foundry.toml (2,000 x 100 each), and the Review6 example/fuzz tests.
test-forge:
	tools/timed.sh test-forge forge test --match-path 'tests/foundry/*' -vv

## Slither from its own environment (.venv-slither, requirements-slither.lock); fails on any unsuppressed
## High or Medium finding (see slither.config.json).
slither:
	FOUNDRY_PROFILE=slither tools/timed.sh slither .venv-slither/bin/slither contracts --config-file slither.config.json

# independent tests on two xdist workers (each with its own in-process chains and anvil node), handed out
# one at a time (--dist loadgroup, one unit per test or per module-fixture group, in collection order) after the
# longest ones (tests/python/conftest.py), so both cores stay busy to the end
test-python:
	tools/timed.sh test-python pytest -p no:pytest-brownie -n 2 --dist loadgroup --no-loadscope-reorder tests/python

test-emulator:
	tools/timed.sh test-emulator pytest -p no:pytest-brownie -n 2 --dist loadgroup --no-loadscope-reorder tests/emulator

## The long-running documented commands (benchmarks, whole reproductions, etcd validation): tens of minutes.
test-slow: setup
	RUN_SLOW=1 pytest -p no:pytest-brownie -m slow tests/python/test_readme_commands.py

bench: setup
	for b in benchmarks/*.py; do python "$$b" || exit 1; done
