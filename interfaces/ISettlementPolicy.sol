// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title A settlement policy plugged into the market's order lifecycle
/// @notice The market keeps the order lifecycle (agree, audit, escrow, meter readings, settle,
///         withdraw) and the tokens; a policy only decides how the escrow of one order is split.
///         Two policies exist: honest-supplier settlement (seed 003 §5.2, SPEC §3) and grid-balanced
///         settlement with credit weights (seed 001 §4.2-4.3, SPEC §4).
/// @dev Conservation rule every policy must keep, checked by the market:
///      buyerDeposit + sellerDeposit == toSeller + toBuyer + toGrid + toPool.
///      `toPool` is transferred by the market to `pool()` in the same transaction (e.g. penalties
///      redistributed by credit weight); the policy never holds or moves tokens itself otherwise.
///      Amounts are EnergyToken base units; energies are Wh; prices are token base units per kWh
///      (see contracts/lib/Units.sol).
interface ISettlementPolicy {
    /// @notice The agreed terms of one order as the market hands them to the policy.
    struct Terms {
        uint256 orderId;
        uint256 periodId;
        address seller;
        address buyer;
        uint256 energyWh; // contracted energy R (seed 003) / C_e (seed 001)
        uint256 pricePerKwh; // agreed price r (seed 003) / tariff U (seed 001), token base units per kWh
        uint256 bonus; // consumer's optional bonus for an honest supplier (seed 003), escrowed with the order
        uint256 periodContractedWh; // sum of contracted energy of every audited order of the period
    }

    /// @notice How the escrow of one order is split, plus what the split was made of (for events/results).
    struct Outcome {
        uint256 toSeller;
        uint256 toBuyer;
        uint256 toGrid;
        uint256 toPool;
        uint256 sellerPenalty;
        uint256 buyerPenalty;
        uint256 reward;
    }

    /// @notice What the market must escrow for `terms` when the order is signed.
    /// @param terms the order's terms
    /// @return buyerDeposit tokens taken from the buyer (pre-sale amount, bonus, any collateral)
    /// @return sellerDeposit tokens taken from the seller (collateral against its penalty; may be 0)
    function deposits(Terms calldata terms) external view returns (uint256 buyerDeposit, uint256 sellerDeposit);

    /// @notice Split the escrow of a delivered order. Only the market may call; the policy may update
    ///         its own state (credit weights, redistribution accumulators) here.
    /// @param terms the order's terms
    /// @param deliveredWh the seller-side meter reading rho / E_af (Wh)
    /// @param receivedWh the buyer-side meter reading gamma / E_ay (Wh)
    /// @return outcome the split; its four transfers add up to the two deposits
    function settle(Terms calldata terms, uint256 deliveredWh, uint256 receivedWh)
        external
        returns (Outcome memory outcome);

    /// @notice Where the market sends `Outcome.toPool` (zero address when the policy never pools).
    /// @return the pool contract
    function pool() external view returns (address);

    /// @notice The grid operator's account that receives `Outcome.toGrid`.
    /// @return the grid account
    function grid() external view returns (address);
}
