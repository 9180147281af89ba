"""The demo's market day on the honest-supplier policy (SPEC §2-3, seed 003 §3 and §5).

`market_day_walkthrough` runs one trading period step by step, one short function per step; `MarketDay`
carries what the steps share (clients, participants, the period and its orders). Matched orders run on the
order book (`OrderBook`); the bilateral contracts take the lean path (issue 13): both parties sign the deal
off chain and it opens, is audited and is settled on the signed book (`SignedBook`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

from energy_trading.chain.deploy import Deployment
from energy_trading.clients.market import MarketClient, Period, Settlement, Side, kwh, tokens
from energy_trading.clients.registry import Participant, RegistryClient, Role, Source, zone_id
from energy_trading.clients.signed import SignedClient, SignedOrder
from energy_trading.demo.expect import expect_refusal

__all__ = ["MarketDay", "market_day_walkthrough"]


@dataclass
class MarketDay:
    """The state the market day's steps share."""

    d: Deployment
    out: TextIO
    reg: RegistryClient
    mk: MarketClient
    sb: SignedClient
    solar: str
    household: str
    wind: Participant
    bakery: Participant
    school: Participant
    period: Period
    held_before: int
    offers: dict[str, int] = field(default_factory=dict)
    bilateral: SignedOrder | None = None
    overpriced: SignedOrder | None = None
    matched: list[int] = field(default_factory=list)
    settlements: dict[int, Settlement] = field(default_factory=dict)
    signed_settlements: dict[int, Settlement] = field(default_factory=dict)

    @property
    def buyers(self) -> list[str]:
        """The three consumers' addresses."""
        return [self.household, self.bakery.address, self.school.address]

    @property
    def signed(self) -> SignedOrder:
        """The bilateral contract that takes effect (wind-farm -> household)."""
        assert self.bilateral is not None, "the bilateral contract is opened by _publish"
        return self.bilateral

    def label(self, address: str) -> str:
        """The label an account was created with."""
        return self.d.chain.label_of(address)


def market_day_walkthrough(d: Deployment, out: TextIO, approved: dict[str, str]) -> dict[str, object]:
    """A whole market day on the honest-supplier policy (SPEC §2-3, seed 003 §3 and §5).

    Providers publish, consumers request, the HiGHS solver matches and the assignment is verified on
    chain; two bilateral contracts, signed off chain by both parties, open on the signed book beside it; the
    auditor approves and rejects; buyers escrow; meters report (relayed with EIP-712 signatures); settlement
    pays rewards and penalties; everyone withdraws. `approved` are the registration walkthrough's
    participants (solar-farm, household). Returns the settlements (order book: `settlements`, signed book:
    `signed_settlements`, by order id), the rejected signed order, the matched order ids and the token
    accounting for tests.
    """
    day = _open_day(d, out, approved)
    _publish(day)
    _match(day)
    _audit_and_sign(day)
    _deliver(day)
    _settle(day)
    ok = _withdraw_and_check(day)
    return {
        "settlements": day.settlements,
        "signed_settlements": day.signed_settlements,
        "conservation_ok": ok,
        "bilateral": day.bilateral,
        "rejected": day.overpriced,
        "matched": day.matched,
    }


def _open_day(d: Deployment, out: TextIO, approved: dict[str, str]) -> MarketDay:
    """Register the wind farm and two consumers, fund the consumers, set a crossing fee, open a period."""
    reg, mk, sb = RegistryClient(d), MarketClient(d), SignedClient(d)
    print("Market day: matching, audit, escrow, metering, honest-supplier settlement (SPEC §2-3)", file=out)
    wind = reg.register("wind-farm", Role.GENERATOR, Source.WIND, zone="south")
    bakery = reg.register("bakery", Role.CONSUMER, zone="north")
    school = reg.register("school", Role.CONSUMER, zone="south")
    for p in (wind, bakery, school):
        reg.approve(p.address)
    print("  registered and approved wind-farm (generator, south), bakery (north), school (south)", file=out)
    solar, household = approved["solar-farm"], approved["household"]
    buyers = [household, bakery.address, school.address]
    for b in buyers:
        mk.fund(b, tokens(50))
        mk.deposit(b, tokens(20))  # into the order book's internal balance: no ERC-20 approve per trade
    for b, amount in ((household, 10), (school.address, 30)):  # the buyers of the bilateral contracts
        sb.deposit(b, tokens(amount))  # once, into the signed book: escrow for every deal they will sign
    accounts = [*buyers, solar, wind.address, d.operator]
    held_before = sum(mk.balance(a) + mk.withdrawable(a) + sb.withdrawable(a) for a in accounts)
    mk.set_crossing_fee(zone_id("north"), zone_id("south"), tokens("0.03"))
    period = mk.open_period()
    print(
        f"  operator opened period {period.id} (honest-supplier policy); treasurer issued 50 tokens to "
        "each consumer, who deposited 20 into the order book (household 10 and school 30 more into the "
        "signed book); grid-crossing fee north<->south 0.03 tokens/kWh (prices and bonuses are in tokens)",
        file=out,
    )
    return MarketDay(d, out, reg, mk, sb, solar, household, wind, bakery, school, period, held_before)


