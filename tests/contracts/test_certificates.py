"""GreenCertificates: metered issuance (seed 001 eq 6), ERC-1888 claims, the eq 20 weight source (SPEC §5).

Helpers and fixtures here are shared by the other certificate test modules (imported from this module).
"""

import os

import brownie
import pytest
from brownie import CertificateExchange, EnergyToken, GreenCertificates, accounts, chain
from conftest import (
    APPROVED,
    BIOMASS,
    CONSUMER,
    DEVICE,
    FOSSIL,
    GENERATOR,
    HYDRO,
    PENDING,
    PROSUMER,
    RATED_W,
    SOLAR,
    SOURCE_NONE,
    SUSPENDED,
    WIND,
    add_meter,
    new_meter,
    plain,
    register,
    reverts_with,
)

from energy_trading.clients.certificates import GENERATION_READING_TYPES, sign_reading

HOUR = 3600
_EPOCHS: dict[str, int] = {}  # the metering epoch of each test (see `period`)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ERC1155_INTERFACE_ID = "0xd9b67a26"


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def token(admin):
    """EnergyToken with the admin as treasurer, one token per currency unit, no faucet."""
    return EnergyToken.deploy(admin, admin, 10**18, 0, 0, {"from": admin})


@pytest.fixture(scope="module")
def certs(registry, admin):
    return GreenCertificates.deploy(registry, "https://certificates.example/{id}.json", {"from": admin})


@pytest.fixture(scope="module")
def exchange(certs, token, registry, admin):
    return CertificateExchange.deploy(certs, token, registry, {"from": admin})


def participant(registry, auditor, who, role=GENERATOR, source=SOLAR, approve=True):
    """Register `who` with one fresh meter (a local key) and approve it; return the meter."""
    meter = new_meter()
    register(registry, who, role, source, [meter])
    registry.approveMeter(meter, {"from": auditor})  # the device is reviewed apart from the participant
    if approve:
        registry.approve(who, {"from": auditor})
    return meter


@pytest.fixture(scope="module")
def solar(registry, auditor):
    """An approved solar generator (accounts[3]) and its meter."""
    return accounts[3], participant(registry, auditor, accounts[3])


@pytest.fixture(scope="module")
def wind(registry, auditor):
    """An approved wind prosumer (accounts[4]) and its meter."""
    return accounts[4], participant(registry, auditor, accounts[4], PROSUMER, WIND)


@pytest.fixture(scope="module")
def consumer(registry, auditor):
    """An approved consumer (accounts[5]) and its meter."""
    return accounts[5], participant(registry, auditor, accounts[5], CONSUMER, SOURCE_NONE)


def period(n, length=HOUR):
    """The n-th metering period (n = 0, 1, ...) of the running test's series; moves the chain clock past its
    end. The series starts at the block time of the test's first call, after its meters were approved: a
    meter certifies nothing from before its approval (`PeriodBeforeApproval`) nor in the future."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    epoch = _EPOCHS.setdefault(test, chain[-1].timestamp)
    start = epoch + n * length
    if chain[-1].timestamp < start + length:
        chain.sleep(start + length - chain[-1].timestamp)
        chain.mine()
    return start, start + length


def signed(certs, generator, meter, start, end, wh, signer=None):
    """The meter's EIP-712 signature over a generation reading with its current nonce."""
    message = {
        "generator": str(generator),
        "meter": str(meter),
        "periodStart": start,
        "periodEnd": end,
        "energyWh": wh,
        "nonce": certs.nonces(meter),
    }
    key = (signer or meter).private_key
    return sign_reading(key, "GreenCertificates", chain.id, certs.address, GENERATION_READING_TYPES, message)


def report(certs, generator, meter, n, wh, relayer=None, length=HOUR):
    """Relay the meter's signed reading for period `n` (sent by `relayer`, default the generator)."""
    start, end = period(n, length)
    signature = signed(certs, generator, meter, start, end, wh)
    return certs.reportGeneration(generator, meter, start, end, wh, signature, {"from": relayer or generator})


def recovered_someone_else(meter):
    """Expect `InvalidMeterSignature(meter, <any other address>)`."""
    return brownie.reverts(revert_pattern=rf"InvalidMeterSignature: {str(meter).lower()}, 0x[0-9a-f]{{40}}")


