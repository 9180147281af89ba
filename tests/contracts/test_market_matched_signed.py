"""Matched orders on the lean path (issue 13): the MatchingMarket's verified best assignment (seed 003 eq 5)
opened in the SignedBook as one order word per pair, terms derived from the published request and offer,
escrow from the signed-book balances; the rest of the life is SignedBook's (audit by hash, final readings
that settle, expiry, late settlement).

Covers: the lifecycle; the buyer's price cap (`setMatchedPriceCap`: a request names no price, so an offer
dearer than the cap is skipped with `PriceAboveCap`, default 0 takes no matched order); a stranger refused on
every new state-changing function with the state unchanged; a bad middle pair skipped with the others opened
and its own state unchanged; a request opened at most once (on either book) and with exactly its energy; the
SignedBook's own checks on a matched deal (window, roles, self-trade, zero energy or price: the book does not
rely on the matcher for them); liveness when the auditor or a counterparty never acts. Conservation is
checked by summation (the book keeps no running totals)."""

import brownie
import pytest
from brownie import HonestSupplierSettlement, MatchingMarket, OrderBook, accounts
from conftest import reverts_with
from eth_abi import encode as abi_encode
from market_fixtures import FEE, GRACE, TAU, TOKEN, WAD, cost_up, deploy_signed_book, goto, open_period
from signed_fixtures import NO_READING, ORDER_TYPES, both_readings, order_hash, reading, sign  # noqa: F401
from web3 import Web3

DEPOSIT = 500 * WAD
P1_PRICE, P2_PRICE = TOKEN // 2, 2 * TOKEN // 5
CAP = P1_PRICE  # the buyers' matched price cap in the `sb` fixture: exactly the dearer offer's price


def selector(signature):
    return bytes(Web3.keccak(text=signature)[:4])


@pytest.fixture(scope="module")
def sb(mkt, people, admin):
    """The signed book on the market's periods, wired as the deployers do: its own honest-supplier policy,
    the matching market holds its MATCHER_ROLE and names it; every participant deposits 500 tokens and each
    buyer of the `matched` fixture accepts matched orders up to `CAP` per kWh (the dearer offer's price)."""
    book = deploy_signed_book(admin, mkt.book, mkt.token)
    policy = HonestSupplierSettlement.deploy(book, TAU, {"from": admin})
    book.mapPolicy(mkt.honest, policy, {"from": admin})
    book.grantRole(book.MATCHER_ROLE(), mkt.matching, {"from": admin})
    mkt.matching.setSignedBook(book, {"from": admin})
    mkt.reputation.setTallyBook(book, {"from": admin})  # the reputation ledger reads its tallies
    for who in (people.p1, people.p2, people.c1, people.c2, people.pro):
        mkt.token.approve(book, DEPOSIT, {"from": who})
        book.deposit(DEPOSIT, {"from": who})
    for who in (people.c1, people.c2, people.pro):
        book.setMatchedPriceCap(CAP, {"from": who})
    return book


@pytest.fixture
def matched(mkt, people, sb):
    """A period in its signing phase with a verified best assignment of three pairs: c1's request (8 kWh,
    bonus 1 token) and c2's (6 kWh) to p1's offer (0.5/kWh, 20 kWh), the prosumer's (5 kWh) to p2's
    (0.4/kWh, 10 kWh). Returns (period id, period, pairs, requests)."""
    pid, period = open_period(mkt)
    m = mkt.matching
    o1 = m.publishOffer(pid, P1_PRICE, 20_000, {"from": people.p1}).events["OfferPublished"]["offerId"]
    o2 = m.publishOffer(pid, P2_PRICE, 10_000, {"from": people.p2}).events["OfferPublished"]["offerId"]
    requests = {}
    for who, energy, bonus in ((people.c1, 8_000, TOKEN), (people.c2, 6_000, 0), (people.pro, 5_000, 0)):
        rid = m.publishRequest(pid, energy, bonus, {"from": who}).events["RequestPublished"]["requestId"]
        requests[rid] = (who, energy, bonus)
    r1, r2, r3 = requests
    pairs = [(r1, o1), (r2, o1), (r3, o2)]
    goto(period, "matching")
    m.submitAssignment(pid, pairs, {"from": people.c1})
    goto(period, "signing")
    return pid, period, pairs, requests


