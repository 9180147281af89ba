"""OrderBook: periods, bilateral contracts, amendments, audit, escrow, meter readings, honest-supplier
settlement (seed 003 eq 6-7), withdrawals, expiry and reputation folding (seed 003 eq 1-2).

Every refusal is checked to revert with its custom error and to leave balances, escrow and the order as
they were. Expected payouts are computed here from the paper's formulas, not read from the contract.
"""

import pytest
from brownie import accounts
from conftest import reverts_with
from market_fixtures import (
    ACTIVE,
    AGREED,
    ALPHA,
    APPROVED_ORDER,
    BUYER_SIDE,
    CANCELLED,
    FEE,
    MATCHING,
    PROPOSED,
    READINGS,
    REJECTED,
    SELLER_SIDE,
    SETTLED,
    SIGNING,
    TAU,
    TOKEN,
    WAD,
    active_order,
    balances,
    block_time,
    cost_up,
    goto,
    open_period,
    reading_signature,
)

R, PRICE, BONUS = 10_000, TOKEN // 2, TOKEN  # 10 kWh at 0.5 token/kWh, 1 token bonus
BILL = cost_up(R, PRICE)  # 5 tokens


def order_of(mkt, oid):
    return tuple(mkt.book.order(oid))


@pytest.fixture
def proposal(mkt, people):
    """A bilateral proposal p1 -> c1 (10 kWh at 0.5) in a fresh period; returns (order id, period)."""
    pid, period = open_period(mkt)
    tx = mkt.book.proposeContract(pid, people.c1, R, PRICE, {"from": people.p1})
    return tx.events["ContractProposed"]["orderId"], period


@pytest.fixture
def agreed(mkt, people, proposal):
    oid, period = proposal
    mkt.book.acceptProposal(oid, BONUS, {"from": people.c1})
    return oid, period


@pytest.fixture
def approved(mkt, people, auditor, agreed):
    oid, period = agreed
    mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    return oid, period


@pytest.fixture
def active(mkt, people, auditor):
    return active_order(mkt, people, auditor, R, PRICE, BONUS)


def read(mkt, people, oid, side, energy):
    """The party's own meter sends a cumulative reading itself."""
    party = people.p1 if side == SELLER_SIDE else people.c1
    meter = people.meter[party]
    return mkt.book.submitReading(oid, side, energy, meter, b"", {"from": meter})


# ------------------------------------------------------------------ periods


def test_operator_opens_a_period_with_its_policy(mkt):
    pid, period = open_period(mkt)
    assert pid == mkt.book.periodCount() == 1
    assert period[0] == mkt.honest
    assert period[2] + MATCHING == period[3] and period[3] + SIGNING == period[4]
    assert period[4] + READINGS == period[5]


def test_stranger_cannot_open_a_period(mkt):
    now = block_time() + 1
    with reverts_with("AccessControlUnauthorizedAccount"):
        mkt.book.openPeriod(mkt.honest, now + 10, now + 20, now + 30, now + 40, {"from": accounts[9]})
    assert mkt.book.periodCount() == 0


def test_period_needs_an_allowed_policy_and_an_ordered_schedule(mkt):
    now = block_time() + 1
    with reverts_with("PolicyNotAllowed", accounts[9]):
        mkt.book.openPeriod(accounts[9], now + 10, now + 20, now + 30, now + 40, {"from": mkt.admin})
    with reverts_with("BadSchedule"):
        mkt.book.openPeriod(mkt.honest, now + 10, now + 10, now + 30, now + 40, {"from": mkt.admin})
    with reverts_with("BadSchedule"):
        mkt.book.openPeriod(mkt.honest, now - 1, now + 20, now + 30, now + 40, {"from": mkt.admin})
    assert mkt.book.periodCount() == 0


