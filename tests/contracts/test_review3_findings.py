# ruff: noqa: F811  (pytest fixtures imported from test_market_signed are redefined as arguments)
"""Review 3 (attacker review of contracts/market/SignedBook.sol): proofs of concept.

Each test asserts the behaviour the contract's own invariants or the project's standard demand; a test that
fails on the reviewed code is marked `xfail(strict=True)` with the finding number of /work/wt/review3.md
(remove the marker when the finding is fixed). Tests without a marker are areas tried that hold.
"""

import contextlib

import brownie
from brownie import HonestSupplierSettlement, chain
from market_fixtures import FEE, GRACE, TAU, goto, mkt, open_period  # noqa: F401
from signed_fixtures import NO_READING, both_readings, order_hash, reading
from test_market_signed import (  # noqa: F401
    R,
    cast,
    deal,
    held,
    open_one,
    opened,
    sb,
)


def everyone(cast, admin):
    seller, b1, b2, _ = cast
    return [seller, b1, b2, admin]


# ------------------------------------------------------------------ finding 1: anyone burns a seller's nonce


# fixed on `lean` in 441a65c (a buyer's revoke closes only that deal's digest): kept as a regression test
def test_a_stranger_cannot_revoke_a_deal_it_is_not_party_to(sb, mkt, cast, stranger):
    seller, b1, _, _ = cast
    pid, _ = open_period(mkt)
    signed = deal(sb, pid, seller, b1, 3)  # seller and buyer 1 signed this; it is in the relayer's mempool
    # the attacker names ITSELF as the buyer of a deal with the victim's nonce: no signature is checked
    forged = (pid, seller.address, stranger.address, 1, 1, 0, 3)
    # refused, or accepted as the revocation of the attacker's own (forged) deal only
    with contextlib.suppress(brownie.exceptions.VirtualMachineError):
        sb.revoke(forged, {"from": stranger})
    assert not sb.nonceUsed(seller, 3)
    assert len(opened(sb.open(*signed, {"from": stranger}))) == 1


# ------------------------------------------------------------------ areas tried that hold


def test_nonces_in_the_account_word_never_touch_the_balance(sb, mkt, cast, stranger):
    """Every nonce 0..255 spent (both halves of the packing) around deposits and a withdrawal: the balance
    half moves exactly by the token amounts, the nonce half is kept, and nonce 256 (next word) is free."""
    seller, b1, _, _ = cast
    start = sb.withdrawable(seller)
    sb.invalidateNonces(0, 2**256 - 1, {"from": seller})
    assert sb.withdrawable(seller) == start
    assert all(sb.nonceUsed(seller, n) for n in (0, 1, 126, 127, 128, 129, 254, 255))
    assert not sb.nonceUsed(seller, 256)
    wallet = mkt.token.balanceOf(seller)
    assert sb.withdraw({"from": seller}).return_value == start
    assert sb.withdrawable(seller) == 0 and mkt.token.balanceOf(seller) == wallet + start
    assert sb.nonceUsed(seller, 0) and sb.nonceUsed(seller, 127)  # the withdrawal kept the nonce half
    mkt.token.approve(sb, start, {"from": seller})
    sb.deposit(start, {"from": seller})
    assert sb.withdrawable(seller) == start
    pid, _ = open_period(mkt)
    for n in (0, 127, 128, 255):
        with brownie.reverts():
            sb.open(*deal(sb, pid, seller, b1, n), {"from": stranger})
    assert len(opened(sb.open(*deal(sb, pid, seller, b1, 256), {"from": stranger}))) == 1


def test_one_nonce_opens_one_order_and_an_invalidation_first_wins(sb, mkt, cast, stranger):
    seller, b1, b2, _ = cast
    pid, _ = open_period(mkt)
    assert len(opened(sb.open(*deal(sb, pid, seller, b1, 5), {"from": stranger}))) == 1
    before = (sb.withdrawable(seller), sb.withdrawable(b2))
    with brownie.reverts():  # another buyer, same seller nonce
        sb.open(*deal(sb, pid, seller, b2, 5), {"from": stranger})
    sb.invalidateNonces(1, 1 << 4, {"from": seller})  # nonce 260, in its own word
    with brownie.reverts():
        sb.open(*deal(sb, pid, seller, b2, 260), {"from": stranger})
    assert (sb.withdrawable(seller), sb.withdrawable(b2)) == before


