"""SignedBook, the lean signed-bilateral lifecycle (issue 13): open with both EIP-712 signatures, audit by
hash, both final readings relayed in one call that settles; batches that skip a bad item alone; unordered
nonces and revocation (review 2 finding 2); liveness when a party or the auditor never acts; conservation.

Conservation is checked by summing: token.balanceOf(book) == every account's internal balance + the escrow
of every open order (the book stores no running totals)."""

import brownie
import pytest
from brownie import HonestSupplierSettlement, accounts, chain, web3
from conftest import CONSUMER, DEVICE, GENERATOR, add_meter, approve_meters, new_meter, plain, reverts_with
from eth_abi import encode as abi_encode
from market_fixtures import (  # noqa: F401
    FEE,
    GRACE,
    SELLER_SIDE,
    TAU,
    TOKEN,
    WAD,
    active_order,
    deploy_signed_book,
    goto,
    join,
    mkt,
    open_period,
    reading_signature,
)
from signed_fixtures import NO_READING, ORDER_TYPES, both_readings, order_hash, reading, sign  # noqa: F401
from web3 import Web3

from energy_trading.clients.signed import deal_typed_data

R = 10_000  # Wh
PRICE = TOKEN // 2  # per kWh
BONUS = TOKEN


@pytest.fixture(scope="module")
def sb(mkt, admin):  # noqa: F811
    """The signed book on the market's periods, with an honest-supplier policy bound to it; the reputation
    ledger's tally book (as the deployment wires it)."""
    book = deploy_signed_book(admin, mkt.book, mkt.token)
    mkt.reputation.setTallyBook(book, {"from": admin})
    policy = HonestSupplierSettlement.deploy(book, TAU, {"from": admin})
    book.mapPolicy(mkt.honest, policy, {"from": admin})
    return book


@pytest.fixture(scope="module")
def cast(registry, auditor, mkt, sb, admin):  # noqa: F811
    """A seller and two buyers with local keys and meters, 100 tokens each in the signed book."""
    seller, b1, b2 = accounts.add(), accounts.add(), accounts.add()
    meters = {}
    for who, role in ((seller, GENERATOR), (b1, CONSUMER), (b2, CONSUMER)):
        admin.transfer(who, "1 ether")
        meters[who] = join(registry, auditor, who, role)
        mkt.token.issue(who, 100 * WAD, {"from": admin})
        mkt.token.approve(sb, 100 * WAD, {"from": who})
        sb.deposit(100 * WAD, {"from": who})
    chain.sleep(3_600)  # meter budgets (rated power x time since approval)
    chain.mine()
    return seller, b1, b2, meters


def deal(sb, pid, seller, buyer, nonce, energy=R):
    d = (pid, seller.address, buyer.address, energy, PRICE, BONUS, nonce)
    typed = deal_typed_data(chain.id, sb.address, d)
    return d, sign(seller, typed), sign(buyer, typed)


def opened(tx):
    """(order id, order tuple) of every Opened event."""
    return [(e["orderId"], tuple(e["order"])) for e in tx.events["Opened"]] if "Opened" in tx.events else []


def stored(sb, oid):
    """The stored readings of an order as plain Python values (sellerIn, Wh, buyerIn, Wh)."""
    a, b, c, d = sb.readingsOf(oid)
    return (bool(a), int(b), bool(c), int(d))


def held(sb, mkt, who, orders=()):  # noqa: F811
    """Conservation by summation: internal balances of `who` + escrow of the open `orders` (id, order) + the
    handling fees accrued and not collected in the period tallies of their sellers."""
    escrow = sum(o[9] + FEE + o[10] for oid, o in orders if sb.orderWord(oid) != 0)
    fees = sum(sb.uncollectedFees(s, p) for s, p in {(o[1], o[0]) for _, o in orders})
    return sum(sb.withdrawable(a) for a in who) + escrow + fees


def open_one(sb, cast, pid, nonce=0, buyer=None, relayer=None):
    seller, b1, _, _ = cast
    d, s, b = deal(sb, pid, seller, buyer or b1, nonce)
    return opened(sb.open(d, s, b, {"from": relayer or accounts[9]}))[0]


