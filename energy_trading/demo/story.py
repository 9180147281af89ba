"""`energy-trading demo`: the story, one section after another on one deployment.

Each section is one module of this package with one short function per step; each step prints what
happened on chain, and refusals print the custom error the contract reverted with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from energy_trading.chain.connection import Chain
from energy_trading.chain.deploy import Deployment
from energy_trading.demo.certificates import certificates_walkthrough
from energy_trading.demo.consensus import consensus_walkthrough
from energy_trading.demo.grid import grid_walkthrough
from energy_trading.demo.incentives import incentives_section
from energy_trading.demo.market import market_day_walkthrough
from energy_trading.demo.registration import registration_walkthrough

__all__ = ["SECTIONS", "run_demo"]

#: Sections after registration and the market day, in the order the demo tells them.
SECTIONS: list[Callable[[Deployment, TextIO], object]] = [
    certificates_walkthrough,
    grid_walkthrough,
    incentives_section,
]


def run_demo(chain: Chain, d: Deployment, out: TextIO) -> None:
    """The whole demo: deployment summary, then the walkthroughs."""
    print(f"Deployed to {chain.where}, chain id {chain.w3.eth.chain_id}", file=out)
    for name, address in d.addresses().items():
        print(f"  {name:12s} {address}", file=out)
    print(f"  operator     {d.operator}\n  auditor      {d.auditor}\n", file=out)
    tx_log = chain.start_tx_log()
    approved = registration_walkthrough(d, out)
    print(file=out)
    market_day_walkthrough(d, out, approved)
    for section in SECTIONS:
        print(file=out)
        section(d, out)
    print(file=out)
    consensus_walkthrough(d, out, tx_log)