def test_a_meter_signature_binds_its_order_side_and_v(sb, mkt, cast, auditor, stranger):
    seller, _, _, meters = cast
    pid, _ = open_period(mkt)
    (a, oa), (b, ob) = open_one(sb, cast, pid, nonce=0), open_one(sb, cast, pid, nonce=1)
    sb.approveMany([a, b], [order_hash(oa), order_hash(ob)], {"from": auditor})
    for_a = reading(sb, a, 0, R, meters[seller])
    words = (sb.orderWord(a), sb.orderWord(b))
    with brownie.reverts():  # order A's reading handed in for order B
        sb.report((b, ob, for_a, NO_READING), {"from": stranger})
    as_buyer_side = reading(sb, a, 1, R, meters[seller])  # signed for side 1, put in the seller slot
    with brownie.reverts():
        sb.report((a, oa, as_buyer_side, NO_READING), {"from": stranger})
    e, m, r, vs = for_a
    flipped = (e, m, r, (int.from_bytes(bytes(vs), "big") ^ (1 << 255)).to_bytes(32, "big"))  # other v
    with brownie.reverts():
        sb.report((a, oa, flipped, NO_READING), {"from": stranger})
    with brownie.reverts():  # no signature and not sent by the meter
        sb.report(
            (a, oa, (R, meters[seller].address, b"\0" * 32, b"\0" * 32), NO_READING), {"from": stranger}
        )
    assert (sb.orderWord(a), sb.orderWord(b)) == words
    sb.report((a, oa, for_a, NO_READING), {"from": stranger})  # the genuine one still goes in
    with brownie.reverts():  # and only once
        sb.report((a, oa, for_a, NO_READING), {"from": stranger})


def test_a_batch_mixing_periods_reads_each_period_and_skips_an_unmapped_one(sb, mkt, cast, stranger, admin):
    seller, b1, b2, _ = cast
    pa, period_a = open_period(mkt)
    other = HonestSupplierSettlement.deploy(mkt.book, TAU, {"from": admin})
    mkt.book.setPolicyAllowed(other, True, {"from": admin})
    pu, _ = open_period(mkt, policy=other)  # not mapped on the signed book
    chain.sleep(5)
    pb, period_b = open_period(mkt)
    assert period_a[4] != period_b[4]
    items = [deal(sb, pa, seller, b1, 0), deal(sb, pu, seller, b2, 1), deal(sb, pb, seller, b2, 2)]
    items.append(deal(sb, pa, seller, b1, 3))
    before = sb.withdrawable(b2)
    tx = sb.openMany(*[list(x) for x in zip(*items, strict=True)], {"from": stranger})
    assert tx.return_value == 3 and tx.events["BatchItemSkipped"]["index"] == 1
    got = [o for _, o in opened(tx)]
    assert [o[0] for o in got] == [pa, pb, pa]
    window_a, window_b = (period_a[4], period_a[5]), (period_b[4], period_b[5])
    assert [(o[7], o[8]) for o in got] == [window_a, window_b, window_a]
    assert not sb.nonceUsed(seller, 1) and sb.withdrawable(b2) == before - got[1][9] - FEE


def test_a_policy_that_always_refuses_falls_back_to_refunds_after_the_grace(
    sb, mkt, cast, auditor, stranger, admin
):
    _, b1, _, _ = cast
    refusing = HonestSupplierSettlement.deploy(stranger, TAU, {"from": admin})  # NotMarket on every settle
    sb.mapPolicy(mkt.honest, refusing, {"from": admin})
    pid, period = open_period(mkt)
    oid, order = open_one(sb, cast, pid)
    sb.approve(oid, order_hash(order), {"from": auditor})
    goto(period, "settlement")
    with brownie.reverts():
        sb.settle(oid, order, {"from": stranger})
    chain.sleep(GRACE)
    chain.mine()
    before = sb.withdrawable(b1)
    tx = sb.settle(oid, order, {"from": stranger})
    assert tx.events["SettlementFellBack"]["toBuyer"] == order[9] + FEE
    assert sb.withdrawable(b1) == before + order[9] + FEE and sb.orderWord(oid) == 0
    assert mkt.token.balanceOf(sb) == held(sb, mkt, everyone(cast, admin), [(oid, order)])


