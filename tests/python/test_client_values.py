"""The Python API shows people's units: orders and settlements in kWh and tokens, transactions as a
short result instead of a raw receipt."""

import re
from dataclasses import replace

import pytest

from energy_trading.chain.txresult import TxResult
from energy_trading.clients.market import MarketClient, Order, OrderStatus, Origin, Settlement, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source


def test_order_repr_is_in_kwh_and_tokens():
    order = Order(
        3, "0x" + "a" * 40, 1, OrderStatus.ACTIVE, Origin.MATCHED, True, True, "0x" + "b" * 40, 2,
        kwh("12.5"), tokens("0.5"), tokens("0.1"), tokens("0.01"), tokens("6.35"), 0, 0, 0,
    )  # fmt: skip
    text = repr(order)
    assert "#3 MATCHED ACTIVE" in text
    assert "12.5 kWh at 0.5 tokens/kWh" in text
    assert "bonus 0.1 tokens" in text and "escrow buyer 6.35 tokens" in text
    assert "12500" not in text and str(tokens("0.5")) not in text
    assert order.energy_kwh == 12.5


def test_settlement_repr_is_in_kwh_and_tokens():
    s = Settlement(
        3, kwh(10), kwh("9.8"), tokens("0.01"), tokens(5), tokens("0.1"), 0, 0, 0, 0, tokens("0.1"), 188_205
    )
    text = repr(s)
    assert "10 kWh sent, 9.8 kWh received" in text and "seller 5 tokens" in text and "188,205 gas" in text


def test_transaction_helpers_return_a_small_result(deployment):
    reg = RegistryClient(deployment)
    p = reg.register("solar", Role.GENERATOR, Source.SOLAR)
    result = reg.approve(p.address)
    assert isinstance(result, TxResult)
    assert result.action == "approve from auditor" and result.gas_used > 21_000 and result.events >= 1
    shape = r"TxResult\(approve from auditor: block \d+, [\d,]+ gas, \d+ events, tx 0x[0-9a-f]{8}…\)"
    assert re.fullmatch(shape, repr(result))
    assert len(repr(result)) < 120
    market = MarketClient(deployment)
    funded = market.fund(p.address, tokens(5))
    assert funded.action == "issue from operator" and funded["status"] == 1


def test_an_unknown_order_or_period_is_an_error_not_a_zero_record(deployment):
    """`market.order(99)` printed a zero-filled Order (status NONE, 0x000… -> 0x000…) and `market.period(99)`
    a Period of zeros; both now say there is no such record and how many exist."""
    market = MarketClient(deployment)
    opened = market.open_period()
    no_order = r"order 99: no such order \((orders created: 1\.\.\d+|no order created yet)\)"
    with pytest.raises(ValueError, match=no_order):
        market.order(99)
    with pytest.raises(ValueError, match=rf"period 99: no such period \(periods opened: 1\.\.{opened.id}\)"):
        market.period(99)
    shown = repr(market.period(opened.id))
    assert re.search(r"publish until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", shown), shown  # ISO times, not unix s


def test_an_order_shows_the_labels_the_client_knows_and_advance_to_the_phase_reached(deployment):
    """Issue 11: an Order printed short addresses where the console knows each account by its label, and
    `advance_to` returned a bare unix time. The order names its parties by label (an address no label is
    known for stays short), and `advance_to` shows the phase reached and when it started while remaining
    the chain time it was (an int)."""
    reg, market = RegistryClient(deployment), MarketClient(deployment)
    seller = reg.register("solar-farm", Role.GENERATOR, Source.SOLAR)
    buyer = reg.register("bakery", Role.CONSUMER)
    for a in (seller, buyer):
        reg.approve(a.address)
    period = market.open_period()
    oid = market.propose(seller.address, period.id, buyer.address, kwh(2), tokens("0.5"))
    assert "solar-farm -> bakery, 2 kWh" in repr(market.order(oid))
    unlabelled = Order(
        1, "0x" + "a" * 40, 1, OrderStatus.AGREED, Origin.BILATERAL, False, False, "0x" + "b" * 40, 0,
        1, 1, 0, 0, 0, 0, 0, 0, labels={"0x" + "b" * 40: "bakery"},
    )  # fmt: skip
    assert "0xaaaa…aaaa -> bakery" in repr(unlabelled)
    assert unlabelled == replace(unlabelled, labels=None)  # labels only change how it prints

    reached = market.advance_to(period, "signing")
    assert reached == deployment.chain.now() >= period.match_end  # still the chain time, as before
    assert re.fullmatch(
        rf"PhaseReached\(signing of period #{period.id}, which started \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ; "
        r"chain time now \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)",
        repr(reached),
    ), repr(reached)
    assert f"{reached}" == str(int(reached))
    assert (reached.phase, reached.starts_at) == ("signing", period.match_end)
