"""CertificateExchange: certificate sales for EnergyToken, atomic (both sides move or neither) (SPEC §5)."""

import pytest
import test_certificates as shared
from brownie import accounts
from conftest import CONSUMER, SOURCE_NONE, reverts_with
from test_certificates import participant, report

# Fixtures shared with test_certificates (pytest finds fixtures by module attribute).
certs, consumer, exchange = shared.certs, shared.consumer, shared.exchange
solar, token = shared.solar, shared.token

PRICE = 30 * 10**18  # 30 tokens per certificate (per MWh)


@pytest.fixture
def holders(certs, exchange, token, admin, solar, consumer):
    """Solar holds 5 certificates of id 1 and approved the exchange; the consumer holds 1000 tokens."""
    gen, meter = solar
    report(certs, gen, meter, 0, 5_000_000)
    certs.setApprovalForAll(exchange, True, {"from": gen})
    home = consumer[0]
    token.issue(home, 1000 * 10**18, {"from": admin})
    return gen, home


def state(certs, token, exchange, *people):
    """Balances and listings a refused step must leave exactly as they were."""
    return (
        [certs.balanceOf(p, 1) for p in people],
        [certs.countedCertificates(p) for p in people],
        [token.balanceOf(p) for p in people],
        token.balanceOf(exchange),
        certs.balanceOf(exchange, 1),
        [tuple(exchange.listing(i)) for i in range(1, exchange.listingCount() + 1)],
        [exchange.listedAmount(p, 1) for p in people],
    )


def test_sale_moves_certificates_and_tokens_in_one_transaction(certs, exchange, token, holders):
    gen, home = holders
    listing = exchange.list(1, 4, PRICE, {"from": gen}).return_value
    assert certs.countedCertificates(gen) == 5  # listed certificates stay the seller's until sold
    token.approve(exchange, 3 * PRICE, {"from": home})
    tx = exchange.buy(listing, 3, {"from": home})
    assert tx.return_value == 3 * PRICE
    assert (certs.balanceOf(gen, 1), certs.balanceOf(home, 1)) == (2, 3)
    assert (token.balanceOf(gen), token.balanceOf(home)) == (3 * PRICE, 1000 * 10**18 - 3 * PRICE)
    assert (token.balanceOf(exchange), certs.balanceOf(exchange, 1)) == (0, 0)
    # seed 001 §4.2.4: sold certificates stop counting for the seller and count for the buyer.
    assert (certs.countedCertificates(gen), certs.countedCertificates(home)) == (2, 3)
    assert certs.totalCountedCertificates() == 5
    assert tuple(exchange.listing(listing)) == (gen, 1, 1, PRICE)
    assert exchange.listedAmount(gen, 1) == 1
    sold = tx.events["CertificatesSold"]
    assert (sold["listingId"], sold["seller"], sold["buyer"], sold["amount"], sold["tokens"]) == (
        listing,
        gen,
        home,
        3,
        3 * PRICE,
    )


def test_listing_emits_and_records_the_offer(certs, exchange, holders):
    gen, _ = holders
    tx = exchange.list(1, 2, PRICE, {"from": gen})
    event = tx.events["CertificatesListed"]
    assert (event["listingId"], event["seller"], event["certificateId"], event["amount"]) == (1, gen, 1, 2)
    assert tuple(exchange.listing(1)) == (gen, 2, 1, PRICE)  # seller, remaining, id, price
    assert exchange.listedAmount(gen, 1) == 2


def test_selling_more_than_held_is_refused(certs, exchange, token, holders):
    gen, home = holders
    before = state(certs, token, exchange, gen, home)
    with reverts_with("InsufficientCertificates", gen, 1, 6, 5):
        exchange.list(1, 6, PRICE, {"from": gen})
    assert state(certs, token, exchange, gen, home) == before


def test_listing_the_same_certificates_twice_is_refused(certs, exchange, token, holders):
    gen, home = holders
    exchange.list(1, 4, PRICE, {"from": gen})
    before = state(certs, token, exchange, gen, home)
    with reverts_with("InsufficientCertificates", gen, 1, 2, 1):
        exchange.list(1, 2, PRICE, {"from": gen})
    assert state(certs, token, exchange, gen, home) == before


def test_listing_without_approving_the_exchange_is_refused(certs, exchange, token, holders):
    gen, home = holders
    certs.setApprovalForAll(exchange, False, {"from": gen})
    before = state(certs, token, exchange, gen, home)
    with reverts_with("ExchangeNotApproved", gen):
        exchange.list(1, 1, PRICE, {"from": gen})
    assert state(certs, token, exchange, gen, home) == before


def test_zero_amount_and_zero_price_are_refused(certs, exchange, token, holders):
    gen, home = holders
    before = state(certs, token, exchange, gen, home)
    with reverts_with("ZeroAmount"):
        exchange.list(1, 0, PRICE, {"from": gen})
    with reverts_with("ZeroPrice"):
        exchange.list(1, 1, 0, {"from": gen})
    assert state(certs, token, exchange, gen, home) == before


def test_unregistered_seller_and_buyer_are_refused(certs, exchange, token, holders, admin, stranger):
    gen, home = holders
    certs.safeTransferFrom(gen, stranger, 1, 1, b"", {"from": gen})  # anyone may hold certificates
    certs.setApprovalForAll(exchange, True, {"from": stranger})
    listing = exchange.list(1, 1, PRICE, {"from": gen}).return_value
    token.issue(stranger, 100 * 10**18, {"from": admin})
    token.approve(exchange, PRICE, {"from": stranger})
    before = state(certs, token, exchange, gen, home, stranger)
    with reverts_with("NotActiveParticipant", stranger):
        exchange.list(1, 1, PRICE, {"from": stranger})
    with reverts_with("NotActiveParticipant", stranger):
        exchange.buy(listing, 1, {"from": stranger})
    assert state(certs, token, exchange, gen, home, stranger) == before


