"""CreditWeights: credit weight W_a per round (seed 001 eq 14-17), rounds, lazy decay (eq 24), retirement."""

import pytest
from brownie import CreditWeights, accounts
from conftest import CONSUMER, GENERATOR, SOLAR, approved, register, reverts_with
from test_grid_settlement import DECAY, WAD, refused_role


@pytest.fixture(scope="module")
def settler():
    """Stands in for a settlement policy: holds SETTLEMENT_ROLE."""
    return accounts[6]


@pytest.fixture(scope="module")
def credit(admin, registry, settler):
    c = CreditWeights.deploy(admin, registry, DECAY, 2, 0, {"from": admin})  # decay after every 2 rounds
    c.grantRole(c.SETTLEMENT_ROLE(), settler, {"from": admin})
    return c


@pytest.fixture(scope="module")
def gen(registry, auditor):
    return approved(registry, auditor, accounts[3], GENERATOR, SOLAR)


@pytest.fixture(scope="module")
def con(registry, auditor):
    return approved(registry, auditor, accounts[4], CONSUMER, 0)


def settlement(gen, con, order_id=1, period=1, contracted=100_000, sold=None, taken=None, total=None):
    sold = contracted if sold is None else sold
    taken = contracted if taken is None else taken
    return (order_id, period, gen, con, contracted, sold, taken, total or contracted)


def state(credit, *nodes):
    return (
        tuple(credit.creditWeight(n) for n in nodes),
        tuple(credit.isEnrolled(n) for n in nodes),
        credit.nodeCount(),
        credit.totalWeight(),
        credit.currentRound(),
    )


def test_only_the_enroller_enrols(credit, gen, stranger):
    before = state(credit, gen)
    with refused_role(stranger):
        credit.enrol(gen, 10 * WAD, {"from": stranger})
    assert state(credit, gen) == before


def test_enrolment_refuses_weights_above_one_hundred_inactive_accounts_and_twice(
    credit, registry, gen, admin, stranger
):
    with reverts_with("WeightAboveMax", 100 * WAD + 1, 100 * WAD):
        credit.enrol(gen, 100 * WAD + 1, {"from": admin})
    register(registry, stranger, CONSUMER, 0)  # pending, not approved
    with reverts_with("NotActiveParticipant", stranger):
        credit.enrol(stranger, 10 * WAD, {"from": admin})
    credit.enrol(gen, 40 * WAD, {"from": admin})
    before = state(credit, gen, stranger)
    with reverts_with("AlreadyEnrolled", gen):
        credit.enrol(gen, 50 * WAD, {"from": admin})
    assert state(credit, gen, stranger) == before
    assert credit.creditWeight(gen) == 40 * WAD and credit.totalWeight() == 40 * WAD


def test_only_a_settlement_policy_applies_settlements(credit, gen, con, stranger):
    before = state(credit, gen, con)
    with refused_role(stranger):
        credit.applySettlement(settlement(gen, con), {"from": stranger})
    assert state(credit, gen, con) == before


def test_performing_node_gains_and_defaulting_node_loses_per_eq_14_to_17(credit, gen, con, admin, settler):
    credit.enrol(gen, 50 * WAD, {"from": admin})
    credit.enrol(con, 80 * WAD, {"from": admin})
    tx = credit.applySettlement(settlement(gen, con, taken=75_000, total=400_000), {"from": settler})
    # eq 14-15: 50 + (100-50) * 100/400 = 62.5; eq 16-17: 80 - 80 * 25/100 = 60
    assert credit.creditWeight(gen) == 625 * WAD // 10
    assert credit.creditWeight(con) == 60 * WAD
    assert credit.totalWeight() == 1225 * WAD // 10
    updates = tx.events["CreditWeightUpdated"]
    assert [(u["node"], u["defaulted"]) for u in updates] == [(gen, False), (con, True)]
    assert tx.return_value[4] == 80 * WAD and tx.return_value[6] == 20 * WAD  # buyer before, drop


def test_a_first_settlement_enrols_both_parties_at_the_default_weight(credit, gen, con, settler):
    tx = credit.applySettlement(settlement(gen, con, total=200_000), {"from": settler})
    assert credit.isEnrolled(gen) and credit.isEnrolled(con)
    assert credit.creditWeight(gen) == 50 * WAD  # 0 + 100 * 100/200
    assert len(tx.events["NodeEnrolled"]) == 2


def test_a_round_closes_once_its_period_is_settled_and_refuses_more(credit, gen, con, settler):
    credit.applySettlement(settlement(gen, con, 1, total=200_000), {"from": settler})
    assert not credit.isRoundClosed(1)
    credit.applySettlement(settlement(gen, con, 2, total=200_000), {"from": settler})
    assert credit.isRoundClosed(1)
    before = state(credit, gen, con)
    with reverts_with("PeriodOverSettled", 1, 200_000, 100_000, 200_000):  # no round opens for it either
        credit.applySettlement(settlement(gen, con, 3, total=200_000), {"from": settler})
    assert state(credit, gen, con) == before


