// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";

/// @title The time-stamped incentive currency of seed 004 §3.4 (SPEC §8)
/// @notice Lots of incentive currency carry the time they were issued for. One ERC-1155 id per vintage =
///         (issuance time bucket, time-of-use band, tariff version); the vintage fixes its attributes (band,
///         incentive per kWh, start, expiry = start + the band's operating life). Buyers whose settled purchases
///         were delivered in an incentivised band receive lots (pulled by anyone with `issuePurchaseIncentive`);
///         the block's creator receives a fixed reward once per block (`claimBlockReward`). Lots can be spent
///         towards an order's handling fee (a rebate in EnergyToken from the operator's reserve) or redeemed for
///         EnergyToken, only before they expire; expired lots cannot move and anyone can retire them.
///         Amounts of incentive currency have 18 decimals (1e18 = one unit); EnergyToken amounts are base units.
interface IIncentiveCurrency is IERC1155 {
    /// @notice Terms of one time-of-use band in a tariff.
    /// @dev `incentivePerKwh`: incentive units (1e18 = one) per kWh purchased; `life`: operating life in seconds.
    struct Band {
        uint128 incentivePerKwh;
        uint64 life;
    }

    /// @notice One vintage (= one ERC-1155 id) and its per-vintage ledger.
    /// @dev `issued == held + spent + redeemed + retired` where held is the sum of holders' balances.
    struct Vintage {
        uint64 start; // issuance time stamp: the start of the time bucket (unix seconds)
        uint64 expiresAt; // start + operating life: lots can move until (excluding) this second
        uint8 band; // the time-of-use band that issued it (0 = block creator reward)
        uint64 tariffVersion; // the tariff whose band terms apply (0 = block creator reward)
        uint128 incentivePerKwh; // the band's incentive rate when issued (0 for block rewards)
        uint128 issued;
        uint128 spent;
        uint128 redeemed;
        uint128 retired;
    }

    /// @notice The values of incentive units in EnergyToken, WAD (token base units per 1e18 incentive units).
    struct Rates {
        uint128 feeRate; // when spent towards a handling fee
        uint128 redeemRate; // when redeemed for EnergyToken
    }

    event TariffSet(uint256 indexed version, uint64 effectiveFrom, uint8[24] hourBands, Band[] bands);
    event RatesSet(uint128 feeRate, uint128 redeemRate);
    event VintageCreated(
        uint256 indexed id, uint8 indexed band, uint64 start, uint64 expiresAt, uint64 tariffVersion, uint128 rate
    );
    event PurchaseIncentiveIssued(
        uint256 indexed orderId, address indexed buyer, uint256 indexed id, uint256 purchasedWh, uint256 amount
    );
    event BlockRewardIssued(uint256 indexed blockNumber, address indexed creator, uint256 indexed id, uint256 amount);
    event FeeSpent(uint256 indexed orderId, address indexed holder, uint256 units, uint256 rebate);
    event LotsSpent(address indexed holder, uint256 indexed id, uint256 units);
    event LotsRedeemed(address indexed holder, uint256 indexed id, uint256 units, uint256 tokens);
    event LotsRetired(address indexed holder, uint256 indexed id, uint256 units, address indexed retiredBy);
    event ReserveFunded(address indexed from, uint256 tokens);
    event ReserveWithdrawn(address indexed to, uint256 tokens);

    error BadTariff(string reason);
    error NoTariff(uint256 deliveryTime);
    error OrderNotSettled(uint256 orderId, uint8 status);
    error AlreadyIssued(uint256 orderId);
    error NotIncentivised(uint256 orderId, uint8 band, uint256 purchasedWh);
    error LotExpired(uint256 id, uint64 expiresAt, uint256 now_);
    error LotNotExpired(uint256 id, uint64 expiresAt, uint256 now_);
    error UnknownVintage(uint256 id);
    error BlockAlreadyRewarded(uint256 blockNumber);
    error NoBlockCreator(uint256 blockNumber);
    error NotBuyer(uint256 orderId, address caller, address buyer);
    error NoFeePaid(uint256 orderId);
    error FeeAlreadySpent(uint256 orderId);
    error IdsNotOldestFirst(uint256 previous, uint256 next);
    error NothingToSpend(uint256 orderId);
    error ZeroAmount();
    error ZeroRate();
    error ReserveShort(uint256 needed, uint256 available);
    error ReserveCommitted(uint256 requested, uint256 surplus);

    // ------------------------------------------------------------------ operator

    /// @notice Operator: publish a new tariff, in force for deliveries from the next second on (never retroactive).
    /// @param hourBands the band (1..bands.length, 0 = not incentivised) of each UTC hour of the day
    /// @param bands the terms of bands 1..n (n <= MAX_BANDS); an incentivised band needs a non-zero life
    /// @return version the new tariff's version (1, 2, ...)
    function setTariff(uint8[24] calldata hourBands, Band[] calldata bands) external returns (uint256 version);

    /// @notice Operator: set the EnergyToken values of incentive units (WAD), for spends and redemptions from now on.
    /// @param feeRate token base units per 1e18 units spent towards a fee (non-zero)
    /// @param redeemRate token base units per 1e18 units redeemed (0 disables redemption)
    function setRates(uint128 feeRate, uint128 redeemRate) external;

