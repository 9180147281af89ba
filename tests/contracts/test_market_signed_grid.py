"""Grid-balanced periods (seed 001 §4.3) on SignedBook: `mapGridPolicy`, the period's contracted total
(`periodContractedWh`, approved orders only) passed to the policy, and the same outcome, penalties, pool and
credit weights as the same trades on OrderBook.

Each book settles through its own GridBalancedSettlement over its own ledgers (CreditWeights, PenaltyPool,
NodeWeights, GridAccount, all fresh and alike), so the two runs start from the same state and can be compared
field by field. The signed book's policy is allowed on the order book (periods are the order book's) but only
the signed book holds its MARKET_ROLE."""

import brownie
import pytest
from brownie import (
    CreditWeights,
    GridAccount,
    GridBalancedSettlement,
    HonestSupplierSettlement,
    NodeWeights,
    PenaltyPool,
    accounts,
    chain,
)
from conftest import CONSUMER, GENERATOR, reverts_with
from market_fixtures import (  # noqa: F401
    GRACE,
    TAU,
    WAD,
    deploy_signed_book,
    goto,
    join,
    mkt,
    open_period,
    reading_signature,
)
from signed_fixtures import NO_READING, ORDER_TYPES, both_readings, order_hash, reading, sign  # noqa: F401
from test_grid_settlement import DECAY, PARAMS, B, G, K, S

from energy_trading.clients.signed import deal_typed_data

PRICE = WAD // 2  # U, per kWh
# (seller, buyer, contracted Wh, seller reading, buyer reading): one order each of: both honest, the seller
# short, the buyer short (surplus fed in), both short (eps = 0)
TRADES = [
    (0, 0, 2_000, 2_000, 2_000),
    (0, 1, 3_000, 2_000, 3_000),
    (1, 0, 1_000, 1_000, 500),
    (1, 1, 1_000, 500, 400),
]


def _ledgers(admin, registry, token):
    credit = CreditWeights.deploy(admin, registry, DECAY, 30, 0, {"from": admin})
    pool = PenaltyPool.deploy(admin, token, credit, admin, {"from": admin})
    nodes = NodeWeights.deploy(admin, admin, credit, registry, PARAMS, {"from": admin})
    grid = GridAccount.deploy(admin, admin, token, {"from": admin})
    policy = GridBalancedSettlement.deploy(admin, S, B, G, K, credit, pool, nodes, grid, {"from": admin})
    for c in (credit, pool, nodes):
        c.grantRole(c.SETTLEMENT_ROLE(), policy, {"from": admin})
    grid.grantRole(grid.POLICY_ROLE(), policy, {"from": admin})
    return {"credit": credit, "pool": pool, "nodes": nodes, "grid": grid, "policy": policy}


@pytest.fixture(scope="module")
def sb(mkt, admin):  # noqa: F811
    book = deploy_signed_book(admin, mkt.book, mkt.token)
    book.mapPolicy(mkt.honest, HonestSupplierSettlement.deploy(book, TAU, {"from": admin}), {"from": admin})
    mkt.reputation.setTallyBook(book, {"from": admin})  # the reputation ledger reads its tallies
    return book


@pytest.fixture(scope="module")
def ob_grid(admin, registry, mkt):  # noqa: F811
    """The order book's grid policy and ledgers."""
    g = _ledgers(admin, registry, mkt.token)
    g["policy"].grantRole(g["policy"].MARKET_ROLE(), mkt.book, {"from": admin})
    mkt.book.setPolicyAllowed(g["policy"], True, {"from": admin})
    return g


@pytest.fixture(scope="module")
def sb_grid(admin, registry, mkt, sb):  # noqa: F811
    """The signed book's grid policy and ledgers (allowed on the order book, settled by the signed book)."""
    g = _ledgers(admin, registry, mkt.token)
    g["policy"].grantRole(g["policy"].MARKET_ROLE(), sb, {"from": admin})
    mkt.book.setPolicyAllowed(g["policy"], True, {"from": admin})
    sb.mapGridPolicy(g["policy"], {"from": admin})
    return g


@pytest.fixture(scope="module")
def cast(registry, auditor, mkt, sb, admin):  # noqa: F811
    """Two sellers and two buyers with local keys and meters, 1000 tokens each in the signed book and 1000 in
    the wallet (allowed to the order book)."""
    sellers, buyers, meters = [accounts.add(), accounts.add()], [accounts.add(), accounts.add()], {}
    for who in sellers + buyers:
        admin.transfer(who, "1 ether")
        meters[who] = join(registry, auditor, who, GENERATOR if who in sellers else CONSUMER)
        mkt.token.issue(who, 2_000 * WAD, {"from": admin})
        mkt.token.approve(sb, 1_000 * WAD, {"from": who})
        mkt.token.approve(mkt.book, 1_000 * WAD, {"from": who})
        sb.deposit(1_000 * WAD, {"from": who})
    chain.sleep(3_600)  # meter budgets
    chain.mine()
    return sellers, buyers, meters


