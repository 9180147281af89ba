"""Impossible configurations stop with a ConfigError before any simulation starts."""

import pytest

from consensus_emulator import ConfigError, default_config, run
from consensus_emulator.config import (
    CRSMParams,
    FaultConfig,
    NetworkConfig,
    RaftParams,
    SBETParams,
    SimConfig,
    WeightedRaftParams,
    WorkloadConfig,
)


def crsm(n=4, **params):
    return default_config("crsm", n_nodes=n, params=CRSMParams(**params))


def test_more_domains_than_nodes_is_rejected_with_a_hint():
    with pytest.raises(ConfigError, match=r"cannot split 4 nodes into 5 domains; use --domains <= 4"):
        crsm(4, domains=5).validate()


def test_as_many_domains_as_nodes_is_allowed():
    crsm(4, domains=4).validate()


@pytest.mark.parametrize("threshold", [0.0, -0.2, 1.0001, float("nan")])
def test_crsm_threshold_outside_zero_one_is_rejected(threshold):
    with pytest.raises(ConfigError, match=r"threshold must lie in \(0, 1\]"):
        crsm(threshold=threshold).validate()


def test_threshold_of_exactly_one_is_accepted():
    crsm(threshold=1.0).validate()


@pytest.mark.parametrize(
    "cfg",
    [
        default_config("raft", params=RaftParams(threshold=0.0)),
        default_config("weighted-raft", params=WeightedRaftParams(threshold=1.5)),
        default_config("sbet", params=SBETParams(gamma=0.0)),
    ],
)
def test_every_protocol_threshold_is_checked(cfg):
    with pytest.raises(ConfigError, match="threshold"):
        cfg.validate()


def test_negative_latency_is_rejected():
    with pytest.raises(ConfigError, match=r"latency must be >= 0 ms, got -1"):
        default_config("pbft", network=NetworkConfig(base_latency_ms=-1.0)).validate()


def test_unknown_protocol_is_rejected_by_name():
    with pytest.raises(ConfigError, match=r"unknown protocol 'paxos'; choose one of crsm, raft"):
        default_config("paxos")
    with pytest.raises(ConfigError, match="unknown protocol"):
        SimConfig(protocol="paxos", n_nodes=4, params=CRSMParams()).validate()


def test_params_of_another_protocol_are_rejected():
    with pytest.raises(ConfigError, match="protocol pbft needs PBFTParams, got CRSMParams"):
        SimConfig(protocol="pbft", n_nodes=4, params=CRSMParams()).validate()


def test_faulty_node_outside_the_network_is_rejected():
    with pytest.raises(ConfigError, match=r"faulty node id 9 is outside 0..3"):
        default_config("crsm", faults=FaultConfig(crashed=(9,))).validate()


def test_more_faulty_nodes_than_nodes_is_rejected():
    with pytest.raises(ConfigError, match="5 faulty nodes requested but only 4 exist"):
        default_config("crsm", faults=FaultConfig(n_crashed=3, n_malicious=2)).validate()


def test_one_weight_per_node_is_required():
    params = WeightedRaftParams(weights=(10.0, 20.0))
    with pytest.raises(ConfigError, match="got 2 node weights for 5 nodes"):
        default_config("weighted-raft", n_nodes=5, params=params).validate()


def test_links_that_fail_must_come_back():
    with pytest.raises(ConfigError, match="link_mttr_ms > 0"):
        default_config("sbet", network=NetworkConfig(link_mtbf_ms=100.0, link_mttr_ms=0.0)).validate()


def test_empty_block_is_rejected():
    with pytest.raises(ConfigError, match="transactions per block"):
        default_config("crsm", workload=WorkloadConfig(block_tx=0)).validate()


def test_pbft_needs_at_least_four_replicas():
    with pytest.raises(ConfigError, match=r"PBFT needs n >= 4"):
        default_config("pbft", n_nodes=3).validate()


def test_run_validates_before_building_any_simulation(monkeypatch):
    import consensus_emulator.sim as sim_module

    def no_simulation(*_args, **_kwargs):
        raise AssertionError("a simulation was built for an invalid configuration")

    monkeypatch.setattr(sim_module.Sim, "__init__", no_simulation)
    with pytest.raises(ConfigError):
        run(crsm(4, domains=9))