    /// @notice Operator: take EnergyToken out of the reserve, only above what the live supply could claim.
    /// @param to receiver
    /// @param tokens EnergyToken base units
    function withdrawReserve(address to, uint256 tokens) external;

    /// @notice Anyone: add EnergyToken to the reserve that pays fee rebates and redemptions (needs an allowance).
    /// @param tokens EnergyToken base units
    function fundReserve(uint256 tokens) external;

    // ------------------------------------------------------------------ issuance

    /// @notice Anyone: issue the buyer's incentive for a settled order, once per order. The lots are stamped with
    ///         the delivery time of the order's period (its `signEnd`), whose UTC hour selects the band of the
    ///         tariff in force then; the amount is the energy both meters agree on (min of contracted, delivered
    ///         and received Wh) times the band's incentive per kWh.
    /// @param orderId an order of the market in status Settled
    /// @return id the vintage issued
    /// @return amount incentive units issued
    function issuePurchaseIncentive(uint256 orderId) external returns (uint256 id, uint256 amount);

    /// @notice Anyone: issue the fixed block reward to this block's creator (`block.coinbase`), once per block.
    /// @return id the vintage issued
    /// @return amount incentive units issued
    function claimBlockReward() external returns (uint256 id, uint256 amount);

    // ------------------------------------------------------------------ use

    /// @notice The order's buyer: spend the caller's unexpired lots, in the order given (which must be oldest
    ///         first, i.e. ascending ids), towards the handling fee it paid on that settled order; the reserve pays
    ///         the fee back as a rebate at `feeRate`. At most the fee, once per order.
    /// @param orderId a Settled order whose buyer is the caller and whose fee was paid
    /// @param ids the caller's vintages to draw from, ascending (oldest first)
    /// @return units incentive units burned
    /// @return rebate EnergyToken base units paid to the caller
    function spendOnFee(uint256 orderId, uint256[] calldata ids) external returns (uint256 units, uint256 rebate);

    /// @notice Holder: redeem `units` of the caller's unexpired lots of vintage `id` for EnergyToken at `redeemRate`.
    /// @param id the vintage
    /// @param units incentive units to redeem
    /// @return tokens EnergyToken base units paid to the caller (rounded down)
    function redeem(uint256 id, uint256 units) external returns (uint256 tokens);

    /// @notice Anyone: retire (burn) `holder`'s whole balance of an expired vintage.
    /// @param holder the account holding expired lots
    /// @param id the vintage (must be expired)
    /// @return units incentive units retired
    function retire(address holder, uint256 id) external returns (uint256 units);

    // ------------------------------------------------------------------ views

    /// @notice The vintage `id` (reverts `UnknownVintage` for an id never issued).
    /// @param id the ERC-1155 id
    /// @return the vintage's attributes and ledger
    function vintage(uint256 id) external view returns (Vintage memory);

    /// @notice Units of vintage `id` still held by someone: issued - spent - redeemed - retired.
    /// @param id the ERC-1155 id
    /// @return the held supply
    function heldSupply(uint256 id) external view returns (uint256);

    /// @notice Units not yet spent, redeemed or retired, over every vintage (expired but unretired included).
    /// @return the live supply
    function liveSupply() external view returns (uint256);

    /// @notice The tariff version in force for a delivery at `timestamp` (0 = none).
    /// @param timestamp unix seconds
    /// @return the version
    function tariffVersionAt(uint256 timestamp) external view returns (uint256);

    /// @notice Tariffs published so far (versions run 1..tariffCount).
    /// @return the count
    function tariffCount() external view returns (uint256);

    /// @notice The terms of band `band` in tariff `version` (zero terms for band 0 or an unknown band).
    /// @param version a tariff version
    /// @param band a band number 1..n
    /// @return the band's terms
    function bandTerms(uint256 version, uint8 band) external view returns (Band memory);

    /// @notice The band of each UTC hour in tariff `version`.
    /// @param version a tariff version
    /// @return the 24 band numbers
    function hourBands(uint256 version) external view returns (uint8[24] memory);

    /// @notice The ERC-1155 id of the vintage (bucket of `timestamp`, `band`, `tariffVersion`); ids sort by time.
    /// @param timestamp any second in the bucket
    /// @param band the band (0 = block reward)
    /// @param tariffVersion the tariff version (0 = block reward)
    /// @return the id
    function vintageId(uint256 timestamp, uint8 band, uint256 tariffVersion) external view returns (uint256);

    /// @notice The current EnergyToken values of incentive units.
    /// @return the rates
    function rates() external view returns (Rates memory);

    /// @notice Units issued for an order (0 = not issued yet).
    /// @param orderId the order
    /// @return units issued
    function issuedForOrder(uint256 orderId) external view returns (uint256);

    /// @notice Whether block number `blockNumber` was rewarded.
    /// @param blockNumber the block number
    /// @return rewarded
    function blockRewarded(uint256 blockNumber) external view returns (bool);

    /// @notice The rebate paid on an order's fee (0 = none yet).
    /// @param orderId the order
    /// @return tokens rebated
    function feeRebate(uint256 orderId) external view returns (uint256);
}
