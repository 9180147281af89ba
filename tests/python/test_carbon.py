"""Carbon settlement in Python: the pure eq 21-22 model, and a carbon cycle on chain checked against it."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from energy_trading import connect, deploy
from energy_trading.chain.errors import ChainRevert
from energy_trading.clients.certificates import CarbonClient, Compliance
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.models.certificates import CarbonPosition, CertificateError, carbon_weights

WAD = 10**18

# ---------------------------------------------------------------------------------------------- pure model


def test_eq_22_settlement_adds_quota_and_net_purchases_and_subtracts_emissions():
    buyer = CarbonPosition(quota=1000, bought=250, emitted=1300)
    seller = CarbonPosition(quota=600, sold=250, emitted=100)
    assert (buyer.net_bought, buyer.settlement, buyer.compliant) == (250, -50, False)
    assert (seller.net_bought, seller.settlement, seller.compliant) == (-250, 250, True)
    assert CarbonPosition(quota=10, emitted=10).compliant  # exactly covered is compliant


def test_eq_21_normalises_between_the_cycles_worst_and_best():
    assert carbon_weights({"coal": -50, "sun": 250, "home": 50}) == {
        "coal": 0.0,
        "sun": 100.0,
        "home": pytest.approx(100 / 3),
    }


def test_eq_21_with_no_spread_gives_everyone_100_like_node_weights():
    assert carbon_weights({"a": 7, "b": 7}) == {"a": 100.0, "b": 100.0}
    assert carbon_weights({"only": -3}) == {"only": 100.0}
    assert carbon_weights({}) == {}


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.integers(-(10**9), 10**9), min_size=2))
def test_eq_21_weights_lie_in_0_to_100_and_keep_the_order(settlements):
    weights = carbon_weights(settlements)
    assert all(0.0 <= w <= 100.0 for w in weights.values())
    for a in settlements:
        for b in settlements:
            if settlements[a] < settlements[b]:
                assert weights[a] < weights[b]


# ---------------------------------------------------------------------------------------------- on chain


@pytest.fixture(scope="module")
def world(artifacts):
    """A fossil plant, a solar farm and a consumer, approved and funded; each test reverts to here."""
    chain = connect()
    d = deploy(chain, artifacts)
    reg = RegistryClient(d)
    people = {
        "coal": reg.register("coal", Role.GENERATOR, Source.FOSSIL),
        "sun": reg.register("sun", Role.GENERATOR, Source.SOLAR),
        "home": reg.register("home", Role.CONSUMER),
    }
    for p in people.values():
        reg.approve(p.address)
        chain.transact(d.token.functions.issue(p.address, 100 * WAD), d.operator)
    return d, people, chain.w3.testing.snapshot()


@pytest.fixture
def carbon(world):
    d, people, snapshot = world
    d.chain.w3.testing.revert(snapshot)
    return CarbonClient(d), people


def test_a_carbon_cycle_on_chain_matches_the_model(carbon):
    client, people = carbon
    coal, sun, home = (people[n] for n in ("coal", "sun", "home"))
    quotas = {coal.address: 1000, sun.address: 600, home.address: 300}
    cycle = client.open_cycle(quotas)
    client.report_emissions(coal.address, coal.meters[0], cycle, 1300)
    client.report_emissions(sun.address, sun.meters[0], cycle, 100)
    client.report_emissions(home.address, home.meters[0], cycle, 250)
    listing = client.list_allowances(sun.address, cycle, 400, 2 * 10**15)
    paid = client.buy_allowances(coal.address, listing, 250)
    settlements = client.close_and_settle(cycle, list(quotas), batch=2)

    model = {
        coal.address: CarbonPosition(quota=1000, bought=250, emitted=1300),
        sun.address: CarbonPosition(quota=600, sold=250, emitted=100),
        home.address: CarbonPosition(quota=300, emitted=250),
    }
    assert paid == 250 * 2 * 10**15
    for node, position in model.items():
        assert client.position(node, cycle) == position
        assert settlements[node] == position.settlement
    assert client.compliance(coal.address, cycle) == (Compliance.NON_COMPLIANT, -50)
    assert client.compliance(sun.address, cycle) == (Compliance.COMPLIANT, 250)
    assert client.weights(list(model)) == carbon_weights({n: p.settlement for n, p in model.items()})


def test_node_weights_contract_reads_eq_21_from_the_ledger(carbon):
    """deploy() wires the ledger into NodeWeights: its W_ce equals eq 21 over the last settled cycle."""
    client, people = carbon
    coal, sun, home = (people[n] for n in ("coal", "sun", "home"))
    cycle = client.open_cycle({coal.address: 500, sun.address: 500, home.address: 500})
    client.report_emissions(coal.address, coal.meters[0], cycle, 800)  # -300
    client.report_emissions(home.address, home.meters[0], cycle, 400)  # 100
    client.report_emissions(sun.address, sun.meters[0], cycle, 0)  # 500: a report of 0, not a missing one
    client.close_and_settle(cycle, [coal.address, sun.address, home.address])
    node_weights = client.d.node_weights
    expected = {coal.address: Fraction(0), sun.address: Fraction(100), home.address: Fraction(400 * 100, 800)}
    for node, weight in expected.items():
        assert node_weights.functions.carbonWeight(node).call() == weight * WAD


def test_silent_nodes_settle_after_the_reporting_ones_and_below_them(carbon):
    """Review 6 finding 1: a silent node settles only after every reporting node, at min(worst, 0) - 1; the
    client settles reporters first even when a silent node comes first in the list and in its own batch."""
    client, people = carbon
    coal, sun, home = (people[n] for n in ("coal", "sun", "home"))
    cycle = client.open_cycle({coal.address: 1000, sun.address: 600, home.address: 300})
    listing = client.list_allowances(coal.address, cycle, 1000, 10**15)  # coal sells its whole quota
    client.buy_allowances(home.address, listing, 1000)
    client.report_emissions(sun.address, sun.meters[0], cycle, 1100)  # -500
    client.report_emissions(home.address, home.meters[0], cycle, 800)  # 500
    settlements = client.close_and_settle(cycle, [coal.address, sun.address, home.address], batch=1)
    assert settlements == {coal.address: -501, sun.address: -500, home.address: 500}
    assert client.compliance(coal.address, cycle) == (Compliance.NON_COMPLIANT, -501)
    assert client.d.node_weights.functions.carbonWeight(coal.address).call() == 0


def test_a_silent_node_settled_before_the_reporters_is_refused_with_the_count(carbon):
    client, people = carbon
    coal, sun = people["coal"], people["sun"]
    cycle = client.open_cycle({coal.address: 100, sun.address: 100})
    client.report_emissions(sun.address, sun.meters[0], cycle, 10)
    client._send(client.ledger.functions.closeCycle(cycle), client.regulator)
    with pytest.raises(ChainRevert) as refusal:
        client._send(client.ledger.functions.settle(coal.address, cycle), client.regulator)
    assert refusal.value.error == "ReportersNotSettled"
    assert refusal.value.args_by_name["remaining"] == 1


def test_reading_a_node_before_settlement_says_what_to_do(carbon):
    client, people = carbon
    coal = people["coal"]
    cycle = client.open_cycle({coal.address: 100})
    with pytest.raises(CertificateError, match="call settle first"):
        client.settlement(coal.address, cycle)
    assert client.compliance(coal.address, cycle) == (Compliance.NOT_SETTLED, 0)


def test_overselling_allowances_is_refused_with_the_figures(carbon):
    client, people = carbon
    sun = people["sun"]
    cycle = client.open_cycle({sun.address: 100})
    client.report_emissions(sun.address, sun.meters[0], cycle, 30)
    with pytest.raises(ChainRevert) as refusal:
        client.list_allowances(sun.address, cycle, 71, 1)
    assert refusal.value.error == "InsufficientAllowances"
    assert (refusal.value.args_by_name["requested"], refusal.value.args_by_name["available"]) == (71, 70)
    assert client.ledger.functions.allowanceListingCount().call() == 0
