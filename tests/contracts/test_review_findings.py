"""Independent review of issue 10 (attacker's view): one proof-of-concept per finding.

Each test asserts the SAFE behaviour and is marked xfail(strict=True) while the finding is open, so the suite
stays green and the marker must be removed when the fix lands (a strict xfail that passes fails the run).
"""

import brownie
from brownie import GreenCertificates, accounts
from conftest import (
    ATTESTATION,
    DEVICE,
    GENERATOR,
    METER_PENDING,
    METER_REJECTED,
    SOLAR,
    ZONE_A,
    meter_request,
    plain,
    register,
    reverts_with,
)
from market_fixtures import BUYER_SIDE, SELLER_SIDE, SETTLED, active_order, goto, open_period
from test_certificates import signed
from test_market_trust import PRICE, R, grid, grid_order, read  # noqa: F401  (grid is a fixture)

ZERO = "0x0000000000000000000000000000000000000000"


def test_a_delivered_order_settled_promptly_cannot_be_pushed_into_the_refund_fallback(
    mkt,
    people,
    auditor,
    grid,  # noqa: F811
):
    """The seller delivered the full contract and settles right after its readings window, well inside
    the grace period the trust model promises. The buyer front-runs by settling the (only) order of the
    next period (also past its readings window): round 2 opens and is complete at once, so the period-1
    order reverts RoundClosed until the grace ends and then falls back to refunds: the buyer kept the
    energy for free. Fixed: the straggler opens the next credit round (`CreditWeights.applySettlement`) and
    settles normally."""
    p1, _ = open_period(mkt, grid.policy)
    p2, period2 = open_period(mkt, grid.policy)
    victim = grid_order(mkt, people, auditor, grid, p1)
    other = grid_order(mkt, people, auditor, grid, p2, people.p2, people.c2)
    read(mkt, people, victim, SELLER_SIDE, R)
    read(mkt, people, victim, BUYER_SIDE, R)
    goto(period2, "settlement")  # a second or two after period 1's readings window: inside its grace
    mkt.book.settle(other, {"from": people.c1})  # the victim's buyer front-runs the seller
    assert grid.credit.isRoundClosed(p2)
    tx = mkt.book.settle(victim, {"from": people.p1})  # the seller's timely settlement
    assert mkt.book.order(victim)[2] == SETTLED
    assert mkt.book.withdrawable(people.p1) > 0
    assert (
        tx.events["GridSettled"]["breakdown"][0] == p2 + 1
    )  # counted in a fresh round: round p2 stays closed
    assert grid.credit.currentRound() == p2 + 1


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
    reviewed_hash = mkt.book.termsHash(oid)  # and names in its approval
    # the parties front-run the approval with a 100x larger contract at a thousandth of the price
    mkt.book.proposeAmendment(oid, 100 * R, PRICE // 1_000, {"from": people.p1})
    mkt.book.acceptAmendment(oid, 100 * R, PRICE // 1_000, {"from": people.c1})
    with brownie.reverts(revert_pattern=rf"TermsChanged: {oid}, .*"):
        mkt.book.approveOrder(oid, reviewed_hash, {"from": auditor})
    assert mkt.book.order(oid)[8] == 100 * R  # the amendment stands, unapproved
    assert mkt.book.order(oid)[2] == 2  # still Agreed: the auditor must review the new terms
    assert reviewed[8] == R
    # the approval of the terms it did review would have worked: the auditor now names the new ones
    mkt.book.approveOrder(oid, mkt.book.termsHash(oid), {"from": auditor})
    assert mkt.book.order(oid)[2] == 3


def test_a_just_approved_meter_cannot_certify_generation_from_before_its_approval(registry, auditor, admin):
    """A 1 kW device the auditor approved this block reports one year of full-power generation ending now:
    8,760 kWh = 8 certificates. The rated-power bound holds (8.76 MWh = 1 kW x 1 year) because the period is
    chosen by the reporter; `_acceptPeriod` checks only overlap with the meter's own earlier periods (none).
    The safe behaviour is a refusal of any period that starts before the meter's approval. Fixed:
    `PeriodBeforeApproval`, and the meter's Wh budget since approval (`MeterAuthenticated`)."""
    certs = GreenCertificates.deploy(registry, "https://certificates.example/{id}.json", {"from": admin})
    gen, meter = accounts[8], accounts.add()
    register(registry, gen, GENERATOR, SOLAR, [(str(meter), DEVICE, 1_000)])
    registry.approveMeter(meter, {"from": auditor})
    registry.approve(gen, {"from": auditor})
    approved_at = registry.meterInfo(meter)[3]
    start, end = approved_at - 365 * 24 * 3600, approved_at
    wh = 1_000 * (end - start) // 3600
    sig = signed(certs, gen, meter, start, end, wh)
    with reverts_with("PeriodBeforeApproval", meter, start, approved_at):
        certs.reportGeneration(gen, meter, start, end, wh, sig, {"from": gen})
    assert certs.heldCertificates(gen) == 0
    assert (certs.nonces(meter), certs.lastPeriodEnd(meter), certs.meterReportedWh(meter)) == (0, 0, 0)


def test_a_stranger_cannot_squat_someone_elses_meter(registry, auditor, admin, stranger):
    """The victim's smart meter has a fixed device key, public as soon as its registration is in the mempool.
    A stranger front-ran with `register(..., [victim's meter])`: the binding was first come and permanent,
    `rejectMeter` kept the squatter as owner (only it may re-request), so the victim's registration reverted
    MeterAlreadyBound for good. Fixed: binding needs the meter's EIP-712 signature naming its owner
    (`MeterBinding`): neither a copied signature (it names the victim) nor the stranger's own key binds it."""
    victim, meter = accounts.add(), accounts.add()
    admin.transfer(victim, "1 ether")
    victims_request = meter_request(registry, victim, meter, 5_000)  # seen in the mempool
    forged = meter_request(registry, stranger, meter, 5_000, signer=accounts.add())  # a key it holds
    count = registry.participantCount()
    for request in (victims_request, forged):
        with reverts_with("InvalidMeterBindingSignature", meter, stranger):
            registry.register(GENERATOR, SOLAR, ZONE_A, ATTESTATION, [request], {"from": stranger})
    assert registry.participantCount() == count
    assert (registry.meterOwner(meter), registry.nonces(meter)) == (ZERO, 0)
    registry.register(GENERATOR, SOLAR, ZONE_A, ATTESTATION, [victims_request], {"from": victim})
    assert registry.meterInfo(meter)[0] == victim


def test_the_auditor_can_revoke_a_meter_found_tampered_after_approval(registry, auditor, admin):
    """The trust model rests on the auditor's review of devices, but review is one-way: once Approved, a
    device stayed Approved forever (no revoke, no suspend; suspending the owner does not stop its meter's
    order-book readings). Finding 5, fixed: `rejectMeter` also revokes an approved device."""
    owner, meter = accounts.add(), accounts.add()
    admin.transfer(owner, "1 ether")
    register(registry, owner, GENERATOR, SOLAR, [(str(meter), DEVICE, 5_000)])
    registry.approveMeter(meter, {"from": auditor})
    registry.rejectMeter(meter, b"tampered".ljust(32, b"\0"), {"from": auditor})
    assert registry.meterInfo(meter)[1] == METER_REJECTED
    with reverts_with("WrongMeterStatus", meter, METER_REJECTED, METER_PENDING):  # revoked once only
        registry.rejectMeter(meter, b"again".ljust(32, b"\0"), {"from": auditor})
    with reverts_with("AccessControlUnauthorizedAccount"):
        registry.rejectMeter(accounts.add(), b"x".ljust(32, b"\0"), {"from": owner})


def test_a_revoked_meter_reports_nothing_more_to_an_active_order(mkt, people, auditor, registry):
    """Finding 5, fixed: the revoked device's next reading into an Active order is refused (MeterNotApproved)
    and the order is unchanged; it still settles (the missing reading counts as 0 Wh)."""
    oid, _ = active_order(mkt, people, auditor, seller=people.p2, buyer=people.c2)
    meter = people.meter[people.p2]
    registry.rejectMeter(meter, b"tampered".ljust(32, b"\0"), {"from": auditor})
    before = plain(mkt.book.order(oid))
    with reverts_with("MeterNotApproved", meter, METER_REJECTED):
        read(mkt, people, oid, SELLER_SIDE, 1_000)
    assert plain(mkt.book.order(oid)) == before
