"""Seed 001 reproduce items: the weights recorded from a weighted-Raft run (Figs 7, 10, §5.3), the leader
counts of Table 3 and the consensus times of Tables 5-7 / Figs 1-3 against the paper's numbers."""

import itertools

import numpy as np
import pytest

from consensus_emulator.config import RaftParams, WeightedRaftParams
from consensus_emulator.reproduce.seed001 import (
    GAIN_POINTS,
    LinkOrderCluster,
    _config,
    count_tolerance,
    tables5_7,
    weighted_run,
)
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
    # the item's: two sd of the difference of two Binomial(200, 0.12) draws,
    # 2 x sqrt(2 x 200 x 0.12 x 0.88) = 13.0
    result, _, _ = weighted_run(
        None, run_seed(0, "t34", "weighted"), params=WeightedRaftParams(elect_every_round=True)
    )
    assert abs(result.leader_counts().get(1, 0) - 24) <= count_tolerance(24 / 200)


def test_leader_count_tolerance_is_two_sd_of_the_difference_of_two_binomial_draws():
    # Tables 3-4: a traditional-Raft count, the paper's and the emulated one, is a Binomial(200, 1/30) draw;
    # two independent draws differ with sd sqrt(2 x 200 x 1/30 x 29/30) = 3.59, so 2 sd is 7.2 (was 7.6 =
    # 3 sd of one draw, which let 0..14 pass for every paper count of 6-7)
    assert count_tolerance(1 / 30) == pytest.approx(7.18, abs=0.01)
    assert count_tolerance(146 / 200) == pytest.approx(2 * np.sqrt(2 * 200 * 0.73 * 0.27))
    assert count_tolerance(0.0) == 2.0  # a count the paper gives as 0: at least 2 elections


@pytest.fixture(scope="module")
def tables5_7_outputs():
    """`reproduce seed001-tables5-7` at its default seed 0, by output name."""
    return {o.name: o for o in tables5_7(0)}


def _gain_rows(output):
    # columns: consensus, before_ms, after_ms, gain_pct, paper_before_ms, paper_after_ms, paper_gain_pct
    return {int(r[0]): (float(r[3]), float(r[6])) for r in output.rows}


@pytest.mark.slow
def test_tables5_7_gain_after_10_and_20_consensuses_within_the_paper_tolerance(tables5_7_outputs):
    # seed 001 Tables 5-7: gains 0.78 / 1.96 (T5), 0.70 / 2.09 (T6), 1.84 / 2.46 % (T7) after 10 / 20
    # consensuses; tolerance 1.5 points (issue 15). Weighted Raft starts about as fast as Raft: the
    # weight quorum takes nearly as many acks as the count quorum until eq 19's weights build up.
    for table in (5, 6, 7):
        gains = _gain_rows(tables5_7_outputs[f"seed001_table{table}"])
        for k in (10, 20):
            emulated, paper = gains[k]
            assert abs(emulated - paper) <= GAIN_POINTS, (table, k, emulated, paper)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="seed 001 Tables 5-7 after 50-200 consensuses: paper 4.5-9.5 %, emulated 1.9-6.5 %: eq 19's "
    "participation weights cut the weight quorum from ~14 to ~11 acks as the paper describes, but each "
    "ack skipped saves only 1.2-1.6 % of a consensus on METRO, and the paper publishes no link delays",
)
def test_tables5_7_gain_after_50_to_200_consensuses_within_the_paper_tolerance(tables5_7_outputs):
    # seed 001 Tables 5-7 at 50, 100, 150, 200 consensuses; tolerance 1.5 points (issue 15)
    for table in (5, 6, 7):
        gains = _gain_rows(tables5_7_outputs[f"seed001_table{table}"])
        for k in (50, 100, 150, 200):
            emulated, paper = gains[k]
            assert abs(emulated - paper) <= GAIN_POINTS, (table, k, emulated, paper)


@pytest.mark.slow
def test_tables5_7_gain_grows_with_the_number_of_consensuses(tables5_7_outputs):
    # §5.2.3: "takes less time ... for more consensus iterations": the gain rises at every count
    for table in (5, 6, 7):
        gains = _gain_rows(tables5_7_outputs[f"seed001_table{table}"])
        series = [gains[k][0] for k in sorted(gains)]
        assert all(b > a for a, b in itertools.pairwise(series)), (table, series)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="seed 001 Tables 5-7: the paper's traditional totals after 200 are 497.82 < 511.16 < 536.96 ms "
    "(leaders 1, 2, 5); emulated about 494 / 479 / 503 ms: the order follows where METRO's random "
    "placement puts each leader, and the paper publishes no placement or link delays",
)
def test_tables5_7_traditional_totals_ordered_as_in_the_paper(tables5_7_outputs):
    totals = [float(tables5_7_outputs[f"seed001_table{t}"].rows[-1][1]) for t in (5, 6, 7)]
    assert totals == sorted(totals), totals


