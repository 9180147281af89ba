// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISettlementPolicy} from "./ISettlementPolicy.sol";

/// @title The market's order lifecycle: trading periods, bilateral and matched orders, audit, escrow,
///        meter readings, settlement and withdrawals (SPEC §2-3, seed 003 §3 and §5, seed 001 §2.2)
/// @notice Lifecycle of one order:
///         `Proposed` (bilateral: the seller proposed, the buyer has not accepted yet)
///         -> `Agreed` (both parties consented; matched orders start here)
///         -> `Approved` (the weak-centre auditor approved; deposits fixed by the period's policy) | `Rejected`
///         -> `Active` (every party with a non-zero deposit signed it into escrow; the order is in effect)
///         -> `Settled` (after the readings window; the policy split the escrow into withdrawable balances).
///         An order that is not `Active` when the period's signing window closes can be expired by anyone
///         (`Cancelled`, deposits refunded); a seller may withdraw an unaccepted proposal (`Cancelled`).
///         An `Active` order its policy refuses to settle (e.g. a credit round already closed) is, once the
///         period's settlement deadline (readings end + `settlementGrace`) passed, resolved by anyone through the
///         fallback of `settle`: both deposits and the fee refunded, `Cancelled`, `SettlementFellBack` emitted.
/// @dev Period phases, each a half-open interval of block timestamps:
///      publish [opensAt, publishEnd): offers, requests, bilateral proposals;
///      matching [publishEnd, matchEnd): assignment submissions; bilateral proposals still allowed;
///      signing [matchEnd, signEnd): matched orders materialised, audit, deposits;
///      delivery (from activation to readingsEnd): meter readings;
///      settlement [readingsEnd, ...): anyone settles; a missing reading counts as 0 Wh;
///      fallback [readingsEnd + settlementGrace, ...): a policy refusal no longer blocks: `settle` refunds.
///      Amounts are EnergyToken base units, energies Wh, prices token base units per kWh (contracts/lib/Units.sol).
interface IEnergyMarket {
    enum OrderStatus {
        None,
        Proposed,
        Agreed,
        Approved,
        Active,
        Settled,
        Rejected,
        Cancelled
    }

    /// @notice How the order was agreed.
    enum Origin {
        Bilateral,
        Matched
    }

    /// @notice Which party's meter a reading comes from: the seller's reports rho, the buyer's gamma.
    enum Side {
        Seller,
        Buyer
    }

    /// @notice One trading period and the settlement policy its orders use.
    struct Period {
        address policy;
        uint64 opensAt;
        uint64 publishEnd;
        uint64 matchEnd;
        uint64 signEnd;
        uint64 readingsEnd;
    }

    /// @notice One order (packed into six storage slots).
    struct Order {
        address seller;
        uint64 periodId;
        OrderStatus status;
        Origin origin;
        bool sellerSigned;
        bool buyerSigned;
        address buyer;
        uint96 requestId; // the matched request (0 for bilateral orders)
        uint128 energyWh; // R / C_e
        uint128 pricePerKwh; // r / U, token base units per kWh
        uint128 bonus; // the buyer's optional reward for an honest supplier (seed 003 eq 6)
        uint128 fee; // handling fee the buyer pays with its deposit (seed 001 §2.2), to the operator at settlement
        uint128 buyerDeposit; // fixed at approval by the policy's deposits()
        uint128 sellerDeposit;
        uint128 deliveredWh; // rho: the seller-side meter's cumulative reading
        uint128 receivedWh; // gamma: the buyer-side meter's cumulative reading
    }

    /// @notice One meter reading in a relayed batch (`submitReadings`); fields as in `submitReading`.
    struct Reading {
        uint256 orderId;
        Side side;
        uint256 energyWh;
        address meter;
        bytes signature;
    }

    /// @notice An amendment of an order's terms proposed by one party and waiting for the other.
    struct Amendment {
        address proposer;
        uint128 energyWh;
        uint128 pricePerKwh;
    }