def order_id(mkt, request_id):
    return int.from_bytes(Web3.keccak(abi_encode(["address", "uint256"], [mkt.matching.address, request_id])))


def opened(tx):
    """(order id, order tuple) of every Opened event."""
    return [(e["orderId"], tuple(e["order"])) for e in tx.events["Opened"]] if "Opened" in tx.events else []


def skipped(tx):
    """(index, error selector) of every BatchItemSkipped event."""
    if "BatchItemSkipped" not in tx.events:
        return []
    return [(e["index"], bytes(e["reason"])[:4]) for e in tx.events["BatchItemSkipped"]]


def state(mkt, sb, people, requests):
    """Everything a refused call must leave as it was: balances, order words, the requests' nonces."""
    who = (people.p1, people.p2, people.c1, people.c2, people.pro, accounts[0])
    return (
        [sb.withdrawable(a) for a in who],
        [sb.orderWord(order_id(mkt, r)) for r in requests],
        [sb.nonceUsed(mkt.matching, r) for r in requests],
        mkt.token.balanceOf(sb),
    )


def held(mkt, sb, people, orders):
    """Conservation by summation: every internal balance + the escrow of the open `orders` (id, order)."""
    who = (people.p1, people.p2, people.c1, people.c2, people.pro, accounts[0])
    escrow = sum(o[9] + FEE + o[10] for oid, o in orders if sb.orderWord(oid) != 0)
    fees = sum(
        sb.uncollectedFees(s, p) for s, p in {(o[1], o[0]) for _, o in orders}
    )  # accrued, not collected
    return sum(sb.withdrawable(a) for a in who) + escrow + fees


# ------------------------------------------------------------------ the lifecycle


def test_matched_pairs_open_as_one_word_orders_and_settle_on_the_signed_book(
    mkt, sb, people, matched, auditor, stranger
):
    pid, _period, pairs, requests = matched
    before = mkt.token.balanceOf(sb)
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})  # anyone materialises
    assert tx.return_value == 3 and not skipped(tx)
    orders = opened(tx)
    sellers = {pairs[0][1]: (people.p1, P1_PRICE), pairs[2][1]: (people.p2, P2_PRICE)}
    for (oid, order), (rid, offer_id) in zip(orders, pairs, strict=True):
        buyer, energy, bonus = requests[rid]
        seller, price = sellers[offer_id]
        # terms derived from the request and the offer; id = keccak256(matching, requestId)
        assert oid == order_id(mkt, rid)
        assert order[:6] == (pid, seller, buyer, energy, price, bonus)
        assert order[9] == cost_up(energy, price) + bonus and order[10] == 0
        assert sb.statusOf(oid, order) == 1 and sb.nonceUsed(mkt.matching, rid)
    (o1, ord1), _, _ = orders
    assert sb.withdrawable(people.c1) == DEPOSIT - ord1[9] - FEE
    assert mkt.matching.best(pid)[3] == 1  # chunksMaterialized
    tx = sb.approveMany([o for o, _ in orders], [order_hash(o) for _, o in orders], {"from": auditor})
    assert tx.return_value == 3
    meter = people.meter
    report = (
        o1,
        ord1,
        reading(sb, o1, 0, 8_000, meter[people.p1]),
        reading(sb, o1, 1, 8_000, meter[people.c1]),
    )
    tx = sb.report(report, {"from": stranger})
    out = tx.events["Settled"]["outcome"]
    assert out["toSeller"] == cost_up(8_000, P1_PRICE) + TOKEN and out["reward"] == TOKEN  # full: the bonus
    assert sb.orderWord(o1) == 0
    assert mkt.token.balanceOf(sb) == before == held(mkt, sb, people, orders)


def test_order_ids_are_derived_from_the_request_ids(mkt, sb, people, matched, stranger):
    pid, _, pairs, _requests = matched
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    assert [o for o, _ in opened(tx)] == [order_id(mkt, r) for r, _ in pairs]
    assert tx.events["ChunksMaterializedSigned"]["opened"] == 3


# ------------------------------------------------------------------ strangers refused, state unchanged


