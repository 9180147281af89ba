"""ParticipantRegistry: registration, weak-centre review, exit, and every refusal (SPEC §1)."""

import brownie
from brownie import chain
from conftest import (
    APPROVED,
    ATTESTATION,
    CONSUMER,
    DEVICE,
    EXIT_REQUESTED,
    EXITED,
    FOSSIL,
    GENERATOR,
    HYDRO,
    METER_APPROVED,
    METER_PENDING,
    METER_REJECTED,
    PENDING,
    PROSUMER,
    RATED_W,
    REJECTED,
    SOLAR,
    SOURCE_NONE,
    SUSPENDED,
    WIND,
    ZONE_A,
    add_meter,
    approved,
    meter_request,
    new_meter,
    plain,
    register,
    reverts_with,
)
from web3 import Web3


def test_registration_records_the_applicant_as_pending(registry, accounts):
    meter = new_meter()
    tx = register(registry, accounts[3], GENERATOR, WIND, [meter])
    record = plain(registry.participant(accounts[3]))
    assert record[:5] == (GENERATOR, PENDING, WIND, Web3.to_hex(ZONE_A), Web3.to_hex(ATTESTATION))
    assert registry.meterOwner(meter) == accounts[3]
    assert registry.metersOf(accounts[3]) == [meter]
    assert tx.events["ParticipantRegistered"]["account"] == accounts[3]
    assert tx.events["MeterBound"]["meter"] == meter


def test_auditor_approval_activates_the_participant(registry, auditor, accounts):
    register(registry, accounts[3])
    tx = registry.approve(accounts[3], {"from": auditor})
    assert registry.participant(accounts[3])[1] == APPROVED
    assert registry.isActive(accounts[3])
    assert tx.events["ParticipantApproved"]["auditor"] == auditor


def test_double_registration_is_refused_and_changes_nothing(registry, accounts):
    register(registry, accounts[3])
    before = registry.participant(accounts[3])
    with reverts_with("AlreadyRegistered", accounts[3], PENDING):
        register(registry, accounts[3], CONSUMER, SOURCE_NONE)
    assert registry.participant(accounts[3]) == before
    assert registry.participantCount() == 1


def test_unknown_role_is_refused(registry, accounts):
    for role in (0, 4, 255):
        with reverts_with("UnknownRole", role):
            register(registry, accounts[3], role, SOLAR)
    assert registry.participant(accounts[3])[1] == 0


def test_consumer_with_a_source_and_generator_without_one_are_refused(registry, accounts):
    with reverts_with("InvalidSource", CONSUMER, SOLAR):
        register(registry, accounts[3], CONSUMER, SOLAR)
    with reverts_with("InvalidSource", GENERATOR, SOURCE_NONE):
        register(registry, accounts[3], GENERATOR, SOURCE_NONE)
    with reverts_with("InvalidSource", PROSUMER, 6):
        register(registry, accounts[3], PROSUMER, 6)
    assert registry.participantCount() == 0


def test_empty_meter_list_is_refused(registry, accounts):
    with reverts_with("EmptyMeterList"):
        register(registry, accounts[3], meters=[])
    assert registry.participantCount() == 0


def test_zero_meter_address_is_refused(registry, accounts):
    with reverts_with("ZeroMeterAddress"):
        register(registry, accounts[3], meters=["0x" + "00" * 20])
    assert registry.participantCount() == 0


def test_empty_zone_and_attestation_are_refused(registry, accounts):
    with reverts_with("EmptyZone"):
        registry.register(
            GENERATOR,
            SOLAR,
            b"\0" * 32,
            ATTESTATION,
            [meter_request(registry, accounts[3], new_meter())],
            {"from": accounts[3]},
        )
    with reverts_with("EmptyAttestation"):
        registry.register(
            GENERATOR,
            SOLAR,
            ZONE_A,
            b"\0" * 32,
            [meter_request(registry, accounts[3], new_meter())],
            {"from": accounts[3]},
        )
    assert registry.participantCount() == 0


def test_a_meter_bound_to_one_participant_cannot_be_bound_to_another(registry, accounts):
    meter = new_meter()
    register(registry, accounts[3], meters=[meter])
    with reverts_with("MeterAlreadyBound", meter, accounts[3]):
        register(registry, accounts[4], meters=[meter])
    assert registry.meterOwner(meter) == accounts[3]
    assert registry.participant(accounts[4])[1] == 0


def test_stranger_cannot_approve_reject_suspend_or_reinstate(registry, accounts, stranger):
    register(registry, accounts[3])
    for action in ("approve", "reinstate"):
        with reverts_with("AccessControlUnauthorizedAccount"):
            getattr(registry, action)(accounts[3], {"from": stranger})
    for action in ("reject", "suspend"):
        with reverts_with("AccessControlUnauthorizedAccount"):
            getattr(registry, action)(accounts[3], b"\1" * 32, {"from": stranger})
    assert registry.participant(accounts[3])[1] == PENDING