def everyone(cast, admin):
    seller, b1, b2, _ = cast
    return [seller, b1, b2, admin]


# ------------------------------------------------------------------ the lifecycle


def test_a_meter_has_one_budget_for_both_books(sb, mkt, cast, auditor, registry, admin, stranger):  # noqa: F811
    """Attack review 6, finding 1: each book kept its own Wh budget per meter, so a 1 kW meter's energy was
    sold on the order book and again on the signed book (2 kWh paid for the 1 kWh it could have produced).
    Both books now count against the meter's one budget in the registry: the signed book refuses what no
    longer fits after the order book's reading, and its refusal changes nothing."""
    seller, b1, _, _ = cast
    small = new_meter()
    add_meter(registry, seller, small, 1_000, DEVICE)  # a 1 kW device
    approve_meters(registry, auditor, seller)
    mkt.token.issue(b1, 100 * WAD, {"from": admin})
    book_order, _ = active_order(mkt, None, auditor, energy=R, seller=seller, buyer=b1)
    pid, period = open_period(mkt)
    oid, order = open_one(sb, cast, pid)
    sb.approve(oid, order_hash(order), {"from": auditor})
    goto(period, "signing")  # about 1.5 h after the approval: a budget of about 1.5 kWh
    energy = mkt.book.meterHeadroomWh(small) * 6 // 10  # fits once, not twice
    signature = reading_signature(mkt.book, small, book_order, SELLER_SIDE, energy)
    mkt.book.submitReading(book_order, SELLER_SIDE, energy, small, signature, {"from": stranger})
    assert registry.meterInfo(small)[4] == energy  # the registry's count, shared by both books
    assert sb.meterReportedWh(small) == mkt.book.meterReportedWh(small) == energy
    item = (oid, order, reading(sb, oid, 0, energy, small), NO_READING)
    before = (sb.orderWord(oid), stored(sb, oid), plain(registry.meterInfo(small)))
    with brownie.reverts(revert_pattern=rf"ReadingImplausible: {str(small).lower()}, {energy}, \d+"):
        sb.report(item, {"from": stranger})
    assert (sb.orderWord(oid), stored(sb, oid), plain(registry.meterInfo(small))) == before
    # what is left still fits: the budget is shared, not halved
    rest = sb.meterHeadroomWh(small)
    assert 0 < rest < energy
    sb.report((oid, order, reading(sb, oid, 0, rest, small), NO_READING), {"from": stranger})
    assert registry.meterInfo(small)[4] == energy + rest


def test_only_a_market_with_the_meter_budget_role_counts_energy(registry, cast, stranger, mkt):  # noqa: F811
    """`recordTradedEnergy` moves a meter's budget: a stranger (or a contract without METER_BUDGET_ROLE) is
    refused, and nothing changes."""
    _, _, _, meters = cast
    meter = next(iter(meters.values()))
    before = plain(registry.meterInfo(meter))
    with brownie.reverts(revert_pattern=rf"AccessControlUnauthorizedAccount: {str(stranger).lower()}, .*"):
        registry.recordTradedEnergy(meter, 1, {"from": stranger})
    assert plain(registry.meterInfo(meter)) == before


