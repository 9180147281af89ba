"""CarbonLedger: quotas, allowance trades, metered emissions, per-node settlement (seed 001 eq 21-22)."""

import brownie
import pytest
from brownie import CarbonLedger, EnergyToken, accounts, chain
from conftest import (
    CONSUMER,
    FOSSIL,
    GENERATOR,
    SOLAR,
    SOURCE_NONE,
    approve_meters,
    new_meter,
    plain,
    register,
    reverts_with,
)

from energy_trading.clients.certificates import EMISSION_READING_TYPES, sign_reading

OPEN, CLOSED, SETTLED = 1, 2, 3
NOT_SETTLED, COMPLIANT, NON_COMPLIANT = 0, 1, 2
PRICE = 2 * 10**15  # 0.002 tokens per kg CO2e


@pytest.fixture(scope="module")
def token(admin):
    return EnergyToken.deploy(admin, admin, 10**18, 0, 0, {"from": admin})


@pytest.fixture(scope="module")
def ledger(registry, token, admin, auditor):
    """The regulator role goes to the registry's auditor, as in the standard deployment."""
    return CarbonLedger.deploy(admin, auditor, registry, token, {"from": admin})


def node(registry, auditor, who, role=GENERATOR, source=FOSSIL):
    meter = new_meter()
    register(registry, who, role, source, [meter])
    registry.approve(who, {"from": auditor})
    approve_meters(registry, auditor, who)
    return who, meter


@pytest.fixture(scope="module")
def coal(registry, auditor):
    """A fossil generator (accounts[3]): emits more than its quota."""
    return node(registry, auditor, accounts[3])


@pytest.fixture(scope="module")
def sun(registry, auditor):
    """A solar generator (accounts[4]): spare allowances to sell."""
    return node(registry, auditor, accounts[4], GENERATOR, SOLAR)


@pytest.fixture(scope="module")
def home(registry, auditor):
    """A consumer (accounts[5])."""
    return node(registry, auditor, accounts[5], CONSUMER, SOURCE_NONE)


@pytest.fixture
def cycle(ledger, auditor, coal, sun, home):
    """Cycle 1 is open with quotas coal 1000 kg, sun 600 kg, home 300 kg."""
    ledger.openCycle({"from": auditor})
    for who, quota in ((coal, 1000), (sun, 600), (home, 300)):
        ledger.setQuota(1, who[0], quota, {"from": auditor})
    return 1


def emit(ledger, who, amount, cycle=1, relayer=None):
    """Relay the node meter's signed emission reading."""
    account, meter = who
    message = {
        "node": str(account),
        "meter": str(meter),
        "cycle": cycle,
        "amount": amount,
        "nonce": ledger.nonces(meter),
    }
    signature = sign_reading(
        meter.private_key, "CarbonLedger", chain.id, ledger.address, EMISSION_READING_TYPES, message
    )
    return ledger.reportEmissions(account, meter, cycle, amount, signature, {"from": relayer or account})


def fund(token, admin, ledger, who, tokens):
    token.issue(who, tokens, {"from": admin})
    token.approve(ledger, tokens, {"from": who})


def state(ledger, token, *people, cycle=1):
    """Everything a refused carbon step must leave unchanged."""
    return (
        plain(ledger.cycleInfo(cycle)),
        [plain(ledger.position(p, cycle)) for p in people],
        [token.balanceOf(p) for p in people],
        token.balanceOf(ledger),
        [plain(ledger.allowanceListing(i)) for i in range(1, ledger.allowanceListingCount() + 1)],
        ledger.lastSettledCycle(),
    )


# ------------------------------------------------------------------------------------------- a whole cycle


