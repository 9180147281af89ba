"""NodeWeights: the node weight of seed 001 eq 8-25 and the one-call view the consensus emulator reads."""

from fractions import Fraction

import pytest
from brownie import CreditWeights, NodeWeights, accounts
from conftest import CONSUMER, GENERATOR, SOLAR, approved, reverts_with
from test_grid_settlement import DECAY, PARAMS, WAD, refused_role

from energy_trading.models.weights import WeightParts, node_weight

ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="module")
def settler():
    return accounts[6]


@pytest.fixture(scope="module")
def relayer():
    return accounts[7]


@pytest.fixture(scope="module")
def credit(admin, registry, settler):
    c = CreditWeights.deploy(admin, registry, DECAY, 30, 0, {"from": admin})
    c.grantRole(c.SETTLEMENT_ROLE(), settler, {"from": admin})
    return c


@pytest.fixture(scope="module")
def weights(admin, relayer, settler, credit, registry):
    params = list(PARAMS)
    params[-1] = 2  # W_g decays after every 2 consensus rounds, to see it in a short test
    w = NodeWeights.deploy(admin, relayer, credit, registry, params, {"from": admin})
    w.grantRole(w.SETTLEMENT_ROLE(), settler, {"from": admin})
    return w


@pytest.fixture(scope="module")
def gen(registry, auditor, credit, admin):
    g = approved(registry, auditor, accounts[3], GENERATOR, SOLAR)
    credit.enrol(g, 40 * WAD, {"from": admin})
    return g


@pytest.fixture(scope="module")
def con(registry, auditor, credit, admin):
    c = approved(registry, auditor, accounts[4], CONSUMER, 0)
    credit.enrol(c, 70 * WAD, {"from": admin})
    return c


def parts(weights, node):
    credit, volume, consensus, green, carbon, line, total, generator = weights.weightParts(node)
    return dict(
        credit=credit, volume=volume, consensus=consensus, green=green, carbon=carbon, line=line, total=total
    ), generator


def test_only_the_policy_records_deliveries_and_only_relayers_report(weights, gen, con, stranger):
    before = (parts(weights, gen), parts(weights, con), weights.consensusRounds())
    with refused_role(stranger):
        weights.recordDelivery(1, gen, con, 100, 100, 100, {"from": stranger})
    with refused_role(stranger):
        weights.recordConsensus([gen], {"from": stranger})
    with refused_role(stranger):
        weights.reportLineFault(gen, {"from": stranger})
    with refused_role(stranger):
        weights.setGreenSource(stranger, {"from": stranger})
    with refused_role(stranger):
        weights.setCarbonSource(stranger, {"from": stranger})
    assert (parts(weights, gen), parts(weights, con), weights.consensusRounds()) == before
    assert weights.greenSource() == ZERO and weights.carbonSource() == ZERO


def test_volume_weight_follows_eq_18_over_the_round(weights, gen, con, registry, auditor, settler):
    other_gen = approved(registry, auditor, accounts[5], GENERATOR, SOLAR)
    other_con = approved(registry, auditor, accounts[8], CONSUMER, 0)
    weights.recordDelivery(1, gen, con, 200_000, 200_000, 150_000, {"from": settler})
    weights.recordDelivery(1, other_gen, other_con, 80_000, 60_000, 80_000, {"from": settler})
    # round: m = 60 kWh, E_max = 200 kWh, phi = 0.5: W_d = (v - 30) / (200 - 30) * 100
    assert weights.volumeWeight(gen) == 100 * WAD
    assert weights.volumeWeight(con) == (150_000 - 30_000) * 100 * WAD // 170_000
    assert weights.volumeWeight(other_gen) == (60_000 - 30_000) * 100 * WAD // 170_000
    assert weights.volumeWeight(accounts[9]) == 0  # never traded


def test_line_weight_counts_shortfalls_and_reported_faults(weights, gen, con, relayer, settler):
    assert weights.lineWeight(gen) == 0  # no transmission yet
    weights.recordDelivery(1, gen, con, 100, 100, 100, {"from": settler})
    weights.recordDelivery(1, gen, con, 100, 90, 100, {"from": settler})  # shortfall: a failure
    tx = weights.reportLineFault(gen, {"from": relayer})
    assert (tx.events["LineFaultReported"]["transmissions"], tx.events["LineFaultReported"]["failures"]) == (
        3,
        2,
    )
    assert weights.lineWeight(gen) == 100 * WAD // 3
    assert weights.lineWeight(con) == 0 and parts(weights, con)[0]["line"] == 0  # consumers have no line part


