"""Seed 001 Figs 7 and 10 inputs: the weights recorded from a weighted-Raft run (paper §5.3)."""

import numpy as np

from consensus_emulator.reproduce.seed001 import weighted_run


def test_weights_are_recorded_for_every_consensus_and_after_the_last():
    result, credit, total = weighted_run(leader=1, seed=4, rounds=40)
    assert credit.shape == total.shape == (41, 30)
    assert len(result.rounds) == 40
    assert set(result.leader_counts()) == {0}  # paper node 1 leads throughout


def test_credit_of_a_performing_node_grows_from_zero_and_slows():
    # seed 001 §5.3.1 / Fig 7: W_a starts at 0 (one trade's reward, 100 x 310/2500, at the first
    # consensus) and grows at a slowing rate for a node that performs
    _, credit, _ = weighted_run(leader=1, seed=4, rounds=40)
    node1 = credit[:, 0]
    assert node1[0] < 10.0
    assert node1[-1] > node1[10] > node1[0]
    assert node1[40] - node1[20] < node1[20] - node1[0]


def test_total_weights_stay_within_the_hundred_point_scale():
    # §5.3.3 / Fig 10: the total weight is bounded ("will not grow without limit")
    _, _, total = weighted_run(leader=1, seed=4, rounds=40)
    assert np.all(total >= 0) and np.all(total <= 100.0)
