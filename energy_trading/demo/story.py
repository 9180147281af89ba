"""`energy-trading demo`: compile, deploy to the in-process EVM, and walk through the market.

Each step prints what happened on chain; refusals print the custom error the contract
reverted with, and the state is shown unchanged after them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from energy_trading.chain.connection import Chain, TxRecord
from energy_trading.chain.deploy import Deployment
from energy_trading.chain.errors import ChainRevert
from energy_trading.clients.registry import RegistryClient, Role, Source, zone_id

__all__ = ["expect_refusal", "market_day_walkthrough", "registration_walkthrough", "run_demo"]


def expect_refusal(action: Callable[[], object], out: TextIO, what: str) -> ChainRevert:
    """Run `action`, which must revert; print and return the decoded refusal."""
    try:
        action()
    except ChainRevert as refusal:
        print(f"  refused  {what}: {refusal.error}", file=out)
        return refusal
    raise AssertionError(f"{what} was expected to be refused but succeeded")


def registration_walkthrough(d: Deployment, out: TextIO) -> dict[str, str]:
    """Register, review and exit participants, showing the weak centre's powers and limits.

    Returns the approved participants' addresses by label.
    """
    reg = RegistryClient(d)
    print("Registration and qualification review (SPEC §1)", file=out)
    solar = reg.register("solar-farm", Role.GENERATOR, Source.SOLAR, zone="north")
    home = reg.register("household", Role.CONSUMER, zone="north")
    hydro = reg.register("hydro-plant", Role.GENERATOR, Source.HYDRO, zone="south")
    shady = reg.register("unverified", Role.PROSUMER, Source.WIND, zone="south")
    for p in (solar, home, hydro, shady):
        print(
            f"  applied  {p.label:12s} {p.role.name.lower():9s} {p.source.name.lower():6s} "
            f"zone={p.zone:6s} meters={len(p.meters)} -> {reg.status(p.address).name}",
            file=out,
        )
    for p in (solar, home, hydro):
        reg.approve(p.address)
        print(f"  auditor approved {p.label} -> {reg.status(p.address).name}", file=out)
    reg.reject(shady.address, "attestation-mismatch")
    print(f"  auditor rejected {shady.label} -> {reg.status(shady.address).name}", file=out)

    expect_refusal(
        lambda: d.chain.transact(d.registry.functions.approve(shady.address), home.address),
        out,
        "a participant approving an application",
    )
    reg.suspend(hydro.address, "meter-fault")
    expect_refusal(
        lambda: reg.add_meter(hydro.address, d.chain.new_account("x", 0)),
        out,
        "a suspended participant adding a meter",
    )
    print(f"  {hydro.label} is still {reg.status(hydro.address).name}", file=out)
    reg.request_exit(hydro.address)
    reg.finalize_exit(hydro.address, by=d.auditor)
    print(
        f"  {hydro.label} asked to leave with no open obligation -> {reg.status(hydro.address).name}",
        file=out,
    )
    print(f"  registered accounts on chain: {d.registry.functions.participantCount().call()}", file=out)
    return {solar.label: solar.address, home.label: home.address}


def market_day_walkthrough(d: Deployment, out: TextIO, approved: dict[str, str]) -> dict[str, object]:
    """A whole market day on the honest-supplier policy (SPEC §2-3, seed 003 §3 and §5).

    Providers publish, consumers request, the HiGHS solver matches and the assignment is verified on
    chain; a bilateral contract runs beside it; the auditor approves and rejects; buyers escrow; meters
    report (relayed with EIP-712 signatures); settlement pays rewards and penalties; everyone withdraws.
    `approved` are the registration walkthrough's participants (solar-farm, household). Returns the
    settlements and the token accounting for tests.
    """
    from energy_trading.clients.market import MarketClient, OrderStatus, Side, kwh, tokens

    reg, mk, chain = RegistryClient(d), MarketClient(d), d.chain
    print("Market day: matching, audit, escrow, metering, honest-supplier settlement (SPEC §2-3)", file=out)
    wind = reg.register("wind-farm", Role.GENERATOR, Source.WIND, zone="south")
    bakery = reg.register("bakery", Role.CONSUMER, zone="north")
    school = reg.register("school", Role.CONSUMER, zone="south")
    for p in (wind, bakery, school):
        reg.approve(p.address)
    solar, household = approved["solar-farm"], approved["household"]
    label = chain.label_of
    buyers = [household, bakery.address, school.address]
    for b in buyers:
        mk.fund(b, tokens(50))
        mk.allow(b, tokens(50))
    held_before = sum(mk.balance(a) for a in [*buyers, solar, wind.address, d.operator])
    mk.set_crossing_fee(zone_id("north"), zone_id("south"), tokens("0.03"))
    period = mk.open_period()
    print(
        f"  operator opened period {period.id} (honest-supplier policy); treasurer issued 50 tokens to "
        "each consumer; grid-crossing fee north<->south 0.03/kWh",
        file=out,
    )
    offers = {
        solar: mk.publish_offer(solar, period.id, tokens("0.52"), kwh(30)),
        wind.address: mk.publish_offer(wind.address, period.id, tokens("0.48"), kwh(20)),
    }
    for who, offer in offers.items():
        o = d.matching.functions.offer(offer).call()
        print(
            f"  offer    {label(who):12s} {o[2] / 1e18:.2f}/kWh  {o[3] / 1000:5.1f} kWh  "
            f"RC {o[4] / 1e18:.3f}",
            file=out,
        )
    wants = [(household, 8, "0.4"), (bakery.address, 15, "0.5"), (school.address, 20, "0")]
    for who, energy, bonus in wants:
        mk.publish_request(who, period.id, kwh(energy), tokens(bonus))
        print(f"  request  {label(who):12s} {energy:5.1f} kWh  bonus {bonus}", file=out)
    bilateral = mk.propose(wind.address, period.id, household, kwh(4), tokens("0.45"))
    mk.accept(household, bilateral, tokens("0.2"))
    overpriced = mk.propose(solar, period.id, school.address, kwh(10), tokens("2.5"))
    mk.accept(school.address, overpriced)
    print(
        "  bilateral wind-farm -> household 4 kWh at 0.45 (bonus 0.2) and solar-farm -> school "
        "10 kWh at 2.50, both accepted",
        file=out,
    )

    mk.advance_to(period, "matching")
    result = mk.solve(period.id)
    pairs = mk.pairs_of(result)
    print(
        f"  solver (HiGHS MILP): objective {result.objective:.6f}, served {result.served_wh / 1000:.1f} kWh, "
        f"unserved {result.unserved or 'none'}, optimal={result.optimal}",
        file=out,
    )
    capacity = d.matching.functions.offer(offers[wind.address]).call()[3]
    too_much = sorted((r, offers[wind.address]) for r, _ in pairs)
    expect_refusal(
        lambda: mk.submit(bakery.address, period.id, too_much),
        out,
        f"an assignment over wind-farm's {capacity / 1000:.0f} kWh",
    )
    receipt = mk.submit(bakery.address, period.id, pairs)
    best = mk.best(period.id)
    print(
        f"  verified on chain (submitted by bakery, {receipt['gasUsed']:,} gas): objective "
        f"{best['objective_wad'] / 1e18:.6f}, {best['served_wh'] / 1000:.1f} kWh -> equals the solver's: "
        f"{best['objective_wad'] == result.objective_wad}",
        file=out,
    )
    mk.advance_to(period, "signing")
    matched = mk.materialize(school.address, period.id, pairs)
    print(f"  materialised matched orders {matched}; bilateral orders {[bilateral, overpriced]}", file=out)

    expect_refusal(
        lambda: chain.transact(d.order_book.functions.approveOrder(bilateral), solar),
        out,
        "a seller approving its own order",
    )
    for oid in [*matched, bilateral]:
        mk.approve(oid)
    mk.reject(overpriced, "price-out-of-band")
    print(
        f"  auditor approved {[*matched, bilateral]}, rejected {overpriced} "
        "(the auditor can reject, never edit)",
        file=out,
    )
    for oid in [*matched, bilateral]:
        o = mk.order(oid)
        mk.sign(o.buyer, oid)
    print(
        f"  buyers signed: escrow now {mk.totals()['escrowed'] / 1e18:.4f} tokens "
        "(deposits R*r*t + bonus + handling fee)",
        file=out,
    )

    # deliveries: the solar farm delivers everything; the wind farm 80% of what it sold
    for oid in [*matched, bilateral]:
        o = mk.order(oid)
        share = 1.0 if o.seller == solar else 0.8
        rho = int(o.energy_wh * share)
        gamma = rho if o.seller == solar else rho - 100
        seller_meter = reg.contract.functions.metersOf(o.seller).call()[0]
        buyer_meter = reg.contract.functions.metersOf(o.buyer).call()[0]
        mk.submit_reading(oid, Side.SELLER, rho, seller_meter, relayer=d.operator)
        mk.submit_reading(oid, Side.BUYER, gamma, buyer_meter, relayer=d.operator)
    print(
        "  meters reported rho and gamma; every reading relayed by the operator with the meter's "
        "EIP-712 signature",
        file=out,
    )
    first = mk.order(matched[0])
    foreign = reg.contract.functions.metersOf(school.address).call()[0]
    if first.buyer == school.address:
        foreign = reg.contract.functions.metersOf(bakery.address).call()[0]
    expect_refusal(
        lambda: mk.submit_reading(matched[0], Side.BUYER, first.energy_wh, foreign, relayer=d.operator),
        out,
        "a reading from another participant's meter",
    )
    mk.advance_to(period, "settlement")
    settlements = {oid: mk.settle(d.operator, oid) for oid in [*matched, bilateral]}
    expect_refusal(lambda: mk.settle(d.operator, bilateral), out, "settling an order twice")

    print(
        f"  {'order':>5} {'seller':10s} {'buyer':10s} {'kWh':>5} {'price':>5} {'escrow':>7} {'rho':>5} "
        f"{'gamma':>5} {'seller':>7} {'refund':>7} {'reward':>6} {'penalty':>7} {'fee':>5}",
        file=out,
    )
    escrow_in = paid = refunded = fees = 0
    for oid, s in settlements.items():
        o = mk.order(oid)
        escrow = o.buyer_deposit + o.seller_deposit + o.fee
        escrow_in, paid, refunded, fees = (
            escrow_in + escrow,
            paid + s.to_seller,
            refunded + s.to_buyer,
            fees + s.fee,
        )
        print(
            f"  {oid:>5} {label(o.seller):10s} {label(o.buyer):10s} {o.energy_wh / 1000:>5.1f} "
            f"{o.price_per_kwh / 1e18:>5.2f} {escrow / 1e18:>7.3f} {s.delivered_wh / 1000:>5.1f} "
            f"{s.received_wh / 1000:>5.1f} {s.to_seller / 1e18:>7.3f} {s.to_buyer / 1e18:>7.3f} "
            f"{s.reward / 1e18:>6.3f} {s.seller_penalty / 1e18:>7.3f} {s.fee / 1e18:>5.2f}",
            file=out,
        )
    rejected = mk.order(overpriced).status is OrderStatus.REJECTED
    print(f"  order {overpriced} (rejected: {rejected}) never took effect and escrowed nothing", file=out)
    for who in [solar, wind.address, *buyers, d.operator]:
        if mk.withdrawable(who):
            mk.withdraw(who)
    held_after = sum(mk.balance(a) for a in [*buyers, solar, wind.address, d.operator])
    ok = (
        escrow_in == paid + refunded + fees
        and held_after == held_before
        and mk.balance(d.order_book.address) == 0
    )
    print(
        f"  conservation: escrow in {escrow_in / 1e18:.4f} = paid {paid / 1e18:.4f} + refunded "
        f"{refunded / 1e18:.4f} + fees {fees / 1e18:.4f}; all pulled, order book holds "
        f"{mk.balance(d.order_book.address) / 1e18:.4f}; participants' tokens unchanged in total -> "
        f"{'OK' if ok else 'VIOLATED'}",
        file=out,
    )
    for who in (solar, wind.address):
        print(
            f"  reputation of {label(who)} after folding the period: "
            f"RC = {mk.fold(who, d.operator) / 1e18:.3f}",
            file=out,
        )
    return {"settlements": settlements, "conservation_ok": ok, "rejected": overpriced, "matched": matched}


def run_demo(chain: Chain, d: Deployment, out: TextIO) -> None:
    """The whole demo: deployment summary, then the walkthroughs."""
    where = "in-process EVM (py-evm)" if chain.in_process else chain.w3.provider.endpoint_uri
    print(f"Deployed to {where}, chain id {chain.w3.eth.chain_id}", file=out)
    for name, address in d.addresses().items():
        print(f"  {name:12s} {address}", file=out)
    print(f"  operator     {d.operator}\n  auditor      {d.auditor}\n", file=out)
    tx_log = chain.start_tx_log()
    approved = registration_walkthrough(d, out)
    print(file=out)
    market_day_walkthrough(d, out, approved)
    from energy_trading.scenarios.certificates import certificates_walkthrough

    print(file=out)
    certificates_walkthrough(d, out)
    from energy_trading.scenarios.grid import grid_walkthrough

    print(file=out)
    grid_walkthrough(d, out)
    print(file=out)
    consensus_walkthrough(d, out, tx_log)


def consensus_walkthrough(d: Deployment, out: TextIO, tx_log: list[TxRecord]) -> dict[str, object]:
    """Emulate consensus on this chain's node weights and transaction stream (SPEC §6); print the figures."""
    from energy_trading.scenarios.emulation import chain_node_weights, consensus_figures

    weights = chain_node_weights(d)
    figures = consensus_figures(weights, tx_log)
    print("Consensus emulator fed by this chain (seed 7, 60 blocks per protocol)", file=out)
    nodes = ", ".join(f"{label} {w:.1f}" for label, w in figures["nodes"].items())
    print(f"  node weights from NodeWeights.allWeights(): {nodes}", file=out)
    for name in ("weighted-raft", "raft"):
        m = figures[name]
        leaders = ", ".join(f"{label} x{n}" for label, n in m["leader_counts"].items())
        print(
            f"  {name:13s} leaders: {leaders}; block latency {m['block_latency_ms']:.1f} ms, "
            f"TPS {m['tps_mean']:.0f}",
            file=out,
        )
    if "crsm-replay" in figures:
        m = figures["crsm-replay"]
        p = m["phases_ms"]
        print(
            f"  crsm replaying the demo's {m['transactions_replayed']} signed transactions at their send "
            f"times: {m['tx_committed']} committed in {m['blocks_committed']} blocks, mean transaction "
            f"latency {m['tx_latency_ms']:.1f} ms; per block prepare {p['prepare']:.2f} + consensus "
            f"{p['consensus']:.2f} + formal block {p['formal']:.2f} ms",
            file=out,
        )
    return figures