@pytest.mark.slow
def test_tables5_7_order_of_the_traditional_totals_is_one_check_across_the_three_tables(tables5_7_outputs):
    # the paper's 497.82 < 511.16 < 536.96 ms is one claim about three tables: checked per table it held for
    # Table 7 alone (rank 3 of 3) while the emulated order 495 / 479 / 504 contradicts the paper's
    outputs = [tables5_7_outputs[f"seed001_table{t}"] for t in (5, 6, 7)]
    orders = [[c for c in o.checks if "one check of the three tables" in c.what] for o in outputs]
    assert all(len(order) == 1 for order in orders) and orders[0] == orders[1] == orders[2]
    totals = [float(o.rows[-1][1]) for o in outputs]
    assert orders[0][0].ok == (totals == sorted(totals))


@pytest.mark.slow
def test_figs_1_3_raft_time_constant_weighted_time_falls_and_fig_10_weights_level_off(tables5_7_outputs):
    # §5.2.2 Figs 1-3: with a fixed leader Raft's time "remains unchanged" (CV < 2 %) while weighted
    # Raft's fluctuates and falls; §5.3.3 Fig 10: total weights grow to a threshold, then stay in a band
    for name in ("seed001_fig1", "seed001_fig2", "seed001_fig3", "seed001_fig10"):
        failed = [c.what for c in tables5_7_outputs[name].checks if not c.ok]
        assert not failed, (name, failed)


def test_leader_send_order_is_seeded_shared_and_not_the_paper_numbering():
    # the AppendEntries order must not follow paper node numbers (generators 1-15 first): a per-run
    # permutation, the same for Raft and weighted Raft on one seed so they share the network
    raft = LinkOrderCluster(_config("raft", RaftParams(initial_leader=0), 7, 5, None), 7)
    weighted = LinkOrderCluster(_config("weighted-raft", WeightedRaftParams(initial_leader=0), 7, 5, None), 7)
    assert raft.send_order(0) == weighted.send_order(0)
    assert sorted(raft.send_order(0)) == list(range(1, 30))
    assert raft.send_order(0) != list(range(1, 30))
    other = LinkOrderCluster(_config("raft", RaftParams(initial_leader=0), 8, 5, None), 8)
    assert other.send_order(0) != raft.send_order(0)


def test_habitual_defaulters_deliver_what_table_2_reports():
    # seed 001 Table 2: node 17 delivers 180 of its 200 kWh, node 29 50 of 60 when they default
    market = Seed001Market(30, np.random.default_rng(3))
    market.default_prob[:] = 0.0
    market.default_prob[[16, 28]] = 1.0
    market.w_a[:] = 50.0
    market.step()
    assert market.w_a[16] == pytest.approx(50.0 * 180 / 200)  # eq 17: W -= W (C_e - E_a) / C_e
    assert market.w_a[28] == pytest.approx(50.0 * 50 / 60)


def test_figs_7_and_10_name_the_consensuses_each_number_compares(monkeypatch):
    """`reproduce seed001` summed up Fig 10 as "node 11: 23.1 -> 40.3" (consensus 1 -> 200) beside its check
    "23.1 -> 37.8" (consensus 1 -> 100), without saying which rounds either compared. With fake runs whose
    weight after consensus r is r / 4, the summary and every check name their consensuses and show the
    weights of exactly those rows."""
    from types import SimpleNamespace

    from consensus_emulator.reproduce import seed001

    def result(ms):
        rounds = [SimpleNamespace(consensus_ms=ms - 0.001 * k) for k in range(200)]
        return SimpleNamespace(rounds=rounds, extra={"quorum_acks": [14] * 200})

    weights = np.tile(np.arange(201.0)[:, None] / 4, (1, 30))
    monkeypatch.setattr(seed001, "weighted_run", lambda *a, **k: (result(1.9), weights, weights))
    monkeypatch.setattr(seed001, "_seed001", lambda *a, **k: result(2.0))
    outputs = {o.name: o for o in seed001.tables5_7(0)}
    fig7, fig10 = outputs["seed001_fig7"], outputs["seed001_fig10"]
    assert fig10.emulated.startswith("consensus 1 -> 200: node 1: 0.2 -> 50.0; node 11: 0.2 -> 50.0")
    assert fig7.emulated.startswith("consensus 1 -> 200: node 1: 0.2 -> 50.0")
    assert [c.emulated for c in fig10.checks] == [
        "consensus 1 -> 100: 0.2 -> 25.0; consensuses 150-200 in 37.5-50.0"
    ] * 4
    assert all("(consensuses 150-200 within ±15 % of their mean)" in c.what for c in fig10.checks)
    rises = [c.emulated for c in fig7.checks if "low at the start" in c.what]
    assert rises == ["consensus 1 -> 200: 0.2 -> 50.0"] * 3
    slows = [c.emulated for c in fig7.checks if "growth slows" in c.what]
    assert slows == ["+24.8 over consensuses 1-100, then +25.0 over 100-200"] * 3
