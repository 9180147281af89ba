"""The shared network model: delay = queue + size / bandwidth + latency + jitter; outages."""

import numpy as np
import pytest
import simpy

from consensus_emulator.config import NetworkConfig
from consensus_emulator.network import Network


def network(n=3, seed=0, **cfg):
    env = simpy.Environment()
    return env, Network(env, NetworkConfig(**cfg), n, np.random.default_rng(seed))


def test_one_message_takes_transfer_time_plus_latency():
    # 1 Mbit/s = 125 bytes per ms, so 1250 bytes take 10 ms on the wire, plus 3 ms latency
    _env, net = network(jitter="none", base_latency_ms=3.0, bandwidth_mbps=1.0)
    assert net.send(0, 1, "x", 1250) == pytest.approx(13.0)


def test_messages_on_one_link_queue_behind_each_other():
    _env, net = network(jitter="none", base_latency_ms=3.0, bandwidth_mbps=1.0)
    first = net.send(0, 1, "x", 1250)
    second = net.send(0, 1, "x", 1250)
    other_link = net.send(0, 2, "x", 1250)
    assert second - first == pytest.approx(10.0)
    assert other_link == pytest.approx(first)


def test_distance_adds_latency_per_km():
    _env, net = network(jitter="none", base_latency_ms=1.0, area_km=100.0, ms_per_km=0.1, bandwidth_mbps=1e6)
    d = net.distance_km[0, 1]
    assert d > 0
    assert net.send(0, 1, "x", 0) == pytest.approx(1.0 + 0.1 * d)


@pytest.mark.parametrize(("kind", "expected_mean"), [("uniform", 1.0), ("exponential", 2.0)])
def test_jitter_has_the_configured_scale(kind, expected_mean):
    _env, net = network(jitter=kind, jitter_ms=2.0, base_latency_ms=0.0, bandwidth_mbps=1e9)
    draws = np.array([net.jitter.one() for _ in range(20000)])
    assert draws.min() >= 0
    assert draws.mean() == pytest.approx(expected_mean, rel=0.05)


def test_a_down_link_loses_plain_messages_and_holds_reliable_ones():
    _env, net = network(jitter="none", base_latency_ms=1.0, bandwidth_mbps=1e9)
    net.up[0, 1] = net.up[1, 0] = False
    net.up_at[0, 1] = net.up_at[1, 0] = 50.0
    assert net.send(0, 1, "x", 10) is None
    assert net.stats.lost == 1
    assert net.send(0, 1, "x", 10, reliable=True) == pytest.approx(51.0, abs=1e-6)


def test_links_are_up_for_the_mtbf_share_of_the_time():
    env, net = network(n=4, seed=3, link_mtbf_ms=900.0, link_mttr_ms=100.0)
    samples = []

    def sampler():
        while True:
            yield env.timeout(7.0)
            samples.append(net.up[np.triu_indices(4, 1)].mean())

    env.process(sampler())
    env.run(until=200_000)
    assert np.mean(samples) == pytest.approx(0.9, abs=0.02)


def test_vectorised_fanout_uses_the_same_delays():
    _env, net = network(n=4, jitter="none", base_latency_ms=2.0, bandwidth_mbps=1.0)
    delays = net.fanout_delays(np.arange(4), np.arange(4), 125, "prepare")
    off = ~np.eye(4, dtype=bool)
    assert np.all(delays[off] == pytest.approx(3.0))
    assert np.all(np.isinf(np.diag(delays)))
    assert net.stats.by_kind["prepare"] == 12
