# The two commands of the README: `make demo` and `make test`. Both set up whatever is missing first.
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export MPLBACKEND := Agg

.PHONY: setup demo test lint test-contracts test-python test-emulator bench

setup:
	@tools/setup.sh

## Compile, deploy every contract to the in-process EVM, run a market day, print settlement and emulator figures.
demo: setup
	energy-trading demo

## Every test: lint, the brownie contract suite on anvil, the Python package and emulator suites in-process.
test: setup lint test-contracts test-python test-emulator

lint:
	ruff check .
	ruff format --check .

test-contracts:
	brownie test tests/contracts

# independent tests on two xdist workers (each with its own in-process chains and anvil node)
test-python:
	pytest -p no:pytest-brownie -n 2 tests/python

test-emulator:
	pytest -p no:pytest-brownie -n 2 tests/emulator

bench: setup
	for b in benchmarks/*.py; do python "$$b" || exit 1; done