def test_one_trade_opens_audits_and_settles_in_the_readings_call(sb, mkt, cast, auditor, admin, stranger):  # noqa: F811
    seller, b1, _, meters = cast
    pid, period = open_period(mkt)
    before = mkt.token.balanceOf(sb)
    oid, order = open_one(sb, cast, pid, relayer=stranger)  # anyone relays both signatures
    cost = (R * PRICE + 999) // 1000 + BONUS
    assert order[9] == cost and order[10] == 0
    assert sb.withdrawable(b1) == 100 * WAD - cost - FEE
    assert sb.statusOf(oid, order) == 1
    sb.approve(oid, order_hash(order), {"from": auditor})
    assert sb.statusOf(oid, order) == 2
    goto(period, "signing")
    tx = sb.report(
        both_readings(sb, oid, order, R, meters[seller], meters[b1]),
        {"from": stranger},
    )
    out = tx.events["Settled"]["outcome"]
    assert out["toSeller"] == cost and out["reward"] == BONUS  # delivered and received in full: whole bonus
    assert sb.orderWord(oid) == 0 and sb.statusOf(oid, order) == 0  # the word is deleted
    assert sb.withdrawable(seller) == 100 * WAD + cost
    # the fee is accrued in the seller's period tally, not credited per settlement; anyone pulls it to the
    # fee recipient's balance, once
    assert sb.withdrawable(admin) == 0 and sb.uncollectedFees(seller, pid) == FEE
    assert mkt.token.balanceOf(sb) == before == held(sb, mkt, everyone(cast, admin), [(oid, order)])
    tx = sb.collectFees([seller], [pid], {"from": stranger})
    assert tx.return_value == FEE and tx.events["FeesCollected"]["trades"] == 1
    assert sb.withdrawable(admin) == FEE and sb.uncollectedFees(seller, pid) == 0
    assert mkt.token.balanceOf(sb) == before == held(sb, mkt, everyone(cast, admin), [(oid, order)])