def test_a_period_ending_before_the_previous_one_is_refused(mkt):
    """Review 6 finding 4: a later-opened period with an earlier signEnd let ProviderReputation fold a lower
    period after a higher one; signEnd and readingsEnd now never decrease with the period id."""
    pid, period = open_period(mkt)
    _, _, publish_end, match_end, sign_end, readings_end = period
    before = (mkt.book.periodCount(), tuple(mkt.book.period(pid)))
    with reverts_with("ScheduleBeforePrevious", pid, sign_end, readings_end, sign_end - 1, readings_end):
        mkt.book.openPeriod(
            mkt.honest, publish_end, match_end, sign_end - 1, readings_end, {"from": mkt.admin}
        )
    with reverts_with("ScheduleBeforePrevious", pid, sign_end, readings_end, sign_end, readings_end - 1):
        mkt.book.openPeriod(
            mkt.honest, publish_end, match_end, sign_end, readings_end - 1, {"from": mkt.admin}
        )
    assert (mkt.book.periodCount(), tuple(mkt.book.period(pid))) == before
    # ending together with the previous period, or later, is fine
    tx = mkt.book.openPeriod(mkt.honest, publish_end, match_end, sign_end, readings_end, {"from": mkt.admin})
    assert tx.events["PeriodOpened"]["periodId"] == pid + 1
    open_period(mkt)  # the clients' way: phases from now, so never earlier than a period opened before


def test_only_the_admin_allows_policies(mkt):
    with reverts_with("AccessControlUnauthorizedAccount"):
        mkt.book.setPolicyAllowed(accounts[9], True, {"from": accounts[9]})
    assert not mkt.book.policyAllowed(accounts[9])
    mkt.book.setPolicyAllowed(mkt.honest, False, {"from": mkt.admin})
    assert not mkt.book.policyAllowed(mkt.honest)


# ------------------------------------------------------------------ bilateral contracts


def test_bilateral_contract_is_proposed_then_accepted(mkt, people, proposal):
    oid, _ = proposal
    assert order_of(mkt, oid)[2:4] == (PROPOSED, 0)
    tx = mkt.book.acceptProposal(oid, BONUS, {"from": people.c1})
    o = order_of(mkt, oid)
    assert o[2] == AGREED and o[8:11] == (R, PRICE, BONUS)
    assert tx.events["ProposalAccepted"]["bonus"] == BONUS


def test_only_the_named_buyer_accepts(mkt, people, proposal):
    oid, _ = proposal
    with reverts_with("NotBuyer", oid, people.c2, people.c1):
        mkt.book.acceptProposal(oid, 0, {"from": people.c2})
    assert order_of(mkt, oid)[2] == PROPOSED


def test_seller_withdraws_an_unaccepted_proposal(mkt, people, proposal):
    oid, _ = proposal
    with reverts_with("NotSeller", oid, people.c1, people.p1):
        mkt.book.withdrawProposal(oid, {"from": people.c1})
    mkt.book.withdrawProposal(oid, {"from": people.p1})
    assert order_of(mkt, oid)[2] == CANCELLED
    with reverts_with("WrongOrderStatus", oid, CANCELLED, PROPOSED):
        mkt.book.acceptProposal(oid, 0, {"from": people.c1})


def test_proposals_need_a_provider_a_consumer_and_positive_terms(mkt, people):
    pid, _ = open_period(mkt)
    b = mkt.book
    with reverts_with("NotAProvider", people.c1):
        b.proposeContract(pid, people.c2, R, PRICE, {"from": people.c1})
    with reverts_with("NotAConsumer", people.p2):
        b.proposeContract(pid, people.p2, R, PRICE, {"from": people.p1})
    with reverts_with("SelfTrade", people.pro):
        b.proposeContract(pid, people.pro, R, PRICE, {"from": people.pro})
    with reverts_with("PartyNotActive", people.outsider):
        b.proposeContract(pid, people.outsider, R, PRICE, {"from": people.p1})
    with reverts_with("ZeroEnergy"):
        b.proposeContract(pid, people.c1, 0, PRICE, {"from": people.p1})
    with reverts_with("ZeroPrice"):
        b.proposeContract(pid, people.c1, R, 0, {"from": people.p1})
    assert b.orderCount() == 0


