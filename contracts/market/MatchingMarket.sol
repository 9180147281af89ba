// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {IMatchingMarket} from "../../interfaces/IMatchingMarket.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {IProviderReputation} from "../../interfaces/IProviderReputation.sol";
import {Units} from "../lib/Units.sol";
import {SignedBook} from "./SignedBook.sol";

/// @notice The one thing the matching market reads from the token: the rate t.
interface ITokenRate {
    function tokensPerCurrency() external view returns (uint256);
}

/// @title MatchingMarket: offers, requests and the on-chain verifier of the optimal matching (seed 003 eq 3-5)
/// @notice Nobody has to trust a solver: any approved participant submits an assignment during the period's
///         matching window; this contract checks every constraint of seed 003 eq 5, computes the objective with the
///         fixed-point definition documented in `IMatchingMarket`, and keeps only a strictly better submission.
///         After the window, anyone materialises the winner into orders of the `OrderBook`, one chunk per call,
///         or (the lean path, issue 13) into one-word orders of the `SignedBook`, many chunks per call
///         (`materializeSigned`): each order's terms are derived from its request and offer, never copied here.
/// @dev Invariants:
///  - `best(p)` only improves (lexicographically on (objective, servedWh)) and only during p's matching window.
///  - Every stored best assignment satisfies seed 003 eq 5: each request at most once, same period, approved parties at
///    submission, zeta_ij >= 0, and per offer sum R_i <= a_j.
///  - Each chunk of the best assignment is materialised at most once, after the window, as orders `Agreed`, and
///    on one book only: a chunk taken to the order book (`materialize`) is refused by `materializeSigned` and
///    the other way round. On the signed book each request opens at most one order, ever (its id is this
///    market's nonce there), so a chunk may be handed in again to retry the pairs the book skipped.
///  - `signedBook` is set once, by the admin.
///  - Loops run over the caller's own submission (bounded by its calldata), never over participants.
contract MatchingMarket is IMatchingMarket, AccessControl {
    /// @notice Sets grid-crossing fees (the consortium operator).
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice Pairs per materialisation call (bounds the gas of `materialize`).
    uint256 public constant CHUNK_SIZE = 16;

    /// @notice The order book that owns periods and receives matched orders (this contract needs its MATCHER_ROLE).
    IEnergyMarket public immutable orderBook;
    /// @notice The participant registry.
    IParticipantRegistry public immutable registry;
    /// @notice The reputation ledger (RC_j snapshot at offer publication).
    IProviderReputation public immutable reputation;
    /// @notice t: token base units per whole currency unit, WAD (read once from the EnergyToken).
    uint256 public immutable tokensPerCurrency;

    mapping(uint256 offerId => Offer) private _offers;
    mapping(uint256 requestId => Request) private _requests;
    uint256 private _offerCount;
    uint256 private _requestCount;
    mapping(uint256 periodId => mapping(address seller => uint256 offerId)) private _offerOf;
    mapping(bytes32 zonePair => uint256 feePerKwh) private _crossingFees;
    mapping(uint256 periodId => Best) private _best;
    mapping(uint256 periodId => mapping(uint256 chunkIndex => bytes32)) private _chunkHashes;
    /// @dev 0: not materialised; `ON_ORDER_BOOK` (`materialize`) or `ON_SIGNED_BOOK` (`materializeSigned`).
    mapping(uint256 periodId => mapping(uint256 chunkIndex => uint256)) private _chunkDone;
    uint256 private constant ON_ORDER_BOOK = 1;
    uint256 private constant ON_SIGNED_BOOK = 2;

    /// @notice The signed book of the lean matched path (`materializeSigned`; this contract needs its
    ///         MATCHER_ROLE); zero until the admin sets it, once.
    SignedBook public signedBook;

    /// @notice The admin set the signed book of the lean matched path.
    event SignedBookSet(address book);
    /// @notice `pairs` pairs of chunks `firstChunk`.. were handed to the signed book; `opened` opened (the
    ///         others were skipped there, `SignedBook.BatchItemSkipped`).
    event ChunksMaterializedSigned(uint256 indexed periodId, uint256 firstChunk, uint256 pairs, uint256 opened);

    /// @notice `setSignedBook` after it was set (it is set once).
    error SignedBookAlreadySet(address book);
    /// @notice `setSignedBook` with a signed book whose periods are not this market's order book's.
    error SignedBookOnOtherPeriods(address book);
    /// @notice `materializeSigned` before the admin set the signed book.
    error NoSignedBook();

    /// @param admin holds DEFAULT_ADMIN_ROLE
    /// @param operator holds OPERATOR_ROLE (sets crossing fees)
    /// @param orderBook_ the order book
    /// @param registry_ the participant registry
    /// @param reputation_ the reputation ledger
    /// @param token the EnergyToken (for t)
    constructor(
        address admin,
        address operator,
        IEnergyMarket orderBook_,
        IParticipantRegistry registry_,
        IProviderReputation reputation_,
        ITokenRate token
    ) {
        orderBook = orderBook_;
        registry = registry_;
        reputation = reputation_;
        tokensPerCurrency = token.tokensPerCurrency();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
    }

    /// @inheritdoc IMatchingMarket
    function setCrossingFee(bytes32 zoneA, bytes32 zoneB, uint256 feePerKwh) external onlyRole(OPERATOR_ROLE) {
        _crossingFees[_zonePair(zoneA, zoneB)] = feePerKwh;
        emit CrossingFeeSet(zoneA, zoneB, feePerKwh);
    }

    // ------------------------------------------------------------------ publishing

    /// @inheritdoc IMatchingMarket
    function publishOffer(uint256 periodId, uint256 pricePerKwh, uint256 capacityWh) external returns (uint256 offerId) {
        _requirePublishing(periodId);
        IParticipantRegistry.Participant memory pt = _approved(msg.sender);
        if (pt.role == IParticipantRegistry.Role.Consumer) revert NotAProvider(msg.sender);
        if (pricePerKwh == 0) revert ZeroPrice();
        if (capacityWh == 0) revert ZeroEnergy();
        uint256 rc = reputation.fold(msg.sender);
        offerId = _offerOf[periodId][msg.sender];
        if (offerId == 0) {
            offerId = ++_offerCount;
            _offerOf[periodId][msg.sender] = offerId;
        }
        _offers[offerId] = Offer(
            msg.sender,
            uint64(periodId),
            // the order book stores a price in 96 bits: refused here, not in `materialize` (review 2 finding 4)
            SafeCast.toUint96(pricePerKwh),
            SafeCast.toUint128(capacityWh),
            rc,
            pt.zone
        );
        emit OfferPublished(offerId, periodId, msg.sender, pricePerKwh, capacityWh, rc);
    }

    /// @inheritdoc IMatchingMarket
    function publishRequest(uint256 periodId, uint256 energyWh, uint256 bonus) external returns (uint256 requestId) {
        _requirePublishing(periodId);
        IParticipantRegistry.Participant memory pt = _approved(msg.sender);
        if (pt.role == IParticipantRegistry.Role.Generator) revert NotAConsumer(msg.sender);
        if (energyWh == 0) revert ZeroEnergy();
        // what the order book cannot store (energy >= 2^64 Wh, bonus >= 2^96) is refused at publication: one
        // such request in the best assignment would make its whole chunk revert in `materialize` (review 2
        // finding 4)
        requestId = ++_requestCount;
        _requests[requestId] = Request(
            msg.sender, uint64(periodId), false, SafeCast.toUint64(energyWh), SafeCast.toUint96(bonus), pt.zone
        );
        emit RequestPublished(requestId, periodId, msg.sender, energyWh, bonus);
    }

    /// @inheritdoc IMatchingMarket
    function cancelRequest(uint256 requestId) external {
        Request storage r = _requests[requestId];
        if (r.buyer == address(0)) revert UnknownRequest(requestId);
        if (msg.sender != r.buyer) revert NotRequester(requestId, msg.sender, r.buyer);
        if (r.cancelled) revert RequestWasCancelled(requestId);
        _requirePublishing(r.periodId);
        r.cancelled = true;
        emit RequestCancelled(requestId, msg.sender);
    }

    // ------------------------------------------------------------------ verified matching

    /// @inheritdoc IMatchingMarket
    function submitAssignment(uint256 periodId, Pair[] calldata pairs)
        external
        returns (uint256 objective, uint256 servedWh)
    {
        IEnergyMarket.Period memory p = _periodOf(periodId);
        _requireWindow(periodId, p.publishEnd, p.matchEnd);
        if (!registry.isActive(msg.sender)) revert NotApproved(msg.sender);
        bytes32[] memory hashes;
        (objective, servedWh, hashes) = _evaluate(periodId, pairs);
        Best storage b = _best[periodId];
        if (objective < b.objective || (objective == b.objective && servedWh <= b.servedWh)) {
            revert NotBetter(periodId, objective, servedWh, b.objective, b.servedWh);
        }
        b.submitter = msg.sender;
        b.pairCount = SafeCast.toUint32(pairs.length);
        b.chunkCount = SafeCast.toUint32(hashes.length);
        b.objective = objective;
        b.servedWh = servedWh;
        for (uint256 c = 0; c < hashes.length; c++) {
            _chunkHashes[periodId][c] = hashes[c];
        }
        emit AssignmentSubmitted(periodId, msg.sender, pairs.length, objective, servedWh);
    }

    /// @inheritdoc IMatchingMarket
    function materialize(uint256 periodId, uint256 chunkIndex, Pair[] calldata pairs)
        external
        returns (uint256 firstOrderId)
    {
        IEnergyMarket.Period memory p = _periodOf(periodId);
        _requireWindow(periodId, p.matchEnd, p.signEnd);
        Best storage b = _best[periodId];
        if (b.submitter == address(0)) revert NoAssignment(periodId);
        if (chunkIndex >= b.chunkCount) revert UnknownChunk(periodId, chunkIndex, b.chunkCount);
        if (_chunkDone[periodId][chunkIndex] != 0) revert ChunkAlreadyMaterialized(periodId, chunkIndex);
        bytes32 expected = _chunkHashes[periodId][chunkIndex];
        bytes32 actual = _hashPairs(pairs);
        if (actual != expected) revert ChunkMismatch(periodId, chunkIndex, expected, actual);
        _chunkDone[periodId][chunkIndex] = ON_ORDER_BOOK;
        b.chunksMaterialized += 1;
        for (uint256 i = 0; i < pairs.length; i++) {
            Request storage r = _requests[pairs[i].requestId];
            Offer storage o = _offers[pairs[i].offerId];
            uint256 orderId = orderBook.createMatchedOrder(
                periodId, o.seller, r.buyer, pairs[i].requestId, r.energyWh, o.pricePerKwh, r.bonus
            );
            if (i == 0) firstOrderId = orderId;
        }
        emit ChunkMaterialized(periodId, chunkIndex, firstOrderId, pairs.length);
    }

    /// @notice Admin, once: the signed book `materializeSigned` opens orders in (it must grant this contract its
    ///         MATCHER_ROLE).
    /// @param book the SignedBook
    function setSignedBook(SignedBook book) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(signedBook) != address(0)) revert SignedBookAlreadySet(address(signedBook));
        // the signed book must read this market's periods (one schedule for verification and opening)
        if (address(book.book()) != address(orderBook)) revert SignedBookOnOtherPeriods(address(book));
        signedBook = book;
        emit SignedBookSet(address(book));
    }

    /// @notice Anyone, after the matching window and before the signing deadline (as `materialize`): open the
    ///         pairs of consecutive chunks `firstChunk`, `firstChunk + 1`, .. of the best assignment as orders of
    ///         the signed book, each ONE order word there with its terms taken from the request (buyer, R_i, bonus)
    ///         and the offer (seller, r_j), escrowed from the parties' internal balances on the signed book. `pairs`
    ///         must be those chunks exactly as submitted (each hash checked). A pair the signed book refuses (a
    ///         party inactive or short of balance, the offer's price above the buyer's `matchedPriceCap`, its
    ///         request already opened) is skipped there with
    ///         `BatchItemSkipped`; the chunk may be handed in again until the deadline to retry it.
    /// @param periodId the period
    /// @param firstChunk index of the first chunk in `pairs`
    /// @param pairs the chunks' pairs, in order
    /// @return opened how many orders opened
    function materializeSigned(uint256 periodId, uint256 firstChunk, Pair[] calldata pairs)
        external
        returns (uint256 opened)
    {
        IEnergyMarket.Period memory p = _periodOf(periodId);
        _requireWindow(periodId, p.matchEnd, p.signEnd);
        SignedBook book = signedBook;
        if (address(book) == address(0)) revert NoSignedBook();
        Best storage b = _best[periodId];
        if (b.submitter == address(0)) revert NoAssignment(periodId);
        if (pairs.length == 0) revert EmptyAssignment();
        SignedBook.Deal[] memory deals = new SignedBook.Deal[](pairs.length);
        uint256 c = firstChunk;
        for (uint256 start = 0; start < pairs.length; start += CHUNK_SIZE) {
            uint256 end = Math.min(start + CHUNK_SIZE, pairs.length);
            if (_takeSignedChunk(periodId, c++, b.chunkCount, pairs[start:end])) b.chunksMaterialized += 1;
            for (uint256 i = start; i < end; i++) {
                deals[i] = _deal(periodId, pairs[i]);
            }
        }
        opened = book.openMatched(deals);
        emit ChunksMaterializedSigned(periodId, firstChunk, pairs.length, opened);
    }

    /// @inheritdoc IMatchingMarket
    function evaluate(uint256 periodId, Pair[] calldata pairs)
        external
        view
        returns (uint256 objective, uint256 servedWh)
    {
        _periodOf(periodId);
        (objective, servedWh,) = _evaluate(periodId, pairs);
    }

    /// @inheritdoc IMatchingMarket
    function matchingDegree(uint256 requestId, uint256 offerId) external view returns (uint256 degreeWad) {
        Request storage r = _requests[requestId];
        Offer storage o = _offers[offerId];
        if (r.buyer == address(0)) revert UnknownRequest(requestId);
        if (o.seller == address(0)) revert UnknownOffer(offerId);
        if (r.periodId != o.periodId) revert WrongPeriod(0, r.periodId, r.periodId, o.periodId);
        return _degree(requestId, r, offerId, o);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMatchingMarket
    function crossingFee(bytes32 zoneA, bytes32 zoneB) external view returns (uint256) {
        return _crossingFees[_zonePair(zoneA, zoneB)];
    }

    /// @inheritdoc IMatchingMarket
    function offer(uint256 offerId) external view returns (Offer memory) {
        return _offers[offerId];
    }

    /// @inheritdoc IMatchingMarket
    function request(uint256 requestId) external view returns (Request memory) {
        return _requests[requestId];
    }

    /// @inheritdoc IMatchingMarket
    function offerOf(uint256 periodId, address seller) external view returns (uint256) {
        return _offerOf[periodId][seller];
    }

    /// @inheritdoc IMatchingMarket
    function counts() external view returns (uint256 offers, uint256 requests) {
        return (_offerCount, _requestCount);
    }

    /// @inheritdoc IMatchingMarket
    function best(uint256 periodId) external view returns (Best memory) {
        return _best[periodId];
    }

    /// @inheritdoc IMatchingMarket
    function chunkHash(uint256 periodId, uint256 chunkIndex) external view returns (bytes32) {
        return _chunkHashes[periodId][chunkIndex];
    }

    // ------------------------------------------------------------------ internals

    /// @dev Running totals of one evaluation (a memory struct keeps the stack small).
    struct Tally {
        uint256 objective;
        uint256 servedWh;
        uint256 distinct;
        bytes32 h;
        uint256[] offerIds;
        uint256[] used;
        bytes32[] hashes;
    }

    /// @dev Check every constraint of seed 003 eq 5 on `pairs` and compute (sum M_ij, sum R_i) and the chunk hashes.
    ///      Capacity use is tracked in memory over the distinct offers of the submission (a linear scan: the
    ///      submission bounds it).
    function _evaluate(uint256 periodId, Pair[] calldata pairs)
        private
        view
        returns (uint256, uint256, bytes32[] memory)
    {
        uint256 n = pairs.length;
        if (n == 0) revert EmptyAssignment();
        // false positive: a zeroed memory struct is the intended empty tally, filled pair by pair
        // slither-disable-next-line uninitialized-local
        Tally memory t;
        t.offerIds = new uint256[](n);
        t.used = new uint256[](n);
        t.hashes = new bytes32[]((n + CHUNK_SIZE - 1) / CHUNK_SIZE);
        for (uint256 i = 0; i < n; i++) {
            uint256 requestId = pairs[i].requestId;
            if (i > 0) {
                uint256 prev = pairs[i - 1].requestId;
                // seed 003 eq 5: each request is served by at most one provider (ascending ids make duplicates adjacent)
                if (requestId == prev) revert RequestAssignedTwice(i, requestId);
                if (requestId < prev) revert RequestsNotAscending(i, prev, requestId);
            }
            _addPair(t, periodId, i, requestId, pairs[i].offerId);
            if (i % CHUNK_SIZE == CHUNK_SIZE - 1 || i == n - 1) {
                t.hashes[i / CHUNK_SIZE] = t.h;
                t.h = bytes32(0);
            }
        }
        return (t.objective, t.servedWh, t.hashes);
    }

    /// @dev Check one pair and add it to the tally.
    function _addPair(Tally memory t, uint256 periodId, uint256 index, uint256 requestId, uint256 offerId)
        private
        view
    {
        (uint256 energy, uint256 degree, uint256 capacity) = _checkPair(periodId, index, requestId, offerId);
        // seed 003 eq 5: sum_i R_i x_ij <= a_j, tracked over the submission's distinct offers
        uint256 k = 0;
        while (k < t.distinct && t.offerIds[k] != offerId) k++;
        if (k == t.distinct) {
            t.offerIds[k] = offerId;
            t.distinct++;
        }
        uint256 left = capacity - t.used[k];
        if (energy > left) revert CapacityExceeded(offerId, energy, left);
        t.used[k] += energy;
        t.objective += degree;
        t.servedWh += energy;
        t.h = keccak256(abi.encode(t.h, requestId, offerId));
    }

    /// @dev One pair's feasibility (existence, period, approved parties, zeta >= 0) and its degree M_ij.
    function _checkPair(uint256 periodId, uint256 index, uint256 requestId, uint256 offerId)
        private
        view
        returns (uint256 energy, uint256 degree, uint256 capacity)
    {
        Request storage r = _requests[requestId];
        Offer storage o = _offers[offerId];
        if (r.buyer == address(0)) revert UnknownRequest(requestId);
        if (o.seller == address(0)) revert UnknownOffer(offerId);
        if (r.cancelled) revert RequestWasCancelled(requestId);
        if (r.periodId != periodId || o.periodId != periodId) {
            revert WrongPeriod(index, periodId, r.periodId, o.periodId);
        }
        if (!registry.isActive(r.buyer)) revert PartyNotActive(index, r.buyer);
        if (!registry.isActive(o.seller)) revert PartyNotActive(index, o.seller);
        // a prosumer's request paired with its own offer is a wash trade (and unsettleable under grid balance)
        if (r.buyer == o.seller) revert SelfMatch(index, r.buyer);
        return (r.energyWh, _degree(requestId, r, offerId, o), o.capacityWh);
    }

    /// @dev M_ij (seed 003 eq 3-4) in WAD with the fixed-point definition of `IMatchingMarket`; reverts on zeta < 0.
    function _degree(uint256 requestId, Request storage r, uint256 offerId, Offer storage o)
        private
        view
        returns (uint256)
    {
        uint256 energy = r.energyWh;
        // seed 003 eq 3: zeta_ij = R_i*r_j - eta_ij (revenue rounded down, network fee rounded up)
        uint256 revenue = Units.costDown(energy, o.pricePerKwh);
        uint256 eta = Units.costUp(energy, _crossingFees[_zonePair(r.zone, o.zone)]);
        // seed 003 eq 5: only pairs with zeta_ij >= 0
        if (revenue < eta) revert NegativeRevenue(requestId, offerId, revenue, eta);
        uint256 zeta = Math.mulDiv(revenue - eta, Units.WAD, tokensPerCurrency);
        uint256 rc = o.reputationWad;
        // seed 003 eq 4: M_ij = zeta*RC_j / (zeta + RC_j), 0 when both are 0
        if (zeta == 0 && rc == 0) return 0;
        return Math.mulDiv(zeta, rc, zeta + rc);
    }

    /// @dev Chunk `c` is `pairs` as submitted and not on the order book; marks it taken to the signed book and
    ///      returns true the first time.
    function _takeSignedChunk(uint256 periodId, uint256 c, uint256 chunkCount, Pair[] calldata pairs)
        private
        returns (bool first)
    {
        if (c >= chunkCount) revert UnknownChunk(periodId, c, chunkCount);
        uint256 state = _chunkDone[periodId][c];
        if (state == ON_ORDER_BOOK) revert ChunkAlreadyMaterialized(periodId, c);
        bytes32 expected = _chunkHashes[periodId][c];
        bytes32 actual = _hashPairs(pairs);
        if (actual != expected) revert ChunkMismatch(periodId, c, expected, actual);
        first = state == 0;
        if (first) _chunkDone[periodId][c] = ON_SIGNED_BOOK;
    }

    /// @dev A pair's terms, derived from its request (buyer, R_i, bonus) and offer (seller, r_j); the request id
    ///      is the deal's nonce on the signed book.
    function _deal(uint256 periodId, Pair calldata pair) private view returns (SignedBook.Deal memory) {
        Request storage r = _requests[pair.requestId];
        Offer storage o = _offers[pair.offerId];
        return SignedBook.Deal(periodId, o.seller, r.buyer, r.energyWh, o.pricePerKwh, r.bonus, pair.requestId);
    }

    function _hashPairs(Pair[] calldata pairs) private pure returns (bytes32 h) {
        for (uint256 i = 0; i < pairs.length; i++) {
            h = keccak256(abi.encode(h, pairs[i].requestId, pairs[i].offerId));
        }
    }

    function _zonePair(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function _periodOf(uint256 periodId) private view returns (IEnergyMarket.Period memory p) {
        p = orderBook.period(periodId);
        if (p.opensAt == 0) revert UnknownPeriod(periodId);
    }

    function _requirePublishing(uint256 periodId) private view {
        IEnergyMarket.Period memory p = _periodOf(periodId);
        _requireWindow(periodId, p.opensAt, p.publishEnd);
    }

    function _requireWindow(uint256 periodId, uint256 from, uint256 until) private view {
        if (block.timestamp < from || block.timestamp >= until) {
            revert OutsideWindow(periodId, block.timestamp, from, until);
        }
    }

    function _approved(address account) private view returns (IParticipantRegistry.Participant memory pt) {
        pt = registry.participant(account);
        if (pt.status != IParticipantRegistry.Status.Approved) revert NotApproved(account);
    }
}
