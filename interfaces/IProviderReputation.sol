// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Provider reputation C_j(T), RC_j(T) (seed 003 eq 1-2, SPEC §2)
/// @notice Per provider and period the market records each trade that took effect and, at settlement, its
///         completion ratio v = min(delivered / agreed, 1). Once a period's signing window is over and all of
///         the provider's trades in it are settled, the period is folded into the comprehensive reputation:
///         `C_j(T) = mean(v)`, `RC_j(T) = alpha*C_j(T) + (1-alpha)*RC_j(T-1)`, `RC_j(0) = 0`, in WAD.
///         Periods in which the provider had no trade leave RC unchanged. Folding is permissionless.
///         Folding never blocks on one period for good: once the period's settlement deadline (readings end + the
///         market's grace period) has passed, the period is folded with the trades settled so far; a trade still
///         open then (the order book resolves it by its fallback) is left out of C_j, and a settlement recorded
///         after the fold changes nothing.
///         A second source, the tally book (`SignedBook`), keeps per (provider, period) its own tally (open orders,
///         settled trades, sum of v) and registers the period here (`recordTalliedPeriod`) when the provider's
///         first order in it opens; `fold` reads the tally (`IPeriodTally.tallyOf`) and waits on it exactly as on
///         the trades recorded here (until nothing is open or the deadline passed), then counts both together.
interface IProviderReputation {
    /// @notice The trades of one provider in one period.
    struct PeriodRecord {
        uint32 open; // trades in effect, not yet settled
        uint32 trades; // k_jT: settled trades
        uint64 signEnd; // after this no new trade of the period can take effect
        uint128 sumV; // sum of v over settled trades, WAD
        uint64 deadline; // after this the period folds even with trades still open
        bool folded; // the period was folded into RC; later settlements are ignored
    }

    event TradeOpened(address indexed provider, uint256 indexed periodId, uint256 open);
    event TradeRecorded(address indexed provider, uint256 indexed periodId, uint256 deliveredWh, uint256 agreedWh, uint256 vWad);
    event LateTradeIgnored(address indexed provider, uint256 indexed periodId, uint256 deliveredWh, uint256 agreedWh);
    event TallyBookSet(address book);
    event PeriodTallied(address indexed provider, uint256 indexed periodId);
    event ReputationFolded(
        address indexed provider, uint256 indexed periodId, uint256 trades, uint256 currentWad, uint256 reputationWad
    );

    error AlphaOutOfRange(uint256 alphaWad);
    error NoOpenTrade(address provider, uint256 periodId);
    error ZeroAgreedEnergy(address provider, uint256 periodId);
    error TallyBookAlreadySet(address book);
    error ZeroTallyBook();
    error NotTallyBook(address caller);

    /// @notice alpha of eq 2 (WAD, 0..1e18).
    /// @return alpha
    function alpha() external view returns (uint256);

    /// @notice The provider's comprehensive reputation RC_j after its last folded period (WAD).
    /// @param provider the provider
    /// @return RC_j
    function reputationOf(address provider) external view returns (uint256);

    /// @notice The provider's record for one period.
    /// @param provider the provider
    /// @param periodId the period
    /// @return the record
    function periodRecord(address provider, uint256 periodId) external view returns (PeriodRecord memory);

    /// @notice Periods with trades of `provider` not folded yet (unordered).
    /// @param provider the provider
    /// @return the period ids
    function pendingPeriods(address provider) external view returns (uint64[] memory);

    /// @notice The book whose per-period tallies `fold` reads (zero until the admin sets it).
    /// @return the tally book
    function tallyBook() external view returns (IPeriodTally);

    /// @notice Admin only, once: the book whose tallies `fold` reads (`SignedBook`); it alone may register periods.
    /// @param book the tally book
    function setTallyBook(IPeriodTally book) external;

    /// @notice The tally book only: `provider` has an order in `periodId` (called at the opening of its first
    ///         one, before the period's signing window ends). Registers the period once: `fold` then reads its
    ///         tally and waits for it. A repeated call changes nothing.
    /// @param provider the seller
    /// @param periodId the period
    /// @param signEnd the period's signing deadline
    /// @param deadline when the period's orders can all be brought to a terminal state (readings end + grace)
    function recordTalliedPeriod(address provider, uint256 periodId, uint64 signEnd, uint64 deadline) external;

    /// @notice Recorder (the order book): a trade of `provider` in `periodId` took effect.
    /// @param provider the seller
    /// @param periodId the period
    /// @param signEnd the period's signing deadline
    /// @param deadline when the period's orders can all be brought to a terminal state (readings end + grace)
    function recordActivation(address provider, uint256 periodId, uint64 signEnd, uint64 deadline) external;

    /// @notice Recorder (the order book): a trade of `provider` in `periodId` was settled.
    /// @param provider the seller
    /// @param periodId the period
    /// @param deliveredWh the seller-side reading rho (Wh)
    /// @param agreedWh the contracted energy R (Wh)
    function recordSettlement(address provider, uint256 periodId, uint256 deliveredWh, uint256 agreedWh) external;

    /// @notice Anyone: fold every finished period of `provider`, oldest first, into RC (eq 1-2). Stops at the
    ///         oldest pending period that is not finished (signing still open, or trades unsettled and the
    ///         period's deadline not reached). The loop is
    ///         bounded by the provider's own pending periods, never by the number of participants; the search
    ///         for the oldest runs in memory, so a backlog of hundreds of periods folds in one call.
    /// @param provider the provider
    /// @return reputationWad RC_j after folding
    function fold(address provider) external returns (uint256 reputationWad);
}

/// @title A book that tallies provider reputation per (provider, period) itself (`SignedBook`)
interface IPeriodTally {
    /// @notice The tally of `provider`'s orders in `periodId`.
    /// @param provider the seller
    /// @param periodId the period
    /// @return openOrders orders opened and not ended yet
    /// @return trades orders settled through the policy (k_jT's share of this book)
    /// @return sumVWad sum of v = min(1, delivered / agreed) over those trades (WAD, seed 003 §5.1.2)
    function tallyOf(address provider, uint256 periodId)
        external
        view
        returns (uint256 openOrders, uint256 trades, uint256 sumVWad);
}