def test_admin_is_not_the_auditor(registry, admin, accounts):
    register(registry, accounts[3])
    with reverts_with("AccessControlUnauthorizedAccount"):
        registry.approve(accounts[3], {"from": admin})
    assert registry.participant(accounts[3])[1] == PENDING


def test_auditor_has_no_way_to_edit_participant_data(registry, auditor, accounts):
    """The weak centre moves review status only: every state-changing function that takes an
    account argument is a status transition, a market hook or role management."""
    state_changing = {
        f["name"] for f in registry.abi if f["type"] == "function" and f["stateMutability"] != "view"
    }
    writes_as_caller = {"register", "addMeter", "requestExit"}
    status_or_roles = {"approve", "reject", "suspend", "reinstate", "finalizeExit"}
    status_or_roles |= {"approveMeter", "rejectMeter"}  # device review, never device data
    hooks_and_roles = {"openObligation", "closeObligation", "grantRole", "revokeRole", "renounceRole"}
    hooks_and_roles |= {"recordTradedEnergy"}  # the markets' count of a meter's energy (METER_BUDGET_ROLE)
    assert state_changing == writes_as_caller | status_or_roles | hooks_and_roles

    approved(registry, auditor, accounts[3])
    before = (registry.participant(accounts[3]), registry.metersOf(accounts[3]))
    # The auditor's own data calls act on the auditor, never on the participant.
    with reverts_with("NotRegistered", auditor):
        add_meter(registry, auditor, new_meter(), RATED_W, DEVICE)
    with reverts_with("NotRegistered", auditor):
        registry.requestExit({"from": auditor})
    assert (registry.participant(accounts[3]), registry.metersOf(accounts[3])) == before


def test_an_auditor_never_approves_itself_nor_its_own_meter(registry, auditor, admin, accounts):
    """SPEC §7 (attack review 6, finding 5): an auditor that registered as a participant approved itself and
    its own 1 GW "device", then sold energy read by its own key. Approving itself, reinstating itself or
    approving a meter of its own is refused (`AuditorIsParty`) and changes nothing; another auditor may."""
    register(registry, auditor)
    with reverts_with("AuditorIsParty", auditor, auditor):
        registry.approve(auditor, {"from": auditor})
    assert registry.participant(auditor)[1] == PENDING
    other = accounts[6]
    registry.grantRole(registry.AUDITOR_ROLE(), other, {"from": admin})
    registry.approve(auditor, {"from": other})
    meter = registry.metersOf(auditor)[0]
    with reverts_with("AuditorIsParty", auditor, auditor):
        registry.approveMeter(meter, {"from": auditor})
    assert registry.meterInfo(meter)[1] == METER_PENDING
    registry.approveMeter(meter, {"from": other})
    assert registry.meterInfo(meter)[1] == METER_APPROVED
    registry.suspend(auditor, b"review".ljust(32, b"\0"), {"from": other})
    with reverts_with("AuditorIsParty", auditor, auditor):
        registry.reinstate(auditor, {"from": auditor})
    assert registry.participant(auditor)[1] == SUSPENDED


def test_auditor_cannot_approve_twice_or_approve_the_unregistered(registry, auditor, accounts):
    approved(registry, auditor, accounts[3])
    with reverts_with("WrongStatus", accounts[3], APPROVED, PENDING):
        registry.approve(accounts[3], {"from": auditor})
    with reverts_with("NotRegistered", accounts[4]):
        registry.approve(accounts[4], {"from": auditor})


def test_rejected_applicant_may_apply_again_and_keeps_its_meters(registry, auditor, accounts):
    meter = new_meter()
    register(registry, accounts[3], meters=[meter])
    registry.reject(accounts[3], b"incomplete".ljust(32, b"\0"), {"from": auditor})
    assert registry.participant(accounts[3])[1] == REJECTED
    assert not registry.isActive(accounts[3])
    register(registry, accounts[3], GENERATOR, FOSSIL, [meter])
    assert plain(registry.participant(accounts[3]))[1:3] == (PENDING, FOSSIL)
    assert registry.metersOf(accounts[3]) == [meter]
    assert registry.participantCount() == 1


def test_suspended_participant_cannot_act(registry, auditor, market, accounts):
    approved(registry, auditor, accounts[3])
    registry.suspend(accounts[3], b"meter tamper".ljust(32, b"\0"), {"from": auditor})
    meters_before = registry.metersOf(accounts[3])
    with reverts_with("ParticipantNotActive", accounts[3], SUSPENDED):
        add_meter(registry, accounts[3], new_meter(), RATED_W, DEVICE)
    with reverts_with("ParticipantNotActive", accounts[3], SUSPENDED):
        registry.openObligation(accounts[3], {"from": market})
    assert registry.metersOf(accounts[3]) == meters_before
    assert registry.participant(accounts[3])[6] == 0
    registry.reinstate(accounts[3], {"from": auditor})
    registry.openObligation(accounts[3], {"from": market})
    assert registry.participant(accounts[3])[6] == 1


