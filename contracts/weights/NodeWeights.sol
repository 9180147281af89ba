// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICarbonWeightSource} from "../../interfaces/ICarbonWeightSource.sol";
import {ICreditWeights} from "../../interfaces/ICreditWeights.sol";
import {IGreenWeightSource} from "../../interfaces/IGreenWeightSource.sol";
import {INodeWeights} from "../../interfaces/INodeWeights.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {Units} from "../lib/Units.sol";

/// @title NodeWeights: the node weight of seed 001 eq 8-25 for weighted Raft
/// @notice Combines the credit ledger's W_a with what this contract records (traded volume, consensus
///         participation, line reliability) and what the certificate and carbon contracts report. Definitions:
///  - W_d (eq 18): `(v - phi*m) / (E_max - phi*m) * 100` for the node's most recent trading round, where v is
///    the node's sum over its contracts of min(actual, contracted), m the round's smallest min(actual, contracted)
///    over every party of every contract, and E_max the round's largest contracted energy; capped at 100.
///  - W_g (eq 19): +omega*(k+1)/k for each valid reply in consensus round k (k = 1, 2, ... counted here), capped at
///    100, decayed by e^{-delta} after every l consensus rounds (eq 25).
///  - W_b (eq 23): `(C_t - C_b) / C_t * 100`. A transmission is each settled delivery of the generation node plus
///    each relayer-reported line fault; a failure is a delivery below its contract or a reported fault. 0 before
///    the first transmission (weights are earned, as W_a and W_g start at 0 in §5.2).
///  - W_gc (eq 20) and W_ce (eq 21-22) come from admin-set sources, 0 while unset; W_ce = 100 for every node
///    when all settlements of the cycle are equal (eq 21 is 0/0 then).
/// @dev Invariants: every part and the total lie in [0, 100e18], because each part is capped at 100 and the
///      factors of either formula add up to at most 1 (checked in the constructor). Recording is O(1) per
///      delivery and linear in the replier list for consensus; only the `allWeights` view loops over nodes.
contract NodeWeights is INodeWeights, AccessControl {
    /// @notice Settlement policies that report deliveries.
    bytes32 public constant SETTLEMENT_ROLE = keccak256("SETTLEMENT_ROLE");
    /// @notice Relayers that report consensus rounds and line faults.
    bytes32 public constant RELAYER_ROLE = keccak256("RELAYER_ROLE");

    /// @notice The credit ledger (W_a and the list of nodes).
    ICreditWeights public immutable credit;
    /// @notice The registry (generation or consumption node).
    IParticipantRegistry public immutable registry;

    /// @notice alpha_1 = alpha_2 of eq 9/12: the credit factor (WAD; seed 001 §5.2: 0.2).
    uint256 public immutable alpha;
    /// @notice beta of eq 9/12: the traded-volume factor (0.2).
    uint256 public immutable beta;
    /// @notice gamma of eq 9/12: the consensus-participation factor (0.3).
    uint256 public immutable gamma;
    /// @notice eta of eq 10/13: the green-certificate factor (0.1).
    uint256 public immutable eta;
    /// @notice mu_1 of eq 10: the carbon factor of generation nodes (0.1).
    uint256 public immutable muGenerator;
    /// @notice mu_2 of eq 13: the carbon factor of consumption nodes (0.2).
    uint256 public immutable muConsumer;
    /// @notice lambda of eq 10: the line-reliability factor of generation nodes (0.1).
    uint256 public immutable lambda;
    /// @notice phi of eq 18 (0.5).
    uint256 public immutable phi;
    /// @notice omega of eq 19 (1).
    uint256 public immutable omega;
    /// @notice e^{-delta} of eq 25 in WAD (delta = 0.05).
    uint256 public immutable decayFactor;
    /// @notice l: consensus rounds between two decays of W_g (30).
    uint256 public immutable decayEvery;

    /// @notice The eq 20 source (zero: W_gc = 0).
    IGreenWeightSource public greenSource;
    /// @notice The eq 21-22 source (zero: W_ce = 0).
    ICarbonWeightSource public carbonSource;
    /// @notice Consensus rounds recorded so far (k of eq 19 for the latest one).
    uint256 public consensusRounds;

    struct Trading {
        uint64 round; // the node's most recent trading round
        uint128 volumeWh; // its sum of min(actual, contracted) in that round
        uint32 transmissions; // C_t (generation nodes)
        uint32 failures; // C_b
    }

    struct Participation {
        uint128 weight; // W_g as of `epoch`
        uint64 epoch; // consensus decay epoch of `weight`
        uint64 lastRound; // the last consensus round it replied in
    }

    struct RoundVolumes {
        uint128 minVolumePlusOne; // 1 + m (0 = no delivery yet)
        uint128 maxContractedWh; // E_max
    }

    mapping(address node => Trading) private _trading;
    mapping(address node => Participation) private _participation;
    mapping(uint256 round => RoundVolumes) private _rounds;

    /// @param admin grants roles (the consortium operator)
    /// @param relayer the first relayer (consensus emulator / node log reader)
    /// @param credit_ the credit ledger
    /// @param registry_ the registry
    /// @param p the moderating factors and decay (seed 001 §5.2 defaults in `energy_trading.weights`)
    constructor(address admin, address relayer, ICreditWeights credit_, IParticipantRegistry registry_, Params memory p) {
        if (admin == address(0) || address(credit_) == address(0) || address(registry_) == address(0)) {
            revert ZeroAddress();
        }
        uint256 generatorSum = p.alpha + p.beta + p.gamma + p.eta + p.muGenerator + p.lambda;
        uint256 consumerSum = p.alpha + p.beta + p.gamma + p.eta + p.muConsumer;
        if (generatorSum > Units.WAD || consumerSum > Units.WAD) revert FactorsExceedOne(generatorSum, consumerSum);
        if (p.phi > Units.WAD) revert PhiAboveOne(p.phi);
        if (p.decayFactor == 0 || p.decayFactor > Units.WAD) revert DecayFactorOutOfRange(p.decayFactor);
        credit = credit_;
        registry = registry_;
        alpha = p.alpha;
        beta = p.beta;
        gamma = p.gamma;
        eta = p.eta;
        muGenerator = p.muGenerator;
        muConsumer = p.muConsumer;
        lambda = p.lambda;
        phi = p.phi;
        omega = p.omega;
        decayFactor = p.decayFactor;
        decayEvery = p.decayEvery;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (relayer != address(0)) _grantRole(RELAYER_ROLE, relayer);
    }

    // ------------------------------------------------------------------ writes

    /// @inheritdoc INodeWeights
    function recordDelivery(
        uint256 round,
        address seller,
        address buyer,
        uint256 contractedWh,
        uint256 deliveredWh,
        uint256 receivedWh
    ) external onlyRole(SETTLEMENT_ROLE) {
        uint256 sellerVolume = Math.min(deliveredWh, contractedWh);
        uint256 buyerVolume = Math.min(receivedWh, contractedWh);
        RoundVolumes storage r = _rounds[round];
        uint256 smallest = Math.min(sellerVolume, buyerVolume);
        if (r.minVolumePlusOne == 0 || smallest + 1 < r.minVolumePlusOne) r.minVolumePlusOne = uint128(smallest + 1);
        if (contractedWh > r.maxContractedWh) r.maxContractedWh = uint128(contractedWh);
        _addVolume(seller, round, sellerVolume);
        _addVolume(buyer, round, buyerVolume);
        Trading storage t = _trading[seller];
        t.transmissions += 1;
        bool failed = deliveredWh < contractedWh;
        if (failed) t.failures += 1;
        emit DeliveryRecorded(round, seller, buyer, contractedWh, sellerVolume, buyerVolume, failed);
    }

    /// @inheritdoc INodeWeights
    function recordConsensus(address[] calldata repliers) external onlyRole(RELAYER_ROLE) {
        if (repliers.length == 0) revert EmptyReplierList();
        uint256 k = ++consensusRounds;
        uint256 epochNow = _consensusEpoch(k - 1);
        uint256 step = Math.mulDiv(omega, k + 1, k); // seed 001 eq 19: omega * (k+1)/k
        for (uint256 i = 0; i < repliers.length; i++) {
            address node = repliers[i];
            if (!credit.isEnrolled(node)) revert UnknownNode(node);
            Participation storage p = _participation[node];
            if (p.lastRound == k) revert DuplicateReplier(node, k);
            uint256 w = Math.min(_decayed(p.weight, epochNow - p.epoch) + step, Units.MAX_WEIGHT);
            _participation[node] = Participation(uint128(w), uint64(epochNow), uint64(k));
        }
        emit ConsensusRecorded(k, repliers);
    }

    /// @inheritdoc INodeWeights
    function reportLineFault(address generator) external onlyRole(RELAYER_ROLE) {
        if (!credit.isEnrolled(generator)) revert UnknownNode(generator);
        if (!_isGenerator(generator)) revert NotAGenerator(generator);
        Trading storage t = _trading[generator];
        t.transmissions += 1;
        t.failures += 1;
        emit LineFaultReported(generator, t.transmissions, t.failures);
    }

    /// @inheritdoc INodeWeights
    function setGreenSource(address source) external onlyRole(DEFAULT_ADMIN_ROLE) {
        greenSource = IGreenWeightSource(source);
        emit GreenSourceSet(source);
    }

    /// @inheritdoc INodeWeights
    function setCarbonSource(address source) external onlyRole(DEFAULT_ADMIN_ROLE) {
        carbonSource = ICarbonWeightSource(source);
        emit CarbonSourceSet(source);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc INodeWeights
    function nodeWeight(address node) public view returns (uint256) {
        return weightParts(node).total;
    }

    /// @inheritdoc INodeWeights
    function weightParts(address node) public view returns (Parts memory parts) {
        parts.generator = _isGenerator(node);
        parts.credit = credit.creditWeight(node);
        parts.volume = volumeWeight(node);
        parts.consensus = consensusWeight(node);
        parts.green = greenWeight(node);
        parts.carbon = carbonWeight(node);
        parts.line = parts.generator ? lineWeight(node) : 0;
        uint256 total = Units.wmul(alpha, parts.credit) + Units.wmul(beta, parts.volume)
            + Units.wmul(gamma, parts.consensus) + Units.wmul(eta, parts.green);
        if (parts.generator) {
            total += Units.wmul(muGenerator, parts.carbon) + Units.wmul(lambda, parts.line); // seed 001 eq 8-10
        } else {
            total += Units.wmul(muConsumer, parts.carbon); // seed 001 eq 11-13
        }
        parts.total = total;
    }

    /// @inheritdoc INodeWeights
    function allWeights() external view returns (address[] memory nodes, uint256[] memory weights) {
        nodes = credit.nodes(0, credit.nodeCount());
        weights = new uint256[](nodes.length);
        for (uint256 i = 0; i < nodes.length; i++) {
            weights[i] = nodeWeight(nodes[i]);
        }
    }

    /// @notice W_d of eq 18 for the node's most recent trading round.
    /// @param node the node
    /// @return WAD on the 0..100 scale
    function volumeWeight(address node) public view returns (uint256) {
        Trading storage t = _trading[node];
        if (t.round == 0) return 0;
        RoundVolumes storage r = _rounds[t.round];
        uint256 floorWad = phi * (uint256(r.minVolumePlusOne) - 1); // phi * min{E_a^min, E_c^min}, WAD * Wh
        uint256 span = uint256(r.maxContractedWh) * Units.WAD - floorWad;
        if (span == 0) return Units.MAX_WEIGHT;
        uint256 w = Math.mulDiv(uint256(t.volumeWh) * Units.WAD - floorWad, Units.MAX_WEIGHT, span); // seed 001 eq 18
        return Math.min(w, Units.MAX_WEIGHT);
    }

    /// @notice W_g of eq 19 with the decay of eq 25 applied.
    /// @param node the node
    /// @return WAD on the 0..100 scale
    function consensusWeight(address node) public view returns (uint256) {
        Participation storage p = _participation[node];
        return _decayed(p.weight, _consensusEpoch(consensusRounds) - p.epoch);
    }

    /// @notice W_b of eq 23.
    /// @param node the node
    /// @return WAD on the 0..100 scale
    function lineWeight(address node) public view returns (uint256) {
        Trading storage t = _trading[node];
        if (t.transmissions == 0) return 0;
        return Math.mulDiv(uint256(t.transmissions) - t.failures, Units.MAX_WEIGHT, t.transmissions); // seed 001 eq 23
    }

    /// @notice W_gc of eq 20: the node's counted certificates over all counted certificates.
    /// @param node the node
    /// @return WAD on the 0..100 scale
    function greenWeight(address node) public view returns (uint256) {
        if (address(greenSource) == address(0)) return 0;
        uint256 total = greenSource.totalCountedCertificates();
        if (total == 0) return 0;
        return Math.mulDiv(greenSource.countedCertificates(node), Units.MAX_WEIGHT, total); // seed 001 eq 20
    }

    /// @notice W_ce of eq 21 over the last settled carbon cycle.
    /// @param node the node
    /// @return WAD on the 0..100 scale
    function carbonWeight(address node) public view returns (uint256) {
        if (address(carbonSource) == address(0)) return 0;
        uint256 cycle = carbonSource.lastSettledCycle();
        if (cycle == 0) return 0;
        (bool settled, int256 amount) = carbonSource.carbonSettlement(node, cycle);
        if (!settled) return 0;
        (int256 lo, int256 hi) = carbonSource.carbonSettlementRange(cycle);
        if (hi <= lo) return Units.MAX_WEIGHT;
        if (amount <= lo) return 0;
        if (amount >= hi) return Units.MAX_WEIGHT;
        // seed 001 eq 21: (A_ce,i - A_min) / (A_max - A_min) * 100
        return Math.mulDiv(uint256(amount - lo), Units.MAX_WEIGHT, uint256(hi - lo));
    }

    // ------------------------------------------------------------------ internals

    function _addVolume(address node, uint256 round, uint256 volumeWh) private {
        Trading storage t = _trading[node];
        if (t.round != round) {
            t.round = uint64(round);
            t.volumeWh = 0;
        }
        t.volumeWh += uint128(volumeWh);
    }

    /// @dev Decays that have happened after `completed` consensus rounds (one after every `decayEvery`).
    function _consensusEpoch(uint256 completed) private view returns (uint256) {
        return decayEvery == 0 ? 0 : completed / decayEvery;
    }

    /// @dev seed 001 eq 25: w * (e^{-delta})^epochs, rounded down.
    function _decayed(uint256 w, uint256 epochs) private view returns (uint256) {
        return epochs == 0 ? w : Units.wmul(w, Units.wpowDown(decayFactor, epochs));
    }

    function _isGenerator(address node) private view returns (bool) {
        IParticipantRegistry.Role role = registry.participant(node).role;
        return role == IParticipantRegistry.Role.Generator || role == IParticipantRegistry.Role.Prosumer;
    }
}
