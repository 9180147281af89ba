// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title What the node-weight model reads from the carbon ledger (seed 001 eq 21-22)
/// @notice `A_ce,i = A_q + A_b - A_e` per node per carbon cycle (negative = non-compliant);
///         `W_ce,i = (A_ce,i - min A_ce) / (max A_ce - min A_ce) * 100` over the nodes of the previous cycle.
interface ICarbonWeightSource {
    /// @notice The most recent carbon cycle that has been settled (0 = none yet).
    /// @return the cycle number
    function lastSettledCycle() external view returns (uint256);

    /// @notice The settlement amount A_ce of `node` in `cycle` (allowance units, signed).
    /// @param node the participant
    /// @param cycle a settled cycle
    /// @return settled whether the node took part in that cycle
    /// @return amount A_q + A_b - A_e
    function carbonSettlement(address node, uint256 cycle) external view returns (bool settled, int256 amount);

    /// @notice The minimum and maximum A_ce over the nodes of `cycle` (for the normalisation of eq 21).
    /// @param cycle a settled cycle
    /// @return minAmount min_i A_ce,i
    /// @return maxAmount max_i A_ce,i
    function carbonSettlementRange(uint256 cycle) external view returns (int256 minAmount, int256 maxAmount);
}
