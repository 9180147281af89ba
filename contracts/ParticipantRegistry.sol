// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";

/// @title ParticipantRegistry
/// @notice Registration with qualification review by a weak-centre auditor (seed 004 §2.3, seed 003 §3.1).
/// @dev Invariants:
///  - Participant data (role, source, zone, attestation, meters) is written only by the participant itself.
///    The auditor moves `status` between the review states and nothing else; no role can edit data.
///  - A meter account is bound to at most one participant, forever (readings stay attributable), and only with the
///    meter's own EIP-712 signature over `MeterBinding(owner, meter, deviceHash, ratedPowerW, nonce, deadline)`
///    (an ECDSA key, or ERC-1271 for a contract meter; OpenZeppelin `SignatureChecker`): nobody binds, or
///    re-requests, a device whose key it does not hold, and a signature is used once (per-meter `nonces`) and
///    only for the owner, device hash and rated power it names, before its deadline (review finding 4).
///  - A meter reports readings only once the auditor approved the device (attestation hash + rated power, both
///    written by the participant and frozen at approval); `MeterAuthenticated` refuses every other meter.
///  - An auditor never approves or reinstates itself, nor a meter of its own (`AuditorIsParty`; SPEC §7).
///  - One energy budget per meter for every market (attack review 6, finding 1: each book kept its own, so the
///    same Wh could be sold on two books): for every meter, tradedWh * 3600 <= ratedPowerW * (now - approvedAt),
///    tradedWh being the energy all `METER_BUDGET_ROLE` markets accepted since its current approval (reset to 0
///    at each approval).
///  - `openObligations` counts the market's open orders of the participant; `Exited` is reached only at 0.
///  - Status transitions: None/Rejected -> Pending -> Approved | Rejected; Approved <-> Suspended;
///    Pending/Approved/Suspended -> ExitRequested -> Exited.
contract ParticipantRegistry is IParticipantRegistry, AccessControl, EIP712, Nonces {
    /// @notice EIP-712 type a meter signs to consent to being bound to `owner` with this device data.
    bytes32 public constant METER_BINDING_TYPEHASH = keccak256(
        "MeterBinding(address owner,address meter,bytes32 deviceHash,uint64 ratedPowerW,uint256 nonce,uint256 deadline)"
    );

    /// @notice The weak centre: approves, rejects, suspends and reinstates; audits trades in the market.
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");
    /// @notice Contracts (markets) allowed to open and close obligations.
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");
    /// @notice Contracts that sell metered energy (the order books): each counts what it accepts against the meter's
    ///         one budget (`recordTradedEnergy`).
    bytes32 public constant METER_BUDGET_ROLE = keccak256("METER_BUDGET_ROLE");

    mapping(address account => Participant) private _participants;
    mapping(address account => address[]) private _meters;
    mapping(address meter => Meter) private _meterInfo;
    address[] private _accounts;

    /// @param admin the account that grants roles (the consortium operator)
    /// @param auditor the first weak-centre auditor
    constructor(address admin, address auditor) EIP712("ParticipantRegistry", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(AUDITOR_ROLE, auditor);
    }

    // ------------------------------------------------------------------ participant actions

    /// @inheritdoc IParticipantRegistry
    function register(
        uint8 role,
        uint8 source,
        bytes32 zone,
        bytes32 attestationHash,
        MeterRequest[] calldata meters
    ) external {
        if (role == uint8(Role.None) || role > uint8(Role.Prosumer)) revert UnknownRole(role);
        Role r = Role(role);
        bool producer = r != Role.Consumer;
        if (source > uint8(Source.Fossil) || (producer == (source == uint8(Source.None)))) {
            revert InvalidSource(r, source);
        }
        if (zone == bytes32(0)) revert EmptyZone();
        if (attestationHash == bytes32(0)) revert EmptyAttestation();
        if (meters.length == 0) revert EmptyMeterList();

        Participant storage p = _participants[msg.sender];
        if (p.status != Status.None && p.status != Status.Rejected) revert AlreadyRegistered(msg.sender, p.status);
        if (p.status == Status.None) _accounts.push(msg.sender);

        p.role = r;
        p.source = Source(source);
        p.zone = zone;
        p.attestationHash = attestationHash;
        p.status = Status.Pending;
        p.registeredAt = uint64(block.timestamp);
        emit ParticipantRegistered(msg.sender, r, Source(source), zone, attestationHash);
        for (uint256 i = 0; i < meters.length; i++) {
            // A rejected applicant who applies again keeps the meters it already bound (and their review).
            if (_meterInfo[meters[i].meter].owner != msg.sender) _requestMeter(msg.sender, meters[i]);
        }
    }

    /// @inheritdoc IParticipantRegistry
    function addMeter(
        address meter,
        bytes32 deviceHash,
        uint64 ratedPowerW,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _requireActive(msg.sender);
        _requestMeter(msg.sender, MeterRequest(meter, deviceHash, ratedPowerW, deadline, signature));
    }

    /// @inheritdoc IParticipantRegistry
    function requestExit() external {
        Participant storage p = _participants[msg.sender];
        if (p.status != Status.Pending && p.status != Status.Approved && p.status != Status.Suspended) {
            if (p.status == Status.None) revert NotRegistered(msg.sender);
            revert WrongStatus(msg.sender, p.status, Status.Approved);
        }
        p.status = Status.ExitRequested;
        emit ExitRequested(msg.sender);
    }

    /// @inheritdoc IParticipantRegistry
    function finalizeExit(address account) external {
        if (msg.sender != account && !hasRole(AUDITOR_ROLE, msg.sender)) {
            revert NotParticipantOrAuditor(msg.sender, account);
        }
        Participant storage p = _participants[account];
        _requireStatus(account, p.status, Status.ExitRequested);
        if (p.openObligations != 0) revert OpenObligations(account, p.openObligations);
        p.status = Status.Exited;
        emit ParticipantExited(account, msg.sender);
    }

    // ------------------------------------------------------------------ auditor actions

    /// @inheritdoc IParticipantRegistry
    function approve(address account) external onlyRole(AUDITOR_ROLE) {
        if (msg.sender == account) revert AuditorIsParty(msg.sender, account);
        _transition(account, Status.Pending, Status.Approved);
        emit ParticipantApproved(account, msg.sender);
    }

    /// @inheritdoc IParticipantRegistry
    function reject(address account, bytes32 reason) external onlyRole(AUDITOR_ROLE) {
        _transition(account, Status.Pending, Status.Rejected);
        emit ParticipantRejected(account, msg.sender, reason);
    }

    /// @inheritdoc IParticipantRegistry
    function suspend(address account, bytes32 reason) external onlyRole(AUDITOR_ROLE) {
        _transition(account, Status.Approved, Status.Suspended);
        emit ParticipantSuspended(account, msg.sender, reason);
    }

    /// @inheritdoc IParticipantRegistry
    function reinstate(address account) external onlyRole(AUDITOR_ROLE) {
        if (msg.sender == account) revert AuditorIsParty(msg.sender, account);
        _transition(account, Status.Suspended, Status.Approved);
        emit ParticipantReinstated(account, msg.sender);
    }

    /// @inheritdoc IParticipantRegistry
    function approveMeter(address meter) external onlyRole(AUDITOR_ROLE) {
        Meter storage m = _pendingMeter(meter);
        if (msg.sender == m.owner) revert AuditorIsParty(msg.sender, m.owner);
        m.status = MeterStatus.Approved;
        m.approvedAt = uint64(block.timestamp);
        m.tradedWh = 0; // a new approval, a new budget
        emit MeterApproved(meter, m.owner, msg.sender);
    }

    /// @inheritdoc IParticipantRegistry
    function rejectMeter(address meter, bytes32 reason) external onlyRole(AUDITOR_ROLE) {
        Meter storage m = _meterInfo[meter];
        // a pending request, or an approved device found tampered later (revocation: its readings stop)
        if (m.status == MeterStatus.None) revert MeterNotRequested(meter);
        if (m.status != MeterStatus.Pending && m.status != MeterStatus.Approved) {
            revert WrongMeterStatus(meter, m.status, MeterStatus.Pending);
        }
        m.status = MeterStatus.Rejected;
        emit MeterRejected(meter, m.owner, msg.sender, reason);
    }

    // ------------------------------------------------------------------ market hooks

    /// @inheritdoc IParticipantRegistry
    function recordTradedEnergy(address meter, uint256 energyWh) external onlyRole(METER_BUDGET_ROLE) {
        Meter storage m = _meterInfo[meter];
        if (m.status != MeterStatus.Approved) revert WrongMeterStatus(meter, m.status, MeterStatus.Approved);
        uint256 traded = m.tradedWh + energyWh;
        // exact for whole Wh: traded <= floor(rated * elapsed / 3600) iff traded * 3600 <= rated * elapsed
        uint256 budget = uint256(m.ratedPowerW) * (block.timestamp - m.approvedAt) / 3600;
        if (traded > budget) revert MeterBudgetExceeded(meter, energyWh, budget - m.tradedWh);
        m.tradedWh = uint192(traded); // <= rated x elapsed / 3600 < 2^128
    }

    /// @inheritdoc IParticipantRegistry
    function openObligation(address account) external onlyRole(MARKET_ROLE) {
        Participant storage p = _requireActive(account);
        uint32 open = ++p.openObligations;
        emit ObligationOpened(account, msg.sender, open);
    }

    /// @inheritdoc IParticipantRegistry
    function closeObligation(address account) external onlyRole(MARKET_ROLE) {
        Participant storage p = _participants[account];
        if (p.openObligations == 0) revert NoOpenObligation(account);
        uint32 open = --p.openObligations;
        emit ObligationClosed(account, msg.sender, open);
    }

    // ------------------------------------------------------------------ views

    /// @notice The EIP-712 domain separator meter bindings are signed under.
    /// @return the separator
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IParticipantRegistry
    function participant(address account) external view returns (Participant memory) {
        return _participants[account];
    }

    /// @inheritdoc IParticipantRegistry
    function roleAndStatus(address account) external view returns (Role role, Status status) {
        Participant storage p = _participants[account];
        return (p.role, p.status);
    }

    /// @inheritdoc IParticipantRegistry
    function isActive(address account) external view returns (bool) {
        // false positive: an enum comparison, not a balance or timestamp that an attacker can nudge
        // slither-disable-next-line incorrect-equality
        return _participants[account].status == Status.Approved;
    }

    /// @inheritdoc IParticipantRegistry
    function isRenewableGenerator(address account) external view returns (bool) {
        Participant storage p = _participants[account];
        return p.status == Status.Approved && p.role != Role.Consumer
            && (p.source == Source.Solar || p.source == Source.Wind || p.source == Source.Biomass);
    }

    /// @inheritdoc IParticipantRegistry
    function meterOwner(address meter) external view returns (address) {
        return _meterInfo[meter].owner;
    }

    /// @inheritdoc IParticipantRegistry
    function meterInfo(address meter) external view returns (Meter memory) {
        return _meterInfo[meter];
    }

    /// @inheritdoc IParticipantRegistry
    function meterAuth(address meter)
        external
        view
        returns (address owner, MeterStatus status, uint64 ratedPowerW, uint64 approvedAt, uint192 tradedWh)
    {
        Meter storage m = _meterInfo[meter];
        return (m.owner, m.status, m.ratedPowerW, m.approvedAt, m.tradedWh);
    }

    /// @inheritdoc IParticipantRegistry
    function metersOf(address account) external view returns (address[] memory) {
        return _meters[account];
    }

    /// @inheritdoc IParticipantRegistry
    function participantCount() external view returns (uint256) {
        return _accounts.length;
    }

    /// @inheritdoc IParticipantRegistry
    function participants(uint256 offset, uint256 limit) external view returns (address[] memory page) {
        uint256 end = offset + limit;
        if (end > _accounts.length) end = _accounts.length;
        if (offset >= end) return new address[](0);
        page = new address[](end - offset);
        for (uint256 i = offset; i < end; i++) {
            page[i - offset] = _accounts[i];
        }
    }

    // ------------------------------------------------------------------ internals

    /// @dev Bind (or, for the owner of a rejected meter, re-request) a device as Pending, with the meter's consent.
    function _requestMeter(address account, MeterRequest memory r) private {
        address meter = r.meter;
        if (meter == address(0)) revert ZeroMeterAddress();
        if (r.deviceHash == bytes32(0)) revert EmptyDeviceAttestation(meter);
        if (r.ratedPowerW == 0) revert ZeroRatedPower(meter);
        Meter storage m = _meterInfo[meter];
        address owner = m.owner;
        bool again = owner == account && m.status == MeterStatus.Rejected;
        if (owner != address(0) && !again) revert MeterAlreadyBound(meter, owner);
        _requireMeterConsent(account, r);
        if (!again) {
            m.owner = account;
            _meters[account].push(meter);
            emit MeterBound(meter, account);
        }
        m.status = MeterStatus.Pending;
        m.deviceHash = r.deviceHash;
        m.ratedPowerW = r.ratedPowerW;
        emit MeterRequested(meter, account, r.deviceHash, r.ratedPowerW);
    }

    /// @dev The meter's own signature over the binding (review finding 4: binding once needed no proof of its key,
    ///      so anyone could squat a victim's device address for good). Consumes the meter's nonce.
    function _requireMeterConsent(address account, MeterRequest memory r) private {
        // false positive: a deadline compared with the block time, a few seconds of miner leeway do not matter
        // slither-disable-next-line timestamp
        if (block.timestamp > r.deadline) revert MeterBindingExpired(r.meter, r.deadline, block.timestamp);
        bytes32 structHash = keccak256(
            abi.encode(
                METER_BINDING_TYPEHASH, account, r.meter, r.deviceHash, r.ratedPowerW, _useNonce(r.meter), r.deadline
            )
        );
        if (!SignatureChecker.isValidSignatureNow(r.meter, _hashTypedDataV4(structHash), r.signature)) {
            revert InvalidMeterBindingSignature(r.meter, account);
        }
    }

    function _pendingMeter(address meter) private view returns (Meter storage m) {
        m = _meterInfo[meter];
        if (m.status == MeterStatus.None) revert MeterNotRequested(meter);
        if (m.status != MeterStatus.Pending) revert WrongMeterStatus(meter, m.status, MeterStatus.Pending);
    }

    function _transition(address account, Status from, Status to) private {
        Participant storage p = _participants[account];
        _requireStatus(account, p.status, from);
        p.status = to;
    }

    function _requireStatus(address account, Status actual, Status expected) private pure {
        if (actual == Status.None) revert NotRegistered(account);
        if (actual != expected) revert WrongStatus(account, actual, expected);
    }

    function _requireActive(address account) private view returns (Participant storage p) {
        p = _participants[account];
        if (p.status == Status.None) revert NotRegistered(account);
        if (p.status != Status.Approved) revert ParticipantNotActive(account, p.status);
    }
}