def test_buyer_without_allowance_or_funds_moves_nothing(certs, exchange, token, holders, registry, auditor):
    gen, home = holders
    listing = exchange.list(1, 5, PRICE, {"from": gen}).return_value
    token.approve(exchange, PRICE, {"from": home})
    before = state(certs, token, exchange, gen, home)
    with reverts_with("ERC20InsufficientAllowance", exchange, PRICE, 2 * PRICE):
        exchange.buy(listing, 2, {"from": home})
    assert state(certs, token, exchange, gen, home) == before
    poor = accounts[7]
    participant(registry, auditor, poor, CONSUMER, SOURCE_NONE)  # an approved consumer with no tokens
    token.approve(exchange, 2 * PRICE, {"from": poor})
    before = state(certs, token, exchange, gen, home, poor)
    with reverts_with("ERC20InsufficientBalance", poor, 0, 2 * PRICE):
        exchange.buy(listing, 2, {"from": poor})
    assert state(certs, token, exchange, gen, home, poor) == before


def test_seller_who_claimed_listed_certificates_cannot_deliver_and_nothing_moves(
    certs, exchange, token, holders
):
    gen, home = holders
    listing = exchange.list(1, 5, PRICE, {"from": gen}).return_value
    certs.claim(1, 4, b"", {"from": gen})  # claimed certificates can never be sold
    token.approve(exchange, 5 * PRICE, {"from": home})
    before = state(certs, token, exchange, gen, home)
    with reverts_with("SellerBalanceTooLow", listing, gen, 1, 2):
        exchange.buy(listing, 2, {"from": home})
    assert state(certs, token, exchange, gen, home) == before
    assert certs.claimedBalanceOf(gen, 1) == 4


def test_seller_who_revoked_the_exchange_cannot_deliver_and_nothing_moves(certs, exchange, token, holders):
    gen, home = holders
    listing = exchange.list(1, 2, PRICE, {"from": gen}).return_value
    certs.setApprovalForAll(exchange, False, {"from": gen})
    token.approve(exchange, 2 * PRICE, {"from": home})
    before = state(certs, token, exchange, gen, home)
    with reverts_with("ERC1155MissingApprovalForAll", exchange, gen):
        exchange.buy(listing, 2, {"from": home})
    assert state(certs, token, exchange, gen, home) == before


def test_buying_more_than_listed_is_refused(certs, exchange, token, holders):
    gen, home = holders
    listing = exchange.list(1, 2, PRICE, {"from": gen}).return_value
    token.approve(exchange, 5 * PRICE, {"from": home})
    before = state(certs, token, exchange, gen, home)
    with reverts_with("ExceedsListing", listing, 3, 2):
        exchange.buy(listing, 3, {"from": home})
    with reverts_with("ZeroAmount"):
        exchange.buy(listing, 0, {"from": home})
    with reverts_with("UnknownListing", 99):
        exchange.buy(99, 1, {"from": home})
    assert state(certs, token, exchange, gen, home) == before


def test_seller_cannot_buy_its_own_listing(certs, exchange, token, holders):
    gen, home = holders
    listing = exchange.list(1, 2, PRICE, {"from": gen}).return_value
    before = state(certs, token, exchange, gen, home)
    with reverts_with("SelfPurchase", listing, gen):
        exchange.buy(listing, 1, {"from": gen})
    assert state(certs, token, exchange, gen, home) == before


def test_only_the_seller_cancels_and_cancelled_listings_sell_nothing(
    certs, exchange, token, holders, stranger
):
    gen, home = holders
    listing = exchange.list(1, 3, PRICE, {"from": gen}).return_value
    before = state(certs, token, exchange, gen, home, stranger)
    with reverts_with("NotSeller", listing, stranger, gen):
        exchange.cancel(listing, {"from": stranger})
    assert state(certs, token, exchange, gen, home, stranger) == before
    tx = exchange.cancel(listing, {"from": gen})
    assert tx.events["ListingCancelled"]["withdrawn"] == 3
    assert exchange.listedAmount(gen, 1) == 0
    token.approve(exchange, PRICE, {"from": home})
    before = state(certs, token, exchange, gen, home)
    with reverts_with("ListingClosed", listing):
        exchange.buy(listing, 1, {"from": home})
    with reverts_with("ListingClosed", listing):
        exchange.cancel(listing, {"from": gen})
    assert state(certs, token, exchange, gen, home) == before
    assert (
        exchange.list(1, 5, PRICE, {"from": gen}).return_value == 2
    )  # the certificates are free to list again


def test_suspended_seller_cannot_sell(certs, exchange, token, holders, registry, auditor):
    gen, home = holders
    listing = exchange.list(1, 2, PRICE, {"from": gen}).return_value
    registry.suspend(gen, b"audit".ljust(32, b"\0"), {"from": auditor})
    token.approve(exchange, PRICE, {"from": home})
    before = state(certs, token, exchange, gen, home)
    with reverts_with("NotActiveParticipant", gen):
        exchange.buy(listing, 1, {"from": home})
    assert state(certs, token, exchange, gen, home) == before
