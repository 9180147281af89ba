"""`energy-trading console`: an interactive Python console bound to a fresh deployment."""

from __future__ import annotations

import code
from typing import Any

from energy_trading.chain.deploy import Deployment
from energy_trading.clients.certificates import CarbonClient, CertificatesClient
from energy_trading.clients.grid import GridClient
from energy_trading.clients.incentives import IncentivesClient
from energy_trading.clients.market import MarketClient, Side, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source, Status

__all__ = ["console_namespace", "open_console"]

BANNER = """energy-trading console ({where})
Names: w3, chain, d (Deployment), {contracts}, operator, auditor,
       accounts (dict label -> address: alice, bob, carol, dave are funded),
       reg (RegistryClient), Role, Source, Status,
       grid (GridClient: credit weights, penalty shares, node weights),
       certs (CertificatesClient: readings, sales, claims), carbon (CarbonClient: quotas, emissions),
       market (MarketClient: periods, offers, requests, matching, orders), Side, kwh(), tokens(),
       incentives (IncentivesClient: time-stamped incentive lots, block creator reward).
Example: reg.register("eve", Role.CONSUMER); reg.approve(accounts["alice"])
         grid.all_weights()   # node weights (eq 8-13) the consensus emulator reads
         certs.counted(accounts["alice"]), carbon.open_cycle({accounts["bob"]: 1000})
         p = market.open_period(); market.publish_offer(accounts["alice"], p.id, tokens("0.5"), kwh(20))
"""


def console_namespace(d: Deployment) -> dict[str, Any]:
    """The names the console binds: contracts, role holders and four funded accounts."""
    chain = d.chain
    people = {label: chain.new_account(label) for label in ("alice", "bob", "carol", "dave")}
    ns: dict[str, Any] = {
        "w3": chain.w3,
        "chain": chain,
        "d": d,
        "operator": d.operator,
        "auditor": d.auditor,
        "accounts": people,
        "reg": RegistryClient(d),
        "Role": Role,
        "Source": Source,
        "Status": Status,
        "grid": GridClient.of(d),
        "certs": CertificatesClient(d),
        "carbon": CarbonClient(d),
        "market": MarketClient(d),
        "incentives": IncentivesClient(d),
        "Side": Side,
        "kwh": kwh,
        "tokens": tokens,
    }
    ns.update(d.contracts())
    return ns


def open_console(d: Deployment, where: str) -> None:
    """Start the interactive console (blocks until the user exits)."""
    ns = console_namespace(d)
    code.interact(banner=BANNER.format(where=where, contracts=", ".join(d.contracts())), local=ns, exitmsg="")
