// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IGreenWeightSource} from "./IGreenWeightSource.sol";
import {IParticipantRegistry} from "./IParticipantRegistry.sol";

/// @title Green certificates: ERC-1155 tokens in the shape of ERC-1888 transferable certificates
///        (seed 001 §3.3 eq 6, §4.2.4 eq 20; SPEC §5)
/// @notice One token = one certificate = one MWh of metered non-hydro renewable generation. Every issuance gets
///         its own ERC-1155 id carrying its data (generator, device, generation period, source); balances of an
///         id are whole MWh. A holder may transfer or sell certificates, or claim (retire) them as proof of green
///         consumption; a claim burns the transferable balance and records the claimed amount per owner and id,
///         so claimed certificates can never move again.
interface IGreenCertificates is IERC1155, IGreenWeightSource {
    /// @notice What one certificate id stands for (ERC-1888's per-certificate data), packed in three slots.
    /// @dev `generationStart` is the start of the earliest reading whose Wh this issuance covers (a remainder
    ///      carried from an earlier reading moves it back); `generationEnd` the end of the completing reading.
    struct Certificate {
        address generator;
        uint64 generationStart;
        address device;
        IParticipantRegistry.Source source;
        uint64 generationEnd;
        uint64 issuedAt;
        uint192 amount;
    }

    /// @notice Metering state of one generator (seed 001 eq 6 with the carried remainder).
    /// @dev `issued == cumulativeWh / 1_000_000` by construction (only `cumulativeWh` is stored).
    struct Generation {
        uint256 cumulativeWh;
        uint256 issued;
        uint64 carryStart;
    }

    /// @notice A meter reading of renewable generation was accepted (every reading, issuing or not).
    event GenerationReported(
        address indexed generator,
        address indexed meter,
        uint64 periodStart,
        uint64 periodEnd,
        uint256 energyWh,
        uint256 cumulativeWh
    );
    /// @notice `amount` certificates (MWh) were minted to `generator` under the new id `id`.
    event CertificatesIssued(
        uint256 indexed id,
        address indexed generator,
        address indexed device,
        uint64 generationStart,
        uint64 generationEnd,
        uint256 amount,
        uint256 carriedWh
    );
    /// @notice ERC-1888: `value` certificates of `id` were claimed (retired) for `claimSubject`.
    event ClaimSingle(
        address indexed claimIssuer,
        address indexed claimSubject,
        uint256 indexed topic,
        uint256 id,
        uint256 value,
        bytes claimData
    );
    /// @notice ERC-1888: several ids were claimed (retired) for `claimSubject` in one call.
    event ClaimBatch(
        address indexed claimIssuer,
        address indexed claimSubject,
        uint256[] topics,
        uint256[] ids,
        uint256[] values,
        bytes claimData
    );

    error NotRenewableGenerator(
        address generator, IParticipantRegistry.Status status, IParticipantRegistry.Source source
    );
    error EmptyPeriod(uint64 periodStart, uint64 periodEnd);
    error PeriodOverlaps(address meter, uint64 periodStart, uint64 lastPeriodEnd);
    error PeriodInFuture(uint64 periodEnd, uint256 blockTime);
    error PeriodBeforeApproval(address meter, uint64 periodStart, uint64 approvedAt);
    error ZeroClaim(uint256 id);
    error UnknownCertificate(uint256 id);

    /// @notice Record metered generation of `generator` over [periodStart, periodEnd) and issue one certificate
    ///         per whole MWh accumulated, carrying the sub-MWh remainder (seed 001 eq 6). Sent by `meter`, or
    ///         relayed by anyone with the meter's EIP-712 signature over
    ///         `GenerationReading(generator, meter, periodStart, periodEnd, energyWh, nonce)`.
    /// @dev Reverts `NotRenewableGenerator` (nothing recorded) unless the generator is an approved Solar, Wind or
    ///      Biomass generator/prosumer; `MeterNotOwnedBy` when the meter belongs to someone else;
    ///      `PeriodBeforeApproval` when the period starts before the auditor approved the meter (a device certifies
    ///      nothing it generated before its review); `ReadingImplausible` when the energy exceeds rated power x the
    ///      period, or the meter's budget of rated power x the time since its approval.
    /// @param generator the participant whose generation is reported
    /// @param meter one of the generator's registered meters (the device)
    /// @param periodStart first second of the metering period (unix seconds)
    /// @param periodEnd end of the period (exclusive, unix seconds); periods of a device never overlap
    /// @param energyWh energy generated in the period, Wh
    /// @param signature the meter's EIP-712 signature (empty when the meter sends the transaction)
    /// @return id the certificate id minted (0 when the reading completed no whole MWh)
    /// @return issued the certificates minted (MWh)
    function reportGeneration(
        address generator,
        address meter,
        uint64 periodStart,
        uint64 periodEnd,
        uint256 energyWh,
        bytes calldata signature
    ) external returns (uint256 id, uint256 issued);

