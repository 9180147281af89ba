# ruff: noqa: F811  (pytest fixtures imported from test_market_signed are redefined as arguments)
"""Review 4 (attacker review of SignedBook's fee accrual and its batches checked before writing): the findings
fixed in the contract, as regression tests. The proofs of concept were Foundry tests against the reviewed code
(findings F1-F4 in docs/trust-model.md); F3 and F4 are documented there, not fixed.
"""

from brownie import chain
from conftest import reverts_with
from market_fixtures import goto, mkt, open_period  # noqa: F401
from signed_fixtures import order_hash, reading
from test_market_signed import (  # noqa: F401
    cast,
    open_one,
    sb,
)

LIMIT = 2**128


# ------------------------------------------------------------------ F1: a credit overflowing a balance


def test_deposit_keeps_the_books_holding_below_2_128(sb, mkt, cast, admin):
    """F1: a party holding almost 2^128 base units on the book made every credit to it revert `TooLarge`, so
    one such seller reverted a whole `reportMany` and locked its buyers' escrow past the grace. The book's
    holding now stays below 2^128 (`deposit` refuses more), so by conservation no balance can reach it."""
    seller = cast[0]
    mkt.token.issue(seller, LIMIT, {"from": admin})
    mkt.token.approve(sb, LIMIT, {"from": seller})
    held = mkt.token.balanceOf(sb)
    before = sb.withdrawable(seller)
    with reverts_with("TooLarge", LIMIT):
        sb.deposit(LIMIT - held, {"from": seller})
    assert sb.withdrawable(seller) == before and mkt.token.balanceOf(sb) == held  # nothing moved
    sb.deposit(LIMIT - 1 - held, {"from": seller})
    assert mkt.token.balanceOf(sb) == LIMIT - 1


def test_a_seller_at_the_largest_holding_is_still_paid(sb, mkt, cast, auditor, admin, stranger):
    """F1's attack, tried at the largest deposit the book takes: the seller's settlement credit fits, and the
    batch with it settles every item."""
    seller, b1, b2, meters = cast
    mkt.token.issue(seller, LIMIT, {"from": admin})
    mkt.token.approve(sb, LIMIT, {"from": seller})
    sb.deposit(LIMIT - 1 - mkt.token.balanceOf(sb), {"from": seller})
    pid, period = open_period(mkt)
    orders = [open_one(sb, cast, pid, nonce=0, buyer=b1), open_one(sb, cast, pid, nonce=1, buyer=b2)]
    for oid, order in orders:
        sb.approve(oid, order_hash(order), {"from": auditor})
    goto(period, "signing")
    items = [
        (
            oid,
            order,
            reading(sb, oid, 0, order[3], meters[seller]),
            reading(sb, oid, 1, order[3], meters[buyer]),
        )
        for (oid, order), buyer in zip(orders, (b1, b2), strict=True)
    ]
    paid_before = sb.withdrawable(seller)
    tx = sb.reportMany(items, {"from": stranger})
    assert tx.return_value == 2 and "BatchItemSkipped" not in tx.events
    assert sb.withdrawable(seller) == paid_before + sum(o[9] for _, o in orders)
    assert mkt.token.balanceOf(sb) == LIMIT - 1
    chain.mine()


# ------------------------------------------------------------------ F2: a policy without code


def test_map_policy_refuses_an_account_without_code(sb, mkt, admin, stranger):
    """F2 (in part): a mapped "policy" without code answers every call with nothing, which the book's
    try/catch cannot catch (the decoding of its answer reverts the whole batch). Mapping one is refused;
    mapping to zero still unmaps."""
    with reverts_with("PolicyNotContract", stranger.address):
        sb.mapPolicy(mkt.honest, stranger, {"from": admin})
    assert sb.policyFor(mkt.honest) != stranger.address
    sb.mapPolicy(mkt.honest, "0x" + "00" * 20, {"from": admin})
    assert sb.policyFor(mkt.honest) == "0x" + "00" * 20
