"""The lean order lifecycle (issue 13): internal balances, signed bilateral openings, batch audit, batch
readings and batch settlement.

Every new function: a stranger is refused, a refusal leaves balances and the order as they were, and each
batch skips a bad item in the middle (with `BatchItemSkipped`) while applying the others.
"""

import pytest
from brownie import accounts, chain
from conftest import CONSUMER, GENERATOR, reverts_with
from eth_account import Account
from eth_account.messages import encode_typed_data
from market_fixtures import (
    ACTIVE,
    AGREED,
    APPROVED_ORDER,
    BUYER_SIDE,
    CANCELLED,
    FEE,
    REJECTED,
    SELLER_SIDE,
    SETTLED,
    TOKEN,
    WAD,
    active_order,
    balances,
    cost_up,
    goto,
    join,
    open_period,
    reading_signature,
)
from web3 import Web3

from energy_trading.clients.market import bilateral_contract_typed_data

R, PRICE, BONUS = 10_000, TOKEN // 2, TOKEN
DEPOSIT = cost_up(R, PRICE) + BONUS + FEE  # what the buyer escrows (honest-supplier policy: seller nothing)
SKIPPED = "BatchItemSkipped"


@pytest.fixture(scope="module")
def lean(registry, auditor, mkt, admin):
    """A seller and a buyer with local keys (they sign terms off chain), each with 100 tokens deposited in
    the order book's internal balance and 100 more in its wallet."""
    seller, buyer = accounts.add(), accounts.add()
    meters = {}
    for who, role in ((seller, GENERATOR), (buyer, CONSUMER)):
        admin.transfer(who, "1 ether")
        meters[who] = join(registry, auditor, who, role)
        mkt.token.issue(who, 200 * WAD, {"from": admin})
        mkt.token.approve(mkt.book, 100 * WAD, {"from": who})
        mkt.book.deposit(100 * WAD, {"from": who})
    chain.sleep(3_600)
    chain.mine()
    return seller, buyer, meters


def terms(mkt, pid, seller, buyer, energy=R, price=PRICE, bonus=BONUS, nonce=None):
    nonce = mkt.book.nonces(seller) if nonce is None else nonce
    return (pid, seller.address, buyer.address, energy, price, bonus, nonce)


def sig(mkt, signer, t):
    typed = bilateral_contract_typed_data(chain.id, mkt.book.address, *t)
    return Account.from_key(signer.private_key).sign_message(encode_typed_data(full_message=typed)).signature


def open_signed(mkt, lean, pid, relayer=None, **kw):
    seller, buyer, _ = lean
    t = terms(mkt, pid, seller, buyer, **kw)
    tx = mkt.book.openSignedContract(t, sig(mkt, seller, t), sig(mkt, buyer, t), {"from": relayer or seller})
    return tx.events["SignedContractOpened"]["orderId"]


def state(mkt, oid):
    return tuple(mkt.book.order(oid))


# ------------------------------------------------------------------ internal balances


def test_deposit_credits_the_internal_balance_and_withdraw_pulls_it(mkt, people):
    before = balances(mkt, people.c1)
    mkt.token.approve(mkt.book, 7 * TOKEN, {"from": people.c1})
    tx = mkt.book.deposit(7 * TOKEN, {"from": people.c1})
    assert tx.events["Deposited"]["amount"] == 7 * TOKEN
    assert mkt.book.withdrawable(people.c1) == before[1][0] + 7 * TOKEN
    assert mkt.token.balanceOf(mkt.book) == mkt.book.totalEscrowed() + mkt.book.totalWithdrawable()
    mkt.book.withdraw({"from": people.c1})
    assert mkt.token.balanceOf(people.c1) == before[0][0] + before[1][0]


def test_a_deposit_without_allowance_is_refused_and_changes_nothing(mkt, people):
    before = balances(mkt, people.c1)
    with reverts_with("ERC20InsufficientAllowance"):
        mkt.book.deposit(TOKEN, {"from": people.c1})
    assert balances(mkt, people.c1) == before


