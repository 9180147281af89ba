// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";

/// @title MeterAuthenticated: accept a smart-meter reading sent by the meter or signed by it
/// @notice Seed 004's energy flow: readings come from metering devices, not from the parties.
///         A meter is an account bound to one participant in the registry. A reading is accepted
///         when `msg.sender` is the meter, or when it carries the meter's EIP-712 signature and is
///         relayed by anyone (meters need no gas).
/// @dev Replay protection: every accepted reading consumes the meter's next nonce (OpenZeppelin
///      `Nonces`), which is part of the signed struct; the EIP-712 domain binds the signature to
///      this contract and chain, and each reading struct names what it applies to (an order id,
///      a generator), so a reading can be neither replayed nor applied elsewhere.
abstract contract MeterAuthenticated is EIP712, Nonces {
    /// @notice The registry that binds meters to participants.
    IParticipantRegistry public immutable registry;

    error UnknownMeter(address meter);
    error MeterNotOwnedBy(address meter, address expectedOwner, address actualOwner);
    error InvalidMeterSignature(address meter, address recovered);

    constructor(IParticipantRegistry registry_, string memory name, string memory version) EIP712(name, version) {
        registry = registry_;
    }

    /// @notice The EIP-712 domain separator readings are signed under.
    /// @return the separator
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Check that `meter` belongs to `expectedOwner` (zero = any owner) and that the caller is the
    ///      meter or relays its signature over `structHash`. `structHash` must include `_useNonce(meter)`
    ///      (use `_nextNonce` when building it). Returns the meter's owner.
    function _authenticateReading(address meter, address expectedOwner, bytes32 structHash, bytes calldata signature)
        internal
        view
        returns (address owner)
    {
        owner = registry.meterOwner(meter);
        if (owner == address(0)) revert UnknownMeter(meter);
        if (expectedOwner != address(0) && owner != expectedOwner) {
            revert MeterNotOwnedBy(meter, expectedOwner, owner);
        }
        if (msg.sender == meter) return owner;
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != meter) revert InvalidMeterSignature(meter, recovered);
    }
}
