"""Sharded multi-centre consensus (seed 003 §4.3, Fig 5)."""

import numpy as np

from consensus_emulator import run
from consensus_emulator.config import SHARDED_003, ShardedParams, SimConfig
from consensus_emulator.protocols.sharded import shard_members


def sharded(shards, trades, seed=0, n=12):
    return SimConfig(
        protocol="sharded",
        n_nodes=n,
        params=ShardedParams(shards=shards, trades=trades),
        network=SHARDED_003,
        rounds=10_000,
        seed=seed,
    )


def test_regions_are_consecutive_and_balanced():
    assert shard_members(12, 3) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    sizes = [len(s) for s in shard_members(10, 3)]
    assert sum(sizes) == 10 and max(sizes) - min(sizes) <= 1


def test_every_trade_is_settled_once():
    result = run(sharded(3, 37))
    assert sum(r.tx_count for r in result.committed) == 37


def test_unsharded_block_costs_a_broadcast_and_confirmations():
    # one network of 12: the solver sends the block to 11 peers, each confirms
    result = run(sharded(1, 30))
    assert [r.messages for r in result.committed] == [2 * 11] * 3


def test_sharded_block_adds_the_asynchronous_proxy_exchange():
    # shard of 4: 3 blocks + 3 confirmations, (winner -> proxy note unless the winner is the proxy),
    # 2 publications to the other proxies + 2 acknowledgements
    result = run(sharded(3, 30))
    for r in result.committed:
        note = 0 if r.proposer in (0, 4, 8) else 1
        assert r.messages == 3 + 3 + note + 2 + 2


def test_sharding_grows_slower_with_volume_than_the_general_mechanism():
    # seed 003 Fig 5
    def mean_time(shards, trades):
        return np.mean([run(sharded(shards, trades, seed=s)).extra["consensus_time_ms"] for s in range(5)])

    general = [mean_time(1, x) for x in (20, 100)]
    split = [mean_time(3, x) for x in (20, 100)]
    assert split[1] < general[1]
    assert split[1] - split[0] < general[1] - general[0]


def test_per_trade_time_is_the_trade_weighted_mean_of_regional_finality():
    # 25 trades, one network: blocks of 10, 10, 5 final at t1 < t2 < t3; the mean weighs each by its trades
    result = run(sharded(1, 25))
    t1, t2, t3 = (r.t_decided for r in result.committed)
    assert t1 < t2 < t3 == result.extra["consensus_time_ms"]
    assert np.isclose(result.extra["mean_trade_consensus_ms"], (10 * t1 + 10 * t2 + 5 * t3) / 25)