def _publish(day: MarketDay) -> None:
    """Offers, requests, and two bilateral contracts (one overpriced, for the auditor to reject)."""
    d, mk, out, period = day.d, day.mk, day.out, day.period
    solar, wind, household, school = day.solar, day.wind, day.household, day.school
    day.offers = {
        solar: mk.publish_offer(solar, period.id, tokens("0.52"), kwh(30)),
        wind.address: mk.publish_offer(wind.address, period.id, tokens("0.48"), kwh(20)),
    }
    for who, offer in day.offers.items():
        o = d.matching.functions.offer(offer).call()
        print(
            f"  offer    {day.label(who):12s} {o[2] / 1e18:.2f} tokens/kWh  {o[3] / 1000:5.1f} kWh  "
            f"RC {o[4] / 1e18:.3f}",
            file=out,
        )
    wants = [(household, 8, "0.4"), (day.bakery.address, 15, "0.5"), (school.address, 20, "0")]
    for who, energy, bonus in wants:
        mk.publish_request(who, period.id, kwh(energy), tokens(bonus))
        print(f"  request  {day.label(who):12s} {energy:5.1f} kWh  bonus {bonus} tokens", file=out)
    sb = day.sb
    deals = [
        sb.deal(wind.address, period.id, household, kwh(4), tokens("0.45"), tokens("0.2")),
        sb.deal(solar, period.id, school.address, kwh(10), tokens("2.5")),
    ]
    day.bilateral, day.overpriced = sb.open_many(d.operator, deals)  # both signed here by both parties
    print(
        "  bilateral wind-farm -> household 4 kWh at 0.45 tokens/kWh (bonus 0.2 tokens) and solar-farm -> "
        "school 10 kWh at 2.50 tokens/kWh: each signed off chain by seller and buyer (EIP-712 Deal), both "
        f"opened on the signed book by the operator in one openMany, escrowing from the deposits "
        f"({sb.last_receipt['gasUsed']:,} gas)",
        file=out,
    )
    first = deals[0]
    signatures = (sb.sign_deal(wind.address, first), sb.sign_deal(household, first))
    expect_refusal(
        lambda: d.chain.transact(d.signed_book.functions.open(first, *signatures), d.operator),
        out,
        "opening the same signed deal twice (its seller nonce is spent)",
    )


def _match(day: MarketDay) -> None:
    """Solve off chain, have an over-capacity assignment refused, verify the optimum on chain, materialise."""
    d, mk, out, period = day.d, day.mk, day.out, day.period
    mk.advance_to(period, "matching")
    result = mk.solve(period.id)
    pairs = mk.pairs_of(result)
    print(
        f"  solver (HiGHS MILP): objective {result.objective:.6f}, served {result.served_wh / 1000:.1f} kWh, "
        f"unserved {result.unserved or 'none'}, optimal={result.optimal}",
        file=out,
    )
    if result.objective == 0:
        print(
            "  (every provider's reputation RC is 0 before its first folded period, so by seed 003 eq 4 "
            "every pair scores M_ij = 0; reputation weighs from the next period on)",
            file=out,
        )
    wind_offer = day.offers[day.wind.address]
    capacity = d.matching.functions.offer(wind_offer).call()[3]
    too_much = sorted((r, wind_offer) for r, _ in pairs)
    expect_refusal(
        lambda: mk.submit(day.bakery.address, period.id, too_much),
        out,
        f"an assignment over wind-farm's {capacity / 1000:.0f} kWh",
    )
    receipt = mk.submit(day.bakery.address, period.id, pairs)
    best = mk.best(period.id)
    print(
        f"  verified on chain (submitted by bakery, {receipt['gasUsed']:,} gas): objective "
        f"{best['objective_wad'] / 1e18:.6f}, {best['served_wh'] / 1000:.1f} kWh -> equals the solver's: "
        f"{best['objective_wad'] == result.objective_wad}",
        file=out,
    )
    mk.advance_to(period, "signing")
    day.matched = mk.materialize(day.school.address, period.id, pairs)
    print(
        f"  materialised matched orders {day.matched} on the order book; signed bilateral orders "
        f"{_short(day.signed)}, {_short(day.overpriced)} on the signed book",
        file=out,
    )