def test_an_unapproved_meter_is_refused_and_its_side_reads_zero(sb, mkt, cast, auditor, registry, stranger):
    """The auditor's tool against a suspect device: a meter rejected after the order went Active signs in
    vain; the order still ends (its side reads 0 Wh at the window's end). A suspended or exited PARTY's
    approved meter is still accepted (see the report's notes)."""
    seller, b1, _, meters = cast
    pid, period = open_period(mkt)
    oid, order = open_one(sb, cast, pid)
    sb.approve(oid, order_hash(order), {"from": auditor})
    signed = reading(sb, oid, 0, R, meters[seller])
    registry.rejectMeter(meters[seller], b"tampered", {"from": auditor})
    word = sb.orderWord(oid)
    with brownie.reverts():
        sb.report((oid, order, signed, NO_READING), {"from": stranger})
    assert sb.orderWord(oid) == word
    sb.report((oid, order, NO_READING, reading(sb, oid, 1, R, meters[b1])), {"from": stranger})
    goto(period, "settlement")
    tx = sb.settle(oid, order, {"from": stranger})
    assert tx.events["Settled"]["deliveredWh"] == 0 and tx.events["Settled"]["receivedWh"] == R


def test_a_stranger_invalidates_only_its_own_nonces(sb, mkt, cast, stranger):
    seller, b1, _, _ = cast
    sb.invalidateNonces(0, 2**256 - 1, {"from": stranger})
    sb.invalidateNonces(1, 2**256 - 1, {"from": stranger})
    assert not sb.nonceUsed(seller, 0) and not sb.nonceUsed(seller, 300)
    pid, _ = open_period(mkt)
    assert len(opened(sb.open(*deal(sb, pid, seller, b1, 300), {"from": stranger}))) == 1


def test_note_an_exited_seller_and_a_suspended_buyer_still_settle_through_their_meters(
    sb, mkt, cast, auditor, registry, stranger
):
    """Not a marked finding (report, note A): the header's LIVENESS text and docs/gas.md say an exited party's
    meter "stops signing, its side reads 0 Wh"; the book checks only the meter (approved, owned by the party),
    so an exited seller and a suspended buyer settle in full. Only `rejectMeter` stops a side (test above)."""
    seller, b1, _, meters = cast
    pid, _ = open_period(mkt)
    oid, order = open_one(sb, cast, pid)
    sb.approve(oid, order_hash(order), {"from": auditor})
    registry.requestExit({"from": seller})
    registry.finalizeExit(seller, {"from": seller})  # no obligation is held for a signed-book order
    registry.suspend(b1, b"fraud", {"from": auditor})
    tx = sb.report(
        both_readings(sb, oid, order, R, meters[seller], meters[b1]),
        {"from": stranger},
    )
    assert tx.events["Settled"]["deliveredWh"] == R and tx.events["Settled"]["receivedWh"] == R


def test_a_buyer_revocation_closes_only_its_deal_and_cannot_reach_an_open_one(
    sb, mkt, cast, auditor, stranger
):
    """Attack on the fix of finding 1: the buyer's `revoke` marks its deal's digest; the digest of an opened
    (or ended) order, the seller's nonce and other deals with that nonce are out of its reach."""
    seller, b1, b2, _ = cast
    pid, _ = open_period(mkt)
    mine = deal(sb, pid, seller, b1, 4)
    sb.revoke(mine[0], {"from": b1})
    assert not sb.nonceUsed(seller, 4)
    before = (sb.withdrawable(seller), sb.withdrawable(b1))
    with brownie.reverts():
        sb.open(*mine, {"from": stranger})
    assert (sb.withdrawable(seller), sb.withdrawable(b1)) == before and not sb.nonceUsed(seller, 4)
    oid, order = opened(sb.open(*deal(sb, pid, seller, b2, 4), {"from": stranger}))[
        0
    ]  # the nonce still serves
    word = sb.orderWord(oid)
    other = deal(sb, pid, seller, b2, 4)[0]
    with brownie.reverts():  # b2 cannot overwrite its open order's word with the revoked marker
        sb.revoke(other, {"from": b2})
    assert sb.orderWord(oid) == word and sb.statusOf(oid, order) == 1
    sb.approve(oid, order_hash(order), {"from": auditor})
    assert sb.statusOf(oid, order) == 2
