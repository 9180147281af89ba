// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICertificateExchange} from "../../interfaces/ICertificateExchange.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";

/// @title CertificateExchange: sell green certificates for EnergyToken, both sides moving or neither
/// @notice Fixed-price listings settled by an atomic swap at purchase (SPEC §5). The seller approves this
///         contract as its ERC-1155 operator once; the buyer approves it on EnergyToken for the price.
/// @dev Invariants:
///  - The exchange never holds tokens or certificates: a purchase moves `amount * price` tokens buyer -> seller
///    and `amount` certificates seller -> buyer inside one transaction, and any failure of either leg reverts both.
///  - `listedAmount(s, id) == sum of remaining over s's open listings of id`, and at listing time
///    `listedAmount(s, id) <= balanceOf(s, id)`: a seller cannot offer the same certificate twice. Should the
///    seller move or claim listed certificates later, a purchase finds the balance short and reverts with
///    `SellerBalanceTooLow`, moving nothing; claimed certificates are burned, so they can never be sold.
///  - Only active participants (registry `isActive`) list or buy; only a listing's seller cancels it.
///  - Immutable configuration; no admin.
contract CertificateExchange is ICertificateExchange, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The green-certificate contract (ERC-1155) whose ids are traded.
    IERC1155 public immutable certificates;
    /// @notice EnergyToken, the currency of every sale.
    IERC20 public immutable token;
    /// @notice The participant registry deciding who may trade.
    IParticipantRegistry public immutable registry;

    mapping(uint256 listingId => Listing) private _listings;
    mapping(address seller => mapping(uint256 certificateId => uint256)) private _listed;
    uint256 private _listingCount;

    /// @param certificates_ the GreenCertificates contract
    /// @param token_ EnergyToken
    /// @param registry_ the participant registry
    constructor(IERC1155 certificates_, IERC20 token_, IParticipantRegistry registry_) {
        certificates = certificates_;
        token = token_;
        registry = registry_;
    }

    /// @inheritdoc ICertificateExchange
    function list(uint256 certificateId, uint256 amount, uint256 pricePerCertificate)
        external
        returns (uint256 listingId)
    {
        if (amount == 0) revert ZeroAmount();
        if (pricePerCertificate == 0) revert ZeroPrice();
        _requireActive(msg.sender);
        if (!certificates.isApprovedForAll(msg.sender, address(this))) revert ExchangeNotApproved(msg.sender);
        uint256 held = certificates.balanceOf(msg.sender, certificateId);
        uint256 listed = _listed[msg.sender][certificateId];
        uint256 available = held > listed ? held - listed : 0;
        if (amount > available) revert InsufficientCertificates(msg.sender, certificateId, amount, available);

        _listed[msg.sender][certificateId] = listed + amount;
        listingId = ++_listingCount;
        _listings[listingId] = Listing(msg.sender, SafeCast.toUint96(amount), certificateId, pricePerCertificate);
        emit CertificatesListed(listingId, msg.sender, certificateId, amount, pricePerCertificate);
    }

    /// @inheritdoc ICertificateExchange
    function cancel(uint256 listingId) external {
        Listing storage l = _existing(listingId);
        if (msg.sender != l.seller) revert NotSeller(listingId, msg.sender, l.seller);
        uint256 withdrawn = l.remaining;
        if (withdrawn == 0) revert ListingClosed(listingId);
        _listed[l.seller][l.certificateId] -= withdrawn;
        l.remaining = 0;
        emit ListingCancelled(listingId, l.seller, withdrawn);
    }

    /// @inheritdoc ICertificateExchange
    function buy(uint256 listingId, uint256 amount) external nonReentrant returns (uint256 tokens) {
        Listing storage l = _existing(listingId);
        if (amount == 0) revert ZeroAmount();
        if (l.remaining == 0) revert ListingClosed(listingId);
        if (amount > l.remaining) revert ExceedsListing(listingId, amount, l.remaining);
        address seller = l.seller;
        if (msg.sender == seller) revert SelfPurchase(listingId, msg.sender);
        _requireActive(msg.sender);
        _requireActive(seller);
        uint256 id = l.certificateId;
        uint256 held = certificates.balanceOf(seller, id);
        if (held < amount) revert SellerBalanceTooLow(listingId, seller, held, amount);
        // Certificates are priced whole, per MWh: no rounding (overflow reverts).
        tokens = amount * l.pricePerCertificate;

        l.remaining -= uint96(amount); // amount <= remaining, checked above
        _listed[seller][id] -= amount;
        emit CertificatesSold(listingId, seller, msg.sender, id, amount, tokens);

        // Both legs in one transaction: if either reverts (allowance, balance, approval, receiver) neither moves.
        token.safeTransferFrom(msg.sender, seller, tokens);
        certificates.safeTransferFrom(seller, msg.sender, id, amount, "");
    }

    /// @inheritdoc ICertificateExchange
    function listing(uint256 listingId) external view returns (Listing memory) {
        return _listings[listingId];
    }

    /// @inheritdoc ICertificateExchange
    function listedAmount(address seller, uint256 certificateId) external view returns (uint256) {
        return _listed[seller][certificateId];
    }

    /// @inheritdoc ICertificateExchange
    function listingCount() external view returns (uint256) {
        return _listingCount;
    }

    function _existing(uint256 listingId) private view returns (Listing storage l) {
        l = _listings[listingId];
        if (l.seller == address(0)) revert UnknownListing(listingId);
    }

    function _requireActive(address account) private view {
        if (!registry.isActive(account)) revert NotActiveParticipant(account);
    }
}