_nonce = [100]


def signed_deal(sb, pid, seller, buyer, energy):
    _nonce[0] += 1
    d = (pid, seller.address, buyer.address, energy, PRICE, 0, _nonce[0])
    typed = deal_typed_data(chain.id, sb.address, d)
    return d, sign(seller, typed), sign(buyer, typed)


def opened(tx):
    return [(e["orderId"], tuple(e["order"])) for e in tx.events["Opened"]] if "Opened" in tx.events else []


def open_signed(sb, cast, pid, trades, auditor, approve=True):
    sellers, buyers, _ = cast
    out = []
    for s, b, ce, _, _ in trades:
        oid, order = opened(sb.open(*signed_deal(sb, pid, sellers[s], buyers[b], ce), {"from": accounts[9]}))[
            0
        ]
        if approve:
            sb.approve(oid, order_hash(order), {"from": auditor})
        out.append((oid, order))
    return out


def report_both(sb, cast, oid, order, t):
    sellers, buyers, meters = cast
    s, b, _, ef, ey = t
    seller_reading = reading(sb, oid, 0, ef, meters[sellers[s]])
    return sb.report(
        (oid, order, seller_reading, reading(sb, oid, 1, ey, meters[buyers[b]])), {"from": accounts[9]}
    )


def to_sign_end(period):
    """Move the clock to the period's signEnd (approvals closed, the period's total final)."""
    goto(period, "signing")
    chain.sleep(period[4] - chain[-1].timestamp)
    chain.mine()


def tally(credit, period_id):
    """CreditWeights.periodTally as plain ints (contracted Wh, settled Wh)."""
    return tuple(int(x) for x in credit.periodTally(period_id))


def ledger_state(g, cast):
    """Everything the grid settlement writes that does not name an order or a round."""
    sellers, buyers, _ = cast
    credit, pool, grid = g["credit"], g["pool"], g["grid"]
    return (
        [credit.creditWeight(a) for a in sellers + buyers],
        credit.totalWeight(),
        pool.queuedTotal(),
        [grid.feedInOwed(a) for a in sellers],
        grid.totalOwed(),
    )


def breakdown(tx):
    """The GridSettled breakdown without its round (the two ledgers number rounds by their own periods)."""
    b = list(tx.events["GridSettled"]["breakdown"])
    return b[1:]


# ------------------------------------------------------------------ the same trades on both books


def test_a_grid_period_settles_as_on_the_order_book(sb, mkt, cast, ob_grid, sb_grid, auditor):  # noqa: F811
    sellers, buyers, meters = cast
    # the order book: propose, accept, approve, both sign (escrow from the wallet), readings, settle
    pid, period = open_period(mkt, ob_grid["policy"])
    ob_orders = []
    for s, b, ce, _, _ in TRADES:
        oid = mkt.book.proposeContract(pid, buyers[b], ce, PRICE, {"from": sellers[s]}).events[
            "ContractProposed"
        ]["orderId"]
        mkt.book.acceptProposal(oid, 0, {"from": buyers[b]})
        mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
        mkt.book.sign(oid, {"from": buyers[b]})
        mkt.book.sign(oid, {"from": sellers[s]})
        ob_orders.append(oid)
    goto(period, "signing")
    for oid, (s, b, _, ef, ey) in zip(ob_orders, TRADES, strict=True):
        for side, who, wh in ((0, sellers[s], ef), (1, buyers[b], ey)):
            m = meters[who]
            sig = reading_signature(mkt.book, m, oid, side, wh)
            mkt.book.submitReading(oid, side, wh, m, sig, {"from": accounts[9]})
    goto(period, "settlement")
    ob_out = []
    for oid in ob_orders:
        tx = mkt.book.settle(oid, {"from": accounts[9]})
        ob_out.append((list(tx.events["OrderSettled"]["outcome"]), breakdown(tx)))
    assert mkt.book.periodContractedWh(pid) == 7_000

    # the signed book: open, approve, both final readings in one call settle (from signEnd)
    spid, speriod = open_period(mkt, sb_grid["policy"])
    orders = open_signed(sb, cast, spid, TRADES, auditor)
    assert sb.periodContractedWh(spid) == 7_000
    to_sign_end(speriod)
    sb_out = []
    for (oid, order), t in zip(orders, TRADES, strict=True):
        tx = report_both(sb, cast, oid, order, t)
        assert sb.orderWord(oid) == 0, "the order settled in the readings call"
        sb_out.append((list(tx.events["Settled"]["outcome"]), breakdown(tx)))

    assert sb_out == ob_out
    assert ledger_state(sb_grid, cast) == ledger_state(ob_grid, cast)
    # the period's round completed on both ledgers (every approved Wh settled once)
    for g, p in ((ob_grid, pid), (sb_grid, spid)):
        assert tally(g["credit"], p) == (7_000, 7_000)
        assert g["credit"].isRoundClosed(p)
    # what the grid earned sits in each book's internal balance of the grid account
    assert sb.withdrawable(sb_grid["grid"]) == mkt.book.withdrawable(ob_grid["grid"]) > 0
    assert mkt.token.balanceOf(sb_grid["pool"]) == mkt.token.balanceOf(ob_grid["pool"]) > 0
    sb_grid["grid"].collect(sb, {"from": accounts[9]})
    assert sb.withdrawable(sb_grid["grid"]) == 0


