// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The grid operator as an account of its own (seed 001 §4.3.1, SPEC §4)
/// @notice In grid-balanced settlement the grid earns the over-the-grid fee G and the top-up energy a consumer
///         draws at price B, and it *buys* a generator's surplus at the feed-in price S. Fees and top-ups reach
///         this account through the market (`collect`); feed-in purchases are owed to generators here and pulled
///         by them (`withdrawFeedIn`). The grid operator may take out only what exceeds what it owes.
interface IGridAccount {
    event FeedInCredited(uint256 indexed orderId, address indexed generator, uint256 amount);
    event FeedInWithdrawn(address indexed generator, address indexed to, uint256 amount);
    event RevenueCollected(address indexed market, uint256 amount);
    event FeedInWrittenOff(address indexed generator, address indexed operator, uint256 amount, bytes32 reason);
    event SurplusWithdrawn(address indexed operator, address indexed to, uint256 amount);

    error ZeroAddress();
    error NothingOwed(address generator);
    error GridUnderfunded(uint256 required, uint256 balance);
    error NothingPayable(address generator, uint256 owed, uint256 balance, uint256 totalOwed);
    error WriteOffAboveOwed(address generator, uint256 amount, uint256 owed);
    error ExceedsSurplus(uint256 requested, uint256 surplus);

    /// @notice Settlement policy: record that the grid bought `amount` tokens of surplus energy from `generator`.
    /// @param orderId the order the surplus came from
    /// @param generator the seller
    /// @param amount (E_af - E_ay) * S, tokens
    function creditFeedIn(uint256 orderId, address generator, uint256 amount) external;

    /// @notice Generator: pull what the grid owes the caller for feed-in energy: all of it when the account is
    ///         funded, else the caller's pro-rata share `owed * balance / totalOwed` (rounded down); the rest is
    ///         deferred (`feedInDeferred`) and paid once the account covers every claim. No first-come advantage.
    /// @param to the recipient
    /// @return amount the tokens paid
    function withdrawFeedIn(address to) external returns (uint256 amount);

    /// @notice Anyone: pull the grid's fee and top-up revenue credited to this account by `market`.
    /// @param market an `IEnergyMarket` that credited this account
    /// @return amount the tokens received
    function collect(address market) external returns (uint256 amount);

    /// @notice Grid operator: write off (part of) what the grid owes a generator, e.g. a feed-in claim found
    ///         implausible on review, unblocking the surplus. Public and final: `FeedInWrittenOff` names the reason.
    /// @param generator the generator
    /// @param amount tokens to write off (at most what is owed)
    /// @param reason a short reason code
    function writeOff(address generator, uint256 amount, bytes32 reason) external;

    /// @notice Grid operator: take out revenue beyond what is owed to generators (current and deferred).
    /// @param amount tokens
    /// @param to the recipient
    function withdrawSurplus(uint256 amount, address to) external;

    /// @notice Feed-in purchases owed to `generator` and not yet withdrawn.
    /// @param generator the generator
    /// @return the tokens
    function feedInOwed(address generator) external view returns (uint256);

    /// @notice Sum of every generator's `feedInOwed`.
    /// @return the tokens
    function totalOwed() external view returns (uint256);

    /// @notice The unpaid rest of `generator`'s claims withdrawn while the account was underfunded; paid in full
    ///         once the account covers every claim (current and deferred).
    /// @param generator the generator
    /// @return the tokens
    function feedInDeferred(address generator) external view returns (uint256);

    /// @notice Sum of every generator's `feedInDeferred`.
    /// @return the tokens
    function totalDeferred() external view returns (uint256);
}
