"""Issue 10 regressions: the six findings of the attacker review, one test (or two) per finding.

Each test fails on the contracts before the fix (named per test) and asserts that every refusal leaves the
state unchanged. Both policies run on one order book: `mkt` (honest-supplier) from market_fixtures plus the
grid-balanced policy deployed here on the same token and registry.
"""

from types import SimpleNamespace

import brownie
import pytest
from brownie import (
    CreditWeights,
    GridAccount,
    GridBalancedSettlement,
    NodeWeights,
    PenaltyPool,
    accounts,
    chain,
    web3,
)
from conftest import DEVICE, add_meter, approve_meters, new_meter, plain, reverts_with
from market_fixtures import (
    ACTIVE,
    BUYER_SIDE,
    CANCELLED,
    GRACE,
    SELLER_SIDE,
    SETTLED,
    TOKEN,
    active_order,
    balances,
    block_time,
    goto,
    open_period,
    reading_signature,
)
from test_grid_settlement import DECAY, PARAMS, B, G, K, S

R, PRICE = 10_000, 6 * TOKEN // 10  # 10 kWh at 0.6 tokens/kWh (grid deposits ~210 tokens)


@pytest.fixture(scope="module")
def grid(mkt, registry, admin):
    """The grid-balanced policy on the market's order book (roles as energy_trading.deploy grants them)."""
    credit = CreditWeights.deploy(admin, registry, DECAY, 30, 0, {"from": admin})
    pool = PenaltyPool.deploy(admin, mkt.token, credit, admin, {"from": admin})
    nodes = NodeWeights.deploy(admin, admin, credit, registry, PARAMS, {"from": admin})
    account = GridAccount.deploy(admin, admin, mkt.token, {"from": admin})
    policy = GridBalancedSettlement.deploy(admin, S, B, G, K, credit, pool, nodes, account, {"from": admin})
    for c in (credit, pool, nodes):
        c.grantRole(c.SETTLEMENT_ROLE(), policy, {"from": admin})
    account.grantRole(account.POLICY_ROLE(), policy, {"from": admin})
    policy.grantRole(policy.MARKET_ROLE(), mkt.book, {"from": admin})
    mkt.book.setPolicyAllowed(policy, True, {"from": admin})
    return SimpleNamespace(policy=policy, credit=credit, pool=pool, account=account)


def grid_order(mkt, people, auditor, grid, pid, seller=None, buyer=None):
    """A bilateral grid-balanced order of period `pid`, approved and signed by both parties (Active)."""
    seller, buyer = seller or people.p1, buyer or people.c1
    book = mkt.book
    oid = book.proposeContract(pid, buyer, R, PRICE, {"from": seller}).events["ContractProposed"]["orderId"]
    book.acceptProposal(oid, 0, {"from": buyer})
    book.approveOrder(oid, book.termsHash(oid), {"from": auditor})
    o = book.order(oid)
    mkt.token.approve(book, o[12] + book.handlingFee(), {"from": buyer})
    mkt.token.approve(book, o[13], {"from": seller})
    book.sign(oid, {"from": buyer})
    book.sign(oid, {"from": seller})
    assert book.order(oid)[2] == ACTIVE
    return oid


def read(mkt, people, oid, side, wh, meter=None):
    """Relay a reading of `side`'s meter (the party's own unless `meter` is given)."""
    o = mkt.book.order(oid)
    party = o[0] if side == SELLER_SIDE else o[6]
    meter = meter or {str(a): m for a, m in people.meter.items()}[str(party)]
    sig = reading_signature(mkt.book, meter, oid, side, wh)
    return mkt.book.submitReading(oid, side, wh, meter, sig, {"from": accounts[9]})


def sleep_until(t):
    if block_time() < t:
        chain.sleep(t - block_time())
    chain.mine()


def order_state(mkt, oid, *who):
    return (plain(mkt.book.order(oid)), balances(mkt, *who))


# ---------------------------------------------------------------- finding 1: late grid order stuck forever