def test_strangers_are_refused_on_every_new_function_and_nothing_changes(
    mkt, sb, people, matched, stranger, admin
):
    pid, _, pairs, requests = matched
    before = state(mkt, sb, people, requests)
    deal = (pid, people.p1.address, people.c1.address, 8_000, P1_PRICE, 0, pairs[0][0])
    with reverts_with("AccessControlUnauthorizedAccount"):
        sb.openMatched([deal], {"from": stranger})
    # no per-item entry point to call around the role: an item is checked inside `openMatched` itself
    assert not hasattr(sb, "openMatchedItem")
    with reverts_with("AccessControlUnauthorizedAccount"):
        mkt.matching.setSignedBook(stranger, {"from": stranger})
    with reverts_with("SignedBookAlreadySet", sb.address):
        mkt.matching.setSignedBook(stranger, {"from": admin})
    assert mkt.matching.signedBook() == sb.address
    assert state(mkt, sb, people, requests) == before


def test_materialize_signed_refuses_what_materialize_refuses(mkt, sb, people, stranger):
    pid, period = open_period(mkt)
    m = mkt.matching
    o1 = m.publishOffer(pid, P1_PRICE, 20_000, {"from": people.p1}).events["OfferPublished"]["offerId"]
    r1 = m.publishRequest(pid, 8_000, 0, {"from": people.c1}).events["RequestPublished"]["requestId"]
    r2 = m.publishRequest(pid, 6_000, 0, {"from": people.c2}).events["RequestPublished"]["requestId"]
    requests = (r1, r2)
    before = state(mkt, sb, people, requests)
    with reverts_with("OutsideWindow"):  # during publication
        m.materializeSigned(pid, 0, [(r1, o1)], {"from": stranger})
    goto(period, "matching")
    m.submitAssignment(pid, [(r1, o1)], {"from": people.c1})
    with reverts_with("OutsideWindow"):  # during matching: the best may still improve
        m.materializeSigned(pid, 0, [(r1, o1)], {"from": stranger})
    goto(period, "signing")
    with reverts_with("ChunkMismatch"):  # not the best assignment (another request added)
        m.materializeSigned(pid, 0, [(r1, o1), (r2, o1)], {"from": stranger})
    with reverts_with("UnknownChunk"):
        m.materializeSigned(pid, 1, [(r1, o1)], {"from": stranger})
    with reverts_with("EmptyAssignment"):
        m.materializeSigned(pid, 0, [], {"from": stranger})
    assert state(mkt, sb, people, requests) == before
    goto(period, "settlement")  # past signEnd
    with reverts_with("OutsideWindow"):
        m.materializeSigned(pid, 0, [(r1, o1)], {"from": stranger})
    assert state(mkt, sb, people, requests) == before


def test_the_lean_path_needs_a_signed_book_on_the_same_periods_and_an_assignment(mkt, stranger, admin):
    """A market whose admin never set a signed book refuses the lean path; a signed book reading another
    order book's periods is refused; with a signed book, a period without an assignment is refused."""
    bare = MatchingMarket.deploy(
        admin, admin, mkt.book, mkt.book.registry(), mkt.reputation, mkt.token, {"from": admin}
    )
    pid, period = open_period(mkt)
    goto(period, "signing")
    with reverts_with("NoSignedBook"):
        bare.materializeSigned(pid, 0, [(1, 1)], {"from": stranger})
    other_book = OrderBook.deploy(
        admin, admin, mkt.book.registry(), mkt.token, mkt.reputation, admin, FEE, GRACE, {"from": admin}
    )
    elsewhere = deploy_signed_book(admin, other_book, mkt.token)
    with reverts_with("SignedBookOnOtherPeriods", elsewhere.address):
        bare.setSignedBook(elsewhere, {"from": admin})
    assert bare.signedBook() == "0x" + "00" * 20
    bare.setSignedBook(deploy_signed_book(admin, mkt.book, mkt.token), {"from": admin})
    with reverts_with("NoAssignment", pid):
        bare.materializeSigned(pid, 0, [(1, 1)], {"from": stranger})


# ------------------------------------------------------------------ batches: a bad middle pair is skipped


