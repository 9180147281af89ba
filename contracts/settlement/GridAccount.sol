// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {IGridAccount} from "../../interfaces/IGridAccount.sol";

/// @title GridAccount: the grid's tokens and what it owes generators for feed-in energy (seed 001 eq 26-31)
/// @notice `grid()` of the grid-balanced policy. Receives G and B revenue from the market, owes S for surplus
///         energy. The grid operator funds it (a plain ERC-20 transfer) when feed-in exceeds revenue.
/// @dev Invariants:
///  - `totalOwed` = sum of `feedInOwed` over generators; it changes only by `creditFeedIn` (+) and
///    `withdrawFeedIn` (-).
///  - `totalOwed` changes also by `writeOff` (-), the grid operator's only say over claims (evented).
///  - The operator can never withdraw below `totalOwed`: `withdrawSurplus` leaves balance >= totalOwed.
///  - `totalDeferred` = sum of `feedInDeferred`: the unpaid rest of claims withdrawn while underfunded.
///  - Underfunded (balance < totalOwed): a withdrawal pays `owed * balance / totalOwed` and defers the rest, so
///    the ratio balance / totalOwed never falls and no generator's claim is drained by an earlier one. Deferred
///    claims are paid in full once balance >= totalOwed + totalDeferred.
///  - The operator can never withdraw below `totalOwed + totalDeferred`.
///  - Per order the feed-in is bounded by the policy's reading cap (GridBalancedSettlement) and each reading by
///    the meter's rated power (MeterAuthenticated).
///  - Payments are pulled, after effects (checks-effects-interactions, ReentrancyGuard).
contract GridAccount is IGridAccount, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Settlement policies that may record feed-in purchases.
    bytes32 public constant POLICY_ROLE = keccak256("POLICY_ROLE");
    /// @notice The grid operator, who may take out the surplus.
    bytes32 public constant GRID_OPERATOR_ROLE = keccak256("GRID_OPERATOR_ROLE");

    /// @notice The token (EnergyToken).
    IERC20 public immutable token;

    /// @inheritdoc IGridAccount
    mapping(address generator => uint256) public feedInOwed;
    /// @inheritdoc IGridAccount
    uint256 public totalOwed;
    /// @inheritdoc IGridAccount
    mapping(address generator => uint256) public feedInDeferred;
    /// @inheritdoc IGridAccount
    uint256 public totalDeferred;

    /// @param admin grants roles (the consortium operator)
    /// @param gridOperator the grid operator
    /// @param token_ the EnergyToken
    constructor(address admin, address gridOperator, IERC20 token_) {
        if (admin == address(0) || gridOperator == address(0) || address(token_) == address(0)) revert ZeroAddress();
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GRID_OPERATOR_ROLE, gridOperator);
    }

    /// @inheritdoc IGridAccount
    function creditFeedIn(uint256 orderId, address generator, uint256 amount) external onlyRole(POLICY_ROLE) {
        feedInOwed[generator] += amount;
        totalOwed += amount;
        emit FeedInCredited(orderId, generator, amount);
    }

    /// @inheritdoc IGridAccount
    function withdrawFeedIn(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        uint256 owed = feedInOwed[msg.sender];
        uint256 deferred = feedInDeferred[msg.sender];
        if (owed + deferred == 0) revert NothingOwed(msg.sender);
        uint256 balance = token.balanceOf(address(this));
        uint256 senior = totalOwed;
        // deferred remainders of earlier shortfalls: paid once the account covers every claim
        bool payDeferred = deferred > 0 && balance >= senior + totalDeferred;
        // underfunded: the caller's pro-rata share; the rest of its claim becomes deferred, so
        // balance / totalOwed is the same for every later claimant (no first-come advantage)
        amount = balance >= senior ? owed : Math.mulDiv(owed, balance, senior);
        if (payDeferred) amount += deferred;
        // false positive: refuses an empty payout; a donation only makes `amount` larger, never blocks it
        // slither-disable-next-line incorrect-equality
        if (amount == 0) revert NothingPayable(msg.sender, owed + deferred, balance, senior + totalDeferred);
        if (payDeferred) {
            feedInDeferred[msg.sender] = 0;
            totalDeferred -= deferred;
        } else if (amount < owed) {
            feedInDeferred[msg.sender] = deferred + owed - amount;
            totalDeferred += owed - amount;
        }
        feedInOwed[msg.sender] = 0;
        totalOwed -= owed;
        emit FeedInWithdrawn(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }

    /// @inheritdoc IGridAccount
    function collect(address market) external nonReentrant returns (uint256 amount) {
        if (market == address(0)) revert ZeroAddress();
        // Count what actually arrived rather than trusting the callee's return value.
        uint256 before = token.balanceOf(address(this));
        // deliberate: the amount is measured as the balance change, never trusted from the callee
        // slither-disable-next-line unused-return
        IEnergyMarket(market).withdraw();
        amount = token.balanceOf(address(this)) - before;
        emit RevenueCollected(market, amount);
    }

    /// @inheritdoc IGridAccount
    function writeOff(address generator, uint256 amount, bytes32 reason) external onlyRole(GRID_OPERATOR_ROLE) {
        uint256 owed = feedInOwed[generator];
        uint256 deferred = feedInDeferred[generator];
        if (amount == 0 || amount > owed + deferred) revert WriteOffAboveOwed(generator, amount, owed + deferred);
        // the deferred remainder first, then the current claim
        uint256 fromDeferred = amount < deferred ? amount : deferred;
        feedInDeferred[generator] = deferred - fromDeferred;
        totalDeferred -= fromDeferred;
        feedInOwed[generator] = owed - (amount - fromDeferred);
        totalOwed -= amount - fromDeferred;
        emit FeedInWrittenOff(generator, msg.sender, amount, reason);
    }

    /// @inheritdoc IGridAccount
    function withdrawSurplus(uint256 amount, address to) external onlyRole(GRID_OPERATOR_ROLE) nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        uint256 balance = token.balanceOf(address(this));
        uint256 claims = totalOwed + totalDeferred;
        uint256 surplus = balance > claims ? balance - claims : 0;
        if (amount > surplus) revert ExceedsSurplus(amount, surplus);
        emit SurplusWithdrawn(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }
}
