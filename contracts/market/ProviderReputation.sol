// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPeriodTally, IProviderReputation} from "../../interfaces/IProviderReputation.sol";
import {Units} from "../lib/Units.sol";

/// @title ProviderReputation: C_j(T) and RC_j(T) of every provider (seed 003 eq 1-2, SPEC §2)
/// @notice The order book records trades as they take effect and as they settle; the tally book (`SignedBook`)
///         keeps its own per (provider, period) tally, registers each such period here when the provider's first
///         order in it opens, and the fold reads (pulls) the tally. Anyone folds a provider's finished periods
///         into its comprehensive reputation, oldest first.
/// @dev Invariants:
///  - `reputationOf(j)` is in [0, 1e18] and changes only in `fold`, once per (provider, period with trades),
///    in ascending period order: eq 2 is applied exactly once per period, in sequence. Why ascending: (1) `fold`
///    takes the lowest pending id and stops at the first not ready, so within a call ids ascend and a pending id
///    is never passed over; (2) no period q < p can join `_pending[j]` after p was folded: q joins at the
///    activation (order book) or opening (tally book) of j's first order in q, which happens before q's
///    `signEnd`; p folds only from its own `signEnd`; and `OrderBook.openPeriod` refuses a period whose `signEnd`
///    is before the previous period's (`ScheduleBeforePrevious`), so `signEnd(q) <= signEnd(p)` for q < p.
///    This rests on the recorders' periods being the order book's (the tally book reads `book.period`).
///  - `_pending[j]` holds exactly the periods of j with a record (`open + trades > 0`, or registered by the
///    tally book) not folded yet.
///  - A period is folded only when its signing window is over (no new trade can take effect) and either
///    nothing is open in it (`open == 0` here and, for a period the tally book registered, its tally's `open`)
///    or its deadline (readings end + grace) passed: folding waits on one period for a bounded time, never
///    forever (a buyer's faulty meter cannot freeze the seller's reputation). The tally book registers a period
///    at the opening of the provider's first order in it, before the period's signing window ends, so a later
///    period cannot be folded before it (periods' signing windows end in id order: `OrderBook.openPeriod`).
///  - A period's C_j counts the trades recorded here and those of its tally (read once, at the fold) together;
///    after the fold neither changes it.
///  - After the fold a period's record is final: `recordSettlement` on it only emits `LateTradeIgnored`.
///  - Every loop runs over one provider's own pending periods, never over participants; `fold` searches them in
///    memory (quadratic in memory, linear in storage reads and writes), so a backlog stays foldable.
contract ProviderReputation is IProviderReputation, AccessControl {
    /// @notice The order book(s) allowed to record trades.
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");

    /// @inheritdoc IProviderReputation
    uint256 public immutable alpha;

    /// @inheritdoc IProviderReputation
    IPeriodTally public tallyBook;

    mapping(address provider => uint256) private _rc;
    /// @dev `PeriodRecord` packed in one slot (the first trade of a provider in a period writes one fresh slot,
    ///      not two): timestamps < 2^40 s, sumV <= trades x 1e18 < 2^96 (SafeCast refuses anything larger);
    ///      `tallied`: the tally book registered the period (the fold adds its tally).
    struct Packed {
        uint32 open;
        uint32 trades;
        uint40 signEnd;
        uint40 deadline;
        uint96 sumV;
        bool folded;
        bool tallied;
    }

    mapping(address provider => mapping(uint256 periodId => Packed)) private _records;
    mapping(address provider => uint64[]) private _pending;

    /// @param admin the account that grants roles (the consortium operator)
    /// @param alphaWad alpha of eq 2 in WAD (seed 003 simulation: 0.4e18)
    constructor(address admin, uint256 alphaWad) {
        if (alphaWad > Units.WAD) revert AlphaOutOfRange(alphaWad);
        alpha = alphaWad;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IProviderReputation
    function setTallyBook(IPeriodTally book) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(tallyBook) != address(0)) revert TallyBookAlreadySet(address(tallyBook));
        if (address(book) == address(0)) revert ZeroTallyBook();
        tallyBook = book;
        emit TallyBookSet(address(book));
    }

    /// @inheritdoc IProviderReputation
    function recordTalliedPeriod(address provider, uint256 periodId, uint64 signEnd, uint64 deadline) external {
        if (msg.sender != address(tallyBook) || msg.sender == address(0)) revert NotTallyBook(msg.sender);
        Packed storage r = _records[provider][periodId];
        // a period folds only after its signing window, and orders open only before it: never reached once folded
        if (r.folded || r.tallied) return;
        if (r.open == 0 && r.trades == 0) _pending[provider].push(SafeCast.toUint64(periodId));
        r.tallied = true;
        r.signEnd = SafeCast.toUint40(signEnd);
        r.deadline = SafeCast.toUint40(deadline);
        emit PeriodTallied(provider, periodId);
    }

    /// @inheritdoc IProviderReputation
    function recordActivation(address provider, uint256 periodId, uint64 signEnd, uint64 deadline)
        external
        onlyRole(RECORDER_ROLE)
    {
        Packed storage r = _records[provider][periodId];
        if (r.open == 0 && r.trades == 0 && !r.tallied) _pending[provider].push(SafeCast.toUint64(periodId));
        uint32 open = ++r.open;
        r.signEnd = SafeCast.toUint40(signEnd);
        r.deadline = SafeCast.toUint40(deadline);
        emit TradeOpened(provider, periodId, open);
    }

    /// @inheritdoc IProviderReputation
    function recordSettlement(address provider, uint256 periodId, uint256 deliveredWh, uint256 agreedWh)
        external
        onlyRole(RECORDER_ROLE)
    {
        Packed storage r = _records[provider][periodId];
        if (r.folded) {
            emit LateTradeIgnored(provider, periodId, deliveredWh, agreedWh);
            return;
        }
        if (r.open == 0) revert NoOpenTrade(provider, periodId);
        if (agreedWh == 0) revert ZeroAgreedEnergy(provider, periodId);
        // seed 003 §5.1.2: v = delivered / agreed, capped at 1 (over-delivery earns no extra reputation)
        uint256 v = deliveredWh >= agreedWh ? Units.WAD : Units.wdiv(deliveredWh, agreedWh);
        r.open -= 1;
        r.trades += 1;
        r.sumV = SafeCast.toUint96(r.sumV + v);
        emit TradeRecorded(provider, periodId, deliveredWh, agreedWh, v);
    }

    /// @inheritdoc IProviderReputation
    function fold(address provider) external returns (uint256 reputationWad) {
        uint64[] storage stored = _pending[provider];
        // the list is read once and the oldest searched in memory (review 2 finding 1: a search in storage for
        // every period folded made a backlog of ~150 periods exceed a block's gas, freezing the reputation);
        // the periods still pending are written back once, in the order the swap-and-pop below leaves them
        uint64[] memory pending = stored;
        uint256 count = pending.length;
        uint256 left = count;
        reputationWad = _rc[provider];
        while (left > 0) {
            uint256 oldest = 0;
            for (uint256 i = 1; i < left; i++) {
                if (pending[i] < pending[oldest]) oldest = i;
            }
            uint256 periodId = pending[oldest];
            (bool ready, uint256 trades, uint256 current) = _finished(provider, periodId);
            if (!ready) break;
            _records[provider][periodId].folded = true;
            pending[oldest] = pending[--left];
            // a period whose every trade was still open at its deadline has no C_j: RC unchanged (a count of
            // trades, not a balance: nobody can steer it to dodge an exact comparison)
            // slither-disable-next-line incorrect-equality
            if (trades == 0) continue;
            // seed 003 eq 2: RC_j(T) = alpha*C_j(T) + (1-alpha)*RC_j(T-1), rounded down
            reputationWad = Units.wmul(alpha, current) + Units.wmul(Units.WAD - alpha, reputationWad);
            emit ReputationFolded(provider, periodId, trades, current, reputationWad);
        }
        if (left < count) {
            for (uint256 i = 0; i < left; i++) {
                stored[i] = pending[i];
            }
            for (uint256 i = left; i < count; i++) {
                stored.pop();
            }
        }
        _rc[provider] = reputationWad;
    }

    /// @dev Whether `provider`'s `periodId` may fold now (signing over, and nothing open or the deadline passed),
    ///      its settled trades k_jT and C_j(T) (seed 003 eq 1: sum(v) / k, 0 without trades), counting the trades
    ///      recorded here and, for a registered period, the tally book's (a plain view of its storage).
    function _finished(address provider, uint256 periodId)
        private
        view
        returns (bool ready, uint256 trades, uint256 current)
    {
        Packed storage r = _records[provider][periodId];
        uint256 open = r.open;
        trades = r.trades;
        uint256 sumV = r.sumV;
        if (r.tallied) {
            (uint256 tOpen, uint256 tTrades, uint256 tSumV) = tallyBook.tallyOf(provider, periodId);
            open += tOpen;
            trades += tTrades;
            sumV += tSumV;
        }
        ready = block.timestamp >= r.signEnd && (open == 0 || block.timestamp >= r.deadline);
        if (trades != 0) current = sumV / trades;
    }

    /// @inheritdoc IProviderReputation
    function reputationOf(address provider) external view returns (uint256) {
        return _rc[provider];
    }

    /// @inheritdoc IProviderReputation
    function periodRecord(address provider, uint256 periodId) external view returns (PeriodRecord memory) {
        Packed storage r = _records[provider][periodId];
        return PeriodRecord(r.open, r.trades, r.signEnd, r.sumV, r.deadline, r.folded);
    }

    /// @inheritdoc IProviderReputation
    function pendingPeriods(address provider) external view returns (uint64[] memory) {
        return _pending[provider];
    }
}