def test_pending_participant_cannot_take_obligations(registry, market, accounts):
    register(registry, accounts[3])
    with reverts_with("ParticipantNotActive", accounts[3], PENDING):
        registry.openObligation(accounts[3], {"from": market})


def test_only_markets_open_and_close_obligations(registry, auditor, stranger, accounts):
    approved(registry, auditor, accounts[3])
    for hook in ("openObligation", "closeObligation"):
        with reverts_with("AccessControlUnauthorizedAccount"):
            getattr(registry, hook)(accounts[3], {"from": stranger})
        with reverts_with("AccessControlUnauthorizedAccount"):
            getattr(registry, hook)(accounts[3], {"from": auditor})
    assert registry.participant(accounts[3])[6] == 0


def test_closing_an_obligation_that_is_not_open_is_refused(registry, auditor, market, accounts):
    approved(registry, auditor, accounts[3])
    with reverts_with("NoOpenObligation", accounts[3]):
        registry.closeObligation(accounts[3], {"from": market})


def test_exit_with_open_obligations_is_refused_until_they_are_settled(registry, auditor, market, accounts):
    approved(registry, auditor, accounts[3])
    registry.openObligation(accounts[3], {"from": market})
    registry.requestExit({"from": accounts[3]})
    with reverts_with("OpenObligations", accounts[3], 1):
        registry.finalizeExit(accounts[3], {"from": accounts[3]})
    assert registry.participant(accounts[3])[1] == EXIT_REQUESTED
    # no new obligation once the exit is requested
    with reverts_with("ParticipantNotActive", accounts[3], EXIT_REQUESTED):
        registry.openObligation(accounts[3], {"from": market})
    registry.closeObligation(accounts[3], {"from": market})
    tx = registry.finalizeExit(accounts[3], {"from": auditor})
    assert registry.participant(accounts[3])[1] == EXITED
    assert tx.events["ParticipantExited"]["by"] == auditor


def test_history_stays_after_exit(registry, auditor, accounts):
    meter = new_meter()
    register(registry, accounts[3], meters=[meter])
    registry.approve(accounts[3], {"from": auditor})
    registry.requestExit({"from": accounts[3]})
    registry.finalizeExit(accounts[3], {"from": accounts[3]})
    assert registry.meterOwner(meter) == accounts[3]
    assert registry.participants(0, 10) == [accounts[3]]
    with reverts_with("AlreadyRegistered", accounts[3], EXITED):
        register(registry, accounts[3])


def test_stranger_cannot_finalize_someone_elses_exit(registry, auditor, stranger, accounts):
    approved(registry, auditor, accounts[3])
    registry.requestExit({"from": accounts[3]})
    with reverts_with("NotParticipantOrAuditor", stranger, accounts[3]):
        registry.finalizeExit(accounts[3], {"from": stranger})
    assert registry.participant(accounts[3])[1] == EXIT_REQUESTED


def test_renewable_qualification_excludes_hydro_fossil_and_consumers(registry, auditor, accounts):
    kinds = [
        (GENERATOR, SOLAR, True),
        (PROSUMER, WIND, True),
        (GENERATOR, HYDRO, False),
        (GENERATOR, FOSSIL, False),
        (CONSUMER, SOURCE_NONE, False),
    ]
    for i, (role, source, renewable) in enumerate(kinds):
        who = accounts[3 + i]
        register(registry, who, role, source)
        assert not registry.isRenewableGenerator(who), "pending participants never qualify"
        registry.approve(who, {"from": auditor})
        assert registry.isRenewableGenerator(who) == renewable


def test_participants_page_through_registration_order(registry, accounts):
    for i in range(3, 8):
        register(registry, accounts[i])
    assert registry.participantCount() == 5
    assert registry.participants(1, 2) == [accounts[4], accounts[5]]
    assert registry.participants(4, 10) == [accounts[7]]
    assert registry.participants(9, 3) == []
    assert Web3.is_checksum_address(registry.participants(0, 1)[0])


# ---------------------------------------- meters are devices the auditor approves (issue 10, finding 4)