def test_a_bad_middle_pair_is_skipped_the_others_open_and_a_retry_opens_it(
    mkt, sb, people, matched, stranger
):
    pid, _, pairs, requests = matched
    r2 = pairs[1][0]
    sb.withdraw({"from": people.c2})  # c2 (the middle pair's buyer) has no balance on the signed book
    before = state(mkt, sb, people, requests)
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    assert tx.return_value == 2
    assert skipped(tx) == [(1, selector("InsufficientBalance(address,uint256,uint256)"))]
    assert [o for o, _ in opened(tx)] == [order_id(mkt, pairs[0][0]), order_id(mkt, pairs[2][0])]
    # the bad pair's state is unchanged: no order word, request nonce unspent, c2's balance untouched
    assert sb.orderWord(order_id(mkt, r2)) == 0 and not sb.nonceUsed(mkt.matching, r2)
    assert sb.withdrawable(people.c2) == before[0][3] == 0
    # c2 deposits; the same chunk handed in again opens its pair only (the others' requests are spent)
    mkt.token.approve(sb, DEPOSIT, {"from": people.c2})
    sb.deposit(DEPOSIT, {"from": people.c2})
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    assert tx.return_value == 1 and [o for o, _ in opened(tx)] == [order_id(mkt, r2)]
    nonce_used = selector("NonceUsed(address,uint256)")
    assert skipped(tx) == [(0, nonce_used), (2, nonce_used)]


# ------------------------------------------------------------------ a request opens at most once


def test_a_request_opens_once_with_exactly_its_energy_on_one_book_only(mkt, sb, people, matched, stranger):
    pid, _, pairs, requests = matched
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    orders = opened(tx)
    assert [o[3] for _, o in orders] == [requests[r][1] for r, _ in pairs]  # exactly R_i each
    before, book_orders = state(mkt, sb, people, requests), mkt.book.orderCount()
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})  # again: every pair refused
    assert tx.return_value == 0 and not opened(tx) and len(skipped(tx)) == 3
    with reverts_with("ChunkAlreadyMaterialized", pid, 0):  # nor can the chunk go to the order book now
        mkt.matching.materialize(pid, 0, pairs, {"from": stranger})
    assert state(mkt, sb, people, requests) == before and mkt.book.orderCount() == book_orders


def test_a_chunk_taken_to_the_order_book_is_refused_on_the_signed_book(mkt, sb, people, matched, stranger):
    pid, _, pairs, requests = matched
    mkt.matching.materialize(pid, 0, pairs, {"from": stranger})
    before = state(mkt, sb, people, requests)
    with reverts_with("ChunkAlreadyMaterialized", pid, 0):
        mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    assert state(mkt, sb, people, requests) == before


# ------------------------------------------------------------------ the book's own checks on a matched deal


def test_the_signed_book_checks_every_matched_deal_itself(mkt, sb, people, registry, auditor, admin):
    """A MATCHER_ROLE holder that hands the book bad terms (as a faulty matcher would) gets each refused by
    the book: the window, the roles and activity, self-trade, zero energy or price; the good item opens."""
    matcher = accounts[2]
    sb.grantRole(sb.MATCHER_ROLE(), matcher, {"from": admin})
    pid, period = open_period(mkt)
    p1, c1, pro = people.p1.address, people.c1.address, people.pro.address

    def deal(nonce, seller=p1, buyer=c1, energy=1_000, price=P1_PRICE):
        return (pid, seller, buyer, energy, price, 0, nonce)

    requests = range(1_000, 1_010)
    before = state(mkt, sb, people, requests)
    tx = sb.openMatched([deal(1_000)], {"from": matcher})  # before matchEnd: the publish-to-match window
    assert skipped(tx) == [(0, selector("OutsideWindow(uint256,uint256,uint256,uint256)"))]
    goto(period, "signing")
    registry.suspend(people.c2, b"audit", {"from": auditor})
    bad = [
        deal(1_001, seller=pro, buyer=pro),  # self-trade (a prosumer is both)
        deal(1_002, energy=0),
        deal(1_003, price=0),
        deal(1_004, seller=c1, buyer=p1),  # a consumer selling, a generator buying
        deal(1_005, buyer=people.c2.address),  # suspended buyer
        deal(1_006, seller=people.outsider.address),  # never registered
    ]
    tx = sb.openMatched([*bad[:3], deal(1007), *bad[3:]], {"from": matcher})
    assert tx.return_value == 1 and [o for o, _ in opened(tx)] == [
        int.from_bytes(Web3.keccak(abi_encode(["address", "uint256"], [matcher.address, 1_007])))
    ]
    assert skipped(tx) == [
        (0, selector("SelfTrade(address)")),
        (1, selector("ZeroEnergy()")),
        (2, selector("ZeroPrice()")),
        (4, selector("NotAProvider(address)")),
        (5, selector("PartyNotActive(address)")),
        (6, selector("PartyNotActive(address)")),
    ]
    assert not any(sb.nonceUsed(matcher, n) for n in range(1_000, 1_007))
    goto(period, "settlement")  # from signEnd: too late
    tx = sb.openMatched([deal(1_008)], {"from": matcher})
    assert skipped(tx) == [(0, selector("OutsideWindow(uint256,uint256,uint256,uint256)"))]
    after = state(mkt, sb, people, requests)
    assert after[2] == before[2]  # no request nonce of the matching market touched
    registry.reinstate(people.c2, {"from": auditor})


