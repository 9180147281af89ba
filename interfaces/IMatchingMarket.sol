// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Offers, requests and verified optimal matching of one trading period (seed 003 §3.2-3.3, §5.1, eq 3-5)
/// @notice Providers publish price r_j and capacity a_j, consumers publish requests R_i. During the matching
///         window anyone approved submits an assignment (request, offer) pairs computed off chain; the contract
///         checks every constraint of eq 5, computes the objective in fixed point and keeps the submission only if
///         it is strictly better than the best so far. After the window anyone materialises the best assignment
///         into orders awaiting audit, in chunks of at most `CHUNK_SIZE` pairs.
/// @dev Fixed point (the one definition; `energy_trading.matching` implements the same integers):
///      revenue (eq 3), token base units: `zetaTokens = floor(R_i*r_j/1000) - ceil(R_i*f(z_i,z_j)/1000)` with f the
///      grid-crossing fee per kWh between the two zones (eta_ij = ceil(R_i*f/1000));
///      in WAD currency units: `zeta = floor(zetaTokens * 1e18 / t)`, t = EnergyToken.tokensPerCurrency;
///      matching degree (eq 4), WAD: `M_ij = floor(zeta * RC_j / (zeta + RC_j))`, 0 when both are 0, where RC_j is
///      the reputation snapshot stored with the offer at publication;
///      objective (eq 5): `sum M_ij` over the pairs; ties are broken by the served energy `sum R_i` (so that
///      providers with RC = 0, whose M is 0, still serve requests that would otherwise fall back to the grid).
interface IMatchingMarket {
    struct Offer {
        address seller;
        uint64 periodId;
        uint128 pricePerKwh; // r_j, token base units per kWh
        uint128 capacityWh; // a_j
        uint256 reputationWad; // RC_j snapshot at publication
        bytes32 zone;
    }

    struct Request {
        address buyer;
        uint64 periodId;
        bool cancelled;
        uint128 energyWh; // R_i
        uint128 bonus; // the buyer's optional honest-supplier reward (seed 003 eq 6)
        bytes32 zone;
    }

    /// @notice One assignment decision x_ij = 1.
    struct Pair {
        uint256 requestId;
        uint256 offerId;
    }

    /// @notice The best submission of a period so far.
    struct Best {
        address submitter;
        uint32 pairCount;
        uint32 chunkCount;
        uint32 chunksMaterialized;
        uint256 objective; // sum M_ij, WAD
        uint256 servedWh; // sum R_i
    }

    event CrossingFeeSet(bytes32 indexed zoneA, bytes32 indexed zoneB, uint256 feePerKwh);
    event OfferPublished(
        uint256 indexed offerId,
        uint256 indexed periodId,
        address indexed seller,
        uint256 pricePerKwh,
        uint256 capacityWh,
        uint256 reputationWad
    );
    event RequestPublished(
        uint256 indexed requestId, uint256 indexed periodId, address indexed buyer, uint256 energyWh, uint256 bonus
    );
    event RequestCancelled(uint256 indexed requestId, address indexed buyer);
    event AssignmentSubmitted(
        uint256 indexed periodId, address indexed submitter, uint256 pairCount, uint256 objective, uint256 servedWh
    );
    event ChunkMaterialized(uint256 indexed periodId, uint256 indexed chunkIndex, uint256 firstOrderId, uint256 count);

    error SelfMatch(uint256 index, address party);
    error UnknownPeriod(uint256 periodId);
    error OutsideWindow(uint256 periodId, uint256 now_, uint256 from, uint256 until);
    error NotApproved(address account);
    error NotAProvider(address account);
    error NotAConsumer(address account);
    error ZeroEnergy();
    error ZeroPrice();
    error UnknownOffer(uint256 offerId);
    error UnknownRequest(uint256 requestId);
    error NotRequester(uint256 requestId, address caller, address buyer);
    error RequestWasCancelled(uint256 requestId);
    error EmptyAssignment();
    error WrongPeriod(uint256 index, uint256 periodId, uint256 requestPeriod, uint256 offerPeriod);
    error RequestAssignedTwice(uint256 index, uint256 requestId);
    error RequestsNotAscending(uint256 index, uint256 previousRequestId, uint256 requestId);
    error NegativeRevenue(uint256 requestId, uint256 offerId, uint256 revenueTokens, uint256 networkFeeTokens);
    error CapacityExceeded(uint256 offerId, uint256 requested, uint256 left);
    error PartyNotActive(uint256 index, address account);
    error NotBetter(uint256 periodId, uint256 objective, uint256 servedWh, uint256 bestObjective, uint256 bestServedWh);
    error NoAssignment(uint256 periodId);
    error UnknownChunk(uint256 periodId, uint256 chunkIndex, uint256 chunkCount);
    error ChunkAlreadyMaterialized(uint256 periodId, uint256 chunkIndex);
    error ChunkMismatch(uint256 periodId, uint256 chunkIndex, bytes32 expected, bytes32 actual);