def test_proposals_close_with_the_matching_window(mkt, people):
    pid, period = open_period(mkt)
    goto(period, "signing")
    with reverts_with("OutsideWindow"):
        mkt.book.proposeContract(pid, people.c1, R, PRICE, {"from": people.p1})
    assert mkt.book.orderCount() == 0


# ------------------------------------------------------------------ amendments


def test_amendment_needs_both_parties_and_a_new_audit(mkt, people, approved):
    oid, _ = approved
    mkt.book.proposeAmendment(oid, 2 * R, PRICE, {"from": people.c1})
    assert order_of(mkt, oid)[8] == R  # nothing changes before the seller consents
    with reverts_with("AmendmentOwnProposal", oid, people.c1):
        mkt.book.acceptAmendment(oid, 2 * R, PRICE, {"from": people.c1})
    mkt.book.acceptAmendment(oid, 2 * R, PRICE, {"from": people.p1})
    o = order_of(mkt, oid)
    assert o[8] == 2 * R and o[2] == AGREED and o[12:14] == (0, 0)
    assert mkt.book.pendingAmendment(oid)[0] == "0x0000000000000000000000000000000000000000"


def test_auditor_and_strangers_cannot_amend(mkt, people, auditor, agreed):
    oid, _ = agreed
    with reverts_with("NotParty", oid, auditor):
        mkt.book.proposeAmendment(oid, 1, 1, {"from": auditor})
    with reverts_with("NoAmendment", oid):
        mkt.book.acceptAmendment(oid, 1, 1, {"from": people.p1})
    mkt.book.proposeAmendment(oid, 1, 1, {"from": people.p1})
    with reverts_with("NotParty", oid, accounts[9]):
        mkt.book.acceptAmendment(oid, 1, 1, {"from": accounts[9]})
    assert order_of(mkt, oid)[8:10] == (R, PRICE)


def test_signed_orders_cannot_be_amended(mkt, people, active):
    oid, _ = active
    with reverts_with("WrongOrderStatus", oid, ACTIVE, AGREED):
        mkt.book.proposeAmendment(oid, 1, 1, {"from": people.p1})


# ------------------------------------------------------------------ audit


def test_auditor_approval_fixes_the_policys_deposits(mkt, people, auditor, agreed):
    oid, _ = agreed
    tx = mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    o = order_of(mkt, oid)
    assert o[2] == APPROVED_ORDER
    assert o[12:14] == (BILL + BONUS, 0)  # seed 003 §5.2: R*r*t + bonus; seller deposits nothing
    assert tx.events["OrderApproved"]["auditor"] == auditor


def test_only_the_auditor_approves_or_rejects(mkt, people, agreed):
    oid, _ = agreed
    with reverts_with("NotAuditor", people.p1):
        mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": people.p1})
    with reverts_with("NotAuditor", accounts[9]):
        mkt.book.rejectOrder(oid, b"x", {"from": accounts[9]})
    assert order_of(mkt, oid)[2] == AGREED


def test_an_auditor_never_approves_its_own_order(mkt, people, registry, admin, auditor, agreed):
    """Review 6 finding 3: an auditor that is the seller or the buyer of an order cannot approve it (single or
    batch); another auditor can."""
    oid, _ = agreed
    terms = mkt.book.termsHash(oid)
    role = registry.AUDITOR_ROLE()
    for party in (people.p1, people.c1):
        registry.grantRole(role, party, {"from": admin})
    before = (order_of(mkt, oid), balances(mkt, people.p1, people.c1))
    for party in (people.p1, people.c1):
        with reverts_with("AuditorIsParty", oid, party):
            mkt.book.approveOrder(oid, terms, {"from": party})
    tx = mkt.book.approveOrders([oid], [terms], {"from": people.p1})
    assert tx.return_value == 0 and "BatchItemSkipped" in tx.events
    assert (order_of(mkt, oid), balances(mkt, people.p1, people.c1)) == before
    tx = mkt.book.approveOrder(oid, terms, {"from": auditor})
    assert order_of(mkt, oid)[2] == APPROVED_ORDER
    assert tx.events["OrderApproved"]["auditor"] == auditor


