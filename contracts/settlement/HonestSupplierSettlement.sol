// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlementPolicy} from "../../interfaces/ISettlementPolicy.sol";
import {Units} from "../lib/Units.sol";

/// @title HonestSupplierSettlement: seed 003 §5.2 escrow, reward and penalty (SPEC §3)
/// @notice At signing the consumer escrows the pre-sale amount `R*r*t` (prices are already in tokens, so t is
///         folded into r: token base units per kWh) plus an optional bonus `Token`. At settlement, with the
///         provider-side reading rho and the consumer-side reading gamma:
///         reward (eq 6) = Token if gamma >= R; Token/2 if rho >= R and gamma >= R - tau; else 0;
///         penalty (eq 7) = r*(R - gamma) when rho < R, deducted from the provider's bill (capped at the bill);
///         the provider receives bill - penalty + reward; everything else returns to the consumer.
/// @dev Invariants: stateless; `toSeller + toBuyer == buyerDeposit` for every input (seller deposit 0, no grid,
///      no pool), so settlement never creates or loses a token. Rounding: the pre-sale amount the consumer pays is
///      rounded up, the half reward the provider receives is rounded down, the penalty the provider pays is rounded
///      up; every remainder returns to the consumer.
contract HonestSupplierSettlement is ISettlementPolicy {
    /// @notice The order book allowed to call `settle`.
    address public immutable market;
    /// @notice tau: allowed transmission loss, Wh.
    uint256 public immutable tauWh;

    error NotMarket(address caller);

    /// @param market_ the order book that settles through this policy
    /// @param tauWh_ allowed transmission loss tau (Wh)
    constructor(address market_, uint256 tauWh_) {
        market = market_;
        tauWh = tauWh_;
    }

    /// @inheritdoc ISettlementPolicy
    function deposits(Terms calldata terms) external pure returns (uint256 buyerDeposit, uint256 sellerDeposit) {
        // seed 003 §5.2: pre-sale amount R*r*t, plus the optional bonus
        return (Units.costUp(terms.energyWh, terms.pricePerKwh) + terms.bonus, 0);
    }

    /// @inheritdoc ISettlementPolicy
    function settle(Terms calldata terms, uint256 deliveredWh, uint256 receivedWh)
        external
        view
        returns (Outcome memory outcome)
    {
        if (msg.sender != market) revert NotMarket(msg.sender);
        return split(terms, deliveredWh, receivedWh);
    }

    /// @notice The split `settle` applies, for previews and differential tests.
    /// @param terms the order's terms
    /// @param deliveredWh rho (Wh)
    /// @param receivedWh gamma (Wh)
    /// @return outcome the split
    function split(Terms calldata terms, uint256 deliveredWh, uint256 receivedWh)
        public
        view
        returns (Outcome memory outcome)
    {
        uint256 r = terms.energyWh;
        uint256 bill = Units.costUp(r, terms.pricePerKwh);
        // seed 003 eq 6: honest-supplier reward
        uint256 reward = 0;
        if (receivedWh >= r) reward = terms.bonus;
        else if (deliveredWh >= r && receivedWh + tauWh >= r) reward = terms.bonus / 2;
        // seed 003 eq 7: penalty r*(R - gamma) when rho < R
        uint256 penalty = 0;
        if (deliveredWh < r) {
            uint256 shortfall = receivedWh >= r ? 0 : r - receivedWh;
            penalty = Units.costUp(shortfall, terms.pricePerKwh);
            if (penalty > bill) penalty = bill;
        }
        outcome.toSeller = bill - penalty + reward;
        outcome.toBuyer = terms.bonus - reward + penalty;
        outcome.sellerPenalty = penalty;
        outcome.reward = reward;
    }

    /// @inheritdoc ISettlementPolicy
    function pool() external pure returns (address) {
        return address(0);
    }

    /// @inheritdoc ISettlementPolicy
    function grid() external pure returns (address) {
        return address(0);
    }
}