def snapshot(certs, *owners):
    """Everything a refused certificate operation must leave unchanged."""
    return (
        certs.totalIssued(),
        certs.totalClaimed(),
        certs.totalSupply(),
        certs.lastCertificateId(),
        [tuple(certs.generation(o)) for o in owners],
        [certs.heldCertificates(o) for o in owners],
        [certs.claimedCertificates(o) for o in owners],
    )


# ---------------------------------------------------------------------------------------------- issuance


def test_whole_mwh_become_certificates_and_the_remainder_carries(certs, solar):
    gen, meter = solar
    tx = report(certs, gen, meter, 0, 2_500_000)  # 2.5 MWh
    assert plain(tx.return_value) == (1, 2)
    assert certs.balanceOf(gen, 1) == 2
    assert certs.carriedWh(gen) == 500_000
    tx = report(certs, gen, meter, 1, 700_000)  # cumulative 3.2 MWh: one more certificate
    assert plain(tx.return_value) == (2, 1)
    assert certs.balanceOf(gen, 2) == 1
    assert certs.carriedWh(gen) == 200_000
    assert tuple(certs.generation(gen))[:2] == (3_200_000, 3)
    assert certs.totalIssued() == 3


def test_certificate_data_names_generator_device_source_and_the_carried_span(certs, solar):
    gen, meter = solar
    report(certs, gen, meter, 0, 600_000)  # nothing issued yet: 0.6 MWh carried from period 0
    tx = report(certs, gen, meter, 1, 900_000)  # 1.5 MWh: one certificate covering periods 0..1
    start0, _ = period(0)
    _, end1 = period(1)
    c = certs.certificate(1).dict()
    assert (c["generator"], c["device"], c["source"]) == (gen, meter, SOLAR)
    assert (c["generationStart"], c["generationEnd"], c["amount"]) == (start0, end1, 1)
    event = tx.events["CertificatesIssued"]
    assert (event["id"], event["generator"], event["device"], event["amount"], event["carriedWh"]) == (
        1,
        gen,
        meter,
        1,
        500_000,
    )
    # The 0.5 MWh left over came from period 1, so the next certificate's span starts there.
    report(certs, gen, meter, 2, 500_000)
    start1, _ = period(1)
    _, end2 = period(2)
    c = certs.certificate(2).dict()
    assert (c["generationStart"], c["generationEnd"]) == (start1, end2)


def test_reading_below_one_mwh_issues_nothing_and_is_recorded(certs, solar):
    gen, meter = solar
    tx = report(certs, gen, meter, 0, 999_999)
    assert plain(tx.return_value) == (0, 0)
    assert "CertificatesIssued" not in tx.events
    assert tx.events["GenerationReported"]["cumulativeWh"] == 999_999
    assert certs.lastCertificateId() == 0
    assert certs.heldCertificates(gen) == 0
    assert certs.lastPeriodEnd(meter) == period(0)[1]


def test_meter_may_send_its_own_reading(certs, solar, admin):
    gen, meter = solar
    admin.transfer(meter, "1 ether")
    start, end = period(0)
    tx = certs.reportGeneration(gen, meter, start, end, 1_000_000, b"", {"from": meter})
    assert plain(tx.return_value) == (1, 1)
    assert certs.nonces(meter) == 1


def test_each_device_keeps_its_own_period_sequence(certs, registry, auditor, solar):
    gen, meter = solar
    second = new_meter()
    add_meter(registry, gen, second, RATED_W, DEVICE)
    registry.approveMeter(second, {"from": auditor})
    report(certs, gen, meter, 5, 600_000)
    report(certs, gen, second, 5, 600_000)  # the same hour on another device is not an overlap
    assert certs.balanceOf(gen, 1) == 1
    assert certs.carriedWh(gen) == 200_000


def test_generators_accumulate_separately(certs, solar, wind):
    (sun, sun_meter), (breeze, breeze_meter) = solar, wind
    report(certs, sun, sun_meter, 0, 700_000)
    report(certs, breeze, breeze_meter, 0, 700_000)
    assert certs.totalIssued() == 0  # 1.4 MWh in total, but neither generator has a whole MWh
    report(certs, breeze, breeze_meter, 1, 300_000)
    assert certs.heldCertificates(breeze) == 1
    assert certs.heldCertificates(sun) == 0


