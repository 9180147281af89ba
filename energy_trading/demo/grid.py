"""The demo's grid-balanced section (seed 001 §4.3, SPEC §4)."""

from __future__ import annotations

from typing import Any

from energy_trading.chain.errors import ChainRevert
from energy_trading.clients.grid import GridClient
from energy_trading.clients.market import MarketClient, Side
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.models.units import to_price

__all__ = ["grid_walkthrough"]


def grid_walkthrough(d: Any, out: Any) -> dict[str, Any]:
    """`energy-trading demo`'s grid-balanced section: one period on the deployment's grid policy.

    Two generator-consumer pairs and a bystander; one consumer takes only 80% of its contract, so it pays a
    penalty that compensates its generator and is shared out by credit weight. Prints each step; returns the
    on-chain breakdowns and shares (tokens) for tests.
    """
    m, g, reg = MarketClient(d), GridClient.of(d), RegistryClient(d)
    print("Grid-balanced settlement with credit weights (seed 001 §4.3, SPEC §4)", file=out)
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
    fee = d.order_book.functions.handlingFee().call()
    period = m.open_period(policy=d.grid_policy.address)
    plan = (("wind-farm", "factory", 200_000, 200_000), ("solar-roof", "school", 100_000, 80_000))
    orders = []
    for seller, buyer, contract_wh, taken_wh in plan:
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
    breakdowns = {}
    for oid, seller, buyer in orders:
        m.settle(d.operator, oid)
        (b,) = g.breakdowns_in(m.last_receipt)
        breakdowns[oid] = b
        print(
            f"  settled {oid}: {seller} income {float(b.seller_income):.2f} "
            f"(feed-in {float(b.feed_in):.2f}), "
            f"{buyer} expense {float(b.buyer_expense):.2f}, grid {float(b.grid_revenue):+.2f}; "
            f"W {float(b.seller_weight_before):.2f}->{float(b.seller_weight_after):.2f} / "
            f"{float(b.buyer_weight_before):.2f}->{float(b.buyer_weight_after):.2f}; "
            f"penalty {float(b.buyer_penalty + b.seller_penalty):.2f}, compensation "
            f"{float(b.seller_compensation + b.buyer_compensation):.2f}, pooled {float(b.pooled):.2f}",
            file=out,
        )
    g.release_all()
    round_id = next(iter(breakdowns.values())).round
    shares = {label: g.share_of(p.address, round_id) for label, p in people.items()}
    print(
        "  pooled penalty shared by credit weight after the round (eq 34): "
        + ", ".join(f"{k} {float(v):.4f}" for k, v in shares.items()),
        file=out,
    )
    bakery = people["bakery"].address
    g.claim(bakery)
    try:
        g.withdraw_share(people["factory"].address, g.pool.functions.withdrawable(bakery).call())
        raise AssertionError("withdrawing another node's share succeeded")
    except ChainRevert as refusal:
        print(f"  refused  factory withdrawing the bakery's share: {refusal.error}", file=out)
    g.withdraw_share(bakery)
    print(f"  bakery withdrew {float(shares['bakery']):.4f} tokens (pull payment)", file=out)
    weights = {ids: g.node_weight(p.address) for ids, p in people.items()}
    print(
        "  node weights for weighted Raft (eq 8-13): "
        + ", ".join(f"{k} {float(v):.2f}" for k, v in weights.items()),
        file=out,
    )
    return {"breakdowns": breakdowns, "shares": shares, "node_weights": weights}
