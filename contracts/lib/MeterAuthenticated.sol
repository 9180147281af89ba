// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";

/// @title MeterAuthenticated: accept a smart-meter reading sent by the meter or signed by it
/// @notice Seed 004's energy flow: readings come from metering devices, not from the parties.
///         A meter is an account bound to one participant in the registry and approved there by the auditor
///         (device attestation + rated power). A reading is accepted when `msg.sender` is the meter, or when it
///         carries the meter's EIP-712 signature and is relayed by anyone (meters need no gas).
/// @dev Replay protection: every accepted reading consumes the meter's next nonce (OpenZeppelin
///      `Nonces`), which is part of the signed struct; the EIP-712 domain binds the signature to
///      this contract and chain, and each reading struct names what it applies to (an order id,
///      a generator), so a reading can be neither replayed nor applied elsewhere.
///      Plausibility: a reading for an explicit interval (green certificates) is at most rated power x interval
///      (`_requirePlausible`). For running totals (`_meterEnergy`, the order book) a meter cannot report more energy than its rated power over the time since
///      its last reading. Each accepted energy reading advances the meter's clock by `energy / ratedPower`
///      (so several readings in one block share the elapsed time), starting from the approval; the clock never
///      runs ahead of the block time. Invariant: energy reported by a meter to this contract since its approval
///      <= ratedPowerW * (now - approvedAt) / 3600 Wh.
abstract contract MeterAuthenticated is EIP712, Nonces {
    /// @notice The registry that binds meters to participants.
    IParticipantRegistry public immutable registry;

    /// @dev The time up to which a meter's reported energy is "used", unix seconds (0 = from approval).
    mapping(address meter => uint256) private _meterClock;

    error UnknownMeter(address meter);
    error MeterNotApproved(address meter, IParticipantRegistry.MeterStatus status);
    error MeterNotOwnedBy(address meter, address expectedOwner, address actualOwner);
    error InvalidMeterSignature(address meter, address recovered);
    error ReadingImplausible(address meter, uint256 energyWh, uint256 maxWh);

    constructor(IParticipantRegistry registry_, string memory name, string memory version) EIP712(name, version) {
        registry = registry_;
    }

    /// @notice The EIP-712 domain separator readings are signed under.
    /// @return the separator
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice The most energy `meter` may report now under its rated power (Wh; 0 for unapproved meters).
    /// @param meter the meter account
    /// @return maxWh rated power x the time since its clock (its last reading or approval), rounded down
    function meterHeadroomWh(address meter) public view returns (uint256 maxWh) {
        IParticipantRegistry.Meter memory m = registry.meterInfo(meter);
        if (m.status != IParticipantRegistry.MeterStatus.Approved) return 0;
        uint256 start = _meterStart(meter, m);
        if (start >= block.timestamp) return 0;
        return (block.timestamp - start) * m.ratedPowerW / 3600;
    }

    /// @dev Check that `meter` is approved, belongs to `expectedOwner` (zero = any owner) and that the caller is
    ///      the meter or relays its signature over `structHash`. `structHash` must include `_useNonce(meter)`
    ///      (use `_nextNonce` when building it). Returns the meter's owner.
    function _authenticateReading(address meter, address expectedOwner, bytes32 structHash, bytes calldata signature)
        internal
        view
        returns (address owner)
    {
        IParticipantRegistry.Meter memory m = registry.meterInfo(meter);
        owner = m.owner;
        if (owner == address(0)) revert UnknownMeter(meter);
        if (m.status != IParticipantRegistry.MeterStatus.Approved) revert MeterNotApproved(meter, m.status);
        if (expectedOwner != address(0) && owner != expectedOwner) {
            revert MeterNotOwnedBy(meter, expectedOwner, owner);
        }
        if (msg.sender == meter) return owner;
        // false positive: the third value only details `err`, which is checked; any error refuses the reading
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != meter) revert InvalidMeterSignature(meter, recovered);
    }

    /// @dev Plausibility bound: accept `energyWh` newly reported by an (authenticated, approved) meter only if it
    ///      fits in rated power x the time since the meter's clock; advance the clock by the time it used.
    function _meterEnergy(address meter, uint256 energyWh) internal {
        if (energyWh == 0) return;
        IParticipantRegistry.Meter memory m = registry.meterInfo(meter);
        uint256 start = _meterStart(meter, m);
        // seconds the energy takes at rated power, rounded up (against the reporter)
        uint256 used = (energyWh * 3600 + m.ratedPowerW - 1) / m.ratedPowerW;
        if (start + used > block.timestamp) {
            uint256 maxWh = start >= block.timestamp ? 0 : (block.timestamp - start) * m.ratedPowerW / 3600;
            revert ReadingImplausible(meter, energyWh, maxWh);
        }
        _meterClock[meter] = start + used;
    }

    /// @dev Plausibility bound for a reading that names its own interval (non-overlapping per meter, checked by
    ///      the caller): `energyWh` <= rated power x `seconds`.
    function _requirePlausible(address meter, uint256 energyWh, uint256 seconds_) internal view {
        uint256 maxWh = seconds_ * registry.meterInfo(meter).ratedPowerW / 3600;
        if (energyWh > maxWh) revert ReadingImplausible(meter, energyWh, maxWh);
    }

    function _meterStart(address meter, IParticipantRegistry.Meter memory m) private view returns (uint256) {
        uint256 clock = _meterClock[meter];
        return clock > m.approvedAt ? clock : m.approvedAt;
    }
}
