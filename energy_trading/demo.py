"""`energy-trading demo`: compile, deploy to the in-process EVM, and walk through the market.

Each step prints what happened on chain; refusals print the custom error the contract
reverted with, and the state is shown unchanged after them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from energy_trading.chain import Chain
from energy_trading.deploy import Deployment
from energy_trading.errors import ChainRevert
from energy_trading.registry import RegistryClient, Role, Source

__all__ = ["expect_refusal", "registration_walkthrough", "run_demo"]


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
        lambda: d.chain.transact(d.registry.functions.addMeter(d.chain.new_account("x", 0)), hydro.address),
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


def run_demo(chain: Chain, d: Deployment, out: TextIO) -> None:
    """The whole demo: deployment summary, then the walkthroughs."""
    where = "in-process EVM (py-evm)" if chain.in_process else chain.w3.provider.endpoint_uri
    print(f"Deployed to {where}, chain id {chain.w3.eth.chain_id}", file=out)
    for name, address in d.addresses().items():
        print(f"  {name:12s} {address}", file=out)
    print(f"  operator     {d.operator}\n  auditor      {d.auditor}\n", file=out)
    registration_walkthrough(d, out)
    from energy_trading.scenario_certificates import certificates_walkthrough

    print(file=out)
    certificates_walkthrough(d, out)
    from energy_trading.scenario_grid import grid_walkthrough

    print(file=out)
    grid_walkthrough(d, out)