    event PolicyAllowed(address indexed policy, bool allowed);
    event PeriodOpened(
        uint256 indexed periodId,
        address indexed policy,
        uint64 publishEnd,
        uint64 matchEnd,
        uint64 signEnd,
        uint64 readingsEnd
    );
    event ContractProposed(
        uint256 indexed orderId,
        uint256 indexed periodId,
        address indexed seller,
        address buyer,
        uint256 energyWh,
        uint256 pricePerKwh
    );
    event ProposalAccepted(uint256 indexed orderId, address indexed buyer, uint256 bonus);
    event ProposalWithdrawn(uint256 indexed orderId, address indexed seller);
    event MatchedOrderCreated(
        uint256 indexed orderId,
        uint256 indexed periodId,
        address indexed seller,
        address buyer,
        uint256 requestId,
        uint256 energyWh,
        uint256 pricePerKwh,
        uint256 bonus
    );
    event AmendmentProposed(uint256 indexed orderId, address indexed proposer, uint256 energyWh, uint256 pricePerKwh);
    event AmendmentAccepted(uint256 indexed orderId, address indexed acceptor, uint256 energyWh, uint256 pricePerKwh);
    event OrderApproved(uint256 indexed orderId, address indexed auditor, uint256 buyerDeposit, uint256 sellerDeposit);
    event OrderRejected(uint256 indexed orderId, address indexed auditor, bytes32 reason);
    event OrderSigned(uint256 indexed orderId, address indexed party, uint256 escrowed);
    event OrderActivated(uint256 indexed orderId, uint256 indexed periodId, address indexed seller, address buyer);
    event ReadingRecorded(
        uint256 indexed orderId, address indexed meter, Side side, uint256 energyWh, uint256 nonce, address relayer
    );
    event OrderSettled(
        uint256 indexed orderId,
        uint256 indexed periodId,
        address indexed seller,
        address buyer,
        uint256 deliveredWh,
        uint256 receivedWh,
        uint256 fee,
        ISettlementPolicy.Outcome outcome
    );
    event SettlementFellBack(uint256 indexed orderId, bytes reason, uint256 refundedToBuyer, uint256 refundedToSeller);
    event OrderExpired(uint256 indexed orderId, OrderStatus previous, uint256 refundedToBuyer, uint256 refundedToSeller);
    event Withdrawn(address indexed account, uint256 amount);
    event Deposited(address indexed account, uint256 amount);
    /// @notice `amount` of `account`'s internal balance moved into escrow (instead of an ERC-20 transfer).
    event BalanceEscrowed(address indexed account, uint256 amount);
    /// @notice One item of a batch was refused and skipped (its state unchanged); `reason` is the item's revert
    ///         data (custom error selector and arguments). `batch` is the batch function's selector.
    event BatchItemSkipped(bytes4 indexed batch, uint256 indexed item, bytes reason);

