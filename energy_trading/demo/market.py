"""The demo's market day on the honest-supplier policy (SPEC §2-3, seed 003 §3 and §5).

`market_day_walkthrough` runs one trading period step by step, one short function per step; `MarketDay`
carries what the steps share (clients, participants, the period and its orders). Every order takes the lean
path (issue 13) on the signed book (`SignedBook`): the bilateral contracts are signed off chain by both
parties and opened in one call, the matched pairs are opened from the verified assignment
(`materializeSigned`); the auditor approves them in one batch, and both meters' final readings of every order
settle it in one relayed call. The order book (`OrderBook`) holds the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

from energy_trading.chain.deploy import Deployment
from energy_trading.clients.market import MarketClient, Period, Settlement, kwh, tokens
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
    matched: list[SignedOrder] = field(default_factory=list)
    settlements: dict[int, Settlement] = field(default_factory=dict)

    @property
    def buyers(self) -> list[str]:
        """The three consumers' addresses."""
        return [self.household, self.bakery.address, self.school.address]

    @property
    def signed(self) -> SignedOrder:
        """The bilateral contract that takes effect (wind-farm -> household)."""
        assert self.bilateral is not None, "the bilateral contract is opened by _publish"
        return self.bilateral

    @property
    def effective(self) -> list[SignedOrder]:
        """The orders that take effect: the matched ones and the accepted bilateral contract."""
        return [*self.matched, self.signed]

    def label(self, address: str) -> str:
        """The label an account was created with."""
        return self.d.chain.label_of(address)


def market_day_walkthrough(d: Deployment, out: TextIO, approved: dict[str, str]) -> dict[str, object]:
    """A whole market day on the honest-supplier policy (SPEC §2-3, seed 003 §3 and §5).

    Providers publish, consumers request, the HiGHS solver matches and the assignment is verified on
    chain; two bilateral contracts, signed off chain by both parties, open on the signed book beside it; the
    auditor approves and rejects; buyers escrow; meters report (relayed with EIP-712 signatures); settlement
    pays rewards and penalties; everyone withdraws. `approved` are the registration walkthrough's
    participants (solar-farm, household). Returns the settlements by order id, the bilateral, rejected and
    matched orders (`SignedOrder`) and the token accounting for tests.
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
    for b, amount in ((household, 10), (bakery.address, 10), (school.address, 40)):
        mk.fund(b, tokens(50))
        sb.deposit(b, tokens(amount))  # once, into the signed book: escrow for every order of the day
    accounts = [*buyers, solar, wind.address, d.operator]
    held_before = sum(mk.balance(a) + mk.withdrawable(a) + sb.withdrawable(a) for a in accounts)
    mk.set_crossing_fee(zone_id("north"), zone_id("south"), tokens("0.03"))
    period = mk.open_period()
    print(
        f"  operator opened period {period.id} (honest-supplier policy); treasurer issued 50 tokens to "
        "each consumer, who deposited 10 (household, bakery) or 40 (school) into the signed book once; "
        "grid-crossing fee north<->south 0.03 tokens/kWh (prices and bonuses are in tokens)",
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
    sb, cap = day.sb, "0.55"
    for who, energy, bonus in wants:
        mk.publish_request(who, period.id, kwh(energy), tokens(bonus))
        # a request names no price: the buyer's own cap is its consent to a matched order's price
        sb.set_matched_price_cap(who, tokens(cap))
        print(
            f"  request  {day.label(who):12s} {energy:5.1f} kWh  bonus {bonus} tokens; matched price cap "
            f"{cap} tokens/kWh (set by the buyer on the signed book)",
            file=out,
        )
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
    day.matched = day.sb.materialize(day.school.address, period.id, pairs)
    print(
        f"  materialised the assignment on the signed book in one call, terms from request and offer "
        f"({day.sb.last_receipt['gasUsed']:,} gas): matched orders "
        f"{', '.join(_short(o) for o in day.matched)}; signed bilateral orders {_short(day.signed)}, "
        f"{_short(day.overpriced)}",
        file=out,
    )


def _short(o: SignedOrder | None) -> str:
    """A signed order's id (the deal's EIP-712 digest), shortened for the demo's lines."""
    return "-" if o is None else f"{o.id:#x}"[:10]


