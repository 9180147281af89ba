// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title NaivePenaltyPool — BENCHMARK BASELINE ONLY, never deploy in a market
/// @notice The textbook way to implement seed 001 eq 34: on every penalty, loop over every node and credit it
///         `W_i / sum_{j not a party} W_j * F_w`. Its gas grows linearly with the number of nodes (and runs out
///         of block gas at a few thousand), which is exactly what `benchmarks/settlement_gas.py` shows beside the
///         O(1) `PenaltyPool`. It holds no tokens; it only books shares.
/// @dev Invariant: `owed[i]` = sum over distributed penalties of node i's share, rounded down.
contract NaivePenaltyPool is AccessControl {
    address[] public nodes;
    mapping(address node => uint256) public weight;
    mapping(address node => uint256) public owed;
    uint256 public totalWeight;

    event NodeAdded(address indexed node, uint256 weight);
    event PenaltyDistributed(address indexed seller, address indexed buyer, uint256 amount, uint256 nodes);

    error AlreadyAdded(address node);

    /// @param admin the only account allowed to add nodes and distribute
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Admin: add a node with a credit weight (WAD, 0..100 scale).
    /// @param node the node
    /// @param w its weight
    function addNode(address node, uint256 w) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (weight[node] != 0) revert AlreadyAdded(node);
        nodes.push(node);
        weight[node] = w;
        totalWeight += w;
        emit NodeAdded(node, w);
    }

    /// @notice Admin: share `amount` among every node except `seller` and `buyer` by weight — one loop over all.
    /// @param seller excluded party
    /// @param buyer excluded party
    /// @param amount F_w
    function distribute(address seller, address buyer, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 shared = totalWeight - weight[seller] - weight[buyer];
        uint256 n = nodes.length;
        for (uint256 i = 0; i < n; i++) {
            address node = nodes[i];
            if (node == seller || node == buyer) continue;
            owed[node] += Math.mulDiv(amount, weight[node], shared); // seed 001 eq 34, pushed to every node
        }
        emit PenaltyDistributed(seller, buyer, amount, n);
    }

    /// @notice How many nodes the loop visits.
    /// @return the count
    function nodeCount() external view returns (uint256) {
        return nodes.length;
    }
}