def test_a_party_suspended_after_the_assignment_is_skipped(
    mkt, sb, people, matched, registry, auditor, stranger
):
    pid, _, pairs, _requests = matched
    registry.suspend(people.c2, b"fraud", {"from": auditor})
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    assert tx.return_value == 2 and skipped(tx) == [(1, selector("PartyNotActive(address)"))]
    assert not sb.nonceUsed(mkt.matching, pairs[1][0])


# ------------------------------------------------------------------ liveness


def test_a_matched_order_the_auditor_never_approves_expires_with_a_refund(mkt, sb, people, matched, stranger):
    pid, period, pairs, _requests = matched
    before = sb.withdrawable(people.c1)
    (oid, order), _, _ = opened(mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger}))
    with brownie.reverts():  # not before signEnd
        sb.expire(oid, order, {"from": stranger})
    goto(period, "settlement")
    tx = sb.expire(oid, order, {"from": stranger})
    assert tx.events["Expired"]["toBuyer"] == order[9] + FEE
    assert sb.withdrawable(people.c1) == before and sb.orderWord(oid) == 0


def test_a_counterparty_that_never_reports_does_not_block_settlement(
    mkt, sb, people, matched, auditor, stranger
):
    pid, period, pairs, _requests = matched
    orders = opened(mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger}))
    (oid, order) = orders[0]
    sb.approve(oid, order_hash(order), {"from": auditor})
    seller_meter = people.meter[people.p1]
    sb.report((oid, order, reading(sb, oid, 0, 8_000, seller_meter), NO_READING), {"from": stranger})
    goto(period, "settlement")  # the buyer's meter never reported
    tx = sb.settle(oid, order, {"from": stranger})
    assert tx.events["Settled"]["deliveredWh"] == 8_000 and tx.events["Settled"]["receivedWh"] == 0
    assert sb.orderWord(oid) == 0
    assert mkt.token.balanceOf(sb) == held(mkt, sb, people, orders)


# ------------------------------------------------------------------ the buyer's price cap (attacker review)


def price_above_cap(tx, index, buyer, price, cap):
    """Whether item `index` of the batch was skipped with exactly PriceAboveCap(buyer, price, cap)."""
    reason = selector("PriceAboveCap(address,uint256,uint256)")
    reason += abi_encode(["address", "uint256", "uint256"], [buyer.address, price, cap])
    return any(e["index"] == index and bytes(e["reason"]) == reason for e in tx.events["BatchItemSkipped"])


def test_an_overpriced_offer_cannot_take_the_buyers_balance(mkt, sb, people, stranger):
    """The attack: a provider offers 60 tokens/kWh with a huge capacity, a buyer (cap 0.5/kWh) publishes an
    8 kWh request, the provider submits the assignment and materialises it: without the cap 480 of the
    buyer's 500 tokens would be escrowed without the buyer acting. The pair is skipped with PriceAboveCap and
    nothing of the buyer's moves; raising the cap to the price (the buyer's own consent) and handing the same
    chunk in again opens it."""
    pid, period = open_period(mkt)
    m, dear = mkt.matching, 60 * TOKEN
    offer = m.publishOffer(pid, dear, 10**9, {"from": people.p1}).events["OfferPublished"]["offerId"]
    rid = m.publishRequest(pid, 8_000, 0, {"from": people.c1}).events["RequestPublished"]["requestId"]
    goto(period, "matching")
    m.submitAssignment(pid, [(rid, offer)], {"from": people.p1})
    goto(period, "signing")
    before = state(mkt, sb, people, [rid])
    tx = m.materializeSigned(pid, 0, [(rid, offer)], {"from": people.p1})
    assert tx.return_value == 0 and not opened(tx)
    assert price_above_cap(tx, 0, people.c1, dear, CAP)
    assert state(mkt, sb, people, [rid]) == before  # buyer's balance, order word, request nonce unchanged
    assert sb.withdrawable(people.c1) == DEPOSIT
    # the buyer, having seen the price, accepts it: the same chunk handed in again opens the pair
    sb.setMatchedPriceCap(dear, {"from": people.c1})
    tx = m.materializeSigned(pid, 0, [(rid, offer)], {"from": stranger})
    ((oid, order),) = opened(tx)
    assert oid == order_id(mkt, rid) and order[4] == dear and order[9] == cost_up(8_000, dear)
    assert sb.withdrawable(people.c1) == DEPOSIT - cost_up(8_000, dear) - FEE