def test_a_cycle_from_quotas_to_settlement(ledger, token, admin, auditor, cycle, coal, sun, home):
    emit(ledger, coal, 1300)
    emit(ledger, sun, 100)
    emit(ledger, home, 250)
    listing = ledger.listAllowances(cycle, 400, PRICE, {"from": sun[0]}).return_value
    fund(token, admin, ledger, coal[0], 250 * PRICE)
    tx = ledger.buyAllowances(listing, 250, {"from": coal[0]})
    assert tx.return_value == 250 * PRICE
    assert token.balanceOf(sun[0]) == 250 * PRICE
    ledger.closeCycle(cycle, {"from": auditor})
    ledger.settle(coal[0], cycle, {"from": home[0]})  # anyone may settle a node
    ledger.settleBatch(cycle, [sun[0], home[0]], {"from": home[0]})
    # seed 001 eq 22: A_ce = A_q + A_b - A_e, A_b = bought - sold.
    expected = {coal[0]: 1000 + 250 - 1300, sun[0]: 600 - 250 - 100, home[0]: 300 - 250}
    for who, amount in expected.items():
        assert plain(ledger.carbonSettlement(who, cycle)) == (True, amount)
    assert plain(ledger.compliance(coal[0], cycle)) == (NON_COMPLIANT, -50)
    assert plain(ledger.compliance(sun[0], cycle)) == (COMPLIANT, 250)
    assert plain(ledger.carbonSettlementRange(cycle)) == (-50, 250)
    info = plain(ledger.cycleInfo(cycle))
    assert (info[0], info[3], info[4], info[5]) == (SETTLED, 3, 3, 1)
    assert ledger.lastSettledCycle() == cycle


def test_settlement_events_report_the_terms_and_non_compliance(
    ledger, token, admin, auditor, cycle, coal, sun, home
):
    emit(ledger, coal, 1200)
    emit(ledger, sun, 0)  # a node that emitted nothing reports 0; no report at all is non-compliance
    emit(ledger, home, 0)
    listing = ledger.listAllowances(cycle, 100, PRICE, {"from": sun[0]}).return_value
    fund(token, admin, ledger, coal[0], 100 * PRICE)
    ledger.buyAllowances(listing, 100, {"from": coal[0]})
    ledger.closeCycle(cycle, {"from": auditor})
    tx = ledger.settle(coal[0], cycle, {"from": auditor})
    settled = tx.events["CarbonSettled"]
    assert (settled["settlement"], settled["quota"], settled["netBought"], settled["emitted"]) == (
        -100,
        1000,
        100,
        1200,
    )
    assert (tx.events["NonComplianceRecorded"]["node"], tx.events["NonComplianceRecorded"]["shortfall"]) == (
        coal[0],
        100,
    )
    tx = ledger.settle(sun[0], cycle, {"from": auditor})
    assert tx.events["CarbonSettled"]["netBought"] == -100  # a net seller's A_b is negative
    assert "NonComplianceRecorded" not in tx.events
    assert "CycleSettled" not in tx.events
    tx = ledger.settle(home[0], cycle, {"from": auditor})
    done = tx.events["CycleSettled"]
    assert (done["cycle"], done["minSettlement"], done["maxSettlement"], done["nonCompliantNodes"]) == (
        1,
        -100,
        500,
        1,
    )


def test_range_is_kept_incrementally_in_any_settlement_order(ledger, auditor, cycle, coal, sun, home):
    emit(ledger, coal, 1400)  # -400
    emit(ledger, home, 100)  # 200
    emit(ledger, sun, 0)  # 600
    ledger.closeCycle(cycle, {"from": auditor})
    ranges = []
    for who in (home, coal, sun):  # sun settles at 600
        ledger.settle(who[0], cycle, {"from": auditor})
        ranges.append(plain(ledger.carbonSettlementRange(cycle)))
    assert ranges == [(200, 200), (-400, 200), (-400, 600)]


def test_emissions_accumulate_over_readings(ledger, cycle, coal):
    emit(ledger, coal, 300)
    tx = emit(ledger, coal, 450)
    assert tx.events["EmissionsReported"]["totalEmitted"] == 750
    assert ledger.position(coal[0], cycle)[6] == 750


def test_meter_may_send_its_own_emissions(ledger, admin, cycle, coal):
    account, meter = coal
    admin.transfer(meter, "1 ether")
    ledger.reportEmissions(account, meter, cycle, 42, b"", {"from": meter})
    assert ledger.position(account, cycle)[6] == 42


def test_a_cycle_with_no_nodes_is_settled_when_closed(ledger, auditor):
    ledger.openCycle({"from": auditor})
    tx = ledger.closeCycle(1, {"from": auditor})
    assert ledger.cycleInfo(1)[0] == SETTLED
    assert ledger.lastSettledCycle() == 1
    assert "CycleSettled" in tx.events


