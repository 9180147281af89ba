// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {IIncentiveCurrency} from "../../interfaces/IIncentiveCurrency.sol";
import {Units} from "../lib/Units.sol";

/// @title IncentiveCurrency: seed 004 §3.4's time-stamped virtual currency with an operating life, and the block
///        creator's reward (SPEC §8)
/// @notice Seed 004 §3.4: the virtual currency "is issued and renewed" on chain and "can have the characteristic of
///         timestamp"; "to obtain different amounts of virtual currency as incentives, buyers purchase various
///         energies at different times"; "the virtual currency with various attributes has different operating
///         life"; and "the system of virtual currency issues a certain number of virtual currencies for a new block
///         to reward the creator". `EnergyToken` stays the market's money; this contract is the incentive beside it.
///
///         Design (each choice and why):
///         - **Lots are ERC-1155 balances, one id per vintage** = (time bucket of the issuance stamp, time-of-use
///           band, tariff version). OpenZeppelin's ERC-1155 carries balances and transfers; a vintage's attributes
///           (band, incentive per kWh, start, expiry) are fixed by its id, so holders of one vintage hold
///           interchangeable lots and the ids sort by issuance time (the bucket is the high bits): "oldest first" is
///           "ascending id".
///         - **Purchase incentives are pulled, not pushed by the market**: after an order settles, anyone calls
///           `issuePurchaseIncentive(orderId)`; it reads the order and its period from the market's views and mints
///           once per order. The order book needs no hook, so the market's token flows are untouched. The stamp is
///           the period's delivery start (`signEnd`) rather than the call's block time, so the vintage, band and rate
///           do not depend on when someone gets round to calling, and the tariff is the one in force at delivery
///           (a checkpoint history: an operator can never change the terms of a delivery already begun).
///         - **The energy rewarded is min(contracted, delivered rho, received gamma)**: what both meters agree on,
///           so neither party alone can inflate the incentive by over-reporting its own meter.
///         - **Spending towards handling fees is a rebate**: the order book collects the handling fee in
///           EnergyToken when the buyer signs and credits it to the operator at settlement (unchanged). The buyer
///           then burns lots towards that fee (at most the fee, once per order) and this contract pays the fee back
///           in EnergyToken from a reserve the operator funds. Economically the buyer paid the fee in incentive
///           currency, without the order book having to accept a second currency (which would change its escrow
///           invariant and need edits there).
///         - **Oldest first is the caller's list in ascending id order**, enforced on chain; which vintages a holder
///           owns is not enumerable in ERC-1155 without an unbounded per-holder list, and skipping an older vintage
///           only harms the holder itself (its older lots expire first), so the client passes every live vintage it
///           holds (energy_trading's client does).
///         - **Expired lots cannot move**: `_update` refuses every transfer of an expired vintage; spending and
///           redemption check expiry; only `retire` (anyone, after expiry) burns them, with an event.
///         - **Block creator reward**: a fixed `blockReward` minted to `block.coinbase` (the sealer on a consortium
///           chain, anvil's configured miner here) by whoever calls `claimBlockReward` in that block; a flag per block
///           number makes a second claim in the same block revert. Only the current block can be rewarded: the EVM
///           exposes the coinbase of the current block only.
/// @dev Invariants (tested in tests/contracts/test_incentives*.py):
///  - Per vintage id: `issued == held + spent + redeemed + retired`, with held = sum of holders' ERC-1155 balances
///    (= `heldSupply(id)`); over all vintages `liveSupply() == totalIssued - spent - redeemed - retired`.
///  - No lot moves after expiry: for `block.timestamp >= expiresAt` transfers, spends and redemptions of the
///    vintage revert and minting into it reverts; only `retire` burns it.
///  - No block is rewarded twice: `blockRewarded[n]` is set before the mint and checked first.
///  - No order is rewarded twice: `issuedForOrder[orderId]` is set before the mint and checked first; no fee is
///    rebated twice (`feeRebate[orderId]`) and a rebate never exceeds the fee the order's buyer paid.
///  - The market's token conservation is unchanged: this contract only reads the market; EnergyToken moves only
///    between this contract's reserve and its callers (`fundReserve`, rebates, redemptions, `withdrawReserve`), and
///    the operator can withdraw only the surplus above what the live supply could claim at the current rates.
///  - Vintage attributes never change after creation; a tariff takes effect from the next second on, never for a
///    delivery time already past.
contract IncentiveCurrency is ERC1155, AccessControl, IIncentiveCurrency {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Sets tariffs and rates, withdraws the reserve's surplus (the consortium operator).
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice At most this many bands in one tariff (bounds the loop in `setTariff`).
    uint8 public constant MAX_BANDS = 8;
    /// @notice The band number of block creator rewards.
    uint8 public constant CREATOR_BAND = 0;
    /// @notice The longest operating life a tariff may give (100 years).
    uint64 public constant MAX_LIFE = 100 * 365 days;
    /// @notice The `OrderStatus.Settled` value of the market.
    uint8 private constant SETTLED = uint8(IEnergyMarket.OrderStatus.Settled);

    /// @notice The market whose settled orders earn incentives.
    IEnergyMarket public immutable market;
    /// @notice The EnergyToken paid out of the reserve.
    IERC20 public immutable token;
    /// @notice Length of an issuance time bucket in seconds: one vintage per bucket and band.
    uint64 public immutable vintageSeconds;
    /// @notice Incentive units minted to each block's creator.
    uint128 public immutable blockReward;
    /// @notice Operating life of block reward lots, seconds.
    uint64 public immutable blockRewardLife;

    Checkpoints.Trace208 private _tariffHistory;
    uint256 private _tariffCount;
    mapping(uint256 version => uint8[24]) private _hourBands;
    mapping(uint256 version => mapping(uint8 band => Band)) private _bands;
    Rates private _rates;

    mapping(uint256 id => Vintage) private _vintages;
    mapping(uint256 orderId => uint256) private _issuedForOrder;
    mapping(uint256 blockNumber => bool) private _blockRewarded;
    mapping(uint256 orderId => uint256) private _feeRebate;
    uint256 private _totalIssued;
    uint256 private _totalSpent;
    uint256 private _totalRedeemed;
    uint256 private _totalRetired;

    /// @param admin holds DEFAULT_ADMIN_ROLE (grants roles)
    /// @param operator holds OPERATOR_ROLE (tariffs, rates, reserve surplus)
    /// @param market_ the order book whose settled orders earn incentives
    /// @param token_ the EnergyToken of the reserve
    /// @param vintageSeconds_ issuance time bucket length, seconds (non-zero; e.g. 86400: one vintage per day)
    /// @param blockReward_ incentive units per block reward (non-zero)
    /// @param blockRewardLife_ operating life of block reward lots, seconds (1..MAX_LIFE)
    /// @param rates_ initial fee and redemption rates (feeRate non-zero)
    /// @param uri_ ERC-1155 metadata URI template (`{id}` substituted by clients)
    constructor(
        address admin,
        address operator,
        IEnergyMarket market_,
        IERC20 token_,
        uint64 vintageSeconds_,
        uint128 blockReward_,
        uint64 blockRewardLife_,
        Rates memory rates_,
        string memory uri_
    ) ERC1155(uri_) {
        if (vintageSeconds_ == 0) revert BadTariff("vintageSeconds is zero");
        if (blockReward_ == 0) revert ZeroAmount();
        if (blockRewardLife_ == 0 || blockRewardLife_ > MAX_LIFE) revert BadTariff("block reward life");
        if (rates_.feeRate == 0) revert ZeroRate();
        market = market_;
        token = token_;
        vintageSeconds = vintageSeconds_;
        blockReward = blockReward_;
        blockRewardLife = blockRewardLife_;
        _rates = rates_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
        emit RatesSet(rates_.feeRate, rates_.redeemRate);
    }

    // ------------------------------------------------------------------ operator

    /// @inheritdoc IIncentiveCurrency
    function setTariff(uint8[24] calldata hourBands_, Band[] calldata bands)
        external
        onlyRole(OPERATOR_ROLE)
        returns (uint256 version)
    {
        uint256 n = bands.length;
        if (n == 0 || n > MAX_BANDS) revert BadTariff("band count");
        for (uint256 h = 0; h < 24; h++) {
            if (hourBands_[h] > n) revert BadTariff("hour band out of range");
        }
        version = ++_tariffCount;
        for (uint256 b = 0; b < n; b++) {
            if (bands[b].life == 0 || bands[b].life > MAX_LIFE) revert BadTariff("band life");
            _bands[version][uint8(b + 1)] = bands[b];
        }
        _hourBands[version] = hourBands_;
        // In force from the next second: a delivery at or before now keeps the tariff it had. A second tariff in
        // the same second replaces this one before it ever took effect (same checkpoint key).
        uint64 effectiveFrom = uint64(block.timestamp + 1);
        // slither-disable-next-line unused-return
        _tariffHistory.push(uint48(effectiveFrom), uint208(version)); // (previous, new) values: not needed
        emit TariffSet(version, effectiveFrom, hourBands_, bands);
    }

    /// @inheritdoc IIncentiveCurrency
    function setRates(uint128 feeRate, uint128 redeemRate) external onlyRole(OPERATOR_ROLE) {
        if (feeRate == 0) revert ZeroRate();
        _rates = Rates(feeRate, redeemRate);
        emit RatesSet(feeRate, redeemRate);
    }

    /// @inheritdoc IIncentiveCurrency
    function withdrawReserve(address to, uint256 tokens) external onlyRole(OPERATOR_ROLE) {
        if (tokens == 0) revert ZeroAmount();
        uint256 surplus = reserveSurplus();
        if (tokens > surplus) revert ReserveCommitted(tokens, surplus);
        emit ReserveWithdrawn(to, tokens);
        token.safeTransfer(to, tokens);
    }

    /// @inheritdoc IIncentiveCurrency
    function fundReserve(uint256 tokens) external {
        if (tokens == 0) revert ZeroAmount();
        emit ReserveFunded(msg.sender, tokens);
        token.safeTransferFrom(msg.sender, address(this), tokens);
    }

    // ------------------------------------------------------------------ issuance

    /// @inheritdoc IIncentiveCurrency
    function issuePurchaseIncentive(uint256 orderId) external returns (uint256 id, uint256 amount) {
        if (_issuedForOrder[orderId] != 0) revert AlreadyIssued(orderId);
        IEnergyMarket.Order memory o = market.order(orderId);
        if (uint8(o.status) != SETTLED) revert OrderNotSettled(orderId, uint8(o.status));
        uint256 deliveryTime = market.period(o.periodId).signEnd;
        uint256 version = tariffVersionAt(deliveryTime);
        if (version == 0) revert NoTariff(deliveryTime);
        uint8 band = _hourBands[version][(deliveryTime % 1 days) / 1 hours];
        uint256 purchasedWh = Math.min(o.energyWh, Math.min(o.deliveredWh, o.receivedWh));
        Band memory terms = _bands[version][band]; // band 0 (not incentivised) has zero terms
        amount = Units.costDown(purchasedWh, terms.incentivePerKwh);
        if (amount == 0) revert NotIncentivised(orderId, band, purchasedWh);
        Vintage storage v;
        (id, v) = _liveVintage(deliveryTime, band, uint64(version), terms.incentivePerKwh, terms.life);
        _issuedForOrder[orderId] = amount;
        v.issued += SafeCast.toUint128(amount);
        _totalIssued += amount;
        emit PurchaseIncentiveIssued(orderId, o.buyer, id, purchasedWh, amount);
        _mint(o.buyer, id, amount, "");
    }

    /// @inheritdoc IIncentiveCurrency
    function claimBlockReward() external returns (uint256 id, uint256 amount) {
        uint256 number = block.number;
        if (_blockRewarded[number]) revert BlockAlreadyRewarded(number);
        address creator = block.coinbase;
        if (creator == address(0)) revert NoBlockCreator(number);
        _blockRewarded[number] = true;
        amount = blockReward;
        Vintage storage v;
        (id, v) = _liveVintage(block.timestamp, CREATOR_BAND, 0, 0, blockRewardLife);
        v.issued += uint128(amount);
        _totalIssued += amount;
        emit BlockRewardIssued(number, creator, id, amount);
        _mint(creator, id, amount, "");
    }

    // ------------------------------------------------------------------ use

    /// @inheritdoc IIncentiveCurrency
    function spendOnFee(uint256 orderId, uint256[] calldata ids) external returns (uint256 units, uint256 rebate) {
        IEnergyMarket.Order memory o = market.order(orderId);
        if (uint8(o.status) != SETTLED) revert OrderNotSettled(orderId, uint8(o.status));
        if (msg.sender != o.buyer) revert NotBuyer(orderId, msg.sender, o.buyer);
        if (o.fee == 0) revert NoFeePaid(orderId);
        if (_feeRebate[orderId] != 0) revert FeeAlreadySpent(orderId);
        uint256 feeRate = _rates.feeRate;
        uint256 remaining = o.fee;
        for (uint256 i = 0; i < ids.length; i++) {
            uint256 id = ids[i];
            // the whole list is checked, even past the point where the fee is covered
            if (i > 0 && id <= ids[i - 1]) revert IdsNotOldestFirst(ids[i - 1], id);
            if (remaining == 0) continue;
            Vintage storage v = _unexpired(id);
            // units needed for the rest of the fee, rounded up (the holder pays the rounding)
            uint256 needed = Math.mulDiv(remaining, Units.WAD, feeRate, Math.Rounding.Ceil);
            uint256 take = Math.min(balanceOf(msg.sender, id), needed);
            if (take == 0) continue;
            remaining -= Math.min(remaining, Units.wmul(take, feeRate));
            units += take;
            v.spent += uint128(take);
            _burn(msg.sender, id, take);
            emit LotsSpent(msg.sender, id, take);
        }
        rebate = o.fee - remaining;
        if (rebate == 0) revert NothingToSpend(orderId);
        _requireReserve(rebate);
        _feeRebate[orderId] = rebate;
        _totalSpent += units;
        emit FeeSpent(orderId, msg.sender, units, rebate);
        token.safeTransfer(msg.sender, rebate);
    }

    /// @inheritdoc IIncentiveCurrency
    function redeem(uint256 id, uint256 units) external returns (uint256 tokens) {
        if (units == 0) revert ZeroAmount();
        Vintage storage v = _unexpired(id);
        uint256 rate = _rates.redeemRate;
        if (rate == 0) revert ZeroRate();
        tokens = Units.wmul(units, rate);
        if (tokens == 0) revert ZeroAmount();
        _requireReserve(tokens);
        v.redeemed += SafeCast.toUint128(units);
        _totalRedeemed += units;
        _burn(msg.sender, id, units); // checks the balance (ERC1155InsufficientBalance)
        emit LotsRedeemed(msg.sender, id, units, tokens);
        token.safeTransfer(msg.sender, tokens);
    }

    /// @inheritdoc IIncentiveCurrency
    function retire(address holder, uint256 id) external returns (uint256 units) {
        Vintage storage v = _known(id);
        if (block.timestamp < v.expiresAt) revert LotNotExpired(id, v.expiresAt, block.timestamp);
        units = balanceOf(holder, id);
        if (units == 0) revert ZeroAmount();
        v.retired += uint128(units);
        _totalRetired += units;
        _burn(holder, id, units);
        emit LotsRetired(holder, id, units, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IIncentiveCurrency
    function vintage(uint256 id) external view returns (Vintage memory) {
        return _known(id);
    }

    /// @inheritdoc IIncentiveCurrency
    function heldSupply(uint256 id) external view returns (uint256) {
        Vintage storage v = _vintages[id];
        return uint256(v.issued) - v.spent - v.redeemed - v.retired;
    }

    /// @inheritdoc IIncentiveCurrency
    function liveSupply() public view returns (uint256) {
        return _totalIssued - _totalSpent - _totalRedeemed - _totalRetired;
    }

    /// @notice Units ever issued, spent, redeemed and retired over every vintage.
    /// @return issued the units issued
    /// @return spent the units spent towards fees
    /// @return redeemed the units redeemed
    /// @return retired the units retired after expiry
    function totals() external view returns (uint256 issued, uint256 spent, uint256 redeemed, uint256 retired) {
        return (_totalIssued, _totalSpent, _totalRedeemed, _totalRetired);
    }

    /// @notice EnergyToken in the reserve above what the live supply could claim at the higher current rate.
    /// @return tokens the surplus the operator may withdraw
    function reserveSurplus() public view returns (uint256) {
        Rates memory r = _rates;
        uint256 committed = Units.wmulUp(liveSupply(), Math.max(r.feeRate, r.redeemRate));
        uint256 balance = token.balanceOf(address(this));
        return balance > committed ? balance - committed : 0;
    }

    /// @inheritdoc IIncentiveCurrency
    function tariffVersionAt(uint256 timestamp) public view returns (uint256) {
        return _tariffHistory.upperLookupRecent(SafeCast.toUint48(timestamp));
    }

    /// @inheritdoc IIncentiveCurrency
    function tariffCount() external view returns (uint256) {
        return _tariffCount;
    }

    /// @inheritdoc IIncentiveCurrency
    function bandTerms(uint256 version, uint8 band) external view returns (Band memory) {
        return _bands[version][band];
    }

    /// @inheritdoc IIncentiveCurrency
    function hourBands(uint256 version) external view returns (uint8[24] memory) {
        return _hourBands[version];
    }

    /// @inheritdoc IIncentiveCurrency
    function vintageId(uint256 timestamp, uint8 band, uint256 tariffVersion) public view returns (uint256) {
        // bucket in the high bits, so ids sort by issuance time; version and band below it
        return ((timestamp / vintageSeconds) << 72) | (uint256(SafeCast.toUint64(tariffVersion)) << 8) | band;
    }

    /// @inheritdoc IIncentiveCurrency
    function rates() external view returns (Rates memory) {
        return _rates;
    }

    /// @inheritdoc IIncentiveCurrency
    function issuedForOrder(uint256 orderId) external view returns (uint256) {
        return _issuedForOrder[orderId];
    }

    /// @inheritdoc IIncentiveCurrency
    function blockRewarded(uint256 blockNumber) external view returns (bool) {
        return _blockRewarded[blockNumber];
    }

    /// @inheritdoc IIncentiveCurrency
    function feeRebate(uint256 orderId) external view returns (uint256) {
        return _feeRebate[orderId];
    }

    /// @notice ERC-165: ERC-1155, its metadata extension, AccessControl and ERC-165 itself.
    /// @param interfaceId the interface selector
    /// @return whether it is supported
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC1155, AccessControl, IERC165)
        returns (bool)
    {
        return ERC1155.supportsInterface(interfaceId) || AccessControl.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev The vintage of (bucket of `time`, band, version), created with its attributes on first use; reverts
    ///      `LotExpired` when it is already past its expiry (nothing is minted into an expired vintage).
    function _liveVintage(uint256 time, uint8 band, uint64 version, uint128 rate, uint64 life)
        private
        returns (uint256 id, Vintage storage v)
    {
        id = vintageId(time, band, version);
        v = _vintages[id];
        if (v.expiresAt == 0) {
            // the vintage's bucket start: `time` rounded down to a whole number of `vintageSeconds`
            // slither-disable-next-line weak-prng (no randomness: a timestamp rounded down to its bucket)
            uint64 start = SafeCast.toUint64(time - (time % vintageSeconds));
            uint64 expiresAt = start + life;
            v.start = start;
            v.expiresAt = expiresAt;
            v.band = band;
            v.tariffVersion = version;
            v.incentivePerKwh = rate;
            emit VintageCreated(id, band, start, expiresAt, version, rate);
        }
        if (block.timestamp >= v.expiresAt) revert LotExpired(id, v.expiresAt, block.timestamp);
    }

    function _known(uint256 id) private view returns (Vintage storage v) {
        v = _vintages[id];
        if (v.expiresAt == 0) revert UnknownVintage(id);
    }

    function _unexpired(uint256 id) private view returns (Vintage storage v) {
        v = _known(id);
        if (block.timestamp >= v.expiresAt) revert LotExpired(id, v.expiresAt, block.timestamp);
    }

    function _requireReserve(uint256 tokens) private view {
        uint256 available = token.balanceOf(address(this));
        if (available < tokens) revert ReserveShort(tokens, available);
    }

    /// @dev No lot moves after expiry: every holder-to-holder transfer checks each id. Mints and burns are
    ///      checked by the functions that make them (issuance, spend, redeem: unexpired; retire: expired).
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values) internal override {
        if (from != address(0) && to != address(0)) {
            for (uint256 i = 0; i < ids.length; i++) {
                _unexpired(ids[i]);
            }
        }
        super._update(from, to, ids, values);
    }
}
