"""The demo's grid-balanced section (seed 001 §4.3, SPEC §4): one period on the deployment's grid policy."""

from __future__ import annotations

from typing import Any, TextIO

from energy_trading.chain.deploy import Deployment
from energy_trading.clients.grid import Breakdown, GridClient
from energy_trading.clients.market import MarketClient, Side
from energy_trading.clients.registry import Participant, RegistryClient, Role, Source
from energy_trading.demo.expect import expect_refusal
from energy_trading.models.units import to_price
from energy_trading.scenarios.grid import METERS_INSTALLED_BEFORE_S

__all__ = ["grid_walkthrough"]

#: (seller, buyer, contracted Wh, Wh the buyer's meter takes): the school takes only 80% of its contract.
PLAN = (("wind-farm", "factory", 200_000, 200_000), ("solar-roof", "school", 100_000, 80_000))


def grid_walkthrough(d: Deployment, out: TextIO) -> dict[str, Any]:
    """`energy-trading demo`'s grid-balanced section: one period on the deployment's grid policy.

    Two generator-consumer pairs and a bystander; one consumer takes only 80% of its contract, so it pays a
    penalty that compensates its generator and is shared out by credit weight. Prints each step; returns the
    on-chain breakdowns and shares (tokens) for tests.
    """
    m, g = MarketClient(d), GridClient.of(d)
    print("Grid-balanced settlement with credit weights (seed 001 §4.3, SPEC §4)", file=out)
    people = _enrol(d, g, out)
    orders = _escrow_and_meter(d, m, people, out)
    breakdowns = _settle(d, m, g, orders, out)
    shares = _share_penalties(g, people, next(iter(breakdowns.values())).round, out)
    weights = {ids: g.node_weight(p.address) for ids, p in people.items()}
    print(
        "  node weights for weighted Raft (eq 8-13): "
        + ", ".join(f"{k} {float(v):.2f}" for k, v in weights.items()),
        file=out,
    )
    return {"breakdowns": breakdowns, "shares": shares, "node_weights": weights}


def _enrol(d: Deployment, g: GridClient, out: TextIO) -> dict[str, Participant]:
    """Register, approve and enrol two generators and three consumers at their initial credit weights."""
    reg = RegistryClient(d)
    people = {}
    for label, role, weight in (
        ("wind-farm", Role.GENERATOR, 70),
        ("solar-roof", Role.GENERATOR, 60),
        ("factory", Role.CONSUMER, 80),
        ("school", Role.CONSUMER, 90),
        ("bakery", Role.CONSUMER, 50),
    ):
        p = reg.register(f"grid-demo/{label}", role, Source.WIND if role == Role.GENERATOR else Source.NONE)
        reg.approve(p.address)
        g.enrol(p.address, weight)
        people[label] = p
        print(f"  enrolled {label:10s} credit weight {weight}", file=out)
    # meters count only energy that fits rated power x the time since their approval (issue 10): install
    # them an hour before the period whose readings are relayed right after signing
    d.chain.advance_time(METERS_INSTALLED_BEFORE_S)
    return people


def _escrow_and_meter(
    d: Deployment, m: MarketClient, people: dict[str, Participant], out: TextIO
) -> list[tuple[int, str, str]]:
    """Open a grid-policy period; per `PLAN` entry escrow one contract and relay both meters' readings."""
    fee = d.order_book.functions.handlingFee().call()
    period = m.open_period(policy=d.grid_policy.address)
    policy = d.grid_policy.functions
    grid_price, grid_fee, feed_in = (
        f().call() / 1e18 for f in (policy.gridPrice, policy.gridFee, policy.feedInPrice)
    )
    print(
        f"  prices, tokens/kWh: contract U 0.62, grid B {grid_price:g}, grid fee G {grid_fee:g}, "
        f"feed-in S {feed_in:g}\n"
        "  escrow (GridBalancedSettlement.deposits, tokens): the buyer locks the most its energy can cost,\n"
        "    max(B, U + G) per contracted kWh plus its largest penalty (seed 001 eq 33), or the bill for\n"
        "    the most its meter may read; the seller locks its largest penalty (eq 32: loss x C_e x\n"
        "    (1 + W_max), W_max = 100 points); what is not owed comes back at settlement",
        file=out,
    )
    orders = []
    for seller, buyer, contract_wh, taken_wh in PLAN:
        s, b = people[seller].address, people[buyer].address
        oid = m.propose(s, period.id, b, contract_wh, to_price("0.62"))
        m.accept(b, oid)
        m.approve(oid)
        o = m.order(oid)
        m.fund(b, o.buyer_deposit + fee)
        m.sign(b, oid)
        m.fund(s, o.seller_deposit)
        m.sign(s, oid)
        m.submit_reading(oid, Side.SELLER, contract_wh, people[seller].meters[0], relayer=d.operator)
        m.submit_reading(oid, Side.BUYER, taken_wh, people[buyer].meters[0], relayer=d.operator)
        orders.append((oid, seller, buyer))
        print(
            f"  order {oid}: {seller} -> {buyer} {contract_wh / 1000:.0f} kWh at 0.62, escrow buyer "
            f"{o.buyer_deposit / 1e18:.2f} / seller {o.seller_deposit / 1e18:.2f} tokens; metered "
            f"{contract_wh / 1000:.0f} kWh sent, {taken_wh / 1000:.0f} kWh taken",
            file=out,
        )
    m.advance_to(period, "settlement")
    return orders


def _settle(
    d: Deployment, m: MarketClient, g: GridClient, orders: list[tuple[int, str, str]], out: TextIO
) -> dict[int, Breakdown]:
    """Settle each order and print its on-chain breakdown (eq 14-17, 26-34)."""
    breakdowns = {}
    for oid, seller, buyer in orders:
        m.settle(d.operator, oid)
        (b,) = g.breakdowns_in(m.last_receipt)
        breakdowns[oid] = b
        print(
            f"  settled {oid}: {seller} income {float(b.seller_income):.2f} "
            f"(feed-in {float(b.feed_in):.2f}), "
            f"{buyer} expense {float(b.buyer_expense):.2f}, grid {float(b.grid_revenue):+.2f}; "
            f"credit weights (0-100) {float(b.seller_weight_before):.2f}->"
            f"{float(b.seller_weight_after):.2f} / "
            f"{float(b.buyer_weight_before):.2f}->{float(b.buyer_weight_after):.2f}; "
            f"penalty {float(b.buyer_penalty + b.seller_penalty):.2f}, compensation "
            f"{float(b.seller_compensation + b.buyer_compensation):.2f}, pooled {float(b.pooled):.2f}",
            file=out,
        )
    return breakdowns


def _share_penalties(
    g: GridClient, people: dict[str, Participant], round_id: int, out: TextIO
) -> dict[str, Any]:
    """Release the round's pooled penalty, show each share (eq 34), and the bakery pulls its own."""
    g.release_all()
    shares = {label: g.share_of(p.address, round_id) for label, p in people.items()}
    print(
        "  pooled penalty shared by credit weight after the round (eq 34): "
        + ", ".join(f"{k} {float(v):.4f}" for k, v in shares.items()),
        file=out,
    )
    bakery = people["bakery"].address
    g.claim(bakery)
    expect_refusal(
        lambda: g.withdraw_share(people["factory"].address, g.pool.functions.withdrawable(bakery).call()),
        out,
        "factory withdrawing the bakery's share",
    )
    g.withdraw_share(bakery)
    print(f"  bakery withdrew {float(shares['bakery']):.4f} tokens (pull payment)", file=out)
    return shares
