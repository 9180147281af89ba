"""The lean order lifecycle on `OrderBook` (issue 13): internal balances, batch audit, batch readings and
batch settlement, one registry obligation per trader; and the signed bilateral opening's refusals, on
`SignedBook`.

Every new function: a stranger is refused, a refusal leaves balances and the order as they were, and each
batch skips a bad item in the middle (with `BatchItemSkipped`) while applying the others.

`OrderBook.openSignedContract` was removed (review 2 finding 2: its sequential seller nonces let a buyer
withholding one signed contract block the seller's later ones); a contract both parties signed off chain opens
on `SignedBook`. Its tests here moved with it: the refusals (a signature that does not cover the terms, a
second opening, more than the buyer's balance) now run against `SignedBook` below; its lifecycle, rejection,
expiry and unordered nonces are in tests/contracts/test_market_signed.py, and that `OrderBook` no longer
dispatches the call in tests/contracts/test_review2_findings.py. The registry-obligation and activation
properties of the order book are tested on its remaining path (propose, accept, approve, sign).
"""

import pytest
from brownie import HonestSupplierSettlement, accounts, chain
from conftest import CONSUMER, GENERATOR, reverts_with
from eth_account import Account
from eth_account.messages import encode_typed_data
from market_fixtures import (
    ACTIVE,
    APPROVED_ORDER,
    BUYER_SIDE,
    FEE,
    REJECTED,
    SELLER_SIDE,
    SETTLED,
    TAU,
    TOKEN,
    WAD,
    active_order,
    balances,
    cost_up,
    deploy_signed_book,
    goto,
    join,
    open_period,
    reading_signature,
)
from web3 import Web3

from energy_trading.clients.signed import deal_typed_data

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


def agreed(mkt, lean, pid):
    """A bilateral order of the `lean` pair on the order book, proposed and accepted (Agreed)."""
    seller, buyer, _ = lean
    tx = mkt.book.proposeContract(pid, buyer, R, PRICE, {"from": seller})
    oid = tx.events["ContractProposed"]["orderId"]
    mkt.book.acceptProposal(oid, BONUS, {"from": buyer})
    return oid


def activate(mkt, lean, oid, auditor):
    """Approve an agreed order and sign it by the buyer from its internal balance (the honest-supplier policy
    asks the seller for nothing, so the buyer's signature activates it)."""
    mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    return mkt.book.sign(oid, {"from": lean[1]})


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


# ------------------------------------------------------------------ signed openings (SignedBook)


@pytest.fixture(scope="module")
def sb(mkt, lean, admin):
    """`SignedBook` on the order book's periods (honest-supplier policy bound to it); each of the `lean` pair
    deposits there the 100 tokens still in its wallet."""
    book = deploy_signed_book(admin, mkt.book, mkt.token)
    book.mapPolicy(mkt.honest, HonestSupplierSettlement.deploy(book, TAU, {"from": admin}), {"from": admin})
    mkt.reputation.setTallyBook(book, {"from": admin})  # the reputation ledger reads its tallies
    for who in lean[:2]:
        mkt.token.approve(book, 100 * WAD, {"from": who})
        book.deposit(100 * WAD, {"from": who})
    return book


def deal(sb, pid, seller, buyer, nonce=0, energy=R, price=PRICE, bonus=BONUS):
    return (pid, seller.address, buyer.address, energy, price, bonus, nonce)


def sig(sb, signer, d):
    typed = deal_typed_data(chain.id, sb.address, d)
    return Account.from_key(signer.private_key).sign_message(encode_typed_data(full_message=typed)).signature


def sb_state(sb, mkt, seller, buyer, nonce=0):
    """What a refused opening must leave as it was: both internal balances, the book's tokens, the nonce."""
    return (
        sb.withdrawable(seller),
        sb.withdrawable(buyer),
        mkt.token.balanceOf(sb),
        sb.nonceUsed(seller, nonce),
    )