def test_a_single_reading_is_stored_and_the_second_settles(sb, mkt, cast, auditor, stranger):  # noqa: F811
    seller, b1, _, meters = cast
    pid, _ = open_period(mkt)
    oid, order = open_one(sb, cast, pid)
    sb.approve(oid, order_hash(order), {"from": auditor})
    tx = sb.report((oid, order, reading(sb, oid, 0, R, meters[seller]), NO_READING), {"from": stranger})
    assert "Settled" not in tx.events and sb.statusOf(oid, order) == 3
    assert stored(sb, oid) == (True, R, False, 0)
    with brownie.reverts():  # a side reads once
        sb.report((oid, order, reading(sb, oid, 0, R - 1, meters[seller]), NO_READING), {"from": stranger})
    tx = sb.report((oid, order, NO_READING, reading(sb, oid, 1, R // 2, meters[b1])), {"from": stranger})
    assert tx.events["Settled"]["receivedWh"] == R // 2
    assert stored(sb, oid) == (False, 0, False, 0)


# ------------------------------------------------------------------ strangers refused, nothing changes


def test_strangers_are_refused_and_nothing_changes(sb, mkt, cast, auditor, stranger, admin):  # noqa: F811
    seller, b1, _, meters = cast
    pid, _ = open_period(mkt)
    oid, order = open_one(sb, cast, pid)
    word, balances = sb.orderWord(oid), [sb.withdrawable(a) for a in everyone(cast, admin)]
    h = order_hash(order)
    with brownie.reverts():
        sb.approve(oid, h, {"from": stranger})
    with brownie.reverts():
        sb.approveMany([oid], [h], {"from": stranger})
    with brownie.reverts():
        sb.reject(oid, order, b"no", {"from": stranger})
    with brownie.reverts():
        sb.rejectMany([oid], [order], [b"no"], {"from": stranger})
    with brownie.reverts():
        sb.rejectItem(oid, order, b"no", auditor, {"from": auditor})
    assert not hasattr(sb, "reportItem")  # batch items are checked in the batch, no self-call to reach
    with brownie.reverts():
        sb.mapPolicy(mkt.honest, stranger, {"from": stranger})
    with brownie.reverts():
        sb.withdraw({"from": stranger})
    d, _, _ = deal(sb, pid, seller, b1, 5)
    with brownie.reverts():
        sb.revoke(d, {"from": stranger})
    with brownie.reverts():  # before readingsEnd nobody settles
        sb.settle(oid, order, {"from": stranger})
    with brownie.reverts():  # before signEnd nobody expires
        sb.expire(oid, order, {"from": stranger})
    with brownie.reverts():  # not Active: no readings
        sb.report((oid, order, reading(sb, oid, 0, R, meters[seller]), NO_READING), {"from": stranger})
    assert sb.orderWord(oid) == word
    assert [sb.withdrawable(a) for a in everyone(cast, admin)] == balances
    assert not sb.nonceUsed(seller, 5)


def test_a_forged_or_tampered_order_is_refused(sb, mkt, cast, auditor, stranger):  # noqa: F811
    seller, b1, b2, meters = cast
    pid, _ = open_period(mkt)
    d, s, b = deal(sb, pid, seller, b1, 0)
    with brownie.reverts():  # the seller's signature twice
        sb.open(d, s, s, {"from": stranger})
    oid, order = opened(sb.open(d, s, b, {"from": stranger}))[0]
    with brownie.reverts():  # the same signed deal opens once
        sb.open(d, s, b, {"from": stranger})
    cheaper = list(order)
    cheaper[9] = 1  # a buyer deposit the book did not fix
    with brownie.reverts():
        sb.approve(oid, order_hash(cheaper), {"from": auditor})
    sb.approve(oid, order_hash(order), {"from": auditor})
    with brownie.reverts():  # the buyer's reading from another party's meter
        sb.report((oid, order, NO_READING, reading(sb, oid, 1, R, meters[b2])), {"from": stranger})
    with brownie.reverts():  # a tampered order
        sb.report(
            (oid, tuple(cheaper), reading(sb, oid, 0, R, meters[seller]), NO_READING), {"from": stranger}
        )


# ------------------------------------------------------------------ review 2 finding 2: unordered nonces


def test_a_withheld_signed_contract_does_not_block_the_sellers_next_one(sb, mkt, cast, stranger):  # noqa: F811
    seller, b1, b2, _ = cast
    pid, _ = open_period(mkt)
    c1 = deal(sb, pid, seller, b1, 0)  # buyer 1 holds it back
    c2 = deal(sb, pid, seller, b2, 1)
    assert len(opened(sb.open(*c2, {"from": stranger}))) == 1
    sb.revoke(c1[0], {"from": seller})  # the seller takes its consent back alone
    assert sb.nonceUsed(seller, 0)
    with brownie.reverts():
        sb.open(*c1, {"from": b1})
    c3 = deal(sb, pid, seller, b1, 7)
    sb.revoke(c3[0], {"from": b1})  # the buyer may revoke too: that one deal only
    with brownie.reverts():
        sb.open(*c3, {"from": b1})
    assert not sb.nonceUsed(seller, 7)  # a buyer cannot spend the seller's nonce (anyone names itself buyer)
    assert len(opened(sb.open(*deal(sb, pid, seller, b2, 7), {"from": stranger}))) == 1
    sb.invalidateNonces(0, 1 << 9, {"from": seller})
    with brownie.reverts():
        sb.open(*deal(sb, pid, seller, b1, 9), {"from": b1})


# ------------------------------------------------------------------ batches: a bad middle item is skipped


def test_open_many_skips_a_bad_item_and_opens_the_others(sb, mkt, cast, stranger):  # noqa: F811
    seller, b1, b2, _ = cast
    pid, _ = open_period(mkt)
    good1, good2 = deal(sb, pid, seller, b1, 0), deal(sb, pid, seller, b2, 2)
    bad = deal(sb, pid, seller, b2, 1)
    bad_b = sign(b1, deal_typed_data(chain.id, sb.address, bad[0]))  # not the buyer's signature
    before = sb.withdrawable(b2)
    tx = sb.openMany(
        [good1[0], bad[0], good2[0]],
        [good1[1], bad[1], good2[1]],
        [good1[2], bad_b, good2[2]],
        {"from": stranger},
    )
    assert tx.return_value == 2 and len(opened(tx)) == 2
    assert tx.events["BatchItemSkipped"]["index"] == 1
    assert not sb.nonceUsed(seller, 1)  # the bad item's state is unchanged
    assert sb.withdrawable(b2) == before - opened(tx)[1][1][9] - FEE


def test_open_many_skips_an_item_its_buyer_cannot_pay_and_spends_nothing_of_it(sb, mkt, cast, stranger):  # noqa: F811
    seller, b1, b2, _ = cast
    pid, _ = open_period(mkt)
    dear = deal(sb, pid, seller, b2, 7, energy=R * 1_000)  # 5,000 tokens: more than b2 holds
    good = deal(sb, pid, seller, b1, 8)
    before = sb.withdrawable(b2), sb.withdrawable(seller), sb.tallyOf(seller, pid)
    tx = sb.openMany([dear[0], good[0]], [dear[1], good[1]], [dear[2], good[2]], {"from": stranger})
    assert tx.return_value == 1 and len(opened(tx)) == 1
    skipped = bytes(tx.events["BatchItemSkipped"]["reason"])
    assert skipped[:4] == Web3.keccak(text="InsufficientBalance(address,uint256,uint256)")[:4]
    # checked before any write: nonce unspent, balances and the seller's tally as for one order only
    assert not sb.nonceUsed(seller, 7) and sb.nonceUsed(seller, 8)
    assert sb.withdrawable(b2) == before[0] and sb.withdrawable(seller) == before[1]
    assert int(sb.tallyOf(seller, pid)[0]) == int(before[2][0]) + 1
    with reverts_with("InsufficientBalance"):  # alone, the same item reverts with the same error
        sb.open(*dear, {"from": stranger})


def test_a_party_with_code_signs_by_key_or_erc1271_and_its_wallet_cannot_take_the_batch(
    sb,
    mkt,  # noqa: F811
    cast,
    stranger,
):
    """Party signatures: the key's ECDSA signature first (no look at the code), else a party with code is
    asked `isValidSignature` with at most 500,000 gas. Code is set on the parties' accounts with anvil (as an
    EIP-7702 delegation would), hand-assembled: a wallet answering the ERC-1271 magic value to anything, and
    one that burns all the gas it gets."""
    seller, b1, b2, _ = cast
    pid, _ = open_period(mkt)
    magic = "0x631626ba7e60e01b60005260206000f3"  # mstore(0, 0x1626ba7e << 224); return(0, 32)
    burner = "0x5b600056"  # loop forever
    small = R // 10

    def signed_by(other, d):
        return d[0], d[1], sign(other, deal_typed_data(chain.id, sb.address, d[0]))

    try:
        web3.provider.make_request("anvil_setCode", [b1.address, magic])
        by_key = deal(sb, pid, seller, b1, 40, energy=small)  # its key: accepted
        by_wallet = signed_by(
            b2, deal(sb, pid, seller, b1, 41, energy=small)
        )  # not its key: its wallet says yes
        tx = sb.openMany(*zip(by_key, by_wallet, strict=True), {"from": stranger})
        assert tx.return_value == 2 and "BatchItemSkipped" not in tx.events
        web3.provider.make_request("anvil_setCode", [b2.address, burner])
        burning = signed_by(b1, deal(sb, pid, seller, b2, 42, energy=small))  # asks b2's wallet: it burns
        after = deal(sb, pid, seller, b1, 43, energy=small)
        tx = sb.openMany(*zip(burning, after, strict=True), {"from": stranger, "gas_limit": 3_000_000})
        assert tx.return_value == 1 and tx.events["BatchItemSkipped"]["index"] == 0
        skipped = bytes(tx.events["BatchItemSkipped"]["reason"])
        assert skipped == Web3.keccak(text="InvalidPartySignature(uint256,address)")[:4] + abi_encode(
            ["uint256", "address"], [pid, b2.address]
        )
        assert not sb.nonceUsed(seller, 42) and sb.nonceUsed(seller, 43)
    finally:
        for who in (b1, b2):
            web3.provider.make_request("anvil_setCode", [who.address, "0x"])


# ------------------------------------------------------------------ handling fees (accrued, pulled)


def test_fees_accrue_in_the_sellers_tally_and_anyone_collects_them_once(
    sb,
    mkt,  # noqa: F811
    cast,
    auditor,
    stranger,
    admin,
):
    seller, b1, _, meters = cast
    pid, _ = open_period(mkt)
    orders = [open_one(sb, cast, pid, nonce=n) for n in (20, 21)]
    sb.approveMany([o for o, _ in orders], [order_hash(x) for _, x in orders], {"from": auditor})
    items = [both_readings(sb, oid, o, R, meters[seller], meters[b1]) for oid, o in orders]
    fee_before = sb.withdrawable(admin)
    sb.reportMany(items, {"from": stranger})
    # the settlements counted two trades in the seller's tally (reputation unchanged by the fee) and accrued
    # their fees there, credited to nobody yet
    assert [int(x) for x in sb.tallyOf(seller, pid)] == [0, 2, 2 * WAD]
    assert sb.uncollectedFees(seller, pid) == 2 * FEE and sb.withdrawable(admin) == fee_before
    assert mkt.token.balanceOf(sb) == held(sb, mkt, everyone(cast, admin), orders)
    with reverts_with("LengthMismatch", 1, 2):
        sb.collectFees([seller], [pid, pid], {"from": stranger})
    with reverts_with("NothingToCollect"):  # a pair without trades
        sb.collectFees([b1], [pid], {"from": stranger})
    # anyone collects; naming a pair twice collects it once
    tx = sb.collectFees([seller, seller], [pid, pid], {"from": stranger})
    assert tx.return_value == 2 * FEE and len(tx.events["FeesCollected"]) == 1
    assert tx.events["FeesCollected"]["trades"] == 2 and tx.events["FeesCollected"]["amount"] == 2 * FEE
    assert sb.withdrawable(admin) == fee_before + 2 * FEE and sb.uncollectedFees(seller, pid) == 0
    assert [int(x) for x in sb.tallyOf(seller, pid)] == [0, 2, 2 * WAD]  # the fold reads the same tally
    with reverts_with("NothingToCollect"):  # twice: refused
        sb.collectFees([seller], [pid], {"from": stranger})
    assert mkt.token.balanceOf(sb) == held(sb, mkt, everyone(cast, admin), orders)
    # a later trade of the same (seller, period) accrues again, and only its own fee is collected
    (oid, o) = open_one(sb, cast, pid, nonce=22)
    sb.approve(oid, order_hash(o), {"from": auditor})
    sb.report(both_readings(sb, oid, o, R, meters[seller], meters[b1]), {"from": b1})
    assert sb.uncollectedFees(seller, pid) == FEE
    assert sb.collectFees([seller], [pid], {"from": admin}).return_value == FEE
    assert sb.withdrawable(admin) == fee_before + 3 * FEE


def test_approve_many_skips_a_bad_item(sb, mkt, cast, auditor):  # noqa: F811
    pid, _ = open_period(mkt)
    a, b, c = (open_one(sb, cast, pid, nonce=n) for n in range(3))
    word_b = sb.orderWord(b[0])
    tx = sb.approveMany(
        [a[0], b[0], c[0]], [order_hash(a[1]), b"\x01" * 32, order_hash(c[1])], {"from": auditor}
    )
    assert tx.return_value == 2 and tx.events["BatchItemSkipped"]["index"] == 1
    assert sb.orderWord(b[0]) == word_b and sb.statusOf(b[0], b[1]) == 1
    assert sb.statusOf(a[0], a[1]) == 2 and sb.statusOf(c[0], c[1]) == 2


def test_reject_many_skips_a_bad_item_and_refunds_the_others(sb, mkt, cast, auditor, admin):  # noqa: F811
    _, b1, _, _ = cast
    pid, _ = open_period(mkt)
    a, b, c = (open_one(sb, cast, pid, nonce=n) for n in range(3))
    sb.approve(b[0], order_hash(b[1]), {"from": auditor})  # Active: no longer rejectable
    before = sb.withdrawable(b1)
    tx = sb.rejectMany([a[0], b[0], c[0]], [a[1], b[1], c[1]], [b"x"] * 3, {"from": auditor})
    assert tx.return_value == 2 and tx.events["BatchItemSkipped"]["index"] == 1
    assert sb.statusOf(b[0], b[1]) == 2
    assert sb.withdrawable(b1) == before + 2 * (a[1][9] + FEE)
    assert mkt.token.balanceOf(sb) == held(sb, mkt, everyone(cast, admin), [a, b, c])


def test_report_many_skips_a_bad_item_and_settles_the_others(sb, mkt, cast, auditor, stranger, admin):  # noqa: F811
    seller, b1, b2, meters = cast
    pid, _ = open_period(mkt)
    orders = [open_one(sb, cast, pid, nonce=n) for n in range(3)]
    sb.approveMany([o for o, _ in orders], [order_hash(x) for _, x in orders], {"from": auditor})
    items = [both_readings(sb, oid, o, R, meters[seller], meters[b1]) for oid, o in orders]
    mid, o = orders[1]
    items[1] = (
        mid,
        o,
        reading(sb, mid, 0, R, meters[seller]),
        reading(sb, mid, 1, R, meters[b2]),
    )  # wrong meter
    word = sb.orderWord(mid)
    budgets = [sb.meterReportedWh(meters[a]) for a in (seller, b1, b2)]
    tx = sb.reportMany(items, {"from": stranger})
    assert tx.return_value == 2 and tx.events["BatchItemSkipped"]["index"] == 1
    skipped = bytes(tx.events["BatchItemSkipped"]["reason"])
    assert skipped[:4] == Web3.keccak(text="MeterNotOwnedBy(address,address,address)")[:4]
    assert len(tx.events["Settled"]) == 2
    assert sb.orderWord(mid) == word and stored(sb, mid) == (False, 0, False, 0)  # nothing stored
    # the skipped item's valid seller reading was checked, never counted: only the applied items used budget
    assert [sb.meterReportedWh(meters[a]) for a in (seller, b1, b2)] == [
        budgets[0] + 2 * R,
        budgets[1] + 2 * R,
        budgets[2],
    ]
    assert mkt.token.balanceOf(sb) == held(sb, mkt, everyone(cast, admin), orders)


def test_settle_many_skips_a_bad_item(sb, mkt, cast, auditor, stranger, admin):  # noqa: F811
    pid, period = open_period(mkt)
    orders = [open_one(sb, cast, pid, nonce=n) for n in range(3)]
    sb.approveMany(
        [orders[0][0], orders[2][0]], [order_hash(orders[0][1]), order_hash(orders[2][1])], {"from": auditor}
    )
    goto(period, "settlement")
    word = sb.orderWord(orders[1][0])  # never approved: not settleable
    tx = sb.settleMany([o for o, _ in orders], [x for _, x in orders], {"from": stranger})
    assert tx.return_value == 2 and tx.events["BatchItemSkipped"]["index"] == 1
    assert sb.orderWord(orders[1][0]) == word
    # no reading came: both sides read 0 Wh, the seller is penalised the whole bill, the buyer refunded
    assert all(e["outcome"]["toSeller"] == 0 for e in tx.events["Settled"])
    assert mkt.token.balanceOf(sb) == held(sb, mkt, everyone(cast, admin), orders)


# ------------------------------------------------------------------ liveness


def test_an_order_the_auditor_never_approves_expires_with_a_refund(sb, mkt, cast, stranger, admin):  # noqa: F811
    _, b1, _, _ = cast
    pid, period = open_period(mkt)
    before = sb.withdrawable(b1)
    oid, order = open_one(sb, cast, pid)
    goto(period, "settlement")  # past signEnd
    tx = sb.expire(oid, order, {"from": stranger})
    assert tx.events["Expired"]["toBuyer"] == order[9] + FEE
    assert sb.withdrawable(b1) == before and sb.orderWord(oid) == 0
    with brownie.reverts():
        sb.expire(oid, order, {"from": stranger})


def test_a_party_that_vanishes_after_one_reading_does_not_block_settlement(
    sb,
    mkt,  # noqa: F811
    cast,
    auditor,
    stranger,
    admin,
):
    seller, b1, _, meters = cast
    pid, period = open_period(mkt)
    oid, order = open_one(sb, cast, pid)
    sb.approve(oid, order_hash(order), {"from": auditor})
    sb.report((oid, order, reading(sb, oid, 0, R, meters[seller]), NO_READING), {"from": stranger})
    # the buyer's meter never reports; after the readings window anyone settles with 0 Wh received
    goto(period, "settlement")
    tx = sb.settle(oid, order, {"from": stranger})
    assert tx.events["Settled"]["deliveredWh"] == R and tx.events["Settled"]["receivedWh"] == 0
    assert sb.orderWord(oid) == 0 and stored(sb, oid) == (False, 0, False, 0)
    with brownie.reverts():  # the window is over: no late reading
        sb.report((oid, order, NO_READING, reading(sb, oid, 1, R, meters[b1])), {"from": stranger})
    assert mkt.token.balanceOf(sb) == held(sb, mkt, everyone(cast, admin), [(oid, order)])


# ------------------------------------------------------------------ review 3 (B): any failure falls back late

DEPOSITS_SELECTOR = Web3.keccak(
    text="deposits((uint256,uint256,address,address,uint256,uint256,uint256,uint256))"
)[:4]


def _silent_policy(admin):
    """A policy with no source: `deposits` returns (1000, 0); every other call (settle, grid, pool) reverts
    with NO data, as an out-of-gas or a bare `revert()` would. Hand-assembled EVM (no mock contract belongs in
    contracts/): selector == deposits ? return (1000, 0) : revert(0, 0)."""
    runtime = (
        "600035" "60e01c"  # selector = calldata[0:4]
        "63" + DEPOSITS_SELECTOR.hex().removeprefix("0x") + "14" "601357"  # == deposits ? jump to 0x13
        "600080fd"  # revert(0, 0)
        "5b" "6103e8600052" "6000602052" "60406000f3"  # 0x13: return (1000, 0)
    )  # fmt: skip
    init = "602480600b6000396000f3"  # codecopy the 36-byte runtime and return it
    tx = admin.transfer(data="0x" + init + runtime)
    return tx.contract_address


def test_a_policy_that_fails_without_a_reason_falls_back_after_the_grace(
    sb,
    mkt,  # noqa: F811
    cast,
    auditor,
    stranger,
    admin,
):
    _, b1, _, _ = cast
    book_policy = HonestSupplierSettlement.deploy(mkt.book, TAU, {"from": admin})
    mkt.book.setPolicyAllowed(book_policy, True, {"from": admin})
    sb.mapPolicy(book_policy, _silent_policy(admin), {"from": admin})
    pid, period = open_period(mkt, book_policy)
    before = sb.withdrawable(b1)
    oid, order = open_one(sb, cast, pid)
    assert order[9] == 1000  # the silent policy's deposit
    sb.approve(oid, order_hash(order), {"from": auditor})
    goto(period, "settlement")
    with brownie.reverts():  # before the grace a failure still blocks
        sb.settle(oid, order, {"from": stranger})
    chain.sleep(GRACE)
    chain.mine()
    with brownie.reverts():  # too little gas for the policy's share: refused, not a forced fallback
        sb.settle(oid, order, {"from": stranger, "gas_limit": 1_000_000})
    assert sb.statusOf(oid, order) == 2
    seller = cast[0]
    assert [int(x) for x in sb.tallyOf(seller, pid)] == [1, 0, 0]
    tx = sb.settle(oid, order, {"from": stranger, "gas_limit": 3_000_000})
    assert tx.events["SettlementFellBack"]["toBuyer"] == 1000 + FEE
    # as on OrderBook: a fallen-back order is no trade
    assert [int(x) for x in sb.tallyOf(seller, pid)] == [0, 0, 0]
    assert sb.withdrawable(b1) == before and sb.orderWord(oid) == 0
    # the fee went back to the buyer: nothing accrued for the fee recipient
    assert sb.uncollectedFees(seller, pid) == 0
    with reverts_with("NothingToCollect"):
        sb.collectFees([seller], [pid], {"from": stranger})
    assert mkt.token.balanceOf(sb) == held(sb, mkt, everyone(cast, admin), [(oid, order)])