    error PolicyNotAllowed(address policy);
    error BadSchedule(uint256 now_, uint64 publishEnd, uint64 matchEnd, uint64 signEnd, uint64 readingsEnd);
    /// @notice A new period's signing or readings window would end before the previous period's: periods'
    ///         `signEnd` and `readingsEnd` never decrease with the period id (what the reputation fold's order rests
    ///         on).
    error ScheduleBeforePrevious(
        uint256 previousPeriodId, uint64 previousSignEnd, uint64 previousReadingsEnd, uint64 signEnd, uint64 readingsEnd
    );
    error UnknownPeriod(uint256 periodId);
    error OutsideWindow(uint256 periodId, uint256 now_, uint256 from, uint256 until);
    error UnknownOrder(uint256 orderId);
    error WrongOrderStatus(uint256 orderId, OrderStatus actual, OrderStatus expected);
    error NotSeller(uint256 orderId, address caller, address seller);
    error NotBuyer(uint256 orderId, address caller, address buyer);
    error NotParty(uint256 orderId, address caller);
    error NotAuditor(address caller);
    /// @notice The auditor is the seller or the buyer of the order it tries to approve: nobody audits its own trade.
    error AuditorIsParty(uint256 orderId, address auditor);
    error PartyNotActive(address account);
    error NotAProvider(address account);
    error NotAConsumer(address account);
    error SelfTrade(address account);
    error ZeroEnergy();
    error ZeroPrice();
    error AlreadySigned(uint256 orderId, address party);
    error NoAmendment(uint256 orderId);
    error AmendmentOwnProposal(uint256 orderId, address proposer);
    error AmendmentAfterSigning(uint256 orderId);
    error AmendmentMismatch(
        uint256 orderId, uint256 expectedEnergyWh, uint256 expectedPricePerKwh, uint256 energyWh, uint256 pricePerKwh
    );
    error ReadingDecreased(uint256 orderId, Side side, uint256 previous, uint256 reported);
    error NotExpirable(uint256 orderId, OrderStatus status, uint256 now_, uint256 signEnd);
    error ConservationViolated(uint256 orderId, uint256 deposits, uint256 paidOut);
    error MissingPayee(uint256 orderId, uint256 toGrid, uint256 toPool);
    error NothingToWithdraw(address account);
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    error TermsChanged(uint256 orderId, bytes32 reviewed, bytes32 current);
    error LengthMismatch(uint256 ids, uint256 hashes);
    error OnlySelf(address caller);

    // ------------------------------------------------------------------ periods (operator)

    /// @notice Admin: allow or forbid a settlement policy for periods opened from now on.
    /// @param policy an `ISettlementPolicy` whose market is this contract
    /// @param allowed true to allow
    function setPolicyAllowed(address policy, bool allowed) external;

    /// @notice Operator: open the next trading period with absolute phase deadlines (unix seconds).
    /// @param policy an allowed settlement policy for every order of the period
    /// @param publishEnd end of publishing (offers, requests); must be in the future
    /// @param matchEnd end of the matching window (> publishEnd)
    /// @param signEnd end of audit and signing (> matchEnd; >= the previous period's signEnd)
    /// @param readingsEnd end of meter readings; settlement opens here (> signEnd; >= the previous period's)
    /// @return periodId the new period's id (1, 2, ...)
    function openPeriod(address policy, uint64 publishEnd, uint64 matchEnd, uint64 signEnd, uint64 readingsEnd)
        external
        returns (uint256 periodId);

    // ------------------------------------------------------------------ agreeing orders

    /// @notice Seller: propose a bilateral contract to `buyer` (seed 001's negotiated contract).
    ///         Allowed from the period's opening until its matching window closes.
    /// @param periodId the period
    /// @param buyer an approved consumer or prosumer
    /// @param energyWh contracted energy R (Wh)
    /// @param pricePerKwh agreed price r (token base units per kWh)
    /// @return orderId the proposal's order id
    function proposeContract(uint256 periodId, address buyer, uint256 energyWh, uint256 pricePerKwh)
        external
        returns (uint256 orderId);

    /// @notice Buyer: accept a proposal; the order then waits for the auditor.
    /// @param orderId the proposal
    /// @param bonus optional reward (tokens) for an honest supplier, escrowed with the pre-sale amount
    function acceptProposal(uint256 orderId, uint256 bonus) external;

    /// @notice Seller: withdraw a proposal the buyer has not accepted yet.
    /// @param orderId the proposal
    function withdrawProposal(uint256 orderId) external;

    /// @notice Matching market: turn one pair of the period's winning assignment into an order awaiting audit.
    /// @param periodId the period
    /// @param seller the offer's provider
    /// @param buyer the request's consumer
    /// @param requestId the request served
    /// @param energyWh the request's energy R_i (Wh)
    /// @param pricePerKwh the offer's price r_j
    /// @param bonus the request's bonus
    /// @return orderId the new order
    function createMatchedOrder(
        uint256 periodId,
        address seller,
        address buyer,
        uint256 requestId,
        uint256 energyWh,
        uint256 pricePerKwh,
        uint256 bonus
    ) external returns (uint256 orderId);