def test_rejected_order_never_takes_effect(mkt, people, auditor, agreed):
    oid, _ = agreed
    tx = mkt.book.rejectOrder(oid, b"price-manipulation", {"from": auditor})
    assert order_of(mkt, oid)[2] == REJECTED
    assert tx.events["OrderRejected"]["orderId"] == oid
    with reverts_with("WrongOrderStatus", oid, REJECTED, APPROVED_ORDER):
        mkt.book.sign(oid, {"from": people.c1})


def test_unaccepted_proposals_cannot_be_audited(mkt, auditor, proposal):
    oid, _ = proposal
    with reverts_with("WrongOrderStatus", oid, PROPOSED, AGREED):
        mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})


# ------------------------------------------------------------------ escrow


def test_buyer_signature_escrows_deposit_and_fee_and_opens_obligations(mkt, people, registry, approved):
    oid, _ = approved
    before = mkt.token.balanceOf(people.c1)
    mkt.token.approve(mkt.book, BILL + BONUS + FEE, {"from": people.c1})
    tx = mkt.book.sign(oid, {"from": people.c1})
    assert mkt.token.balanceOf(people.c1) == before - BILL - BONUS - FEE
    assert mkt.token.balanceOf(mkt.book) == mkt.book.totalEscrowed() == BILL + BONUS + FEE
    o = order_of(mkt, oid)
    assert o[2] == ACTIVE and o[11] == FEE
    assert "OrderActivated" in tx.events
    assert registry.participant(people.p1)[6] == registry.participant(people.c1)[6] == 1
    assert mkt.book.periodContractedWh(o[1]) == R


def test_signing_without_allowance_moves_nothing(mkt, people, approved):
    oid, _ = approved
    before = balances(mkt, people.c1)
    with reverts_with("ERC20InsufficientAllowance"):
        mkt.book.sign(oid, {"from": people.c1})
    assert balances(mkt, people.c1) == before
    assert order_of(mkt, oid)[2] == APPROVED_ORDER


def test_stranger_and_late_signatures_are_refused(mkt, people, approved):
    oid, period = approved
    mkt.token.approve(mkt.book, BILL + BONUS + FEE, {"from": people.c1})
    with reverts_with("PartyNotActive", accounts[9]):
        mkt.book.sign(oid, {"from": accounts[9]})
    with reverts_with("NotParty", oid, people.c2):
        mkt.book.sign(oid, {"from": people.c2})
    goto(period, "settlement")
    before = balances(mkt, people.c1)
    with reverts_with("OutsideWindow"):
        mkt.book.sign(oid, {"from": people.c1})
    assert balances(mkt, people.c1) == before


def test_suspended_buyer_cannot_sign(mkt, people, registry, auditor, approved):
    oid, _ = approved
    mkt.token.approve(mkt.book, BILL + BONUS + FEE, {"from": people.c1})
    registry.suspend(people.c1, b"audit", {"from": auditor})
    before = balances(mkt, people.c1)
    with reverts_with("PartyNotActive", people.c1):
        mkt.book.sign(oid, {"from": people.c1})
    assert balances(mkt, people.c1) == before


def test_parties_cannot_exit_while_an_order_is_open(registry, people, active):
    registry.requestExit({"from": people.p1})
    with reverts_with("OpenObligations", people.p1, 1):
        registry.finalizeExit(people.p1, {"from": people.p1})


# ------------------------------------------------------------------ meter readings


def test_meter_reports_its_own_reading(mkt, people, active):
    oid, _ = active
    meter = people.meter[people.p1]
    tx = read(mkt, people, oid, SELLER_SIDE, 4_000)
    assert order_of(mkt, oid)[14] == 4_000
    assert tx.events["ReadingRecorded"]["relayer"] == meter
    assert mkt.book.nonces(meter) == 1


