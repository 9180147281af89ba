// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {IProviderReputation} from "../../interfaces/IProviderReputation.sol";
import {ISettlementPolicy} from "../../interfaces/ISettlementPolicy.sol";
import {MeterAuthenticated} from "../lib/MeterAuthenticated.sol";

/// @title OrderBook: trading periods and the life of every order (SPEC §2-3, seed 003 §3-5, seed 001 §2.2,
///        seed 004 §2.3 weak centre and energy/capital flows)
/// @notice Bilateral contracts are proposed by the seller and accepted by the buyer; matched orders arrive from
///         the `MatchingMarket` (MATCHER_ROLE). Every order takes effect only after the registry's auditor approved
///         it and the parties signed their deposits into escrow. Meters report the delivered (rho) and received
///         (gamma) energy; after the readings window anyone settles the order through the period's settlement
///         policy, and payees pull their tokens with `withdraw()`.
///         Lean paths (issue 13): participants `deposit` tokens once into an internal balance, from which `sign`
///         escrows and to which settlements pay; the auditor approves / rejects in batches naming each order's
///         `termsHash`; readings and settlements go in batches, each item skipped alone when refused.
///         A bilateral contract both parties signed off chain opens in one call on `SignedBook` (unordered nonces,
///         revocable), not here: this book's signed opening consumed the seller's nonces in order, so a buyer
///         withholding one signed contract blocked the seller's later ones (review 2 finding 2); it was removed.
/// @dev LIVENESS (the rule everything else serves; fuzzed by tests/foundry/MarketInvariants.t.sol,
///  invariant_marketHolds -> _everyOrderTerminates):
///  every order reaches a terminal state (Settled, Rejected, Cancelled) in bounded time whatever anyone does,
///  and once past its deadline anyone can bring it there with one call:
///   - Proposed / Agreed / Approved: `expire` from the period's `signEnd` (deposits refunded);
///   - Active: `settle` from `readingsEnd` through the policy; from `readingsEnd + settlementGrace` a policy
///     that refuses (closed credit round, any other revert with a reason) no longer blocks: the fallback refunds
///     both deposits and the fee. Policies bound the readings they settle (`GridBalancedSettlement` caps them),
///     so a party's own meter cannot make its order unsettleable; `ProviderReputation` folds a period after its
///     deadline even with an order open, and ignores a settlement recorded after the fold.
///  Nothing else in `settle` can revert for good: obligations were opened at activation, the reputation record
///  accepts late settlements, and the policy is allowlisted by the admin (conservation checked here).
/// Invariants (checked by the stateful fuzz tests):
///  - `token.balanceOf(this) == totalEscrowed + totalWithdrawable` (no token is created or lost; escrow in =
///    paid out + refunded + fees).
///  - `totalEscrowed` = sum over orders with at least one signature and not settled/cancelled of the signed
///    deposits (buyer: deposit + handling fee).
///  - `totalWithdrawable` = sum of `withdrawable(a)` over all accounts: each account's internal balance (its
///    `deposit`s and settlement credits, less what it escrowed from it and withdrew). Escrow from the internal
///    balance moves `withdrawable` to `totalEscrowed` without a token transfer, so the first invariant holds.
///  - Order terms change only by both parties' consent (proposal + acceptance, amendment + acceptance); the
///    auditor only moves `Agreed` to `Approved` or `Rejected`, and only for the terms it names (`termsHash`).
///    No auditor approves an order it is the seller or the buyer of (`AuditorIsParty`, single and batch).
///  - Periods' `signEnd` and `readingsEnd` never decrease with the period id (`openPeriod` refuses a schedule
///    ending before the previous period's: `ScheduleBeforePrevious`), so `ProviderReputation` folds in id order.
///  - No order holds escrow before it is `Approved` (`sign` needs `Approved`; an amendment needs no signature and
///    is refused after one), so an approval fixes the deposits and a rejection has nothing to refund.
///  - A batch (`approveOrders`, `rejectOrders`, `submitReadings`, `settleMany`) applies each item through an
///    external self-call: an item that reverts leaves no trace but its `BatchItemSkipped` event.
///  - `_accounts[a].activeOrders` = number of Active orders with `a` as seller or buyer, and `a` holds exactly one
///    open obligation from this book in the registry while that number is > 0 (so no party of an Active order
///    can exit); every activation checks both parties are active in the registry.
///  - Handling fee: paid by the buyer when signing, credited to `feeRecipient` at settlement, refunded if the order
///    expires. Readings missing at the end of the readings window count as 0 Wh.
contract OrderBook is IEnergyMarket, MeterAuthenticated, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Opens trading periods (the consortium operator).
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice Creates matched orders (the MatchingMarket contract).
    bytes32 public constant MATCHER_ROLE = keccak256("MATCHER_ROLE");
    /// @notice The registry's weak-centre role; the order book trusts the registry's role holders as auditors.
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");
    /// @notice EIP-712 type of a meter reading.
    bytes32 public constant READING_TYPEHASH =
        keccak256("MeterReading(uint256 orderId,uint8 side,uint256 energyWh,address meter,uint256 nonce)");

    /// @notice The market's currency (EnergyToken).
    IERC20 public immutable token;
    /// @notice Where provider reputation (seed 003 eq 1-2) is recorded.
    IProviderReputation public immutable reputation;
    /// @notice Receives the handling fee of every settled order (the operator's account).
    address public immutable feeRecipient;
    /// @notice Handling fee per order, token base units, paid by the buyer at signing (seed 001 §2.2).
    uint256 public immutable handlingFee;
    /// @inheritdoc IEnergyMarket
    uint64 public immutable settlementGrace;

    /// @notice Settlement policies the operator may choose for new periods.
    mapping(address policy => bool) public policyAllowed;

    mapping(uint256 periodId => Period) private _periods;
    uint256 private _periodCount;
    /// @dev An order as stored: four slots written at opening (the public `Order` view is assembled from it).
    ///      The handling fee is not stored (immutable: the buyer's signature escrowed exactly `handlingFee`), the
    ///      readings share the buyer's slot, so recording them rewrites a used slot instead of a fresh one.
    ///      Widths: period and request ids < 2^32, energy < 2^64 Wh, readings < 2^48 Wh (281 TWh), price and
    ///      bonus < 2^96 base units (SafeCast refuses larger values).
    struct Stored {
        address seller;
        uint32 periodId;
        OrderStatus status;
        Origin origin;
        bool sellerSigned;
        bool buyerSigned;
        uint32 requestId;
        address buyer;
        uint48 deliveredWh;
        uint48 receivedWh;
        uint64 energyWh;
        uint96 pricePerKwh;
        uint96 bonus;
        uint128 buyerDeposit;
        uint128 sellerDeposit;
    }

    mapping(uint256 orderId => Stored) private _orders;
    uint256 private _orderCount;
    mapping(uint256 orderId => Amendment) private _amendments;
    /// @dev One slot per account: its internal balance and how many of its orders are Active. The registry holds
    ///      one obligation per account with at least one Active order (opened at 0 -> 1, closed at 1 -> 0), so a
    ///      trader with many orders in a period costs the registry two calls, not two per order.
    struct Account {
        uint128 balance;
        uint64 activeOrders;
    }

    mapping(address account => Account) private _accounts;
    mapping(uint256 periodId => uint256) private _contractedWh;
    uint256 private _totalEscrowed;
    uint256 private _totalWithdrawable;

    /// @param admin holds DEFAULT_ADMIN_ROLE (allows policies, grants roles)
    /// @param operator holds OPERATOR_ROLE (opens periods)
    /// @param registry_ the participant registry (approval status, meters, auditor role, obligations)
    /// @param token_ the EnergyToken
    /// @param reputation_ the reputation ledger (this contract needs its RECORDER_ROLE)
    /// @param feeRecipient_ receives handling fees
    /// @param handlingFee_ fee per order (token base units)
    /// @param settlementGrace_ seconds after the readings window before a policy refusal falls back to refunds
    constructor(
        address admin,
        address operator,
        IParticipantRegistry registry_,
        IERC20 token_,
        IProviderReputation reputation_,
        address feeRecipient_,
        uint256 handlingFee_,
        uint64 settlementGrace_
    ) MeterAuthenticated(registry_, "EnergyMarket", "1", true) {
        token = token_;
        settlementGrace = settlementGrace_;
        reputation = reputation_;
        feeRecipient = feeRecipient_;
        handlingFee = handlingFee_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
    }

    // ------------------------------------------------------------------ periods

    /// @inheritdoc IEnergyMarket
    function setPolicyAllowed(address policy, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        policyAllowed[policy] = allowed;
        emit PolicyAllowed(policy, allowed);
    }

    /// @inheritdoc IEnergyMarket
    function openPeriod(address policy, uint64 publishEnd, uint64 matchEnd, uint64 signEnd, uint64 readingsEnd)
        external
        onlyRole(OPERATOR_ROLE)
        returns (uint256 periodId)
    {
        if (!policyAllowed[policy]) revert PolicyNotAllowed(policy);
        if (
            publishEnd <= block.timestamp || matchEnd <= publishEnd || signEnd <= matchEnd || readingsEnd <= signEnd
        ) {
            revert BadSchedule(block.timestamp, publishEnd, matchEnd, signEnd, readingsEnd);
        }
        uint256 previous = _periodCount;
        Period storage last = _periods[previous];
        // signEnd and readingsEnd never decrease with the id (ProviderReputation's ascending fold rests on it);
        // for period 0 (none) both read 0
        if (signEnd < last.signEnd || readingsEnd < last.readingsEnd) {
            revert ScheduleBeforePrevious(previous, last.signEnd, last.readingsEnd, signEnd, readingsEnd);
        }
        periodId = previous + 1;
        _periodCount = periodId;
        _periods[periodId] = Period(policy, uint64(block.timestamp), publishEnd, matchEnd, signEnd, readingsEnd);
        emit PeriodOpened(periodId, policy, publishEnd, matchEnd, signEnd, readingsEnd);
    }

    // ------------------------------------------------------------------ agreeing orders

    /// @inheritdoc IEnergyMarket
    function proposeContract(uint256 periodId, address buyer, uint256 energyWh, uint256 pricePerKwh)
        external
        returns (uint256 orderId)
    {
        Period storage p = _period(periodId);
        _requireWindow(periodId, p.opensAt, p.matchEnd);
        _requireRole(msg.sender, true);
        _requireRole(buyer, false);
        if (buyer == msg.sender) revert SelfTrade(msg.sender);
        if (energyWh == 0) revert ZeroEnergy();
        if (pricePerKwh == 0) revert ZeroPrice();
        orderId = _newOrder(periodId, msg.sender, buyer, 0, energyWh, pricePerKwh, 0, Origin.Bilateral);
        _orders[orderId].status = OrderStatus.Proposed;
        emit ContractProposed(orderId, periodId, msg.sender, buyer, energyWh, pricePerKwh);
    }

    /// @inheritdoc IEnergyMarket
    function acceptProposal(uint256 orderId, uint256 bonus) external {
        Stored storage o = _orderIn(orderId, OrderStatus.Proposed);
        if (msg.sender != o.buyer) revert NotBuyer(orderId, msg.sender, o.buyer);
        _requireWindow(o.periodId, _periods[o.periodId].opensAt, _periods[o.periodId].matchEnd);
        o.bonus = uint96(_fits(bonus, 96));
        o.status = OrderStatus.Agreed;
        emit ProposalAccepted(orderId, msg.sender, bonus);
    }

    /// @inheritdoc IEnergyMarket
    function withdrawProposal(uint256 orderId) external {
        Stored storage o = _orderIn(orderId, OrderStatus.Proposed);
        if (msg.sender != o.seller) revert NotSeller(orderId, msg.sender, o.seller);
        o.status = OrderStatus.Cancelled;
        emit ProposalWithdrawn(orderId, msg.sender);
    }

    /// @inheritdoc IEnergyMarket
    function createMatchedOrder(
        uint256 periodId,
        address seller,
        address buyer,
        uint256 requestId,
        uint256 energyWh,
        uint256 pricePerKwh,
        uint256 bonus
    ) external onlyRole(MATCHER_ROLE) returns (uint256 orderId) {
        Period storage p = _period(periodId);
        _requireWindow(periodId, p.matchEnd, p.signEnd);
        if (seller == buyer) revert SelfTrade(seller);
        if (energyWh == 0) revert ZeroEnergy();
        if (pricePerKwh == 0) revert ZeroPrice();
        orderId = _newOrder(periodId, seller, buyer, requestId, energyWh, pricePerKwh, bonus, Origin.Matched);
        _orders[orderId].status = OrderStatus.Agreed;
        emit MatchedOrderCreated(orderId, periodId, seller, buyer, requestId, energyWh, pricePerKwh, bonus);
    }

    /// @inheritdoc IEnergyMarket
    function proposeAmendment(uint256 orderId, uint256 energyWh, uint256 pricePerKwh) external {
        Stored storage o = _amendable(orderId);
        if (msg.sender != o.seller && msg.sender != o.buyer) revert NotParty(orderId, msg.sender);
        if (energyWh == 0) revert ZeroEnergy();
        if (pricePerKwh == 0) revert ZeroPrice();
        _amendments[orderId] =
            Amendment(msg.sender, uint64(_fits(energyWh, 64)), uint96(_fits(pricePerKwh, 96)));
        emit AmendmentProposed(orderId, msg.sender, energyWh, pricePerKwh);
    }

    /// @inheritdoc IEnergyMarket
    function acceptAmendment(uint256 orderId, uint256 energyWh, uint256 pricePerKwh) external {
        Stored storage o = _amendable(orderId);
        Amendment memory a = _amendments[orderId];
        if (a.proposer == address(0)) revert NoAmendment(orderId);
        if (msg.sender != o.seller && msg.sender != o.buyer) revert NotParty(orderId, msg.sender);
        if (msg.sender == a.proposer) revert AmendmentOwnProposal(orderId, msg.sender);
        if (a.energyWh != energyWh || a.pricePerKwh != pricePerKwh) {
            revert AmendmentMismatch(orderId, energyWh, pricePerKwh, a.energyWh, a.pricePerKwh);
        }
        delete _amendments[orderId];
        o.energyWh = uint64(a.energyWh); // both checked to fit when proposed
        o.pricePerKwh = uint96(a.pricePerKwh);
        // new terms need a new audit (SPEC §1: every trade is audited before it takes effect)
        o.status = OrderStatus.Agreed;
        o.buyerDeposit = 0;
        o.sellerDeposit = 0;
        emit AmendmentAccepted(orderId, msg.sender, a.energyWh, a.pricePerKwh);
    }

    // ------------------------------------------------------------------ audit

    /// @inheritdoc IEnergyMarket
    function approveOrder(uint256 orderId, bytes32 reviewedTerms) external {
        _requireAuditor();
        _approve(orderId, reviewedTerms, msg.sender);
    }

    /// @inheritdoc IEnergyMarket
    function rejectOrder(uint256 orderId, bytes32 reason) external {
        _requireAuditor();
        _reject(orderId, reason, msg.sender);
    }

    /// @inheritdoc IEnergyMarket
    function approveOrders(uint256[] calldata orderIds, bytes32[] calldata reviewedTerms)
        external
        returns (uint256 approved)
    {
        return _auditMany(orderIds, reviewedTerms, true);
    }

    /// @inheritdoc IEnergyMarket
    function rejectOrders(uint256[] calldata orderIds, bytes32[] calldata reasons)
        external
        returns (uint256 rejected)
    {
        return _auditMany(orderIds, reasons, false);
    }

    /// @notice This contract only (one item of `approveOrders` / `rejectOrders`, run as a self-call so that a
    ///         refusal reverts the item alone): approve (`value` = reviewed terms hash) or reject (`value` =
    ///         reason) `orderId` on behalf of `auditor`, whom the batch checked.
    /// @param orderId the order
    /// @param value the reviewed terms hash (approve) or the reason code (reject)
    /// @param approve true to approve, false to reject
    /// @param auditor the batch's caller
    function auditInBatch(uint256 orderId, bytes32 value, bool approve, address auditor) external {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        if (approve) _approve(orderId, value, auditor);
        else _reject(orderId, value, auditor);
    }

    /// @dev `values`: reviewed terms hashes (approve) or reason codes (reject), one per order.
    function _auditMany(uint256[] calldata orderIds, bytes32[] calldata values, bool approve)
        private
        returns (uint256 done)
    {
        _requireAuditor();
        if (orderIds.length != values.length) revert LengthMismatch(orderIds.length, values.length);
        for (uint256 i = 0; i < orderIds.length; ++i) {
            try this.auditInBatch(orderIds[i], values[i], approve, msg.sender) {
                ++done;
            } catch (bytes memory why) {
                emit BatchItemSkipped(approve ? this.approveOrders.selector : this.rejectOrders.selector, orderIds[i], why);
            }
        }
    }

    function _approve(uint256 orderId, bytes32 reviewedTerms, address auditor) private {
        Stored storage o = _orderIn(orderId, OrderStatus.Agreed);
        if (auditor == o.seller || auditor == o.buyer) revert AuditorIsParty(orderId, auditor);
        bytes32 current = _termsHash(orderId, o);
        if (current != reviewedTerms) revert TermsChanged(orderId, reviewedTerms, current);
        Period storage p = _periods[o.periodId];
        _requireWindow(o.periodId, p.opensAt, p.signEnd);
        // nothing is signed while Agreed (see the invariants): the policy fixes the deposits now
        (uint256 buyerDeposit, uint256 sellerDeposit) = ISettlementPolicy(p.policy).deposits(_terms(orderId, o));
        o.buyerDeposit = uint128(_fits(buyerDeposit, 128));
        o.sellerDeposit = uint128(_fits(sellerDeposit, 128));
        o.status = OrderStatus.Approved;
        emit OrderApproved(orderId, auditor, buyerDeposit, sellerDeposit);
        if (buyerDeposit + handlingFee == 0 && sellerDeposit == 0) _activate(orderId, o, p);
    }

    function _reject(uint256 orderId, bytes32 reason, address auditor) private {
        Stored storage o = _orderIn(orderId, OrderStatus.Agreed);
        o.status = OrderStatus.Rejected;
        emit OrderRejected(orderId, auditor, reason); // nothing escrowed while Agreed: nothing to refund
    }

    // ------------------------------------------------------------------ escrow

    /// @inheritdoc IEnergyMarket
    function sign(uint256 orderId) external nonReentrant {
        Stored storage o = _orderIn(orderId, OrderStatus.Approved);
        Period storage p = _periods[o.periodId];
        _requireWindow(o.periodId, p.opensAt, p.signEnd);
        _activeRole(msg.sender);
        uint256 amount = 0;
        if (msg.sender == o.buyer) {
            if (o.buyerSigned) revert AlreadySigned(orderId, msg.sender);
            o.buyerSigned = true;
            amount = o.buyerDeposit + handlingFee;
        } else if (msg.sender == o.seller) {
            if (o.sellerSigned) revert AlreadySigned(orderId, msg.sender);
            o.sellerSigned = true;
            amount = o.sellerDeposit;
        } else {
            revert NotParty(orderId, msg.sender);
        }
        _totalEscrowed += amount;
        emit OrderSigned(orderId, msg.sender, amount);
        bool buyerDone = o.buyerSigned || o.buyerDeposit + handlingFee == 0;
        bool sellerDone = o.sellerSigned || o.sellerDeposit == 0;
        if (buyerDone && sellerDone) _activate(orderId, o, p);
        if (amount == 0) return;
        if (_accounts[msg.sender].balance >= amount) {
            _debit(msg.sender, amount);
            emit BalanceEscrowed(msg.sender, amount);
        } else {
            token.safeTransferFrom(msg.sender, address(this), amount);
        }
    }

    // ------------------------------------------------------------------ delivery

    /// @inheritdoc IEnergyMarket
    function submitReading(uint256 orderId, Side side, uint256 energyWh, address meter, bytes calldata signature)
        external
    {
        _recordReading(orderId, side, energyWh, meter, signature, msg.sender);
    }

    /// @inheritdoc IEnergyMarket
    function submitReadings(Reading[] calldata readings) external returns (uint256 recorded) {
        for (uint256 i = 0; i < readings.length; ++i) {
            try this.readingInBatch(readings[i], msg.sender) {
                ++recorded;
            } catch (bytes memory reason) {
                emit BatchItemSkipped(this.submitReadings.selector, i, reason);
            }
        }
    }

    /// @notice This contract only (one item of `submitReadings`, as a self-call): record a signed reading
    ///         relayed by `relayer`. The meter's signature is always checked (a meter at this contract's own
    ///         address is refused with `OnlySelf`, as it would pass as the sender).
    /// @param r the reading
    /// @param relayer the batch's caller (kept in the event)
    function readingInBatch(Reading calldata r, address relayer) external {
        // the sender is the book itself, so a "meter" bound to the book's own address would pass as the meter
        // sending its own reading (no signature): refused as well
        if (msg.sender != address(this) || r.meter == address(this)) revert OnlySelf(msg.sender);
        _recordReading(r.orderId, r.side, r.energyWh, r.meter, r.signature, relayer);
    }

    function _recordReading(
        uint256 orderId,
        Side side,
        uint256 energyWh,
        address meter,
        bytes calldata signature,
        address relayer
    ) private {
        Stored storage o = _orderIn(orderId, OrderStatus.Active);
        Period storage p = _periods[o.periodId];
        _requireWindow(o.periodId, p.opensAt, p.readingsEnd);
        uint256 nonce = _useNonce(meter);
        bytes32 structHash = keccak256(abi.encode(READING_TYPEHASH, orderId, uint8(side), energyWh, meter, nonce));
        IParticipantRegistry.Meter memory m =
            _authenticateReading(meter, side == Side.Seller ? o.seller : o.buyer, structHash, signature);
        uint256 previous = side == Side.Seller ? o.deliveredWh : o.receivedWh;
        // a meter reports its cumulative total for the order, which never decreases
        if (energyWh < previous) revert ReadingDecreased(orderId, side, previous, energyWh);
        // within the meter's Wh budget: rated power x time since its approval, minus what it reported
        _meterEnergy(meter, m, energyWh - previous);
        if (side == Side.Seller) o.deliveredWh = uint48(_fits(energyWh, 48));
        else o.receivedWh = uint48(_fits(energyWh, 48));
        emit ReadingRecorded(orderId, meter, side, energyWh, nonce, relayer);
    }

    // ------------------------------------------------------------------ settlement and withdrawal

    /// @inheritdoc IEnergyMarket
    function settle(uint256 orderId) external nonReentrant returns (ISettlementPolicy.Outcome memory outcome) {
        Stored storage o = _orderIn(orderId, OrderStatus.Active);
        Period storage p = _periods[o.periodId];
        if (block.timestamp < p.readingsEnd) {
            revert OutsideWindow(o.periodId, block.timestamp, p.readingsEnd, type(uint64).max);
        }
        ISettlementPolicy policy = ISettlementPolicy(p.policy);
        try policy.settle(_terms(orderId, o), o.deliveredWh, o.receivedWh) returns (
            ISettlementPolicy.Outcome memory result
        ) {
            outcome = result;
        } catch (bytes memory reason) {
            // An empty reason is an out-of-gas (or a bare revert): never a refusal, so the caller cannot force
            // the fallback by starving the policy of gas. Before the deadline a refusal still blocks.
            if (reason.length == 0 || block.timestamp < uint256(p.readingsEnd) + settlementGrace) {
                assembly ("memory-safe") {
                    revert(add(reason, 32), mload(reason))
                }
            }
            return _fallBack(orderId, o, reason);
        }
        address pool = _book(orderId, o, policy, outcome);
        _closeObligations(o.seller, o.buyer);
        reputation.recordSettlement(o.seller, o.periodId, o.deliveredWh, o.energyWh);
        if (outcome.toPool > 0) token.safeTransfer(pool, outcome.toPool);
    }

    /// @inheritdoc IEnergyMarket
    function settleMany(uint256[] calldata orderIds) external returns (uint256 settled) {
        // not nonReentrant itself: each item re-enters `settle` (which is) as an external self-call, so a refused
        // item reverts alone
        for (uint256 i = 0; i < orderIds.length; ++i) {
            // false positive: the outcome of each item is in its OrderSettled / SettlementFellBack event
            // slither-disable-next-line unused-return
            try this.settle(orderIds[i]) {
                ++settled;
            } catch (bytes memory reason) {
                emit BatchItemSkipped(this.settleMany.selector, orderIds[i], reason);
            }
        }
    }

    /// @dev The documented fallback of an order its policy refuses to settle after the deadline: refund both
    ///      deposits and the fee, cancel, close both obligations. The reputation record of the period is left
    ///      to `ProviderReputation.fold`, which folds it without this trade after the deadline.
    function _fallBack(uint256 orderId, Stored storage o, bytes memory reason)
        private
        returns (ISettlementPolicy.Outcome memory outcome)
    {
        o.status = OrderStatus.Cancelled;
        // an Active order escrowed every non-zero deposit, so the signed flags cover exactly what is held
        (outcome.toBuyer, outcome.toSeller) = _refund(o);
        emit SettlementFellBack(orderId, reason, outcome.toBuyer, outcome.toSeller);
        _closeObligations(o.seller, o.buyer);
    }

    /// @dev Effects of a settlement: check conservation, mark settled, credit payees, emit. Returns the pool.
    function _book(uint256 orderId, Stored storage o, ISettlementPolicy policy, ISettlementPolicy.Outcome memory outcome)
        private
        returns (address pool)
    {
        uint256 deposits = uint256(o.buyerDeposit) + o.sellerDeposit;
        uint256 paidOut = outcome.toSeller + outcome.toBuyer + outcome.toGrid + outcome.toPool;
        if (paidOut != deposits) revert ConservationViolated(orderId, deposits, paidOut);
        address grid = outcome.toGrid > 0 ? policy.grid() : address(0);
        pool = outcome.toPool > 0 ? policy.pool() : address(0);
        if ((outcome.toGrid > 0 && grid == address(0)) || (outcome.toPool > 0 && pool == address(0))) {
            revert MissingPayee(orderId, outcome.toGrid, outcome.toPool);
        }
        o.status = OrderStatus.Settled;
        uint256 fee = _feeOf(o);
        _totalEscrowed -= deposits + fee;
        _credit(o.seller, outcome.toSeller);
        _credit(o.buyer, outcome.toBuyer);
        _credit(grid, outcome.toGrid);
        _credit(feeRecipient, fee);
        emit OrderSettled(orderId, o.periodId, o.seller, o.buyer, o.deliveredWh, o.receivedWh, fee, outcome);
    }

    /// @inheritdoc IEnergyMarket
    function expire(uint256 orderId) external {
        Stored storage o = _orders[orderId];
        OrderStatus status = o.status;
        if (status == OrderStatus.None) revert UnknownOrder(orderId);
        uint256 signEnd = _periods[o.periodId].signEnd;
        if (
            (status != OrderStatus.Proposed && status != OrderStatus.Agreed && status != OrderStatus.Approved)
                || block.timestamp < signEnd
        ) {
            revert NotExpirable(orderId, status, block.timestamp, signEnd);
        }
        o.status = OrderStatus.Cancelled;
        (uint256 toBuyer, uint256 toSeller) = _refund(o);
        emit OrderExpired(orderId, status, toBuyer, toSeller);
    }

    /// @inheritdoc IEnergyMarket
    function deposit(uint256 amount) external nonReentrant {
        _credit(msg.sender, amount);
        emit Deposited(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IEnergyMarket
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _accounts[msg.sender].balance;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _debit(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IEnergyMarket
    function period(uint256 periodId) external view returns (Period memory) {
        return _periods[periodId];
    }

    /// @inheritdoc IEnergyMarket
    function periodCount() external view returns (uint256) {
        return _periodCount;
    }

    /// @inheritdoc IEnergyMarket
    function order(uint256 orderId) external view returns (Order memory) {
        Stored storage o = _orders[orderId];
        return Order(
            o.seller,
            o.periodId,
            o.status,
            o.origin,
            o.sellerSigned,
            o.buyerSigned,
            o.buyer,
            o.requestId,
            o.energyWh,
            o.pricePerKwh,
            o.bonus,
            uint128(_feeOf(o)),
            o.buyerDeposit,
            o.sellerDeposit,
            o.deliveredWh,
            o.receivedWh
        );
    }

    /// @inheritdoc IEnergyMarket
    function orderCount() external view returns (uint256) {
        return _orderCount;
    }

    /// @inheritdoc IEnergyMarket
    function pendingAmendment(uint256 orderId) external view returns (Amendment memory) {
        return _amendments[orderId];
    }

    /// @inheritdoc IEnergyMarket
    function termsHash(uint256 orderId) external view returns (bytes32) {
        return _termsHash(orderId, _orders[orderId]);
    }

    /// @inheritdoc IEnergyMarket
    function withdrawable(address account) external view returns (uint256) {
        return _accounts[account].balance;
    }

    /// @inheritdoc IEnergyMarket
    function periodContractedWh(uint256 periodId) external view returns (uint256) {
        return _contractedWh[periodId];
    }

    /// @inheritdoc IEnergyMarket
    function totalEscrowed() external view returns (uint256) {
        return _totalEscrowed;
    }

    /// @inheritdoc IEnergyMarket
    function totalWithdrawable() external view returns (uint256) {
        return _totalWithdrawable;
    }

    // ------------------------------------------------------------------ internals

    function _newOrder(
        uint256 periodId,
        address seller,
        address buyer,
        uint256 requestId,
        uint256 energyWh,
        uint256 pricePerKwh,
        uint256 bonus,
        Origin origin
    ) private returns (uint256 orderId) {
        orderId = ++_orderCount;
        Stored storage o = _orders[orderId];
        o.seller = seller;
        o.periodId = uint32(_fits(periodId, 32));
        o.origin = origin;
        o.buyer = buyer;
        o.requestId = uint32(_fits(requestId, 32));
        o.energyWh = uint64(_fits(energyWh, 64));
        o.pricePerKwh = uint96(_fits(pricePerKwh, 96));
        o.bonus = uint96(_fits(bonus, 96));
    }

    function _activate(uint256 orderId, Stored storage o, Period storage p) private {
        o.status = OrderStatus.Active;
        _contractedWh[o.periodId] += o.energyWh;
        _openObligations(o.seller, o.buyer);
        reputation.recordActivation(o.seller, o.periodId, p.signEnd, p.readingsEnd + settlementGrace);
        emit OrderActivated(orderId, o.periodId, o.seller, o.buyer);
    }

    /// @dev The handling fee an order holds: what the buyer escrowed with its signature (the immutable fee).
    function _feeOf(Stored storage o) private view returns (uint256) {
        return o.buyerSigned ? handlingFee : 0;
    }

    /// @dev Refund what the parties escrowed (signed flags) to their internal balances; the caller sets the status.
    function _refund(Stored storage o) private returns (uint256 toBuyer, uint256 toSeller) {
        toBuyer = o.buyerSigned ? uint256(o.buyerDeposit) + handlingFee : 0;
        toSeller = o.sellerSigned ? uint256(o.sellerDeposit) : 0;
        _totalEscrowed -= toBuyer + toSeller;
        _credit(o.buyer, toBuyer);
        _credit(o.seller, toSeller);
    }

    /// @dev Take `amount` from `account`'s internal balance (into escrow or out by withdrawal).
    function _debit(address account, uint256 amount) private {
        if (amount == 0) return;
        Account storage a = _accounts[account];
        uint256 balance = a.balance;
        if (balance < amount) revert InsufficientBalance(account, balance, amount);
        unchecked {
            a.balance = uint128(balance - amount);
            _totalWithdrawable -= amount;
        }
    }

    /// @dev Both parties have one more Active order (counted before any registry call); the registry obligation
    ///      is opened with a party's first (the registry refuses it for an inactive account), later ones check
    ///      the party is still active.
    function _openObligations(address seller, address buyer) private {
        bool sellerFirst = _accounts[seller].activeOrders++ == 0;
        bool buyerFirst = _accounts[buyer].activeOrders++ == 0;
        _openObligation(seller, sellerFirst);
        _openObligation(buyer, buyerFirst);
    }

    function _openObligation(address account, bool first) private {
        if (first) registry.openObligation(account);
        else _activeRole(account);
    }

    /// @dev Both parties have one Active order less (counted before any registry call); a party's registry
    ///      obligation is closed with its last one.
    function _closeObligations(address seller, address buyer) private {
        bool sellerLast = --_accounts[seller].activeOrders == 0;
        bool buyerLast = --_accounts[buyer].activeOrders == 0;
        if (sellerLast) registry.closeObligation(seller);
        if (buyerLast) registry.closeObligation(buyer);
    }

    function _credit(address account, uint256 amount) private {
        if (amount == 0) return;
        Account storage a = _accounts[account];
        a.balance = uint128(_fits(a.balance + amount, 128));
        _totalWithdrawable += amount;
    }

    function _terms(uint256 orderId, Stored storage o) private view returns (ISettlementPolicy.Terms memory) {
        return ISettlementPolicy.Terms({
            orderId: orderId,
            periodId: o.periodId,
            seller: o.seller,
            buyer: o.buyer,
            energyWh: o.energyWh,
            pricePerKwh: o.pricePerKwh,
            bonus: o.bonus,
            periodContractedWh: _contractedWh[o.periodId]
        });
    }

    function _termsHash(uint256 orderId, Stored storage o) private view returns (bytes32) {
        return keccak256(abi.encode(orderId, o.energyWh, o.pricePerKwh, o.bonus));
    }

    function _period(uint256 periodId) private view returns (Period storage p) {
        p = _periods[periodId];
        if (p.opensAt == 0) revert UnknownPeriod(periodId);
    }

    function _requireWindow(uint256 periodId, uint256 from, uint256 until) private view {
        if (block.timestamp < from || block.timestamp >= until) {
            revert OutsideWindow(periodId, block.timestamp, from, until);
        }
    }

    function _orderIn(uint256 orderId, OrderStatus expected) private view returns (Stored storage o) {
        o = _orders[orderId];
        if (o.status == OrderStatus.None) revert UnknownOrder(orderId);
        if (o.status != expected) revert WrongOrderStatus(orderId, o.status, expected);
    }

    function _amendable(uint256 orderId) private view returns (Stored storage o) {
        o = _orders[orderId];
        OrderStatus status = o.status;
        if (status == OrderStatus.None) revert UnknownOrder(orderId);
        if (status != OrderStatus.Agreed && status != OrderStatus.Approved) {
            revert WrongOrderStatus(orderId, status, OrderStatus.Agreed);
        }
        if (o.buyerSigned || o.sellerSigned) revert AmendmentAfterSigning(orderId);
        Period storage p = _periods[o.periodId];
        _requireWindow(o.periodId, p.opensAt, p.signEnd);
    }

    /// @dev SafeCast's check and error (`SafeCastOverflowedUintDowncast`) in one function for every width: one
    ///      SafeCast function per width (five here) did not fit the contract under the EIP-170 size limit.
    function _fits(uint256 value, uint8 bits) private pure returns (uint256) {
        if (value >> bits != 0) revert SafeCast.SafeCastOverflowedUintDowncast(bits, value);
        return value;
    }

    function _requireAuditor() private view {
        if (!IAccessControl(address(registry)).hasRole(AUDITOR_ROLE, msg.sender)) revert NotAuditor(msg.sender);
    }

    /// @dev The role of `account`, which must be approved (active) in the registry; one slot of the registry's
    ///      record (role, status), not the four-slot `participant` struct.
    function _activeRole(address account) private view returns (IParticipantRegistry.Role role) {
        IParticipantRegistry.Status status;
        (role, status) = registry.roleAndStatus(account);
        if (status != IParticipantRegistry.Status.Approved) revert PartyNotActive(account);
    }

    /// @dev `provider`: a generator or prosumer; otherwise a consumer or prosumer. Either way approved.
    function _requireRole(address account, bool provider) private view {
        IParticipantRegistry.Role role = _activeRole(account);
        if (provider && role == IParticipantRegistry.Role.Consumer) revert NotAProvider(account);
        if (!provider && role == IParticipantRegistry.Role.Generator) revert NotAConsumer(account);
    }
}