    /// @notice Party: propose new terms for an order not yet signed by anyone; the other party must accept.
    /// @param orderId the order (Agreed or Approved)
    /// @param energyWh the new contracted energy (Wh)
    /// @param pricePerKwh the new price
    function proposeAmendment(uint256 orderId, uint256 energyWh, uint256 pricePerKwh) external;

    /// @notice The other party: accept the pending amendment; the order returns to `Agreed` for a new audit.
    ///         The caller names the terms it accepts, so an amendment replaced just before cannot be slipped in.
    /// @param orderId the order
    /// @param energyWh the amended energy the caller accepts (Wh); must equal the pending amendment's
    /// @param pricePerKwh the amended price the caller accepts; must equal the pending amendment's
    function acceptAmendment(uint256 orderId, uint256 energyWh, uint256 pricePerKwh) external;

    // ------------------------------------------------------------------ audit (weak centre)

    /// @notice Auditor: approve an agreed order; the policy fixes the deposits. The auditor cannot edit terms,
    ///         and names the terms it reviewed (`termsHash(orderId)` when it read them), so an amendment landing
    ///         between the review and the approval makes the approval revert `TermsChanged` (review finding 2).
    ///         An order whose deposits and fee are all zero becomes `Active` here. An auditor that is a party of
    ///         the order cannot approve it (`AuditorIsParty`): another auditor must.
    /// @param orderId the order
    /// @param reviewedTerms the `termsHash` of the terms the auditor reviewed
    function approveOrder(uint256 orderId, bytes32 reviewedTerms) external;

    /// @notice Auditor: approve many orders in one call. Atomic per item: an item that `approveOrder` would
    ///         refuse is skipped with `BatchItemSkipped` and left unchanged; the others are approved.
    /// @param orderIds the orders
    /// @param reviewedTerms the reviewed `termsHash` of each order (same length)
    /// @return approved how many were approved
    function approveOrders(uint256[] calldata orderIds, bytes32[] calldata reviewedTerms)
        external
        returns (uint256 approved);

    /// @notice Auditor: reject many orders; refused items are skipped (`BatchItemSkipped`) and left unchanged.
    /// @param orderIds the orders
    /// @param reasons a short reason code per order (kept in its event; same length)
    /// @return rejected how many were rejected
    function rejectOrders(uint256[] calldata orderIds, bytes32[] calldata reasons)
        external
        returns (uint256 rejected);

    /// @notice Auditor: reject an agreed order; it never takes effect (nothing is escrowed before approval).
    /// @param orderId the order
    /// @param reason a short reason code (kept in the event)
    function rejectOrder(uint256 orderId, bytes32 reason) external;

    // ------------------------------------------------------------------ escrow, delivery, settlement

    /// @notice Party: move the caller's deposit (buyer: deposit + handling fee) into escrow. The order becomes
    ///         `Active` once every party with a non-zero deposit has signed; the registry then records an open
    ///         obligation for both parties. Taken from the caller's internal balance (`deposit`, credits of
    ///         earlier settlements) when it covers the amount; otherwise transferred, which needs an ERC-20
    ///         allowance to this contract.
    /// @param orderId an approved order, before the period's signing deadline
    function sign(uint256 orderId) external;

    /// @notice Record a cumulative meter reading for one side of an active order, sent by the meter itself or
    ///         relayed by anyone with the meter's EIP-712 signature over
    ///         `MeterReading(uint256 orderId,uint8 side,uint256 energyWh,address meter,uint256 nonce)`.
    /// @param orderId the order
    /// @param side 0 = seller (rho), 1 = buyer (gamma)
    /// @param energyWh the meter's cumulative energy for this order (never decreases)
    /// @param meter the meter account, bound in the registry to that side's party
    /// @param signature the meter's signature (ignored when the meter sends the reading itself)
    function submitReading(uint256 orderId, Side side, uint256 energyWh, address meter, bytes calldata signature)
        external;

