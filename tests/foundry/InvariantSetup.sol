// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EnergyToken} from "../../contracts/EnergyToken.sol";
import {ParticipantRegistry} from "../../contracts/ParticipantRegistry.sol";
import {GridAccount} from "../../contracts/settlement/GridAccount.sol";
import {GridBalancedSettlement} from "../../contracts/settlement/GridBalancedSettlement.sol";
import {CreditWeights} from "../../contracts/weights/CreditWeights.sol";
import {NodeWeights} from "../../contracts/weights/NodeWeights.sol";
import {PenaltyPool} from "../../contracts/weights/PenaltyPool.sol";
import {INodeWeights} from "../../interfaces/INodeWeights.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {ForgeBase} from "./Base.sol";

/// @title What both invariant campaigns set up alike: the seed-001 grid ledgers, four registered actors with
///        signed meters, and the handler's address before it exists
/// @dev The handler is the registry's auditor and the token's issuer, so its address is needed before the
///      contracts it is passed to: `_predictHandler(n)` gives the address of the n-th contract this test
///      deploys from now (CREATE addresses follow the deployer's nonce).
abstract contract InvariantSetup is ForgeBase {
    uint256 internal constant WAD = 1e18;
    uint64 internal constant GRACE = 1 days;
    /// @dev The penalty pool's treasury (receives a carried penalty after `CARRY_TIMEOUT`).
    address internal constant TREASURY = address(0x7EA5);

    address[4] internal actors;
    address[4] internal meters;

    /// @dev The address of this test's `deployedBefore + 1`-th contract from now.
    function _predictHandler(uint256 deployedBefore) internal view returns (address) {
        uint256 nonce = vm.getNonce(address(this)) + deployedBefore;
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xd6), bytes1(0x94), address(this), uint8(nonce))))));
    }

    /// @dev The seed-001 grid-balanced policy (paper parameters) with its credit ledger, penalty pool, node weights
    ///      and grid account (5 contracts, in this order), each ledger granting the policy its settlement role.
    ///      `accountOperator` gets the grid account's operator role. The caller binds the policy to its market.
    function _seed001Grid(ParticipantRegistry registry, EnergyToken token, address accountOperator)
        internal
        returns (GridBalancedSettlement grid, PenaltyPool pool, GridAccount account)
    {
        CreditWeights credit = new CreditWeights(address(this), registry, 951229424500714009, 30, 50 * WAD);
        pool = new PenaltyPool(address(this), token, credit, TREASURY);
        NodeWeights nodes = new NodeWeights(
            address(this),
            address(this),
            credit,
            registry,
            INodeWeights.Params(2e17, 2e17, 3e17, 1e17, 1e17, 2e17, 1e17, 5e17, WAD, 951229424500714009, 30)
        );
        account = new GridAccount(address(this), accountOperator, token);
        grid = new GridBalancedSettlement(address(this), 4e17, 75e16, 4e16, 10, credit, pool, nodes, account);
        credit.grantRole(credit.SETTLEMENT_ROLE(), address(grid));
        pool.grantRole(pool.SETTLEMENT_ROLE(), address(grid));
        nodes.grantRole(nodes.SETTLEMENT_ROLE(), address(grid));
        account.grantRole(account.POLICY_ROLE(), address(grid));
    }

    /// @dev Four actors at fixed addresses (keys 0xA11CE0 + i), each registered as a prosumer with one meter
    ///      (keys 0xBEEF00 + i, 1 MW rated) bound by the meter's own EIP-712 signature; not yet approved.
    function _registerActors(ParticipantRegistry registry) internal {
        for (uint256 i = 0; i < 4; i++) {
            actors[i] = vm.addr(0xA11CE0 + i);
            uint256 meterKey = 0xBEEF00 + i;
            meters[i] = vm.addr(meterKey);
            IParticipantRegistry.MeterRequest[] memory req = new IParticipantRegistry.MeterRequest[](1);
            req[0] = _signedRequest(registry, meterKey, actors[i], keccak256(abi.encode("device", i)), 1_000_000);
            vm.prank(actors[i]);
            registry.register(3, 1, "zone", keccak256(abi.encode("identity", i)), req);
        }
    }

    /// @dev The meter's signed binding to `owner` (the registry's METER_BINDING typed data, no deadline).
    function _signedRequest(
        ParticipantRegistry registry,
        uint256 meterKey,
        address owner,
        bytes32 deviceHash,
        uint64 ratedPowerW
    ) internal view returns (IParticipantRegistry.MeterRequest memory) {
        address meter = vm.addr(meterKey);
        bytes32 structHash = keccak256(
            abi.encode(
                registry.METER_BINDING_TYPEHASH(), owner, meter, deviceHash, ratedPowerW, registry.nonces(meter),
                type(uint256).max
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", registry.domainSeparator(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(meterKey, digest);
        return IParticipantRegistry.MeterRequest(meter, deviceHash, ratedPowerW, type(uint256).max, abi.encodePacked(r, s, v));
    }
}