def test_a_grid_order_its_policy_refuses_falls_back_to_refunds_after_the_grace(
    mkt, people, auditor, grid, registry, admin
):
    """Before the fix: an order its policy refused to settle (then: `RoundClosed`, the credit round of a
    late order already closed, since fixed by review finding 1) stayed Active forever (no fallback existed),
    so both deposits stayed locked and neither party could exit. The refusal here: the policy no longer
    accepts the order book (`AccessControlUnauthorizedAccount`)."""
    p1, period1 = open_period(mkt, grid.policy)
    late = grid_order(mkt, people, auditor, grid, p1)
    goto(period1, "settlement")
    grid.policy.revokeRole(grid.policy.MARKET_ROLE(), mkt.book, {"from": admin})
    before = order_state(mkt, late, people.p1, people.c1)
    # the policy's refusal still blocks during the grace period
    with reverts_with("AccessControlUnauthorizedAccount"):
        mkt.book.settle(late, {"from": accounts[9]})
    assert order_state(mkt, late, people.p1, people.c1) == before

    sleep_until(period1[5] + GRACE)
    o = mkt.book.order(late)
    escrowed = mkt.book.totalEscrowed()
    tx = mkt.book.settle(late, {"from": accounts[9]})  # anyone: the documented fallback
    ev = tx.events["SettlementFellBack"]
    assert (ev["refundedToBuyer"], ev["refundedToSeller"]) == (o[12] + o[11], o[13])
    assert mkt.book.order(late)[2] == CANCELLED
    assert mkt.book.totalEscrowed() == escrowed - o[12] - o[11] - o[13]
    assert mkt.book.withdrawable(people.c1) == o[12] + o[11]
    assert mkt.book.withdrawable(people.p1) == o[13]
    assert registry.participant(people.p1)[6] == 0 and registry.participant(people.c1)[6] == 0
    assert mkt.token.balanceOf(mkt.book) == mkt.book.totalEscrowed() + mkt.book.totalWithdrawable()


# ------------------------------------------------ finding 2: a reading above the bound locks the order


def test_readings_above_the_bound_settle_at_the_cap(mkt, people, auditor, grid):
    """Before the fix: `ReadingAboveBound` left the order Active with no path out (readings never decrease).
    Now both readings are capped at maxReadingFactor x C_e, which also caps the feed-in the grid owes."""
    pid, period = open_period(mkt, grid.policy)
    oid = grid_order(mkt, people, auditor, grid, pid)
    read(mkt, people, oid, BUYER_SIDE, K * R + 1)
    read(mkt, people, oid, SELLER_SIDE, 3 * K * R)
    goto(period, "settlement")
    tx = mkt.book.settle(oid, {"from": accounts[9]})
    capped = {(e["sellerSide"], e["reportedWh"], e["cappedWh"]) for e in tx.events["ReadingCapped"]}
    assert capped == {(False, K * R + 1, K * R), (True, 3 * K * R, K * R)}
    assert mkt.book.order(oid)[2] == SETTLED
    assert grid.account.totalOwed() == 0  # capped seller == capped buyer: no surplus, no feed-in
    assert mkt.token.balanceOf(mkt.book) == mkt.book.totalEscrowed() + mkt.book.totalWithdrawable()


def test_reputation_folds_a_period_with_an_unsettled_order_after_its_deadline(mkt, people, auditor):
    """Before the fix: `fold` stopped at the oldest period while any of its trades was open, forever."""
    first, period = active_order(mkt, people, auditor)
    second, _ = active_order(mkt, people, auditor)  # another period; never settled by anybody
    assert mkt.book.order(second)[1] != mkt.book.order(first)[1]
    read(mkt, people, first, SELLER_SIDE, 10_000)
    goto(period, "settlement")
    mkt.book.settle(first, {"from": accounts[9]})
    pending = mkt.reputation.pendingPeriods(people.p1)
    sleep_until(mkt.book.period(mkt.book.order(second)[1])[5] + GRACE)
    tx = mkt.reputation.fold(people.p1, {"from": accounts[9]})
    assert mkt.reputation.pendingPeriods(people.p1) == []
    assert len(pending) == 2 and len(tx.events["ReputationFolded"]) == 1  # the empty period leaves RC as is
    assert mkt.reputation.reputationOf(people.p1) > 0
    rc = mkt.reputation.reputationOf(people.p1)
    tx = mkt.book.settle(second, {"from": accounts[9]})  # still settles; the folded record ignores it
    assert "LateTradeIgnored" in tx.events
    assert mkt.reputation.reputationOf(people.p1) == rc


# ---------------------------------------------------------------- finding 3: matched self-trade


def test_the_verifier_refuses_a_prosumer_matched_with_itself(mkt, people):
    """Before the fix: the pair (own request, own offer) passed every check and became an order."""
    pid, period = open_period(mkt)
    offer = mkt.matching.publishOffer(pid, TOKEN // 2, 20_000, {"from": people.pro}).events["OfferPublished"][
        "offerId"
    ]
    request = mkt.matching.publishRequest(pid, 5_000, 0, {"from": people.pro}).events["RequestPublished"][
        "requestId"
    ]
    goto(period, "matching")
    before = plain(mkt.matching.best(pid))
    with reverts_with("SelfMatch", 0, people.pro):
        mkt.matching.submitAssignment(pid, [(request, offer)], {"from": people.c1})
    assert plain(mkt.matching.best(pid)) == before


