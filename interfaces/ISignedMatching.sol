// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title What the matching market calls on the signed book to open matched orders (issue 13, lean matched path)
/// @notice The `MatchingMarket` derives each pair's terms from the published request and offer of a verified
///         assignment (seed 003 eq 5) and hands them to `SignedBook.openMatched`, which opens each as ONE order word
///         (the hash of its `Order`), escrowing from the parties' internal balances on the signed book.
interface ISignedMatching {
    /// @notice One matched pair's terms: the request's buyer, energy R_i and bonus, the offer's seller and price
    ///         r_j. `requestId` is the matcher's nonce on the book: a request opens at most one order, ever.
    struct Match {
        uint256 requestId;
        address seller;
        address buyer;
        uint256 energyWh;
        uint256 pricePerKwh;
        uint256 bonus;
    }

    /// @notice The matcher (MATCHER_ROLE) only: open one order per match of period `periodId`; a refused item is
    ///         skipped (`BatchItemSkipped`), the others open. Order id: `uint256(keccak256(abi.encode(matcher,
    ///         requestId)))`.
    /// @param periodId the period of every match
    /// @param matches the pairs' terms
    /// @return opened how many opened
    function openMatched(uint256 periodId, Match[] calldata matches) external returns (uint256 opened);
}
