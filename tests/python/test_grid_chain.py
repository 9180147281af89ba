"""Differential and conservation tests: the grid-balanced contracts against the pure model, in-process EVM.

A stand-in market account holds the policy's MARKET_ROLE, so random rounds can be settled quickly; the order
book path is tested in test_grid_market.py. The module runs on the session's anvil node (py-evm would take
minutes for these few hundred transactions). Each hypothesis example is one settlement round (a new period) of
random contracts among a fixed set of nodes; the model gets the on-chain weights before the round as input.
"""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy_trading import connect, deploy
from energy_trading.chain.deploy import GridParams
from energy_trading.clients.grid import GridClient
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.models.grid_settlement import Delivery, settle_round
from energy_trading.models.units import from_tokens, from_wad, to_price
from energy_trading.models.weights import WeightParams

GENERATORS, CONSUMERS = 4, 4
ONE_WEI = Fraction(1, 10**18)


class Harness:
    """A deployment with 8 enrolled nodes and a stand-in market; settles whole rounds."""

    def __init__(self, artifacts, rpc_url):
        self.chain = connect(rpc_url, seed="test-grid-chain")
        # no decay inside these runs (decay has its own tests): weights before a round are the model's input
        self.params = GridParams(weights=WeightParams(decay_every=0))
        self.d = deploy(self.chain, artifacts, grid=self.params)
        self.g = GridClient.of(self.d)
        reg = RegistryClient(self.d)
        self.gens, self.cons = [], []
        for i in range(GENERATORS + CONSUMERS):
            gen = i < GENERATORS
            p = reg.register(
                f"node{i}", Role.GENERATOR if gen else Role.CONSUMER, Source.WIND if gen else Source.NONE
            )
            reg.approve(p.address)
            self.g.enrol(p.address, 10 + 11 * i)
            (self.gens if gen else self.cons).append(p.address)
        self.market = self.chain.new_account("market-stand-in")
        policy = self.d.grid_policy
        self.chain.transact(
            policy.functions.grantRole(policy.functions.MARKET_ROLE().call(), self.market), self.d.operator
        )
        self.period = 0
        self.order = 0

    def weights(self) -> dict[str, Fraction]:
        return {n: self.g.credit_weight(n) for n in self.gens + self.cons}

    def settle_round(self, contracts):
        """contracts: (seller index, buyer index, price, C_e Wh, E_af Wh, E_ay Wh). Returns per-order data."""
        self.period += 1
        total = sum(c[3] for c in contracts)
        policy, token = self.d.grid_policy, self.d.token
        out = []
        for s, b, price, ce, ef, ey in contracts:
            self.order += 1
            terms = (self.order, self.period, self.gens[s], self.cons[b], ce, to_price(price), 0, total)
            deposits = policy.functions.deposits(terms).call()
            outcome = policy.functions.settle(terms, ef, ey).call({"from": self.market})
            receipt = self.chain.transact(policy.functions.settle(terms, ef, ey), self.market)
            if outcome[3]:
                self.chain.transact(
                    token.functions.issue(self.d.penalty_pool.address, outcome[3]), self.d.operator
                )
            out.append((self.order, deposits, outcome, receipt))
        self.g.release_all()
        return out


@pytest.fixture(scope="module")
def harness(artifacts, anvil_url):
    return Harness(artifacts, anvil_url)