@pytest.mark.parametrize("role,source", [(GENERATOR, SOLAR), (PROSUMER, WIND), (GENERATOR, BIOMASS)])
def test_every_non_hydro_renewable_source_qualifies(certs, registry, auditor, role, source):
    who = accounts[6]
    meter = participant(registry, auditor, who, role, source)
    report(certs, who, meter, 0, 1_000_000)
    assert certs.heldCertificates(who) == 1
    assert certs.certificate(1).dict()["source"] == source


# ---------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("source", [HYDRO, FOSSIL])
def test_hydro_and_fossil_generators_get_nothing(certs, registry, auditor, source):
    who = accounts[6]
    meter = participant(registry, auditor, who, GENERATOR, source)
    before = snapshot(certs, who)
    with reverts_with("NotRenewableGenerator", who, APPROVED, source):
        report(certs, who, meter, 0, 5_000_000)
    assert snapshot(certs, who) == before
    assert certs.nonces(meter) == 0


def test_consumer_meter_reading_gets_nothing(certs, consumer):
    who, meter = consumer
    before = snapshot(certs, who)
    with reverts_with("NotRenewableGenerator", who, APPROVED, SOURCE_NONE):
        report(certs, who, meter, 0, 5_000_000)
    assert snapshot(certs, who) == before


def test_unapproved_generator_gets_nothing(certs, registry, auditor):
    who = accounts[6]
    meter = participant(registry, auditor, who, GENERATOR, WIND, approve=False)
    before = snapshot(certs, who)
    with reverts_with("NotRenewableGenerator", who, PENDING, WIND):
        report(certs, who, meter, 0, 5_000_000)
    assert snapshot(certs, who) == before


def test_suspended_generator_gets_nothing_until_reinstated(certs, registry, auditor, solar):
    gen, meter = solar
    report(certs, gen, meter, 0, 400_000)
    registry.suspend(gen, b"meter-audit".ljust(32, b"\0"), {"from": auditor})
    before = snapshot(certs, gen)
    with reverts_with("NotRenewableGenerator", gen, SUSPENDED, SOLAR):
        report(certs, gen, meter, 1, 5_000_000)
    assert snapshot(certs, gen) == before
    registry.reinstate(gen, {"from": auditor})
    report(certs, gen, meter, 2, 600_000)
    assert certs.heldCertificates(gen) == 1  # 0.4 + 0.6 MWh: the suspended hour never counted


def test_meter_reporting_for_another_generator_is_refused(certs, solar, wind):
    (sun, sun_meter), (breeze, _) = solar, wind
    before = snapshot(certs, sun, breeze)
    with reverts_with("MeterNotOwnedBy", sun_meter, breeze, sun):
        report(certs, breeze, sun_meter, 0, 3_000_000, relayer=breeze)
    assert snapshot(certs, sun, breeze) == before


def test_stranger_cannot_issue_without_the_meter_signature(certs, solar, stranger):
    gen, meter = solar
    start, end = period(0)
    before = snapshot(certs, gen, stranger)
    with reverts_with("InvalidMeterSignature", meter, ZERO_ADDRESS):
        certs.reportGeneration(gen, meter, start, end, 9_000_000, b"", {"from": stranger})
    impostor = accounts.add()  # a key that is not the meter's
    forged = signed(certs, gen, meter, start, end, 9_000_000, signer=impostor)
    with reverts_with("InvalidMeterSignature", meter, impostor):
        certs.reportGeneration(gen, meter, start, end, 9_000_000, forged, {"from": stranger})
    with reverts_with("UnknownMeter", stranger):
        certs.reportGeneration(stranger, stranger, start, end, 9_000_000, b"", {"from": stranger})
    assert snapshot(certs, gen, stranger) == before


