"""Differential tests of the market contracts against their pure-Python oracles, in process:
the verifier's objective vs `energy_trading.models.matching`, the honest-supplier split vs
`honest_supplier_split`, the reputation ledger vs `ReputationLedger`, and the client's EIP-712 relay."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energy_trading import ChainRevert, connect, deploy
from energy_trading.clients.market import MarketClient, Side, honest_supplier_split, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source, zone_id
from energy_trading.models.matching import evaluate, solve
from energy_trading.models.reputation import ReputationLedger

WAD = 10**18


@pytest.fixture(scope="module")
def world(artifacts):
    """One deployment shared by the module's read-mostly tests: 3 providers with different reputations
    (one settled bilateral period each), 5 consumers in two zones, a crossing fee between the zones."""
    chain = connect()
    d = deploy(chain, artifacts)
    reg, mk = RegistryClient(d), MarketClient(d)
    providers = [
        reg.register(f"p{i}", Role.GENERATOR, Source.WIND, zone="north" if i else "south") for i in range(3)
    ]
    consumers = [reg.register(f"c{i}", Role.CONSUMER, zone="north" if i % 2 else "south") for i in range(5)]
    for p in providers + consumers:
        reg.approve(p.address)
    for c in consumers:
        mk.fund(c.address, tokens(100))
        mk.allow(c.address, 2**255)
    mk.set_crossing_fee(zone_id("north"), zone_id("south"), tokens("0.05"))
    ledger = ReputationLedger(d.market_params.alpha_wad)
    warmup = mk.open_period()
    delivered = [10_000, 6_000, 2_500]
    orders = []
    for p, rho in zip(providers, delivered, strict=True):
        oid = mk.propose(p.address, warmup.id, consumers[0].address, 10_000, tokens("0.5"))
        mk.accept(consumers[0].address, oid)
        mk.approve(oid)
        mk.sign(consumers[0].address, oid)
        mk.submit_reading(oid, Side.SELLER, rho, p.meters[0], relayer=d.operator)
        orders.append(oid)
    mk.advance_to(warmup, "settlement")
    for oid, p, rho in zip(orders, providers, delivered, strict=True):
        mk.settle(d.operator, oid)
        ledger.record(p.address, warmup.id, rho, 10_000)
        mk.fold(p.address)
    return chain, d, mk, providers, consumers, ledger


def test_reputation_contract_matches_the_integer_oracle(world):
    _, _, mk, providers, _, ledger = world
    for p in providers:
        assert mk.reputation_of(p.address) == ledger.fold(p.address)
    # v = 1, 0.6, 0.25 -> RC = 0.4 v
    assert [mk.reputation_of(p.address) for p in providers] == [4 * WAD // 10, 24 * WAD // 100, WAD // 10]


def test_verifier_objective_equals_the_solver_objective_to_the_wei(world):
    _, _, mk, providers, consumers, _ = world
    period = mk.open_period()
    prices = ["0.52", "0.47", "0.41"]
    for p, price, cap in zip(providers, prices, (18, 15, 30), strict=True):
        mk.publish_offer(p.address, period.id, tokens(price), kwh(cap))
    rng = random.Random(5)
    for c in consumers:
        for _ in range(2):
            mk.publish_request(c.address, period.id, kwh(rng.randint(2, 9)), 0)
    instance = mk.instance(period.id)
    assert instance.shape == (10, 3)
    result = solve(instance)
    mk.advance_to(period, "matching")
    pairs = mk.pairs_of(result)
    assert mk.evaluate(period.id, pairs) == [result.objective_wad, result.served_wh]
    # the solver's result is accepted as it is (the console's `market.submit(who, p.id, r)`)
    assert mk.evaluate(period.id, result) == [result.objective_wad, result.served_wh]
    # random feasible assignments too: the verifier and the oracle agree on every one
    for _ in range(5):
        choice = [None] * 10
        left = list(instance.capacity_wh)
        for i in rng.sample(range(10), 10):
            j = rng.randrange(3)
            if instance.feasible(i, j) and instance.energy_wh[i] <= left[j]:
                choice[i], left[j] = j, left[j] - instance.energy_wh[i]
        if all(j is None for j in choice):
            continue
        expected = evaluate(instance, choice)
        some = sorted(
            (instance.request_ids[i], instance.provider_ids[j]) for i, j in enumerate(choice) if j is not None
        )
        assert tuple(mk.evaluate(period.id, some)) == expected
    receipt = mk.submit(consumers[1].address, period.id, pairs)
    assert receipt["status"] == 1
    assert mk.best(period.id)["objective_wad"] == result.objective_wad


def test_over_capacity_assignment_is_refused_through_the_client(world):
    _, _, mk, providers, consumers, _ = world
    period = mk.open_period()
    offer = mk.publish_offer(providers[0].address, period.id, tokens("0.5"), kwh(5))
    r1 = mk.publish_request(consumers[1].address, period.id, kwh(3), 0)
    r2 = mk.publish_request(consumers[3].address, period.id, kwh(3), 0)
    mk.advance_to(period, "matching")
    with pytest.raises(ChainRevert) as refused:
        mk.submit(consumers[1].address, period.id, [(r1, offer), (r2, offer)])
    assert refused.value.error == "CapacityExceeded"
    assert refused.value.args_by_name == {"offerId": offer, "requested": 3_000, "left": 2_000}
    assert mk.best(period.id)["pair_count"] == 0


@settings(max_examples=40, deadline=None)
@given(
    energy=st.integers(1, 50_000),
    price=st.integers(1, 3 * WAD),
    bonus=st.integers(0, 2 * WAD),
    rho=st.integers(0, 60_000),
    loss=st.integers(0, 3_000),
)
def test_honest_supplier_split_matches_the_oracle(world, energy, price, bonus, rho, loss):
    _, d, _, _, _, _ = world
    gamma = max(rho - loss, 0)
    terms = (1, 1, d.operator, d.auditor, energy, price, bonus, energy)
    out = d.honest_policy.functions.split(terms, rho, gamma).call()
    expected = honest_supplier_split(energy, price, bonus, rho, gamma, d.market_params.tau_wh)
    assert (out[0], out[1], out[4], out[6]) == (
        expected["to_seller"],
        expected["to_buyer"],
        expected["penalty"],
        expected["reward"],
    )
    deposit, seller_deposit = d.honest_policy.functions.deposits(terms).call()
    assert (deposit, seller_deposit) == (expected["deposit"], 0)
    assert out[0] + out[1] + out[2] + out[3] == deposit  # conservation (ISettlementPolicy)


def test_relayed_reading_uses_the_meters_signature_once(world):
    chain, d, mk, providers, consumers, _ = world
    period = mk.open_period()
    oid = mk.propose(providers[1].address, period.id, consumers[2].address, 4_000, tokens("0.5"))
    mk.accept(consumers[2].address, oid)
    mk.approve(oid)
    mk.sign(consumers[2].address, oid)
    meter = consumers[2].meters[0]
    signature = mk.reading_signature(meter, oid, Side.BUYER, 3_000)
    fn = d.order_book.functions.submitReading(oid, int(Side.BUYER), 3_000, meter, signature)
    chain.transact(fn, providers[2].address)  # any account relays it
    assert mk.order(oid).received_wh == 3_000
    with pytest.raises(ChainRevert) as replay:
        chain.transact(fn, providers[2].address)
    assert replay.value.error == "InvalidMeterSignature"
    assert mk.order(oid).received_wh == 3_000


def test_honest_supplier_oracle_reproduces_the_papers_cases():
    r, price, bonus = 10_000, WAD // 2, WAD
    assert honest_supplier_split(r, price, bonus, r, r, 200)["reward"] == bonus  # gamma >= R
    assert honest_supplier_split(r, price, bonus, r, r - 200, 200)["reward"] == bonus // 2  # within tau
    assert honest_supplier_split(r, price, bonus, r, r - 201, 200)["reward"] == 0
    short = honest_supplier_split(r, price, bonus, 8_000, 7_500, 200)
    assert short["penalty"] == 2_500 * price // 1000  # r * (R - gamma)
    assert short["to_seller"] == 5 * WAD - short["penalty"]