# ------------------------------------------------------------------ mapping: who, what


def test_map_grid_policy_admin_only_and_not_a_policy_the_order_book_settles_through(
    sb,
    mkt,  # noqa: F811
    cast,
    ob_grid,
    sb_grid,
    stranger,
    admin,
):
    sellers, buyers, _ = cast
    before = (sb.policyFor(ob_grid["policy"]), sb.policyFor(sb_grid["policy"]))
    with brownie.reverts():
        sb.mapGridPolicy(ob_grid["policy"], {"from": stranger})
    with reverts_with("PolicySharedWithBook", ob_grid["policy"]):
        sb.mapGridPolicy(ob_grid["policy"], {"from": admin})
    assert (sb.policyFor(ob_grid["policy"]), sb.policyFor(sb_grid["policy"])) == before
    assert before == ("0x" + "00" * 20, sb_grid["policy"].address)
    # the order book's own grid periods stay unmapped here
    pid, _ = open_period(mkt, ob_grid["policy"])
    with reverts_with("PolicyNotMapped", ob_grid["policy"]):
        sb.open(*signed_deal(sb, pid, sellers[0], buyers[0], 1_000), {"from": stranger})


def test_an_order_book_order_in_a_signed_grid_period_falls_back_after_the_grace(
    sb,
    mkt,  # noqa: F811
    cast,
    sb_grid,
    auditor,
    stranger,
):
    """The order book cannot settle through the signed book's policy: its order is refunded after the grace
    and never reaches the signed book's ledger (whose period total stays the signed book's)."""
    sellers, buyers, _ = cast
    pid, period = open_period(mkt, sb_grid["policy"])
    oid = mkt.book.proposeContract(pid, buyers[0], 1_000, PRICE, {"from": sellers[0]}).events[
        "ContractProposed"
    ]["orderId"]
    mkt.book.acceptProposal(oid, 0, {"from": buyers[0]})
    mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    mkt.book.sign(oid, {"from": buyers[0]})
    mkt.book.sign(oid, {"from": sellers[0]})
    goto(period, "settlement")
    with brownie.reverts():
        mkt.book.settle(oid, {"from": stranger})
    chain.sleep(GRACE)
    tx = mkt.book.settle(oid, {"from": stranger})
    assert "SettlementFellBack" in tx.events
    assert tally(sb_grid["credit"], pid) == (0, 0)


# ------------------------------------------------------------------ the period total and its timing


def test_only_approved_orders_count_and_a_grid_order_settles_from_sign_end(
    sb,
    mkt,  # noqa: F811
    cast,
    sb_grid,
    auditor,
    stranger,
):
    pid, period = open_period(mkt, sb_grid["policy"])
    (o1, x1), (o2, x2), (o3, x3) = open_signed(sb, cast, pid, TRADES[:3], auditor, approve=False)
    sb.approve(o1, order_hash(x1), {"from": auditor})
    tx = sb.approveMany([o2, o3, o3], [order_hash(x2), order_hash(x2), order_hash(x3)], {"from": auditor})
    # the middle item names the wrong order: skipped, nothing counted for it
    assert [e["index"] for e in tx.events["BatchItemSkipped"]] == [1]
    assert sb.periodContractedWh(pid) == TRADES[0][2] + TRADES[1][2] + TRADES[2][2]
    # both readings before signEnd: stored, not settled (the period total may still grow)
    tx = report_both(sb, cast, o1, x1, TRADES[0])
    assert "Settled" not in tx.events and sb.statusOf(o1, x1) == 3
    with reverts_with("TooEarly"):
        sb.settle(o1, x1, {"from": stranger})
    to_sign_end(period)
    tx = report_both(sb, cast, o2, x2, TRADES[1])  # from signEnd: settles in the call
    assert tx.events["GridSettled"]["breakdown"]["round"] == pid
    assert tally(sb_grid["credit"], pid) == (6_000, TRADES[1][2])
    goto(period, "settlement")
    tx = sb.settleMany([o3, o1], [x3, x1], {"from": stranger})
    assert [e["orderId"] for e in tx.events["Settled"]] == [o3, o1]
    assert tx.events["Settled"][0]["receivedWh"] == 0  # o3 never reported: both sides read 0 Wh
    assert tally(sb_grid["credit"], pid) == (6_000, 6_000)