contract = st.tuples(
    st.integers(0, GENERATORS - 1),
    st.integers(0, CONSUMERS - 1),
    st.sampled_from(["0.45", "0.55", "0.61", "0.66", "0.72"]),
    st.integers(1, 400).map(lambda kwh: kwh * 1_000),
    st.integers(0, 800),
    st.integers(0, 800),
).map(lambda t: (t[0], t[1], t[2], t[3], t[3] * t[4] // 400, t[3] * t[5] // 400))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contracts=st.lists(contract, min_size=1, max_size=4))
def test_chain_round_matches_the_model_and_conserves_every_token(harness, contracts):
    h = harness
    before = h.weights()
    pooled_before = h.d.penalty_pool.functions.queuedTotal().call()
    owed_before = h.d.grid_account.functions.totalOwed().call()
    results = h.settle_round(contracts)
    model = settle_round(
        [
            Delivery.of(
                h.gens[s], h.cons[b], price, Fraction(ce, 1000), Fraction(ef, 1000), Fraction(ey, 1000)
            )
            for s, b, price, ce, ef, ey in contracts
        ],
        before,
        h.params.prices,
    )
    breakdowns = {b.order_id: b for r in results for b in h.g.breakdowns_in(r[3])}
    feed_in = 0
    for (order_id, (buyer_deposit, seller_deposit), outcome, _), expected in zip(
        results, model.contracts, strict=True
    ):
        to_seller, to_buyer, to_grid, to_pool, seller_penalty, buyer_penalty, _ = outcome
        # the escrow split pays out exactly the two deposits
        assert to_seller + to_buyer + to_grid + to_pool == buyer_deposit + seller_deposit
        b = breakdowns[order_id]
        # money is exact: integer Wh times prices in 1e-2 tokens/kWh
        assert (b.seller_income, b.buyer_expense, b.grid_revenue) == (
            expected.money.seller_income,
            expected.money.buyer_expense,
            expected.money.grid_revenue,
        )
        # the grid's revenue leaves escrow as toGrid, less the feed-in it owes the seller
        assert from_tokens(to_grid) - b.feed_in == b.grid_revenue
        # weights and penalties agree with the model to rounding (a few wei)
        assert abs(b.seller_weight_after - expected.seller_weight_after) < 4 * ONE_WEI
        assert abs(b.buyer_weight_after - expected.buyer_weight_after) < 4 * ONE_WEI
        assert abs(b.seller_penalty - expected.penalties.seller_penalty) < 200 * ONE_WEI
        assert abs(b.buyer_penalty - expected.penalties.buyer_penalty) < 200 * ONE_WEI
        assert b.seller_compensation == expected.penalties.seller_compensation
        assert b.buyer_compensation == expected.penalties.buyer_compensation
        # penalties paid = compensation + pooled, to the wei
        assert seller_penalty + buyer_penalty == to_pool + int(
            (b.seller_compensation + b.buyer_compensation) * 10**18
        )
        feed_in += int(b.feed_in * 10**18)
    assert h.d.grid_account.functions.totalOwed().call() - owed_before == feed_in
    # every pooled token of the round is shared out (model shares), up to dust that stays in the pool
    pooled = h.d.penalty_pool.functions.queuedTotal().call() - pooled_before
    assert from_tokens(pooled) - model.pooled == 0 or abs(from_tokens(pooled) - model.pooled) < 400 * ONE_WEI
    shares = {n: h.g.share_of(n, h.period) for n in before}
    paid = sum(shares.values())
    if model.carried == 0 and pooled:
        assert 0 <= from_tokens(pooled) - paid < len(before) * ONE_WEI * 4
        for n, share in shares.items():
            assert abs(share - model.penalty_shares[n]) < 300 * ONE_WEI
    assert paid <= from_tokens(pooled) + from_tokens(h.d.penalty_pool.functions.carried().call())


def test_weights_after_a_round_are_the_models(harness):
    h = harness
    before = h.weights()
    contracts = [(0, 0, "0.61", 310_000, 310_000, 310_000), (1, 1, "0.63", 200_000, 200_000, 180_000)]
    h.settle_round(contracts)
    model = settle_round(
        [
            Delivery.of(h.gens[s], h.cons[b], p, Fraction(c, 1000), Fraction(f, 1000), Fraction(y, 1000))
            for s, b, p, c, f, y in contracts
        ],
        before,
        h.params.prices,
    )
    for n in before:
        assert (
            abs(from_wad(h.d.credit_weights.functions.creditWeight(n).call()) - model.weights_after[n])
            < 4 * ONE_WEI
        )
