"""The demo's green certificates and carbon section (seed 001 §3.3, §4.2.4-4.2.5, SPEC §5)."""

from __future__ import annotations

from typing import Any, TextIO

from energy_trading.chain.deploy import Deployment
from energy_trading.chain.errors import ChainRevert
from energy_trading.clients.certificates import CarbonClient, CertificatesClient
from energy_trading.clients.registry import Participant, RegistryClient, Role, Source

__all__ = ["certificates_walkthrough"]

TOKEN = 10**18


def certificates_walkthrough(d: Deployment, out: TextIO) -> dict[str, Any]:
    """`energy-trading demo`'s certificates and carbon section (seed 001 §3.3, §4.2.4-4.2.5).

    A solar farm's meter reports 2.6 MWh over three hours (2 certificates, 0.6 MWh carried), a hydro plant's
    reading is refused, a household buys a certificate for EnergyToken and claims it (and cannot move it
    afterwards), and a carbon cycle settles a coal plant that bought allowances too few. Prints each step;
    returns the figures read back from the chain for tests.
    """
    certs, reg = CertificatesClient(d), RegistryClient(d)
    print("Green certificates and carbon allowances (seed 001 §3.3, §4.2.4-4.2.5, SPEC §5)", file=out)
    solar = reg.register("demo-solar", Role.GENERATOR, Source.SOLAR)
    hydro = reg.register("demo-hydro", Role.GENERATOR, Source.HYDRO)
    coal = reg.register("demo-coal", Role.GENERATOR, Source.FOSSIL)
    home = reg.register("demo-household", Role.CONSUMER)
    for p in (solar, hydro, coal, home):
        reg.approve(p.address)
    refusal = _issue(d, certs, solar, hydro, out)
    _sell_and_claim(d, certs, solar, home, out)
    nodes = [solar.address, home.address]
    w_gc = {p.label: d.node_weights.functions.greenWeight(p.address).call() / TOKEN for p in (solar, home)}
    print(
        "  W_gc (eq 20) read by NodeWeights: "
        + ", ".join(f"{k} {v:.1f}" for k, v in w_gc.items())
        + f" (counted {[certs.counted(a) for a in nodes]} of {certs.total_issued()})",
        file=out,
    )
    labels = {solar.address: "solar", coal.address: "coal", home.address: "household"}
    settled, w_ce = _carbon_cycle(d, solar, coal, home, labels, out)
    return {
        "hydro_refusal": refusal.error if refusal else None,
        "held": {p.label: certs.held(p.address) for p in (solar, home)},
        "claimed": {p.label: certs.claimed(p.address) for p in (solar, home)},
        "green_weights": w_gc,
        "settlements": {labels[a]: v for a, v in settled.items()},
        "carbon_weights": {labels[a]: v for a, v in w_ce.items()},
    }


def _issue(
    d: Deployment, certs: CertificatesClient, solar: Participant, hydro: Participant, out: TextIO
) -> ChainRevert | None:
    """Three hourly solar readings become certificates by eq 6; a hydro plant's reading is refused."""
    now = d.chain.w3.eth.get_block("latest")["timestamp"]
    hour = 3600
    # the three hours after the meters' approval (nothing from before it is certified), then already past
    start = (now // hour + 1) * hour
    d.chain.advance_to(start + 3 * hour)
    for i, kwh in enumerate((800, 1100, 700)):
        got = certs.report_generation(
            solar.address, solar.meters[0], start + i * hour, start + (i + 1) * hour, kwh * 1000
        )
        print(
            f"  solar meter reports {kwh:>5} kWh -> {got.amount} certificate(s) minted, "
            f"{got.carried_wh / 1000:.0f} kWh carried (eq 6)",
            file=out,
        )
    refusal: ChainRevert | None = None
    try:
        certs.report_generation(hydro.address, hydro.meters[0], start, start + hour, 5_000_000)
    except ChainRevert as exc:
        refusal = exc
        print(f"  refused  a hydro plant's reading: {exc.error} (non-hydro renewables only)", file=out)
    return refusal


def _sell_and_claim(
    d: Deployment, certs: CertificatesClient, solar: Participant, home: Participant, out: TextIO
) -> None:
    """The household buys a certificate on the exchange and claims it; a claimed one cannot move."""
    price = 40 * TOKEN
    d.chain.transact(d.token.functions.issue(home.address, price), d.operator)
    listing = certs.list_for_sale(solar.address, 1, 1, price)
    paid = certs.buy(home.address, listing, 1)
    print(
        f"  household buys 1 certificate for {paid / TOKEN:.0f} tokens (atomic swap on the exchange)",
        file=out,
    )
    certs.claim(home.address, 1, 1, b"household consumption")
    print("  household claims it as proof of green consumption", file=out)
    try:
        certs.transfer(home.address, solar.address, 1, 1)
    except ChainRevert as exc:
        print(f"  refused  moving a claimed certificate: {exc.error}", file=out)


def _carbon_cycle(
    d: Deployment,
    solar: Participant,
    coal: Participant,
    home: Participant,
    labels: dict[str, str],
    out: TextIO,
) -> tuple[dict[str, int], dict[str, float]]:
    """One carbon cycle: quotas, emissions, an allowance sale to the coal plant, settlement (eq 21-22)."""
    carbon = CarbonClient(d)
    quotas = {solar.address: 500, coal.address: 3000, home.address: 200}
    cycle = carbon.open_cycle(quotas)
    carbon.report_emissions(coal.address, coal.meters[0], cycle, 3400)
    carbon.report_emissions(home.address, home.meters[0], cycle, 150)
    # the solar farm's meter reports 0 kg: a missing report would settle as non-compliance (issue 10)
    carbon.report_emissions(solar.address, solar.meters[0], cycle, 0)
    allowance_price = 5 * 10**16
    ask = carbon.list_allowances(solar.address, cycle, 300, allowance_price)
    d.chain.transact(d.token.functions.issue(coal.address, 300 * allowance_price), d.operator)
    carbon.buy_allowances(coal.address, ask, 300)
    settled = carbon.close_and_settle(cycle, list(quotas))
    w_ce = {a: d.node_weights.functions.carbonWeight(a).call() / TOKEN for a in quotas}
    for a, amount in settled.items():
        status = "compliant" if amount >= 0 else "NON-COMPLIANT"
        print(
            f"  carbon cycle {cycle}: {labels[a]:9s} A_ce = {amount:>5} kg (eq 22) {status:13s} "
            f"W_ce {w_ce[a]:.1f}",
            file=out,
        )
    return settled, w_ce
