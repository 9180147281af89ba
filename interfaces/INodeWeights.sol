// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Node weights of seed 001 eq 8-25, read by the weighted-Raft consensus emulator
/// @notice Generation node (generator or prosumer), eq 8-10:
///         `W_f = alpha*W_a + beta*W_d + gamma*W_g + eta*W_gc + mu1*W_ce + lambda*W_b`;
///         consumption node, eq 11-13: `W_y = alpha*W_a + beta*W_d + gamma*W_g + eta*W_gc + mu2*W_ce`.
///         Parts, each WAD on the 0..100 scale: credit W_a (eq 14-17, the credit ledger), traded volume W_d
///         (eq 18), consensus participation W_g (eq 19, capped at 100), green certificates W_gc (eq 20), carbon
///         W_ce (eq 21-22) and line reliability W_b (eq 23). W_a and W_g decay every l rounds (eq 24-25).
interface INodeWeights {
    /// @notice The moderating factors (WAD; 0.2 = 2e17) and decay of seed 001 §5.2.
    struct Params {
        uint256 alpha; // credit
        uint256 beta; // volume
        uint256 gamma; // consensus participation
        uint256 eta; // green certificates
        uint256 muGenerator; // carbon, generation nodes (mu1)
        uint256 muConsumer; // carbon, consumption nodes (mu2)
        uint256 lambda; // line reliability, generation nodes only
        uint256 phi; // seed 001 eq 18 adjustment factor, <= 1
        uint256 omega; // seed 001 eq 19 step
        uint256 decayFactor; // e^{-delta} for W_g (seed 001 eq 25)
        uint256 decayEvery; // l: consensus rounds between decays of W_g (0 = never)
    }

    /// @notice One node's weight and its parts, WAD on the 0..100 scale.
    struct Parts {
        uint256 credit;
        uint256 volume;
        uint256 consensus;
        uint256 green;
        uint256 carbon;
        uint256 line;
        uint256 total;
        bool generator;
    }

    event DeliveryRecorded(
        uint256 indexed round,
        address indexed seller,
        address indexed buyer,
        uint256 contractedWh,
        uint256 sellerVolumeWh,
        uint256 buyerVolumeWh,
        bool lineFailure
    );
    event ConsensusRecorded(uint256 indexed consensusRound, address[] repliers);
    event LineFaultReported(address indexed generator, uint256 transmissions, uint256 failures);
    event GreenSourceSet(address indexed source);
    event CarbonSourceSet(address indexed source);

    error ZeroAddress();
    error FactorsExceedOne(uint256 generatorSum, uint256 consumerSum);
    error PhiAboveOne(uint256 phi);
    error DecayFactorOutOfRange(uint256 factor);
    error UnknownNode(address node);
    error DuplicateReplier(address node, uint256 consensusRound);
    error EmptyReplierList();
    error NotAGenerator(address node);

    /// @notice Settlement policy: record one settled delivery (volumes for eq 18, transmissions for eq 23).
    /// @param round the credit-ledger round it counted in
    /// @param seller the generation node
    /// @param buyer the consumption node
    /// @param contractedWh C_e
    /// @param deliveredWh E_af (a delivery below C_e counts as a failed transmission)
    /// @param receivedWh E_ay
    function recordDelivery(
        uint256 round,
        address seller,
        address buyer,
        uint256 contractedWh,
        uint256 deliveredWh,
        uint256 receivedWh
    ) external;

    /// @notice Relayer (fed by the consensus emulator or a node's log): one consensus round k and the nodes whose
    ///         replies were valid; each gains `omega*(k+1)/k`, capped at 100 (eq 19). Cost is linear in the list.
    /// @param repliers the valid repliers, no duplicates, each enrolled in the credit ledger
    function recordConsensus(address[] calldata repliers) external;

    /// @notice Relayer: a line fault during a transmission of `generator` (lightning, flashover, ...): one
    ///         transmission that failed (eq 23).
    /// @param generator a generation node
    function reportLineFault(address generator) external;

    /// @notice Admin: the green-certificate contract read for eq 20 (zero address: W_gc = 0).
    /// @param source an `IGreenWeightSource`
    function setGreenSource(address source) external;

    /// @notice Admin: the carbon ledger read for eq 21-22 (zero address: W_ce = 0).
    /// @param source an `ICarbonWeightSource`
    function setCarbonSource(address source) external;

    /// @notice A node's weight W_f or W_y (eq 8-13), WAD on the 0..100 scale.
    /// @param node the node
    /// @return the weight
    function nodeWeight(address node) external view returns (uint256);

    /// @notice A node's weight with each of its parts.
    /// @param node the node
    /// @return parts the parts and total
    function weightParts(address node) external view returns (Parts memory parts);

    /// @notice Every enrolled node and its weight, in enrolment order (for the consensus emulator).
    /// @return nodes the nodes
    /// @return weights their weights, WAD on the 0..100 scale
    function allWeights() external view returns (address[] memory nodes, uint256[] memory weights);
}