    /// @notice Relay many meter readings in one call (each with its meter's EIP-712 signature). Atomic per item:
    ///         a reading `submitReading` would refuse is skipped with `BatchItemSkipped` (index in the array).
    /// @param readings the readings
    /// @return recorded how many were recorded
    function submitReadings(Reading[] calldata readings) external returns (uint256 recorded);

    /// @notice Anyone: settle many orders in one call; an order `settle` would refuse is skipped with
    ///         `BatchItemSkipped` and left unchanged.
    /// @param orderIds the orders
    /// @return settled how many were settled (or fell back)
    function settleMany(uint256[] calldata orderIds) external returns (uint256 settled);

    /// @notice Anyone, once the readings window closed: settle an active order through the period's policy.
    ///         If the policy refuses (reverts with a reason) before the settlement deadline, so does this call;
    ///         from the deadline (readings end + `settlementGrace`) on, a refusal triggers the fallback instead:
    ///         deposits and fee refunded, the order `Cancelled`, both obligations closed. A revert without a
    ///         reason (out of gas) is never taken as a refusal.
    /// @param orderId the order
    /// @return outcome the split of the escrow (the fallback reports the refunds as toBuyer / toSeller)
    function settle(uint256 orderId) external returns (ISettlementPolicy.Outcome memory outcome);

    /// @notice Anyone, once the signing window closed: cancel an order that never took effect, refunding deposits.
    /// @param orderId a Proposed, Agreed or Approved order
    function expire(uint256 orderId) external;

    /// @notice Pull the caller's whole withdrawable (internal) balance.
    /// @return amount the tokens transferred
    function withdraw() external returns (uint256 amount);

    /// @notice Anyone: move `amount` EnergyToken into the caller's internal balance (needs an ERC-20
    ///         allowance once); `sign` then escrows from it without further approvals.
    /// @param amount tokens
    function deposit(uint256 amount) external;

    // ------------------------------------------------------------------ views

    /// @notice Seconds after a period's readings window during which a policy refusal still blocks settlement;
    ///         after it the fallback applies (the liveness bound of every order).
    /// @return the grace period
    function settlementGrace() external view returns (uint64);

    /// @notice A period's schedule and policy.
    /// @param periodId the period
    /// @return the period (all zero when unknown)
    function period(uint256 periodId) external view returns (Period memory);

    /// @notice How many periods were opened.
    /// @return the count (= the latest period id)
    function periodCount() external view returns (uint256);

    /// @notice One order.
    /// @param orderId the order
    /// @return the order (all zero when unknown)
    function order(uint256 orderId) external view returns (Order memory);

    /// @notice How many orders exist.
    /// @return the count (= the latest order id)
    function orderCount() external view returns (uint256);

    /// @notice The amendment waiting for acceptance on `orderId` (proposer zero when none).
    /// @param orderId the order
    /// @return the amendment
    function pendingAmendment(uint256 orderId) external view returns (Amendment memory);

    /// @notice The hash of an order's current terms that the auditor's approval must name:
    ///         keccak256(abi.encode(orderId, energyWh, pricePerKwh, bonus)).
    /// @param orderId the order
    /// @return the hash
    function termsHash(uint256 orderId) external view returns (bytes32);

    /// @notice Tokens `account` can withdraw (its internal balance).
    /// @param account the payee
    /// @return the balance
    function withdrawable(address account) external view returns (uint256);

    /// @notice Sum of the contracted energy of every active or settled order of a period (Wh).
    /// @param periodId the period
    /// @return the sum
    function periodContractedWh(uint256 periodId) external view returns (uint256);

    /// @notice Tokens held for orders not yet settled (deposits and fees).
    /// @return the sum
    function totalEscrowed() external view returns (uint256);

    /// @notice Tokens credited to payees and not yet withdrawn.
    /// @return the sum
    function totalWithdrawable() external view returns (uint256);
}
