"""`SignedClient` against a real in-process `SignedBook`: one trade end to end (its settlement equals the
honest-supplier oracle `honest_supplier_split`), a batch with a bad middle item, conservation by summation,
the reputation tally folded into RC (seed 003 eq 1-2, against the integer mirror `ReputationLedger`)."""

import pytest

from energy_trading import connect, deploy
from energy_trading.clients.market import MarketClient, honest_supplier_split, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.clients.signed import SignedClient, Tally
from energy_trading.models.reputation import ReputationLedger


@pytest.fixture(scope="module")
def world(artifacts):
    """A deployment with one provider and two consumers, 100 tokens each in the signed book, one period."""
    chain = connect()
    d = deploy(chain, artifacts)
    reg, mk, sb = RegistryClient(d), MarketClient(d), SignedClient(d)
    seller = reg.register("s", Role.GENERATOR, Source.SOLAR, zone="north")
    buyers = [reg.register(f"b{i}", Role.CONSUMER, zone="north") for i in range(2)]
    for a in [seller, *buyers]:
        reg.approve(a.address)
        mk.fund(a.address, tokens(100))
        sb.deposit(a.address, tokens(100))
    chain.advance_to(chain.now() + 3_600)  # meter budgets (rated power x time since approval)
    return chain, d, mk, sb, seller, buyers, mk.open_period()


def _held(sb, d, accounts, open_orders):
    fee = d.signed_book.functions.handlingFee().call()
    escrow = sum(o.order[9] + fee + o.order[10] for o in open_orders if sb.status(o) != 0)
    fees = sb.uncollected_fees([(o.seller, o.order[0]) for o in open_orders])  # accrued at settlement
    return sum(sb.withdrawable(a) for a in accounts) + escrow + fees


def test_one_trade_settles_in_the_readings_call_as_the_oracle_says(world):
    _, d, _, sb, seller, (buyer, _), period = world
    o = sb.open(seller.address, period.id, buyer.address, kwh(10), tokens("0.5"), tokens("0.2"))
    assert sb.status(o) == 1
    sb.approve(o)
    assert sb.status(o) == 2
    s = sb.report(d.operator, o, (kwh(10), seller.meters[0]), (kwh("9.9"), buyer.meters[0]))
    assert s is not None and sb.status(o) == 0
    oracle = honest_supplier_split(
        kwh(10), tokens("0.5"), tokens("0.2"), kwh(10), kwh("9.9"), d.market_params.tau_wh
    )
    assert (s.to_seller, s.to_buyer) == (oracle["to_seller"], oracle["to_buyer"])


def test_a_bad_middle_item_is_skipped_and_the_book_conserves_tokens(world):
    _, d, mk, sb, seller, (b1, b2), period = world
    deals = [sb.deal(seller.address, period.id, b.address, kwh(1), tokens("0.5")) for b in (b1, b2, b1)]
    bad = list(deals[1])
    bad[2] = seller.address  # a self-trade: refused
    orders = sb.open_many(d.operator, [deals[0], tuple(bad), deals[2]])
    assert len(orders) == 2 and [i for i, _ in sb.skipped()] == [1]
    sb.approve_many(orders)
    items = [sb.report_item(o, (kwh(1), seller.meters[0]), (kwh(1), b1.meters[0])) for o in orders]
    items.insert(1, sb.report_item(orders[0], (kwh(1), seller.meters[0]), None))  # settled by item 0 first
    settled = sb.report_many(d.operator, items)
    assert len(settled) == 2 and [i for i, _ in sb.skipped()] == [1]
    accounts = [seller.address, b1.address, b2.address, d.operator]
    assert mk.balance(d.signed_book.address) == _held(sb, d, accounts, orders)
    # the fees accrued in the seller's period tally (these two trades' and the earlier test's); anyone
    # credits them to the operator, once
    fee, before = d.signed_book.functions.handlingFee().call(), sb.withdrawable(d.operator)
    due = sb.uncollected_fees([(seller.address, period.id)])
    assert due == fee * sb.tally(seller.address, period.id).trades and due >= 2 * fee
    assert sb.collect_fees(b2.address, [(seller.address, period.id)] * 2) == due
    assert sb.withdrawable(d.operator) == before + due
    assert sb.collect_fees(b2.address, [(seller.address, period.id)]) == 0  # nothing left: no transaction
    assert mk.balance(d.signed_book.address) == _held(sb, d, accounts, orders)


