"""Independent review of issue 10 (attacker's view): one proof-of-concept per finding.

Each test asserts the SAFE behaviour and is marked xfail(strict=True) while the finding is open, so the suite
stays green and the marker must be removed when the fix lands (a strict xfail that passes fails the run).
"""

import brownie
import pytest
from market_fixtures import BUYER_SIDE, SELLER_SIDE, SETTLED, goto, open_period
from test_market_trust import PRICE, R, grid, grid_order, read  # noqa: F401  (grid is a fixture)


@pytest.mark.xfail(
    strict=True,
    reason="finding 1: a later period's settlement closes the credit round under an earlier period's order, "
    "so anyone (the buyer) can turn a timely settlement into the refund fallback: the seller is never paid",
)
def test_a_delivered_order_settled_promptly_cannot_be_pushed_into_the_refund_fallback(
    mkt,
    people,
    auditor,
    grid,  # noqa: F811
):
    """The seller delivered the full contract and settles right after its readings window, well inside
    the grace period the trust model promises. The buyer front-runs by settling the (only) order of the next
    period
    (also past its readings window): round 2 opens and is complete at once, so the period-1 order reverts
    RoundClosed until the grace ends and then falls back to refunds: the buyer kept the energy for free."""
    p1, _ = open_period(mkt, grid.policy)
    p2, period2 = open_period(mkt, grid.policy)
    victim = grid_order(mkt, people, auditor, grid, p1)
    other = grid_order(mkt, people, auditor, grid, p2, people.p2, people.c2)
    read(mkt, people, victim, SELLER_SIDE, R)
    read(mkt, people, victim, BUYER_SIDE, R)
    goto(period2, "settlement")  # a second or two after period 1's readings window: inside its grace
    mkt.book.settle(other, {"from": people.c1})  # the victim's buyer front-runs the seller
    mkt.book.settle(victim, {"from": people.p1})  # the seller's timely settlement
    assert mkt.book.order(victim)[2] == SETTLED
    assert mkt.book.withdrawable(people.p1) > 0


@pytest.mark.xfail(
    strict=True,
    reason="finding 2: approveOrder(orderId) names no terms, so the parties can amend between the auditor's "
    "review and its approval landing and get terms the auditor never saw approved",
)
def test_the_auditor_approves_only_the_terms_it_reviewed(mkt, people, auditor):
    """acceptAmendment resets an order to Agreed, the status approveOrder expects: an amendment proposed and
    accepted in the same block before the auditor's approval is approved with the new terms. The safe
    behaviour is a refusal (the approval must name the reviewed terms, as acceptAmendment now does)."""
    pid, _ = open_period(mkt)
    oid = mkt.book.proposeContract(pid, people.c1, R, PRICE, {"from": people.p1}).events["ContractProposed"][
        "orderId"
    ]
    mkt.book.acceptProposal(oid, 0, {"from": people.c1})
    reviewed = mkt.book.order(oid)  # what the auditor reads and checks (energy, price)
    # the parties front-run the approval with a 100x larger contract at a thousandth of the price
    mkt.book.proposeAmendment(oid, 100 * R, PRICE // 1_000, {"from": people.p1})
    mkt.book.acceptAmendment(oid, 100 * R, PRICE // 1_000, {"from": people.c1})
    with brownie.reverts():
        mkt.book.approveOrder(oid, {"from": auditor})
    assert mkt.book.order(oid)[8] == reviewed[8]
