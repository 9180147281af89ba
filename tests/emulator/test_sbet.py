"""SBET (seed 002): eq 6 waits, eq 7 creator election, gamma boundary, redundant exchange, queries."""

from dataclasses import replace

import numpy as np
import pytest

from consensus_emulator import run
from consensus_emulator.config import (
    MICROGRID,
    CostConfig,
    FaultConfig,
    SBETParams,
    SimConfig,
    WorkloadConfig,
)
from consensus_emulator.protocols.sbet import creator_probabilities, wait_ms

RELIABLE = replace(MICROGRID, link_mtbf_ms=0.0)


def sbet(n=6, rounds=4, block=10, network=RELIABLE, faults=None, seed=4, **params):
    return SimConfig(
        protocol="sbet",
        n_nodes=n,
        params=SBETParams(**params),
        network=network,
        costs=CostConfig(tx_bytes=800),
        faults=faults or FaultConfig(),
        workload=WorkloadConfig(block_tx=block),
        rounds=rounds,
        seed=seed,
    )


def test_wait_is_longest_for_the_nearest_node():
    # eq 6: zeta = (1 - d / d_max) * t_max
    assert wait_ms(0.0, 40.0, 800.0) == 800.0
    assert wait_ms(10.0, 40.0, 800.0) == 600.0
    assert wait_ms(40.0, 40.0, 800.0) == 0.0


def test_creator_probability_is_proportional_to_response_time_times_storage():
    # eq 7: p_i = t_i s_i / sum t_k s_k
    p = creator_probabilities(np.array([10.0, 20.0, 30.0]), np.array([3.0, 1.0, 1.0]))
    assert p == pytest.approx([30 / 80, 20 / 80, 30 / 80])


def test_messages_per_round_without_missing_data():
    # new_tx*(n-1) data; election message, answers and result 3(n-1); block start and lists 2(n-1);
    # complete list and integrity reports 2(n-1); candidate (n-1); hashes from every MG n(n-1);
    # commits (n-1); announcements (n-1)
    n, tx = 5, 10
    expected = tx * (n - 1) + 3 * (n - 1) + 2 * (n - 1) + 2 * (n - 1) + (n - 1) + n * (n - 1) + 2 * (n - 1)
    result = run(sbet(n=n, block=tx, queries=0))
    assert [r.messages for r in result.rounds] == [expected] * 4


def test_exactly_gamma_of_the_microgrids_commit_a_block():
    # 6 MGs, gamma = 2/3: 4 matching hashes and 4 commits are needed; 2 tampering MGs leave 4
    result = run(sbet(n=6, faults=FaultConfig(malicious=(4, 5)), queries=0))
    assert len(result.committed) == 4


def test_one_microgrid_fewer_than_gamma_blocks_the_chain():
    result = run(sbet(n=6, faults=FaultConfig(malicious=(3, 4, 5)), queries=0))
    assert not result.committed
    assert result.tps_mean == 0.0


def test_redundant_exchange_keeps_transactions_that_links_lost():
    # seed 002 Fig 8: a quarter of the data copies are lost to link outages
    lossy = replace(MICROGRID, link_mtbf_ms=900.0, link_mttr_ms=300.0)
    with_exchange = run(sbet(n=8, rounds=5, block=12, network=lossy, queries=40))
    without = run(sbet(n=8, rounds=5, block=12, network=lossy, queries=40, redundant_exchange=False))
    assert with_exchange.extra["query_accuracy"] >= 0.95
    assert with_exchange.extra["query_accuracy"] > without.extra["query_accuracy"]


def test_queries_fail_once_more_than_a_third_tamper():
    # seed 002 Fig 8: accuracy holds up to one third of malicious MGs
    third = run(sbet(n=9, faults=FaultConfig(malicious=(6, 7, 8)), queries=20))
    more = run(sbet(n=9, faults=FaultConfig(malicious=(5, 6, 7, 8)), queries=20))
    assert third.extra["query_accuracy"] == 1.0
    assert more.extra["query_accuracy"] == 0.0


def test_block_creation_time_grows_with_t_max():
    # seed 002 Fig 5
    short = run(sbet(n=5, t_max_ms=500.0, block_interval_ms=500.0, queries=0)).extra["block_creation_ms"][
        "mean"
    ]
    long = run(sbet(n=5, t_max_ms=2000.0, block_interval_ms=2000.0, queries=0)).extra["block_creation_ms"][
        "mean"
    ]
    assert long > short


def test_redundant_exchange_adds_about_one_t_max_round():
    # seed 002 §IV-A-1: SBET takes about twice SPFT's time "on account of one more round of data
    # exchange"; the holders' answers leave after their eq 6 wait (Algorithm 1 line 22), like the data
    # broadcast of lines 1-2, so a block whose data some MG lacks takes about one t_max more
    lossy = replace(MICROGRID, link_mtbf_ms=900.0, link_mttr_ms=300.0)
    timing = {"t_max_ms": 1000.0, "block_interval_ms": 1000.0}
    with_exchange = run(sbet(n=8, rounds=5, block=12, network=lossy, **timing))
    without = run(sbet(n=8, rounds=5, block=12, network=lossy, redundant_exchange=False, **timing))
    extra = with_exchange.extra["block_creation_ms"]["mean"] - without.extra["block_creation_ms"]["mean"]
    assert extra >= 800.0, f"the exchange round added {extra:.0f} ms at t_max = 1000 ms"
