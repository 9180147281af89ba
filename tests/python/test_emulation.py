"""The bridge from the chain to the consensus emulator (SPEC §6)."""

import pytest

from energy_trading.chain.connection import TxRecord
from energy_trading.scenarios.emulation import consensus_figures


def test_weighted_raft_elects_the_heaviest_chain_node_most_often():
    figures = consensus_figures({"light": 5.0, "heavy": 80.0, "middle": 30.0}, [], rounds=20)
    leaders = figures["weighted-raft"]["leader_counts"]
    assert max(leaders, key=leaders.get) == "heavy"
    assert sum(leaders.values()) == figures["weighted-raft"]["blocks_committed"]


def test_zero_weight_nodes_are_left_out_and_two_are_needed():
    figures = consensus_figures({"a": 10.0, "b": 20.0, "idle": 0.0}, [], rounds=5)
    assert set(figures["nodes"]) == {"a", "b"}
    with pytest.raises(ValueError, match="at least two nodes"):
        consensus_figures({"a": 10.0, "idle": 0.0}, [])


def test_crsm_replays_every_transaction_of_the_log():
    log = [TxRecord(0.01 * i, 150 + i, f"tx{i}", 21_000) for i in range(40)]
    figures = consensus_figures({"a": 10.0, "b": 20.0}, log, rounds=3)
    assert figures["crsm-replay"]["transactions_replayed"] == 40
    assert figures["crsm-replay"]["tx_committed"] == 40


def test_same_seed_same_figures_other_seed_differs():
    weights = {"a": 10.0, "b": 20.0, "c": 30.0}
    first = consensus_figures(weights, [], rounds=8, seed=1)
    assert consensus_figures(weights, [], rounds=8, seed=1) == first
    assert consensus_figures(weights, [], rounds=8, seed=2) != first


def test_crsm_replay_is_deterministic_and_drains_whatever_the_wall_clock_send_times():
    """The same transactions sent at different wall-clock times (a loaded machine spreads them over
    minutes) replay identically for a seed, and the run lasts until all 156 are committed."""
    fast = [TxRecord(0.01 * i, 150 + i % 7, f"tx{i}", 21_000) for i in range(156)]
    slow = [TxRecord(3.0 * i, 150 + i % 7, f"tx{i}", 21_000) for i in range(156)]
    first = consensus_figures({"a": 10.0, "b": 20.0}, fast, rounds=3, seed=5)["crsm-replay"]
    second = consensus_figures({"a": 10.0, "b": 20.0}, slow, rounds=3, seed=5)["crsm-replay"]
    assert first == second
    assert first["tx_committed"] == first["transactions_replayed"] == 156
    assert first["drained"] is True
