"""Refusals read as a user needs them: enum members by name, unix times as ISO 8601, and what to do
about a step attempted outside its window."""

import re

import pytest

from energy_trading import ChainRevert
from energy_trading.clients.market import MarketClient, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source


def test_wrong_status_names_the_statuses(deployment):
    reg = RegistryClient(deployment)
    p = reg.register("solar", Role.GENERATOR, Source.SOLAR)
    reg.approve(p.address)
    with pytest.raises(ChainRevert) as refusal:
        reg.approve(p.address)
    message = str(refusal.value)
    assert re.search(r"WrongStatus\(account=0x[0-9a-fA-F]{40}, actual=APPROVED, expected=PENDING\)", message)
    assert refusal.value.args_by_name["actual"] == 2  # the raw value stays available to code


def test_outside_window_prints_iso_times_and_how_to_get_in(deployment):
    reg, market = RegistryClient(deployment), MarketClient(deployment)
    seller = reg.register("solar", Role.GENERATOR, Source.SOLAR)
    reg.approve(seller.address)
    period = market.open_period()
    market.advance_to(period, "signing")
    with pytest.raises(ChainRevert) as late:
        market.publish_offer(seller.address, period.id, tokens("0.5"), kwh(10))
    message = str(late.value)
    assert re.search(r"OutsideWindow\(periodId=1, now_=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, from=\d{4}-", message)
    assert "window closed" in message and "open a new period" in message

    early = MarketClient(deployment).open_period()
    buyer = reg.register("home", Role.CONSUMER)
    reg.approve(buyer.address)
    r = market.publish_request(buyer.address, early.id, kwh(5))
    with pytest.raises(ChainRevert) as too_soon:
        market.submit(buyer.address, early.id, [(r, 1)])
    assert "opens in" in str(too_soon.value) and "advance_to" in str(too_soon.value)


def test_a_no_bound_sentinel_prints_as_never_not_a_crash():
    """`settle` before the readings end reverts `OutsideWindow(now, readingsEnd, type(uint64).max)`:
    rendering the sentinel as a date raised `OverflowError` and lost the refusal (newcomer finding 1);
    `RoundNotClosable`'s `closableFrom = type(uint256).max` printed 78 digits."""
    early = ChainRevert("OutsideWindow", {"now_": 1_000, "from": 1_600, "until": 2**64 - 1}, "settle")
    assert "until=never" in str(early) and "this step opens in 600 s" in str(early)
    round_ = ChainRevert("RoundNotClosable", {"round": 3, "closableFrom": 2**256 - 1})
    assert str(round_) == "reverted with RoundNotClosable(round=3, closableFrom=never)"
    assert "closableFrom=1970-01-02T00:00:00Z" in str(
        ChainRevert("RoundNotClosable", {"round": 3, "closableFrom": 86_400})
    )