def test_a_buyer_with_cap_zero_gets_no_matched_order(mkt, sb, people, matched, stranger, admin):
    pid, _, pairs, _requests = matched
    fresh = deploy_signed_book(admin, mkt.book, mkt.token)
    assert fresh.matchedPriceCap(people.c1) == 0  # the default: no matched order
    tx = sb.setMatchedPriceCap(0, {"from": people.c2})
    assert tx.events["MatchedPriceCapSet"] == {"buyer": people.c2.address, "maxPricePerKwh": 0}
    before_c2 = sb.withdrawable(people.c2)
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    assert tx.return_value == 2 and price_above_cap(tx, 1, people.c2, P1_PRICE, 0)
    assert sb.orderWord(order_id(mkt, pairs[1][0])) == 0 and not sb.nonceUsed(mkt.matching, pairs[1][0])
    assert sb.withdrawable(people.c2) == before_c2


def test_a_pair_at_exactly_the_cap_opens(mkt, sb, people, matched, stranger):
    pid, _, pairs, _requests = matched
    assert sb.matchedPriceCap(people.c1) == P1_PRICE  # c1's pair is priced at P1_PRICE: exactly its cap
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    (oid, order), _, _ = opened(tx)
    assert oid == order_id(mkt, pairs[0][0]) and order[2] == people.c1 and order[4] == P1_PRICE
    assert not skipped(tx)


def test_a_buyer_over_its_cap_is_skipped_the_others_open_and_a_raise_lets_the_retry_open_it(
    mkt, sb, people, matched, stranger
):
    pid, _, pairs, requests = matched
    r2 = pairs[1][0]
    sb.setMatchedPriceCap(P1_PRICE - 1, {"from": people.c2})  # the middle pair's buyer: one unit short
    before_c2 = sb.withdrawable(people.c2)
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    assert tx.return_value == 2
    assert skipped(tx) == [(1, selector("PriceAboveCap(address,uint256,uint256)"))]
    assert price_above_cap(tx, 1, people.c2, P1_PRICE, P1_PRICE - 1)
    assert [o for o, _ in opened(tx)] == [order_id(mkt, pairs[0][0]), order_id(mkt, pairs[2][0])]
    assert sb.orderWord(order_id(mkt, r2)) == 0 and not sb.nonceUsed(mkt.matching, r2)
    assert sb.withdrawable(people.c2) == before_c2
    sb.setMatchedPriceCap(P1_PRICE, {"from": people.c2})  # c2 raises its cap: the same chunk again
    tx = mkt.matching.materializeSigned(pid, 0, pairs, {"from": stranger})
    assert tx.return_value == 1 and [o for o, _ in opened(tx)] == [order_id(mkt, r2)]
    assert sb.withdrawable(people.c2) == before_c2 - cost_up(requests[r2][1], P1_PRICE) - FEE


def test_a_cap_is_the_callers_own_a_stranger_cannot_set_a_buyers(sb, people, stranger):
    """`setMatchedPriceCap` has no buyer argument: a stranger (or the seller) calling it sets only its own
    cap; every buyer's stays as it set it."""
    tx = sb.setMatchedPriceCap(10**30, {"from": stranger})
    assert tx.events["MatchedPriceCapSet"] == {"buyer": stranger.address, "maxPricePerKwh": 10**30}
    sb.setMatchedPriceCap(10**30, {"from": people.p1})
    assert sb.matchedPriceCap(stranger) == sb.matchedPriceCap(people.p1) == 10**30
    assert [sb.matchedPriceCap(w) for w in (people.c1, people.c2, people.pro)] == [CAP] * 3