def test_signed_contract_refusals_leave_everything_unchanged(mkt, lean, sb, stranger):
    seller, buyer, _ = lean
    pid, _ = open_period(mkt)
    d = deal(sb, pid, seller, buyer)
    before = sb_state(sb, mkt, seller, buyer)
    with reverts_with("InvalidPartySignature", pid, buyer.address):  # the seller's signature twice
        sb.open(d, sig(sb, seller, d), sig(sb, seller, d), {"from": seller})
    forged = accounts.add()
    with reverts_with("InvalidPartySignature", pid, seller.address):
        sb.open(d, sig(sb, forged, d), sig(sb, buyer, d), {"from": stranger})
    # the buyer signed a smaller contract: its signature does not cover these terms
    small = deal(sb, pid, seller, buyer, energy=R // 10)
    with reverts_with("InvalidPartySignature", pid, buyer.address):
        sb.open(d, sig(sb, seller, d), sig(sb, buyer, small), {"from": seller})
    # more than the buyer's internal balance
    huge = deal(sb, pid, seller, buyer, price=1_000 * TOKEN)
    with reverts_with("InsufficientBalance"):
        sb.open(huge, sig(sb, seller, huge), sig(sb, buyer, huge), {"from": seller})
    assert sb_state(sb, mkt, seller, buyer) == before
    assert not before[3]  # nonce 0 still unspent


def test_a_signed_contract_cannot_be_opened_twice(mkt, lean, sb):
    seller, buyer, _ = lean
    pid, _ = open_period(mkt)
    d = deal(sb, pid, seller, buyer)
    s, b = sig(sb, seller, d), sig(sb, buyer, d)
    sb.open(d, s, b, {"from": seller})
    before = sb_state(sb, mkt, seller, buyer)
    assert before[3]  # the opening spent the seller's nonce 0
    with reverts_with("NonceUsed", seller.address, 0):
        sb.open(d, s, b, {"from": buyer})
    assert sb_state(sb, mkt, seller, buyer) == before


# ------------------------------------------------------------------ signed orders on the order book


def test_an_order_signed_by_one_party_cannot_be_amended(mkt, lean, auditor):
    """Terms change only by both parties' consent and before anyone escrowed: once a party signed (here the
    seller, whose deposit is 0 under the honest-supplier policy: the order stays Approved), no amendment."""
    seller = lean[0]
    pid, _ = open_period(mkt)
    oid = agreed(mkt, lean, pid)
    mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    mkt.book.sign(oid, {"from": seller})
    assert mkt.book.order(oid)[2] == APPROVED_ORDER
    before = state(mkt, oid)
    with reverts_with("AmendmentAfterSigning", oid):
        mkt.book.proposeAmendment(oid, 2 * R, PRICE, {"from": seller})
    assert state(mkt, oid) == before


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
    first, second = agreed(mkt, lean, pid), agreed(mkt, lean, pid)
    before = registry.participant(seller)[6]
    goto(period, "signing")
    for oid in (first, second):
        assert "OrderActivated" in activate(mkt, lean, oid, auditor).events
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
    """The seller's first Active order opened its registry obligation; suspended since, its second order
    cannot activate: the buyer's signature (which would complete the escrow) is refused, changing nothing."""
    seller, buyer, _ = lean
    pid, period = open_period(mkt)
    first, second = agreed(mkt, lean, pid), agreed(mkt, lean, pid)
    goto(period, "signing")
    activate(mkt, lean, first, auditor)
    mkt.book.approveOrder(second, mkt.book.termsHash(second), {"from": auditor})
    registry.suspend(seller, b"audit", {"from": auditor})
    before = (state(mkt, second), balances(mkt, seller, buyer), registry.participant(seller)[6])
    with reverts_with("PartyNotActive", seller):
        mkt.book.sign(second, {"from": buyer})
    assert (state(mkt, second), balances(mkt, seller, buyer), registry.participant(seller)[6]) == before


def test_role_and_status_is_the_first_slot_of_the_record(registry, people):
    for who in (people.p1, people.c1, accounts[9]):
        record = registry.participant(who)
        assert tuple(registry.roleAndStatus(who)) == (record[0], record[1])