def _short(o: SignedOrder | None) -> str:
    """A signed order's id (the deal's EIP-712 digest), shortened for the demo's lines."""
    return "-" if o is None else f"{o.id:#x}"[:10]


def _audit_and_sign(day: MarketDay) -> None:
    """The auditor approves or rejects (never edits); the matched orders' buyers sign into escrow (the signed
    contracts escrowed at opening)."""
    d, mk, sb, out = day.d, day.mk, day.sb, day.out
    expect_refusal(
        lambda: d.chain.transact(
            d.signed_book.functions.approve(day.signed.id, day.signed.hash), day.wind.address
        ),
        out,
        "a seller approving its own order",
    )
    mk.approve_many(day.matched)  # one batch, each approval naming the terms hash the auditor reviewed
    sb.approve_many([day.signed])  # naming the hash of the order reviewed
    assert day.overpriced is not None
    sb.reject(day.overpriced, "price-out-of-band")
    print(
        f"  auditor approved {day.matched} and {_short(day.signed)}, rejected {_short(day.overpriced)} (the "
        "auditor can reject, never edit)",
        file=out,
    )
    for oid in day.matched:
        o = mk.order(oid)
        mk.sign(o.buyer, oid)
    fee = sb.book.functions.handlingFee().call()
    signed_escrow = day.signed.order[9] + day.signed.order[10] + fee
    print(
        f"  buyers signed the matched orders: order book escrow {mk.totals()['escrowed'] / 1e18:.4f} tokens, "
        f"signed book escrow {signed_escrow / 1e18:.4f} (deposits R*r*t + bonus + handling fee)",
        file=out,
    )


def _deliver(day: MarketDay) -> None:
    """Meters report: the solar farm delivers everything, the wind farm 80% of what it sold."""
    d, mk, out, reg = day.d, day.mk, day.out, day.reg
    readings: list[tuple[int, Side, int, str]] = []

    def planned(seller: str, energy_wh: int) -> tuple[int, int]:
        rho = int(energy_wh * (1.0 if seller == day.solar else 0.8))
        return rho, rho if seller == day.solar else rho - 100

    def meter(owner: str) -> str:
        return reg.contract.functions.metersOf(owner).call()[0]

    for oid in day.matched:
        o = mk.order(oid)
        rho, gamma = planned(o.seller, o.energy_wh)
        readings += [(oid, Side.SELLER, rho, meter(o.seller)), (oid, Side.BUYER, gamma, meter(o.buyer))]
    mk.submit_readings(d.operator, readings)
    print(
        "  meters reported rho and gamma; every reading relayed by the operator with the meter's "
        "EIP-712 signature, all in one batch",
        file=out,
    )
    so = day.signed
    rho, gamma = planned(so.seller, so.order[3])
    settled = day.sb.report(d.operator, so, (rho, meter(so.seller)), (gamma, meter(so.buyer)))
    assert settled is not None, "both final readings are in: the signed order settles in the same call"
    day.signed_settlements[so.id] = settled
    print(
        "  the signed contract's two meters signed their final readings; relayed together, they settled it "
        f"in the same call ({day.sb.last_receipt['gasUsed']:,} gas)",
        file=out,
    )
    first = mk.order(day.matched[0])
    foreign = reg.contract.functions.metersOf(day.school.address).call()[0]
    if first.buyer == day.school.address:
        foreign = reg.contract.functions.metersOf(day.bakery.address).call()[0]
    expect_refusal(
        lambda: mk.submit_reading(day.matched[0], Side.BUYER, first.energy_wh, foreign, relayer=d.operator),
        out,
        "a reading from another participant's meter",
    )


