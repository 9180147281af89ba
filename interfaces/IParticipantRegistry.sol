// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Participant registry with a weak-centre auditor (seed 004 §2.3, seed 003 §3.1, seed 001 §2.1)
/// @notice Market participants register here; the auditor approves, rejects or suspends them but can
///         never write their data. Markets record open obligations so nobody leaves with a trade open.
interface IParticipantRegistry {
    /// @notice What a participant does on the grid.
    enum Role {
        None,
        Generator,
        Consumer,
        Prosumer
    }

    /// @notice Where a participant stands in its life cycle.
    enum Status {
        None,
        Pending,
        Approved,
        Rejected,
        Suspended,
        ExitRequested,
        Exited
    }

    /// @notice The primary energy source of a generator or prosumer; `None` for consumers.
    /// @dev Solar, Wind and Biomass are renewable and qualify for green certificates; Hydro does not
    ///      (seed 001 §3.3: non-hydro renewable energy only); Fossil never does.
    enum Source {
        None,
        Solar,
        Wind,
        Biomass,
        Hydro,
        Fossil
    }

    /// @notice Where a meter device stands in the auditor's review.
    enum MeterStatus {
        None,
        Pending,
        Approved,
        Rejected
    }

    /// @notice A participant's request to bind a metering device: its account, the hash of the device's
    ///         attestation (type approval, calibration certificate, serial number; kept off chain), its rated
    ///         power, which bounds every reading it may report (rated power x time), and the meter's consent: its
    ///         EIP-712 signature over `MeterBinding(owner, meter, deviceHash, ratedPowerW, nonce, deadline)` under
    ///         the registry's domain ("ParticipantRegistry", "1"), with the meter's current `nonces(meter)`.
    struct MeterRequest {
        address meter;
        bytes32 deviceHash;
        uint64 ratedPowerW;
        uint256 deadline; // unix seconds; the signature is refused after it
        bytes signature; // the meter's signature (ECDSA, or ERC-1271 for a contract meter)
    }

    /// @notice The on-chain record of one meter device. `tradedWh` is the energy every market together accepted
    ///         from it since `approvedAt` (its one Wh budget: the same energy cannot be sold on two books).
    struct Meter {
        address owner;
        MeterStatus status;
        uint64 ratedPowerW;
        uint64 approvedAt;
        uint192 tradedWh;
        bytes32 deviceHash;
    }

    /// @notice The on-chain record of one participant. The identity attestation itself stays off chain;
    ///         only its hash is kept (seed 004: the auditor proves identity but stores no personal data).
    struct Participant {
        Role role;
        Status status;
        Source source;
        bytes32 zone;
        bytes32 attestationHash;
        uint64 registeredAt;
        uint32 openObligations;
    }

    event ParticipantRegistered(
        address indexed account, Role role, Source source, bytes32 indexed zone, bytes32 attestationHash
    );
    event MeterBound(address indexed meter, address indexed account);
    event MeterRequested(address indexed meter, address indexed account, bytes32 deviceHash, uint64 ratedPowerW);
    event MeterApproved(address indexed meter, address indexed account, address indexed auditor);
    event MeterRejected(address indexed meter, address indexed account, address indexed auditor, bytes32 reason);
    event ParticipantApproved(address indexed account, address indexed auditor);
    event ParticipantRejected(address indexed account, address indexed auditor, bytes32 reason);
    event ParticipantSuspended(address indexed account, address indexed auditor, bytes32 reason);
    event ParticipantReinstated(address indexed account, address indexed auditor);
    event ExitRequested(address indexed account);
    event ParticipantExited(address indexed account, address indexed by);
    event ObligationOpened(address indexed account, address indexed market, uint32 openObligations);
    event ObligationClosed(address indexed account, address indexed market, uint32 openObligations);

    error UnknownRole(uint8 role);
    error InvalidSource(Role role, uint8 source);
    error EmptyMeterList();
    error ZeroMeterAddress();
    error MeterAlreadyBound(address meter, address owner);
    error EmptyZone();
    error EmptyAttestation();
    error AlreadyRegistered(address account, Status status);
    error NotRegistered(address account);
    error WrongStatus(address account, Status actual, Status expected);
    error ParticipantNotActive(address account, Status status);
    error OpenObligations(address account, uint32 openObligations);
    error NoOpenObligation(address account);
    error NotParticipantOrAuditor(address caller, address account);
    error EmptyDeviceAttestation(address meter);
    error ZeroRatedPower(address meter);
    error MeterNotRequested(address meter);
    error WrongMeterStatus(address meter, MeterStatus actual, MeterStatus expected);
    error MeterBindingExpired(address meter, uint256 deadline, uint256 blockTime);
    error InvalidMeterBindingSignature(address meter, address owner);
    error AuditorIsParty(address auditor, address account);
    error MeterBudgetExceeded(address meter, uint256 energyWh, uint256 maxWh);

    /// @notice Apply to join the market; the application waits for the auditor's review.
    /// @param role 1 generator, 2 consumer, 3 prosumer (anything else reverts with `UnknownRole`)
    /// @param source primary energy source as a `Source` value; must be 0 for a consumer and non-zero otherwise
    /// @param zone the grid zone / location code the participant is connected in
    /// @param attestationHash hash of the off-chain identity attestation the auditor checks
    /// @param meters the metering devices that will report this participant's readings (at least one); each is
    ///        bound to the caller at once, only with the meter's signature naming the caller
    ///        (`InvalidMeterBindingSignature`, `MeterBindingExpired`), but reports nothing until the auditor
    ///        approved it (`approveMeter`)
    function register(
        uint8 role,
        uint8 source,
        bytes32 zone,
        bytes32 attestationHash,
        MeterRequest[] calldata meters
    ) external;