def test_anyone_relays_a_reading_signed_by_the_meter(mkt, people, active):
    oid, _ = active
    meter = people.meter[people.c1]
    sig = reading_signature(mkt.book, meter, oid, BUYER_SIDE, 9_500)
    tx = mkt.book.submitReading(oid, BUYER_SIDE, 9_500, meter, sig, {"from": accounts[9]})
    assert order_of(mkt, oid)[15] == 9_500
    assert tx.events["ReadingRecorded"]["relayer"] == accounts[9]


def test_a_signed_reading_cannot_be_replayed(mkt, people, active):
    oid, _ = active
    meter = people.meter[people.c1]
    sig = reading_signature(mkt.book, meter, oid, BUYER_SIDE, 9_500)
    mkt.book.submitReading(oid, BUYER_SIDE, 9_500, meter, sig, {"from": accounts[9]})
    with reverts_with("InvalidMeterSignature"):
        mkt.book.submitReading(oid, BUYER_SIDE, 9_500, meter, sig, {"from": accounts[9]})
    assert mkt.book.nonces(meter) == 1


def test_a_signed_reading_cannot_be_applied_to_another_order_or_amount(mkt, people, auditor, active):
    oid, _ = active
    other, _ = active_order(mkt, people, auditor, R, PRICE, 0)
    meter = people.meter[people.c1]
    sig = reading_signature(mkt.book, meter, oid, BUYER_SIDE, 9_500)
    with reverts_with("InvalidMeterSignature"):
        mkt.book.submitReading(other, BUYER_SIDE, 9_500, meter, sig, {"from": accounts[9]})
    with reverts_with("InvalidMeterSignature"):
        mkt.book.submitReading(oid, BUYER_SIDE, 10_000, meter, sig, {"from": accounts[9]})
    assert order_of(mkt, other)[15] == order_of(mkt, oid)[15] == 0


def test_reading_from_a_foreign_meter_is_refused(mkt, people, active):
    oid, _ = active
    foreign = people.meter[people.c2]
    with reverts_with("MeterNotOwnedBy", foreign, people.c1, people.c2):
        mkt.book.submitReading(oid, BUYER_SIDE, 10_000, foreign, b"", {"from": foreign})
    seller_meter = people.meter[people.p1]  # the seller's meter cannot report the buyer's side
    with reverts_with("MeterNotOwnedBy", seller_meter, people.c1, people.p1):
        mkt.book.submitReading(oid, BUYER_SIDE, 10_000, seller_meter, b"", {"from": seller_meter})
    assert order_of(mkt, oid)[14:16] == (0, 0)
    assert mkt.book.nonces(foreign) == 0


def test_unknown_meter_and_forged_signature_are_refused(mkt, people, active):
    oid, _ = active
    rogue = accounts.add()
    with reverts_with("UnknownMeter", rogue):
        mkt.book.submitReading(oid, BUYER_SIDE, 10_000, rogue, b"", {"from": rogue})
    meter = people.meter[people.c1]
    forged = reading_signature(mkt.book, rogue, oid, BUYER_SIDE, 10_000, nonce=0)
    with reverts_with("InvalidMeterSignature"):
        mkt.book.submitReading(oid, BUYER_SIDE, 10_000, meter, forged, {"from": accounts[9]})
    assert order_of(mkt, oid)[15] == 0


def test_cumulative_reading_never_decreases(mkt, people, active):
    oid, _ = active
    read(mkt, people, oid, SELLER_SIDE, 6_000)
    with reverts_with("ReadingDecreased", oid, SELLER_SIDE, 6_000, 5_000):
        read(mkt, people, oid, SELLER_SIDE, 5_000)
    read(mkt, people, oid, SELLER_SIDE, 10_000)
    assert order_of(mkt, oid)[14] == 10_000


def test_readings_close_with_the_readings_window(mkt, people, active):
    oid, period = active
    goto(period, "settlement")
    with reverts_with("OutsideWindow"):
        read(mkt, people, oid, SELLER_SIDE, 1)
    assert order_of(mkt, oid)[14] == 0


def test_readings_need_an_active_order(mkt, people, agreed):
    oid, _ = agreed
    with reverts_with("WrongOrderStatus", oid, AGREED, ACTIVE):
        read(mkt, people, oid, SELLER_SIDE, 1)