def test_signature_over_other_values_is_refused(certs, solar):
    gen, meter = solar
    start, end = period(0)
    signature = signed(certs, gen, meter, start, end, 1_000_000)
    before = snapshot(certs, gen)
    with recovered_someone_else(meter):  # the signature recovers to an unrelated address
        certs.reportGeneration(gen, meter, start, end, 2_000_000, signature, {"from": gen})
    assert snapshot(certs, gen) == before


def test_replayed_reading_is_refused(certs, solar):
    gen, meter = solar
    start, end = period(0)
    signature = signed(certs, gen, meter, start, end, 1_000_000)
    certs.reportGeneration(gen, meter, start, end, 1_000_000, signature, {"from": gen})
    before = snapshot(certs, gen)
    with recovered_someone_else(meter):  # the nonce moved on, so the digest differs
        certs.reportGeneration(gen, meter, start, end, 1_000_000, signature, {"from": gen})
    assert snapshot(certs, gen) == before


def test_overlapping_and_backward_periods_are_refused(certs, solar):
    gen, meter = solar
    report(certs, gen, meter, 3, 1_000_000)
    start3, end3 = period(3)
    period(4)  # moves the clock past end3 + 1800
    before = snapshot(certs, gen)
    for start, end in [(start3, end3), (start3 + 1800, end3 + 1800), period(1)]:
        signature = signed(certs, gen, meter, start, end, 1_000_000)
        with reverts_with("PeriodOverlaps", meter, start, end3):
            certs.reportGeneration(gen, meter, start, end, 1_000_000, signature, {"from": gen})
    assert snapshot(certs, gen) == before
    report(certs, gen, meter, 4, 1_000_000)  # the next hour, touching the last, is fine
    assert certs.heldCertificates(gen) == 2


def test_empty_and_future_periods_are_refused(certs, solar):
    gen, meter = solar
    start, _ = period(0)
    before = snapshot(certs, gen)
    signature = signed(certs, gen, meter, start, start, 1_000_000)
    with reverts_with("EmptyPeriod", start, start):
        certs.reportGeneration(gen, meter, start, start, 1_000_000, signature, {"from": gen})
    future_start = chain.time() + 10 * HOUR
    signature = signed(certs, gen, meter, future_start, future_start + HOUR, 10**6)
    with brownie.reverts(revert_pattern=rf"PeriodInFuture: {future_start + HOUR}, \d+"):
        certs.reportGeneration(
            gen, meter, future_start, future_start + HOUR, 1_000_000, signature, {"from": gen}
        )
    assert snapshot(certs, gen) == before


# ---------------------------------------------------------------------------------------------- claims


@pytest.fixture
def issued(certs, solar, consumer):
    """The solar generator has earned 5 certificates (id 1); 2 were transferred to the consumer."""
    gen, meter = solar
    report(certs, gen, meter, 0, 5_000_000)
    certs.safeTransferFrom(gen, consumer[0], 1, 2, b"", {"from": gen})
    return gen, consumer[0]


def test_claim_retires_certificates_and_records_them_per_owner_and_id(certs, issued):
    _, home = issued
    tx = certs.claim(1, 2, b"household consumption 2024", {"from": home})
    assert certs.balanceOf(home, 1) == 0
    assert certs.claimedBalanceOf(home, 1) == 2
    assert certs.claimedCertificates(home) == 2
    assert certs.countedCertificates(home) == 2  # claimed certificates keep counting for the claimant
    assert certs.totalClaimed() == 2
    assert certs.totalSupply() == 3
    assert certs.totalIssued() == 5
    event = tx.events["ClaimSingle"]
    assert (event["claimIssuer"], event["claimSubject"], event["topic"], event["id"], event["value"]) == (
        home,
        home,
        SOLAR,
        1,
        2,
    )
    assert tx.events["TransferSingle"]["to"] == ZERO_ADDRESS


def test_claimed_certificates_never_move_again(certs, issued, stranger):
    gen, home = issued
    certs.claim(1, 2, b"", {"from": home})
    before = snapshot(certs, gen, home, stranger)
    with reverts_with("ERC1155InsufficientBalance", home, 0, 1, 1):
        certs.safeTransferFrom(home, stranger, 1, 1, b"", {"from": home})
    with reverts_with("ERC1155InsufficientBalance", home, 0, 1, 1):
        certs.claim(1, 1, b"", {"from": home})
    assert snapshot(certs, gen, home, stranger) == before
    assert certs.claimedBalanceOf(home, 1) == 2


