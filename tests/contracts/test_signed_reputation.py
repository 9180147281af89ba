"""Provider reputation (seed 003 eq 1-2) of trades on SignedBook (issue 13): the book's tally per (seller,
period), the period registered with ProviderReputation at the seller's first opening in it, the fold that
pulls the tally, waits for a period with an open order (bounded by the period's deadline) and gives the same
C_j and RC_j as the same trades on OrderBook (checked against the integer mirror `ReputationLedger`)."""

import brownie
from brownie import accounts, chain
from conftest import reverts_with
from market_fixtures import (  # noqa: F401
    ALPHA,
    BUYER_SIDE,
    GRACE,
    SELLER_SIDE,
    WAD,
    active_order,
    block_time,
    goto,
    mkt,
    open_period,
    people,
)
from signed_fixtures import NO_READING, both_readings, order_hash, reading
from test_market_signed import (  # noqa: F401
    PRICE,
    R,
    cast,
    deal,
    open_one,
    opened,
    sb,
)

from energy_trading.models.reputation import ReputationLedger

RELAYER = 9


def until(t):
    """Move the clock to block time `t` (a period's signEnd has no `goto` phase)."""
    while block_time() < t:
        chain.sleep(t - block_time())
        chain.mine()


def trade(book, parties, auditor, pid, nonce, delivered, buyer=None):
    """Open, approve and settle one signed order (both final readings `delivered` Wh in one call)."""
    seller, b1, _, meters = parties
    buyer = buyer or b1
    oid, order = open_one(book, parties, pid, nonce=nonce, buyer=buyer)
    book.approve(oid, order_hash(order), {"from": auditor})
    rs, rb = reading(book, oid, 0, delivered, meters[seller]), reading(book, oid, 1, delivered, meters[buyer])
    tx = book.report((oid, order, rs, rb), {"from": accounts[RELAYER]})
    assert "Settled" in tx.events
    return oid, order


def tally(book, seller, pid):
    """(open orders, trades, sum of v in WAD) of `seller` in `pid`."""
    return tuple(int(x) for x in book.tallyOf(seller, pid))