# ------------------------------------------------------------------ honest-supplier settlement


def settle_with(mkt, people, active, rho, gamma):
    oid, period = active
    if rho:
        read(mkt, people, oid, SELLER_SIDE, rho)
    if gamma:
        read(mkt, people, oid, BUYER_SIDE, gamma)
    goto(period, "settlement")
    return mkt.book.settle(oid, {"from": accounts[9]})


def paid(mkt, who):
    return mkt.book.withdrawable(who)


def test_full_delivery_pays_the_bill_and_the_whole_bonus(mkt, people, active):
    tx = settle_with(mkt, people, active, R, R)
    # seed 003 eq 6: gamma >= R -> reward = Token
    assert paid(mkt, people.p1) == BILL + BONUS
    assert paid(mkt, people.c1) == 0
    assert paid(mkt, mkt.admin) == FEE
    out = tx.events["OrderSettled"]["outcome"]
    assert (out["reward"], out["sellerPenalty"]) == (BONUS, 0)


def test_delivery_within_the_allowed_loss_earns_half_the_bonus(mkt, people, active):
    settle_with(mkt, people, active, R, R - TAU)
    # eq 6: rho >= R and gamma >= R - tau -> 0.5 Token; no penalty (rho >= R)
    assert paid(mkt, people.p1) == BILL + BONUS // 2
    assert paid(mkt, people.c1) == BONUS // 2


def test_loss_beyond_tau_earns_no_bonus_but_no_penalty_when_rho_reached_r(mkt, people, active):
    settle_with(mkt, people, active, R, R - TAU - 1)
    assert paid(mkt, people.p1) == BILL
    assert paid(mkt, people.c1) == BONUS


def test_short_delivery_is_penalised_r_times_the_shortfall(mkt, people, active):
    tx = settle_with(mkt, people, active, 6_000, 5_800)
    # eq 7: rho < R -> penalty r*(R - gamma) = 0.5 * 4.2 kWh = 2.1 tokens, refunded to the consumer
    penalty = cost_up(R - 5_800, PRICE)
    assert penalty == 21 * TOKEN // 10
    assert paid(mkt, people.p1) == BILL - penalty
    assert paid(mkt, people.c1) == BONUS + penalty
    assert tx.events["OrderSettled"]["outcome"]["sellerPenalty"] == penalty


def test_missing_readings_count_as_zero(mkt, people, active):
    settle_with(mkt, people, active, 0, 0)
    assert paid(mkt, people.p1) == 0
    assert paid(mkt, people.c1) == BILL + BONUS


def test_settlement_closes_obligations_and_conserves_tokens(mkt, people, registry, active):
    held = mkt.token.balanceOf(mkt.book)
    settle_with(mkt, people, active, 7_000, 7_000)
    assert mkt.book.totalEscrowed() == 0
    assert mkt.book.totalWithdrawable() == held == mkt.token.balanceOf(mkt.book)
    assert sum(paid(mkt, a) for a in (people.p1, people.c1, mkt.admin)) == held
    assert registry.participant(people.p1)[6] == registry.participant(people.c1)[6] == 0
    assert order_of(mkt, active[0])[2] == SETTLED


def test_settling_early_or_twice_is_refused_and_changes_nothing(mkt, people, active):
    oid, period = active
    before = balances(mkt, people.p1, people.c1)
    with reverts_with("OutsideWindow"):
        mkt.book.settle(oid, {"from": accounts[9]})
    assert balances(mkt, people.p1, people.c1) == before
    goto(period, "settlement")
    mkt.book.settle(oid, {"from": accounts[9]})
    after = balances(mkt, people.p1, people.c1)
    with reverts_with("WrongOrderStatus", oid, SETTLED, ACTIVE):
        mkt.book.settle(oid, {"from": accounts[9]})
    assert balances(mkt, people.p1, people.c1) == after


