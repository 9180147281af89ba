"""Fixtures and helpers shared by the market test modules (token, periods, matching, orders, stateful).

Accounts: accounts[0] admin/operator/treasurer (receives handling fees), accounts[1] auditor,
accounts[3..8] participants, accounts[9] stranger. Energies are Wh, amounts token base units.
"""

from types import SimpleNamespace

import pytest
from brownie import (
    EnergyToken,
    HonestSupplierSettlement,
    MatchingMarket,
    OrderBook,
    ParticipantRegistry,
    ProviderReputation,
    SignedBook,
    accounts,
    chain,
)
from conftest import (
    ATTESTATION,
    CONSUMER,
    GENERATOR,
    PROSUMER,
    SOLAR,
    SOURCE_NONE,
    approve_meters,
    meter_request,
    new_meter,
)
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3

from energy_trading.clients.market import meter_reading_typed_data

WAD = 10**18
TOKEN = WAD
ALPHA = 4 * WAD // 10
FEE = WAD // 100
TAU = 200
FAUCET = 1_000 * TOKEN
COOLDOWN = 3_600
PUBLISH, MATCHING, SIGNING, READINGS = 3_600, 1_800, 3_600, 86_400
GRACE = 7 * 86_400  # settlementGrace: a policy refusal falls back to refunds this long after readingsEnd
PROPOSED, AGREED, APPROVED_ORDER, ACTIVE, SETTLED, REJECTED, CANCELLED = range(1, 8)
SELLER_SIDE, BUYER_SIDE = 0, 1
ZONE_NORTH = Web3.to_bytes(text="north").ljust(32, b"\0")
ZONE_SOUTH = Web3.to_bytes(text="south").ljust(32, b"\0")


@pytest.fixture(scope="module")
def mkt(registry, admin, auditor):
    """Every market contract deployed and wired as `energy_trading.chain.deploy` does."""
    token = EnergyToken.deploy(admin, admin, WAD, FAUCET, COOLDOWN, {"from": admin})
    reputation = ProviderReputation.deploy(admin, ALPHA, {"from": admin})
    book = OrderBook.deploy(admin, admin, registry, token, reputation, admin, FEE, GRACE, {"from": admin})
    matching = MatchingMarket.deploy(admin, admin, book, registry, reputation, token, {"from": admin})
    honest = HonestSupplierSettlement.deploy(book, TAU, {"from": admin})
    registry.grantRole(registry.MARKET_ROLE(), book, {"from": admin})
    registry.grantRole(registry.METER_BUDGET_ROLE(), book, {"from": admin})
    reputation.grantRole(reputation.RECORDER_ROLE(), book, {"from": admin})
    book.grantRole(book.MATCHER_ROLE(), matching, {"from": admin})
    book.setPolicyAllowed(honest, True, {"from": admin})
    return SimpleNamespace(
        token=token, reputation=reputation, book=book, matching=matching, honest=honest, admin=admin
    )


def deploy_signed_book(admin, order_book, token):
    """A signed book on `order_book`'s periods holding its registry's METER_BUDGET_ROLE, as the deployment
    wires it (every market counts the readings it accepts against the meter's one budget in the registry)."""
    book = SignedBook.deploy(admin, order_book, token, {"from": admin})
    registry = ParticipantRegistry.at(order_book.registry())
    registry.grantRole(registry.METER_BUDGET_ROLE(), book, {"from": admin})
    return book


def join(registry, auditor, who, role=GENERATOR, zone=ZONE_NORTH):
    """Register `who` with one fresh meter and approve it; returns the meter."""
    source = SOURCE_NONE if role == CONSUMER else SOLAR
    meter = new_meter()
    registry.register(role, source, zone, ATTESTATION, [meter_request(registry, who, meter)], {"from": who})
    registry.approve(who, {"from": auditor})
    approve_meters(registry, auditor, who)
    return meter


