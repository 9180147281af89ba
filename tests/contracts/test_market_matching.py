"""MatchingMarket: offers, requests and the on-chain verifier of the optimal matching (seed 003 eq 3-5).

The verifier must reject every infeasible assignment (over capacity, double assignment, negative revenue,
unapproved party, wrong period, ...) and leave the stored best untouched; a feasible one is kept only if
strictly better. Expected objectives come from `energy_trading.models.matching`'s integer definitions.
"""

import pytest
from brownie import accounts
from conftest import reverts_with
from market_fixtures import (
    AGREED,
    TOKEN,
    WAD,
    ZONE_NORTH,
    ZONE_SOUTH,
    active_order,
    goto,
    open_period,
)

from energy_trading.models.matching import matching_degree_wad, onchain_revenue_wad


@pytest.fixture
def book(mkt, people):
    """A period in its publish phase with offers of p1 (0.5/kWh, 20 kWh) and p2 (0.4/kWh, 10 kWh) and
    requests of c1 (8 kWh, bonus 1), c2 (6 kWh) and the prosumer (5 kWh)."""
    pid, period = open_period(mkt)
    m = mkt.matching
    o1 = m.publishOffer(pid, TOKEN // 2, 20_000, {"from": people.p1}).events["OfferPublished"]["offerId"]
    o2 = m.publishOffer(pid, 2 * TOKEN // 5, 10_000, {"from": people.p2}).events["OfferPublished"]["offerId"]
    r1 = m.publishRequest(pid, 8_000, TOKEN, {"from": people.c1}).events["RequestPublished"]["requestId"]
    r2 = m.publishRequest(pid, 6_000, 0, {"from": people.c2}).events["RequestPublished"]["requestId"]
    r3 = m.publishRequest(pid, 5_000, 0, {"from": people.pro}).events["RequestPublished"]["requestId"]
    return pid, period, (o1, o2), (r1, r2, r3)


def expected_degree(energy_wh, price, fee=0, rc=0):
    return matching_degree_wad(onchain_revenue_wad(energy_wh, price, fee, WAD), rc)


def best_of(mkt, pid):
    return tuple(mkt.matching.best(pid))


# ------------------------------------------------------------------ publishing


def test_offer_records_price_capacity_zone_and_reputation_snapshot(mkt, people, book):
    pid, _, (o1, _), _ = book
    offer = mkt.matching.offer(o1)
    assert offer[0] == people.p1
    assert tuple(offer)[1:5] == (pid, TOKEN // 2, 20_000, 0)
    assert offer[5] == "0x" + ZONE_NORTH.hex()
    assert mkt.matching.offerOf(pid, people.p1) == o1


def test_republishing_replaces_the_providers_offer(mkt, people, book):
    pid, _, (o1, _), _ = book
    tx = mkt.matching.publishOffer(pid, TOKEN, 1_000, {"from": people.p1})
    assert tx.events["OfferPublished"]["offerId"] == o1
    assert tuple(mkt.matching.offer(o1))[2:4] == (TOKEN, 1_000)
    assert mkt.matching.counts()[0] == 2


def test_consumer_cannot_offer_and_generator_cannot_request(mkt, people, book):
    pid = book[0]
    before = mkt.matching.counts()
    with reverts_with("NotAProvider", people.c1):
        mkt.matching.publishOffer(pid, TOKEN, 1_000, {"from": people.c1})
    with reverts_with("NotAConsumer", people.p1):
        mkt.matching.publishRequest(pid, 1_000, 0, {"from": people.p1})
    assert mkt.matching.counts() == before


def test_unregistered_and_suspended_parties_cannot_publish(mkt, registry, auditor, people, book):
    pid = book[0]
    before = mkt.matching.counts()
    with reverts_with("NotApproved", people.outsider):
        mkt.matching.publishRequest(pid, 1_000, 0, {"from": people.outsider})
    registry.suspend(people.p2, b"audit", {"from": auditor})
    with reverts_with("NotApproved", people.p2):
        mkt.matching.publishOffer(pid, TOKEN, 1_000, {"from": people.p2})
    assert mkt.matching.counts() == before


def test_zero_price_or_energy_is_refused(mkt, people, book):
    pid = book[0]
    with reverts_with("ZeroPrice"):
        mkt.matching.publishOffer(pid, 0, 1_000, {"from": people.p1})
    with reverts_with("ZeroEnergy"):
        mkt.matching.publishOffer(pid, TOKEN, 0, {"from": people.p1})
    with reverts_with("ZeroEnergy"):
        mkt.matching.publishRequest(pid, 0, 0, {"from": people.c1})


def test_publishing_after_the_publish_phase_is_refused(mkt, people, book):
    pid, period, _, _ = book
    goto(period, "matching")
    before = mkt.matching.counts()
    with reverts_with("OutsideWindow"):
        mkt.matching.publishRequest(pid, 1_000, 0, {"from": people.c1})
    assert mkt.matching.counts() == before


def test_publishing_in_an_unknown_period_is_refused(mkt, people):
    with reverts_with("UnknownPeriod", 99):
        mkt.matching.publishOffer(99, TOKEN, 1_000, {"from": people.p1})


def test_only_the_requester_cancels_its_request_once(mkt, people, book):
    r1 = book[3][0]
    with reverts_with("NotRequester", r1, people.c2, people.c1):
        mkt.matching.cancelRequest(r1, {"from": people.c2})
    tx = mkt.matching.cancelRequest(r1, {"from": people.c1})
    assert tx.events["RequestCancelled"]["requestId"] == r1
    assert mkt.matching.request(r1)[2] is True
    with reverts_with("RequestWasCancelled", r1):
        mkt.matching.cancelRequest(r1, {"from": people.c1})


def test_crossing_fee_is_symmetric_and_operator_only(mkt, people):
    mkt.matching.setCrossingFee(ZONE_NORTH, ZONE_SOUTH, 7, {"from": mkt.admin})
    assert mkt.matching.crossingFee(ZONE_SOUTH, ZONE_NORTH) == 7
    with reverts_with("AccessControlUnauthorizedAccount"):
        mkt.matching.setCrossingFee(ZONE_NORTH, ZONE_NORTH, 1, {"from": accounts[9]})
    assert mkt.matching.crossingFee(ZONE_NORTH, ZONE_NORTH) == 0


# ------------------------------------------------------------------ verification


def test_feasible_assignment_is_stored_with_the_fixed_point_objective(mkt, people, book):
    pid, period, (o1, o2), (r1, r2, r3) = book
    goto(period, "matching")
    pairs = [(r1, o1), (r2, o2), (r3, o1)]
    tx = mkt.matching.submitAssignment(pid, pairs, {"from": people.c2})
    # everyone's RC is still 0, so every M_ij is 0 (eq 4) and the served energy decides
    expected = sum(
        expected_degree(e, p) for e, p in ((8_000, TOKEN // 2), (6_000, 2 * TOKEN // 5), (5_000, TOKEN // 2))
    )
    assert expected == 0
    assert tx.events["AssignmentSubmitted"]["servedWh"] == 19_000
    assert best_of(mkt, pid) == (people.c2, 3, 1, 0, expected, 19_000)


def test_verifier_refuses_over_capacity(mkt, people, book):
    pid, period, (_, o2), (_, r2, r3) = book
    goto(period, "matching")
    with reverts_with("CapacityExceeded", o2, 5_000, 4_000):
        mkt.matching.submitAssignment(pid, [(r2, o2), (r3, o2)], {"from": people.c1})
    assert best_of(mkt, pid)[0] == "0x0000000000000000000000000000000000000000"


def test_verifier_refuses_a_request_assigned_twice(mkt, people, book):
    pid, period, (o1, o2), (r1, _, _) = book
    goto(period, "matching")
    with reverts_with("RequestAssignedTwice", 1, r1):
        mkt.matching.submitAssignment(pid, [(r1, o1), (r1, o2)], {"from": people.c1})
    assert best_of(mkt, pid)[5] == 0


def test_verifier_refuses_requests_out_of_order(mkt, people, book):
    pid, period, (o1, o2), (r1, r2, _) = book
    goto(period, "matching")
    with reverts_with("RequestsNotAscending", 1, r2, r1):
        mkt.matching.submitAssignment(pid, [(r2, o1), (r1, o2)], {"from": people.c1})
    assert best_of(mkt, pid)[5] == 0


def test_verifier_refuses_negative_revenue(mkt, people, book):
    pid, period, (o1, _), (r1, _, _) = book
    mkt.matching.setCrossingFee(ZONE_NORTH, ZONE_NORTH, TOKEN, {"from": mkt.admin})  # fee 1 > price 0.5
    goto(period, "matching")
    with reverts_with("NegativeRevenue", r1, o1, 4 * TOKEN, 8 * TOKEN):
        mkt.matching.submitAssignment(pid, [(r1, o1)], {"from": people.c1})
    assert best_of(mkt, pid)[5] == 0


def test_verifier_refuses_a_party_no_longer_approved(mkt, registry, auditor, people, book):
    pid, period, (o1, _), (r1, r2, _) = book
    registry.suspend(people.c2, b"fraud", {"from": auditor})
    goto(period, "matching")
    with reverts_with("PartyNotActive", 1, people.c2):
        mkt.matching.submitAssignment(pid, [(r1, o1), (r2, o1)], {"from": people.c1})
    assert best_of(mkt, pid)[5] == 0


def test_verifier_refuses_an_unapproved_submitter(mkt, people, book):
    pid, period, (o1, _), (r1, _, _) = book
    goto(period, "matching")
    with reverts_with("NotApproved", people.outsider):
        mkt.matching.submitAssignment(pid, [(r1, o1)], {"from": people.outsider})
    assert best_of(mkt, pid)[5] == 0


def test_verifier_refuses_pairs_of_another_period(mkt, people, book):
    pid, period, (o1, _), (r1, _, _) = book
    pid2, _ = open_period(mkt)
    r_other = mkt.matching.publishRequest(pid2, 1_000, 0, {"from": people.c2}).events["RequestPublished"][
        "requestId"
    ]
    goto(period, "matching")
    with reverts_with("WrongPeriod", 1, pid, pid2, pid):
        mkt.matching.submitAssignment(pid, [(r1, o1), (r_other, o1)], {"from": people.c1})
    assert best_of(mkt, pid)[5] == 0


def test_verifier_refuses_unknown_cancelled_and_empty(mkt, people, book):
    pid, period, (o1, _), (r1, r2, _) = book
    mkt.matching.cancelRequest(r2, {"from": people.c2})
    goto(period, "matching")
    with reverts_with("UnknownRequest", 999):
        mkt.matching.submitAssignment(pid, [(999, o1)], {"from": people.c1})
    with reverts_with("UnknownOffer", 999):
        mkt.matching.submitAssignment(pid, [(r1, 999)], {"from": people.c1})
    with reverts_with("RequestWasCancelled", r2):
        mkt.matching.submitAssignment(pid, [(r2, o1)], {"from": people.c1})
    with reverts_with("EmptyAssignment"):
        mkt.matching.submitAssignment(pid, [], {"from": people.c1})
    assert best_of(mkt, pid)[5] == 0


def test_submissions_outside_the_matching_window_are_refused(mkt, people, book):
    pid, period, (o1, _), (r1, _, _) = book
    with reverts_with("OutsideWindow"):  # still publishing
        mkt.matching.submitAssignment(pid, [(r1, o1)], {"from": people.c1})
    goto(period, "signing")
    with reverts_with("OutsideWindow"):  # too late
        mkt.matching.submitAssignment(pid, [(r1, o1)], {"from": people.c1})
    assert best_of(mkt, pid)[5] == 0


def test_only_a_strictly_better_submission_replaces_the_best(mkt, people, book):
    pid, period, (o1, o2), (r1, r2, r3) = book
    goto(period, "matching")
    mkt.matching.submitAssignment(pid, [(r1, o1), (r2, o2)], {"from": people.c1})
    with reverts_with("NotBetter", pid, 0, 14_000, 0, 14_000):
        mkt.matching.submitAssignment(pid, [(r1, o1), (r2, o1)], {"from": people.c2})
    with reverts_with("NotBetter", pid, 0, 8_000, 0, 14_000):
        mkt.matching.submitAssignment(pid, [(r1, o1)], {"from": people.c2})
    assert best_of(mkt, pid)[0] == people.c1
    mkt.matching.submitAssignment(pid, [(r1, o1), (r2, o2), (r3, o1)], {"from": people.c2})
    assert best_of(mkt, pid)[0] == people.c2
    assert best_of(mkt, pid)[5] == 19_000


def test_higher_matching_degree_beats_more_served_energy(mkt, people, registry, auditor):
    """Objective first, energy second: a provider with RC > 0 wins over serving more with RC = 0.
    The objective includes the grid-crossing fee (eq 3) and the RC snapshot (eq 4)."""
    # give p1 a reputation: one fully delivered bilateral trade in an earlier period
    oid, period0 = active_order(mkt, people, auditor, energy=1_000, price=TOKEN, bonus=0)
    mkt.book.submitReading(oid, 0, 1_000, people.meter[people.p1], b"", {"from": people.meter[people.p1]})
    goto(period0, "settlement")
    mkt.book.settle(oid, {"from": accounts[9]})
    pid, period = open_period(mkt)
    mkt.matching.setCrossingFee(ZONE_NORTH, ZONE_NORTH, TOKEN // 10, {"from": mkt.admin})
    m = mkt.matching
    o1 = m.publishOffer(pid, TOKEN // 2, 5_000, {"from": people.p1}).events["OfferPublished"]["offerId"]
    o2 = m.publishOffer(pid, TOKEN // 2, 50_000, {"from": people.p2}).events["OfferPublished"]["offerId"]
    assert m.offer(o1)[4] == 4 * WAD // 10  # RC = alpha * 1 after one perfect period
    r1 = m.publishRequest(pid, 5_000, 0, {"from": people.c1}).events["RequestPublished"]["requestId"]
    r2 = m.publishRequest(pid, 9_000, 0, {"from": people.c2}).events["RequestPublished"]["requestId"]
    goto(period, "matching")
    m.submitAssignment(pid, [(r1, o2), (r2, o2)], {"from": people.c1})  # 14 kWh, objective 0
    tx = m.submitAssignment(pid, [(r1, o1)], {"from": people.c2})  # 5 kWh, objective M > 0
    # zeta = 5 kWh * (0.5 - 0.1) = 2 currency units; M = 2 * 0.4 / 2.4
    expected = expected_degree(5_000, TOKEN // 2, TOKEN // 10, 4 * WAD // 10)
    assert expected == 2 * WAD * (4 * WAD // 10) // (2 * WAD + 4 * WAD // 10)
    assert tx.events["AssignmentSubmitted"]["objective"] == expected
    assert m.matchingDegree(r1, o1) == expected
    assert best_of(mkt, pid)[0] == people.c2


# ------------------------------------------------------------------ materialisation


def test_materialize_turns_the_best_chunk_into_agreed_orders(mkt, people, book):
    pid, period, (o1, o2), (r1, r2, r3) = book
    goto(period, "matching")
    pairs = [(r1, o1), (r2, o2), (r3, o1)]
    mkt.matching.submitAssignment(pid, pairs, {"from": people.c1})
    goto(period, "signing")
    tx = mkt.matching.materialize(pid, 0, pairs, {"from": accounts[9]})
    created = tx.events["MatchedOrderCreated"]
    assert len(created) == 3
    first = created[0]["orderId"]
    order = mkt.book.order(first)
    assert tuple(order)[:4] == (people.p1, pid, AGREED, 1)
    assert tuple(order)[6:11] == (people.c1, r1, 8_000, TOKEN // 2, TOKEN)
    assert mkt.matching.best(pid)[3] == 1


def test_materialize_refuses_a_different_chunk_twice_or_too_early(mkt, people, book):
    pid, period, (o1, o2), (r1, r2, _) = book
    goto(period, "matching")
    pairs = [(r1, o1), (r2, o2)]
    mkt.matching.submitAssignment(pid, pairs, {"from": people.c1})
    with reverts_with("OutsideWindow"):
        mkt.matching.materialize(pid, 0, pairs, {"from": people.c1})
    goto(period, "signing")
    count = mkt.book.orderCount()
    with reverts_with("ChunkMismatch"):
        mkt.matching.materialize(pid, 0, [(r1, o1), (r2, o1)], {"from": people.c1})
    with reverts_with("UnknownChunk", pid, 1, 1):
        mkt.matching.materialize(pid, 1, pairs, {"from": people.c1})
    assert mkt.book.orderCount() == count
    mkt.matching.materialize(pid, 0, pairs, {"from": people.c1})
    with reverts_with("ChunkAlreadyMaterialized", pid, 0):
        mkt.matching.materialize(pid, 0, pairs, {"from": people.c1})
    assert mkt.book.orderCount() == count + 2


def test_materialize_without_any_submission_is_refused(mkt, people, book):
    pid, period, (o1, _), (r1, _, _) = book
    goto(period, "signing")
    with reverts_with("NoAssignment", pid):
        mkt.matching.materialize(pid, 0, [(r1, o1)], {"from": people.c1})


def test_large_assignments_are_split_into_chunks_of_16(mkt, people, registry, auditor):
    pid, period = open_period(mkt)
    m = mkt.matching
    o1 = m.publishOffer(pid, TOKEN // 2, 100_000, {"from": people.p1}).events["OfferPublished"]["offerId"]
    requests = [
        m.publishRequest(pid, 1_000, 0, {"from": people.c1}).events["RequestPublished"]["requestId"]
        for _ in range(17)
    ]
    goto(period, "matching")
    pairs = [(r, o1) for r in requests]
    m.submitAssignment(pid, pairs, {"from": people.c2})
    assert tuple(m.best(pid))[1:3] == (17, 2)
    goto(period, "signing")
    assert len(m.materialize(pid, 1, pairs[16:], {"from": people.c2}).events["MatchedOrderCreated"]) == 1
    assert len(m.materialize(pid, 0, pairs[:16], {"from": people.c2}).events["MatchedOrderCreated"]) == 16


def test_only_the_matching_market_creates_matched_orders(mkt, people, book):
    pid, period = book[0], book[1]
    goto(period, "signing")
    with reverts_with("AccessControlUnauthorizedAccount"):
        mkt.book.createMatchedOrder(pid, people.p1, people.c1, 1, 1_000, TOKEN, 0, {"from": accounts[9]})
    assert mkt.book.orderCount() == 0
