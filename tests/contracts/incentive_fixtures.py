"""Fixtures and helpers shared by the incentive-currency test modules (seed 004 §3.4, SPEC §8).

The incentive contract reads the market's settled orders, so these build on market_fixtures (mkt, people).
Amounts of incentive currency have 18 decimals (UNIT); EnergyToken amounts are base units.
"""

from types import SimpleNamespace

import pytest
from brownie import IncentiveCurrency, accounts, chain, web3
from market_fixtures import (
    BUYER_SIDE,
    FEE,
    SELLER_SIDE,
    TOKEN,
    WAD,
    active_order,
    block_time,
    goto,
)

UNIT = 10**18
DAY = 86_400
HOUR = 3_600
VINTAGE_SECONDS = DAY
BLOCK_REWARD = 5 * UNIT
BLOCK_REWARD_LIFE = 7 * DAY
# One incentive unit is worth 0.001 token towards a fee and 0.0005 token when redeemed.
FEE_RATE = WAD // 1_000
REDEEM_RATE = WAD // 2_000
RESERVE = 10 * TOKEN
OFF_PEAK, PEAK = 1, 2
PEAK_PER_KWH = 2 * UNIT
OFF_PEAK_PER_KWH = UNIT // 2
PEAK_LIFE = 30 * DAY
OFF_PEAK_LIFE = 3 * DAY
URI = "https://energy-trading.example/incentives/{id}.json"
SETTLED = 5


def hour_of(timestamp):
    return (timestamp % DAY) // HOUR


def tariff_bands(peak_hours=range(24), idle_hours=()):
    """24 hour -> band entries: `peak_hours` peak, `idle_hours` not incentivised, the rest off-peak."""
    return [0 if h in idle_hours else PEAK if h in peak_hours else OFF_PEAK for h in range(24)]


BANDS = [(OFF_PEAK_PER_KWH, OFF_PEAK_LIFE), (PEAK_PER_KWH, PEAK_LIFE)]


def deploy_incentives(mkt, admin, fund=RESERVE):
    inc = IncentiveCurrency.deploy(
        admin,
        admin,
        mkt.book,
        mkt.token,
        VINTAGE_SECONDS,
        BLOCK_REWARD,
        BLOCK_REWARD_LIFE,
        (FEE_RATE, REDEEM_RATE),
        URI,
        {"from": admin},
    )
    if fund:
        mkt.token.issue(admin, fund, {"from": admin})
        mkt.token.approve(inc, fund, {"from": admin})
        inc.fundReserve(fund, {"from": admin})
    return inc


@pytest.fixture(scope="module")
def inc(mkt, admin):
    """The incentive currency, reserve funded, with no tariff yet."""
    return deploy_incentives(mkt, admin)


def read(mkt, people, oid, side, energy, seller, buyer):
    party = seller if side == SELLER_SIDE else buyer
    meter = people.meter[party]
    mkt.book.submitReading(oid, side, energy, meter, b"", {"from": meter})


def settled_order(
    mkt, people, auditor, energy=10_000, delivered=10_000, received=10_000, seller=None, buyer=None
):
    """A bilateral order taken through delivery and settlement; returns (order id, period tuple)."""
    seller = seller or people.p1
    buyer = buyer or people.c1
    oid, period = active_order(mkt, people, auditor, energy, TOKEN // 2, TOKEN, seller=seller, buyer=buyer)
    if delivered:
        read(mkt, people, oid, SELLER_SIDE, delivered, seller, buyer)
    if received:
        read(mkt, people, oid, BUYER_SIDE, received, seller, buyer)
    goto(period, "settlement")
    mkt.book.settle(oid, {"from": accounts[9]})
    return oid, period


def delivery_time(period):
    """The stamp of a purchase: the period's delivery start (signEnd)."""
    return period[4]


def set_coinbase(address):
    """Make anvil seal the next blocks with `address` as block.coinbase."""
    web3.provider.make_request("anvil_setCoinbase", [str(address)])


def sleep_past(timestamp):
    """Mine a block whose timestamp is at least `timestamp`."""
    if block_time() < timestamp:
        chain.sleep(timestamp - block_time())
    chain.mine()


def market_books(mkt):
    """The order book's conservation terms (token balance, escrowed, withdrawable)."""
    return (mkt.token.balanceOf(mkt.book), mkt.book.totalEscrowed(), mkt.book.totalWithdrawable())


def snapshot(inc, mkt, holders, ids):
    """Everything a refused call must leave unchanged."""
    return SimpleNamespace(
        balances=tuple(inc.balanceOf(h, i) for h in holders for i in ids),
        vintages=tuple(tuple(inc.vintage(i)) for i in ids),
        totals=tuple(inc.totals()),
        reserve=mkt.token.balanceOf(inc),
        tokens=tuple(mkt.token.balanceOf(h) for h in holders),
        tariffs=inc.tariffCount(),
        rates=tuple(inc.rates()),
    ).__dict__


__all__ = [
    "BANDS",
    "BLOCK_REWARD",
    "BLOCK_REWARD_LIFE",
    "DAY",
    "FEE",
    "FEE_RATE",
    "HOUR",
    "OFF_PEAK",
    "OFF_PEAK_LIFE",
    "OFF_PEAK_PER_KWH",
    "PEAK",
    "PEAK_LIFE",
    "PEAK_PER_KWH",
    "REDEEM_RATE",
    "RESERVE",
    "SETTLED",
    "UNIT",
    "URI",
    "VINTAGE_SECONDS",
    "delivery_time",
    "deploy_incentives",
    "hour_of",
    "inc",
    "market_books",
    "set_coinbase",
    "settled_order",
    "sleep_past",
    "snapshot",
    "tariff_bands",
]
