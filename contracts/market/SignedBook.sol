// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {IPeriodTally, IProviderReputation} from "../../interfaces/IProviderReputation.sol";
import {ISettlementPolicy} from "../../interfaces/ISettlementPolicy.sol";
import {MeterAuthenticated} from "../lib/MeterAuthenticated.sol";

/// @title SignedBook: the lean life of a bilateral contract both parties signed off chain (issue 13)
/// @notice A seller and a buyer agree terms off chain and both sign them (EIP-712 `Deal`); anyone opens the
///         contract in one call (`open` / `openMany`), escrowing the policy's deposits and the handling fee from
///         the parties' internal balances (`deposit` once, `withdraw` when they want). The registry's auditor
///         approves (activates) or rejects it (`approve` / `approveMany`, `reject` / `rejectMany`). The two
///         meters sign their FINAL reading of the order (`FinalReading`); a relayer hands both in one call
///         (`report` / `reportMany`) and the order settles in that call through the period's policy; a single
///         reading is stored until the other arrives. After the readings window anyone settles what is left
///         (`settle` / `settleMany`, a missing reading counts 0 Wh).
///         Periods (schedule and policy) are the `OrderBook`'s: this book reads `book.period(id)` once, at
///         opening, and maps the period's policy to an instance bound to this book (`policyFor`, admin).
/// @dev Gas design (docs/gas.md has the budget): an order is ONE storage word, the hash of its `Order` (the
///      signed terms plus what the book fixed at opening: policy, schedule, deposits) with the status in its low
///      byte; every later call passes the `Order` in calldata and the book checks it against the word. The word
///      and the reading word are deleted when the order ends (gas refund). The auditor names the order by its
///      hash (`orderHash`), so an approval carries no order in calldata. The order id is the EIP-712 digest of
///      the signed terms, unique because the seller's nonce is spent (unordered nonces, one word per 256).
///      No per-trade registry obligation: both parties are checked active at opening and the escrow sits in this
///      book, so a party that exits or is suspended later cannot take it along; the order goes on as agreed (its
///      meter, still approved in the registry unless the auditor revokes it, reports and the order settles as
///      usual; a meter that stops reporting reads 0 Wh at the window's end).
///      Provider reputation (seed 003 eq 1-2): this book keeps one tally word per (seller, period): orders open,
///      trades settled, sum of v = min(1, delivered / agreed). The opening of a seller's first order in a period
///      registers the period with `ProviderReputation` (before its signing window ends, so no later period folds
///      first); its `fold` reads the tally (`tallyOf`) and waits while an order is open, until the deadline.
///      An order settled through the policy counts as a trade; an expired, rejected or fallen-back order only
///      leaves the open count (as on `OrderBook`, where such orders record no settlement).
/// LIVENESS: every order ends (its words deleted, its escrow credited back or paid out) in bounded time whatever
///  anyone does, and once past its deadline anyone ends it with one call:
///   - Agreed (opened, not audited): `expire` from the period's `signEnd` (escrow refunded);
///   - Active: settled as soon as both final readings are in; otherwise `settle` from `readingsEnd` through the
///     policy with the readings stored (missing = 0 Wh); from `readingsEnd + settlementGrace` any failure of
///     the policy (a revert with or without a reason, a split that breaks conservation, a missing payee) no
///     longer blocks: both deposits and the fee are refunded. The policy then always gets `POLICY_GAS`, so the
///     caller cannot force that fallback by sending too little gas (`InsufficientGas` refuses such a call).
/// Invariants (tests/contracts/test_market_signed.py, tests/foundry/SignedBookInvariants.t.sol):
///  - Conservation: `token.balanceOf(this)` = sum over accounts of `withdrawable(a)` + sum over open orders
///    (Agreed or Active) of buyerDeposit + handlingFee + sellerDeposit + sum over (seller, period) of
///    `uncollectedFees`. Tokens enter only by `deposit` and leave only by `withdraw` and a policy's `toPool` share
///    (taken from the order's escrow); every other move is between an internal balance, an order's escrow and
///    the fees a settlement accrues in its seller's period tally (exactly one `handlingFee` per trade counted
///    there; `collectFees` moves them to `feeRecipient`'s balance once). No running totals are stored (two more
///    word writes per trade): the tests sum the balances of every account, the escrow of every open order and
///    the uncollected fees of every (seller, period).
///  - Bounded balances: `deposit` refuses to take the book's holding to 2^128 base units or more, so by conservation
///    no internal balance, escrow or credit reaches 2^128 and no settlement or refund reverts on one (review 4 F1).
///  - An order's terms are exactly what both parties signed (two EIP-712 signatures over one `Deal`); the book
///    adds only the period's mapped policy, its schedule and the policy's deposits. The auditor only moves Agreed
///    to Active or ends it (Rejected), naming the whole `Order` it reviewed. Nothing takes effect unaudited.
///  - A seller's nonce opens at most one contract; either party may revoke signed terms before they are opened
///    (`revoke`: the seller spends its nonce, the buyer closes that one deal), and a seller may invalidate any of
///    its nonces (`invalidateNonces`).
///  - A refused batch item changes nothing and leaves only its `BatchItemSkipped` event: `openMany`,
///    `openMatched`, `approveMany` and `reportMany` run every check of an item before its first write (a check
///    phase returning the custom error, then an apply phase that cannot fail; no self-call); `rejectMany` and
///    `settleMany` run each item as an external self-call that reverts alone.
///  - A matched order (`openMatched`, the MATCHER_ROLE's) has the terms of a pair of a verified assignment: the
///    request's buyer, energy and bonus, the offer's seller and price (the one thing trusted to the matcher,
///    docs/trust-model.md). The book still checks every matched deal itself: window [matchEnd, signEnd), roles
///    and activity, no self-trade, nonzero energy and price, escrow from the parties' balances. Its request id
///    is spent as the matcher's nonce, so a request opens at most one order; its id keccak256(matcher, request
///    id) cannot equal a signed deal's (an EIP-712 digest). From then on it lives as a signed bilateral order.
///  - A matched order's price never exceeds the cap its buyer set itself (`setMatchedPriceCap`, default 0: no
///    matched order at all): a request names no price and the buyer signs nothing on this path, so without the
///    cap a provider's offer at any price would escrow the buyer's balance (`PriceAboveCap`, the pair skipped).
///  - Grid-balanced periods (`mapGridPolicy`): `periodContractedWh(p)` = the energy of every approved order of `p`
///    whose policy needs it; it grows only by approvals, which end at `p`'s `signEnd`, and such an order settles
///    only from `signEnd`, so every settlement of `p` passes the same total (the credit ledger's rule). The
///    policy is bound to this book alone (`PolicySharedWithBook`), so no other book settles `p` with another
///    total.
///  - Reputation tally of (seller, period): `open` = orders of the seller in the period opened and not ended,
///    `trades` = those settled through the policy, `sumV` = the sum of their v (WAD, each <= 1e18); an order
///    moves it once when it opens and once when it ends. Every opening path calls `_countOpen`.
contract SignedBook is MeterAuthenticated, AccessControl, ReentrancyGuardTransient, IPeriodTally {
    using SafeERC20 for IERC20;

    /// @notice The registry's weak-centre role (read from the registry: its holders audit orders here).
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");
    /// @notice EIP-712 type both parties sign to agree a bilateral contract.
    bytes32 public constant DEAL_TYPEHASH = keccak256(
        "Deal(uint256 periodId,address seller,address buyer,uint256 energyWh,uint256 pricePerKwh,uint256 bonus,"
        "uint256 nonce)"
    );
    /// @notice EIP-712 type of a meter's final reading of an order (cumulative Wh over the whole delivery).
    bytes32 public constant FINAL_READING_TYPEHASH =
        keccak256("FinalReading(uint256 orderId,uint8 side,uint256 energyWh,address meter)");

    uint8 private constant AGREED = 1;
    uint8 private constant ACTIVE = 2;
    /// @dev Active with one reading stored in `_readings` (the other side not in yet).
    uint8 private constant ACTIVE_READ = 3;
    uint256 private constant STATUS_MASK = 0xff;
    /// @dev The word of a deal its buyer revoked before it opened (matches no order's word).
    uint256 private constant REVOKED = 0xff;
    /// @dev Order word: bits 49..255 the top 207 bits of `orderHash(order)`, bit 48 `PERIOD_TOTAL` (the order's
    ///      policy needs the period's contracted total), bits 8..47 the period's `signEnd` (what `approve` checks
    ///      without the order), bits 0..7 the status.
    uint256 private constant HASH_SHIFT = 49;
    uint256 private constant PERIOD_TOTAL = 1 << 48;
    /// @dev A `_policyFor` word: the policy's address, and this bit when it needs the period's contracted total.
    uint256 private constant NEEDS_TOTAL = 1 << 160;
    uint256 private constant LOW128 = type(uint128).max;
    /// @dev Gas handed to the settlement policy (the grid-balanced policy needs about 420k): an out-of-gas inside
    ///      it is then the policy's own failure, never one the caller forced by sending too little gas.
    uint256 private constant POLICY_GAS = 1_500_000;
    /// @dev Gas a late settlement (past the grace, where any failure falls back to refunds) needs on entry: the
    ///      policy's share (all but 1/64 of what is left is forwarded) plus the rest of the settlement.
    uint256 private constant LATE_SETTLE_GAS = 1_700_000;
    /// @dev Gas a party's ERC-1271 wallet may use to check its signature, so one item of a batch cannot take the
    ///      whole batch's gas.
    uint256 private constant SIGNATURE_GAS = 500_000;
    /// @dev Transient slots (EIP-1153, cleared after each transaction) caching the last period read from the order
    ///      book: a period never changes once opened, so a batch reads it once. `mapPolicy` clears the cache.
    uint256 private constant T_PERIOD_ID = 0x5349474e4544424f4f4b2e504552494f442e49442e; // "SIGNEDBOOK.PERIOD.ID."
    uint256 private constant T_POLICY = 0x5349474e4544424f4f4b2e504f4c494359; // "SIGNEDBOOK.POLICY"
    uint256 private constant T_SCHEDULE = 0x5349474e4544424f4f4b2e5343484544554c45; // "SIGNEDBOOK.SCHEDULE"
    /// @dev Reading word: bit 0 seller reading in, bit 1 buyer reading in, delivered Wh << 8, received Wh << 128.
    uint256 private constant SELLER_IN = 1;
    uint256 private constant BUYER_IN = 2;
    /// @dev Set only in the reading word handed to `_trySettle` (never stored): pass the period's total (an order
    ///      with `PERIOD_TOTAL`, which is bit 48 of the order word: `PERIOD_TOTAL >> 46` is this bit).
    uint256 private constant TOTAL_IN = 4;
    /// @dev Tally word: bits 0..31 open orders, 32..63 settled trades, 64..191 sum of v (WAD), 192..223 trades
    ///      whose handling fee was collected (`collectFees`, never above the trades), bit 255 set once the period
    ///      is registered with the reputation ledger (never all zero after the first opening).
    uint256 private constant TALLY_OPEN = 0xffffffff;
    uint256 private constant TALLY_TRADE = 1 << 32;
    uint256 private constant TALLY_COLLECTED_SHIFT = 192;
    uint256 private constant TALLY_REGISTERED = 1 << 255;

    /// @notice Terms both parties sign (amounts: token base units; prices per kWh; energy Wh).
    struct Deal {
        uint256 periodId;
        address seller;
        address buyer;
        uint256 energyWh;
        uint256 pricePerKwh;
        uint256 bonus;
        uint256 nonce;
    }

    /// @notice An open order: the signed terms plus what the book fixed at opening. Stored as its hash only;
    ///         callers pass it back (it is in the `Opened` event).
    struct Order {
        uint256 periodId;
        address seller;
        address buyer;
        uint256 energyWh;
        uint256 pricePerKwh;
        uint256 bonus;
        address policy;
        uint64 signEnd;
        uint64 readingsEnd;
        uint128 buyerDeposit;
        uint128 sellerDeposit;
    }

    /// @notice A meter's final reading (absent when `meter` is the zero address), with the meter's EIP-712
    ///         signature in EIP-2098 compact form (`r`, `vs`; both zero when the meter sends it itself).
    struct Reading {
        uint256 energyWh;
        address meter;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice One item of `report` / `reportMany`: an Active order and up to two final readings.
    struct Report {
        uint256 orderId;
        Order order;
        Reading seller;
        Reading buyer;
    }

    /// @notice The order book whose periods (schedule, policy) this book uses.
    IEnergyMarket public immutable book;
    /// @notice The market's currency (EnergyToken).
    IERC20 public immutable token;
    /// @notice Receives the handling fee of every settled order (accrued in the seller's period tally at
    ///         settlement, credited to its internal balance by `collectFees`).
    address public immutable feeRecipient;
    /// @notice Handling fee per order (token base units), escrowed from the buyer at opening.
    uint256 public immutable handlingFee;
    /// @notice Seconds after `readingsEnd` before a policy refusal falls back to refunds.
    uint64 public immutable settlementGrace;
    /// @notice The order book's reputation ledger, which reads this book's tallies (`tallyOf`) when folding.
    IProviderReputation public immutable reputation;

    /// @dev The policy bound to this book that settles orders of periods using `bookPolicy` (0: none), with
    ///      `NEEDS_TOTAL` set by `mapGridPolicy`.
    mapping(address bookPolicy => uint256) private _policyFor;
    /// @dev A grid order's `periodId << 128 | energyWh` from opening until its approval counts it in its period.
    mapping(uint256 orderId => uint256) private _uncounted;
    /// @notice Sum of the contracted Wh of every approved order of a period whose policy needs it (seed 001 eq 15).
    mapping(uint256 periodId => uint256) public periodContractedWh;
    /// @dev Unordered nonces from 128 on: bit `n & 255` of word `n >> 8` is set once nonce `n` is spent (nonces
    ///      0..127 live in the high half of the signer's account word, which exists once it deposited, so the
    ///      first contracts of a seller write no fresh word).
    mapping(address signer => mapping(uint256 word => uint256)) private _nonceWords;

    mapping(uint256 orderId => uint256) private _orders;
    mapping(uint256 orderId => uint256) private _readings;
    /// @dev One word per account: the internal balance (low 128 bits) and the spent nonces 0..127 (high 128 bits).
    mapping(address account => uint256) private _accounts;
    /// @dev Reputation tally per (seller, period) (layout at `TALLY_OPEN`).
    mapping(address seller => mapping(uint256 periodId => uint256)) private _tallies;
    /// @notice Highest price per kWh (token base units) a buyer accepts on a matched order (`setMatchedPriceCap`;
    ///         0, the default: none).
    mapping(address buyer => uint256) public matchedPriceCap;

    event PolicyMapped(address indexed bookPolicy, address policy);
    event GridPolicyMapped(address indexed policy);
    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event NoncesInvalidated(address indexed signer, uint256 word, uint256 mask);
    event DealRevoked(uint256 indexed orderId, address indexed buyer);
    /// @dev The parties are in `order` (not repeated as topics: two topics cost 750 gas per opening).
    event Opened(uint256 indexed orderId, Order order);
    event Approved(uint256 indexed orderId, address indexed auditor);
    event Rejected(uint256 indexed orderId, address indexed auditor, bytes32 reason);
    event Expired(uint256 indexed orderId, uint256 toBuyer, uint256 toSeller);
    event ReadingStored(uint256 indexed orderId, IEnergyMarket.Side side, uint256 energyWh, address meter);
    /// @dev The handling fee owed to `feeRecipient` is the immutable `handlingFee` (not repeated here), accrued in
    ///      the seller's period tally and credited by `collectFees`.
    event Settled(uint256 indexed orderId, uint256 deliveredWh, uint256 receivedWh, ISettlementPolicy.Outcome outcome);
    event SettlementDeferred(uint256 indexed orderId, bytes reason);
    event SettlementFellBack(uint256 indexed orderId, bytes reason, uint256 toBuyer, uint256 toSeller);
    event BatchItemSkipped(bytes4 indexed batch, uint256 index, bytes reason);
    event MatchedPriceCapSet(address indexed buyer, uint256 maxPricePerKwh);
    /// @dev The handling fees of `trades` settled trades of `seller` in `periodId` credited to `feeRecipient`.
    event FeesCollected(address indexed seller, uint256 indexed periodId, uint256 trades, uint256 amount);

    error UnknownPeriod(uint256 periodId);
    error OutsideWindow(uint256 periodId, uint256 time, uint256 from, uint256 until);
    error PolicyNotMapped(address bookPolicy);
    error PartyNotActive(address account);
    error NotAProvider(address account);
    error NotAConsumer(address account);
    error SelfTrade(address account);
    error ZeroEnergy();
    error ZeroPrice();
    error InvalidPartySignature(uint256 periodId, address signer);
    error NonceUsed(address signer, uint256 nonce);
    error DealClosed(uint256 orderId);
    error NotParty(address caller);
    error WrongOrder(uint256 orderId, uint256 expectedStatus);
    error NotAuditor(address caller);
    error OnlySelf(address caller);
    error LengthMismatch(uint256 a, uint256 b);
    error ReadingAlreadyIn(uint256 orderId, IEnergyMarket.Side side);
    error TooEarly(uint256 orderId, uint256 time, uint256 from);
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    error NothingToWithdraw(address account);
    error ConservationViolated(uint256 orderId, uint256 deposits, uint256 paidOut);
    error MissingPayee(uint256 orderId, uint256 toGrid, uint256 toPool);
    error TooLarge(uint256 value);
    error EmptyReport(uint256 orderId);
    error InsufficientGas(uint256 left, uint256 needed);
    error PolicySharedWithBook(address policy);
    error PriceAboveCap(address buyer, uint256 pricePerKwh, uint256 cap);
    error NothingToCollect();
    error DepositsRefused(address policy);
    error PolicyNotContract(address policy);

    /// @param admin holds DEFAULT_ADMIN_ROLE (maps policies)
    /// @param book_ the OrderBook whose periods this book uses (fee, fee recipient and grace are copied from it)
    /// @param token_ the EnergyToken
    constructor(address admin, IEnergyMarket book_, IERC20 token_)
        MeterAuthenticated(IParticipantRegistry(MeterAuthenticated(address(book_)).registry()), "SignedBook", "1", true)
    {
        book = book_;
        token = token_;
        feeRecipient = OrderBookView(address(book_)).feeRecipient();
        handlingFee = OrderBookView(address(book_)).handlingFee();
        settlementGrace = book_.settlementGrace();
        reputation = OrderBookView(address(book_)).reputation();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ admin, balances, nonces

    /// @notice Admin only: settle orders of periods whose book policy is `bookPolicy` through `policy` (a policy
    ///         instance whose `market` is this book; zero unmaps). Open orders keep the policy they opened with.
    /// @param bookPolicy a policy allowed on the order book
    /// @param policy the policy bound to this book
    function mapPolicy(address bookPolicy, address policy) external onlyRole(DEFAULT_ADMIN_ROLE) {
        // review 4 F2: an account without code answers every call with nothing, which no try/catch catches
        if (policy != address(0) && policy.code.length == 0) revert PolicyNotContract(policy);
        _map(bookPolicy, uint160(policy));
        emit PolicyMapped(bookPolicy, policy);
    }

    /// @notice Admin only: settle periods the order book opened with `policy` (bound to this book alone, e.g. a
    ///         `GridBalancedSettlement` with MARKET_ROLE for this book) through `policy` itself, passing the period's
    ///         contracted total (`periodContractedWh`: approved orders, final at `signEnd`). The policy must not
    ///         let the order book settle through it: the credit ledger fixes a period's total at its first
    ///         settlement, so no order of the book may reach it with another total (the book's orders of such a
    ///         period fall back to refunds after its grace). `mapPolicy(policy, 0)` unmaps.
    /// @param policy the policy bound to this book, allowed on the order book
    function mapGridPolicy(address policy) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (IAccessControl(policy).hasRole(keccak256("MARKET_ROLE"), address(book))) {
            revert PolicySharedWithBook(policy);
        }
        _map(policy, NEEDS_TOTAL | uint160(policy));
        emit GridPolicyMapped(policy);
    }

    function _map(address bookPolicy, uint256 word) private {
        _policyFor[bookPolicy] = word;
        assembly ("memory-safe") {
            tstore(T_PERIOD_ID, 0)
        }
    }

    /// @notice The policy bound to this book that settles orders of periods using `bookPolicy` (0: none).
    /// @param bookPolicy a policy allowed on the order book
    /// @return the mapped policy
    function policyFor(address bookPolicy) external view returns (address) {
        return address(uint160(_policyFor[bookPolicy]));
    }

    /// @notice Anyone: move `amount` tokens (ERC-20 allowance to this book) into the caller's internal balance.
    /// @param amount token base units
    function deposit(uint256 amount) external nonReentrant {
        _credit(msg.sender, amount);
        emit Deposited(msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
        // review 4 F1: every internal balance is part of what this book holds (conservation), so with the
        // holding below 2^128 no credit (a settlement's, a refund's) can overflow a 128-bit balance and revert
        uint256 held = token.balanceOf(address(this));
        if (held >> 128 != 0) revert TooLarge(held);
    }

    /// @notice Anyone with a balance: pull the caller's whole internal balance (pull payments).
    /// @return amount token base units sent
    function withdraw() external nonReentrant returns (uint256 amount) {
        uint256 a = _accounts[msg.sender];
        amount = a & LOW128;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _accounts[msg.sender] = a - amount; // the spent nonces stay
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Anyone: credit `feeRecipient`'s internal balance with the handling fees of the trades settled and
    ///         not collected yet of each (seller, period) named (pull payments: a settlement only counts its trade
    ///         in the seller's period tally, which holds the fee in escrow until collected). A pair with nothing
    ///         to collect is passed over; refused when the arrays differ in length or nothing at all is collected.
    /// @param sellers the sellers
    /// @param periodIds one period per seller
    /// @return amount token base units credited
    function collectFees(address[] calldata sellers, uint256[] calldata periodIds)
        external
        nonReentrant
        returns (uint256 amount)
    {
        if (sellers.length != periodIds.length) revert LengthMismatch(sellers.length, periodIds.length);
        uint256 fee = handlingFee;
        for (uint256 i = 0; i < sellers.length; ++i) {
            mapping(uint256 => uint256) storage tallies = _tallies[sellers[i]];
            uint256 t = tallies[periodIds[i]];
            uint256 trades = uint32(t >> 32);
            uint256 due = trades - uint32(t >> TALLY_COLLECTED_SHIFT); // collected <= trades
            if (due == 0) continue;
            tallies[periodIds[i]] = (t & ~(uint256(type(uint32).max) << TALLY_COLLECTED_SHIFT))
                | (trades << TALLY_COLLECTED_SHIFT);
            emit FeesCollected(sellers[i], periodIds[i], due, due * fee);
            amount += due * fee;
        }
        if (amount == 0) revert NothingToCollect();
        _credit(feeRecipient, amount);
    }

    /// @notice The handling fees of `seller`'s settled trades in `periodId` not collected yet (`collectFees`).
    /// @param seller the seller
    /// @param periodId the period
    /// @return token base units owed to `feeRecipient`
    function uncollectedFees(address seller, uint256 periodId) external view returns (uint256) {
        uint256 t = _tallies[seller][periodId];
        return (uint32(t >> 32) - uint32(t >> TALLY_COLLECTED_SHIFT)) * handlingFee;
    }

    /// @notice The signer only: spend the nonces of word `word` set in `mask` (revokes every contract it signed
    ///         with them that is not open yet).
    /// @param word nonce >> 8
    /// @param mask bits to set
    function invalidateNonces(uint256 word, uint256 mask) external {
        if (word == 0) {
            _accounts[msg.sender] |= mask << 128; // nonces 0..127
            mask &= ~LOW128;
        }
        if (mask != 0) _nonceWords[msg.sender][word] |= mask;
        emit NoncesInvalidated(msg.sender, word, mask);
    }

    /// @notice The deal's seller or buyer, alone: revoke signed terms that are not open yet. The seller spends
    ///         its nonce (refused once spent); the buyer marks this one deal revoked, leaving the seller's nonce
    ///         alone (anyone can name itself buyer of a deal, so a buyer's revocation must not block the seller's
    ///         other contracts with that nonce). Refused once the deal is open or revoked.
    /// @param deal the signed terms
    function revoke(Deal calldata deal) external {
        if (msg.sender == deal.seller) {
            _useNonce(deal.seller, deal.nonce);
            emit NoncesInvalidated(deal.seller, deal.nonce >> 8, 1 << (deal.nonce & 0xff));
            return;
        }
        if (msg.sender != deal.buyer) revert NotParty(msg.sender);
        uint256 id = uint256(_hashTypedDataV4(keccak256(abi.encode(DEAL_TYPEHASH, deal))));
        if (_orders[id] != 0) revert DealClosed(id);
        _orders[id] = REVOKED;
        emit DealRevoked(id, msg.sender);
    }

    // ------------------------------------------------------------------ opening

    /// @notice Anyone: open a bilateral contract both parties signed. Within the period's publish-to-match
    ///         window; seller a provider, buyer a consumer, both active; escrows the deposits and the fee.
    /// @param deal the signed terms
    /// @param sellerSignature the seller's EIP-712 signature of `deal`
    /// @param buyerSignature the buyer's EIP-712 signature of `deal`
    /// @return orderId the deal's EIP-712 digest
    function open(Deal calldata deal, bytes calldata sellerSignature, bytes calldata buyerSignature)
        external
        nonReentrant
        returns (uint256 orderId)
    {
        bytes memory refusal;
        (orderId, refusal) = _open(deal, sellerSignature, buyerSignature);
        if (refusal.length != 0) _revert(refusal);
    }

    /// @notice Anyone: `open` many; an item refused is skipped (`BatchItemSkipped`), the others open.
    /// @param deals the signed terms
    /// @param sellerSignatures one per deal
    /// @param buyerSignatures one per deal
    /// @return opened how many opened
    function openMany(Deal[] calldata deals, bytes[] calldata sellerSignatures, bytes[] calldata buyerSignatures)
        external
        nonReentrant
        returns (uint256 opened)
    {
        if (deals.length != sellerSignatures.length || deals.length != buyerSignatures.length) {
            revert LengthMismatch(deals.length, sellerSignatures.length);
        }
        uint256 free = _freeMemory();
        for (uint256 i = 0; i < deals.length; ++i) {
            (, bytes memory refusal) = _open(deals[i], sellerSignatures[i], buyerSignatures[i]);
            if (refusal.length != 0) emit BatchItemSkipped(this.openMany.selector, i, refusal);
            else ++opened;
            _resetMemory(free);
        }
    }

    /// @dev Check phase, then apply phase: every check (period and window, roles, terms, both signatures, the
    ///      seller's nonce, a buyer's revocation, the policy's deposits, both balances) runs before the first
    ///      write and a failed one returns its custom error (`refusal`, empty when the order opened); nothing
    ///      after the checks can fail, so a refused batch item changes nothing (no self-call needed).
    function _open(Deal calldata d, bytes calldata sellerSig, bytes calldata buyerSig)
        private
        returns (uint256 orderId, bytes memory refusal)
    {
        Order memory o;
        uint256 total;
        (o, total, refusal) = _checkDeal(d, false);
        if (refusal.length != 0) return (0, refusal);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(DEAL_TYPEHASH, d)));
        if (!_signedBy(d.seller, digest, sellerSig)) return (0, _partySignature(d.periodId, d.seller));
        if (!_signedBy(d.buyer, digest, buyerSig)) return (0, _partySignature(d.periodId, d.buyer));
        (uint256 nonceSlotWord, uint256 nonceBit) = _nonce(d.seller, d.nonce);
        if (nonceSlotWord & nonceBit != 0) return (0, _err(NonceUsed.selector, uint256(uint160(d.seller)), d.nonce));
        orderId = uint256(digest);
        // revoked by its buyer (the nonce covers the rest)
        if (_orders[orderId] != 0) return (0, _err(DealClosed.selector, orderId));
        refusal = _escrowCheck(orderId, o);
        if (refusal.length != 0) return (0, refusal);
        _spendNonce(d.seller, d.nonce, nonceSlotWord | nonceBit);
        _escrowOpen(orderId, o, total);
    }

    function _partySignature(uint256 periodId, address party) private pure returns (bytes memory) {
        return _err(InvalidPartySignature.selector, periodId, uint256(uint160(party)));
    }

    /// @dev The policy's deposits of `o` (written into `o`) and whether both parties' internal balances hold their
    ///      escrow; the custom error refusing the order, or empty. Writes nothing.
    function _escrowCheck(uint256 orderId, Order memory o) private view returns (bytes memory) {
        // false positives: set from the policy's answer below (any other path returns)
        // slither-disable-next-line uninitialized-local
        uint256 buyerDeposit;
        // slither-disable-next-line uninitialized-local
        uint256 sellerDeposit;
        try ISettlementPolicy(o.policy).deposits{gas: POLICY_GAS}(_terms(orderId, o, 0)) returns (
            uint256 b, uint256 s
        ) {
            (buyerDeposit, sellerDeposit) = (b, s);
        } catch (bytes memory reason) {
            return reason.length != 0 ? reason : _err(DepositsRefused.selector, uint256(uint160(o.policy)));
        }
        if ((buyerDeposit | sellerDeposit) >> 128 != 0) {
            return _err(TooLarge.selector, buyerDeposit | sellerDeposit);
        }
        o.buyerDeposit = uint128(buyerDeposit);
        o.sellerDeposit = uint128(sellerDeposit);
        uint256 buyerEscrow = buyerDeposit + handlingFee;
        uint256 balance = _accounts[o.buyer] & LOW128;
        if (buyerEscrow != 0 && balance < buyerEscrow) {
            return _err(InsufficientBalance.selector, uint256(uint160(o.buyer)), balance, buyerEscrow);
        }
        balance = _accounts[o.seller] & LOW128; // the seller is not the buyer (`SelfTrade`)
        if (sellerDeposit != 0 && balance < sellerDeposit) {
            return _err(InsufficientBalance.selector, uint256(uint160(o.seller)), balance, sellerDeposit);
        }
        return "";
    }

    /// @dev Apply phase of an opening whose every check passed (`_escrowCheck` set the deposits in `o`): the escrow
    ///      leaves the parties' internal balances and the order opens (`total`: `PERIOD_TOTAL` when its policy
    ///      needs the period's total, else 0). Cannot fail.
    function _escrowOpen(uint256 orderId, Order memory o, uint256 total) private {
        _debit(o.buyer, uint256(o.buyerDeposit) + handlingFee);
        _debit(o.seller, o.sellerDeposit);
        if (total != 0) {
            // counted in its period's total when approved (the approval names only the order's hash); the period id
            // and energy fit 128 bits (`_checkDeal`)
            _uncounted[orderId] = (o.periodId << 128) | o.energyWh;
        }
        _orders[orderId] = _word(o, AGREED) | total;
        emit Opened(orderId, o);
        _countOpen(o.seller, o.periodId, o.signEnd, o.readingsEnd);
    }

    /// @dev The period (known, in its publish-to-match window, or for a `matched` deal its matchEnd-to-signEnd
    ///      window, policy mapped), the parties' roles and the terms; returns the order without deposits,
    ///      `PERIOD_TOTAL` when its policy needs the period's total, and the custom error refusing the deal (empty
    ///      when none). Writes nothing but the transient period cache.
    function _checkDeal(Deal calldata d, bool matched)
        private
        returns (Order memory o, uint256 total, bytes memory refusal)
    {
        uint256 policyWord;
        uint256 schedule;
        (policyWord, schedule, refusal) = _periodOf(d.periodId);
        if (refusal.length != 0) return (o, 0, refusal);
        if (policyWord & NEEDS_TOTAL != 0) total = PERIOD_TOTAL;
        uint256 shift = matched ? 64 : 0; // a matched deal's window is one phase later: [matchEnd, signEnd)
        uint256 from = uint64(schedule >> shift);
        uint256 until = uint64(schedule >> (shift + 64));
        if (block.timestamp < from || block.timestamp >= until) {
            return (o, 0, _err(OutsideWindow.selector, d.periodId, block.timestamp, from, until));
        }
        refusal = _roleRefusal(d.seller, true);
        if (refusal.length == 0) refusal = _roleRefusal(d.buyer, false);
        if (refusal.length != 0) return (o, 0, refusal);
        if (d.seller == d.buyer) return (o, 0, _err(SelfTrade.selector, uint256(uint160(d.seller))));
        if (d.energyWh == 0) return (o, 0, _err(ZeroEnergy.selector));
        if (d.pricePerKwh == 0) return (o, 0, _err(ZeroPrice.selector));
        if (total != 0 && d.energyWh >> 128 != 0) return (o, 0, _err(TooLarge.selector, d.energyWh));
        // the (zeroed) return value filled in place: no second order in memory
        o.periodId = d.periodId;
        o.seller = d.seller;
        o.buyer = d.buyer;
        o.energyWh = d.energyWh;
        o.pricePerKwh = d.pricePerKwh;
        o.bonus = d.bonus;
        o.policy = address(uint160(policyWord));
        o.signEnd = uint64(schedule >> 128);
        o.readingsEnd = uint64(schedule >> 192);
    }

    /// @dev The period's mapped policy word (`_policyFor`) and schedule (opensAt | matchEnd << 64 | signEnd << 128 |
    ///      readingsEnd << 192) from the order book, read once per transaction and period (transient cache), or the
    ///      custom error refusing it. The period id (< 2^64), its `signEnd` and its deadline (readingsEnd + grace,
    ///      both < 2^40) fit what the order word and the reputation ledger keep, so the opening's registration of
    ///      the period with the ledger cannot fail.
    function _periodOf(uint256 periodId) private returns (uint256 policy, uint256 schedule, bytes memory refusal) {
        uint256 cached;
        assembly ("memory-safe") {
            cached := tload(T_PERIOD_ID)
        }
        if (cached != 0 && cached - 1 == periodId) {
            assembly ("memory-safe") {
                policy := tload(T_POLICY)
                schedule := tload(T_SCHEDULE)
            }
            return (policy, schedule, refusal);
        }
        IEnergyMarket.Period memory p = book.period(periodId);
        if (p.opensAt == 0) return (0, 0, _err(UnknownPeriod.selector, periodId));
        policy = _policyFor[p.policy];
        if (policy == 0) return (0, 0, _err(PolicyNotMapped.selector, uint256(uint160(p.policy))));
        // the order word keeps signEnd in 40 bits, the reputation ledger the deadline in 40 and the id in 64
        uint256 deadline = uint256(p.readingsEnd) + settlementGrace;
        if ((p.signEnd | deadline) >> 40 != 0 || periodId >> 64 != 0) {
            return (0, 0, _err(TooLarge.selector, p.signEnd | deadline | periodId));
        }
        schedule = uint256(p.opensAt) | (uint256(p.matchEnd) << 64) | (uint256(p.signEnd) << 128)
            | (uint256(p.readingsEnd) << 192);
        assembly ("memory-safe") {
            tstore(T_PERIOD_ID, add(periodId, 1))
            tstore(T_POLICY, policy)
            tstore(T_SCHEDULE, schedule)
        }
    }

    /// @dev `signer`'s EIP-712 signature of `digest`: its key's ECDSA signature, else (a contract) its ERC-1271
    ///      answer. The ECDSA recovery comes first, so an account's key signature needs no look at its code (a
    ///      cold account's code costs 2,600 gas per party; OpenZeppelin 5.0's order, `SignatureChecker` checks
    ///      the code first from 5.1).
    ///      A wallet's ERC-1271 check gets at most `SIGNATURE_GAS` (its return data is not copied), so one item of
    ///      a batch cannot take the batch's gas.
    function _signedBy(address signer, bytes32 digest, bytes calldata sig) private view returns (bool) {
        // false positive: the third value only details `err`, which is checked
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, sig);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        if (signer.code.length == 0) return false;
        bytes memory query = abi.encodeCall(IERC1271.isValidSignature, (digest, sig));
        bool ok;
        uint256 answer;
        uint256 size;
        assembly ("memory-safe") {
            ok := staticcall(SIGNATURE_GAS, signer, add(query, 0x20), mload(query), 0, 0x20)
            answer := mload(0)
            size := returndatasize()
        }
        return ok && size >= 32 && bytes32(answer) == bytes32(IERC1271.isValidSignature.selector);
    }

    // ------------------------------------------------------------------ matched opening (seed 003 eq 5)

    /// @notice Held by the `MatchingMarket` (granted by the admin): opens matched orders (`openMatched`).
    bytes32 public constant MATCHER_ROLE = keccak256("MATCHER_ROLE");

    /// @notice Anyone, for itself: the highest price per kWh it accepts as the buyer of a matched order
    ///         (`openMatched`). A request names no price and no buyer signature is asked on the matched path, so
    ///         a pair whose offer is dearer is refused (`PriceAboveCap`, skipped); 0 (the default) takes no
    ///         matched order at all. A pair refused so may be handed in again (before `signEnd`) after a raise.
    /// @param maxPricePerKwh token base units per kWh
    function setMatchedPriceCap(uint256 maxPricePerKwh) external {
        matchedPriceCap[msg.sender] = maxPricePerKwh;
        emit MatchedPriceCapSet(msg.sender, maxPricePerKwh);
    }

    /// @notice The matcher only: open one order per pair of a verified assignment, its terms derived by the
    ///         matcher from the published request and offer (both sides' consent, as on the order book): a
    ///         `Deal` whose `nonce` is the request id. A refused item is skipped (`BatchItemSkipped`), the others
    ///         open. Order id `uint256(keccak256(abi.encode(matcher, requestId)))`: the request id is spent as
    ///         the matcher's nonce, so a request opens at most one order, ever.
    /// @param deals the pairs' terms
    /// @return opened how many opened
    function openMatched(Deal[] calldata deals)
        external
        onlyRole(MATCHER_ROLE)
        nonReentrant
        returns (uint256 opened)
    {
        uint256 free = _freeMemory();
        for (uint256 i = 0; i < deals.length; ++i) {
            bytes memory refusal = _openMatched(deals[i], msg.sender);
            if (refusal.length != 0) emit BatchItemSkipped(this.openMatched.selector, i, refusal);
            else ++opened;
            _resetMemory(free);
        }
    }

    /// @dev One item of `openMatched`, checks before any write (as `_open`; the custom error refusing it, or
    ///      empty). Every check of `open` but the signatures (the published request and offer are the consent) and
    ///      in the window `OrderBook.createMatchedOrder` uses (from `matchEnd` to `signEnd`): period known and
    ///      policy mapped, seller an active provider, buyer an active consumer, no self-trade, nonzero energy and
    ///      price, price within the buyer's `matchedPriceCap` (`PriceAboveCap`); then the request id as the
    ///      matcher's nonce, the deposits and ONE order word.
    function _openMatched(Deal calldata d, address matcher) private returns (bytes memory refusal) {
        (Order memory o, uint256 total, bytes memory dealRefusal) = _checkDeal(d, true);
        if (dealRefusal.length != 0) return dealRefusal;
        uint256 cap = matchedPriceCap[d.buyer];
        if (d.pricePerKwh > cap) return _err(PriceAboveCap.selector, uint256(uint160(d.buyer)), d.pricePerKwh, cap);
        (uint256 nonceSlotWord, uint256 nonceBit) = _nonce(matcher, d.nonce);
        if (nonceSlotWord & nonceBit != 0) return _err(NonceUsed.selector, uint256(uint160(matcher)), d.nonce);
        uint256 orderId = uint256(keccak256(abi.encode(matcher, d.nonce)));
        refusal = _escrowCheck(orderId, o);
        if (refusal.length != 0) return refusal;
        _spendNonce(matcher, d.nonce, nonceSlotWord | nonceBit);
        _escrowOpen(orderId, o, total);
    }

    // ------------------------------------------------------------------ audit

    /// @notice The registry's auditor: approve the order it reviewed, named by its hash (`orderHash(order)` of
    ///         exactly what was opened); activates it. Before the period's `signEnd`.
    /// @param orderId the order
    /// @param reviewed `orderHash` of the reviewed order
    function approve(uint256 orderId, bytes32 reviewed) external {
        _requireAuditor();
        _approve(orderId, reviewed, msg.sender);
    }

    /// @notice The registry's auditor: reject an opened order (escrow refunded to the internal balances).
    /// @param orderId the order
    /// @param order the reviewed order
    /// @param reason a reason code
    function reject(uint256 orderId, Order calldata order, bytes32 reason) external {
        _requireAuditor();
        _reject(orderId, order, reason, msg.sender);
    }

    /// @notice The registry's auditor: `approve` many; a refused item is skipped, the others applied.
    /// @param orderIds the orders
    /// @param reviewed `orderHash` of each reviewed order, one per id
    /// @return done how many were approved
    function approveMany(uint256[] calldata orderIds, bytes32[] calldata reviewed) external returns (uint256 done) {
        _requireAuditor();
        if (orderIds.length != reviewed.length) revert LengthMismatch(orderIds.length, reviewed.length);
        // an approval writes one word after checks that read it: each item is checked before its write and a
        // refused one is skipped with the error `approve` would revert with (no self-call needed)
        for (uint256 i = 0; i < orderIds.length; ++i) {
            (uint256 w, bytes memory refusal) = _approvable(orderIds[i], reviewed[i]);
            if (refusal.length != 0) {
                emit BatchItemSkipped(this.approveMany.selector, i, refusal);
                continue;
            }
            _activate(orderIds[i], w, msg.sender);
            ++done;
        }
    }

    /// @notice The registry's auditor: `reject` many; a refused item is skipped, the others applied.
    /// @param orderIds the orders
    /// @param orders the reviewed orders, one per id
    /// @param reasons one reason code per order
    /// @return done how many were rejected
    function rejectMany(uint256[] calldata orderIds, Order[] calldata orders, bytes32[] calldata reasons)
        external
        returns (uint256 done)
    {
        _requireAuditor();
        if (orderIds.length != orders.length || orderIds.length != reasons.length) {
            revert LengthMismatch(orderIds.length, orders.length);
        }
        for (uint256 i = 0; i < orderIds.length; ++i) {
            try this.rejectItem(orderIds[i], orders[i], reasons[i], msg.sender) {
                ++done;
            } catch (bytes memory reason) {
                emit BatchItemSkipped(this.rejectMany.selector, i, reason);
            }
        }
    }

    /// @notice This contract only (one item of `rejectMany`, as a self-call so that a refusal reverts alone).
    /// @param orderId the order
    /// @param order the reviewed order
    /// @param reason the reason code
    /// @param auditor the batch's caller, checked by the batch
    function rejectItem(uint256 orderId, Order calldata order, bytes32 reason, address auditor) external {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        _reject(orderId, order, reason, auditor);
    }

    function _approve(uint256 orderId, bytes32 reviewed, address auditor) private {
        (uint256 w, bytes memory refusal) = _approvable(orderId, reviewed);
        if (refusal.length != 0) _revert(refusal);
        _activate(orderId, w, auditor);
    }

    /// @dev An approvable order (its word `w`, checked by `_approvable`) becomes Active; a grid order's energy
    ///      joins its period's total.
    function _activate(uint256 orderId, uint256 w, address auditor) private {
        _orders[orderId] = (w & ~STATUS_MASK) | ACTIVE;
        if (w & PERIOD_TOTAL != 0) _count(orderId);
        emit Approved(orderId, auditor);
    }

    /// @dev An approved grid order's energy joins its period's total (approvals end at `signEnd`, before which no
    ///      such order settles, so every settlement of the period passes the same total).
    function _count(uint256 orderId) private {
        uint256 u = _uncounted[orderId];
        delete _uncounted[orderId];
        periodContractedWh[u >> 128] += uint128(u);
    }

    /// @dev The order's word and, when it may not be approved now, the custom error saying why (empty if it may).
    function _approvable(uint256 orderId, bytes32 reviewed) private view returns (uint256 w, bytes memory refusal) {
        w = _orders[orderId];
        if (w & STATUS_MASK != AGREED || w >> HASH_SHIFT != uint256(reviewed) >> HASH_SHIFT) {
            return (w, _err(WrongOrder.selector, orderId, AGREED));
        }
        uint256 signEnd = uint40(w >> 8);
        if (block.timestamp >= signEnd) {
            return (w, _err(OutsideWindow.selector, 0, block.timestamp, 0, signEnd));
        }
    }

    function _reject(uint256 orderId, Order calldata o, bytes32 reason, address auditor) private {
        _requireOrder(orderId, o, AGREED);
        delete _orders[orderId];
        _countEnd(o, false, 0);
        emit Rejected(orderId, auditor, reason);
        _refund(o);
    }

    /// @notice Anyone, from the period's `signEnd`: end an order the auditor never approved (escrow refunded).
    /// @param orderId the order
    /// @param order the order as opened
    function expire(uint256 orderId, Order calldata order) external {
        _requireOrder(orderId, order, AGREED);
        if (block.timestamp < order.signEnd) revert TooEarly(orderId, block.timestamp, order.signEnd);
        delete _orders[orderId];
        _countEnd(order, false, 0);
        (uint256 toBuyer, uint256 toSeller) = _refund(order);
        emit Expired(orderId, toBuyer, toSeller);
    }

    // ------------------------------------------------------------------ readings and settlement

    /// @notice Anyone (a relayer, or a meter sending its own reading): hand in the final readings of an Active
    ///         order before `readingsEnd`. Each reading is signed by the party's meter (or sent by it); a side
    ///         reads once. When both sides are in, the order settles in this call; otherwise the reading is
    ///         stored until the other arrives or the window ends.
    /// @param r the order and its readings
    function report(Report calldata r) external nonReentrant {
        bytes memory refusal = _report(r);
        if (refusal.length != 0) _revert(refusal);
    }

    /// @notice Anyone: `report` many; a refused item is skipped, the others applied.
    /// @param reports the items
    /// @return done how many were applied
    function reportMany(Report[] calldata reports) external nonReentrant returns (uint256 done) {
        uint256 free = _freeMemory();
        for (uint256 i = 0; i < reports.length; ++i) {
            bytes memory refusal = _report(reports[i]);
            if (refusal.length != 0) emit BatchItemSkipped(this.reportMany.selector, i, refusal);
            else ++done;
            _resetMemory(free);
        }
    }

    // Check phase, then apply phase (as `_open`): the order, the window, each reading (side not in yet, Wh in range,
    // meter approved, owned by the party, signed or sent by it, within its budget) and a non-empty report are
    // checked before the first write, and a failed check returns its custom error (`refusal`; empty once
    // applied). The policy is called after the meters' energy is counted in the registry (their one budget, shared
    // by every market) and before the order's words change (a refusal must leave them as they were, readings then
    // stored); it is the admin's mapped one.
    // Re-entry cannot touch this order: `report`, `reportMany` and `settle` are nonReentrant, and `approve` /
    // `reject` / `expire` need Agreed while it is Active.
    // slither-disable-next-line reentrancy-no-eth
    function _report(Report calldata r) private returns (bytes memory refusal) {
        Order calldata o = r.order;
        uint256 orderId = r.orderId;
        uint256 w = _orders[orderId];
        uint256 status = w & STATUS_MASK;
        uint256 total = w & PERIOD_TOTAL;
        if ((status != ACTIVE && status != ACTIVE_READ) || w ^ total != _word(o, uint8(status))) {
            return _err(WrongOrder.selector, orderId, ACTIVE);
        }
        if (block.timestamp >= o.readingsEnd) {
            return _err(OutsideWindow.selector, o.periodId, block.timestamp, 0, o.readingsEnd);
        }
        // the reading word is read only when the status says one is stored
        uint256 word = status == ACTIVE_READ ? _readings[orderId] : 0;
        uint256 stored = word;
        // the Wh each meter's reading adds to its budget once accepted (0, as declared: nothing to record)
        // slither-disable-next-line uninitialized-local
        uint256 sellerUse;
        // slither-disable-next-line uninitialized-local
        uint256 buyerUse;
        if (r.seller.meter != address(0)) {
            if (word & SELLER_IN != 0) {
                return _err(ReadingAlreadyIn.selector, orderId, uint256(IEnergyMarket.Side.Seller));
            }
            (sellerUse, refusal) = _checkReading(orderId, IEnergyMarket.Side.Seller, r.seller, o.seller);
            if (refusal.length != 0) return refusal;
            word |= SELLER_IN | (r.seller.energyWh << 8);
        }
        if (r.buyer.meter != address(0)) {
            if (word & BUYER_IN != 0) {
                return _err(ReadingAlreadyIn.selector, orderId, uint256(IEnergyMarket.Side.Buyer));
            }
            (buyerUse, refusal) = _checkReading(orderId, IEnergyMarket.Side.Buyer, r.buyer, o.buyer);
            if (refusal.length != 0) return refusal;
            word |= BUYER_IN | (r.buyer.energyWh << 128);
        }
        // a grid order settles once its period's total is final (from `signEnd`), else at `settle`
        bool settleNow =
            word & (SELLER_IN | BUYER_IN) == SELLER_IN | BUYER_IN && (total == 0 || block.timestamp >= o.signEnd);
        if (word == stored && !settleNow) return _err(EmptyReport.selector, orderId);
        // every check passed: from here the report applies
        _meterCommit(r.seller.meter, sellerUse);
        _meterCommit(r.buyer.meter, buyerUse);
        if (settleNow) {
            // nothing left to wait for: settle now; a policy refusal keeps the readings for `settle`
            (bool done, bytes memory reason) = _trySettle(orderId, o, word | (total >> 46), status);
            if (done) return ""; // the readings are in the `Settled` event
            // a report that adds no reading only retries the settlement (its refused retry changes nothing here)
            if (word == stored) return _err(EmptyReport.selector, orderId);
            emit SettlementDeferred(orderId, reason);
        }
        _readings[orderId] = word;
        if (status == ACTIVE) _orders[orderId] = w - ACTIVE + ACTIVE_READ;
        if (r.seller.meter != address(0)) {
            emit ReadingStored(orderId, IEnergyMarket.Side.Seller, r.seller.energyWh, r.seller.meter);
        }
        if (r.buyer.meter != address(0)) {
            emit ReadingStored(orderId, IEnergyMarket.Side.Buyer, r.buyer.energyWh, r.buyer.meter);
        }
        return "";
    }

    /// @dev Check one final reading (Wh below 2^120, meter approved, owned by `owner`, signed or sent by it, within
    ///      its Wh budget) without writing: the Wh it adds to the meter's budget, or the custom error refusing it.
    function _checkReading(uint256 orderId, IEnergyMarket.Side side, Reading calldata rd, address owner)
        private
        view
        returns (uint256 use, bytes memory refusal)
    {
        if (rd.energyWh >> 120 != 0) return (0, _err(TooLarge.selector, rd.energyWh));
        bytes32 structHash = keccak256(abi.encode(FINAL_READING_TYPEHASH, orderId, uint8(side), rd.energyWh, rd.meter));
        return _meterCheck(rd.meter, owner, structHash, rd.r, rd.vs, rd.energyWh);
    }

    /// @notice Anyone, from the period's `readingsEnd`: settle an Active order with the readings it has (missing
    ///         ones count 0 Wh). From `readingsEnd + settlementGrace` a policy refusal falls back to refunds.
    /// @param orderId the order
    /// @param order the order as opened
    function settle(uint256 orderId, Order calldata order) external nonReentrant {
        _settleLate(orderId, order);
    }

    /// @notice Anyone: `settle` many; a refused item is skipped, the others applied.
    /// @param orderIds the orders
    /// @param orders the orders as opened
    /// @return done how many were settled (or fell back)
    function settleMany(uint256[] calldata orderIds, Order[] calldata orders) external returns (uint256 done) {
        if (orderIds.length != orders.length) revert LengthMismatch(orderIds.length, orders.length);
        for (uint256 i = 0; i < orderIds.length; ++i) {
            try this.settle(orderIds[i], orders[i]) {
                ++done;
            } catch (bytes memory reason) {
                emit BatchItemSkipped(this.settleMany.selector, i, reason);
            }
        }
    }

    // As in `_report`: the fallback writes after a refused policy call; every path to this order is closed to
    // re-entry (nonReentrant entry points, status checks).
    // slither-disable-next-line reentrancy-no-eth
    function _settleLate(uint256 orderId, Order calldata o) private {
        (uint256 status, uint256 total) = _requireActive(orderId, o);
        if (block.timestamp < o.readingsEnd) revert TooEarly(orderId, block.timestamp, o.readingsEnd);
        bool late = block.timestamp >= uint256(o.readingsEnd) + settlementGrace;
        // past the grace every failure of the settlement falls back to refunds, so the caller must leave the
        // policy its whole gas share: a failure cannot then be forced by starving it
        if (late && gasleft() < LATE_SETTLE_GAS) revert InsufficientGas(gasleft(), LATE_SETTLE_GAS);
        (bool done, bytes memory reason) =
            _trySettle(orderId, o, (status == ACTIVE_READ ? _readings[orderId] : 0) | (total >> 46), status);
        if (done) return;
        // before the deadline a refusal still blocks (the policy may accept later)
        if (!late) _revert(reason);
        _close(orderId, status);
        _countEnd(o, false, 0);
        (uint256 toBuyer, uint256 toSeller) = _refund(o);
        emit SettlementFellBack(orderId, reason, toBuyer, toSeller);
    }

    /// @dev Settle through the order's policy with the readings in `word`; false and the reason if anything about
    ///      the policy fails (it reverts, with or without a reason, its split breaks conservation, or a payee it
    ///      names is missing), before any write: the caller then defers (readings call) or falls back (late).
    function _trySettle(uint256 orderId, Order calldata o, uint256 word, uint256 status)
        private
        returns (bool, bytes memory)
    {
        uint256 delivered = uint120(word >> 8);
        uint256 received = word >> 128;
        ISettlementPolicy policy = ISettlementPolicy(o.policy);
        // false positive: assigned from the policy's result below (any other path returns or reverts)
        // slither-disable-next-line uninitialized-local
        ISettlementPolicy.Outcome memory out;
        try policy.settle{gas: POLICY_GAS}(_terms(orderId, o, word), delivered, received) returns (
            ISettlementPolicy.Outcome memory result
        ) {
            out = result;
        } catch (bytes memory reason) {
            return (false, reason);
        }
        uint256 deposits = uint256(o.buyerDeposit) + o.sellerDeposit;
        // each share at most the deposits (< 2^129 together), so the sum cannot overflow
        if (out.toSeller > deposits || out.toBuyer > deposits || out.toGrid > deposits || out.toPool > deposits) {
            return (false, abi.encodeWithSelector(ConservationViolated.selector, orderId, deposits, type(uint256).max));
        }
        uint256 paid = out.toSeller + out.toBuyer + out.toGrid + out.toPool;
        if (paid != deposits) {
            return (false, abi.encodeWithSelector(ConservationViolated.selector, orderId, deposits, paid));
        }
        address grid = address(0); // set below when the split pays the grid
        address pool = address(0); // set below when the split pays the pool
        if (out.toGrid > 0) {
            try policy.grid{gas: POLICY_GAS}() returns (address g) {
                grid = g;
            } catch (bytes memory reason) {
                return (false, reason);
            }
        }
        if (out.toPool > 0) {
            try policy.pool{gas: POLICY_GAS}() returns (address a) {
                pool = a;
            } catch (bytes memory reason) {
                return (false, reason);
            }
        }
        if ((out.toGrid > 0 && grid == address(0)) || (out.toPool > 0 && pool == address(0))) {
            return (false, abi.encodeWithSelector(MissingPayee.selector, orderId, out.toGrid, out.toPool));
        }
        _close(orderId, status);
        // the trade counted in the seller's period tally also accrues its handling fee (`collectFees`)
        _countEnd(o, true, delivered);
        _credit(o.seller, out.toSeller);
        _credit(o.buyer, out.toBuyer);
        _credit(grid, out.toGrid);
        emit Settled(orderId, delivered, received, out);
        if (out.toPool > 0) token.safeTransfer(pool, out.toPool);
        return (true, "");
    }

    // ------------------------------------------------------------------ views

    /// @notice The EIP-712 digest of `deal` (the id its order gets when opened).
    /// @param deal the terms
    /// @return the digest both parties sign
    function dealDigest(Deal calldata deal) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(DEAL_TYPEHASH, deal)));
    }

    /// @notice The status of `orderId` if `order` is what it holds: 0 none or ended, 1 Agreed, 2 Active,
    ///         3 Active with one final reading stored.
    /// @param orderId the order
    /// @param order the order as opened
    /// @return status 0 to 3
    function statusOf(uint256 orderId, Order calldata order) external view returns (uint256 status) {
        uint256 w = _orders[orderId];
        if (w == 0 || w & ~(STATUS_MASK | PERIOD_TOTAL) != _word(order, 0)) return 0;
        return w & STATUS_MASK;
    }

    /// @notice The hash the auditor names when approving (`approve`): keccak256 of the ABI-encoded order.
    /// @param order the order as opened (from its `Opened` event)
    /// @return the hash
    function orderHash(Order calldata order) external pure returns (bytes32) {
        return keccak256(abi.encode(order));
    }

    /// @notice The raw state word of an order (hash with status in the low byte; 0 when none or ended).
    /// @param orderId the order
    /// @return the word
    function orderWord(uint256 orderId) external view returns (uint256) {
        return _orders[orderId];
    }

    /// @notice The stored readings of an order: which sides are in and their Wh.
    /// @param orderId the order
    /// @return sellerIn whether the seller's reading is in
    /// @return deliveredWh the seller-side reading
    /// @return buyerIn whether the buyer's reading is in
    /// @return receivedWh the buyer-side reading
    function readingsOf(uint256 orderId)
        external
        view
        returns (bool sellerIn, uint256 deliveredWh, bool buyerIn, uint256 receivedWh)
    {
        uint256 w = _readings[orderId];
        return (w & SELLER_IN != 0, uint120(w >> 8), w & BUYER_IN != 0, w >> 128);
    }

    /// @inheritdoc IPeriodTally
    function tallyOf(address provider, uint256 periodId)
        external
        view
        returns (uint256 openOrders, uint256 trades, uint256 sumVWad)
    {
        uint256 t = _tallies[provider][periodId];
        return (t & TALLY_OPEN, uint32(t >> 32), uint128(t >> 64));
    }

    /// @notice Whether `signer`'s nonce is spent.
    /// @param signer the seller
    /// @param nonce the nonce
    /// @return true when spent
    function nonceUsed(address signer, uint256 nonce) external view returns (bool) {
        if (nonce < 128) return _accounts[signer] & (1 << (128 + nonce)) != 0;
        return _nonceWords[signer][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @notice An account's internal balance (token base units).
    /// @param account the account
    /// @return the balance
    function withdrawable(address account) external view returns (uint256) {
        return _accounts[account] & LOW128;
    }

    // ------------------------------------------------------------------ internals

    function _word(Order memory o, uint8 status) private pure returns (uint256) {
        uint256 h = uint256(keccak256(abi.encode(o)));
        return ((h >> HASH_SHIFT) << HASH_SHIFT) | (uint256(uint40(o.signEnd)) << 8) | status;
    }

    function _requireOrder(uint256 orderId, Order calldata o, uint8 status) private view {
        if (_orders[orderId] & ~PERIOD_TOTAL != _word(o, status)) revert WrongOrder(orderId, status);
    }

    /// @dev The order is Active (with or without a stored reading) and is `o`; returns its status and its
    ///      `PERIOD_TOTAL` bit.
    function _requireActive(uint256 orderId, Order calldata o) private view returns (uint256 status, uint256 total) {
        uint256 w = _orders[orderId];
        status = w & STATUS_MASK;
        total = w & PERIOD_TOTAL;
        if ((status != ACTIVE && status != ACTIVE_READ) || w ^ total != _word(o, uint8(status))) {
            revert WrongOrder(orderId, ACTIVE);
        }
    }

    /// @dev Reputation tally: one more open order of `seller` in `periodId`. The first one registers the period
    ///      with the reputation ledger (a trusted contract; the caller is nonReentrant). Every opening path calls it.
    function _countOpen(address seller, uint256 periodId, uint256 signEnd, uint256 readingsEnd) private {
        uint256 t = _tallies[seller][periodId];
        // open < 2^32: each open order holds a spent nonce and its escrow, so no carry into `trades`
        _tallies[seller][periodId] = (t | TALLY_REGISTERED) + 1;
        if (t == 0) {
            reputation.recordTalliedPeriod(seller, periodId, uint64(signEnd), uint64(readingsEnd + settlementGrace));
        }
    }

    /// @dev Reputation tally: the order `o` ended; a trade (settled through the policy) adds
    ///      v = min(1, delivered / agreed) (seed 003 §5.1.2, the seller-side reading as on `OrderBook`; rounded down,
    ///      as `Units.wdiv`: delivered < 2^120, so delivered x 1e18 cannot overflow).
    function _countEnd(Order calldata o, bool traded, uint256 deliveredWh) private {
        mapping(uint256 => uint256) storage tallies = _tallies[o.seller];
        uint256 t = tallies[o.periodId];
        // never below zero, so an ending order cannot revert here (every opening path counts its order)
        if (t & TALLY_OPEN != 0) t -= 1;
        if (traded) {
            uint256 agreed = o.energyWh;
            t += TALLY_TRADE + ((deliveredWh >= agreed ? 1e18 : deliveredWh * 1e18 / agreed) << 64);
        }
        tallies[o.periodId] = t;
    }

    /// @dev Delete the words of an ended order (gas refund; its id can never open again: the nonce is spent).
    function _close(uint256 orderId, uint256 status) private {
        delete _orders[orderId];
        if (status == ACTIVE_READ) delete _readings[orderId];
    }

    function _refund(Order calldata o) private returns (uint256 toBuyer, uint256 toSeller) {
        toBuyer = uint256(o.buyerDeposit) + handlingFee;
        toSeller = o.sellerDeposit;
        _credit(o.buyer, toBuyer);
        _credit(o.seller, toSeller);
    }

    function _useNonce(address signer, uint256 nonce) private {
        (uint256 w, uint256 bit) = _nonce(signer, nonce);
        if (w & bit != 0) revert NonceUsed(signer, nonce);
        _spendNonce(signer, nonce, w | bit);
    }

    /// @dev The word holding `signer`'s nonce (its account word for nonces 0..127) and the nonce's bit in it.
    function _nonce(address signer, uint256 nonce) private view returns (uint256 w, uint256 bit) {
        if (nonce < 128) return (_accounts[signer], 1 << (128 + nonce));
        return (_nonceWords[signer][nonce >> 8], 1 << (nonce & 0xff));
    }

    /// @dev Store `w` (from `_nonce`, with the nonce's bit set) as the word of `signer`'s nonce.
    function _spendNonce(address signer, uint256 nonce, uint256 w) private {
        if (nonce < 128) _accounts[signer] = w;
        else _nonceWords[signer][nonce >> 8] = w;
    }

    /// @dev Revert with the ABI-encoded custom error `refusal`.
    function _revert(bytes memory refusal) private pure {
        assembly ("memory-safe") {
            revert(add(refusal, 32), mload(refusal))
        }
    }

    /// @dev A batch frees what an item allocated in memory before the next (no item keeps a reference to it), so
    ///      memory does not grow, and its quadratic cost with it, with the batch's length.
    function _freeMemory() private pure returns (uint256 free) {
        assembly ("memory-safe") {
            free := mload(0x40)
        }
    }

    function _resetMemory(uint256 free) private pure {
        assembly ("memory-safe") {
            mstore(0x40, free)
        }
    }

    /// @dev Internal balance moves only (the account word's high half, its nonces, is left as it is).
    function _debit(address account, uint256 amount) private {
        if (amount == 0) return;
        uint256 a = _accounts[account];
        uint256 balance = a & LOW128;
        if (balance < amount) revert InsufficientBalance(account, balance, amount);
        _accounts[account] = a - amount; // no borrow: balance >= amount
    }

    function _credit(address account, uint256 amount) private {
        if (amount == 0) return;
        uint256 a = _accounts[account];
        uint256 balance = (a & LOW128) + amount;
        if (balance >> 128 != 0) revert TooLarge(balance);
        _accounts[account] = a + amount; // no carry: the new balance fits 128 bits
    }

    /// @dev periodContractedWh: the period's total when `word` has `TOTAL_IN` (an order whose policy was mapped by
    ///      `mapGridPolicy`, at settlement); 0 otherwise and at opening (the honest-supplier policy ignores it, the
    ///      grid policy's deposits do not use it).
    function _terms(uint256 orderId, Order memory o, uint256 word)
        private
        view
        returns (ISettlementPolicy.Terms memory)
    {
        uint256 periodWh = word & TOTAL_IN == 0 ? 0 : periodContractedWh[o.periodId];
        return ISettlementPolicy.Terms(
            orderId, o.periodId, o.seller, o.buyer, o.energyWh, o.pricePerKwh, o.bonus, periodWh
        );
    }

    function _requireAuditor() private view {
        if (!IAccessControl(address(registry)).hasRole(AUDITOR_ROLE, msg.sender)) revert NotAuditor(msg.sender);
    }

    /// @dev One registry word per party (`roleAndStatus`): approved, and a provider (generator / prosumer) or a
    ///      consumer (consumer / prosumer); the custom error refusing the party, or empty.
    function _roleRefusal(address account, bool provider) private view returns (bytes memory) {
        (IParticipantRegistry.Role role, IParticipantRegistry.Status status) = registry.roleAndStatus(account);
        if (status != IParticipantRegistry.Status.Approved) {
            return _err(PartyNotActive.selector, uint256(uint160(account)));
        }
        if (provider && role == IParticipantRegistry.Role.Consumer) {
            return _err(NotAProvider.selector, uint256(uint160(account)));
        }
        if (!provider && role == IParticipantRegistry.Role.Generator) {
            return _err(NotAConsumer.selector, uint256(uint160(account)));
        }
        return "";
    }
}

/// @dev The order book's public immutables this book copies at construction.
interface OrderBookView {
    function feeRecipient() external view returns (address);
    function handlingFee() external view returns (uint256);
    function reputation() external view returns (IProviderReputation);
}