def test_next_cycle_opens_after_close_and_settles_independently(ledger, auditor, cycle, coal, sun, home):
    ledger.closeCycle(cycle, {"from": auditor})
    assert ledger.openCycle({"from": auditor}).return_value == 2
    ledger.setQuota(2, coal[0], 900, {"from": auditor})
    ledger.closeCycle(2, {"from": auditor})
    ledger.settle(coal[0], 2, {"from": auditor})
    assert ledger.lastSettledCycle() == 2  # cycle 2 is done although cycle 1 still waits for settlements
    assert ledger.cycleInfo(1)[0] == CLOSED
    ledger.settleBatch(1, [coal[0], sun[0], home[0]], {"from": auditor})
    assert ledger.lastSettledCycle() == 2
    assert ledger.cycleInfo(1)[0] == SETTLED


def test_cancelled_listing_releases_the_reservation(ledger, cycle, sun):
    listing = ledger.listAllowances(cycle, 500, PRICE, {"from": sun[0]}).return_value
    assert ledger.spareAllowances(sun[0], cycle) == 100
    tx = ledger.cancelAllowanceListing(listing, {"from": sun[0]})
    assert tx.events["AllowanceListingCancelled"]["withdrawn"] == 500
    assert ledger.spareAllowances(sun[0], cycle) == 600


# ---------------------------------------------------------------------------------------------- refusals


def unauthorized(who):
    """Expect OpenZeppelin's AccessControlUnauthorizedAccount naming `who` (and the regulator role)."""
    return brownie.reverts(revert_pattern=rf"AccessControlUnauthorizedAccount: {str(who).lower()}, .*")


def test_stranger_cannot_run_the_regulator_steps(ledger, token, auditor, cycle, coal, stranger):
    before = state(ledger, token, coal[0], stranger)
    with unauthorized(stranger):
        ledger.openCycle({"from": stranger})
    with unauthorized(stranger):
        ledger.setQuota(cycle, stranger, 10**9, {"from": stranger})
    with unauthorized(coal[0]):
        ledger.closeCycle(cycle, {"from": coal[0]})
    assert state(ledger, token, coal[0], stranger) == before
    assert not ledger.hasRole(ledger.REGULATOR_ROLE(), stranger)
    assert ledger.hasRole(ledger.REGULATOR_ROLE(), auditor)


def test_stranger_cannot_trade_allowances_or_grant_itself_the_regulator_role(
    ledger, token, admin, cycle, sun, stranger
):
    listing = ledger.listAllowances(cycle, 100, PRICE, {"from": sun[0]}).return_value
    token.issue(stranger, 100 * PRICE, {"from": admin})
    token.approve(ledger, 100 * PRICE, {"from": stranger})
    before = state(ledger, token, sun[0], stranger)
    with reverts_with("NotActiveParticipant", stranger):
        ledger.listAllowances(cycle, 1, PRICE, {"from": stranger})
    with reverts_with("NotActiveParticipant", stranger):
        ledger.buyAllowances(listing, 1, {"from": stranger})
    with unauthorized(stranger):
        ledger.grantRole(ledger.REGULATOR_ROLE(), stranger, {"from": stranger})
    assert state(ledger, token, sun[0], stranger) == before
    assert not ledger.hasRole(ledger.REGULATOR_ROLE(), stranger)


def test_quota_is_set_once_and_only_for_active_participants(ledger, token, auditor, cycle, coal, stranger):
    before = state(ledger, token, coal[0], stranger)
    with reverts_with("QuotaAlreadySet", coal[0], cycle, 1000):
        ledger.setQuota(cycle, coal[0], 5000, {"from": auditor})
    with reverts_with("NotActiveParticipant", stranger):
        ledger.setQuota(cycle, stranger, 5000, {"from": auditor})
    with reverts_with("CycleNotOpen", 2, 0):
        ledger.setQuota(2, stranger, 5000, {"from": auditor})
    assert state(ledger, token, coal[0], stranger) == before


def test_only_one_cycle_is_open_at_a_time(ledger, token, auditor, cycle, coal):
    before = state(ledger, token, coal[0])
    with reverts_with("CycleStillOpen", cycle):
        ledger.openCycle({"from": auditor})
    assert state(ledger, token, coal[0]) == before
    assert ledger.currentCycle() == cycle