def test_a_meter_request_waits_for_the_auditor_and_records_the_device(registry, auditor, accounts):
    approved(registry, auditor, accounts[3])
    meter = new_meter()
    tx = add_meter(registry, accounts[3], meter, 5_000, DEVICE)
    assert tx.events["MeterRequested"]["ratedPowerW"] == 5_000
    expected = (str(accounts[3]), METER_PENDING, 5_000, 0, 0, str(Web3.to_hex(DEVICE)))
    assert plain(registry.meterInfo(meter)) == expected
    tx = registry.approveMeter(meter, {"from": auditor})
    info = registry.meterInfo(meter)
    assert info[1] == METER_APPROVED and info[3] == tx.timestamp
    assert tx.events["MeterApproved"]["auditor"] == auditor


def test_only_the_auditor_reviews_meters_and_a_refusal_changes_nothing(
    registry, auditor, admin, accounts, stranger
):
    approved(registry, auditor, accounts[3])
    meter = new_meter()
    add_meter(registry, accounts[3], meter, 5_000, DEVICE)
    before = registry.meterInfo(meter)
    for caller in (stranger, admin, accounts[3]):
        with reverts_with("AccessControlUnauthorizedAccount"):
            registry.approveMeter(meter, {"from": caller})
        with reverts_with("AccessControlUnauthorizedAccount"):
            registry.rejectMeter(meter, b"\1" * 32, {"from": caller})
    assert registry.meterInfo(meter) == before


def test_a_rejected_meter_can_be_requested_again_only_by_its_owner(registry, auditor, accounts):
    approved(registry, auditor, accounts[3])
    approved(registry, auditor, accounts[4])
    meter = new_meter()
    add_meter(registry, accounts[3], meter, 5_000, DEVICE)
    registry.rejectMeter(meter, b"no calibration".ljust(32, b"\0"), {"from": auditor})
    assert registry.meterInfo(meter)[1] == METER_REJECTED
    with reverts_with("WrongMeterStatus", meter, METER_REJECTED, METER_PENDING):
        registry.approveMeter(meter, {"from": auditor})
    with reverts_with("MeterAlreadyBound", meter, accounts[3]):
        add_meter(registry, accounts[4], meter, 5_000, DEVICE)
    add_meter(registry, accounts[3], meter, 4_000, DEVICE)
    assert plain(registry.meterInfo(meter))[1:3] == (METER_PENDING, 4_000)
    assert registry.metersOf(accounts[3]).count(meter) == 1


def test_meter_request_needs_a_device_attestation_and_a_rated_power(registry, auditor, accounts):
    approved(registry, auditor, accounts[3])
    meter = new_meter()
    meters_before = registry.metersOf(accounts[3])
    with reverts_with("EmptyDeviceAttestation", meter):
        add_meter(registry, accounts[3], meter, 5_000, b"\0" * 32)
    with reverts_with("ZeroRatedPower", meter):
        add_meter(registry, accounts[3], meter, 0, DEVICE)
    with reverts_with("MeterNotRequested", meter):
        registry.approveMeter(meter, {"from": auditor})
    assert registry.metersOf(accounts[3]) == meters_before
    assert registry.meterOwner(meter) == "0x0000000000000000000000000000000000000000"


def test_binding_a_meter_needs_its_own_signature_over_exactly_these_terms(registry, auditor, accounts):
    """Review finding 4: the meter consents to one owner, device hash and rated power, once, before a
    deadline. Every refusal leaves the registry and the meter's nonce unchanged."""
    owner, other = approved(registry, auditor, accounts[3]), approved(registry, auditor, accounts[4])
    meter = new_meter()

    def state():
        return (
            registry.metersOf(owner),
            registry.metersOf(other),
            plain(registry.meterInfo(meter)),
            registry.nonces(meter),
        )

    deadline = chain[-1].timestamp + 3_600
    good = meter_request(registry, owner, meter, 5_000, deadline=deadline)
    before = state()
    with reverts_with("InvalidMeterBindingSignature", meter, owner):  # the owner raises the signed rating
        registry.addMeter(meter, DEVICE, 50_000, deadline, good[4], {"from": owner})
    with reverts_with("InvalidMeterBindingSignature", meter, other):  # another participant copies it
        registry.addMeter(*good, {"from": other})
    late = chain[-1].timestamp - 1
    expired = meter_request(registry, owner, meter, 5_000, deadline=late)
    with brownie.reverts(revert_pattern=rf"MeterBindingExpired: {str(meter).lower()}, {late}, \d+"):
        registry.addMeter(*expired, {"from": owner})
    assert state() == before

    registry.addMeter(*good, {"from": owner})
    assert registry.meterOwner(meter) == owner and registry.nonces(meter) == 1
    registry.rejectMeter(meter, b"no calibration".ljust(32, b"\0"), {"from": auditor})
    with reverts_with("InvalidMeterBindingSignature", meter, owner):  # used once: the nonce moved on
        registry.addMeter(*good, {"from": owner})
    add_meter(registry, owner, meter, 4_000)  # a fresh consent re-requests it
    assert plain(registry.meterInfo(meter))[1:3] == (METER_PENDING, 4_000)
