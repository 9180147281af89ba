"""Seed 001 Figs 7 and 10 inputs: the weights recorded from a weighted-Raft run (paper §5.3)."""

import numpy as np
import pytest

from consensus_emulator.config import WeightedRaftParams
from consensus_emulator.reproduce.seed001 import weighted_run
from consensus_emulator.reproduce.util import run_seed
from consensus_emulator.weights import Seed001Market


def test_weights_are_recorded_for_every_consensus_and_after_the_last():
    result, credit, total = weighted_run(leader=1, seed=4, rounds=40)
    assert credit.shape == total.shape == (41, 30)
    assert len(result.rounds) == 40
    assert set(result.leader_counts()) == {0}  # paper node 1 leads throughout
    # the acks each weight quorum took: at most the 29 followers, and fewer than Raft's 15 on
    # average once eq 19's participation weights favour the nearest repliers
    acks = result.extra["quorum_acks"]
    assert len(acks) == 40 and all(1 <= a <= 29 for a in acks)
    assert np.mean(acks[-10:]) < 15


def test_credit_of_a_performing_node_grows_from_zero_and_slows():
    # seed 001 §5.3.1 / Fig 7: W_a starts at 0 (one trade's reward, 100 x 310/2310 = 13.4, at the first
    # consensus) and grows at a slowing rate for a node that performs
    _, credit, _ = weighted_run(leader=1, seed=4, rounds=40)
    node1 = credit[:, 0]
    assert abs(node1[0] - 100 * 310 / 2310) < 0.01
    assert node1[-1] > node1[10] > node1[0]
    assert node1[40] - node1[20] < node1[20] - node1[0]


def test_total_weights_stay_within_the_hundred_point_scale():
    # §5.3.3 / Fig 10: the total weight is bounded ("will not grow without limit")
    _, _, total = weighted_run(leader=1, seed=4, rounds=40)
    assert np.all(total >= 0) and np.all(total <= 100.0)


def test_credit_reward_matches_table_1():
    # seed 001 eq 15 with "sum E_c the total negotiated transaction volume of transaction k" (§4.2.1):
    # Table 1/2's credit weights before -> after one performed trade fix that sum at 2310 kWh (the
    # 15 contracts, each trade once): node 1 97.67 -> 97.98, node 2 86.47 -> 87.64, node 16
    # 95.57 -> 96.16 (printed to 0.01, so within 0.01 here)
    market = Seed001Market(30, np.random.default_rng(0))
    market.default_prob[:] = 0.0  # every node performs, as nodes 1, 2 and 16 do in Tables 1-2
    before = {1: 97.67, 2: 86.47, 16: 95.57}
    after = {1: 97.98, 2: 87.64, 16: 96.16}
    for node, w in before.items():
        market.w_a[node - 1] = w
    market.step()
    for node, w in after.items():
        assert abs(market.w_a[node - 1] - w) <= 0.01, (node, market.w_a[node - 1], w)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="seed 001 Table 3: node 2 leads 24 of 200 weighted elections in the paper, 0 here (seed 0): its "
    "eq 18 volume weight (200 kWh contract, 61 against node 5's 93) keeps its total below node 1's or "
    "node 5's in every election, and the paper publishes no certificate or carbon data that could lift it",
)
def test_table3_node2_leads_as_often_as_in_the_paper():
    # seed 001 §5.2.1 Table 3: nodes 1, 2, 5 lead 146, 24, 30 of 200 elections (gamma = 0); tolerance
    # three binomial standard deviations of 24 in 200, 3 x sqrt(200 x 0.12 x 0.88) = 13.8
    result, _, _ = weighted_run(
        None, run_seed(0, "t34", "weighted"), params=WeightedRaftParams(elect_every_round=True)
    )
    assert abs(result.leader_counts().get(1, 0) - 24) <= 3 * np.sqrt(200 * 0.12 * 0.88)
