// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICreditWeights} from "../../interfaces/ICreditWeights.sol";
import {IGridAccount} from "../../interfaces/IGridAccount.sol";
import {INodeWeights} from "../../interfaces/INodeWeights.sol";
import {IPenaltyPool} from "../../interfaces/IPenaltyPool.sol";
import {ISettlementPolicy} from "../../interfaces/ISettlementPolicy.sol";
import {Units} from "../lib/Units.sol";

/// @title GridBalancedSettlement: seed 001 §4.3 settlement with credit weights, penalties and redistribution
/// @notice Per order, with U the agreed price, C_e the contract, E_af / E_ay the seller's / buyer's readings and the
///         grid prices S (feed-in), B (grid retail) and G (over-the-grid fee), all token base units per kWh:
///  - money (eq 26-31, SPEC §4 sign): the buyer pays `min(E_af,E_ay)*(U+G)` plus `(E_ay-E_af)*B` if it drew more
///    than was generated; the seller gets `min*U`, plus `(E_af-E_ay)*S` from the grid for its surplus; the grid
///    gets `min*G + top-up` and owes the feed-in (credited in `GridAccount`, pulled by the seller);
///  - credit weights (eq 14-17) in the `CreditWeights` ledger;
///  - penalties (eq 32-33) `M_f = (B-U-G)(C_e-E_af)(eps+dW_f)`, `M_y = (U-S)(C_e-E_ay)(eps+dW_y)`, dW in points,
///    eps = 1 when one party defaults and 0 when both do; a negative loss rate counts as 0;
///  - compensation of the counterparty `(U-S)(C_e-E_ay)` or `(B-U-G)(C_e-E_af)` when only one party defaults;
///    the rest F_w goes to the `PenaltyPool`, shared among every other node by credit weight (eq 34).
/// @dev Invariants:
///  - Conservation (ISettlementPolicy): buyerDeposit + sellerDeposit == toSeller + toBuyer + toGrid + toPool, by
///    construction: toBuyer and toSeller are the deposits minus what each party pays, plus what it receives.
///  - Escrow covers the worst case for every reading: both readings are capped at `maxReadingFactor * C_e`
///    before settling (a reading above the cap settles at the cap, `ReadingCapped`; it never blocks the order,
///    whose readings cannot decrease); the buyer pays at most `E_ay * max(B, U+G)` and, when it defaults, a
///    penalty of at most `(U-S)*C_e*(1+100)` (dW <= W <= 100); the seller pays at most `(B-U-G)*C_e*(1+100)`.
///    The seller cap bounds the feed-in the grid owes per order: at most `k*C_e*S`. The cap (default 10
///    contracts) costs no extra collateral while `k*max(B,U+G) <= max(B,U+G) + 101*(U-S)` (Tables 1-2: k <= 29).
///  - Each order settles once (`OrderAlreadySettled`).
///  - Rounding (contracts/lib/Units.sol): transfers between parties (p2p, fee, top-up, feed-in, compensation)
///    are rounded down, so their dust stays with the payer; penalties are rounded up; nothing is ever created.
///  - The policy moves no tokens: the market pays out the Outcome; the grid account and pool hold their shares.
contract GridBalancedSettlement is ISettlementPolicy, AccessControl {
    /// @notice Markets allowed to settle through this policy.
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");

    /// @notice S: what the grid pays for a generator's surplus, token base units per kWh.
    uint256 public immutable feedInPrice;
    /// @notice B: what a consumer pays the grid for energy beyond the delivered contract, per kWh.
    uint256 public immutable gridPrice;
    /// @notice G: the over-the-grid fee a consumer pays per kWh of peer-to-peer energy.
    uint256 public immutable gridFee;
    /// @notice The largest accepted buyer reading as a multiple of the contracted energy.
    uint256 public immutable maxReadingFactor;
    /// @notice The credit-weight ledger (eq 14-17, 24).
    ICreditWeights public immutable credit;
    /// @notice Where pooled penalties go (eq 34).
    IPenaltyPool public immutable penaltyPool;
    /// @notice Where deliveries are recorded for the node weight (eq 18, 23).
    INodeWeights public immutable nodeWeights;
    /// @notice The grid's account (receives G and B revenue, owes S).
    IGridAccount public immutable gridAccount;

    /// @notice What one settlement computed (tokens, and credit weights WAD on the 0..100 scale).
    struct Breakdown {
        uint256 round; // the credit round the order counted in
        uint256 sellerIncome; // V_f (seed 001 eq 26/29)
        uint256 buyerExpense; // V_y (seed 001 eq 27/30)
        int256 gridRevenue; // V_g (seed 001 eq 28/31), negative when feed-in exceeds fee and top-up
        uint256 feedIn; // (E_af - E_ay) * S, owed to the seller by the grid account
        uint256 sellerPenalty; // M_f (seed 001 eq 32)
        uint256 buyerPenalty; // M_y (seed 001 eq 33)
        uint256 sellerCompensation; // paid to the seller out of M_y
        uint256 buyerCompensation; // paid to the buyer out of M_f
        uint256 pooled; // F_w, to the penalty pool
        uint256 sellerWeightBefore;
        uint256 sellerWeightAfter;
        uint256 buyerWeightBefore;
        uint256 buyerWeightAfter;
    }

    mapping(uint256 orderId => bool) private _settled;

    event GridSettled(
        uint256 indexed orderId, uint256 indexed periodId, address indexed seller, address buyer, Breakdown breakdown
    );

    error ZeroAddress();
    error ReadingFactorBelowOne(uint256 factor);
    error OrderAlreadySettled(uint256 orderId);
    error ZeroContractedEnergy(uint256 orderId);
    error SelfTrade(uint256 orderId, address account);
    event ReadingCapped(uint256 indexed orderId, bool sellerSide, uint256 reportedWh, uint256 cappedWh);

    /// @param admin grants roles (the consortium operator)
    /// @param feedInPrice_ S, token base units per kWh
    /// @param gridPrice_ B
    /// @param gridFee_ G
    /// @param maxReadingFactor_ largest accepted buyer reading as a multiple of the contract (>= 1)
    /// @param credit_ the credit ledger (this policy needs its SETTLEMENT_ROLE)
    /// @param penaltyPool_ the penalty pool (SETTLEMENT_ROLE)
    /// @param nodeWeights_ the node weights (SETTLEMENT_ROLE)
    /// @param gridAccount_ the grid account (POLICY_ROLE)
    constructor(
        address admin,
        uint256 feedInPrice_,
        uint256 gridPrice_,
        uint256 gridFee_,
        uint256 maxReadingFactor_,
        ICreditWeights credit_,
        IPenaltyPool penaltyPool_,
        INodeWeights nodeWeights_,
        IGridAccount gridAccount_
    ) {
        if (
            admin == address(0) || address(credit_) == address(0) || address(penaltyPool_) == address(0)
                || address(nodeWeights_) == address(0) || address(gridAccount_) == address(0)
        ) revert ZeroAddress();
        if (maxReadingFactor_ == 0) revert ReadingFactorBelowOne(maxReadingFactor_);
        feedInPrice = feedInPrice_;
        gridPrice = gridPrice_;
        gridFee = gridFee_;
        maxReadingFactor = maxReadingFactor_;
        credit = credit_;
        penaltyPool = penaltyPool_;
        nodeWeights = nodeWeights_;
        gridAccount = gridAccount_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ISettlementPolicy
    function deposits(Terms calldata terms) public view returns (uint256 buyerDeposit, uint256 sellerDeposit) {
        uint256 ce = terms.energyWh;
        uint256 u = terms.pricePerKwh;
        uint256 perKwh = Math.max(gridPrice, u + gridFee); // the most a kWh can cost the buyer
        buyerDeposit = Math.max(
            Units.costUp(ce * maxReadingFactor, perKwh), // over-consumption, no penalty
            Units.costUp(ce, perKwh) + _penaltyCap(ce, _sellerLossRate(u)) // default: expense < C_e*rate + M_y
        );
        sellerDeposit = _penaltyCap(ce, _buyerLossRate(u));
    }

    /// @inheritdoc ISettlementPolicy
    function settle(Terms calldata terms, uint256 deliveredWh, uint256 receivedWh)
        external
        onlyRole(MARKET_ROLE)
        returns (Outcome memory outcome)
    {
        uint256 ce = terms.energyWh;
        if (_settled[terms.orderId]) revert OrderAlreadySettled(terms.orderId);
        if (ce == 0) revert ZeroContractedEnergy(terms.orderId);
        if (terms.seller == terms.buyer) revert SelfTrade(terms.orderId, terms.seller);
        deliveredWh = _capped(terms.orderId, ce, deliveredWh, true);
        receivedWh = _capped(terms.orderId, ce, receivedWh, false);
        _settled[terms.orderId] = true;

        ICreditWeights.Update memory u = credit.applySettlement(
            ICreditWeights.Settlement({
                orderId: terms.orderId,
                periodId: terms.periodId,
                seller: terms.seller,
                buyer: terms.buyer,
                contractedWh: ce,
                sellerActualWh: deliveredWh,
                buyerActualWh: receivedWh,
                periodContractedWh: terms.periodContractedWh
            })
        );
        Breakdown memory b = _breakdown(terms, deliveredWh, receivedWh, u);
        (uint256 buyerDeposit, uint256 sellerDeposit) = deposits(terms);
        uint256 p2p = b.sellerIncome - b.feedIn;
        outcome.toGrid = b.buyerExpense - p2p; // fee + top-up
        outcome.toSeller = sellerDeposit - b.sellerPenalty + p2p + b.sellerCompensation;
        outcome.toBuyer = buyerDeposit - b.buyerExpense - b.buyerPenalty + b.buyerCompensation;
        outcome.toPool = b.pooled;
        outcome.sellerPenalty = b.sellerPenalty;
        outcome.buyerPenalty = b.buyerPenalty;

        nodeWeights.recordDelivery(u.round, terms.seller, terms.buyer, ce, deliveredWh, receivedWh);
        if (b.pooled > 0) penaltyPool.queuePenalty(terms.orderId, u.round, terms.seller, terms.buyer, b.pooled);
        if (b.feedIn > 0) gridAccount.creditFeedIn(terms.orderId, terms.seller, b.feedIn);
        emit GridSettled(terms.orderId, terms.periodId, terms.seller, terms.buyer, b);
    }

    /// @inheritdoc ISettlementPolicy
    function pool() external view returns (address) {
        return address(penaltyPool);
    }

    /// @inheritdoc ISettlementPolicy
    function grid() external view returns (address) {
        return address(gridAccount);
    }

    /// @notice Whether `orderId` has been settled through this policy.
    /// @param orderId the order
    /// @return settled
    function isSettled(uint256 orderId) external view returns (bool) {
        return _settled[orderId];
    }

    // ------------------------------------------------------------------ internals

    /// @dev A reading above `maxReadingFactor * C_e` settles at that cap (escrow covers it; never blocks).
    function _capped(uint256 orderId, uint256 ce, uint256 readingWh, bool sellerSide) private returns (uint256) {
        uint256 cap = ce * maxReadingFactor;
        if (readingWh <= cap) return readingWh;
        emit ReadingCapped(orderId, sellerSide, readingWh, cap);
        return cap;
    }

    /// @dev Money (eq 26-31) and penalties (eq 32-33) of one order, given the credit update (eq 14-17).
    function _breakdown(Terms calldata terms, uint256 ef, uint256 ey, ICreditWeights.Update memory u)
        private
        view
        returns (Breakdown memory b)
    {
        b.round = u.round;
        b.sellerWeightBefore = u.sellerBefore;
        b.sellerWeightAfter = u.sellerAfter;
        b.buyerWeightBefore = u.buyerBefore;
        b.buyerWeightAfter = u.buyerAfter;
        _money(b, terms.pricePerKwh, ef, ey);
        _penalties(b, terms.energyWh, terms.pricePerKwh, ef, ey, u);
    }

    /// @dev seed 001 eq 26-31 (SPEC §4 sign in eq 26): fills income, expense, grid revenue and feed-in.
    function _money(Breakdown memory b, uint256 price, uint256 ef, uint256 ey) private view {
        uint256 shared = Math.min(ef, ey);
        uint256 p2p = Units.costDown(shared, price);
        uint256 gridIn = Units.costDown(shared, gridFee); // fee on the peer-to-peer energy
        if (ey > ef) gridIn += Units.costDown(ey - ef, gridPrice); // seed 001 eq 30-31: top-up at B
        if (ef > ey) b.feedIn = Units.costDown(ef - ey, feedInPrice); // seed 001 eq 26, 28: surplus at S
        b.sellerIncome = p2p + b.feedIn; // seed 001 eq 26 / 29
        b.buyerExpense = p2p + gridIn; // seed 001 eq 27 / 30
        b.gridRevenue = int256(gridIn) - int256(b.feedIn); // seed 001 eq 28 / 31
    }

    /// @dev seed 001 eq 32-34: penalties rounded up (the defaulter pays), compensation rounded down, F_w the rest.
    function _penalties(
        Breakdown memory b,
        uint256 ce,
        uint256 price,
        uint256 ef,
        uint256 ey,
        ICreditWeights.Update memory u
    ) private view {
        bool sellerDefaults = ef < ce;
        bool buyerDefaults = ey < ce;
        uint256 eps = (sellerDefaults && buyerDefaults) ? 0 : Units.WAD;
        if (sellerDefaults) {
            uint256 loss = (ce - ef) * _buyerLossRate(price); // (B-U-G)(C_e-E_af), Wh * tokens/kWh
            // seed 001 eq 32: M_f = (B-U-G)(C_e-E_af)(eps+dW_f)
            b.sellerPenalty = Math.mulDiv(loss, eps + u.sellerDrop, Units.WH_PER_KWH * Units.WAD, Math.Rounding.Ceil);
            if (!buyerDefaults) b.buyerCompensation = loss / Units.WH_PER_KWH;
        }
        if (buyerDefaults) {
            uint256 loss = (ce - ey) * _sellerLossRate(price); // (U-S)(C_e-E_ay)
            // seed 001 eq 33: M_y = (U-S)(C_e-E_ay)(eps+dW_y)
            b.buyerPenalty = Math.mulDiv(loss, eps + u.buyerDrop, Units.WH_PER_KWH * Units.WAD, Math.Rounding.Ceil);
            if (!sellerDefaults) b.sellerCompensation = loss / Units.WH_PER_KWH;
        }
        // seed 001 eq 34: F_w, what is left of the penalties after compensating the counterparty
        b.pooled = b.sellerPenalty + b.buyerPenalty - b.sellerCompensation - b.buyerCompensation;
    }

    /// @dev Most a defaulting party can pay: loss rate * C_e * (1 + Wmax), eq 32-33 with dW <= W <= 100.
    function _penaltyCap(uint256 ce, uint256 lossRate) private pure returns (uint256) {
        return Math.mulDiv(ce * lossRate, Units.WAD + Units.MAX_WEIGHT, Units.WH_PER_KWH * Units.WAD, Math.Rounding.Ceil);
    }

    /// @dev The buyer's loss per kWh the seller fails to deliver: B - U - G, or 0.
    function _buyerLossRate(uint256 price) private view returns (uint256) {
        uint256 paid = price + gridFee;
        return gridPrice > paid ? gridPrice - paid : 0;
    }

    /// @dev The seller's loss per kWh the buyer fails to take: U - S, or 0.
    function _sellerLossRate(uint256 price) private view returns (uint256) {
        return price > feedInPrice ? price - feedInPrice : 0;
    }
}
