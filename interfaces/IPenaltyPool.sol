// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Redistribution of default penalties by credit weight (seed 001 eq 34, SPEC §4)
/// @notice Each defaulting contract's pooled penalty F_w goes to every node except the contract's two parties,
///         in proportion to their credit weights after the round's update:
///         `A_i = W_a,i / sum_{j not a party} W_a,j * F_w`. The cost is O(1) per penalty whatever the number of
///         nodes: a per-round reward-per-weight accumulator, the two parties' would-be accrual recorded as debt,
///         and pull withdrawals.
/// @dev Life of a penalty: the settlement policy queues it (`queuePenalty`) while the market transfers its tokens
///      here; once its round is closed in the credit-weight ledger anyone releases it (`release`, O(1) each);
///      once every penalty of a round is released, each node claims its share of the round (`claim`, O(1) per
///      round) and withdraws (`withdraw`).
interface IPenaltyPool {
    event PenaltyQueued(
        uint256 indexed orderId, uint256 indexed round, address indexed seller, address buyer, uint256 amount
    );
    /// @dev `index`: the penalty's place in the queue (the n-th `PenaltyQueued`, from 0, names its order).
    event PenaltyReleased(uint256 indexed index, uint256 indexed round, uint256 amount, uint256 sharedWeight);
    event PenaltyCarriedOver(uint256 indexed index, uint256 indexed round, uint256 amount);
    event RoundDistributed(uint256 indexed round, uint256 index);
    event SharesClaimed(address indexed node, uint256 fromIndex, uint256 toIndex, uint256 amount);
    event ShareWithdrawn(address indexed node, address indexed to, uint256 amount);
    /// @notice A carried penalty no later penalty took within the timeout went to `treasury`'s withdrawable balance.
    event CarriedPenaltyReleased(address indexed treasury, uint256 amount);

    error ZeroAddress();
    error ZeroPenalty(uint256 orderId);
    error RoundOrderViolated(uint256 round, uint256 lastQueuedRound);
    error NothingReleasable(uint256 nextIndex, uint256 queueLength);
    error PoolUnderfunded(uint256 balance, uint256 required);
    error InsufficientShare(address node, uint256 requested, uint256 available);
    error ZeroAmount();
    /// @notice `releaseCarried` with no carried penalty.
    error NothingCarried();
    /// @notice `releaseCarried` before the carried penalty's timeout: a later penalty may still take it.
    error CarryNotDue(uint256 timestamp, uint256 dueAt);

    /// @notice Settlement policy: queue the pooled penalty F_w of one order for redistribution.
    /// @param orderId the order
    /// @param round the credit-weight round it counted in
    /// @param seller a party (excluded from the shares)
    /// @param buyer the other party (excluded)
    /// @param amount F_w, tokens (transferred to this pool by the market in the same transaction)
    function queuePenalty(uint256 orderId, uint256 round, address seller, address buyer, uint256 amount) external;

    /// @notice Anyone: release up to `maxItems` queued penalties whose round is closed, oldest first.
    /// @param maxItems the most penalties to release
    /// @return released how many were released (reverts with `NothingReleasable` when none could be)
    function release(uint256 maxItems) external returns (uint256 released);

    /// @notice Anyone, `CARRY_TIMEOUT` after a penalty was carried over (no node but its parties held weight) and
    ///         no later penalty took it: credit the whole carried amount to the treasury's withdrawable balance
    ///         (pulled with `withdraw`), so a carried penalty always reaches a terminal state (SPEC §7).
    /// @return amount the tokens credited to the treasury (reverts `NothingCarried` / `CarryNotDue`)
    function releaseCarried() external returns (uint256 amount);

    /// @notice Anyone: move `node`'s shares of up to `maxRounds` fully released rounds into its withdrawable balance.
    /// @param node the node credited
    /// @param maxRounds the most rounds to claim
    /// @return amount the tokens credited
    function claim(address node, uint256 maxRounds) external returns (uint256 amount);

    /// @notice Pull `amount` of the caller's claimed shares to `to`.
    /// @param amount tokens
    /// @param to the recipient
    function withdraw(uint256 amount, address to) external;

    /// @notice `node`'s share of the penalties of `round` (0 until the round is fully released).
    /// @param node the node
    /// @param round the round
    /// @return the tokens
    function shareOf(address node, uint256 round) external view returns (uint256);

    /// @notice `node`'s unclaimed shares over up to `maxRounds` fully released rounds.
    /// @param node the node
    /// @param maxRounds the most rounds to look at
    /// @return the tokens
    function claimable(address node, uint256 maxRounds) external view returns (uint256);

    /// @notice Tokens `node` has claimed and not withdrawn.
    /// @param node the node
    /// @return the tokens
    function withdrawable(address node) external view returns (uint256);

    /// @notice Whether every penalty of `round` has been released (its shares are final and claimable).
    /// @param round the round
    /// @return distributed
    function isRoundDistributed(uint256 round) external view returns (bool);
}