    /// @notice Claim (retire) `value` of the caller's certificates of `id` as proof of green consumption.
    /// @param id the certificate id
    /// @param value certificates (MWh) to claim
    /// @param claimData free data recorded in the event (e.g. the consumption it backs)
    function claim(uint256 id, uint256 value, bytes calldata claimData) external;

    /// @notice Claim on behalf of `owner` (the caller must be `owner` or an ERC-1155 operator approved by it);
    ///         the claim is recorded for `owner`.
    /// @param owner the holder whose certificates are retired
    /// @param id the certificate id
    /// @param value certificates (MWh) to claim
    /// @param claimData free data recorded in the event
    function claimFrom(address owner, uint256 id, uint256 value, bytes calldata claimData) external;

    /// @notice Claim several ids of the caller's certificates at once.
    /// @param ids certificate ids
    /// @param values certificates (MWh) per id
    /// @param claimData free data recorded in the event
    function claimBatch(uint256[] calldata ids, uint256[] calldata values, bytes calldata claimData) external;

    /// @notice ERC-1888: certificates of `id` claimed by `owner`.
    /// @param owner the claimant
    /// @param id the certificate id
    /// @return the claimed amount (MWh)
    function claimedBalanceOf(address owner, uint256 id) external view returns (uint256);

    /// @notice ERC-1888: claimed balances of several (owner, id) pairs.
    /// @param owners the claimants
    /// @param ids the certificate ids (same length)
    /// @return the claimed amounts (MWh)
    function claimedBalanceOfBatch(address[] calldata owners, uint256[] calldata ids)
        external
        view
        returns (uint256[] memory);

    /// @notice The data of certificate id `id` (reverts `UnknownCertificate` for an id never issued).
    /// @param id the certificate id
    /// @return the certificate's data
    function certificate(uint256 id) external view returns (Certificate memory);

    /// @notice The metering state of `generator`: cumulative Wh, certificates issued, start of the carried Wh.
    /// @param generator the participant
    /// @return the state
    function generation(address generator) external view returns (Generation memory);

    /// @notice Wh of `generator` metered but not yet certified (always below one MWh).
    /// @param generator the participant
    /// @return the remainder in Wh
    function carriedWh(address generator) external view returns (uint256);

    /// @notice The end of the last accepted period of a meter (0 before its first reading).
    /// @param meter the device
    /// @return unix seconds
    function lastPeriodEnd(address meter) external view returns (uint64);

    /// @notice Transferable certificates of `owner` summed over every id (MWh).
    /// @param owner the holder
    /// @return the held amount
    function heldCertificates(address owner) external view returns (uint256);

    /// @notice Certificates of `owner` claimed so far, summed over every id (MWh).
    /// @param owner the claimant
    /// @return the claimed amount
    function claimedCertificates(address owner) external view returns (uint256);

    /// @notice Certificates ever issued (MWh) = transferable supply + claimed.
    /// @return the amount
    function totalIssued() external view returns (uint256);

    /// @notice Transferable certificates in circulation over every id (MWh) = issued - claimed.
    /// @return the amount
    function totalSupply() external view returns (uint256);

    /// @notice Certificates claimed so far by everyone (MWh).
    /// @return the amount
    function totalClaimed() external view returns (uint256);

    /// @notice The id the next issuance will get minus one (ids run 1..lastCertificateId).
    /// @return the last id issued
    function lastCertificateId() external view returns (uint256);
}