@pytest.fixture(scope="module")
def people(registry, auditor, mkt, admin):
    """Two providers (3, 4), two consumers (5, 6), a prosumer (7), each approved with one meter and
    1000 tokens; accounts[8] stays unregistered."""
    roles = {3: GENERATOR, 4: GENERATOR, 5: CONSUMER, 6: CONSUMER, 7: PROSUMER}
    meters = {}
    for i, role in roles.items():
        meters[i] = join(registry, auditor, accounts[i], role)
        mkt.token.issue(accounts[i], 1_000 * WAD, {"from": admin})
    # A meter's readings are bounded by its Wh budget, rated power x the time since its approval (issue 10):
    # 0 in the approval's own second. An hour passes after the approvals, so a test that reads in the same
    # second as its fixtures has budget: 1 GW x 1 h = 1,000 MWh per meter covers every test's cumulative
    # readings (one second, 278 kWh, would not: test_market_trust reads 300 kWh on one meter).
    chain.sleep(3_600)
    chain.mine()
    return SimpleNamespace(
        p1=accounts[3],
        p2=accounts[4],
        c1=accounts[5],
        c2=accounts[6],
        pro=accounts[7],
        outsider=accounts[8],
        meter={accounts[i]: meters[i] for i in roles},
    )


def block_time():
    """The latest block's timestamp (what the contracts see, unlike brownie's wall-clock `chain.time()`)."""
    return chain[-1].timestamp


def open_period(mkt, policy=None):
    """Open a period starting now with the default phase lengths; returns (id, period tuple)."""
    # a chain.sleep() since the latest block stamps the next block that much later: mine it first, or
    # publishEnd could equal block.timestamp (BadSchedule) when no wall-clock second passed in between
    chain.mine()
    now = block_time() + 1
    publish_end = now + PUBLISH
    tx = mkt.book.openPeriod(
        policy or mkt.honest,
        publish_end,
        publish_end + MATCHING,
        publish_end + MATCHING + SIGNING,
        publish_end + MATCHING + SIGNING + READINGS,
        {"from": mkt.admin},
    )
    pid = tx.events["PeriodOpened"]["periodId"]
    return pid, mkt.book.period(pid)


def goto(period, phase):
    """Move the clock to the start of a phase: 'matching', 'signing', 'settlement'."""
    target = {"matching": period[2], "signing": period[3], "settlement": period[5]}[phase]
    while block_time() < target:
        chain.sleep(target - block_time())
        chain.mine()


def cost_up(energy_wh, price):
    return -(-energy_wh * price // 1000)


def active_order(mkt, people, auditor, energy=10_000, price=TOKEN // 2, bonus=TOKEN, seller=None, buyer=None):
    """A bilateral order taken to Active: proposed, accepted with `bonus`, approved, signed by the buyer.
    Returns (order id, period)."""
    seller = seller or people.p1
    buyer = buyer or people.c1
    pid, period = open_period(mkt)
    oid = mkt.book.proposeContract(pid, buyer, energy, price, {"from": seller}).events["ContractProposed"][
        "orderId"
    ]
    mkt.book.acceptProposal(oid, bonus, {"from": buyer})
    mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    deposit = cost_up(energy, price) + bonus + FEE
    mkt.token.approve(mkt.book, deposit, {"from": buyer})
    mkt.book.sign(oid, {"from": buyer})
    return oid, period


def reading_signature(book, meter, order_id, side, energy_wh, nonce=None):
    """The meter's EIP-712 signature over a reading (its current nonce unless given)."""
    nonce = book.nonces(meter) if nonce is None else nonce
    typed = meter_reading_typed_data(chain.id, book.address, order_id, side, energy_wh, meter.address, nonce)
    signed = Account.from_key(meter.private_key).sign_message(encode_typed_data(full_message=typed))
    return signed.signature


def balances(mkt, *who):
    """Token balances and withdrawable amounts of `who`, plus the order book's totals."""
    return (
        tuple(mkt.token.balanceOf(a) for a in who),
        tuple(mkt.book.withdrawable(a) for a in who),
        mkt.token.balanceOf(mkt.book),
        mkt.book.totalEscrowed(),
        mkt.book.totalWithdrawable(),
    )


__all__ = [
    "ACTIVE",
    "AGREED",
    "ALPHA",
    "APPROVED_ORDER",
    "BUYER_SIDE",
    "CANCELLED",
    "CONSUMER",
    "COOLDOWN",
    "FAUCET",
    "FEE",
    "GENERATOR",
    "GRACE",
    "MATCHING",
    "PROPOSED",
    "PUBLISH",
    "READINGS",
    "REJECTED",
    "SELLER_SIDE",
    "SETTLED",
    "SIGNING",
    "TAU",
    "TOKEN",
    "WAD",
    "ZONE_NORTH",
    "ZONE_SOUTH",
    "active_order",
    "balances",
    "block_time",
    "cost_up",
    "goto",
    "join",
    "mkt",
    "open_period",
    "people",
    "reading_signature",
]