def test_only_the_order_book_settles_through_the_policy(mkt, people):
    terms = (1, 1, people.p1, people.c1, R, PRICE, BONUS, R)
    with reverts_with("NotMarket", accounts[9]):
        mkt.honest.settle(terms, R, R, {"from": accounts[9]})


def test_withdrawal_is_pulled_once(mkt, people, active):
    settle_with(mkt, people, active, R, R)
    before = mkt.token.balanceOf(people.p1)
    tx = mkt.book.withdraw({"from": people.p1})
    assert mkt.token.balanceOf(people.p1) == before + BILL + BONUS
    assert tx.events["Withdrawn"]["amount"] == BILL + BONUS
    with reverts_with("NothingToWithdraw", people.p1):
        mkt.book.withdraw({"from": people.p1})
    assert mkt.token.balanceOf(people.p1) == before + BILL + BONUS
    assert mkt.token.balanceOf(mkt.book) == mkt.book.totalWithdrawable()


# ------------------------------------------------------------------ expiry


def test_unsigned_orders_expire_after_the_signing_window(mkt, people, approved):
    oid, period = approved
    with reverts_with("NotExpirable"):
        mkt.book.expire(oid, {"from": accounts[9]})
    goto(period, "settlement")
    tx = mkt.book.expire(oid, {"from": accounts[9]})
    assert order_of(mkt, oid)[2] == CANCELLED
    assert tx.events["OrderExpired"]["refundedToBuyer"] == 0


def test_active_orders_never_expire(mkt, people, active):
    oid, period = active
    goto(period, "settlement")
    with reverts_with("NotExpirable"):
        mkt.book.expire(oid, {"from": accounts[9]})
    assert order_of(mkt, oid)[2] == ACTIVE


def test_unknown_orders_are_named(mkt):
    with reverts_with("UnknownOrder", 42):
        mkt.book.expire(42, {"from": accounts[9]})


# ------------------------------------------------------------------ reputation (seed 003 eq 1-2)


def test_settled_period_folds_into_reputation(mkt, people, active):
    settle_with(mkt, people, active, 7_000, 7_000)
    tx = mkt.reputation.fold(people.p1, {"from": accounts[9]})
    # v = 0.7, C = 0.7, RC = 0.4*0.7 + 0.6*0 (eq 2)
    assert mkt.reputation.reputationOf(people.p1) == ALPHA * (7 * WAD // 10) // WAD
    assert tx.events["ReputationFolded"]["trades"] == 1
    assert mkt.reputation.pendingPeriods(people.p1) == []


def test_open_periods_do_not_fold(mkt, people, active):
    mkt.reputation.fold(people.p1, {"from": accounts[9]})
    assert mkt.reputation.reputationOf(people.p1) == 0
    assert len(mkt.reputation.pendingPeriods(people.p1)) == 1


def test_periods_fold_oldest_first(mkt, people, auditor):
    first, _ = active_order(mkt, people, auditor, R, PRICE, 0)
    second, p2 = active_order(mkt, people, auditor, R, PRICE, 0)
    read(mkt, people, first, SELLER_SIDE, R)  # v = 1 in the first period
    read(mkt, people, second, SELLER_SIDE, R // 2)  # v = 0.5 in the second
    goto(p2, "settlement")
    mkt.book.settle(second, {"from": accounts[9]})
    mkt.book.settle(first, {"from": accounts[9]})
    mkt.reputation.fold(people.p1, {"from": accounts[9]})
    rc1 = ALPHA * WAD // WAD
    rc2 = ALPHA * (WAD // 2) // WAD + (WAD - ALPHA) * rc1 // WAD
    assert mkt.reputation.reputationOf(people.p1) == rc2


def test_only_the_order_book_records_trades(mkt, people):
    with reverts_with("AccessControlUnauthorizedAccount"):
        mkt.reputation.recordActivation(people.p1, 1, 0, 0, {"from": accounts[9]})
    with reverts_with("AccessControlUnauthorizedAccount"):
        mkt.reputation.recordSettlement(people.p1, 1, 1, 1, {"from": accounts[9]})
    assert mkt.reputation.pendingPeriods(people.p1) == []