def v(delivered, agreed=R):
    """seed 003 §5.1.2: v = min(1, delivered / agreed), WAD, rounded down."""
    return min(WAD, delivered * WAD // agreed)


# ------------------------------------------------------------------ the tally and the fold


def test_signed_trades_are_tallied_and_fold_into_reputation(sb, mkt, cast, auditor):  # noqa: F811
    seller, b1, b2, meters = cast
    pid, period = open_period(mkt)
    first = sb.open(*deal(sb, pid, seller, b1, 0), {"from": accounts[RELAYER]})
    assert first.events["PeriodTallied"]["periodId"] == pid  # the first opening registers the period
    a = opened(first)[0]
    rest = [open_one(sb, cast, pid, nonce=n, buyer=(b1, b2)[n % 2]) for n in (1, 2, 3)]
    b, c, d = rest
    assert tally(sb, seller, pid) == (4, 0, 0)
    assert list(mkt.reputation.pendingPeriods(seller)) == [pid]  # once, for the four orders
    sb.approveMany([x[0] for x in (a, b, c)], [order_hash(x[1]) for x in (a, b, c)], {"from": auditor})
    sb.reject(d[0], d[1], b"no", {"from": auditor})  # no trade: leaves the open count only
    assert tally(sb, seller, pid) == (3, 0, 0)
    sb.report(
        both_readings(sb, a[0], a[1], R, meters[seller], meters[b1]),
        {"from": accounts[RELAYER]},
    )
    sb.report(
        both_readings(sb, b[0], b[1], R // 4, meters[seller], meters[b2]),
        {"from": accounts[RELAYER]},
    )
    assert tally(sb, seller, pid) == (1, 2, WAD + WAD // 4)
    until(period[4])  # signing over, order c still open: the fold waits
    mkt.reputation.fold(seller, {"from": accounts[RELAYER]})
    assert mkt.reputation.reputationOf(seller) == 0
    assert list(mkt.reputation.pendingPeriods(seller)) == [pid]
    goto(period, "settlement")
    sb.settle(c[0], c[1], {"from": accounts[RELAYER]})  # no reading: 0 Wh delivered, v = 0
    assert tally(sb, seller, pid) == (0, 3, WAD + WAD // 4)
    tx = mkt.reputation.fold(seller, {"from": accounts[RELAYER]})  # before the deadline: nothing is open
    folded = tx.events["ReputationFolded"]
    assert folded["trades"] == 3 and folded["currentWad"] == (WAD + WAD // 4) // 3
    assert mkt.reputation.reputationOf(seller) == ALPHA * ((WAD + WAD // 4) // 3) // WAD
    assert list(mkt.reputation.pendingPeriods(seller)) == []


def test_the_same_trades_give_the_same_reputation_on_both_books(sb, mkt, cast, people, auditor):  # noqa: F811
    """Seller `people.p1` trades on OrderBook, `cast` seller the same trades on SignedBook (same periods, same
    delivered / agreed); both fold to the mirror's RC (seed 003 eq 1-2, alpha = ALPHA from the deployment)."""
    seller, _, _, _ = cast
    deliveries = [(3_333, 7_001), (12_000,)]  # per period; v = 0.3333, 0.7001 then 1 (capped)
    ledger = ReputationLedger(ALPHA)
    ob_orders, nonce, last = [], 0, None
    for delivered in deliveries:
        for wh in delivered:
            oid, last = active_order(mkt, people, auditor, R, PRICE, 0)
            pid = mkt.book.periodCount()
            ob_orders.append((oid, wh))
            trade(sb, cast, auditor, pid, nonce, wh)
            nonce += 1
            ledger.record("p", pid, wh, R)
    for oid, wh in ob_orders:
        mkt.book.submitReading(
            oid, SELLER_SIDE, wh, people.meter[people.p1], b"", {"from": people.meter[people.p1]}
        )
        mkt.book.submitReading(
            oid, BUYER_SIDE, wh, people.meter[people.c1], b"", {"from": people.meter[people.c1]}
        )
    goto(last, "settlement")
    for oid, _ in ob_orders:
        mkt.book.settle(oid, {"from": accounts[RELAYER]})
    mkt.reputation.fold(people.p1, {"from": accounts[RELAYER]})
    mkt.reputation.fold(seller, {"from": accounts[RELAYER]})
    expected = ledger.fold("p")
    assert expected > 0
    assert mkt.reputation.reputationOf(seller) == mkt.reputation.reputationOf(people.p1) == expected


def test_a_period_with_trades_on_both_books_folds_once_with_both(sb, mkt, cast, people, auditor):  # noqa: F811
    seller, _, _, meters = cast
    ob, period = active_order(mkt, people, auditor, R, PRICE, 0, seller=seller)
    pid = mkt.book.periodCount()
    trade(sb, cast, auditor, pid, 0, R)  # v = 1 on SignedBook
    mkt.book.submitReading(ob, SELLER_SIDE, R // 2, meters[seller], b"", {"from": meters[seller]})  # v = 0.5
    assert list(mkt.reputation.pendingPeriods(seller)) == [pid]  # one entry for both books
    goto(period, "settlement")
    mkt.book.settle(ob, {"from": accounts[RELAYER]})
    tx = mkt.reputation.fold(seller, {"from": accounts[RELAYER]})
    assert len(tx.events["ReputationFolded"]) == 1 and tx.events["ReputationFolded"]["trades"] == 2
    assert mkt.reputation.reputationOf(seller) == ALPHA * ((WAD + WAD // 2) // 2) // WAD


# ------------------------------------------------------------------ liveness: bounded wait, ascending order


def test_fold_waits_for_an_open_signed_order_only_until_the_deadline(sb, mkt, cast, auditor):  # noqa: F811
    seller, _, b2, meters = cast
    pid, period = open_period(mkt)
    oid, order = open_one(sb, cast, pid, nonce=0)
    sb.approve(oid, order_hash(order), {"from": auditor})
    # the seller's meter reports; the buyer's never does and nobody settles
    sb.report((oid, order, reading(sb, oid, 0, R, meters[seller]), NO_READING), {"from": accounts[RELAYER]})
    pid2, period2 = open_period(mkt)
    trade(sb, cast, auditor, pid2, 1, R, buyer=b2)  # a later period, settled in full
    goto(period2, "settlement")
    mkt.reputation.fold(seller, {"from": accounts[RELAYER]})
    # the later period does not fold before the older one, which still has an open order
    assert mkt.reputation.reputationOf(seller) == 0
    assert sorted(mkt.reputation.pendingPeriods(seller)) == [pid, pid2]
    until(period[5] + GRACE)  # the older period's deadline: it folds without the open order
    tx = mkt.reputation.fold(seller, {"from": accounts[RELAYER]})
    assert [e["periodId"] for e in tx.events["ReputationFolded"]] == [pid2]
    rc = ALPHA * WAD // WAD
    assert mkt.reputation.reputationOf(seller) == rc
    assert list(mkt.reputation.pendingPeriods(seller)) == []
    # the order still ends (anyone settles it late); its trade comes after the fold and changes nothing
    sb.settle(oid, order, {"from": accounts[RELAYER], "gas_limit": 3_000_000})
    assert tally(sb, seller, pid) == (0, 1, WAD)
    mkt.reputation.fold(seller, {"from": accounts[RELAYER]})
    assert mkt.reputation.reputationOf(seller) == rc


def test_an_expired_order_leaves_the_open_count_and_is_no_trade(sb, mkt, cast):  # noqa: F811
    seller = cast[0]
    pid, period = open_period(mkt)
    oid, order = open_one(sb, cast, pid)
    until(period[4])
    mkt.reputation.fold(seller, {"from": accounts[RELAYER]})
    assert list(mkt.reputation.pendingPeriods(seller)) == [pid]  # an Agreed order is open until it ends
    sb.expire(oid, order, {"from": accounts[RELAYER]})
    assert tally(sb, seller, pid) == (0, 0, 0)
    tx = mkt.reputation.fold(seller, {"from": accounts[RELAYER]})
    assert "ReputationFolded" not in tx.events  # a period without trades leaves RC unchanged
    assert mkt.reputation.reputationOf(seller) == 0 and list(mkt.reputation.pendingPeriods(seller)) == []


# ------------------------------------------------------------------ batches: a bad item's tally unchanged


def test_a_bad_batch_item_leaves_its_tally_unchanged(sb, mkt, cast, auditor):  # noqa: F811
    seller, b1, b2, meters = cast
    pid, period = open_period(mkt)
    orders = [open_one(sb, cast, pid, nonce=n) for n in range(4)]
    sb.approveMany([o for o, _ in orders], [order_hash(x) for _, x in orders], {"from": auditor})
    items = [both_readings(sb, oid, o, R // 2, meters[seller], meters[b1]) for oid, o in orders[:3]]
    mid, o = orders[1]
    items[1] = (
        mid,
        o,
        reading(sb, mid, 0, R, meters[seller]),
        reading(sb, mid, 1, R, meters[b2]),
    )  # wrong meter
    tx = sb.reportMany(items, {"from": accounts[RELAYER]})
    assert tx.return_value == 2 and tx.events["BatchItemSkipped"]["index"] == 1
    assert tally(sb, seller, pid) == (2, 2, 2 * v(R // 2))  # the middle order: still open, no trade
    goto(period, "settlement")
    # settleMany: the middle item (an order already settled) is refused, the two open orders settle (0 Wh)
    ids, os = [mid, orders[0][0], orders[3][0]], [o, orders[0][1], orders[3][1]]
    tx = sb.settleMany(ids, os, {"from": accounts[RELAYER]})
    assert tx.return_value == 2 and tx.events["BatchItemSkipped"]["index"] == 1
    assert tally(sb, seller, pid) == (0, 4, 2 * v(R // 2))  # the skipped item counted nothing


# ------------------------------------------------------------------ access: strangers refused


def test_strangers_cannot_register_periods_or_move_the_tally_book(sb, mkt, cast, stranger, admin):  # noqa: F811
    seller = cast[0]
    pid, _ = open_period(mkt)
    record = tuple(mkt.reputation.periodRecord(seller, pid))
    with reverts_with("NotTallyBook"):
        mkt.reputation.recordTalliedPeriod(seller, pid, 1, 2, {"from": stranger})
    with reverts_with("NotTallyBook"):  # not even the admin or the order book's recorder
        mkt.reputation.recordTalliedPeriod(seller, pid, 1, 2, {"from": admin})
    with brownie.reverts():
        mkt.reputation.setTallyBook(stranger, {"from": stranger})
    with reverts_with("TallyBookAlreadySet"):  # once, by the admin
        mkt.reputation.setTallyBook(stranger, {"from": admin})
    assert mkt.reputation.tallyBook() == sb
    assert tuple(mkt.reputation.periodRecord(seller, pid)) == record
    assert list(mkt.reputation.pendingPeriods(seller)) == []
    assert tally(sb, seller, pid) == (0, 0, 0)
