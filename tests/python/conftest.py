"""Fixtures for the in-process tests of the `energy_trading` package (no node, no brownie)."""

import copy
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pytest
from _longest_first import longest_first_hook
from hypothesis import settings

from energy_trading import connect, deploy
from energy_trading.chain.compiler import compile_contracts
from energy_trading.chain.connection import Chain
from energy_trading.chain.deploy import Deployment

# No per-example deadline: a deadline is a timed assertion, and on a loaded CI machine the first call of an
# example (cold caches, a busy CPU) can exceed it while the rerun does not, which hypothesis reports as Flaky.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")

# The tests that take tens of seconds each (pytest --durations=60, -n 2, measured 2026-11-30 at load ~7-8 on
# the 2 cores; longest first). Dispatched first (tests/_longest_first.py); this changes the order only.
LONGEST_FIRST = (
    "tests/python/test_entry_points.py::test_demo_as_a_user_runs_it",
    "tests/python/test_readme_commands.py::test_fast_documented_commands_run_cleanly",
    "tests/python/test_certificates_scenario.py::test_shipped_fig9_scenario_reproduces_the_papers_described_shape",
    "tests/python/test_scenario.py::test_seed003_reproduces_fig4_honest_highest_dishonest_lowest",
    "tests/python/test_entry_points.py::test_plain_brownie_test_collects_only_the_contract_suite",
    "tests/python/test_seed001_tables.py::test_energy_trading_run_reproduces_tables_1_and_2_on_chain",
    "tests/python/test_run_progress.py::test_off_a_terminal_a_grid_run_prints_a_line_per_stage",
    "tests/python/test_entry_points.py::test_run_a_small_scenario_as_a_user_does",
    "tests/python/test_grid_chain.py::test_chain_round_matches_the_model_and_conserves_every_token",
    "tests/python/test_entry_points.py::test_brownie_run_deploy_script_ends_cleanly",
    "tests/python/test_seed001_fig8.py::test_the_chain_follows_the_model_and_the_figure_is_drawn",
    "tests/python/test_entry_points.py::test_brownie_test_prints_no_future_warning",
    "tests/python/test_certificates_scenario.py::test_small_scenario_results_match_the_model",
    "tests/python/test_certificates_scenario.py::test_market_deliveries_of_renewable_sellers_become_certificates",
    "tests/python/test_entry_points.py::test_console_runs_every_banner_example",
    "tests/python/test_entry_points.py::test_deploy_prints_addresses_after_a_line_per_stage",
    "tests/python/test_run_progress.py::test_on_a_terminal_every_stage_of_a_market_and_certificates_run_has_a_bar",
    "tests/python/test_chain_sending.py::test_rpc_mode_does_not_import_py_evm_or_eth_tester",
)


pytest_collection_modifyitems = longest_first_hook(LONGEST_FIRST)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist, compile the contracts once on the controller before the workers start: otherwise, on a
    fresh tree, each worker's `artifacts` fixture runs its own solcjs compile (about a minute) at the same
    time, one per core. The workers then read the on-disk cache (build/energy_trading)."""
    config = session.config
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        compile_contracts()


@pytest.fixture(scope="session")
def artifacts():
    """Compiled once per session (and cached on disk between sessions)."""
    return compile_contracts()


@pytest.fixture
def chain() -> Chain:
    """A fresh in-process EVM for each test (nothing deployed)."""
    return connect()


@pytest.fixture(scope="session")
def _deployed(artifacts: dict) -> tuple[Deployment, dict[str, Any]]:
    """One in-process EVM per session (per xdist worker) with every contract deployed, and the client-side
    state of its `Chain` right after the deploy (keys, labels, local nonces, fees)."""
    d = deploy(connect(), artifacts)
    return d, _client_state(d.chain)


def _client_state(chain: Chain) -> dict[str, Any]:
    """A copy of every field of `chain` except the web3 connection (dicts copied, not shared)."""
    return {f.name: copy.copy(getattr(chain, f.name)) for f in fields(chain) if f.name != "w3"}


@pytest.fixture
def deployment(_deployed: tuple[Deployment, dict[str, Any]]) -> Iterator[Deployment]:
    """Every contract deployed to an in-process EVM, as a fresh `deploy(connect())` leaves it.

    The deploy (~2 s of CPU) runs once per session; each test runs on an EVM snapshot taken after it and
    reverted afterwards (eth-tester's `take_snapshot`/`revert_to_snapshot`: the chain head goes back to the
    deploy's last block, so every contract, balance, nonce and the clock are as deployed). The `Chain`
    object's own caches, which a revert does not reach (local nonces, fees, the keys and labels of accounts a
    test created, whose funding the revert undid, so `new_account` must fund them again), are put back to
    their state after the deploy too, and its signing middleware is rebuilt for that key set."""
    d, state = _deployed
    tester = d.chain.w3.provider.ethereum_tester
    snapshot = tester.take_snapshot()
    try:
        yield d
    finally:
        tester.revert_to_snapshot(snapshot)
        for name, value in state.items():
            setattr(d.chain, name, copy.copy(value))
        d.chain._refresh_signer()


@pytest.fixture(scope="session")
def anvil_url():
    """A throwaway anvil node (from node_modules/.bin) for the RPC deployment path."""
    from energy_trading.chain.devnode import anvil_node

    with anvil_node() as url:
        yield url