def test_claiming_someone_elses_certificates_is_refused(certs, issued, stranger):
    gen, home = issued
    before = snapshot(certs, gen, home, stranger)
    with reverts_with("ERC1155MissingApprovalForAll", stranger, gen):
        certs.claimFrom(gen, 1, 1, b"", {"from": stranger})
    with reverts_with("ERC1155InsufficientBalance", stranger, 0, 1, 1):
        certs.claim(1, 1, b"", {"from": stranger})  # the caller only ever claims its own balance
    with reverts_with("ERC1155InsufficientBalance", stranger, 0, 1, 1):
        certs.claimBatch([1], [1], b"", {"from": stranger})
    with reverts_with("ERC1155MissingApprovalForAll", stranger, gen):
        certs.safeTransferFrom(gen, stranger, 1, 1, b"", {"from": stranger})
    assert snapshot(certs, gen, home, stranger) == before


def test_an_approved_operator_claims_for_the_owner(certs, issued, stranger):
    gen, _ = issued
    certs.setApprovalForAll(stranger, True, {"from": gen})
    tx = certs.claimFrom(gen, 1, 3, b"", {"from": stranger})
    assert certs.claimedBalanceOf(gen, 1) == 3
    assert certs.claimedCertificates(stranger) == 0
    assert (tx.events["ClaimSingle"]["claimIssuer"], tx.events["ClaimSingle"]["claimSubject"]) == (
        stranger,
        gen,
    )


def test_claim_batch_retires_several_ids(certs, solar):
    gen, meter = solar
    report(certs, gen, meter, 0, 2_000_000)
    report(certs, gen, meter, 1, 3_000_000)
    tx = certs.claimBatch([1, 2], [1, 3], b"", {"from": gen})
    assert [int(v) for v in certs.claimedBalanceOfBatch([gen, gen], [1, 2])] == [1, 3]
    assert certs.heldCertificates(gen) == 1
    assert certs.countedCertificates(gen) == 5
    assert [int(v) for v in tx.events["ClaimBatch"]["values"]] == [1, 3]


def test_claim_batch_over_the_balance_is_refused_as_a_whole(certs, solar):
    gen, meter = solar
    report(certs, gen, meter, 0, 2_000_000)
    report(certs, gen, meter, 1, 3_000_000)
    before = snapshot(certs, gen)
    with reverts_with("ERC1155InsufficientBalance", gen, 2, 3, 1):
        certs.claimBatch([2, 1], [1, 3], b"", {"from": gen})
    with reverts_with("ERC1155InvalidArrayLength", 2, 1):
        certs.claimBatch([1, 2], [1], b"", {"from": gen})
    assert snapshot(certs, gen) == before
    assert [int(v) for v in certs.claimedBalanceOfBatch([gen, gen], [1, 2])] == [0, 0]


def test_zero_claim_is_refused(certs, issued):
    gen, _ = issued
    before = snapshot(certs, gen)
    with reverts_with("ZeroClaim", 1):
        certs.claim(1, 0, b"", {"from": gen})
    assert snapshot(certs, gen) == before


# ---------------------------------------------------------------------------------------------- weight source


def test_transfer_moves_the_weight_count_and_keeps_the_total(certs, issued):
    gen, home = issued
    assert (certs.countedCertificates(gen), certs.countedCertificates(home)) == (3, 2)
    assert certs.totalCountedCertificates() == 5
    certs.safeTransferFrom(gen, home, 1, 3, b"", {"from": gen})
    assert (certs.countedCertificates(gen), certs.countedCertificates(home)) == (0, 5)
    assert certs.totalCountedCertificates() == 5


def test_unknown_certificate_id_is_refused(certs):
    for bad in (0, 1, 2**256 - 1):
        with reverts_with("UnknownCertificate", bad):
            certs.certificate(bad)


def test_supports_erc1155_interfaces(certs):
    assert certs.supportsInterface(ERC1155_INTERFACE_ID)
    assert certs.supportsInterface("0x01ffc9a7")  # ERC-165
    assert not certs.supportsInterface("0xffffffff")