def _settle(day: MarketDay) -> None:
    """Settle every effective order (a second settlement is refused) and print the payout table."""
    d, mk, out = day.d, day.mk, day.out
    mk.advance_to(day.period, "settlement")
    day.settlements = mk.settle_many(d.operator, day.matched)  # one batch
    expect_refusal(lambda: mk.settle(d.operator, day.matched[0]), out, "settling an order twice")
    expect_refusal(lambda: day.sb.settle(d.operator, day.signed), out, "settling the signed contract again")
    print(
        "  kWh: contracted; price: tokens/kWh; rho / gamma: the seller's / buyer's meter reading, kWh;\n"
        "  escrow, seller (paid to the seller, reward included), refund (to the buyer, penalty included),\n"
        "  reward, penalty, fee: tokens",
        file=out,
    )
    print(
        f"  {'order':>6} {'seller':10s} {'buyer':10s} {'kWh':>5} {'price':>5} {'escrow':>7} {'rho':>5} "
        f"{'gamma':>5} {'seller':>7} {'refund':>7} {'reward':>6} {'penalty':>7} {'fee':>5}",
        file=out,
    )
    rows = []
    for oid, s in day.settlements.items():
        o = mk.order(oid)
        deposits = o.buyer_deposit + o.seller_deposit
        rows.append((str(oid), o.seller, o.buyer, o.energy_wh, o.price_per_kwh, deposits, s))
    for s in day.signed_settlements.values():
        so = day.signed
        rows.append(("signed", so.seller, so.buyer, so.order[3], so.order[4], so.order[9] + so.order[10], s))
    for oid_text, seller, buyer, energy_wh, price, deposits, s in rows:
        escrow = deposits + s.fee
        print(
            f"  {oid_text:>6} {day.label(seller):10s} {day.label(buyer):10s} {energy_wh / 1000:>5.1f} "
            f"{price / 1e18:>5.2f} {escrow / 1e18:>7.3f} {s.delivered_wh / 1000:>5.1f} "
            f"{s.received_wh / 1000:>5.1f} {s.to_seller / 1e18:>7.3f} {s.to_buyer / 1e18:>7.3f} "
            f"{s.reward / 1e18:>6.3f} {s.seller_penalty / 1e18:>7.3f} {s.fee / 1e18:>5.2f}",
            file=out,
        )
    assert day.overpriced is not None
    print(
        f"  signed order {_short(day.overpriced)} was REJECTED (2.50 tokens/kWh, out of the auditor's price "
        "band): it never took effect; its escrow went back to the school's signed-book balance",
        file=out,
    )


def _withdraw_and_check(day: MarketDay) -> bool:
    """Everyone pulls what they are owed; check token conservation; fold the providers' reputation."""
    d, mk, sb, out = day.d, day.mk, day.sb, day.out
    escrow_in = paid = refunded = fees = 0
    for oid, s in day.settlements.items():
        o = mk.order(oid)
        escrow_in += o.buyer_deposit + o.seller_deposit + o.fee
        paid, refunded, fees = paid + s.to_seller, refunded + s.to_buyer, fees + s.fee
    for s in day.signed_settlements.values():
        escrow_in += day.signed.order[9] + day.signed.order[10] + s.fee
        paid, refunded, fees = paid + s.to_seller, refunded + s.to_buyer, fees + s.fee
    accounts = [*day.buyers, day.solar, day.wind.address, d.operator]
    for who in [day.solar, day.wind.address, *day.buyers, d.operator]:
        if mk.withdrawable(who):
            mk.withdraw(who)
        if sb.withdrawable(who):
            sb.withdraw(who)
    held_after = sum(mk.balance(a) for a in accounts)
    books = mk.balance(d.order_book.address) + mk.balance(d.signed_book.address)
    ok = escrow_in == paid + refunded + fees and held_after == day.held_before and books == 0
    print(
        f"  conservation: escrow in {escrow_in / 1e18:.4f} = paid {paid / 1e18:.4f} + refunded "
        f"{refunded / 1e18:.4f} + fees {fees / 1e18:.4f}; all pulled, the order book and the signed book "
        f"hold {books / 1e18:.4f}; participants' tokens unchanged in total -> {'OK' if ok else 'VIOLATED'}",
        file=out,
    )
    for who in (day.solar, day.wind.address):
        print(
            f"  reputation of {day.label(who)} after folding the period: "
            f"RC = {mk.fold(who, d.operator) / 1e18:.3f}",
            file=out,
        )
    return ok
