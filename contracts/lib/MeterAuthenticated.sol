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
///      Plausibility (a per-meter Wh budget, exact): since its approval a meter may report at most
///      `ratedPowerW * (now - approvedAt) / 3600` Wh in total. A market (`sharedBudget`: the order books) counts it
///      against the meter's ONE budget in the registry (`recordTradedEnergy`, `METER_BUDGET_ROLE`), shared by every
///      market, so the same energy cannot be sold on two books (attack review 6, finding 1: each book kept its
///      own); green certificates count generation against this contract's own budget (energy sold is also
///      energy generated: certifying it is not a second sale). A budget is kept per approval, so a device revoked
///      and approved again starts afresh from its new approval. Readings in one block or one second pass as long
///      as they fit. A reading for an explicit interval (green certificates) is also at most rated power x its
///      interval (`_requirePlausible`).
///      Invariant: for every meter, reportedWh(meter) * 3600 <= ratedPowerW * (now - approvedAt), with reportedWh
///      the energy accepted since the meter's current approval by every market together (`sharedBudget`), or by
///      this contract (otherwise).
abstract contract MeterAuthenticated is EIP712, Nonces {
    /// @notice The registry that binds meters to participants.
    IParticipantRegistry public immutable registry;

    /// @dev A meter's energy budget use: the approval it counts from and the Wh accepted since then.
    struct MeterUse {
        uint64 approvedAt;
        uint192 reportedWh;
    }

    mapping(address meter => MeterUse) private _meterUse; // this contract's own budgets (not `sharedBudget`)

    /// @notice True when readings count against the meter's one budget in the registry, shared by every market
    ///         (the order books); false when this contract keeps its own (green certificates).
    bool public immutable sharedBudget;

    error UnknownMeter(address meter);
    error MeterNotApproved(address meter, IParticipantRegistry.MeterStatus status);
    error MeterNotOwnedBy(address meter, address expectedOwner, address actualOwner);
    error InvalidMeterSignature(address meter, address recovered);
    error ReadingImplausible(address meter, uint256 energyWh, uint256 maxWh);

    constructor(IParticipantRegistry registry_, string memory name, string memory version, bool sharedBudget_)
        EIP712(name, version)
    {
        registry = registry_;
        sharedBudget = sharedBudget_;
    }

    /// @notice The EIP-712 domain separator readings are signed under.
    /// @return the separator
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice The most energy `meter` may still report now under its rated power (Wh; 0 for unapproved meters).
    /// @param meter the meter account
    /// @return maxWh rated power x the time since its approval, minus what it already reported, rounded down
    function meterHeadroomWh(address meter) public view returns (uint256 maxWh) {
        IParticipantRegistry.Meter memory m = _meterRecord(meter);
        if (m.status != IParticipantRegistry.MeterStatus.Approved) return 0;
        return _headroom(m, _reportedSinceApproval(meter, m));
    }

    /// @notice The energy counted against `meter`'s budget since its current approval (Wh): by every market
    ///         together when `sharedBudget`, else by this contract.
    /// @param meter the meter account
    /// @return the Wh counted against its budget
    function meterReportedWh(address meter) external view returns (uint256) {
        return _reportedSinceApproval(meter, _meterRecord(meter));
    }

    /// @dev Check that `meter` is approved, belongs to `expectedOwner` (zero = any owner) and that the caller is
    ///      the meter or relays its signature over `structHash`. `structHash` must include `_useNonce(meter)`
    ///      (use `_nextNonce` when building it). Returns the meter's registry record (for `_meterEnergy`, so the
    ///      registry is read once per reading).
    function _authenticateReading(address meter, address expectedOwner, bytes32 structHash, bytes calldata signature)
        internal
        view
        returns (IParticipantRegistry.Meter memory m)
    {
        m = _meterRecord(meter);
        address owner = m.owner;
        if (owner == address(0)) revert UnknownMeter(meter);
        if (m.status != IParticipantRegistry.MeterStatus.Approved) revert MeterNotApproved(meter, m.status);
        if (expectedOwner != address(0) && owner != expectedOwner) {
            revert MeterNotOwnedBy(meter, expectedOwner, owner);
        }
        if (msg.sender == meter) return m;
        // false positive: the third value only details `err`, which is checked; any error refuses the reading
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != meter) revert InvalidMeterSignature(meter, recovered);
    }

    /// @dev `_authenticateReading` with the meter's signature in EIP-2098 compact form (`r`, `vs`: 64 bytes of
    ///      static calldata instead of a 65-byte dynamic `bytes`; both zero when the meter sends it itself).
    function _authenticateReading(address meter, address expectedOwner, bytes32 structHash, bytes32 r, bytes32 vs)
        internal
        view
        returns (IParticipantRegistry.Meter memory m)
    {
        m = _meterRecord(meter);
        address owner = m.owner;
        if (owner == address(0)) revert UnknownMeter(meter);
        if (m.status != IParticipantRegistry.MeterStatus.Approved) revert MeterNotApproved(meter, m.status);
        if (expectedOwner != address(0) && owner != expectedOwner) {
            revert MeterNotOwnedBy(meter, expectedOwner, owner);
        }
        if (msg.sender == meter) return m;
        // false positive: the third value only details `err`, which is checked; any error refuses the reading
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), r, vs);
        if (err != ECDSA.RecoverError.NoError || recovered != meter) revert InvalidMeterSignature(meter, recovered);
    }

    /// @dev `_authenticateReading` (compact signature) and `_meterEnergy` as a check that writes nothing, for a
    ///      caller that checks everything before its first write (a `sharedBudget` market): the Wh to record once
    ///      `energyWh` is accepted (`_meterCommit` records it; 0 when there is nothing to record) or the custom error
    ///      refusing the reading (empty when accepted).
    function _meterCheck(
        address meter,
        address expectedOwner,
        bytes32 structHash,
        bytes32 r,
        bytes32 vs,
        uint256 energyWh
    ) internal view returns (uint256 use, bytes memory refusal) {
        IParticipantRegistry.Meter memory m = _meterRecord(meter);
        if (m.owner == address(0)) return (0, _err(UnknownMeter.selector, uint256(uint160(meter))));
        if (m.status != IParticipantRegistry.MeterStatus.Approved) {
            return (0, _err(MeterNotApproved.selector, uint256(uint160(meter)), uint256(m.status)));
        }
        if (expectedOwner != address(0) && m.owner != expectedOwner) {
            return (0, _err(MeterNotOwnedBy.selector, uint256(uint160(meter)), uint256(uint160(expectedOwner)), uint256(uint160(m.owner))));
        }
        if (msg.sender != meter) {
            // false positive: the third value only details `err`, which is checked
            // slither-disable-next-line unused-return
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), r, vs);
            if (err != ECDSA.RecoverError.NoError || recovered != meter) {
                return (0, _err(InvalidMeterSignature.selector, uint256(uint160(meter)), uint256(uint160(recovered))));
            }
        }
        if (energyWh == 0) return (0, refusal);
        uint256 headroom = _headroom(m, m.tradedWh);
        if (energyWh > headroom) {
            return (0, _err(ReadingImplausible.selector, uint256(uint160(meter)), energyWh, headroom));
        }
        use = energyWh;
    }

    /// @dev Count the `use` Wh from `_meterCheck` against the meter's shared budget (nothing when 0).
    function _meterCommit(address meter, uint256 use) internal {
        if (use == 0) return;
        registry.recordTradedEnergy(meter, use);
    }

    /// @dev Plausibility bound: accept `energyWh` newly reported by an (authenticated, approved) meter only if it
    ///      fits in what is left of its budget, rated power x the time since its approval, counted exactly: for
    ///      whole Wh, `reported + energy <= floor(rated * elapsed / 3600)` is `(reported + energy) * 3600 <=
    ///      rated * elapsed` (no rounding to whole seconds of meter time). Records the energy.
    function _meterEnergy(address meter, uint256 energyWh) internal {
        if (energyWh == 0) return;
        _meterEnergy(meter, _meterRecord(meter), energyWh);
    }

    /// @dev `_meterEnergy` with the meter's registry record `m` already read (by `_authenticateReading`, in the
    ///      same call).
    function _meterEnergy(address meter, IParticipantRegistry.Meter memory m, uint256 energyWh) internal {
        if (energyWh == 0) return;
        uint256 reported = _reportedSinceApproval(meter, m);
        uint256 headroom = _headroom(m, reported);
        if (energyWh > headroom) revert ReadingImplausible(meter, energyWh, headroom);
        if (sharedBudget) {
            registry.recordTradedEnergy(meter, energyWh);
        } else {
            // reported + energyWh <= rated x elapsed / 3600 < 2^64 x 2^64: fits in 192 bits
            _meterUse[meter] = MeterUse(m.approvedAt, uint192(reported + energyWh));
        }
    }

    /// @dev Plausibility bound for a reading that names its own interval (non-overlapping per meter, checked by
    ///      the caller): `energyWh` <= rated power x `seconds`.
    function _requirePlausible(address meter, uint256 energyWh, uint256 seconds_) internal view {
        uint256 maxWh = seconds_ * _meterRecord(meter).ratedPowerW / 3600;
        if (energyWh > maxWh) revert ReadingImplausible(meter, energyWh, maxWh);
    }

    /// @dev A custom error's ABI encoding (its selector and arguments as words: addresses and enums encode as
    ///      their uint256), shared by every refusal a check returns instead of reverting (one encoder per
    ///      argument count keeps the bytecode small).
    function _err(bytes4 selector) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector);
    }

    function _err(bytes4 selector, uint256 a) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a);
    }

    function _err(bytes4 selector, uint256 a, uint256 b) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a, b);
    }

    function _err(bytes4 selector, uint256 a, uint256 b, uint256 c) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a, b, c);
    }

    function _err(bytes4 selector, uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a, b, c, d);
    }

    /// @dev The meter's registry record without its device hash (`meterAuth`: two storage words, not three).
    function _meterRecord(address meter) internal view returns (IParticipantRegistry.Meter memory m) {
        (m.owner, m.status, m.ratedPowerW, m.approvedAt, m.tradedWh) = registry.meterAuth(meter);
    }

    /// @dev Wh counted against the meter's current approval: the markets' shared count (`sharedBudget`), or this
    ///      contract's own (a record of an earlier approval counts 0; the registry resets its count at approval).
    function _reportedSinceApproval(address meter, IParticipantRegistry.Meter memory m)
        private
        view
        returns (uint256)
    {
        if (sharedBudget) return m.tradedWh;
        MeterUse storage u = _meterUse[meter];
        return u.approvedAt == m.approvedAt ? u.reportedWh : 0;
    }

    /// @dev What is left of an approved meter's budget: rated x elapsed / 3600 - reported, rounded down.
    function _headroom(IParticipantRegistry.Meter memory m, uint256 reported) private view returns (uint256) {
        uint256 budget = uint256(m.ratedPowerW) * (block.timestamp - m.approvedAt) / 3600;
        return budget > reported ? budget - reported : 0;
    }
}