def test_settled_trades_fold_into_the_sellers_reputation(world):
    chain, d, mk, sb, _, (buyer, _), _ = world
    seller = RegistryClient(d).register("s2", Role.GENERATOR, Source.SOLAR, zone="north")  # no earlier period
    RegistryClient(d).approve(seller.address)
    mk.fund(seller.address, tokens(10))
    sb.deposit(seller.address, tokens(10))
    chain.advance_to(chain.now() + 3_600)  # the new meter's budget
    period = mk.open_period()
    ledger = ReputationLedger(d.market_params.alpha_wad)
    for delivered in (kwh(2), kwh("0.5")):  # v = 1, then 0.25
        o = sb.open(seller.address, period.id, buyer.address, kwh(2), tokens("0.5"))
        sb.approve(o)
        sb.report(d.operator, o, (delivered, seller.meters[0]), (delivered, buyer.meters[0]))
        ledger.record("s", period.id, delivered, kwh(2))
    assert sb.tally(seller.address, period.id) == Tally(0, 2, 10**18 + 10**18 // 4)
    mk.advance_to(period, "settlement")
    assert sb.fold(seller.address, d.operator) == ledger.fold("s") == d.market_params.alpha_wad * 5 // 8


def test_matched_pairs_open_through_the_client_and_a_skipped_one_opens_on_retry(world):
    """The lean matched path: publish, submit, `materialize` on the signed book (one chunk per call here, so
    a skip index is reported in the caller's pair numbering), then the SignedBook lifecycle. Runs last: it
    moves the clock past the module's period."""
    _, d, mk, sb, seller, (b1, b2), _ = world
    period = mk.open_period()
    offer = mk.publish_offer(seller.address, period.id, tokens("0.5"), kwh(10))
    r1 = mk.publish_request(b1.address, period.id, kwh(2), tokens("0.1"))
    r2 = mk.publish_request(b2.address, period.id, kwh(3), 0)
    pairs = [(r1, offer), (r2, offer)]
    mk.advance_to(period, "matching")
    mk.submit(b1.address, period.id, pairs)
    mk.advance_to(period, "signing")
    for b in (b1, b2):  # each buyer accepts the offer's price (a request names none; default cap 0)
        sb.set_matched_price_cap(b.address, tokens("0.5"))
    assert sb.matched_price_cap(b1.address) == tokens("0.5")
    with pytest.raises(ValueError, match="max_price_per_kwh"):
        sb.set_matched_price_cap(b1.address, -1)
    sb.withdraw(b2.address)  # b2 holds nothing on the signed book: its pair is skipped
    orders = sb.materialize(d.operator, period.id, pairs, chunks_per_call=1)
    assert [o.id for o in orders] == [sb.matched_order_id(r1)]
    assert [i for i, _ in sb.matched_skipped] == [1]
    terms = (period.id, seller.address, b1.address, kwh(2), tokens("0.5"), tokens("0.1"))
    assert orders[0].order[:6] == terms  # from the request and the offer
    mk.fund(b2.address, tokens(10))
    sb.deposit(b2.address, tokens(10))
    retried = sb.materialize(d.operator, period.id, pairs)
    assert [o.id for o in retried] == [sb.matched_order_id(r2)] and [i for i, _ in sb.matched_skipped] == [0]
    sb.approve_many(orders + retried)
    s = sb.report(d.operator, orders[0], (kwh(2), seller.meters[0]), (kwh(2), b1.meters[0]))
    assert s is not None and s.to_seller == tokens(1) + tokens("0.1")  # 2 kWh at 0.5 and the whole bonus
    with pytest.raises(ValueError, match="chunks_per_call"):
        sb.materialize(d.operator, period.id, pairs, chunks_per_call=0)
