"""Grid-balanced settlement through the order book: the refusals the issue names, and token conservation.

Settling an unaudited or an already settled order, a reading after the readings window, and a stranger
withdrawing someone's penalty share are all refused with the contracts' custom errors, and each refusal leaves
orders, escrow, weights, the pool and balances exactly as they were. One module deployment on the session's
anvil; each test opens its own period.
"""

import io
from fractions import Fraction

import pytest

from energy_trading import ChainRevert, connect, deploy
from energy_trading.chain.deploy import MarketParams
from energy_trading.clients.grid import GridClient
from energy_trading.clients.market import MarketClient, Side
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.demo.grid import grid_walkthrough
from energy_trading.models.units import to_price
from energy_trading.scenarios.grid import run_grid_scenario
from energy_trading.scenarios.schema.grid import parse_grid_scenario


class World:
    def __init__(self, artifacts, rpc_url):
        self.chain = connect(rpc_url, seed="test-grid-market")
        self.d = deploy(self.chain, artifacts)
        self.m = MarketClient(self.d)
        self.g = GridClient.of(self.d)
        reg = RegistryClient(self.d)
        self.people = {}
        for label, role in (("gen", Role.GENERATOR), ("con", Role.CONSUMER), ("bystander", Role.CONSUMER)):
            p = reg.register(f"market/{label}", role, Source.WIND if role == Role.GENERATOR else Source.NONE)
            reg.approve(p.address)
            self.people[label] = p
        # the consumer starts with credit (a defaulter with weight 0 pays exactly the compensation, eq 33)
        self.g.enrol(self.people["con"].address, 80)
        self.g.enrol(self.people["bystander"].address, 60)
        self.stranger = self.chain.new_account("market/stranger")
        self.fee = self.d.order_book.functions.handlingFee().call()

    def address(self, label):
        return self.people[label].address

    def order(self, energy_wh=100_000, price="0.6", audit=True, sign=True):
        """A grid-balanced order between gen and con in a new period; returns (period, order id)."""
        p = self.m.open_period(policy=self.d.grid_policy.address)
        gen, con = self.address("gen"), self.address("con")
        order_id = self.m.propose(gen, p.id, con, energy_wh, to_price(price))
        self.m.accept(con, order_id)
        if audit:
            self.m.approve(order_id)
        if audit and sign:
            o = self.m.order(order_id)
            self.m.fund(con, o.buyer_deposit + self.fee)
            self.m.sign(con, order_id)
            self.m.fund(gen, o.seller_deposit)
            self.m.sign(gen, order_id)
        return p, order_id

    def read(self, order_id, side, energy_wh):
        who = "gen" if side == Side.SELLER else "con"
        return self.m.submit_reading(order_id, side, energy_wh, self.people[who].meters[0], self.d.operator)

    def snapshot(self, order_id):
        """Everything a settlement or a reading could change."""
        book, pool = self.d.order_book.functions, self.d.penalty_pool.functions
        people = [self.address("gen"), self.address("con"), self.address("bystander"), self.stranger]
        return (
            self.m.order(order_id),
            book.totalEscrowed().call(),
            book.totalWithdrawable().call(),
            tuple(book.withdrawable(a).call() for a in people),
            tuple(self.d.token.functions.balanceOf(a).call() for a in people),
            tuple(self.d.credit_weights.functions.creditWeight(a).call() for a in people),
            pool.queueLength().call(),
            pool.queuedTotal().call(),
            tuple(pool.withdrawable(a).call() for a in people),
            self.d.token.functions.balanceOf(self.d.penalty_pool.address).call(),
        )


@pytest.fixture(scope="module")
def world(artifacts, anvil_url):
    return World(artifacts, anvil_url)


def refused(action, error):
    with pytest.raises(ChainRevert) as info:
        action()
    assert info.value.error == error, info.value
    return info.value


def test_an_unaudited_order_cannot_be_settled(world):
    p, order_id = world.order(audit=False)
    world.m.advance_to(p, "settlement")
    before = world.snapshot(order_id)
    err = refused(lambda: world.m.settle(world.d.operator, order_id), "WrongOrderStatus")
    assert err.args_by_name == {"orderId": order_id, "actual": 2, "expected": 4}  # Agreed, not Active
    assert world.snapshot(order_id) == before


def test_a_settled_order_cannot_be_settled_again(world):
    p, order_id = world.order()
    world.read(order_id, Side.SELLER, 100_000)
    world.read(order_id, Side.BUYER, 80_000)
    world.m.advance_to(p, "settlement")
    world.m.settle(world.d.operator, order_id)
    before = world.snapshot(order_id)
    err = refused(lambda: world.m.settle(world.stranger, order_id), "WrongOrderStatus")
    assert err.args_by_name["actual"] == 5  # Settled
    assert world.snapshot(order_id) == before


def test_a_reading_after_the_window_is_refused(world):
    p, order_id = world.order()
    world.read(order_id, Side.SELLER, 50_000)
    world.m.advance_to(p, "settlement")
    before = world.snapshot(order_id)
    err = refused(lambda: world.read(order_id, Side.SELLER, 100_000), "OutsideWindow")
    assert err.args_by_name["periodId"] == p.id and err.args_by_name["until"] == p.readings_end
    assert world.snapshot(order_id) == before
    assert world.m.order(order_id).delivered_wh == 50_000


