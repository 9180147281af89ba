"""Fixtures for the in-process tests of the `energy_trading` package (no node, no brownie)."""

import pytest
from hypothesis import settings

from energy_trading import connect, deploy
from energy_trading.chain.compiler import compile_contracts

# No per-example deadline: a deadline is a timed assertion, and on a loaded CI machine the first call of an
# example (cold caches, a busy CPU) can exceed it while the rerun does not, which hypothesis reports as Flaky.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")


@pytest.fixture(scope="session")
def artifacts():
    """Compiled once per session (and cached on disk between sessions)."""
    return compile_contracts()


@pytest.fixture
def chain():
    """A fresh in-process EVM for each test."""
    return connect()


@pytest.fixture
def deployment(chain, artifacts):
    """Every contract deployed to a fresh in-process EVM."""
    return deploy(chain, artifacts)


@pytest.fixture(scope="session")
def anvil_url():
    """A throwaway anvil node (from node_modules/.bin) for the RPC deployment path."""
    from energy_trading.chain.devnode import anvil_node

    with anvil_node() as url:
        yield url