def test_emissions_come_only_from_the_nodes_own_meter(ledger, token, cycle, coal, sun, stranger):
    before = state(ledger, token, coal[0], sun[0])
    with reverts_with("MeterNotOwnedBy", sun[1], coal[0], sun[0]):
        emit(ledger, (coal[0], sun[1]), 1)  # the solar meter reporting for the coal plant
    with reverts_with("InvalidMeterSignature", coal[1], "0x0000000000000000000000000000000000000000"):
        ledger.reportEmissions(coal[0], coal[1], cycle, 0, b"", {"from": stranger})
    with reverts_with("UnknownMeter", stranger):
        ledger.reportEmissions(coal[0], stranger, cycle, 0, b"", {"from": stranger})
    assert state(ledger, token, coal[0], sun[0]) == before


def test_emissions_outside_an_open_cycle_or_unenrolled_are_refused(
    ledger, token, registry, auditor, cycle, coal, sun
):
    late = node(registry, auditor, accounts[6])
    before = state(ledger, token, coal[0], late[0])
    with reverts_with("NotEnrolled", late[0], cycle):
        emit(ledger, late, 10)
    ledger.closeCycle(cycle, {"from": auditor})
    before = state(ledger, token, coal[0], late[0])
    with reverts_with("CycleNotOpen", cycle, CLOSED):
        emit(ledger, coal, 10)
    assert state(ledger, token, coal[0], late[0]) == before


def test_selling_more_than_spare_allowances_is_refused(ledger, token, cycle, sun):
    emit(ledger, sun, 150)
    ledger.listAllowances(cycle, 300, PRICE, {"from": sun[0]})
    before = state(ledger, token, sun[0])
    with reverts_with("InsufficientAllowances", sun[0], cycle, 151, 150):
        ledger.listAllowances(cycle, 151, PRICE, {"from": sun[0]})
    with reverts_with("ZeroAmount"):
        ledger.listAllowances(cycle, 0, PRICE, {"from": sun[0]})
    with reverts_with("ZeroPrice"):
        ledger.listAllowances(cycle, 1, 0, {"from": sun[0]})
    assert state(ledger, token, sun[0]) == before


def test_a_node_short_of_allowances_has_none_to_sell(ledger, token, cycle, coal):
    emit(ledger, coal, 1100)
    before = state(ledger, token, coal[0])
    with reverts_with("InsufficientAllowances", coal[0], cycle, 1, 0):
        ledger.listAllowances(cycle, 1, PRICE, {"from": coal[0]})
    assert state(ledger, token, coal[0]) == before


def test_purchase_without_payment_moves_no_allowance(ledger, token, admin, cycle, coal, sun):
    listing = ledger.listAllowances(cycle, 300, PRICE, {"from": sun[0]}).return_value
    token.issue(coal[0], 100 * PRICE, {"from": admin})
    token.approve(ledger, 100 * PRICE, {"from": coal[0]})
    before = state(ledger, token, coal[0], sun[0])
    with reverts_with("ERC20InsufficientAllowance", ledger, 100 * PRICE, 200 * PRICE):
        ledger.buyAllowances(listing, 200, {"from": coal[0]})
    token.approve(ledger, 200 * PRICE, {"from": coal[0]})
    before = state(ledger, token, coal[0], sun[0])
    with reverts_with("ERC20InsufficientBalance", coal[0], 100 * PRICE, 200 * PRICE):
        ledger.buyAllowances(listing, 200, {"from": coal[0]})
    assert state(ledger, token, coal[0], sun[0]) == before


def test_purchase_refusals_leave_everything_unchanged(
    ledger, token, admin, registry, auditor, cycle, coal, sun
):
    listing = ledger.listAllowances(cycle, 100, PRICE, {"from": sun[0]}).return_value
    fund(token, admin, ledger, coal[0], 1000 * PRICE)
    outsider = node(registry, auditor, accounts[6])  # approved but not enrolled in the cycle
    fund(token, admin, ledger, outsider[0], 1000 * PRICE)
    before = state(ledger, token, coal[0], sun[0], outsider[0])
    with reverts_with("ExceedsListing", listing, 101, 100):
        ledger.buyAllowances(listing, 101, {"from": coal[0]})
    with reverts_with("SelfPurchase", listing, sun[0]):
        ledger.buyAllowances(listing, 1, {"from": sun[0]})
    with reverts_with("NotEnrolled", outsider[0], cycle):
        ledger.buyAllowances(listing, 1, {"from": outsider[0]})
    with reverts_with("UnknownListing", 7):
        ledger.buyAllowances(7, 1, {"from": coal[0]})
    with reverts_with("NotSeller", listing, coal[0], sun[0]):
        ledger.cancelAllowanceListing(listing, {"from": coal[0]})
    assert state(ledger, token, coal[0], sun[0], outsider[0]) == before


