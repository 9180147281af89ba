// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {ICreditWeights} from "../../interfaces/ICreditWeights.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {Units} from "../lib/Units.sol";

/// @title CreditWeights: the credit weight W_a of every node, per settlement round (seed 001 eq 14-17, 24)
/// @notice A node that delivers (seller) or takes (buyer) at least its contracted energy gains
///         `(Wmax - W) * C_e / sum(C_e of the period)` (eq 14-15); one that falls short loses
///         `W * (C_e - E_a) / C_e` (eq 16-17). After every `decayEvery` completed rounds every weight is
///         multiplied by `decayFactor` = e^{-delta} (eq 24). Weights are WAD on the 0..100 scale.
/// @dev Invariants:
///  - 0 <= creditWeight(node) <= 100e18 for every node; a reward never crosses Wmax because C_e <= sum(C_e).
///  - `totalWeight()` >= sum of every node's `creditWeight` (decay rounds each node down and the total up),
///    and exceeds it only by decay rounding (a few wei per node and decay); updates move the total by
///    exactly the node's change.
///  - Each node's history is a checkpoint trace keyed by round (OpenZeppelin `Checkpoints`), value =
///    epoch << 128 | weight: the weight as of that epoch. The weight at the end of a round R is the last
///    checkpoint with key <= R, decayed from its epoch to R's epoch. A closed round's weights never change,
///    because every write goes to the open round, or to the next one while none is open.
///  - Decay is lazy: no loop over nodes ever runs in a transaction; every function is O(1) in the number of
///    nodes except the paging view `nodes`.
///  - Rounding: a drop (a penalty basis, eq 32-33) is rounded up, a reward down; a decayed weight down.
///  - Liveness: `applySettlement` never refuses a valid settlement because of the order of settle calls across
///    periods. The first settlement of a later period opens that period's round; a straggler of an earlier period
///    counts in the open round, or, when that round is already complete, opens the next round
///    (`currentRound + 1`), which a later period of that number then shares. So `currentRound` only grows and
///    every round a write goes to is open.
///  - Liveness of the rounds themselves: a round closes when its period's orders are all settled or a later round
///    opens; a round a straggler opened ahead of its period (no order of that period settled yet) may wait for
///    neither, so anyone may close it (`closeStragglerRound`; review 2, finding 3). Closing only moves later
///    writes to the next round, so no closed round ever changes.
contract CreditWeights is ICreditWeights, AccessControl {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice The settlement policies allowed to report settlements.
    bytes32 public constant SETTLEMENT_ROLE = keccak256("SETTLEMENT_ROLE");
    /// @notice Accounts allowed to enrol nodes with an initial weight (the consortium operator).
    bytes32 public constant ENROLLER_ROLE = keccak256("ENROLLER_ROLE");

    /// @notice How long a round a straggler opened ahead of its period stays open before anyone may close it
    ///         (`closeStragglerRound`): closing moves later settlements to a new round, so without a wait an
    ///         attacker could make every straggler settlement open a round and speed up the decay (eq 24).
    uint256 public constant STRAGGLER_ROUND_TIMEOUT = 1 days;

    uint256 private constant EPOCH_SHIFT = 128;
    uint256 private constant WEIGHT_MASK = (uint256(1) << EPOCH_SHIFT) - 1;

    /// @notice The registry whose active participants may be enrolled.
    IParticipantRegistry public immutable registry;
    /// @notice e^{-delta} in WAD, rounded down (seed 001 §5.2: delta = 0.05 gives 951229424500714009).
    uint256 public immutable decayFactor;
    /// @notice l: weights decay once after every `decayEvery` completed rounds (0 = never).
    uint256 public immutable decayEvery;
    /// @notice W_a(0): the weight a node starts with when enrolled by its first settlement (paper §5.2: 0).
    uint256 public immutable defaultInitialWeight;

    /// @inheritdoc ICreditWeights
    uint256 public currentRound;
    /// @inheritdoc ICreditWeights
    uint256 public epoch;
    /// @notice How many rounds have closed by the opening of a later one.
    uint256 public roundsCompleted;
    /// @inheritdoc ICreditWeights
    mapping(address node => bool) public isEnrolled;

    struct PeriodTally {
        uint128 contractedWh; // the period's sum of C_e, as the market reported it
        uint128 settledWh; // C_e of its orders settled so far
    }

    mapping(uint256 periodId => PeriodTally) private _tallies;
    mapping(uint256 round => uint256) private _roundEpochPlusOne; // 0 = never opened
    mapping(uint256 round => bool) private _closedEarly; // a straggler's round closed by `closeStragglerRound`
    uint256 private _currentRoundOpenedAt;
    mapping(address node => Checkpoints.Trace208) private _weights;
    Checkpoints.Trace208 private _totals;
    uint256 private _total;
    address[] private _nodes;

    error RoundNotOpened(uint256 round);

    /// @param admin grants roles (the consortium operator); also the first enroller
    /// @param registry_ the participant registry
    /// @param decayFactor_ e^{-delta} in WAD, in (0, 1e18]
    /// @param decayEvery_ l, rounds between decays (0 disables decay)
    /// @param defaultInitialWeight_ W_a(0), WAD on the 0..100 scale
    constructor(
        address admin,
        IParticipantRegistry registry_,
        uint256 decayFactor_,
        uint256 decayEvery_,
        uint256 defaultInitialWeight_
    ) {
        if (admin == address(0) || address(registry_) == address(0)) revert ZeroAddress();
        if (decayFactor_ == 0 || decayFactor_ > Units.WAD) revert DecayFactorOutOfRange(decayFactor_);
        if (defaultInitialWeight_ > Units.MAX_WEIGHT) revert WeightAboveMax(defaultInitialWeight_, Units.MAX_WEIGHT);
        registry = registry_;
        decayFactor = decayFactor_;
        decayEvery = decayEvery_;
        defaultInitialWeight = defaultInitialWeight_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ENROLLER_ROLE, admin);
    }

    // ------------------------------------------------------------------ writes

    /// @inheritdoc ICreditWeights
    function enrol(address node, uint256 weight) external onlyRole(ENROLLER_ROLE) {
        if (isEnrolled[node]) revert AlreadyEnrolled(node);
        if (weight > Units.MAX_WEIGHT) revert WeightAboveMax(weight, Units.MAX_WEIGHT);
        if (!registry.isActive(node)) revert NotActiveParticipant(node);
        _enrol(node, weight, _writeKey());
    }

    /// @inheritdoc ICreditWeights
    function applySettlement(Settlement calldata s) external onlyRole(SETTLEMENT_ROLE) returns (Update memory u) {
        if (s.contractedWh == 0) revert ZeroContractedEnergy(s.orderId);
        if (s.periodContractedWh < s.contractedWh) {
            revert PeriodTotalBelowContract(s.periodId, s.periodContractedWh, s.contractedWh);
        }
        if (s.periodId == 0) revert ZeroPeriod(s.orderId);
        if (s.periodId >= type(uint48).max) revert RoundTooLarge(s.periodId);
        if (s.periodContractedWh > type(uint128).max) revert PeriodTotalTooLarge(s.periodId, s.periodContractedWh);
        uint256 round = currentRound;
        if (s.periodId > round) {
            round = s.periodId;
            _openRound(round);
        } else if (_complete(round)) {
            // A straggler (an earlier period's order) after the open round completed: it counts in a fresh round
            // so that no closed round changes and no sequence of settle calls can refuse it (review finding 1).
            round += 1;
            _openRound(round);
        }

        PeriodTally storage tally = _tallies[s.periodId];
        if (tally.contractedWh == 0) {
            tally.contractedWh = uint128(s.periodContractedWh);
        } else if (tally.contractedWh != s.periodContractedWh) {
            revert PeriodTotalMismatch(s.periodId, tally.contractedWh, s.periodContractedWh);
        }
        if (tally.settledWh + s.contractedWh > s.periodContractedWh) {
            revert PeriodOverSettled(s.periodId, tally.settledWh, s.contractedWh, s.periodContractedWh);
        }
        tally.settledWh += uint128(s.contractedWh);

        u.round = round;
        (u.sellerBefore, u.sellerAfter, u.sellerDrop) =
            _update(s.seller, round, s.orderId, s.contractedWh, s.sellerActualWh, s.periodContractedWh);
        (u.buyerBefore, u.buyerAfter, u.buyerDrop) =
            _update(s.buyer, round, s.orderId, s.contractedWh, s.buyerActualWh, s.periodContractedWh);
    }

    /// @inheritdoc ICreditWeights
    function retire(address node) external {
        if (!isEnrolled[node]) revert NotEnrolled(node);
        IParticipantRegistry.Status status = registry.participant(node).status;
        if (status != IParticipantRegistry.Status.Exited) revert NotExited(node, uint8(status));
        uint256 key = _writeKey();
        uint256 w = _current(node);
        _write(node, key, 0);
        _setTotal(key, _total - w);
        emit NodeRetired(node, key, w);
    }

    /// @inheritdoc ICreditWeights
    function closeStragglerRound() external {
        uint256 round = currentRound;
        // a round opened by its own period's first settlement records that period's tally in the same call, so
        // an empty tally means a straggler opened it; a round closed early is closed already
        if (round == 0 || _tallies[round].contractedWh != 0 || _closedEarly[round]) {
            revert RoundNotClosable(round, type(uint256).max);
        }
        uint256 closableFrom = _currentRoundOpenedAt + STRAGGLER_ROUND_TIMEOUT;
        // false positive: a day-long wait compared with the block time; seconds of miner leeway do not matter
        // slither-disable-next-line timestamp
        if (block.timestamp < closableFrom) revert RoundNotClosable(round, closableFrom);
        _closedEarly[round] = true;
        emit StragglerRoundClosed(round, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICreditWeights
    function creditWeight(address node) external view returns (uint256) {
        return _current(node);
    }

    /// @inheritdoc ICreditWeights
    function creditWeightAt(address node, uint256 round) external view returns (uint256) {
        uint256 atEpoch = _epochOf(round);
        (uint256 e, uint256 w) = _unpack(_weights[node].upperLookupRecent(uint48(round)));
        return atEpoch > e ? _decay(w, atEpoch - e) : w;
    }

    /// @inheritdoc ICreditWeights
    function totalWeightAt(uint256 round) external view returns (uint256) {
        _epochOf(round);
        // The last total checkpoint at or before an opened round is the one pushed when it opened or later,
        // so it is already in that round's epoch.
        (, uint256 total) = _unpack(_totals.upperLookupRecent(uint48(round)));
        return total;
    }

    /// @inheritdoc ICreditWeights
    function totalWeight() external view returns (uint256) {
        return _total;
    }

    /// @inheritdoc ICreditWeights
    function isRoundClosed(uint256 round) public view returns (bool) {
        return round < currentRound || (round == currentRound && _complete(round));
    }

    /// @notice The decay epoch a round ran in (reverts for a round that never opened).
    /// @param round the round
    /// @return the epoch
    function roundEpoch(uint256 round) external view returns (uint256) {
        return _epochOf(round);
    }

    /// @notice A period's reported total contracted energy and how much of it has been settled (Wh).
    /// @param periodId the period
    /// @return contractedWh sum of C_e of the period's orders
    /// @return settledWh C_e of its settled orders
    function periodTally(uint256 periodId) external view returns (uint256 contractedWh, uint256 settledWh) {
        PeriodTally storage t = _tallies[periodId];
        return (t.contractedWh, t.settledWh);
    }

    /// @inheritdoc ICreditWeights
    function nodeCount() external view returns (uint256) {
        return _nodes.length;
    }

    /// @inheritdoc ICreditWeights
    function nodes(uint256 offset, uint256 limit) external view returns (address[] memory page) {
        uint256 end = Math.min(_nodes.length, offset + limit);
        if (offset >= end) return new address[](0);
        page = new address[](end - offset);
        for (uint256 i = offset; i < end; i++) {
            page[i - offset] = _nodes[i];
        }
    }

    // ------------------------------------------------------------------ internals

    function _openRound(uint256 round) private {
        if (currentRound != 0) {
            uint256 completed = ++roundsCompleted;
            if (decayEvery != 0 && completed % decayEvery == 0) {
                // seed 001 eq 24, applied to the total eagerly (rounded up) and to each node lazily (down).
                uint256 e = ++epoch;
                _total = Math.mulDiv(_total, decayFactor, Units.WAD, Math.Rounding.Ceil);
                emit CreditWeightsDecayed(e, round, decayFactor, _total);
            }
        }
        currentRound = round;
        _currentRoundOpenedAt = block.timestamp;
        _roundEpochPlusOne[round] = epoch + 1;
        // false positive: Checkpoints.push returns the previous and new values, which are known here
        // slither-disable-next-line unused-return
        _totals.push(uint48(round), _pack(epoch, _total));
        emit RoundOpened(round, epoch, roundsCompleted);
    }

    function _update(address node, uint256 round, uint256 orderId, uint256 contracted, uint256 actual, uint256 total)
        private
        returns (uint256 before, uint256 after_, uint256 drop)
    {
        if (!isEnrolled[node]) _enrol(node, defaultInitialWeight, round);
        before = _current(node);
        bool defaulted = actual < contracted;
        if (defaulted) {
            drop = Math.mulDiv(before, contracted - actual, contracted, Math.Rounding.Ceil); // seed 001 eq 17
            after_ = before - drop; // seed 001 eq 16
        } else {
            after_ = before + Math.mulDiv(Units.MAX_WEIGHT - before, contracted, total); // seed 001 eq 14-15
        }
        _write(node, round, after_);
        _setTotal(round, _total - before + after_);
        emit CreditWeightUpdated(node, round, orderId, before, after_, defaulted);
    }

    function _enrol(address node, uint256 weight, uint256 key) private {
        isEnrolled[node] = true;
        _nodes.push(node);
        _write(node, key, weight);
        _setTotal(key, _total + weight);
        emit NodeEnrolled(node, weight, key);
    }

    /// @dev Writes go to the open round, or to the next round while none is open, so closed rounds never change.
    function _writeKey() private view returns (uint256) {
        uint256 round = currentRound;
        return (round == 0 || _complete(round)) ? round + 1 : round;
    }

    function _complete(uint256 round) private view returns (bool) {
        if (_closedEarly[round]) return true;
        PeriodTally storage t = _tallies[round];
        return t.contractedWh != 0 && t.settledWh >= t.contractedWh;
    }

    function _current(address node) private view returns (uint256) {
        (uint256 e, uint256 w) = _unpack(_weights[node].latest());
        return epoch > e ? _decay(w, epoch - e) : w;
    }

    function _write(address node, uint256 key, uint256 weight) private {
        // false positive: Checkpoints.push returns the previous and new values, which are known here
        // slither-disable-next-line unused-return
        _weights[node].push(uint48(key), _pack(epoch, weight));
    }

    function _setTotal(uint256 key, uint256 total) private {
        _total = total;
        // false positive: Checkpoints.push returns the previous and new values, which are known here
        // slither-disable-next-line unused-return
        _totals.push(uint48(key), _pack(epoch, total));
    }

    function _epochOf(uint256 round) private view returns (uint256) {
        uint256 stored = _roundEpochPlusOne[round];
        if (stored == 0) revert RoundNotOpened(round);
        return stored - 1;
    }

    /// @dev seed 001 eq 24: w * (e^{-delta})^epochs, rounded down.
    function _decay(uint256 w, uint256 epochs) private view returns (uint256) {
        return Units.wmul(w, Units.wpowDown(decayFactor, epochs));
    }

    function _pack(uint256 e, uint256 w) private pure returns (uint208) {
        return uint208((e << EPOCH_SHIFT) | w);
    }

    function _unpack(uint208 v) private pure returns (uint256 e, uint256 w) {
        return (uint256(v) >> EPOCH_SHIFT, uint256(v) & WEIGHT_MASK);
    }
}
