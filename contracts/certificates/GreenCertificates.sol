// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IGreenCertificates} from "../../interfaces/IGreenCertificates.sol";
import {IGreenWeightSource} from "../../interfaces/IGreenWeightSource.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {MeterAuthenticated} from "../lib/MeterAuthenticated.sol";
import {Units} from "../lib/Units.sol";

/// @title GreenCertificates: one ERC-1155 certificate per metered MWh of non-hydro renewable generation
/// @notice Seed 001 §3.3 eq 6 (issuance), §4.2.4 eq 20 (the weight source), SPEC §5. OpenZeppelin's ERC-1155
///         carries balances and transfers; this contract adds what no library does: metered issuance with a
///         carried remainder, ERC-1888 claims, and per-owner totals for the weight model. (OpenZeppelin's
///         ERC1155Supply is not used: its per-id supply slot would cost every issuance ~22k gas for a figure
///         nothing here reads; the totals below are kept instead.)
/// @dev Invariants:
///  - Per generator g: certificates minted to g == cumulativeWh[g] / 1_000_000 (eq 6 with the sub-MWh remainder
///    carried): each reading mints exactly `(c + e) / 1e6 - c / 1e6` for cumulative c and energy e, so a Wh is
///    counted once and never certified twice.
///  - Only readings of approved Solar/Wind/Biomass generators or prosumers (`registry.isRenewableGenerator`)
///    are accepted; any other reading reverts and records nothing. Periods of one device never overlap,
///    never go backwards, never end in the future and never start before the device's approval.
///  - Per meter: Wh certified since its approval <= ratedPowerW x (now - approvedAt) / 3600 (the budget of
///    `MeterAuthenticated`), and each reading <= ratedPowerW x its period; a refused reading records nothing.
///  - Issued = transferable + claimed: sum over owners and ids of ERC-1155 balances == sum_o heldCertificates(o)
///    == totalIssued - totalClaimed (= `totalSupply()`), and sum_o claimedCertificates(o) == totalClaimed.
///  - A claim burns the claimant's transferable balance; claimed amounts only grow and are not a balance, so no
///    transfer, sale or second claim can ever move them.
///  - `countedCertificates(o) = held + claimed`; `totalCountedCertificates() = totalIssued` (sold certificates
///    leave the seller's held balance and enter the buyer's).
///  - No admin role: nobody can mint without a meter reading, and nobody can move or burn a holder's
///    certificates without the holder's ERC-1155 approval.
contract GreenCertificates is ERC1155, MeterAuthenticated, IGreenCertificates {
    /// @notice EIP-712 type of a relayed generation reading.
    bytes32 public constant GENERATION_READING_TYPEHASH = keccak256(
        "GenerationReading(address generator,address meter,uint64 periodStart,uint64 periodEnd,uint256 energyWh,uint256 nonce)"
    );

    mapping(uint256 id => Certificate) private _certificates;
    /// @dev Packed per-generator metering state: cumulative Wh and the start of the carried remainder.
    struct Metering {
        uint192 cumulativeWh;
        uint64 carryStart;
    }

    mapping(address generator => Metering) private _metering;
    mapping(address meter => uint64) private _lastPeriodEnd;
    mapping(address owner => uint256) private _held;
    mapping(address owner => uint256) private _claimedTotal;
    mapping(address owner => mapping(uint256 id => uint256)) private _claimed;
    uint256 private _lastId;
    uint256 private _totalIssued;
    uint256 private _totalClaimed;

    /// @param registry_ the participant registry binding meters to generators
    /// @param uri_ ERC-1155 metadata URI template (`{id}` substituted by clients)
    constructor(IParticipantRegistry registry_, string memory uri_)
        ERC1155(uri_)
        MeterAuthenticated(registry_, "GreenCertificates", "1", false)
    {}

    // ------------------------------------------------------------------ issuance

    /// @inheritdoc IGreenCertificates
    function reportGeneration(
        address generator,
        address meter,
        uint64 periodStart,
        uint64 periodEnd,
        uint256 energyWh,
        bytes calldata signature
    ) external returns (uint256 id, uint256 issued) {
        bytes32 structHash = keccak256(
            abi.encode(
                GENERATION_READING_TYPEHASH, generator, meter, periodStart, periodEnd, energyWh, _useNonce(meter)
            )
        );
        _authenticateReading(meter, generator, structHash, signature);
        if (!registry.isRenewableGenerator(generator)) {
            IParticipantRegistry.Participant memory p = registry.participant(generator);
            revert NotRenewableGenerator(generator, p.status, p.source);
        }
        _acceptPeriod(meter, periodStart, periodEnd);
        // periods of one meter never overlap and start after its approval: rated power x the period is at most
        // rated power x the time since its last reading (or its approval) ...
        _requirePlausible(meter, energyWh, periodEnd - periodStart);
        // ... and the meter's Wh budget since its approval, kept on chain, bounds its total directly (review
        // finding 3: a period named by the reporter alone once let a new meter certify a year before approval)
        _meterEnergy(meter, energyWh);
        return _accumulate(generator, meter, periodStart, periodEnd, energyWh);
    }

    // ------------------------------------------------------------------ claims (ERC-1888)

    /// @inheritdoc IGreenCertificates
    function claim(uint256 id, uint256 value, bytes calldata claimData) external {
        _claim(msg.sender, id, value, claimData);
    }

    /// @inheritdoc IGreenCertificates
    function claimFrom(address owner, uint256 id, uint256 value, bytes calldata claimData) external {
        if (owner != msg.sender && !isApprovedForAll(owner, msg.sender)) {
            revert IERC1155Errors.ERC1155MissingApprovalForAll(msg.sender, owner);
        }
        _claim(owner, id, value, claimData);
    }

    /// @inheritdoc IGreenCertificates
    function claimBatch(uint256[] calldata ids, uint256[] calldata values, bytes calldata claimData) external {
        if (ids.length != values.length) revert IERC1155Errors.ERC1155InvalidArrayLength(ids.length, values.length);
        uint256[] memory topics = new uint256[](ids.length);
        uint256 total = 0;
        for (uint256 i = 0; i < ids.length; i++) {
            topics[i] = _recordClaim(msg.sender, ids[i], values[i]);
            total += values[i];
        }
        _totalClaimed += total;
        _claimedTotal[msg.sender] += total;
        _burnBatch(msg.sender, ids, values);
        emit ClaimBatch(msg.sender, msg.sender, topics, ids, values, claimData);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IGreenCertificates
    function claimedBalanceOf(address owner, uint256 id) external view returns (uint256) {
        return _claimed[owner][id];
    }

    /// @inheritdoc IGreenCertificates
    function claimedBalanceOfBatch(address[] calldata owners, uint256[] calldata ids)
        external
        view
        returns (uint256[] memory balances)
    {
        if (owners.length != ids.length) revert IERC1155Errors.ERC1155InvalidArrayLength(ids.length, owners.length);
        balances = new uint256[](owners.length);
        for (uint256 i = 0; i < owners.length; i++) {
            balances[i] = _claimed[owners[i]][ids[i]];
        }
    }

    /// @inheritdoc IGreenCertificates
    function certificate(uint256 id) external view returns (Certificate memory) {
        if (id == 0 || id > _lastId) revert UnknownCertificate(id);
        return _certificates[id];
    }

    /// @inheritdoc IGreenCertificates
    function generation(address generator) external view returns (Generation memory) {
        Metering storage m = _metering[generator];
        return Generation(m.cumulativeWh, m.cumulativeWh / Units.WH_PER_MWH, m.carryStart);
    }

    /// @inheritdoc IGreenCertificates
    function carriedWh(address generator) external view returns (uint256) {
        return _metering[generator].cumulativeWh % Units.WH_PER_MWH;
    }

    /// @inheritdoc IGreenCertificates
    function lastPeriodEnd(address meter) external view returns (uint64) {
        return _lastPeriodEnd[meter];
    }

    /// @inheritdoc IGreenCertificates
    function heldCertificates(address owner) external view returns (uint256) {
        return _held[owner];
    }

    /// @inheritdoc IGreenCertificates
    function claimedCertificates(address owner) external view returns (uint256) {
        return _claimedTotal[owner];
    }

    /// @inheritdoc IGreenCertificates
    function totalIssued() external view returns (uint256) {
        return _totalIssued;
    }

    /// @inheritdoc IGreenCertificates
    function totalSupply() external view returns (uint256) {
        return _totalIssued - _totalClaimed;
    }

    /// @inheritdoc IGreenCertificates
    function totalClaimed() external view returns (uint256) {
        return _totalClaimed;
    }

    /// @inheritdoc IGreenCertificates
    function lastCertificateId() external view returns (uint256) {
        return _lastId;
    }

    /// @inheritdoc IGreenWeightSource
    /// @dev seed 001 eq 20's A_gc,i: held + claimed; sold certificates moved to the buyer's balance.
    function countedCertificates(address node) external view returns (uint256) {
        return _held[node] + _claimedTotal[node];
    }

    /// @inheritdoc IGreenWeightSource
    /// @dev seed 001 eq 20's denominator sum_i A_gc,i: every certificate ever issued is held or claimed by someone.
    function totalCountedCertificates() external view returns (uint256) {
        return _totalIssued;
    }

    /// @notice ERC-165: ERC-1155, its metadata extension, and ERC-165 itself.
    /// @param interfaceId the interface selector
    /// @return whether it is supported
    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, IERC165) returns (bool) {
        return interfaceId == type(IGreenWeightSource).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev A device's periods are non-empty, in order, never overlapping, already over, and start no earlier than
    ///      the device's (current) approval.
    function _acceptPeriod(address meter, uint64 periodStart, uint64 periodEnd) private {
        if (periodEnd <= periodStart) revert EmptyPeriod(periodStart, periodEnd);
        if (periodEnd > block.timestamp) revert PeriodInFuture(periodEnd, block.timestamp);
        uint64 approvedAt = registry.meterInfo(meter).approvedAt;
        if (periodStart < approvedAt) revert PeriodBeforeApproval(meter, periodStart, approvedAt);
        uint64 lastEnd = _lastPeriodEnd[meter];
        if (periodStart < lastEnd) revert PeriodOverlaps(meter, periodStart, lastEnd);
        _lastPeriodEnd[meter] = periodEnd;
    }

    /// @dev Add a reading to the generator's cumulative generation and mint the whole MWh it completes.
    function _accumulate(address generator, address meter, uint64 periodStart, uint64 periodEnd, uint256 energyWh)
        private
        returns (uint256 id, uint256 issued)
    {
        Metering storage m = _metering[generator];
        uint256 before = m.cumulativeWh;
        // The carried Wh started accruing at `carryStart`; a reading with no carry starts its own span.
        uint64 spanStart = before % Units.WH_PER_MWH == 0 ? periodStart : _min(m.carryStart, periodStart);
        uint256 cumulative = before + energyWh;
        // seed 001 eq 6: A_gc = sum_k A_r / 1000 (kWh -> MWh), whole certificates only; the remainder carries.
        issued = cumulative / Units.WH_PER_MWH - before / Units.WH_PER_MWH;
        uint256 carried = cumulative % Units.WH_PER_MWH;
        m.cumulativeWh = SafeCast.toUint192(cumulative);
        emit GenerationReported(generator, meter, periodStart, periodEnd, energyWh, cumulative);
        if (issued == 0) {
            m.carryStart = carried == 0 ? 0 : spanStart;
            return (0, 0);
        }
        // The remainder of this reading is the only carry left, so the next span starts with this period.
        m.carryStart = carried == 0 ? 0 : periodStart;
        id = ++_lastId;
        _totalIssued += issued;
        _certificates[id] = Certificate({
            generator: generator,
            generationStart: spanStart,
            device: meter,
            source: registry.participant(generator).source,
            generationEnd: periodEnd,
            issuedAt: uint64(block.timestamp),
            amount: uint192(issued)
        });
        emit CertificatesIssued(id, generator, meter, spanStart, periodEnd, issued, carried);
        // Interaction last: the generator may be a contract with an ERC-1155 receiver hook.
        _mint(generator, id, issued, "");
    }

    function _claim(address owner, uint256 id, uint256 value, bytes calldata claimData) private {
        uint256 topic = _recordClaim(owner, id, value);
        _totalClaimed += value;
        _claimedTotal[owner] += value;
        // Burning checks the balance (ERC1155InsufficientBalance names holder, balance, request and id).
        _burn(owner, id, value);
        emit ClaimSingle(msg.sender, owner, topic, id, value, claimData);
    }

    /// @dev Validate one claimed amount and add it to the per-id record; returns the certificate's topic (its
    ///      energy source, as ERC-1888 topics classify certificates).
    function _recordClaim(address owner, uint256 id, uint256 value) private returns (uint256 topic) {
        if (value == 0) revert ZeroClaim(id);
        _claimed[owner][id] += value;
        return uint256(_certificates[id].source);
    }

    /// @dev Keep the per-owner totals the weight model reads (OpenZeppelin tracks balances per id only).
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        super._update(from, to, ids, values);
        uint256 total = 0;
        for (uint256 i = 0; i < values.length; i++) {
            total += values[i];
        }
        if (from != address(0)) _held[from] -= total;
        if (to != address(0)) _held[to] += total;
    }

    function _min(uint64 a, uint64 b) private pure returns (uint64) {
        return a < b ? a : b;
    }
}