    /// @notice Approved participant: ask the auditor to approve one more metering device. The meter reports
    ///         nothing before approval. A meter the auditor rejected may be requested again by its owner.
    /// @param meter the meter's account address (not bound to anybody else)
    /// @param deviceHash hash of the device's off-chain attestation (non-zero)
    /// @param ratedPowerW the device's rated power in W (non-zero); readings above rated power x time are refused
    /// @param deadline unix seconds after which the meter's signature is refused (`MeterBindingExpired`)
    /// @param signature the meter's EIP-712 signature over `MeterBinding(owner = caller, meter, deviceHash,
    ///        ratedPowerW, nonce, deadline)` (`InvalidMeterBindingSignature` otherwise)
    function addMeter(
        address meter,
        bytes32 deviceHash,
        uint64 ratedPowerW,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Auditor: approve a requested metering device after checking its attestation; its readings count
    ///         from now on, bounded by its rated power.
    /// @param meter the pending meter
    function approveMeter(address meter) external;

    /// @notice Auditor: refuse a requested metering device, or revoke an approved one (its readings are refused
    ///         from then on); it stays bound to its owner, who may request it again.
    /// @param meter the pending or approved meter
    /// @param reason a short reason code, kept in the event only
    function rejectMeter(address meter, bytes32 reason) external;

    /// @notice Auditor: accept a pending application.
    /// @param account the applicant
    function approve(address account) external;

    /// @notice Auditor: refuse a pending application; the applicant may apply again.
    /// @param account the applicant
    /// @param reason a short reason code, kept in the event only
    function reject(address account, bytes32 reason) external;

    /// @notice Auditor: stop an approved participant from acting until reinstated.
    /// @param account the participant
    /// @param reason a short reason code, kept in the event only
    function suspend(address account, bytes32 reason) external;

    /// @notice Auditor: lift a suspension.
    /// @param account the suspended participant
    function reinstate(address account) external;

    /// @notice Ask to leave the market. New obligations are refused from now on.
    function requestExit() external;

    /// @notice Remove a participant who asked to leave and has no open obligations. Callable by the
    ///         participant itself (the protocol path) or by the auditor. History stays on chain.
    /// @param account the leaving participant
    function finalizeExit(address account) external;

    /// @notice Market hook (`METER_BUDGET_ROLE`: the order books): count `energyWh` that a market accepted from
    ///         `meter` against the meter's one budget, rated power x the time since its approval, shared by every
    ///         market (`MeterBudgetExceeded` beyond it; `WrongMeterStatus` unless the meter is approved).
    /// @param meter the approved meter
    /// @param energyWh the newly accepted energy (Wh)
    function recordTradedEnergy(address meter, uint256 energyWh) external;

    /// @notice Market hook: record that `account` now has one more open obligation (an order in progress).
    /// @param account an approved participant
    function openObligation(address account) external;

    /// @notice Market hook: record that one of `account`'s obligations is settled.
    /// @param account the participant
    function closeObligation(address account) external;

    /// @notice The full record of `account` (all zero when it never registered).
    /// @param account the participant
    /// @return the record
    function participant(address account) external view returns (Participant memory);

    /// @notice The role and status of `account` (one storage slot: what a market checks before an order).
    /// @param account the participant
    /// @return role the registered role (None when it never registered)
    /// @return status the review status
    function roleAndStatus(address account) external view returns (Role role, Status status);

    /// @notice True when `account` is approved and may trade.
    /// @param account the participant
    /// @return whether the account is active
    function isActive(address account) external view returns (bool);

    /// @notice True when `account` is an approved generator or prosumer with a renewable, non-hydro source.
    /// @param account the participant
    /// @return whether it qualifies for green certificates
    function isRenewableGenerator(address account) external view returns (bool);

    /// @notice The participant a meter account belongs to (zero address when unbound).
    /// @param meter the meter account
    /// @return the owning participant
    function meterOwner(address meter) external view returns (address);

    /// @notice The record of a metering device (all zero when never requested).
    /// @param meter the meter account
    /// @return the record
    function meterInfo(address meter) external view returns (Meter memory);

    /// @notice What checking a meter's reading needs of its record, without the device hash (two storage words
    ///         instead of three: a cold word less per reading).
    /// @param meter the meter account
    /// @return owner the participant it is bound to (zero when never requested)
    /// @return status its status
    /// @return ratedPowerW its rated power
    /// @return approvedAt when its current approval took effect
    /// @return tradedWh the energy the markets accepted from it since then (Wh)
    function meterAuth(address meter)
        external
        view
        returns (address owner, MeterStatus status, uint64 ratedPowerW, uint64 approvedAt, uint192 tradedWh);

    /// @notice The meter accounts bound to `account` (requested, approved or rejected).
    /// @param account the participant
    /// @return the meters
    function metersOf(address account) external view returns (address[] memory);

    /// @notice How many accounts ever registered.
    /// @return the count
    function participantCount() external view returns (uint256);

    /// @notice A page of registered accounts, in registration order.
    /// @param offset index of the first account
    /// @param limit the most accounts to return
    /// @return page the accounts
    function participants(uint256 offset, uint256 limit) external view returns (address[] memory page);
}
