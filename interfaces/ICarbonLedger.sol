// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICarbonWeightSource} from "./ICarbonWeightSource.sol";

/// @title Carbon ledger: quotas, allowance trading, metered emissions and per-node settlement
///        (seed 001 §4.2.5 eq 21-22, SPEC §5)
/// @notice Amounts are allowance units of 1 kg CO2-equivalent. Per node and cycle:
///         `A_ce = A_q + A_b - A_e` with `A_b = bought - sold` (negative for a net seller); `A_ce < 0` is
///         non-compliance. The regulator opens a cycle, sets each node's quota and closes the cycle; nodes trade
///         allowances for EnergyToken while it is open; each node's meter reports its emissions; after closing,
///         anyone settles nodes one at a time (or in caller-sized batches), never all nodes in one transaction.
interface ICarbonLedger is ICarbonWeightSource {
    enum CycleState {
        None,
        Open,
        Closed,
        Settled
    }

    enum Compliance {
        NotSettled,
        Compliant,
        NonCompliant
    }

    /// @notice One carbon cycle (a year in the paper). `minSettlement`/`maxSettlement` cover the nodes settled so
    ///         far and are final once `state == Settled` (every enrolled node settled). `reportedNodes`: enrolled
    ///         nodes with at least one emission report; the silent ones settle after all of these.
    ///         The counters and timestamps share one slot (timestamps in 48 bits), which every step reads anyway.
    struct Cycle {
        CycleState state;
        uint48 openedAt;
        uint48 closedAt;
        uint32 nodes;
        uint32 settledNodes;
        uint32 nonCompliantNodes;
        uint32 reportedNodes;
        int256 minSettlement;
        int256 maxSettlement;
    }

    /// @notice One node's account in one cycle (allowance units). `listed` is reserved by open sale listings.
    struct Position {
        bool enrolled;
        bool settled;
        uint256 quota;
        uint256 bought;
        uint256 sold;
        uint256 listed;
        uint256 emitted;
        int256 settlement;
        bool reported; // at least one metered emission report (possibly 0 kg) arrived in the cycle
    }

    /// @notice A fixed-price offer of allowances of one cycle (three storage slots); `pricePerUnit` in EnergyToken
    ///         base units per kg.
    struct AllowanceListing {
        address seller;
        uint64 cycle;
        uint256 remaining;
        uint256 pricePerUnit;
    }

    /// @notice The regulator opened carbon cycle `cycle`.
    event CycleOpened(uint256 indexed cycle, address indexed regulator);
    /// @notice The regulator set `node`'s quota A_q for `cycle`, enrolling it.
    event QuotaSet(uint256 indexed cycle, address indexed node, uint256 quota);
    /// @notice The regulator closed `cycle` with `nodes` enrolled; settlement may start.
    event CycleClosed(uint256 indexed cycle, address indexed regulator, uint32 nodes);
    /// @notice `node`'s meter reported `amount` kg of emissions; `totalEmitted` is A_e so far.
    event EmissionsReported(
        uint256 indexed cycle, address indexed node, address indexed meter, uint256 amount, uint256 totalEmitted
    );
    /// @notice `seller` offered `amount` allowances of `cycle` at `pricePerUnit` tokens per kg.
    event AllowancesListed(
        uint256 indexed listingId, uint256 indexed cycle, address indexed seller, uint256 amount, uint256 pricePerUnit
    );
    /// @notice The seller withdrew what was left of a listing.
    event AllowanceListingCancelled(uint256 indexed listingId, address indexed seller, uint256 withdrawn);
    /// @notice `amount` allowances moved from `seller` to `buyer` against `tokens` EnergyToken.
    event AllowancesSold(
        uint256 indexed cycle,
        address indexed seller,
        address indexed buyer,
        uint256 listingId,
        uint256 amount,
        uint256 tokens
    );
    /// @notice `node`'s A_ce in `cycle` was recorded (eq 22), with its terms.
    event CarbonSettled(
        uint256 indexed cycle, address indexed node, int256 settlement, uint256 quota, int256 netBought, uint256 emitted
    );
    /// @notice `node` settled `cycle` short of `shortfall` kg (A_ce < 0): it did not comply.
    event NonComplianceRecorded(uint256 indexed cycle, address indexed node, uint256 shortfall);
    /// @notice Every node of `cycle` is settled; the eq 21 range is final.
    event CycleSettled(uint256 indexed cycle, int256 minSettlement, int256 maxSettlement, uint32 nonCompliantNodes);

    error CycleStillOpen(uint256 cycle);
    error CycleNotOpen(uint256 cycle, CycleState state);
    error CycleNotClosed(uint256 cycle, CycleState state);
    error NotEnrolled(address node, uint256 cycle);
    error QuotaAlreadySet(address node, uint256 cycle, uint256 quota);
    error AlreadySettled(address node, uint256 cycle);
    error NotActiveParticipant(address account);
    error InsufficientAllowances(address node, uint256 cycle, uint256 requested, uint256 available);
    error AmountTooLarge(uint256 amount, uint256 max);
    error ZeroAmount();
    error ZeroPrice();
    error UnknownListing(uint256 listingId);
    error ListingClosed(uint256 listingId);
    error ExceedsListing(uint256 listingId, uint256 requested, uint256 remaining);
    error NotSeller(uint256 listingId, address caller, address seller);
    error SelfPurchase(uint256 listingId, address buyer);
    /// @notice `node` sent no emission report in `cycle`: it settles below the worst reporting node, so only once
    ///         every reporting node is settled; `remaining` of them are not yet (anyone may settle them).
    error ReportersNotSettled(uint256 cycle, address node, uint256 remaining);