def test_report_many_skips_a_bad_middle_item_of_a_grid_period(sb, mkt, cast, sb_grid, auditor):  # noqa: F811
    sellers, buyers, meters = cast
    pid, period = open_period(mkt, sb_grid["policy"])
    orders = open_signed(sb, cast, pid, TRADES[:3], auditor)
    to_sign_end(period)
    items = []
    for (oid, order), (s, b, _, ef, ey) in zip(orders, TRADES[:3], strict=True):
        items.append(
            (
                oid,
                order,
                reading(sb, oid, 0, ef, meters[sellers[s]]),
                reading(sb, oid, 1, ey, meters[buyers[b]]),
            )
        )
    bad = list(items[1])
    bad[3] = reading(sb, bad[0], 1, TRADES[1][4], meters[buyers[0]])  # another party's meter
    tx = sb.reportMany([items[0], tuple(bad), items[2]], {"from": accounts[9]})
    assert [e["index"] for e in tx.events["BatchItemSkipped"]] == [1]
    assert [e["orderId"] for e in tx.events["Settled"]] == [orders[0][0], orders[2][0]]
    assert sb.statusOf(*orders[1]) == 2 and [int(x) for x in sb.readingsOf(orders[1][0])] == [0, 0, 0, 0]


# ------------------------------------------------------------------ liveness


def test_a_grid_order_never_approved_expires_and_never_counts(sb, mkt, cast, sb_grid, auditor, stranger):  # noqa: F811
    sellers, buyers, _ = cast
    pid, period = open_period(mkt, sb_grid["policy"])
    ((oid, order),) = open_signed(sb, cast, pid, TRADES[:1], auditor, approve=False)
    before = sb.withdrawable(buyers[0]), sb.withdrawable(sellers[0])
    to_sign_end(period)
    with brownie.reverts():  # approvals end at signEnd: the period total is final
        sb.approve(oid, order_hash(order), {"from": auditor})
    sb.expire(oid, order, {"from": stranger})
    assert sb.withdrawable(buyers[0]) == before[0] + order[9] + sb.handlingFee()
    assert sb.withdrawable(sellers[0]) == before[1] + order[10]
    assert sb.periodContractedWh(pid) == 0


def test_a_failing_grid_policy_falls_back_to_refunds_after_the_grace(
    sb,
    mkt,  # noqa: F811
    cast,
    sb_grid,
    auditor,
    stranger,
    admin,
):
    """The counterparty never reports and the policy cannot settle (its credit ledger role revoked): the
    order still ends, refunded, once the grace is over."""
    sellers, buyers, meters = cast
    pid, period = open_period(mkt, sb_grid["policy"])
    ((oid, order),) = open_signed(sb, cast, pid, TRADES[:1], auditor)
    to_sign_end(period)
    sb.report((oid, order, reading(sb, oid, 0, 2_000, meters[sellers[0]]), NO_READING), {"from": stranger})
    credit = sb_grid["credit"]
    credit.revokeRole(credit.SETTLEMENT_ROLE(), sb_grid["policy"], {"from": admin})
    before = sb.withdrawable(buyers[0]), sb.withdrawable(sellers[0])
    goto(period, "settlement")
    with brownie.reverts():  # before the grace a refusal still blocks
        sb.settle(oid, order, {"from": stranger})
    chain.sleep(GRACE)
    tx = sb.settle(oid, order, {"from": stranger, "gas_limit": 3_000_000})
    assert "SettlementFellBack" in tx.events and sb.orderWord(oid) == 0
    assert sb.withdrawable(buyers[0]) == before[0] + order[9] + sb.handlingFee()
    assert sb.withdrawable(sellers[0]) == before[1] + order[10]


def test_the_buyer_never_reports_and_is_penalised_at_the_window_end(
    sb,
    mkt,  # noqa: F811
    cast,
    sb_grid,
    auditor,
    stranger,
):
    sellers, _, meters = cast
    pid, period = open_period(mkt, sb_grid["policy"])
    ((oid, order),) = open_signed(sb, cast, pid, TRADES[:1], auditor)
    to_sign_end(period)
    sb.report((oid, order, reading(sb, oid, 0, 2_000, meters[sellers[0]]), NO_READING), {"from": stranger})
    goto(period, "settlement")
    tx = sb.settle(oid, order, {"from": stranger})
    out = tx.events["Settled"]["outcome"]
    assert out["buyerPenalty"] > 0 and out["sellerPenalty"] == 0
    assert tally(sb_grid["credit"], pid) == (2_000, 2_000)
