"""GridBalancedSettlement and GridAccount (seed 001 eq 26-34, SPEC §4), driven by a stand-in market account.

Fixtures and helpers here are shared by tests/contracts/test_weights_*.py (imported from this module).

The order book path is exercised in tests/python/test_grid_market.py; here `market` (accounts[2]) holds the
policy's MARKET_ROLE so each rule can be checked in isolation. Every refusal is followed by a check that the
ledgers are exactly as before.
"""

import brownie
import pytest
from brownie import (
    CreditWeights,
    EnergyToken,
    GridAccount,
    GridBalancedSettlement,
    NodeWeights,
    PenaltyPool,
    accounts,
)
from conftest import CONSUMER, GENERATOR, SOLAR, approved, reverts_with

WAD = 10**18
TOKEN = 10**18
S, B, G = 4 * TOKEN // 10, 75 * TOKEN // 100, 4 * TOKEN // 100  # seed 001 §5.1 grid prices, per kWh
DECAY = 951229424500714009  # e^-0.05 in WAD
# seed 001 §5.2: alpha, beta, gamma, eta, mu1, mu2, lambda, phi, omega, e^-delta, l
PARAMS = (
    *(2 * WAD // 10, 2 * WAD // 10, 3 * WAD // 10, WAD // 10),
    *(WAD // 10, 2 * WAD // 10, WAD // 10, WAD // 2, WAD, DECAY, 30),
)
K = 10  # largest accepted buyer reading, in contracts


@pytest.fixture(scope="module")
def token(admin):
    return EnergyToken.deploy(admin, admin, WAD, 0, 0, {"from": admin})


@pytest.fixture(scope="module")
def credit(admin, registry):
    return CreditWeights.deploy(admin, registry, DECAY, 30, 0, {"from": admin})


@pytest.fixture(scope="module")
def pool(admin, token, credit):
    return PenaltyPool.deploy(admin, token, credit, admin, {"from": admin})


@pytest.fixture(scope="module")
def nodes(admin, credit, registry):
    return NodeWeights.deploy(admin, admin, credit, registry, PARAMS, {"from": admin})


@pytest.fixture(scope="module")
def grid(admin, token):
    return GridAccount.deploy(admin, admin, token, {"from": admin})


@pytest.fixture(scope="module")
def policy(admin, market, credit, pool, nodes, grid):
    p = GridBalancedSettlement.deploy(admin, S, B, G, K, credit, pool, nodes, grid, {"from": admin})
    for c in (credit, pool, nodes):
        c.grantRole(c.SETTLEMENT_ROLE(), p, {"from": admin})
    grid.grantRole(grid.POLICY_ROLE(), p, {"from": admin})
    p.grantRole(p.MARKET_ROLE(), market, {"from": admin})
    return p


@pytest.fixture(scope="module")
def seller(registry, auditor):
    return approved(registry, auditor, accounts[3], GENERATOR, SOLAR)


@pytest.fixture(scope="module")
def buyer(registry, auditor):
    return approved(registry, auditor, accounts[4], CONSUMER, 0)


@pytest.fixture(scope="module")
def bystander(registry, auditor, credit, admin):
    who = approved(registry, auditor, accounts[5], CONSUMER, 0)
    credit.enrol(who, 50 * WAD, {"from": admin})
    return who


def refused_role(account):
    """AccessControl's refusal naming `account` (brownie shows the role as raw bytes: not compared)."""
    return brownie.reverts(revert_pattern=rf"AccessControlUnauthorizedAccount: {str(account).lower()}, .*")


def terms(seller, buyer, order_id=1, period=1, energy_wh=100_000, price=6 * TOKEN // 10, total=None):
    return (order_id, period, seller, buyer, energy_wh, price, 0, total or energy_wh)


def ledgers(credit, pool, grid, policy, seller, buyer, order_id=1):
    """Everything a settlement writes, for before/after comparisons."""
    return (
        credit.creditWeight(seller),
        credit.creditWeight(buyer),
        credit.totalWeight(),
        credit.currentRound(),
        pool.queueLength(),
        pool.queuedTotal(),
        grid.totalOwed(),
        policy.isSettled(order_id),
    )


def test_a_stranger_cannot_settle(policy, credit, pool, grid, seller, buyer, stranger):
    before = ledgers(credit, pool, grid, policy, seller, buyer)
    with refused_role(stranger):
        policy.settle(terms(seller, buyer), 100_000, 100_000, {"from": stranger})
    assert ledgers(credit, pool, grid, policy, seller, buyer) == before


def test_an_order_settles_only_once(policy, credit, pool, grid, seller, buyer, market):
    t = terms(seller, buyer, total=200_000)
    policy.settle(t, 100_000, 90_000, {"from": market})
    before = ledgers(credit, pool, grid, policy, seller, buyer)
    with reverts_with("OrderAlreadySettled", 1):
        policy.settle(t, 100_000, 90_000, {"from": market})
    assert ledgers(credit, pool, grid, policy, seller, buyer) == before


def test_readings_above_the_bound_settle_at_the_cap(policy, credit, pool, grid, seller, buyer, market):
    """A reading above K contracts never blocks the order (issue 10, finding 2): it settles as the cap."""
    capped = policy.settle(terms(seller, buyer, 1, total=200_000), 100_000, K * 100_000 + 1, {"from": market})
    assert capped.events["ReadingCapped"]["cappedWh"] == K * 100_000
    exact = policy.settle(terms(seller, buyer, 2, total=200_000), 100_000, K * 100_000, {"from": market})
    assert capped.return_value[:4] == exact.return_value[:4]


def test_a_zero_contract_and_a_self_trade_are_refused(policy, credit, pool, grid, seller, buyer, market):
    before = ledgers(credit, pool, grid, policy, seller, buyer)
    with reverts_with("ZeroContractedEnergy", 1):
        policy.settle(terms(seller, buyer, energy_wh=0, total=1), 0, 0, {"from": market})
    with reverts_with("SelfTrade", 1, seller):
        policy.settle(terms(seller, seller), 100_000, 100_000, {"from": market})
    assert ledgers(credit, pool, grid, policy, seller, buyer) == before


def _settle(policy, market, t, delivered, received):
    outcome = policy.settle.call(t, delivered, received, {"from": market})
    tx = policy.settle(t, delivered, received, {"from": market})
    return outcome, tx


@pytest.mark.parametrize(
    ("delivered", "received"),
    [(100_000, 100_000), (100_000, 90_000), (70_000, 100_000), (60_000, 40_000), (130_000, 100_000), (0, 0)],
)
def test_every_outcome_pays_out_exactly_the_deposits(policy, seller, buyer, market, delivered, received):
    t = terms(seller, buyer, total=300_000)
    buyer_deposit, seller_deposit = policy.deposits(t)
    outcome, tx = _settle(policy, market, t, delivered, received)
    to_seller, to_buyer, to_grid, to_pool, seller_penalty, buyer_penalty, _ = outcome
    assert to_seller + to_buyer + to_grid + to_pool == buyer_deposit + seller_deposit
    b = tx.events["GridSettled"]["breakdown"]
    assert b["buyerExpense"] == b["sellerIncome"] + b["gridRevenue"]  # eq 26-31 balance
    assert to_pool == seller_penalty + buyer_penalty - b["sellerCompensation"] - b["buyerCompensation"]


def test_surplus_generation_is_owed_by_the_grid_account(policy, grid, token, seller, buyer, market, admin):
    _, tx = _settle(policy, market, terms(seller, buyer, total=100_000), 100_000, 90_000)
    feed_in = 10 * S  # 10 kWh at S
    assert tx.events["FeedInCredited"]["amount"] == feed_in
    assert grid.feedInOwed(seller) == feed_in
    with reverts_with("NothingPayable", seller, feed_in, 0, feed_in):  # pro rata share of nothing
        grid.withdrawFeedIn(seller, {"from": seller})
    assert grid.feedInOwed(seller) == feed_in
    token.issue(grid, feed_in, {"from": admin})
    with reverts_with("ExceedsSurplus", 1, 0):
        grid.withdrawSurplus(1, admin, {"from": admin})
    grid.withdrawFeedIn(seller, {"from": seller})
    assert token.balanceOf(seller) == feed_in
    assert grid.totalOwed() == 0


def test_only_a_policy_credits_feed_in_and_only_the_grid_operator_takes_surplus(grid, token, stranger, admin):
    with refused_role(stranger):
        grid.creditFeedIn(1, stranger, 10, {"from": stranger})
    token.issue(grid, 100, {"from": admin})
    with refused_role(stranger):
        grid.withdrawSurplus(100, stranger, {"from": stranger})
    with reverts_with("NothingOwed", stranger):
        grid.withdrawFeedIn(stranger, {"from": stranger})
    assert token.balanceOf(grid) == 100 and grid.totalOwed() == 0


def test_deposits_cover_the_worst_buyer_and_seller_readings(policy, credit, seller, buyer, market, admin):
    # U = 0.6: the seller's loss rate U-S = 0.2, the buyer's B-U-G = 0.11; C_e = 100 kWh
    credit.enrol(seller, 100 * WAD, {"from": admin})
    credit.enrol(buyer, 100 * WAD, {"from": admin})
    buyer_deposit, seller_deposit = policy.deposits(terms(seller, buyer))
    assert buyer_deposit == 75 * TOKEN + 2020 * TOKEN  # C_e*B + (U-S)*C_e*(1+100) > K*C_e*B = 750
    assert seller_deposit == 1111 * TOKEN  # (B-U-G)*C_e*(1+100)
    # the buyer takes nothing with weight 100: the largest buyer penalty, 0.2*100*(1+100)
    outcome, _ = _settle(policy, market, terms(seller, buyer, 1, total=200_000), 100_000, 0)
    assert outcome[5] == 2020 * TOKEN and outcome[1] == 75 * TOKEN
    # the seller delivers nothing with weight 100 while the buyer draws K contracts from the grid
    outcome, _ = _settle(policy, market, terms(seller, buyer, 2, total=200_000), 0, K * 100_000)
    assert outcome[4] == seller_deposit and outcome[0] == 0
    assert outcome[1] == buyer_deposit - 750 * TOKEN + 11 * TOKEN  # top-up at B, compensated (B-U-G)*C_e


def test_the_settlement_event_names_the_order_and_its_parties(policy, seller, buyer, market):
    _, tx = _settle(policy, market, terms(seller, buyer, 7, period=3), 100_000, 100_000)
    ev = tx.events["GridSettled"]
    assert (ev["orderId"], ev["periodId"], ev["seller"], ev["buyer"]) == (7, 3, seller, buyer)
    assert ev["breakdown"]["round"] == 3
    assert tx.events["DeliveryRecorded"]["seller"] == seller
