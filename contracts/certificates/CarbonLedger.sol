// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICarbonLedger} from "../../interfaces/ICarbonLedger.sol";
import {ICarbonWeightSource} from "../../interfaces/ICarbonWeightSource.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {MeterAuthenticated} from "../lib/MeterAuthenticated.sol";

/// @title CarbonLedger: yearly quotas, allowance trading for EnergyToken, metered emissions, settlement
/// @notice Seed 001 §4.2.5: `A_ce,i = A_q + A_b - A_e` (eq 22) per node and cycle, and the range of eq 21 that the
///         node-weight model normalises with. Allowance units are kg CO2e; `A_b = bought - sold`.
/// @dev Invariants:
///  - Per cycle: sum over nodes of `bought` == sum of `sold` (allowances only change hands), and every sale
///    moves `amount * price` tokens buyer -> seller in the same transaction (the ledger never holds tokens).
///  - quota <= MAX_AMOUNT and emitted <= MAX_AMOUNT; bought and sold are bounded by the quotas in circulation,
///    so settlement arithmetic fits int256 and `settle` cannot revert for an enrolled, unsettled node, except a
///    silent node while reporting nodes are unsettled (`ReportersNotSettled`: anyone settles those first).
///  - Per node and cycle: `listed <= quota + bought - sold` at listing time (no double-selling of reserved units);
///    emissions only grow; the quota is written once; the settlement is written once, after the cycle closed,
///    and equals `quota + bought - sold - emitted` for a node that reported.
///  - A missing report is non-compliance, never zero emissions (SPEC §7). `reportedNodes` counts the cycle's nodes
///    with at least one report; positions are frozen once the cycle closed. A silent node settles only after
///    every reporting node (`settledNodes >= reportedNodes`, else `ReportersNotSettled`; until then only
///    reporting nodes can settle, so `settledNodes` counts reporters alone), at `S = min(W, 0) - 1`, W the lowest
///    settlement of the cycle's reporting nodes (S = -1 when none reported). S is the same for every silent node
///    of the cycle (the first one writes it into `minSettlement`, the later ones read it back), so:
///    (a) S < every reporting node's settlement, and S < 0: a silent node is always NonCompliant and is the
///        cycle's minimum, so when any node reported its eq 21 weight (NodeWeights.carbonWeight) is 0;
///    (b) S depends on no term of the silent node's own position: selling (or buying) allowances and staying
///        silent changes nothing (the old `-(quota + bought - sold) - 1` rewarded selling the whole quota);
///    (c) so staying silent is never better than reporting honestly: a reporter's settlement is >= W > S, its
///        weight >= 0 and it is NonCompliant only if it really fell short. (When nobody reports every node
///        settles at -1 and eq 21 is 0/0, weight 100 each by NodeWeights' rule; but any one node reporting
///        would be the maximum, weight 100, and push every silent node to 0: silence still gains nothing.)
///        S ranks; it does not estimate the silent node's unknown emissions: a node whose true overshoot is the
///        worst of all records a smaller shortfall silent, but still the least weight and NonCompliant.
///    The order costs no loop: reporters' settlements need no other node, `settle`/`settleBatch` are open to
///    anyone, and `settleBatch` settles the reporting nodes of its list before the silent ones.
///  - At most one cycle is Open. Closed -> Settled exactly when `settledNodes == nodes`; `lastSettledCycle` is
///    the highest Settled cycle. `minSettlement <= A_ce <= maxSettlement` for every settled node of a cycle,
///    maintained incrementally so no transaction loops over all nodes.
///  - Only REGULATOR_ROLE opens/closes cycles and sets quotas; it cannot write emissions, trades or settlements.
///    Emissions come only from the node's registered meter (MeterAuthenticated, per-meter nonces).
contract CarbonLedger is ICarbonLedger, AccessControl, MeterAuthenticated, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The regulator: opens and closes cycles and sets quotas (granted to the weak-centre auditor).
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");
    /// @notice EIP-712 type of a relayed emission reading.
    bytes32 public constant EMISSION_READING_TYPEHASH =
        keccak256("EmissionReading(address node,address meter,uint256 cycle,uint256 amount,uint256 nonce)");

    /// @notice Largest quota, and largest cumulative emissions, of one node in one cycle (kg CO2e). Bounding the
    ///         inputs keeps `quota + bought - sold - emitted` inside int256, so settling a node can never revert
    ///         and no meter can block a cycle's settlement with an absurd reading.
    uint256 public constant MAX_AMOUNT = type(uint128).max;

    /// @notice EnergyToken, the currency allowances are sold for.
    IERC20 public immutable token;

    // false positive: written through `Cycle storage c = _cycles[cycle]` in openCycle/closeCycle/_settle
    // slither-disable-next-line uninitialized-state
    mapping(uint256 cycle => Cycle) private _cycles;
    mapping(uint256 cycle => mapping(address node => Position)) private _positions;
    mapping(uint256 listingId => AllowanceListing) private _listings;
    uint256 private _currentCycle;
    uint256 private _lastSettledCycle;
    uint256 private _listingCount;

    /// @param admin the account that grants roles (the consortium operator)
    /// @param regulator the first regulator (the registry's auditor in the standard deployment)
    /// @param registry_ the participant registry binding meters to nodes
    /// @param token_ EnergyToken
    constructor(address admin, address regulator, IParticipantRegistry registry_, IERC20 token_)
        MeterAuthenticated(registry_, "CarbonLedger", "1", false)
    {
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGULATOR_ROLE, regulator);
    }

    // ------------------------------------------------------------------ regulator

    /// @inheritdoc ICarbonLedger
    function openCycle() external onlyRole(REGULATOR_ROLE) returns (uint256 cycle) {
        uint256 current = _currentCycle;
        if (current != 0 && _cycles[current].state == CycleState.Open) revert CycleStillOpen(current);
        cycle = current + 1;
        _currentCycle = cycle;
        Cycle storage c = _cycles[cycle];
        c.state = CycleState.Open;
        c.openedAt = SafeCast.toUint48(block.timestamp);
        emit CycleOpened(cycle, msg.sender);
    }

    /// @inheritdoc ICarbonLedger
    function setQuota(uint256 cycle, address node, uint256 quota) external onlyRole(REGULATOR_ROLE) {
        Cycle storage c = _openCycle(cycle);
        if (!registry.isActive(node)) revert NotActiveParticipant(node);
        if (quota > MAX_AMOUNT) revert AmountTooLarge(quota, MAX_AMOUNT);
        Position storage p = _positions[cycle][node];
        if (p.enrolled) revert QuotaAlreadySet(node, cycle, p.quota);
        p.enrolled = true;
        p.quota = quota;
        c.nodes += 1;
        emit QuotaSet(cycle, node, quota);
    }

    /// @inheritdoc ICarbonLedger
    function closeCycle(uint256 cycle) external onlyRole(REGULATOR_ROLE) {
        Cycle storage c = _openCycle(cycle);
        c.state = CycleState.Closed;
        c.closedAt = SafeCast.toUint48(block.timestamp);
        emit CycleClosed(cycle, msg.sender, c.nodes);
        if (c.nodes == 0) _markSettled(cycle, c);
    }

    // ------------------------------------------------------------------ metering

    /// @inheritdoc ICarbonLedger
    function reportEmissions(address node, address meter, uint256 cycle, uint256 amount, bytes calldata signature)
        external
    {
        bytes32 structHash =
            keccak256(abi.encode(EMISSION_READING_TYPEHASH, node, meter, cycle, amount, _useNonce(meter)));
        _authenticateReading(meter, node, structHash, signature);
        Cycle storage c = _openCycle(cycle);
        Position storage p = _enrolled(node, cycle);
        uint256 total = p.emitted + amount;
        if (total > MAX_AMOUNT) revert AmountTooLarge(total, MAX_AMOUNT);
        p.emitted = total;
        if (!p.reported) {
            p.reported = true;
            c.reportedNodes += 1;
        }
        emit EmissionsReported(cycle, node, meter, amount, total);
    }

    // ------------------------------------------------------------------ allowance trading

    /// @inheritdoc ICarbonLedger
    function listAllowances(uint256 cycle, uint256 amount, uint256 pricePerUnit) external returns (uint256 listingId) {
        if (amount == 0) revert ZeroAmount();
        if (pricePerUnit == 0) revert ZeroPrice();
        _openCycle(cycle);
        _requireActive(msg.sender);
        Position storage p = _enrolled(msg.sender, cycle);
        uint256 spare = _spare(p);
        if (amount > spare) revert InsufficientAllowances(msg.sender, cycle, amount, spare);
        p.listed += amount;
        listingId = ++_listingCount;
        _listings[listingId] = AllowanceListing(msg.sender, SafeCast.toUint64(cycle), amount, pricePerUnit);
        emit AllowancesListed(listingId, cycle, msg.sender, amount, pricePerUnit);
    }

    /// @inheritdoc ICarbonLedger
    function cancelAllowanceListing(uint256 listingId) external {
        AllowanceListing storage l = _existing(listingId);
        if (msg.sender != l.seller) revert NotSeller(listingId, msg.sender, l.seller);
        uint256 withdrawn = l.remaining;
        if (withdrawn == 0) revert ListingClosed(listingId);
        l.remaining = 0;
        _positions[l.cycle][l.seller].listed -= withdrawn;
        emit AllowanceListingCancelled(listingId, l.seller, withdrawn);
    }

    /// @inheritdoc ICarbonLedger
    function buyAllowances(uint256 listingId, uint256 amount) external nonReentrant returns (uint256 tokens) {
        AllowanceListing storage l = _existing(listingId);
        if (amount == 0) revert ZeroAmount();
        if (l.remaining == 0) revert ListingClosed(listingId);
        if (amount > l.remaining) revert ExceedsListing(listingId, amount, l.remaining);
        address seller = l.seller;
        uint256 cycle = l.cycle;
        if (msg.sender == seller) revert SelfPurchase(listingId, msg.sender);
        _openCycle(cycle);
        _requireActive(msg.sender);
        _requireActive(seller);
        Position storage buyer = _enrolled(msg.sender, cycle);
        Position storage sellerPos = _positions[cycle][seller];
        tokens = amount * l.pricePerUnit;

        l.remaining -= amount;
        sellerPos.listed -= amount;
        sellerPos.sold += amount;
        buyer.bought += amount;
        emit AllowancesSold(cycle, seller, msg.sender, listingId, amount, tokens);

        // The only interaction; if the payment fails the whole purchase reverts and no allowance moves.
        token.safeTransferFrom(msg.sender, seller, tokens);
    }

    // ------------------------------------------------------------------ settlement

    /// @inheritdoc ICarbonLedger
    function settle(address node, uint256 cycle) external returns (int256 settlement) {
        Cycle storage c = _closedCycle(cycle);
        settlement = _settle(node, cycle, c);
    }

    /// @inheritdoc ICarbonLedger
    /// @dev Two passes over the caller's list: its reporting nodes first, then its silent ones (which settle only
    ///      after every reporting node of the cycle), so a list in any order settles as long as the reporting nodes
    ///      it leaves out are already settled.
    function settleBatch(uint256 cycle, address[] calldata nodes) external {
        Cycle storage c = _closedCycle(cycle);
        mapping(address node => Position) storage positions = _positions[cycle];
        for (uint256 i = 0; i < nodes.length; i++) {
            if (positions[nodes[i]].reported) _settle(nodes[i], cycle, c);
        }
        for (uint256 i = 0; i < nodes.length; i++) {
            if (!positions[nodes[i]].reported) _settle(nodes[i], cycle, c);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICarbonWeightSource
    function lastSettledCycle() external view returns (uint256) {
        return _lastSettledCycle;
    }

    /// @inheritdoc ICarbonWeightSource
    function carbonSettlement(address node, uint256 cycle) external view returns (bool settled, int256 amount) {
        Position storage p = _positions[cycle][node];
        return (p.settled, p.settlement);
    }

    /// @inheritdoc ICarbonWeightSource
    /// @dev (0, 0) for a cycle with no settled node; final once the cycle is Settled (`cycle <= lastSettledCycle`).
    function carbonSettlementRange(uint256 cycle) external view returns (int256 minAmount, int256 maxAmount) {
        Cycle storage c = _cycles[cycle];
        return (c.minSettlement, c.maxSettlement);
    }

    /// @inheritdoc ICarbonLedger
    function currentCycle() external view returns (uint256) {
        return _currentCycle;
    }

    /// @inheritdoc ICarbonLedger
    function cycleInfo(uint256 cycle) external view returns (Cycle memory) {
        return _cycles[cycle];
    }

    /// @inheritdoc ICarbonLedger
    function position(address node, uint256 cycle) external view returns (Position memory) {
        return _positions[cycle][node];
    }

    /// @inheritdoc ICarbonLedger
    function compliance(address node, uint256 cycle) external view returns (Compliance status, int256 settlement) {
        Position storage p = _positions[cycle][node];
        if (!p.settled) return (Compliance.NotSettled, 0);
        return (p.settlement < 0 ? Compliance.NonCompliant : Compliance.Compliant, p.settlement);
    }

    /// @inheritdoc ICarbonLedger
    function spareAllowances(address node, uint256 cycle) external view returns (uint256) {
        return _spare(_positions[cycle][node]);
    }

    /// @inheritdoc ICarbonLedger
    function allowanceListing(uint256 listingId) external view returns (AllowanceListing memory) {
        return _listings[listingId];
    }

    /// @inheritdoc ICarbonLedger
    function allowanceListingCount() external view returns (uint256) {
        return _listingCount;
    }

    // ------------------------------------------------------------------ internals

    function _settle(address node, uint256 cycle, Cycle storage c) private returns (int256 settlement) {
        Position storage p = _enrolled(node, cycle);
        if (p.settled) revert AlreadySettled(node, cycle);
        // seed 001 eq 22: A_ce = A_q + A_b - A_e, with A_b = bought - sold.
        int256 netBought = SafeCast.toInt256(p.bought) - SafeCast.toInt256(p.sold);
        if (p.reported) {
            settlement = SafeCast.toInt256(p.quota) + netBought - SafeCast.toInt256(p.emitted);
        } else {
            // no report at cycle close: non-compliant, strictly below every reporting node (see the invariants)
            uint32 reporters = c.reportedNodes;
            if (c.settledNodes < reporters) revert ReportersNotSettled(cycle, node, reporters - c.settledNodes);
            if (c.settledNodes > reporters) settlement = c.minSettlement; // an earlier silent node wrote S
            else settlement = reporters == 0 || c.minSettlement >= 0 ? -1 : c.minSettlement - 1;
        }
        p.settled = true;
        p.settlement = settlement;
        // seed 001 eq 21's A_ce^min / A_ce^max, kept incrementally over the settled nodes.
        if (c.settledNodes == 0 || settlement < c.minSettlement) c.minSettlement = settlement;
        if (c.settledNodes == 0 || settlement > c.maxSettlement) c.maxSettlement = settlement;
        c.settledNodes += 1;
        emit CarbonSettled(cycle, node, settlement, p.quota, netBought, p.emitted);
        if (settlement < 0) {
            c.nonCompliantNodes += 1;
            emit NonComplianceRecorded(cycle, node, uint256(-settlement));
        }
        if (c.settledNodes == c.nodes) _markSettled(cycle, c);
    }

    function _markSettled(uint256 cycle, Cycle storage c) private {
        c.state = CycleState.Settled;
        if (cycle > _lastSettledCycle) _lastSettledCycle = cycle;
        emit CycleSettled(cycle, c.minSettlement, c.maxSettlement, c.nonCompliantNodes);
    }

    function _spare(Position storage p) private view returns (uint256) {
        uint256 have = p.quota + p.bought;
        uint256 committed = p.sold + p.listed + p.emitted;
        return have > committed ? have - committed : 0;
    }

    function _openCycle(uint256 cycle) private view returns (Cycle storage c) {
        c = _cycles[cycle];
        if (c.state != CycleState.Open) revert CycleNotOpen(cycle, c.state);
    }

    function _closedCycle(uint256 cycle) private view returns (Cycle storage c) {
        c = _cycles[cycle];
        if (c.state != CycleState.Closed) revert CycleNotClosed(cycle, c.state);
    }

    function _enrolled(address node, uint256 cycle) private view returns (Position storage p) {
        p = _positions[cycle][node];
        if (!p.enrolled) revert NotEnrolled(node, cycle);
    }

    function _existing(uint256 listingId) private view returns (AllowanceListing storage l) {
        l = _listings[listingId];
        if (l.seller == address(0)) revert UnknownListing(listingId);
    }

    function _requireActive(address account) private view {
        if (!registry.isActive(account)) revert NotActiveParticipant(account);
    }
}
