"""The papers' baselines: seed 000's hybrid PoS+PBFT [31], seed 002's SPFT (PBFT) and ETPS (PoS)."""

from dataclasses import replace

import numpy as np
import pytest

from consensus_emulator import run
from consensus_emulator.config import (
    LAN,
    MICROGRID,
    ConfigError,
    CostConfig,
    ETPSParams,
    HybridParams,
    PBFTParams,
    SBETParams,
    SimConfig,
    SPFTParams,
    WorkloadConfig,
)
from consensus_emulator.protocols.etps import slots_until_block
from consensus_emulator.protocols.hybrid import Hybrid, committee_size, hybrid_messages_per_block
from consensus_emulator.protocols.spft import SPFT


def lan(protocol, n, params, rounds=4, block=1000, seed=3):
    return SimConfig(
        protocol=protocol,
        n_nodes=n,
        params=params,
        network=LAN,
        workload=WorkloadConfig(block_tx=block),
        rounds=rounds,
        seed=seed,
    )


def microgrid(protocol, params, rounds=4, seed=5, n=5):
    # ETPS ignores link outages (closed-form transfer); leaving them out saves simulating their events
    return SimConfig(
        protocol=protocol,
        n_nodes=n,
        params=params,
        network=replace(MICROGRID, link_mtbf_ms=0.0) if protocol == "etps" else MICROGRID,
        costs=CostConfig(tx_bytes=800),
        workload=WorkloadConfig(block_tx=20),
        rounds=rounds,
        seed=seed,
        max_time_ms=1e10,
    )


# ------------------------------------------------------------------ hybrid PoS + PBFT
@pytest.mark.parametrize(
    ("n", "fraction", "expected"), [(4, 0.5, 4), (8, 0.5, 4), (20, 0.5, 10), (20, 0.3, 6)]
)
def test_committee_is_a_share_of_the_nodes_but_at_least_a_pbft_quorum(n, fraction, expected):
    assert committee_size(n, HybridParams(committee_fraction=fraction)) == expected


def test_committee_holds_the_largest_stakes():
    hybrid = Hybrid(lan("hybrid", 12, HybridParams()))
    outside = [i for i in range(12) if i not in hybrid.committee]
    assert min(hybrid.stake[hybrid.committee]) > max(hybrid.stake[outside])
    assert hybrid.committee[0] == int(np.argmax(hybrid.stake))


def test_hybrid_messages_are_pbft_in_the_committee_plus_one_copy_per_outsider():
    result = run(lan("hybrid", 16, HybridParams()))
    assert result.summary()["messages_per_block"] == hybrid_messages_per_block(16, 8) == (7 + 49 + 56) + 8


def test_hybrid_needs_far_fewer_messages_than_pbft_over_all_nodes():
    # [31]'s point: PoS shrinks the PBFT group, so communication falls
    hybrid = run(lan("hybrid", 20, HybridParams())).summary()["messages_per_block"]
    pbft = run(lan("pbft", 20, PBFTParams())).summary()["messages_per_block"]
    assert hybrid < pbft / 3


def test_with_every_node_in_the_committee_the_hybrid_is_plain_pbft():
    hybrid = run(lan("hybrid", 4, HybridParams()))
    pbft = run(lan("pbft", 4, PBFTParams()))
    assert hybrid.tps_values() == pytest.approx(pbft.tps_values())


def test_outsiders_storing_the_block_lengthen_the_round():
    hybrid = Hybrid(lan("hybrid", 12, HybridParams()))
    extra, _ = hybrid.dissemination_ms(1000)
    assert extra > 0
    result = hybrid.run()
    assert all(r.committed and r.t_final - r.t_decided > extra for r in result.rounds)


def test_hybrid_rejects_a_committee_smaller_than_pbft_allows():
    with pytest.raises(ConfigError, match="min_committee"):
        run(lan("hybrid", 8, HybridParams(min_committee=3)))


# ------------------------------------------------------------------ SPFT
def test_spft_creates_blocks_after_its_data_window():
    spft = SPFT(microgrid("spft", SPFTParams(t_max_ms=1000.0)))
    result = spft.run()
    assert result.extra["block_creation_ms"]["count"] == 4
    for r in result.rounds:
        window = spft.data_window_ms(r.proposer)
        assert 0 < window <= 1000.0 + 10.0  # eq 6 wait (at most t_max) plus the link latency
        assert r.t_prepared - r.t_start > window


def test_spft_creation_time_grows_with_t_max():
    short = run(microgrid("spft", SPFTParams(t_max_ms=500.0))).extra["block_creation_ms"]["mean"]
    long = run(microgrid("spft", SPFTParams(t_max_ms=2000.0))).extra["block_creation_ms"]["mean"]
    assert long > 2 * short  # the eq 6 window scales with t_max; PBFT itself does not


def test_spft_is_faster_than_sbet_which_adds_a_data_exchange_round():
    # seed 002 §IV-A-1: SBET takes longer than SPFT "on account of one more round of data exchange"
    spft = run(microgrid("spft", SPFTParams(t_max_ms=1000.0))).extra["block_creation_ms"]["mean"]
    sbet_cfg = microgrid("sbet", SBETParams(t_max_ms=1000.0, block_interval_ms=1000.0, queries=0))
    sbet = run(sbet_cfg).extra["block_creation_ms"]["mean"]
    assert sbet > spft


def test_spft_messages_per_block_are_pbfts():
    result = run(microgrid("spft", SPFTParams()))
    assert result.summary()["messages_per_block"] == 4 + 16 + 20


# ------------------------------------------------------------------ ETPS
def test_stake_lottery_waits_geometric_slots_and_favours_stake():
    rng = np.random.default_rng(1)
    win = np.array([0.001, 0.003])
    draws = [slots_until_block(win, rng) for _ in range(4000)]
    slots = np.array([d[0] for d in draws])
    winners = np.array([d[1] for d in draws])
    assert slots.mean() == pytest.approx(1 / (1 - 0.999 * 0.997), rel=0.05)
    assert (winners == 1).mean() == pytest.approx(0.75, abs=0.03)


def test_etps_mean_block_time_follows_its_target_spacing():
    params = ETPSParams(t_max_ms=500.0, slot_ms=1000.0, target_spacing_ms=20_000.0)
    created = run(microgrid("etps", params, rounds=200)).extra["block_creation_ms"]["mean"]
    assert created == pytest.approx(20_000.0 + 500.0, rel=0.2)


def test_etps_is_far_slower_than_spft():
    # seed 002 §IV-A-1: ETPS takes "nearly a hundred times" the other methods' time
    etps = run(microgrid("etps", ETPSParams(), rounds=20)).extra["block_creation_ms"]["mean"]
    spft = run(microgrid("spft", SPFTParams())).extra["block_creation_ms"]["mean"]
    assert etps > 50 * spft


def test_etps_rejects_more_than_one_block_per_slot():
    with pytest.raises(ConfigError, match="target_spacing_ms must be >= slot_ms"):
        run(microgrid("etps", ETPSParams(slot_ms=1000.0, target_spacing_ms=500.0)))


def test_etps_lottery_is_the_same_for_one_seed_so_a_longer_window_only_adds_time():
    short = run(microgrid("etps", ETPSParams(t_max_ms=500.0), rounds=5)).extra["block_creation_ms"]["mean"]
    long = run(microgrid("etps", ETPSParams(t_max_ms=2000.0), rounds=5)).extra["block_creation_ms"]["mean"]
    assert 0 < long - short <= 1500.0
