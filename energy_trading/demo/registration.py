"""The demo's registration section (SPEC §1): applications, the weak centre's review, its limits, exits."""

from __future__ import annotations

from typing import TextIO

from energy_trading.chain.deploy import Deployment
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.demo.expect import expect_refusal

__all__ = ["registration_walkthrough"]


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
    print(f"  auditor suspended {hydro.label} (meter-fault) -> {reg.status(hydro.address).name}", file=out)
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