def test_no_trading_after_the_cycle_closed(ledger, token, admin, auditor, cycle, coal, sun):
    listing = ledger.listAllowances(cycle, 100, PRICE, {"from": sun[0]}).return_value
    fund(token, admin, ledger, coal[0], 100 * PRICE)
    ledger.closeCycle(cycle, {"from": auditor})
    before = state(ledger, token, coal[0], sun[0])
    with reverts_with("CycleNotOpen", cycle, CLOSED):
        ledger.buyAllowances(listing, 100, {"from": coal[0]})
    with reverts_with("CycleNotOpen", cycle, CLOSED):
        ledger.listAllowances(cycle, 1, PRICE, {"from": sun[0]})
    assert state(ledger, token, coal[0], sun[0]) == before


def test_settlement_waits_for_close_and_happens_once(ledger, token, auditor, cycle, coal, stranger):
    before = state(ledger, token, coal[0])
    with reverts_with("CycleNotClosed", cycle, OPEN):
        ledger.settle(coal[0], cycle, {"from": stranger})
    ledger.closeCycle(cycle, {"from": auditor})
    ledger.settle(coal[0], cycle, {"from": stranger})
    before = state(ledger, token, coal[0], stranger)
    with reverts_with("AlreadySettled", coal[0], cycle):
        ledger.settle(coal[0], cycle, {"from": stranger})
    with reverts_with("NotEnrolled", stranger, cycle):
        ledger.settle(stranger, cycle, {"from": stranger})
    assert state(ledger, token, coal[0], stranger) == before


def test_batch_with_one_bad_node_settles_nobody(ledger, token, auditor, cycle, coal, sun, stranger):
    ledger.closeCycle(cycle, {"from": auditor})
    before = state(ledger, token, coal[0], sun[0])
    with reverts_with("NotEnrolled", stranger, cycle):
        ledger.settleBatch(cycle, [coal[0], stranger, sun[0]], {"from": auditor})
    assert state(ledger, token, coal[0], sun[0]) == before


def test_suspended_node_still_reports_emissions_but_cannot_trade(
    ledger, token, admin, registry, auditor, cycle, coal, sun
):
    registry.suspend(coal[0], b"audit".ljust(32, b"\0"), {"from": auditor})
    emit(ledger, coal, 700)  # emissions are facts: suspension does not hide them
    assert ledger.position(coal[0], cycle)[6] == 700
    listing = ledger.listAllowances(cycle, 10, PRICE, {"from": sun[0]}).return_value
    fund(token, admin, ledger, coal[0], 10 * PRICE)
    before = state(ledger, token, coal[0], sun[0])
    with reverts_with("NotActiveParticipant", coal[0]):
        ledger.buyAllowances(listing, 10, {"from": coal[0]})
    assert state(ledger, token, coal[0], sun[0]) == before


def test_unsettled_cycle_range_reads_zero(ledger):
    assert plain(ledger.carbonSettlementRange(5)) == (0, 0)
    assert plain(ledger.carbonSettlement(accounts[3], 5)) == (False, 0)
    assert ledger.lastSettledCycle() == 0


def test_absurd_quota_or_emissions_are_refused_so_settlement_cannot_be_blocked(ledger, token, auditor, coal):
    cap = ledger.MAX_AMOUNT()
    assert cap == 2**128 - 1
    ledger.openCycle({"from": auditor})
    before = state(ledger, token, coal[0])
    with reverts_with("AmountTooLarge", cap + 1, cap):
        ledger.setQuota(1, coal[0], cap + 1, {"from": auditor})
    assert state(ledger, token, coal[0]) == before
    ledger.setQuota(1, coal[0], cap, {"from": auditor})
    emit(ledger, coal, cap)
    before = state(ledger, token, coal[0])
    with reverts_with("AmountTooLarge", cap + 1, cap):
        emit(ledger, coal, 1)
    assert state(ledger, token, coal[0]) == before
    ledger.closeCycle(1, {"from": auditor})
    ledger.settle(coal[0], 1, {"from": auditor})
    assert plain(ledger.compliance(coal[0], 1)) == (COMPLIANT, 0)