def test_sign_escrows_from_the_internal_balance_without_an_erc20_approve(mkt, people, auditor):
    pid, _ = open_period(mkt)
    oid = mkt.book.proposeContract(pid, people.c1, R, PRICE, {"from": people.p1}).events["ContractProposed"][
        "orderId"
    ]
    mkt.book.acceptProposal(oid, BONUS, {"from": people.c1})
    mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    mkt.token.approve(mkt.book, DEPOSIT, {"from": people.c1})
    mkt.book.deposit(DEPOSIT, {"from": people.c1})
    assert mkt.token.allowance(people.c1, mkt.book) == 0
    wallet, internal, escrowed = (
        mkt.token.balanceOf(people.c1),
        mkt.book.withdrawable(people.c1),
        mkt.book.totalEscrowed(),
    )
    tx = mkt.book.sign(oid, {"from": people.c1})
    assert tx.events["BalanceEscrowed"]["amount"] == DEPOSIT
    assert mkt.book.order(oid)[2] == ACTIVE
    assert mkt.token.balanceOf(people.c1) == wallet
    assert mkt.book.withdrawable(people.c1) == internal - DEPOSIT
    assert mkt.book.totalEscrowed() == escrowed + DEPOSIT
    assert mkt.token.balanceOf(mkt.book) == mkt.book.totalEscrowed() + mkt.book.totalWithdrawable()


# ------------------------------------------------------------------ signed openings


def test_a_signed_contract_opens_in_one_transaction_and_takes_effect_only_at_approval(
    mkt, lean, auditor, stranger
):
    seller, buyer, _ = lean
    pid, _ = open_period(mkt)
    before = balances(mkt, seller, buyer)
    oid = open_signed(mkt, lean, pid, relayer=stranger)  # anyone may relay both signatures
    o = mkt.book.order(oid)
    assert (o[2], o[4], o[5]) == (AGREED, True, True)
    assert (o[8], o[9], o[10], o[11], o[12]) == (R, PRICE, BONUS, FEE, DEPOSIT - FEE)
    assert mkt.book.withdrawable(buyer) == before[1][1] - DEPOSIT
    assert mkt.book.totalEscrowed() == before[3] + DEPOSIT
    assert mkt.token.balanceOf(mkt.book) == before[2]  # no token moved
    assert mkt.book.nonces(seller) == 1
    tx = mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    assert "OrderActivated" in tx.events
    assert mkt.book.order(oid)[2] == ACTIVE


