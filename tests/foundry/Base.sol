// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The few forge cheatcodes the invariant suite uses
/// @notice Declared here instead of depending on forge-std: the npm `forge-std` package is an unofficial
///         third-party re-publication, and these few declarations are all the suite needs. The cheatcode
///         contract lives at the fixed address below in every forge run.
interface Vm {
    function prank(address sender) external;
    function warp(uint256 newTimestamp) external;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function getNonce(address account) external view returns (uint64 nonce);
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);

    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
}

/// @title Minimal base for forge tests: the cheatcode handle, `targetContract` and `targetSelector`
/// @dev forge discovers invariant targets through these public view functions (the forge-std `StdInvariant`
///      ABI): `targetContracts()` and `targetSelectors()`; a function named `invariant*` is an invariant and
///      `setUp()` runs first.
abstract contract ForgeBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetedContracts;
    FuzzSelector[] private _targetedSelectors;

    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetedSelectors.push(selector);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetedSelectors;
    }
}