def _audit_and_sign(day: MarketDay) -> None:
    """The auditor approves or rejects (never edits); every order escrowed from the deposits at opening."""
    d, sb, out = day.d, day.sb, day.out
    expect_refusal(
        lambda: d.chain.transact(
            d.signed_book.functions.approve(day.signed.id, day.signed.hash), day.wind.address
        ),
        out,
        "a seller approving its own order",
    )
    sb.approve_many(day.effective)  # one batch, each approval naming the hash of the order reviewed
    assert day.overpriced is not None
    sb.reject(day.overpriced, "price-out-of-band")
    fee = sb.book.functions.handlingFee().call()
    escrow = sum(o.order[9] + o.order[10] + fee for o in day.effective)
    print(
        f"  auditor approved {', '.join(_short(o) for o in day.effective)} in one batch "
        f"({sb.last_receipt['gasUsed']:,} gas before the rejection), rejected {_short(day.overpriced)} (the "
        f"auditor can reject, never edit); escrowed at opening: {escrow / 1e18:.4f} tokens (deposits R*r*t "
        "+ bonus + handling fee)",
        file=out,
    )


def _deliver(day: MarketDay) -> None:
    """Meters report: the solar farm delivers everything, the wind farm 80% of what it sold. Both final
    readings of every order, each signed by its meter, go in one relayed call that settles every order."""
    d, sb, out, reg = day.d, day.sb, day.out, day.reg

    def meter(owner: str) -> str:
        return reg.contract.functions.metersOf(owner).call()[0]

    first = day.matched[0]
    foreign = meter(day.bakery.address if first.buyer == day.school.address else day.school.address)
    expect_refusal(
        lambda: sb.report(d.operator, first, None, (first.order[3], foreign)),
        out,
        "a reading from another participant's meter",
    )
    items = []
    for o in day.effective:
        rho = int(o.order[3] * (1.0 if o.seller == day.solar else 0.8))
        gamma = rho if o.seller == day.solar else rho - 100
        items.append(sb.report_item(o, (rho, meter(o.seller)), (gamma, meter(o.buyer))))
    day.settlements = sb.report_many(d.operator, items)
    print(
        "  meters signed their final readings rho and gamma (EIP-712); the operator relayed all of them in "
        f"one call, which settled every order ({sb.last_receipt['gasUsed']:,} gas)",
        file=out,
    )


def _settle(day: MarketDay) -> None:
    """The settlements (a second settlement is refused) and the payout table."""
    d, mk, out = day.d, day.mk, day.out
    mk.advance_to(day.period, "settlement")
    expect_refusal(lambda: day.sb.settle(d.operator, day.signed), out, "settling an order twice")
    print(
        "  kWh: contracted; price: tokens/kWh; rho / gamma: the seller's / buyer's meter reading, kWh;\n"
        "  escrow, seller (paid to the seller, reward included), refund (to the buyer, penalty included),\n"
        "  reward, penalty, fee: tokens",
        file=out,
    )
    print(
        f"  {'order':>10} {'seller':10s} {'buyer':10s} {'kWh':>5} {'price':>5} {'escrow':>7} {'rho':>5} "
        f"{'gamma':>5} {'seller':>7} {'refund':>7} {'reward':>6} {'penalty':>7} {'fee':>5}",
        file=out,
    )
    for o in day.effective:
        s = day.settlements[o.id]
        escrow = o.order[9] + o.order[10] + s.fee
        print(
            f"  {_short(o):>10} {day.label(o.seller):10s} {day.label(o.buyer):10s} {o.order[3] / 1000:>5.1f} "
            f"{o.order[4] / 1e18:>5.2f} {escrow / 1e18:>7.3f} {s.delivered_wh / 1000:>5.1f} "
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
    for o in day.effective:
        s = day.settlements[o.id]
        escrow_in += o.order[9] + o.order[10] + s.fee
        paid, refunded, fees = paid + s.to_seller, refunded + s.to_buyer, fees + s.fee
    accounts = [*day.buyers, day.solar, day.wind.address, d.operator]
    # the signed book accrued each settled trade's fee in its seller's period tally: anyone credits them
    # to the operator (the fee recipient) in one call before it pulls
    collected = sb.collect_fees(day.solar, [(o.seller, o.order[0]) for o in day.effective])
    print(
        f"  handling fees of the signed trades collected for the operator in one call: "
        f"{collected / 1e18:.4f} tokens (accrued in the sellers' period tallies at settlement)",
        file=out,
    )
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
