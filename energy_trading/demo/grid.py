"""The demo's grid-balanced section (seed 001 §4.3, SPEC §4): one period on the deployment's grid policy.

The period is a grid-balanced period of the signed book (`SignedBook`, issue 13): the contracts are signed
off chain by both parties and opened in one call, approved in one batch, and both meters' final readings of
every contract settle it in one relayed call from the period's signing deadline (when its total is final)."""

from __future__ import annotations

from typing import Any, TextIO

from energy_trading.chain.deploy import Deployment
from energy_trading.clients.grid import Breakdown, GridClient
from energy_trading.clients.market import MarketClient
from energy_trading.clients.registry import Participant, RegistryClient, Role, Source
from energy_trading.clients.signed import SignedClient, SignedOrder
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
    m, g, sb = MarketClient(d), GridClient.of(d, signed=True), SignedClient(d)
    print("Grid-balanced settlement with credit weights (seed 001 §4.3, SPEC §4)", file=out)
    people = _enrol(d, g, out)
    orders = _escrow(d, m, sb, people, out)
    breakdowns = _meter_and_settle(d, sb, g, people, orders, out)
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


def _escrow(
    d: Deployment, m: MarketClient, sb: SignedClient, people: dict[str, Participant], out: TextIO
) -> list[tuple[SignedOrder, str, str, int]]:
    """Open a grid period of the signed book; the treasury issues each party's escrow, which it deposits
    there once; both parties sign each `PLAN` contract off chain, all open in one call and are approved."""
    policy_contract = d.signed_grid_policy
    period = m.open_period(policy=policy_contract.address)
    policy = policy_contract.functions
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
    deals = [
        sb.deal(people[seller].address, period.id, people[buyer].address, contract_wh, to_price("0.62"))
        for seller, buyer, contract_wh, _ in PLAN
    ]
    for deal in deals:
        buyer_escrow, seller_escrow = sb.escrow(period.policy, deal)
        for who, amount in ((deal[2], buyer_escrow), (deal[1], seller_escrow)):
            m.fund(who, amount)  # the treasury issues what each party escrows
            sb.deposit(who, amount)
    opened = sb.open_many(d.operator, deals)
    sb.approve_many(opened)
    orders = []
    for o, (seller, buyer, contract_wh, taken_wh) in zip(opened, PLAN, strict=True):
        orders.append((o, seller, buyer, taken_wh))
        print(
            f"  order {_short(o)}: {seller} -> {buyer} {contract_wh / 1000:.0f} kWh at 0.62, signed by both "
            f"and opened on the signed book, escrow buyer {o.order[9] / 1e18:.2f} (+ fee) / seller "
            f"{o.order[10] / 1e18:.2f} tokens",
            file=out,
        )
    print(
        f"  both orders approved in one batch; the period's contracted total "
        f"{sb.period_contracted_wh(period.id) / 1000:.0f} kWh (seed 001 eq 15) is final at the signing "
        "deadline",
        file=out,
    )
    m.advance_to(period, "delivery")
    return orders


def _short(o: SignedOrder) -> str:
    """A signed order's id (its deal's EIP-712 digest), shortened for the demo's lines."""
    return f"{o.id:#x}"[:10]


def _meter_and_settle(
    d: Deployment,
    sb: SignedClient,
    g: GridClient,
    people: dict[str, Participant],
    orders: list[tuple[SignedOrder, str, str, int]],
    out: TextIO,
) -> dict[int, Breakdown]:
    """Both meters of every order sign their final readings; one relayed call settles every order; print
    each on-chain breakdown (eq 14-17, 26-34)."""
    items = [
        sb.report_item(o, (o.order[3], people[seller].meters[0]), (taken_wh, people[buyer].meters[0]))
        for o, seller, buyer, taken_wh in orders
    ]
    sb.report_many(d.operator, items)
    print(
        "  meters: each seller's delivered all it sold, the school's took 80%; both final readings of each "
        "order relayed in one call, which settled them:",
        file=out,
    )
    breakdowns = {b.order_id: b for b in g.breakdowns_in(sb.last_receipt)}
    for o, seller, buyer, _ in orders:
        b = breakdowns[o.id]
        print(
            f"  settled {_short(o)}: {seller} income {float(b.seller_income):.2f} "
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