def test_a_line_fault_needs_an_enrolled_generation_node(weights, con, relayer, stranger):
    with reverts_with("NotAGenerator", con):
        weights.reportLineFault(con, {"from": relayer})
    with reverts_with("UnknownNode", stranger):
        weights.reportLineFault(stranger, {"from": relayer})
    assert weights.lineWeight(con) == 0


def test_consensus_weight_follows_eq_19_and_decays_every_l_rounds(weights, gen, con, relayer):
    weights.recordConsensus([gen, con], {"from": relayer})  # k = 1: +2
    weights.recordConsensus([gen], {"from": relayer})  # k = 2: +1.5
    assert weights.consensusWeight(con) == 2 * WAD * DECAY // WAD  # one decay after 2 rounds (eq 25)
    assert weights.consensusWeight(gen) == 35 * WAD // 10 * DECAY // WAD
    weights.recordConsensus([gen], {"from": relayer})  # k = 3: + 4/3, from the decayed weight
    assert weights.consensusWeight(gen) == 35 * WAD // 10 * DECAY // WAD + 4 * WAD // 3


def test_consensus_weight_is_capped_at_one_hundred(admin, credit, registry, gen, relayer):
    params = list(PARAMS)
    params[8] = 60 * WAD  # omega = 60: round 1 alone adds 120
    w = NodeWeights.deploy(admin, relayer, credit, registry, params, {"from": admin})
    w.recordConsensus([gen], {"from": relayer})
    assert w.consensusWeight(gen) == 100 * WAD
    w.recordConsensus([gen], {"from": relayer})
    assert w.consensusWeight(gen) == 100 * WAD


def test_bad_replier_lists_are_refused(weights, gen, relayer, stranger):
    with reverts_with("EmptyReplierList"):
        weights.recordConsensus([], {"from": relayer})
    with reverts_with("DuplicateReplier", gen, 1):
        weights.recordConsensus([gen, gen], {"from": relayer})
    with reverts_with("UnknownNode", stranger):
        weights.recordConsensus([gen, stranger], {"from": relayer})
    assert weights.consensusRounds() == 0 and weights.consensusWeight(gen) == 0


def test_node_weight_combines_its_parts_per_eq_8_to_13(weights, gen, con, relayer, settler):
    weights.recordDelivery(1, gen, con, 100_000, 90_000, 100_000, {"from": settler})
    weights.recordConsensus([gen, con], {"from": relayer})
    for node, is_generator in ((gen, True), (con, False)):
        p, generator = parts(weights, node)
        assert generator == is_generator
        expected = node_weight(
            WeightParts(**{k: Fraction(v, WAD) for k, v in p.items() if k != "total"}), generator
        )
        assert abs(Fraction(p["total"], WAD) - expected) < Fraction(6, WAD)  # six rounded-down products


def test_all_weights_lists_every_enrolled_node_for_the_emulator(weights, gen, con, relayer):
    weights.recordConsensus([con], {"from": relayer})
    nodes, values = weights.allWeights()
    assert list(nodes) == [gen, con]
    assert list(values) == [weights.nodeWeight(gen), weights.nodeWeight(con)]
    assert values[0] == 8 * WAD  # only alpha * W_a = 0.2 * 40
    assert all(0 <= v <= 100 * WAD for v in values)


def test_factors_that_could_exceed_one_hundred_are_refused(admin, credit, registry):
    too_much = list(PARAMS)
    too_much[0] = WAD // 2  # alpha = 0.5: 0.5+0.2+0.3+0.1 + (0.1+0.1 | 0.2) = 1.3 for either kind of node
    with reverts_with("FactorsExceedOne", 13 * WAD // 10, 13 * WAD // 10):
        NodeWeights.deploy(admin, admin, credit, registry, too_much, {"from": admin})
    bad_phi = list(PARAMS)
    bad_phi[7] = 2 * WAD
    with reverts_with("PhiAboveOne", 2 * WAD):
        NodeWeights.deploy(admin, admin, credit, registry, bad_phi, {"from": admin})