def test_seed_001_eq_6_on_a_day_of_hourly_solar_readings(certs, solar):
    """A 2 MW peak plant over 24 hourly readings: certificates = floor(day's kWh / 1000) (eq 6)."""
    gen, meter = solar
    profile_kwh = [
        0,
        0,
        0,
        0,
        0,
        40,
        260,
        610,
        980,
        1340,
        1620,
        1810,
        1900,
        1830,
        1640,
        1350,
        990,
        620,
        270,
        50,
    ]
    profile_kwh += [0, 0, 0, 0]
    for hour, kwh in enumerate(profile_kwh):
        report(certs, gen, meter, hour, kwh * 1000)
    day_kwh = sum(profile_kwh)
    assert certs.heldCertificates(gen) == day_kwh // 1000 == 15
    assert certs.carriedWh(gen) == (day_kwh % 1000) * 1000 == 310_000
    assert sum(certs.certificate(i).dict()["amount"] for i in range(1, certs.lastCertificateId() + 1)) == 15


def test_a_meter_cannot_report_more_than_its_rated_power_over_the_period(certs, registry, auditor):
    """Issue 10, finding 4: 1,000 MWh in one hour from a 1 MW device is refused (before: accepted)."""
    gen = accounts[6]
    small = new_meter()
    register(registry, gen, GENERATOR, SOLAR, [(str(small), DEVICE, 1_000_000)])
    registry.approveMeter(small, {"from": auditor})
    registry.approve(gen, {"from": auditor})
    start, end = period(7)
    before = (certs.nonces(small), certs.carriedWh(gen))
    with reverts_with("ReadingImplausible", small, 10**9, 1_000_000):
        certs.reportGeneration(gen, small, start, end, 10**9, b"", {"from": small})
    assert (certs.nonces(small), certs.carriedWh(gen)) == before
    certs.reportGeneration(gen, small, start, end, 1_000_000, b"", {"from": small})  # exactly 1 MW for 1 h
    assert certs.balanceOf(gen, 1) == 1


def test_a_meter_certifies_nothing_from_before_its_approval_however_long_ago(certs, registry, auditor):
    """Review finding 3: the period is bounded, not only its energy. A 1 kW device approved a day ago has a
    24 kWh budget, yet cannot certify an hour from before its approval; after a revocation and a new approval
    the gap between the two is not certifiable either, and the budget counts from the new approval."""
    gen, meter = accounts[6], new_meter()
    register(registry, gen, GENERATOR, SOLAR, [(str(meter), DEVICE, 1_000)])
    registry.approve(gen, {"from": auditor})
    approved_at = registry.approveMeter(meter, {"from": auditor}).timestamp
    chain.sleep(24 * HOUR)
    chain.mine()

    def state():
        return (
            certs.nonces(meter),
            certs.lastPeriodEnd(meter),
            certs.meterReportedWh(meter),
            certs.carriedWh(gen),
        )

    def send(start, wh):
        sig = signed(certs, gen, meter, start, start + HOUR, wh)
        return certs.reportGeneration(gen, meter, start, start + HOUR, wh, sig, {"from": gen})

    before = state()
    with reverts_with("PeriodBeforeApproval", meter, approved_at - HOUR, approved_at):
        send(approved_at - HOUR, 1_000)
    assert state() == before
    send(approved_at, 1_000)
    assert certs.meterReportedWh(meter) == 1_000 and certs.meterHeadroomWh(meter) >= 22_000

    registry.rejectMeter(meter, b"tampered".ljust(32, b"\0"), {"from": auditor})
    add_meter(registry, gen, meter, 1_000, DEVICE)
    again = registry.approveMeter(meter, {"from": auditor}).timestamp
    chain.sleep(2 * HOUR)
    chain.mine()
    assert certs.meterReportedWh(meter) == 0  # a new approval, a new budget
    before = state()
    with reverts_with("PeriodBeforeApproval", meter, approved_at + HOUR, again):
        send(approved_at + HOUR, 1_000)  # while the device was revoked
    assert state() == before
    send(again, 1_000)
    assert certs.meterReportedWh(meter) == 1_000
