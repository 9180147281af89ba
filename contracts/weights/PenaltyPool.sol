// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICreditWeights} from "../../interfaces/ICreditWeights.sol";
import {IPenaltyPool} from "../../interfaces/IPenaltyPool.sol";

/// @title PenaltyPool: default penalties shared by credit weight in O(1) per penalty (seed 001 eq 34)
/// @notice Holds the pooled penalties F_w the market transfers here and gives every node
///         `A_i = W_i(R) / (T(R) - W_a(R) - W_b(R)) * F_w` of each penalty of round R whose parties a, b it is not,
///         where W(R) are the credit weights at the end of round R (after the round's update, SPEC §4) and
///         T(R) the total credit weight.
/// @dev Per round R an accumulator `acc[R] = sum_c F_c * PRECISION / D_c` (D_c = T - W_a - W_b) and, for each
///      party of a penalty, a debt `W_party(R) * inc_c` for the increment it must not receive. Then
///      `share_i(R) = (W_i(R) * acc[R] - debt_i(R)) / PRECISION`: exactly W_i * sum_{c not i's} F_c / D_c,
///      rounded down once. No loop over nodes anywhere; release is O(1) per penalty, claim O(1) per round.
///      Invariants:
///  - `token.balanceOf(this) >= queuedTotal - withdrawnTotal` (checked at every release): every token queued is
///    either still here or withdrawn by the node it was owed to.
///  - For each penalty, sum over nodes of their share <= F_w: shares are rounded down and D_c is computed from
///    an upper bound of the total weight, so rounding dust (a few wei) stays in the pool and no share is ever
///    paid twice (a node's claim cursor only moves forward).
///  - A round's shares become claimable only when the round is closed in the credit ledger and all of its
///    penalties are released, so the weights they use never change afterwards.
///  - If the other nodes hold less than `MIN_SHARED_WEIGHT` in total, F_w is carried over to the next released
///    penalty instead of being divided by (almost) nothing. A carried amount reaches a terminal state in bounded
///    time whatever anyone does (SPEC §7): either a later released penalty with other weighted nodes takes it
///    (shared with its own F_w), or from `carriedSince + CARRY_TIMEOUT` anyone moves it with `releaseCarried`
///    to the withdrawable balance of `treasury` (set at deploy). `carriedSince` is the time `carried` last went
///    from 0 to > 0 and is 0 exactly when `carried` is; a further carry adds to `carried` without moving it, so
///    no sequence of carries postpones the release. `releaseCarried` credits the treasury like a claimed share
///    (pulled with `withdraw`), so the balance invariant above still holds, and it loops over nothing.
contract PenaltyPool is IPenaltyPool, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The settlement policies allowed to queue penalties.
    bytes32 public constant SETTLEMENT_ROLE = keccak256("SETTLEMENT_ROLE");
    /// @notice Fixed point of the reward-per-weight accumulators (1e27: exact to the wei for any realistic
    ///         number of penalties, no overflow below ~1e9 penalties per round).
    uint256 public constant PRECISION = 1e27;
    /// @notice Below this total weight of the other nodes (1 point, WAD) a penalty is carried over.
    uint256 public constant MIN_SHARED_WEIGHT = 1e18;
    /// @notice How long a carried penalty waits for a later penalty to take it before anyone may release it to
    ///         the treasury.
    uint256 public constant CARRY_TIMEOUT = 7 days;

    /// @notice One queued penalty, packed into three storage slots. The order is not stored: its id (256 bits on
    ///         SignedBook, where it is an EIP-712 digest) is in `PenaltyQueued`, and the release events name the
    ///         penalty by its queue index.
    struct Item {
        address seller;
        uint48 round;
        address buyer;
        uint256 amount;
    }

    /// @notice The token penalties are paid in (EnergyToken).
    IERC20 public immutable token;
    /// @notice The credit-weight ledger the shares follow.
    ICreditWeights public immutable credit;
    /// @notice Receives a carried penalty no later penalty took within `CARRY_TIMEOUT` (the operator's treasury).
    address public immutable treasury;

    /// @notice Index of the next queued penalty to release.
    uint256 public nextRelease;
    /// @notice A penalty that found no other weighted node, added to the next released one.
    uint256 public carried;
    /// @notice When `carried` last became non-zero (0 while nothing is carried); `releaseCarried` from
    ///         `carriedSince + CARRY_TIMEOUT`.
    uint256 public carriedSince;
    /// @notice Sum of every penalty ever queued.
    uint256 public queuedTotal;
    /// @notice Sum of every withdrawal.
    uint256 public withdrawnTotal;

    Item[] private _queue;
    mapping(uint256 round => uint256) private _acc;
    mapping(uint256 round => uint256) private _queuedIn;
    mapping(uint256 round => uint256) private _releasedIn;
    mapping(address node => mapping(uint256 round => uint256)) private _debt;
    uint256[] private _distributed;
    mapping(address node => uint256) private _cursor;
    mapping(address node => uint256) private _withdrawable;

    /// @param admin grants roles (the consortium operator)
    /// @param token_ the EnergyToken
    /// @param credit_ the credit-weight ledger
    /// @param treasury_ receives, after `CARRY_TIMEOUT`, a carried penalty that no later penalty took
    constructor(address admin, IERC20 token_, ICreditWeights credit_, address treasury_) {
        if (
            admin == address(0) || address(token_) == address(0) || address(credit_) == address(0)
                || treasury_ == address(0)
        ) {
            revert ZeroAddress();
        }
        token = token_;
        credit = credit_;
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IPenaltyPool
    function queuePenalty(uint256 orderId, uint256 round, address seller, address buyer, uint256 amount)
        external
        onlyRole(SETTLEMENT_ROLE)
    {
        if (amount == 0) revert ZeroPenalty(orderId);
        uint256 n = _queue.length;
        if (n != 0 && _queue[n - 1].round > round) revert RoundOrderViolated(round, _queue[n - 1].round);
        _queue.push(Item(seller, SafeCast.toUint48(round), buyer, amount));
        _queuedIn[round] += 1;
        queuedTotal += amount;
        emit PenaltyQueued(orderId, round, seller, buyer, amount);
    }

    /// @inheritdoc IPenaltyPool
    function release(uint256 maxItems) external returns (uint256 released) {
        uint256 balance = token.balanceOf(address(this));
        uint256 required = queuedTotal - withdrawnTotal;
        if (balance < required) revert PoolUnderfunded(balance, required);
        uint256 i = nextRelease;
        uint256 end = Math.min(_queue.length, i + maxItems);
        while (i < end) {
            Item storage item = _queue[i];
            if (!credit.isRoundClosed(item.round)) break;
            _release(i, item);
            i++;
        }
        released = i - nextRelease;
        if (released == 0) revert NothingReleasable(nextRelease, _queue.length);
        nextRelease = i;
    }

    /// @inheritdoc IPenaltyPool
    function releaseCarried() external returns (uint256 amount) {
        amount = carried;
        if (amount == 0) revert NothingCarried();
        uint256 dueAt = carriedSince + CARRY_TIMEOUT;
        if (block.timestamp < dueAt) revert CarryNotDue(block.timestamp, dueAt);
        carried = 0;
        carriedSince = 0;
        _withdrawable[treasury] += amount;
        emit CarriedPenaltyReleased(treasury, amount);
    }

    /// @inheritdoc IPenaltyPool
    function claim(address node, uint256 maxRounds) external returns (uint256 amount) {
        uint256 from = _cursor[node];
        uint256 to = Math.min(_distributed.length, from + maxRounds);
        for (uint256 k = from; k < to; k++) {
            amount += _share(node, _distributed[k]);
        }
        _cursor[node] = to;
        _withdrawable[node] += amount;
        emit SharesClaimed(node, from, to, amount);
    }

    /// @inheritdoc IPenaltyPool
    function withdraw(uint256 amount, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 available = _withdrawable[msg.sender];
        if (amount > available) revert InsufficientShare(msg.sender, amount, available);
        _withdrawable[msg.sender] = available - amount;
        withdrawnTotal += amount;
        emit ShareWithdrawn(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IPenaltyPool
    function shareOf(address node, uint256 round) external view returns (uint256) {
        return isRoundDistributed(round) ? _share(node, round) : 0;
    }

    /// @inheritdoc IPenaltyPool
    function claimable(address node, uint256 maxRounds) external view returns (uint256 amount) {
        uint256 from = _cursor[node];
        uint256 to = Math.min(_distributed.length, from + maxRounds);
        for (uint256 k = from; k < to; k++) {
            amount += _share(node, _distributed[k]);
        }
    }

    /// @inheritdoc IPenaltyPool
    function withdrawable(address node) external view returns (uint256) {
        return _withdrawable[node];
    }

    /// @inheritdoc IPenaltyPool
    function isRoundDistributed(uint256 round) public view returns (bool) {
        return credit.isRoundClosed(round) && _releasedIn[round] == _queuedIn[round];
    }

    /// @notice How many penalties were ever queued.
    /// @return the count
    function queueLength() external view returns (uint256) {
        return _queue.length;
    }

    /// @notice One queued penalty.
    /// @param index its position in the queue
    /// @return the penalty
    function queued(uint256 index) external view returns (Item memory) {
        return _queue[index];
    }

    /// @notice How many rounds with penalties are fully distributed (claimable).
    /// @return count the number of distributed rounds
    function distributedRounds() external view returns (uint256 count) {
        return _distributed.length;
    }

    /// @notice The round at position `index` of the distributed rounds.
    /// @param index position
    /// @return the round
    function distributedRound(uint256 index) external view returns (uint256) {
        return _distributed[index];
    }

    /// @notice How many distributed rounds `node` has claimed.
    /// @param node the node
    /// @return the claim cursor
    function claimCursor(address node) external view returns (uint256) {
        return _cursor[node];
    }

    // ------------------------------------------------------------------ internals

    /// @dev seed 001 eq 34 for one penalty, in O(1): raise the round's reward-per-weight by F_w / D and record the
    ///      two parties' would-be accrual as debt.
    function _release(uint256 index, Item storage item) private {
        uint256 round = item.round;
        uint256 before = carried;
        uint256 amount = item.amount + before;
        uint256 wa = credit.creditWeightAt(item.seller, round);
        uint256 wb = credit.creditWeightAt(item.buyer, round);
        uint256 total = credit.totalWeightAt(round);
        uint256 shared = total - wa - wb; // D_c: total >= every node's weight, so this cannot underflow
        if (shared < MIN_SHARED_WEIGHT) {
            if (before == 0) carriedSince = block.timestamp; // a carry starts (a later one keeps its start)
            carried = amount;
            emit PenaltyCarriedOver(index, round, amount);
        } else {
            if (before != 0) {
                carried = 0; // taken by this penalty: shared with its own F_w
                carriedSince = 0;
            }
            uint256 inc = Math.mulDiv(amount, PRECISION, shared);
            _acc[round] += inc;
            _debt[item.seller][round] += wa * inc;
            _debt[item.buyer][round] += wb * inc;
            emit PenaltyReleased(index, round, amount, shared);
        }
        uint256 done = ++_releasedIn[round];
        if (done == _queuedIn[round]) {
            _distributed.push(round);
            emit RoundDistributed(round, _distributed.length - 1);
        }
    }

    function _share(address node, uint256 round) private view returns (uint256) {
        uint256 acc = _acc[round];
        if (acc == 0) return 0;
        uint256 w = credit.creditWeightAt(node, round);
        return (w * acc - _debt[node][round]) / PRECISION;
    }
}