def test_a_straggler_after_its_successor_round_completed_counts_in_a_fresh_round(credit, gen, con, settler):
    """Review finding 1: period 2's only order settled first (round 2 opened and completed at once); the
    period-1 order settled next was refused `RoundClosed`, so the market fell back to refunds. It now opens
    round 3 and counts there, and the closed rounds 1 and 2 keep their weights."""
    credit.applySettlement(settlement(gen, con, 1, period=1, total=200_000), {"from": settler})
    credit.applySettlement(settlement(gen, con, 2, period=2), {"from": settler})
    assert credit.isRoundClosed(1) and credit.isRoundClosed(2)
    closed = [(credit.creditWeightAt(gen, r), credit.totalWeightAt(r)) for r in (1, 2)]
    tx = credit.applySettlement(settlement(gen, con, 3, period=1, total=200_000), {"from": settler})
    assert tx.return_value[0] == 3 and credit.currentRound() == 3
    assert tx.events["RoundOpened"]["round"] == 3
    assert not credit.isRoundClosed(3)  # open until period 3 is settled or a later period opens its round
    assert [(credit.creditWeightAt(gen, r), credit.totalWeightAt(r)) for r in (1, 2)] == closed
    assert [u["round"] for u in tx.events["CreditWeightUpdated"]] == [3, 3]
    # period 3's own orders then share round 3, and complete it
    tx = credit.applySettlement(settlement(gen, con, 4, period=3), {"from": settler})
    assert tx.return_value[0] == 3 and credit.isRoundClosed(3)


def test_a_period_total_that_changes_or_is_exceeded_is_refused(credit, gen, con, settler):
    credit.applySettlement(settlement(gen, con, 1, total=150_000), {"from": settler})
    before = state(credit, gen, con)
    with reverts_with("PeriodTotalMismatch", 1, 150_000, 300_000):
        credit.applySettlement(settlement(gen, con, 2, total=300_000), {"from": settler})
    with reverts_with("PeriodOverSettled", 1, 100_000, 100_000, 150_000):
        credit.applySettlement(settlement(gen, con, 2, total=150_000), {"from": settler})
    with reverts_with("PeriodTotalBelowContract", 1, 50_000, 100_000):
        credit.applySettlement(settlement(gen, con, 2, total=50_000), {"from": settler})
    with reverts_with("ZeroPeriod", 2):
        credit.applySettlement(settlement(gen, con, 2, period=0, total=150_000), {"from": settler})
    with reverts_with("ZeroContractedEnergy", 2):
        credit.applySettlement(settlement(gen, con, 2, contracted=0, total=150_000), {"from": settler})
    assert state(credit, gen, con) == before


def test_a_closed_rounds_weights_never_change(credit, gen, con, settler):
    credit.applySettlement(settlement(gen, con, 1, period=1), {"from": settler})
    end_of_round_1 = (credit.creditWeightAt(gen, 1), credit.creditWeightAt(con, 1), credit.totalWeightAt(1))
    credit.applySettlement(settlement(gen, con, 2, period=2, taken=10_000), {"from": settler})
    assert credit.isRoundClosed(1) and credit.currentRound() == 2
    assert (
        credit.creditWeightAt(gen, 1),
        credit.creditWeightAt(con, 1),
        credit.totalWeightAt(1),
    ) == end_of_round_1
    assert credit.creditWeight(con) < end_of_round_1[1]


def test_a_straggler_of_an_earlier_period_counts_in_the_open_round(credit, gen, con, settler):
    credit.applySettlement(settlement(gen, con, 1, period=1, total=200_000), {"from": settler})
    credit.applySettlement(settlement(gen, con, 2, period=2, total=200_000), {"from": settler})
    tx = credit.applySettlement(settlement(gen, con, 3, period=1, total=200_000), {"from": settler})
    assert tx.return_value[0] == 2
    assert tuple(credit.periodTally(1)) == (200_000, 200_000)


def test_weights_decay_once_every_l_rounds_lazily(credit, gen, con, admin, settler):
    credit.enrol(gen, 60 * WAD, {"from": admin})
    credit.enrol(con, 90 * WAD, {"from": admin})
    total = 1_000_000  # rewards of 100 kWh out of 1000 kWh
    weights = {gen: 60 * WAD, con: 90 * WAD}
    for period in (1, 2, 3):
        tx = credit.applySettlement(settlement(gen, con, period, period, total=total), {"from": settler})
        if period == 3:  # two completed rounds: one decay before round 3 (eq 24)
            assert tx.events["CreditWeightsDecayed"]["epoch"] == 1
            weights = {n: w * DECAY // WAD for n, w in weights.items()}
        weights = {n: w + (100 * WAD - w) * 100_000 // total for n, w in weights.items()}
    assert credit.epoch() == 1
    assert credit.creditWeight(gen) == weights[gen]
    assert credit.creditWeight(con) == weights[con]
    assert credit.roundEpoch(2) == 0 and credit.roundEpoch(3) == 1
    total_weight = credit.totalWeight()
    assert weights[gen] + weights[con] <= total_weight <= weights[gen] + weights[con] + 2


def test_an_untouched_node_decays_by_every_missed_epoch(credit, registry, auditor, gen, con, admin, settler):
    idle = approved(registry, auditor, accounts[5], CONSUMER, 0)
    credit.enrol(idle, 100 * WAD, {"from": admin})
    for period in range(1, 6):  # four completed rounds: two decays
        credit.applySettlement(settlement(gen, con, period, period), {"from": settler})
    assert credit.epoch() == 2
    assert credit.creditWeight(idle) == 100 * WAD * (DECAY * DECAY // WAD) // WAD
    assert credit.creditWeightAt(idle, 2) == 100 * WAD  # before the first decay


def test_only_an_exited_participant_is_retired(credit, registry, gen, admin, stranger):
    credit.enrol(gen, 30 * WAD, {"from": admin})
    with reverts_with("NotExited", gen, 2):
        credit.retire(gen, {"from": stranger})
    assert credit.creditWeight(gen) == 30 * WAD
    registry.requestExit({"from": gen})
    registry.finalizeExit(gen, {"from": gen})
    tx = credit.retire(gen, {"from": stranger})
    assert tx.events["NodeRetired"]["weightRemoved"] == 30 * WAD
    assert credit.creditWeight(gen) == 0 and credit.totalWeight() == 0
