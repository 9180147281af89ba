// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Certificate exchange: fixed-price listings of green certificates for EnergyToken (seed 001 §4.2.4)
/// @notice A seller lists an amount of one certificate id at a price per certificate; buyers take any part of it.
///         Settlement is an atomic swap at purchase: in one transaction the buyer's tokens go to the seller and the
///         seller's certificates go to the buyer, or the transaction reverts and neither moves. The seller keeps
///         the listed certificates (and their weight, eq 20) until they are sold.
interface ICertificateExchange {
    /// @notice One fixed-price offer (three storage slots). `pricePerCertificate` is in EnergyToken base units per
    ///         certificate (per MWh: a certificate is its own unit, so it is not priced per kWh like energy).
    struct Listing {
        address seller;
        uint96 remaining;
        uint256 certificateId;
        uint256 pricePerCertificate;
    }

    /// @notice `seller` offered `amount` certificates of `certificateId` at `pricePerCertificate`.
    event CertificatesListed(
        uint256 indexed listingId,
        address indexed seller,
        uint256 indexed certificateId,
        uint256 amount,
        uint256 pricePerCertificate
    );
    /// @notice The seller withdrew what was left of a listing.
    event ListingCancelled(uint256 indexed listingId, address indexed seller, uint256 withdrawn);
    /// @notice `amount` certificates moved from `seller` to `buyer` against `tokens` EnergyToken.
    event CertificatesSold(
        uint256 indexed listingId,
        address indexed seller,
        address indexed buyer,
        uint256 certificateId,
        uint256 amount,
        uint256 tokens
    );

    error ZeroAmount();
    error ZeroPrice();
    error NotActiveParticipant(address account);
    error ExchangeNotApproved(address seller);
    error InsufficientCertificates(address seller, uint256 certificateId, uint256 requested, uint256 available);
    error UnknownListing(uint256 listingId);
    error ListingClosed(uint256 listingId);
    error ExceedsListing(uint256 listingId, uint256 requested, uint256 remaining);
    error NotSeller(uint256 listingId, address caller, address seller);
    error SelfPurchase(uint256 listingId, address buyer);
    error SellerBalanceTooLow(uint256 listingId, address seller, uint256 held, uint256 requested);

    /// @notice Offer `amount` of the caller's certificates of `certificateId` at `pricePerCertificate` tokens each.
    ///         The caller must be an active participant, have approved this exchange as its ERC-1155 operator, and
    ///         hold `amount` more than it already has listed of that id.
    /// @param certificateId the certificate id
    /// @param amount certificates (MWh) offered
    /// @param pricePerCertificate EnergyToken base units per certificate
    /// @return listingId the new listing's id (ids start at 1)
    function list(uint256 certificateId, uint256 amount, uint256 pricePerCertificate)
        external
        returns (uint256 listingId);

    /// @notice Seller: withdraw what is left of a listing.
    /// @param listingId the listing
    function cancel(uint256 listingId) external;

    /// @notice Buy `amount` certificates from a listing; the caller pays `amount * pricePerCertificate` tokens
    ///         (it must have approved this exchange on EnergyToken for at least that).
    /// @param listingId the listing
    /// @param amount certificates (MWh) to buy
    /// @return tokens the EnergyToken base units paid to the seller
    function buy(uint256 listingId, uint256 amount) external returns (uint256 tokens);

    /// @notice A listing (all zero for an id never used).
    /// @param listingId the listing
    /// @return the listing
    function listing(uint256 listingId) external view returns (Listing memory);

    /// @notice Certificates of `certificateId` that `seller` has on open listings.
    /// @param seller the seller
    /// @param certificateId the certificate id
    /// @return the amount (MWh)
    function listedAmount(address seller, uint256 certificateId) external view returns (uint256);

    /// @notice How many listings were ever created (ids run 1..listingCount).
    /// @return the count
    function listingCount() external view returns (uint256);
}