def test_a_node_without_an_emission_report_is_non_compliant_not_zero(ledger, auditor, cycle, coal, sun, home):
    """Issue 10, finding 4: before, a node whose meter never reported settled as if it emitted nothing."""
    emit(ledger, coal, 900)
    emit(ledger, home, 0)  # a report of zero is a report
    ledger.closeCycle(cycle, {"from": auditor})
    ledger.settleBatch(cycle, [coal[0], sun[0], home[0]], {"from": auditor})  # the silent node in the middle
    assert plain(ledger.compliance(coal[0], cycle)) == (COMPLIANT, 100)
    assert plain(ledger.compliance(home[0], cycle)) == (COMPLIANT, 300)
    # below every reporting node (the worst is 100) and negative: min(100, 0) - 1
    assert plain(ledger.compliance(sun[0], cycle)) == (NON_COMPLIANT, -1)
    assert plain(ledger.carbonSettlementRange(cycle)) == (-1, 300)
    assert ledger.cycleInfo(cycle)[6] == 2  # reportedNodes


def test_selling_every_allowance_and_staying_silent_ranks_below_an_honest_overshoot(
    ledger, token, admin, auditor, cycle, coal, sun, home
):
    """Review 6 finding 1: a silent node settled at -(quota + bought - sold) - 1, so selling the whole quota
    and staying silent gave -1, above an honest node that reported an overshoot. Now it settles strictly below
    every reporting node whatever it sold, and only after all of them are settled."""
    listing = ledger.listAllowances(cycle, 1000, PRICE, {"from": coal[0]}).return_value
    fund(token, admin, ledger, home[0], 1000 * PRICE)
    ledger.buyAllowances(listing, 1000, {"from": home[0]})  # coal sold its whole quota
    emit(ledger, sun, 1100)  # 600 - 1100 = -500: an honest overshoot
    emit(ledger, home, 800)  # 300 + 1000 - 800 = 500
    ledger.closeCycle(cycle, {"from": auditor})
    before = state(ledger, token, coal[0], sun[0], home[0])
    with reverts_with("ReportersNotSettled", cycle, coal[0], 2):
        ledger.settle(coal[0], cycle, {"from": coal[0]})
    assert state(ledger, token, coal[0], sun[0], home[0]) == before
    ledger.settle(sun[0], cycle, {"from": coal[0]})
    with reverts_with("ReportersNotSettled", cycle, coal[0], 1):
        ledger.settleBatch(cycle, [coal[0]], {"from": coal[0]})
    ledger.settle(home[0], cycle, {"from": coal[0]})
    tx = ledger.settle(coal[0], cycle, {"from": coal[0]})
    assert tx.return_value == -501  # was -1
    assert tx.events["NonComplianceRecorded"]["shortfall"] == 501
    assert plain(ledger.compliance(sun[0], cycle)) == (NON_COMPLIANT, -500)
    assert tx.events["CycleSettled"]["minSettlement"] == -501


def test_silent_nodes_of_one_cycle_settle_alike(ledger, token, admin, auditor, cycle, coal, sun, home):
    """Every silent node of a cycle settles at the same value (its own trades play no part); with no report
    at all every node settles at -1."""
    listing = ledger.listAllowances(cycle, 500, PRICE, {"from": sun[0]}).return_value
    fund(token, admin, ledger, coal[0], 500 * PRICE)
    ledger.buyAllowances(listing, 500, {"from": coal[0]})
    emit(ledger, home, 450)  # -150
    ledger.closeCycle(cycle, {"from": auditor})
    ledger.settleBatch(cycle, [sun[0], coal[0], home[0]], {"from": auditor})
    assert [ledger.carbonSettlement(n[0], cycle)[1] for n in (coal, sun, home)] == [-151, -151, -150]
    assert ledger.openCycle({"from": auditor}).return_value == 2
    for who in (coal, sun, home):
        ledger.setQuota(2, who[0], 100, {"from": auditor})
    ledger.closeCycle(2, {"from": auditor})
    ledger.settleBatch(2, [coal[0], sun[0], home[0]], {"from": auditor})
    assert [ledger.carbonSettlement(n[0], 2)[1] for n in (coal, sun, home)] == [-1, -1, -1]