def test_a_stranger_cannot_withdraw_someone_elses_share(world):
    p, order_id = world.order()
    world.read(order_id, Side.SELLER, 100_000)
    world.read(order_id, Side.BUYER, 70_000)  # the consumer defaults: a penalty for the bystander
    world.m.advance_to(p, "settlement")
    world.m.settle(world.d.operator, order_id)
    world.g.release_all()
    bystander = world.address("bystander")
    world.g.claim(bystander, sender=world.stranger)  # crediting a node its own share is anyone's right
    owed = world.d.penalty_pool.functions.withdrawable(bystander).call()
    assert owed > 0
    before = world.snapshot(order_id)
    err = refused(lambda: world.g.withdraw_share(world.stranger, owed, world.stranger), "InsufficientShare")
    assert err.args_by_name["node"].lower() == world.stranger.lower()
    assert (err.args_by_name["requested"], err.args_by_name["available"]) == (owed, 0)
    refused(lambda: world.m.withdraw(world.stranger), "NothingToWithdraw")
    assert world.snapshot(order_id) == before
    world.g.withdraw_share(bystander)
    assert world.d.token.functions.balanceOf(bystander).call() == owed


def test_every_token_of_a_period_is_accounted_for(world):
    token, book = world.d.token.functions, world.d.order_book.functions
    supply_before = token.totalSupply().call()
    p, order_id = world.order(energy_wh=200_000, price="0.66")
    issued = token.totalSupply().call() - supply_before  # what the parties escrowed (fee included)
    world.read(order_id, Side.SELLER, 150_000)  # the seller defaults
    world.read(order_id, Side.BUYER, 230_000)  # the buyer draws 80 kWh more from the grid
    world.m.advance_to(p, "settlement")
    s = world.m.settle(world.d.operator, order_id)
    (b,) = world.g.breakdowns_in(world.m.last_receipt)
    assert s.to_seller + s.to_buyer + s.to_grid + s.to_pool + s.fee == issued
    # the order book holds exactly what it owes, and the pool exactly what it queued and did not pay
    assert token.balanceOf(world.d.order_book.address).call() == (
        book.totalEscrowed().call() + book.totalWithdrawable().call()
    )
    pool = world.d.penalty_pool.functions
    assert token.balanceOf(world.d.penalty_pool.address).call() == (
        pool.queuedTotal().call() - pool.withdrawnTotal().call()
    )
    # money per eq 26-31: E_af < E_ay, so V_f = E_af*U, V_y = E_af*(U+G) + (E_ay-E_af)*B
    assert b.seller_income == 150 * to_price("0.66") / 10**18
    assert (
        s.seller_penalty > 0 and b.buyer_compensation == 50 * (to_price("0.75") - to_price("0.70")) / 10**18
    )
    # the grid collects its fee and top-up from the order book into its own account
    grid = world.d.grid_account
    before = token.balanceOf(grid.address).call()
    world.chain.transact(grid.functions.collect(world.d.order_book.address), world.stranger)
    assert token.balanceOf(grid.address).call() - before >= s.to_grid


def test_the_demo_section_shares_the_penalty_by_credit_weight(world):
    out = io.StringIO()
    result = grid_walkthrough(world.d, out)
    text = out.getvalue()
    assert "refused  factory withdrawing the bakery's share: InsufficientShare" in text
    (performing, defaulting) = result["breakdowns"].values()
    assert performing.pooled == 0 and defaulting.pooled > 0
    shares = result["shares"]
    assert shares["solar-roof"] == shares["school"] == 0  # the defaulting contract's parties
    # the others share by their credit weights after the round (eq 34): factory 93.33, bakery 50
    ratio = shares["factory"] / shares["bakery"]
    assert abs(ratio - performing.buyer_weight_after / 50) < Fraction(1, 10**12)
    assert all(0 <= w <= 100 for w in result["node_weights"].values())


def test_scenario_prices_are_currency_per_kwh_converted_at_the_market_rate(artifacts, anvil_url):
    chain = connect(anvil_url, seed="test-grid-market-rate")
    d = deploy(chain, artifacts, market=MarketParams(tokens_per_currency_wad=2 * 10**18))  # t = 2
    scenario = parse_grid_scenario(
        {
            "name": "rate",
            "market": {
                "settlement": "grid_balanced",
                "feed_in_price": 0.4,
                "grid_price": 0.75,
                "grid_fee": 0.04,
            },
            "participants": [{"id": "g", "role": "generator"}, {"id": "c", "role": "consumer"}],
            "periods": [
                {
                    "contracts": [{"seller": "g", "buyer": "c", "price": 0.6, "energy_kwh": 10}],
                    "readings": [{"generated_kwh": 12, "consumed_kwh": 10}],
                }
            ],
        }
    )
    (row,) = run_grid_scenario(chain, d, scenario)["periods"][0]["contracts"]
    # eq 26-28 in tokens at t = 2: V_f = 2*(10*0.6 + 2*0.4), V_y = 2*10*(0.6+0.04), V_g = 2*(10*0.04 - 2*0.4)
    assert row["seller_income"] == pytest.approx(13.6)
    assert row["buyer_expense"] == pytest.approx(12.8)
    assert row["grid_revenue"] == pytest.approx(-0.8)
