"""Grid-balanced settlement on the signed book through the Python clients and `deploy` (issue 13): the
deployment maps `signed_grid_policy`, a period opened with it settles a signed order in its readings call from
signEnd with the period's contracted total, the breakdown is read from the signed book's policy and the grid
account collects its revenue from the signed book."""

from energy_trading.clients.grid import GridClient
from energy_trading.clients.market import MarketClient, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.clients.signed import SignedClient


def test_a_signed_grid_trade_settles_through_the_clients(deployment):
    d = deployment
    m, sb, g = MarketClient(d), SignedClient(d), GridClient.of(d, signed=True)
    reg = RegistryClient(d)
    seller = reg.register("signed-grid/gen", Role.GENERATOR, Source.WIND)
    buyer = reg.register("signed-grid/con", Role.CONSUMER, Source.NONE)
    for p in (seller, buyer):
        reg.approve(p.address)
        m.fund(p.address, tokens(1_000))
        sb.deposit(p.address, tokens(1_000))
    g.enrol(seller.address, 50)  # a seller with credit to lose pays more than the compensation (eq 32)
    policy = d.signed_grid_policy.address
    assert d.signed_book.functions.policyFor(policy).call() == policy
    period = m.open_period(policy=d.signed_grid_policy.address)
    o = sb.open(seller.address, period.id, buyer.address, kwh(10), tokens("0.5"))
    assert o.order[10] > 0  # the grid policy escrows a seller deposit against its penalty
    sb.approve(o)
    assert sb.period_contracted_wh(period.id) == kwh(10)
    m.advance_to(period, "delivery")
    # the seller delivers 8 kWh of 10: penalised (eq 32), the buyer compensated, the rest pooled
    st = sb.report(buyer.address, o, (kwh(8), seller.meters[0]), (kwh(10), buyer.meters[0]))
    assert st is not None and st.seller_penalty > 0 and st.to_pool > 0
    (b,) = g.breakdowns_in(sb.last_receipt)
    assert (b.seller, b.buyer, b.period_id) == (seller.address, buyer.address, period.id)
    # eq 16-17: the seller loses W * 2/10; eq 14-15 with the period's total (10 kWh): the buyer gains to Wmax
    assert (b.seller_weight_before, b.seller_weight_after) == (50, 40)
    assert (b.buyer_weight_before, b.buyer_weight_after) == (0, 100)
    assert d.token.functions.balanceOf(d.penalty_pool.address).call() == st.to_pool
    owed = sb.withdrawable(d.grid_account.address)
    assert owed == st.to_grid > 0
    g.collect(d.signed_book.address)
    assert sb.withdrawable(d.grid_account.address) == 0
    assert d.token.functions.balanceOf(d.grid_account.address).call() >= owed
