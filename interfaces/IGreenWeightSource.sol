// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title What the node-weight model reads from the green-certificate contract (seed 001 eq 20)
/// @notice `W_gc,i = A_gc,i / sum_i A_gc,i * 100`. A node's counted certificates are those it holds plus
///         those it has claimed (retired); certificates it sold count for the buyer, not for it.
interface IGreenWeightSource {
    /// @notice Certificates (whole MWh) that count toward `node`'s weight: held + claimed.
    /// @param node the participant
    /// @return the count A_gc,i
    function countedCertificates(address node) external view returns (uint256);

    /// @notice The sum of counted certificates over every node (= every certificate ever issued).
    /// @return the total sum_i A_gc,i
    function totalCountedCertificates() external view returns (uint256);
}
