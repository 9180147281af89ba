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
    event SurplusWithdrawn(address indexed operator, address indexed to, uint256 amount);

    error ZeroAddress();
    error NothingOwed(address generator);
    error GridUnderfunded(uint256 required, uint256 balance);
    error ExceedsSurplus(uint256 requested, uint256 surplus);

    /// @notice Settlement policy: record that the grid bought `amount` tokens of surplus energy from `generator`.
    /// @param orderId the order the surplus came from
    /// @param generator the seller
    /// @param amount (E_af - E_ay) * S, tokens
    function creditFeedIn(uint256 orderId, address generator, uint256 amount) external;

    /// @notice Generator: pull everything the grid owes the caller for feed-in energy.
    /// @param to the recipient
    /// @return amount the tokens paid
    function withdrawFeedIn(address to) external returns (uint256 amount);

    /// @notice Anyone: pull the grid's fee and top-up revenue credited to this account by `market`.
    /// @param market an `IEnergyMarket` that credited this account
    /// @return amount the tokens received
    function collect(address market) external returns (uint256 amount);

    /// @notice Grid operator: take out revenue beyond what is owed to generators.
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
}