    /// @notice Regulator: open the next cycle (the previous one must be closed).
    /// @return cycle the new cycle's number (cycles run 1, 2, ...)
    function openCycle() external returns (uint256 cycle);

    /// @notice Regulator: set `node`'s quota A_q for the open cycle `cycle`, enrolling it; once per node and cycle.
    /// @param cycle the open cycle
    /// @param node an active participant
    /// @param quota allowance units (kg CO2e)
    function setQuota(uint256 cycle, address node, uint256 quota) external;

    /// @notice Regulator: close `cycle`; trading, quotas and emission reports stop, settlement may start.
    /// @param cycle the open cycle
    function closeCycle(uint256 cycle) external;

    /// @notice Add metered emissions A_e of `node` in the open `cycle`. Sent by `meter`, or relayed with the
    ///         meter's EIP-712 signature over `EmissionReading(node, meter, cycle, amount, nonce)`.
    /// @param node the enrolled node (suspended nodes still report: emissions are facts)
    /// @param meter one of the node's registered meters
    /// @param cycle the open cycle
    /// @param amount emissions in kg CO2e
    /// @param signature the meter's signature (empty when the meter sends the transaction)
    function reportEmissions(address node, address meter, uint256 cycle, uint256 amount, bytes calldata signature)
        external;

    /// @notice Offer `amount` of the caller's spare allowances of the open `cycle` at `pricePerUnit` tokens each.
    ///         Spare = quota + bought - sold - listed - emitted so far; listed units are reserved until sold or
    ///         cancelled.
    /// @param cycle the open cycle
    /// @param amount allowance units
    /// @param pricePerUnit EnergyToken base units per allowance unit
    /// @return listingId the new listing (ids start at 1)
    function listAllowances(uint256 cycle, uint256 amount, uint256 pricePerUnit) external returns (uint256 listingId);

    /// @notice Seller: withdraw what is left of an allowance listing, releasing the reservation.
    /// @param listingId the listing
    function cancelAllowanceListing(uint256 listingId) external;

    /// @notice Buy `amount` allowances from a listing of the open cycle, paying `amount * pricePerUnit` tokens to the
    ///         seller (approve this ledger on EnergyToken first). The buyer must be enrolled in that cycle.
    /// @param listingId the listing
    /// @param amount allowance units
    /// @return tokens EnergyToken base units paid
    function buyAllowances(uint256 listingId, uint256 amount) external returns (uint256 tokens);

    /// @notice Settle one enrolled node of a closed cycle (anyone may call): records
    ///         `A_ce = A_q + (bought - sold) - A_e` (seed 001 eq 22) and updates the cycle's range (eq 21).
    ///         A node whose meter sent no emission report in the cycle is non-compliant, never "zero emissions":
    ///         it settles once every reporting node is settled (`ReportersNotSettled` before), at
    ///         `min(W, 0) - 1`, W the lowest settlement of the cycle's reporting nodes (-1 when none reported):
    ///         strictly below every reporting node, whatever allowances it sold or bought.
    /// @param node the node
    /// @param cycle a closed cycle
    /// @return settlement A_ce
    function settle(address node, uint256 cycle) external returns (int256 settlement);

    /// @notice Settle several nodes of a closed cycle; the caller chooses the batch size (bounded work). The
    ///         list's reporting nodes are settled first, then its silent ones.
    /// @param cycle a closed cycle
    /// @param nodes enrolled, unsettled nodes
    function settleBatch(uint256 cycle, address[] calldata nodes) external;

    /// @notice The latest cycle number (0 before the first is opened).
    /// @return the cycle
    function currentCycle() external view returns (uint256);

    /// @notice A cycle's state, timestamps, counts and settlement range.
    /// @param cycle the cycle
    /// @return the record
    function cycleInfo(uint256 cycle) external view returns (Cycle memory);

    /// @notice `node`'s account in `cycle`.
    /// @param node the node
    /// @param cycle the cycle
    /// @return the position
    function position(address node, uint256 cycle) external view returns (Position memory);

    /// @notice Whether `node` complied in `cycle` (NotSettled until its settlement is recorded).
    /// @param node the node
    /// @param cycle the cycle
    /// @return status NotSettled, Compliant (A_ce >= 0) or NonCompliant (A_ce < 0)
    /// @return settlement A_ce (0 while not settled)
    function compliance(address node, uint256 cycle) external view returns (Compliance status, int256 settlement);

    /// @notice Allowances `node` may still list in `cycle`: quota + bought - sold - listed - emitted, floored at 0.
    /// @param node the node
    /// @param cycle the cycle
    /// @return allowance units
    function spareAllowances(address node, uint256 cycle) external view returns (uint256);

    /// @notice An allowance listing (all zero for an id never used).
    /// @param listingId the listing
    /// @return the listing
    function allowanceListing(uint256 listingId) external view returns (AllowanceListing memory);

    /// @notice How many allowance listings were ever created.
    /// @return the count
    function allowanceListingCount() external view returns (uint256);
}