    /// @notice Operator: set the grid-crossing fee per kWh between two zones (symmetric; same zone allowed).
    ///         Applies to submissions verified from now on: change it between periods, not during a matching window.
    /// @param zoneA a zone
    /// @param zoneB another (or the same) zone
    /// @param feePerKwh token base units per kWh
    function setCrossingFee(bytes32 zoneA, bytes32 zoneB, uint256 feePerKwh) external;

    /// @notice Provider: publish (or replace) the caller's offer for a period during its publish phase.
    ///         Folds the caller's finished periods first, so the offer carries an up-to-date RC_j. A price the
    ///         order book cannot store (>= 2^96) is refused (`SafeCastOverflowedUintDowncast`).
    /// @param periodId the period
    /// @param pricePerKwh r_j (token base units per kWh)
    /// @param capacityWh a_j (Wh)
    /// @return offerId the offer (the same id when replacing)
    function publishOffer(uint256 periodId, uint256 pricePerKwh, uint256 capacityWh) external returns (uint256 offerId);

    /// @notice Consumer: publish a request for a period during its publish phase. What the order book cannot
    ///         store (energy >= 2^64 Wh, bonus >= 2^96) is refused (`SafeCastOverflowedUintDowncast`).
    /// @param periodId the period
    /// @param energyWh R_i (Wh)
    /// @param bonus optional honest-supplier reward (tokens), escrowed if the request is matched
    /// @return requestId the request
    function publishRequest(uint256 periodId, uint256 energyWh, uint256 bonus) external returns (uint256 requestId);

    /// @notice Consumer: cancel the caller's request during the publish phase.
    /// @param requestId the request
    function cancelRequest(uint256 requestId) external;

    /// @notice Any approved participant, during the matching window: submit an assignment. Reverts unless every
    ///         pair is feasible (same period, approved parties, zeta >= 0, capacity) and the assignment is strictly
    ///         better than the current best. Pairs must be sorted by strictly ascending request id.
    /// @param periodId the period
    /// @param pairs the (request, offer) pairs with x_ij = 1
    /// @return objective sum M_ij (WAD)
    /// @return servedWh sum R_i (Wh)
    function submitAssignment(uint256 periodId, Pair[] calldata pairs)
        external
        returns (uint256 objective, uint256 servedWh);

    /// @notice Anyone, after the matching window and before the signing deadline: turn one chunk of the best
    ///         assignment into orders awaiting audit. `pairs` must be exactly that chunk as submitted.
    /// @param periodId the period
    /// @param chunkIndex 0-based chunk index (pairs [chunkIndex*CHUNK_SIZE, ...))
    /// @param pairs the chunk's pairs
    /// @return firstOrderId the id of the first order created
    function materialize(uint256 periodId, uint256 chunkIndex, Pair[] calldata pairs)
        external
        returns (uint256 firstOrderId);

    /// @notice Evaluate an assignment without storing it (same checks and arithmetic as `submitAssignment`, at
    ///         any time, so a solver can check its answer before the window opens).
    /// @param periodId the period
    /// @param pairs the pairs
    /// @return objective sum M_ij (WAD)
    /// @return servedWh sum R_i (Wh)
    function evaluate(uint256 periodId, Pair[] calldata pairs) external view returns (uint256 objective, uint256 servedWh);

    /// @notice The matching degree of one pair (eq 3-4), reverting like a submission would if infeasible.
    /// @param requestId the request
    /// @param offerId the offer
    /// @return degreeWad M_ij
    function matchingDegree(uint256 requestId, uint256 offerId) external view returns (uint256 degreeWad);

    /// @notice The grid-crossing fee per kWh between two zones.
    /// @param zoneA a zone
    /// @param zoneB a zone
    /// @return the fee
    function crossingFee(bytes32 zoneA, bytes32 zoneB) external view returns (uint256);

    /// @notice One offer.
    /// @param offerId the offer
    /// @return the offer
    function offer(uint256 offerId) external view returns (Offer memory);

    /// @notice One request.
    /// @param requestId the request
    /// @return the request
    function request(uint256 requestId) external view returns (Request memory);

    /// @notice The id of `seller`'s offer in `periodId` (0 when none).
    /// @param periodId the period
    /// @param seller the provider
    /// @return the offer id
    function offerOf(uint256 periodId, address seller) external view returns (uint256);

    /// @notice How many offers / requests exist (ids run 1..count).
    /// @return offers the offer count
    /// @return requests the request count
    function counts() external view returns (uint256 offers, uint256 requests);

    /// @notice The best submission of a period.
    /// @param periodId the period
    /// @return the best submission (submitter zero when none)
    function best(uint256 periodId) external view returns (Best memory);

    /// @notice Hash of one chunk of the best assignment: `h = keccak256(abi.encode(h, requestId, offerId))` over the
    ///         chunk's pairs, starting from h = 0.
    /// @param periodId the period
    /// @param chunkIndex the chunk
    /// @return the hash
    function chunkHash(uint256 periodId, uint256 chunkIndex) external view returns (bytes32);
}