def test_create_matched_order_refuses_a_self_trade(mkt, people, admin):
    """Before the fix: only `proposeContract` refused seller == buyer."""
    mkt.book.grantRole(mkt.book.MATCHER_ROLE(), admin, {"from": admin})
    pid, period = open_period(mkt)
    goto(period, "signing")
    with reverts_with("SelfTrade", people.pro):
        mkt.book.createMatchedOrder(pid, people.pro, people.pro, 1, R, PRICE, 0, {"from": admin})
    assert mkt.book.orderCount() == 0


# ---------------------------------------------------------------- finding 4: meters are approved devices


def test_a_meter_the_auditor_has_not_approved_reports_nothing(mkt, people, auditor, registry):
    """Before the fix: `addMeter(meter)` bound any key at once and its readings counted."""
    oid, _ = active_order(mkt, people, auditor)
    mine = new_meter()
    add_meter(registry, people.p1, mine, 10**9, DEVICE)
    before = (plain(mkt.book.order(oid)), mkt.book.nonces(mine))
    with reverts_with("MeterNotApproved", mine, 1):
        read(mkt, people, oid, SELLER_SIDE, R, meter=mine)
    assert (plain(mkt.book.order(oid)), mkt.book.nonces(mine)) == before


def test_readings_above_rated_power_times_time_are_implausible(mkt, people, auditor, registry):
    """Before the fix: no bound at all (and `addMeter` took no rated power)."""
    small = new_meter()
    add_meter(registry, people.p1, small, 1_000, DEVICE)  # a 1 kW device
    approve_meters(registry, auditor, people.p1)
    chain.sleep(3_600)
    oid, _ = active_order(mkt, people, auditor)
    before = (plain(mkt.book.order(oid)), mkt.book.nonces(small))
    with reverts_with("ReadingImplausible"):
        read(mkt, people, oid, SELLER_SIDE, 1_000_000, meter=small)  # 1 MWh from a 1 kW meter in ~1 h
    assert (plain(mkt.book.order(oid)), mkt.book.nonces(small)) == before
    assert 1_000 <= mkt.book.meterHeadroomWh(small) < 1_100
    read(mkt, people, oid, SELLER_SIDE, 900, meter=small)
    assert mkt.book.order(oid)[14] == 900
    assert mkt.book.meterHeadroomWh(small) < 200  # the reading used 900 Wh of the meter's budget
    assert mkt.book.meterReportedWh(small) == 900


def _in_one_block(*calls):
    """Send each (contract function, args) from the relayer into one block (anvil automine paused); return
    their receipts' statuses."""
    relayer = accounts[9]
    hashes = []
    web3.provider.make_request("evm_setAutomine", [False])
    try:
        for fn, args in calls:
            data = fn.encode_input(*args)
            tx = {"from": str(relayer), "to": fn._address, "data": data, "gas": 500_000}
            hashes.append(web3.eth.send_transaction(tx))
        web3.provider.make_request("evm_mine", [])
    finally:
        web3.provider.make_request("evm_setAutomine", [True])
    receipts = [web3.eth.wait_for_transaction_receipt(h) for h in hashes]
    assert len({r["blockNumber"] for r in receipts}) == 1
    return [r["status"] for r in receipts]


