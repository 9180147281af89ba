// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Credit weights W_a of seed 001 eq 14-17 with decay eq 24, kept per settlement round
/// @notice A node's credit weight rises when it delivers (or takes) its contracted energy and falls when
///         it does not; every `decayEvery` rounds all weights are multiplied by e^{-delta}. Weights are WAD
///         on the paper's 0..100 scale (100e18 = 100). The ledger keeps each node's weight per round, so the
///         penalty pool can share a round's penalties by the weights *after* that round's update (eq 34,
///         SPEC §4), whenever it does so.
/// @dev Rounds: a settlement round is a market period. The round accepting updates is `currentRound`; the
///      first settlement of a later period opens that period's round (the earlier one closes); a round also
///      closes as soon as the contracted energy of every order of its period has been settled. A late order
///      of an earlier period (a straggler) counts in the open round, or, if that round is already complete,
///      opens round `currentRound + 1` and counts there: no order of settle calls can refuse a settlement.
interface ICreditWeights {
    /// @notice One settled order as the settlement policy reports it (energies in Wh).
    struct Settlement {
        uint256 orderId;
        uint256 periodId;
        address seller;
        address buyer;
        uint256 contractedWh; // C_e
        uint256 sellerActualWh; // E_af
        uint256 buyerActualWh; // E_ay
        uint256 periodContractedWh; // sum of C_e over the period (seed 001 eq 15's denominator)
    }

    /// @notice What one settlement did to the two parties' credit weights (WAD, 0..100 scale).
    struct Update {
        uint256 round;
        uint256 sellerBefore;
        uint256 sellerAfter;
        uint256 sellerDrop; // dW_f of seed 001 eq 32 (0 when the seller performed)
        uint256 buyerBefore;
        uint256 buyerAfter;
        uint256 buyerDrop; // dW_y of seed 001 eq 33
    }

    event NodeEnrolled(address indexed node, uint256 weight, uint256 indexed round);
    event RoundOpened(uint256 indexed round, uint256 epoch, uint256 roundsCompleted);
    event CreditWeightsDecayed(uint256 indexed epoch, uint256 indexed round, uint256 factor, uint256 totalWeight);
    event CreditWeightUpdated(
        address indexed node,
        uint256 indexed round,
        uint256 indexed orderId,
        uint256 before,
        uint256 after_,
        bool defaulted
    );
    event NodeRetired(address indexed node, uint256 indexed round, uint256 weightRemoved);
    event StragglerRoundClosed(uint256 indexed round, address indexed closedBy);

    error ZeroAddress();
    error DecayFactorOutOfRange(uint256 factor);
    error WeightAboveMax(uint256 weight, uint256 max);
    error AlreadyEnrolled(address node);
    error NotActiveParticipant(address account);
    error NotEnrolled(address node);
    error NotExited(address node, uint8 status);
    error ZeroContractedEnergy(uint256 orderId);
    error PeriodTotalBelowContract(uint256 periodId, uint256 periodContractedWh, uint256 contractedWh);
    error PeriodTotalMismatch(uint256 periodId, uint256 recorded, uint256 given);
    error PeriodOverSettled(uint256 periodId, uint256 settledWh, uint256 contractedWh, uint256 periodContractedWh);
    error ZeroPeriod(uint256 orderId);
    error RoundTooLarge(uint256 periodId);
    error PeriodTotalTooLarge(uint256 periodId, uint256 periodContractedWh);
    error RoundNotClosable(uint256 round, uint256 closableFrom);

    /// @notice Enroller: add an active participant with an initial credit weight (e.g. carried over from
    ///         another system, or the paper's Tables 1-2). Parties are otherwise enrolled automatically at
    ///         their first settlement with `defaultInitialWeight`.
    /// @param node an active participant of the registry, not yet enrolled
    /// @param weight its initial credit weight, WAD on the 0..100 scale
    function enrol(address node, uint256 weight) external;

    /// @notice Settlement policy: apply eq 14-17 to both parties of a settled order, in the open round.
    /// @param s the settled order
    /// @return u the round it counted in and both parties' weights before and after
    function applySettlement(Settlement calldata s) external returns (Update memory u);

    /// @notice Anyone: drop the weight of a participant that has exited the registry to 0, so it no longer
    ///         takes penalty shares.
    /// @param node an exited participant
    function retire(address node) external;

    /// @notice Anyone: close the open round when a straggler opened it ahead of its period (no order of period
    ///         `currentRound` has settled yet) at least `STRAGGLER_ROUND_TIMEOUT` ago, so that the penalties
    ///         queued in it can be released (review 2, finding 3: such a round otherwise stays open until a later
    ///         period settles, possibly never). Later settlements, the round's own period included, count in
    ///         the next round. Reverts `RoundNotClosable(round, closableFrom)` otherwise (closableFrom: the
    ///         earliest time, or type(uint256).max when the round is not a straggler's or is closed already).
    function closeStragglerRound() external;

    /// @notice A node's credit weight now (decays applied), WAD on the 0..100 scale.
    /// @param node the node
    /// @return the weight (0 for a node never enrolled)
    function creditWeight(address node) external view returns (uint256);

    /// @notice A node's credit weight at the end of `round` (the last update in or before it, decayed to it).
    /// @param node the node
    /// @param round an opened round
    /// @return the weight
    function creditWeightAt(address node, uint256 round) external view returns (uint256);

    /// @notice An upper bound of the sum of every node's credit weight at the end of `round` (exact up to a few
    ///         wei of decay rounding; never below the true sum, so shares computed from it never exceed 100%).
    /// @param round an opened round
    /// @return the total
    function totalWeightAt(uint256 round) external view returns (uint256);

    /// @notice The same upper bound, now.
    /// @return the total
    function totalWeight() external view returns (uint256);

    /// @notice Whether `round` can take no more updates (a later round opened, or all its orders settled).
    /// @param round the round
    /// @return closed
    function isRoundClosed(uint256 round) external view returns (bool);

    /// @notice The round that accepts updates now (0 before the first settlement).
    /// @return the round
    function currentRound() external view returns (uint256);

    /// @notice How many times the weights have decayed.
    /// @return the epoch
    function epoch() external view returns (uint256);

    /// @notice Whether `node` is enrolled.
    /// @param node the node
    /// @return enrolled
    function isEnrolled(address node) external view returns (bool);

    /// @notice How many nodes are enrolled.
    /// @return the count
    function nodeCount() external view returns (uint256);

    /// @notice A page of enrolled nodes, in enrolment order.
    /// @param offset index of the first node
    /// @param limit the most nodes to return
    /// @return page the nodes
    function nodes(uint256 offset, uint256 limit) external view returns (address[] memory page);
}