def test_signed_contract_refusals_leave_everything_unchanged(mkt, lean, stranger):
    seller, buyer, _ = lean
    pid, _ = open_period(mkt)
    t = terms(mkt, pid, seller, buyer)
    before, count = balances(mkt, seller, buyer), mkt.book.orderCount()
    with reverts_with("InvalidPartySignature", pid, buyer.address):
        mkt.book.openSignedContract(t, sig(mkt, seller, t), sig(mkt, seller, t), {"from": seller})
    forged = accounts.add()
    with reverts_with("InvalidPartySignature", pid, seller.address):
        mkt.book.openSignedContract(t, sig(mkt, forged, t), sig(mkt, buyer, t), {"from": stranger})
    # the buyer signed a smaller contract: its signature does not cover these terms
    small = terms(mkt, pid, seller, buyer, energy=R // 10)
    with reverts_with("InvalidPartySignature", pid, buyer.address):
        mkt.book.openSignedContract(t, sig(mkt, seller, t), sig(mkt, buyer, small), {"from": seller})
    # more than the buyer's internal balance
    huge = terms(mkt, pid, seller, buyer, price=1_000 * TOKEN)
    with reverts_with("InsufficientBalance"):
        mkt.book.openSignedContract(huge, sig(mkt, seller, huge), sig(mkt, buyer, huge), {"from": seller})
    assert balances(mkt, seller, buyer) == before
    assert mkt.book.orderCount() == count
    assert mkt.book.nonces(seller) == 0


def test_a_signed_contract_cannot_be_opened_twice(mkt, lean):
    seller, buyer, _ = lean
    pid, _ = open_period(mkt)
    t = terms(mkt, pid, seller, buyer)
    s, b = sig(mkt, seller, t), sig(mkt, buyer, t)
    mkt.book.openSignedContract(t, s, b, {"from": seller})
    before, count = balances(mkt, seller, buyer), mkt.book.orderCount()
    with reverts_with("InvalidAccountNonce"):
        mkt.book.openSignedContract(t, s, b, {"from": buyer})
    assert balances(mkt, seller, buyer) == before
    assert mkt.book.orderCount() == count


def test_rejecting_or_expiring_a_signed_contract_refunds_to_the_internal_balances(mkt, lean, auditor):
    seller, buyer, _ = lean
    pid, period = open_period(mkt)
    start = mkt.book.withdrawable(buyer)
    rejected = open_signed(mkt, lean, pid)
    expired = open_signed(mkt, lean, pid)
    assert mkt.book.withdrawable(buyer) == start - 2 * DEPOSIT
    tx = mkt.book.rejectOrder(rejected, b"bad", {"from": auditor})
    assert tx.events["OrderRejected"]["orderId"] == rejected
    assert mkt.book.withdrawable(buyer) == start - DEPOSIT
    goto(period, "settlement")
    mkt.book.expire(expired, {"from": seller})
    assert mkt.book.order(expired)[2] == CANCELLED
    assert mkt.book.withdrawable(buyer) == start
    assert mkt.token.balanceOf(mkt.book) == mkt.book.totalEscrowed() + mkt.book.totalWithdrawable()


def test_a_signed_contract_cannot_be_amended(mkt, lean):
    seller = lean[0]
    pid, _ = open_period(mkt)
    oid = open_signed(mkt, lean, pid)
    with reverts_with("AmendmentAfterSigning", oid):
        mkt.book.proposeAmendment(oid, 2 * R, PRICE, {"from": seller})


# ------------------------------------------------------------------ batch audit


def agreed_orders(mkt, people, n):
    pid, period = open_period(mkt)
    ids = []
    for _ in range(n):
        tx = mkt.book.proposeContract(pid, people.c1, R, PRICE, {"from": people.p1})
        oid = tx.events["ContractProposed"]["orderId"]
        mkt.book.acceptProposal(oid, BONUS, {"from": people.c1})
        ids.append(oid)
    return ids, period


def test_strangers_cannot_run_audit_batches_or_batch_items(mkt, people, stranger, auditor):
    ids, _ = agreed_orders(mkt, people, 2)
    hashes = [mkt.book.termsHash(i) for i in ids]
    before = [state(mkt, i) for i in ids]
    with reverts_with("NotAuditor", stranger.address):
        mkt.book.approveOrders(ids, hashes, {"from": stranger})
    with reverts_with("NotAuditor", people.p1.address):
        mkt.book.rejectOrders(ids, [b"x", b"y"], {"from": people.p1})
    with reverts_with("OnlySelf", auditor.address):
        mkt.book.auditInBatch(ids[0], hashes[0], True, auditor, {"from": auditor})
    with reverts_with("LengthMismatch", 2, 1):
        mkt.book.approveOrders(ids, hashes[:1], {"from": auditor})
    assert [state(mkt, i) for i in ids] == before


def test_approve_orders_skips_a_bad_item_mid_batch_and_approves_the_others(mkt, people, auditor):
    ids, _ = agreed_orders(mkt, people, 3)
    hashes = [mkt.book.termsHash(i) for i in ids]
    # the parties amend the middle order after the auditor read its terms
    mkt.book.proposeAmendment(ids[1], 2 * R, PRICE, {"from": people.p1})
    mkt.book.acceptAmendment(ids[1], 2 * R, PRICE, {"from": people.c1})
    middle = state(mkt, ids[1])
    tx = mkt.book.approveOrders(ids, hashes, {"from": auditor})
    assert tx.return_value == 2
    skipped = tx.events[SKIPPED]
    assert len(skipped) == 1 and skipped[0]["item"] == ids[1]
    assert skipped[0]["batch"] == mkt.book.approveOrders.signature
    assert mkt.book.order(ids[0])[2] == APPROVED_ORDER
    assert mkt.book.order(ids[2])[2] == APPROVED_ORDER
    assert state(mkt, ids[1]) == middle


def test_reject_orders_skips_a_bad_item_mid_batch_and_rejects_the_others(mkt, people, auditor):
    ids, _ = agreed_orders(mkt, people, 3)
    mkt.book.approveOrder(ids[1], mkt.book.termsHash(ids[1]), {"from": auditor})  # no longer Agreed
    middle = state(mkt, ids[1])
    tx = mkt.book.rejectOrders(ids, [b"a", b"b", b"c"], {"from": auditor})
    assert tx.return_value == 2
    assert [e["item"] for e in tx.events[SKIPPED]] == [ids[1]]
    assert mkt.book.order(ids[0])[2] == REJECTED
    assert mkt.book.order(ids[2])[2] == REJECTED
    assert state(mkt, ids[1]) == middle


# ------------------------------------------------------------------ batch readings


def reading(mkt, people, oid, side, energy, nonce=None):
    who = people.p1 if side == SELLER_SIDE else people.c1
    meter = people.meter[who]
    return (oid, side, energy, meter.address, reading_signature(mkt.book, meter, oid, side, energy, nonce))


def test_submit_readings_skips_a_bad_reading_mid_batch_and_records_the_others(mkt, people, auditor, stranger):
    a, _ = active_order(mkt, people, auditor)
    b, _ = active_order(mkt, people, auditor)
    meter_s, meter_b = people.meter[people.p1], people.meter[people.c1]
    ns, nb = mkt.book.nonces(meter_s), mkt.book.nonces(meter_b)
    items = [
        reading(mkt, people, a, SELLER_SIDE, R, ns),
        # signed by the buyer's meter for the seller's side: refused (wrong owner)
        (b, SELLER_SIDE, R, meter_b.address, reading_signature(mkt.book, meter_b, b, SELLER_SIDE, R, nb)),
        reading(mkt, people, a, BUYER_SIDE, R, nb),
    ]
    middle = state(mkt, b)
    tx = mkt.book.submitReadings(items, {"from": stranger})
    assert tx.return_value == 2
    skipped = tx.events[SKIPPED]
    assert len(skipped) == 1 and skipped[0]["item"] == 1
    assert tuple(mkt.book.order(a))[14:16] == (R, R)
    assert state(mkt, b) == middle
    assert mkt.book.nonces(meter_s) == ns + 1 and mkt.book.nonces(meter_b) == nb + 1
    assert [e["relayer"] for e in tx.events["ReadingRecorded"]] == [stranger.address, stranger.address]


def test_a_reading_batch_item_cannot_be_called_from_outside(mkt, people, auditor, stranger):
    a, _ = active_order(mkt, people, auditor)
    item = reading(mkt, people, a, SELLER_SIDE, R)
    before = state(mkt, a)
    with reverts_with("OnlySelf", stranger.address):
        mkt.book.readingInBatch(item, stranger, {"from": stranger})
    assert state(mkt, a) == before


# ------------------------------------------------------------------ batch settlement


def test_settle_many_skips_an_unsettleable_order_mid_batch_and_settles_the_others(
    mkt, people, auditor, stranger
):
    a, period = active_order(mkt, people, auditor)
    b, _ = agreed_orders(mkt, people, 1)  # never approved: not Active, cannot settle
    b = b[0]
    c, _ = active_order(mkt, people, auditor)
    goto(period, "settlement")
    for oid in (a, c):
        pid = mkt.book.order(oid)[1]
        goto(mkt.book.period(pid), "settlement")
    middle = state(mkt, b)
    held = mkt.token.balanceOf(mkt.book)
    tx = mkt.book.settleMany([a, b, c], {"from": stranger})
    assert tx.return_value == 2
    assert [e["item"] for e in tx.events[SKIPPED]] == [b]
    assert mkt.book.order(a)[2] == SETTLED and mkt.book.order(c)[2] == SETTLED
    assert state(mkt, b) == middle
    assert mkt.token.balanceOf(mkt.book) == held
    assert mkt.token.balanceOf(mkt.book) == mkt.book.totalEscrowed() + mkt.book.totalWithdrawable()


def test_settle_many_before_the_readings_window_closed_settles_nothing(mkt, people, auditor, stranger):
    a, _ = active_order(mkt, people, auditor)
    before = balances(mkt, people.p1, people.c1), state(mkt, a)
    tx = mkt.book.settleMany([a], {"from": stranger})
    assert tx.return_value == 0 and len(tx.events[SKIPPED]) == 1
    assert (balances(mkt, people.p1, people.c1), state(mkt, a)) == before
    assert mkt.book.order(a)[2] == ACTIVE


def test_a_batch_reading_naming_the_order_book_as_its_meter_is_refused(mkt, people, auditor, stranger):
    """Batch items run as self-calls (msg.sender = the book): a reading whose "meter" is the book's own
    address must not pass as a meter sending its own reading (no signature). The registry binds no such meter
    (it needs the meter's signature); the book refuses it anyway, before looking the meter up."""
    oid, _ = active_order(mkt, people, auditor)
    before = state(mkt, oid)
    tx = mkt.book.submitReadings([(oid, SELLER_SIDE, R, mkt.book.address, b"")], {"from": stranger})
    assert tx.return_value == 0
    (skipped,) = tx.events[SKIPPED]
    assert bytes(skipped["reason"])[:4] == Web3.keccak(text="OnlySelf(address)")[:4]
    assert state(mkt, oid) == before


# ------------------------------------------------------------------ registry obligations, one per trader


def test_registry_obligation_is_held_once_per_trader_until_its_last_active_order_settles(
    mkt, lean, registry, auditor
):
    seller, buyer, _ = lean
    pid, period = open_period(mkt)
    first, second = open_signed(mkt, lean, pid), open_signed(mkt, lean, pid)
    before = registry.participant(seller)[6]
    goto(period, "signing")
    for oid in (first, second):
        mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    # two Active orders, one obligation each in the registry (opened with the first, not per order)
    assert registry.participant(seller)[6] == before + 1
    assert registry.participant(buyer)[6] == registry.participant(seller)[6]
    goto(period, "settlement")
    mkt.book.settle(first, {"from": auditor})
    assert registry.participant(seller)[6] == before + 1  # the second order still holds it
    registry.requestExit({"from": seller})
    with reverts_with("OpenObligations", seller, before + 1):
        registry.finalizeExit(seller, {"from": seller})
    mkt.book.settle(second, {"from": auditor})
    assert registry.participant(seller)[6] == before
    assert mkt.book.order(second)[2] == SETTLED


def test_a_later_activation_refuses_a_party_suspended_since_its_first(mkt, auditor, registry, lean):
    seller, buyer, _ = lean
    pid, period = open_period(mkt)
    first, second = open_signed(mkt, lean, pid), open_signed(mkt, lean, pid)
    goto(period, "signing")
    mkt.book.approveOrder(first, mkt.book.termsHash(first), {"from": auditor})
    registry.suspend(buyer, b"audit", {"from": auditor})
    before = (state(mkt, second), balances(mkt, seller, buyer), registry.participant(buyer)[6])
    with reverts_with("PartyNotActive", buyer):
        mkt.book.approveOrder(second, mkt.book.termsHash(second), {"from": auditor})
    assert (state(mkt, second), balances(mkt, seller, buyer), registry.participant(buyer)[6]) == before


def test_role_and_status_is_the_first_slot_of_the_record(registry, people):
    for who in (people.p1, people.c1, accounts[9]):
        record = registry.participant(who)
        assert tuple(registry.roleAndStatus(who)) == (record[0], record[1])