def test_readings_in_one_second_pass_while_they_fit_the_meters_budget(mkt, people, auditor):
    """Before: each reading used at least one second of the meter's clock (energy / rated power, rounded up),
    so two small readings in the same second were refused although far within rated power x time. Now the
    budget is exact: rated W x elapsed s / 3600 minus the Wh already reported, so both pass in one block; a
    third that would exceed the budget in that block is refused and records nothing."""
    oid, _ = active_order(mkt, people, auditor)
    meter = people.meter[people.p1]
    headroom = mkt.book.meterHeadroomWh(meter)
    assert headroom > 2 * R
    nonce = mkt.book.nonces(meter)
    submit = mkt.book.submitReading
    cumulative = [R // 2, R]
    calls = [
        (
            submit,
            (
                oid,
                SELLER_SIDE,
                wh,
                meter,
                reading_signature(mkt.book, meter, oid, SELLER_SIDE, wh, nonce + i),
            ),
        )
        for i, wh in enumerate(cumulative)
    ]
    assert _in_one_block(*calls) == [1, 1]
    assert mkt.book.order(oid)[14] == R and mkt.book.meterReportedWh(meter) == R

    # Over budget: whatever the block's time, R + 10^15 Wh exceeds 1 GW x the elapsed time.
    huge = R + 10**15
    before = (plain(mkt.book.order(oid)), mkt.book.nonces(meter), mkt.book.meterReportedWh(meter))
    with brownie.reverts(revert_pattern=rf"ReadingImplausible: {str(meter).lower()}, {10**15}, \d+"):
        read(mkt, people, oid, SELLER_SIDE, huge)
    assert (plain(mkt.book.order(oid)), mkt.book.nonces(meter), mkt.book.meterReportedWh(meter)) == before


# ---------------------------------------------------------------- finding 5: feed-in drains the grid account


@pytest.fixture
def feed_in(mkt, admin):
    """A grid account owing a cheat 900 and an honest generator 100 tokens, funded with 500."""
    account = GridAccount.deploy(admin, admin, mkt.token, {"from": admin})
    account.grantRole(account.POLICY_ROLE(), admin, {"from": admin})
    cheat, honest = accounts[3], accounts[4]
    account.creditFeedIn(1, cheat, 900, {"from": admin})
    account.creditFeedIn(2, honest, 100, {"from": admin})
    mkt.token.issue(account, 500, {"from": admin})
    return account, cheat, honest


def test_feed_in_is_paid_pro_rata_when_underfunded(mkt, feed_in):
    """Before the fix: the first claimant took the whole balance (here: reverted `GridUnderfunded` for the
    cheat's 900 and paid the honest 100 in full, leaving the cheat's claim on an empty account)."""
    account, cheat, honest = feed_in
    account.withdrawFeedIn(cheat, {"from": cheat})
    assert mkt.token.balanceOf(cheat) - 1_000 * TOKEN == 450  # 900 * 500 / 1000
    assert (account.feedInDeferred(cheat), account.totalOwed()) == (450, 100)
    account.withdrawFeedIn(honest, {"from": honest})
    assert mkt.token.balanceOf(honest) - 1_000 * TOKEN == 50  # the same 50 %: order does not matter


def test_the_operator_writes_off_a_claim_publicly_and_strangers_cannot(mkt, feed_in, admin, stranger):
    """Before the fix: no write-off existed, so a cheat's claim blocked the operator's surplus for good."""
    account, cheat, _ = feed_in
    before = (account.feedInOwed(cheat), account.totalOwed(), account.totalDeferred())
    with reverts_with("AccessControlUnauthorizedAccount"):
        account.writeOff(cheat, 900, b"implausible", {"from": stranger})
    with reverts_with("WriteOffAboveOwed", cheat, 901, 900):
        account.writeOff(cheat, 901, b"implausible", {"from": admin})
    assert (account.feedInOwed(cheat), account.totalOwed(), account.totalDeferred()) == before
    tx = account.writeOff(cheat, 900, b"implausible".ljust(32, b"\0"), {"from": admin})
    assert tx.events["FeedInWrittenOff"]["amount"] == 900
    account.withdrawSurplus(400, admin, {"from": admin})  # 500 held, 100 owed
    assert account.totalOwed() == 100


# ---------------------------------------------------------------- finding 6: amendment swap


def test_accepting_an_amendment_names_its_terms_so_a_swap_is_refused(mkt, people, auditor):
    """Before the fix: `acceptAmendment(orderId)` accepted whatever was pending when it landed."""
    pid, _ = open_period(mkt)
    oid = mkt.book.proposeContract(pid, people.c1, R, PRICE, {"from": people.p1}).events["ContractProposed"][
        "orderId"
    ]
    mkt.book.acceptProposal(oid, 0, {"from": people.c1})
    mkt.book.proposeAmendment(oid, 2 * R, PRICE, {"from": people.c1})
    mkt.book.proposeAmendment(oid, 2 * R, PRICE // 1_000, {"from": people.c1})  # swapped just before
    before = (plain(mkt.book.order(oid)), plain(mkt.book.pendingAmendment(oid)))
    with reverts_with("AmendmentMismatch", oid, 2 * R, PRICE, 2 * R, PRICE // 1_000):
        mkt.book.acceptAmendment(oid, 2 * R, PRICE, {"from": people.p1})
    assert (plain(mkt.book.order(oid)), plain(mkt.book.pendingAmendment(oid))) == before
