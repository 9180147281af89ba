"""`energy-trading console`: an interactive Python console bound to a fresh deployment."""

from __future__ import annotations

import code
from typing import Any

from energy_trading.chain.deploy import Deployment
from energy_trading.clients.certificates import CarbonClient, CertificatesClient
from energy_trading.clients.grid import GridClient
from energy_trading.clients.incentives import IncentivesClient
from energy_trading.clients.market import MarketClient, Side, as_tokens, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source, Status
from energy_trading.clients.signed import SignedClient

__all__ = ["EXAMPLES", "PEOPLE", "banner", "console_namespace", "open_console"]

#: The console's ready-made participants: label -> (role, energy source, zone). Each is registered,
#: approved by the auditor and funded with ether and `STARTING_TOKENS` EnergyTokens before the prompt.
PEOPLE: dict[str, tuple[Role, Source, str]] = {
    "alice": (Role.GENERATOR, Source.SOLAR, "north"),
    "bob": (Role.CONSUMER, Source.NONE, "north"),
    "carol": (Role.PROSUMER, Source.WIND, "south"),
    "dave": (Role.CONSUMER, Source.NONE, "south"),
}
STARTING_TOKENS = "1000"
#: Each participant's initial credit weight (0..100, seed 001 eq 15's starting point) on enrolment.
STARTING_CREDIT_WEIGHT = 50

#: The banner's examples; each line runs as written in a fresh console (tests/python/test_entry_points.py
#: types every one of them into a real console through a pseudo-terminal).
EXAMPLES: tuple[str, ...] = (
    'eve = reg.register("eve", Role.CONSUMER); reg.approve(eve.address); reg.status(eve.address)',
    "grid.all_weights()   # node weights (seed 001 eq 8-13) the consensus emulator reads",
    'certs.counted(accounts["alice"]), carbon.open_cycle({accounts["bob"]: 1000})',
    'p = market.open_period(); market.publish_offer(accounts["alice"], p.id, tokens("0.5"), kwh(20))',
    'market.publish_request(accounts["bob"], p.id, kwh(5)); as_tokens(market.balance(accounts["bob"]))',
    (
        'signed.deposit(accounts["bob"], tokens("5")); '
        'o = signed.open(accounts["alice"], p.id, accounts["bob"], kwh(2), tokens("0.5")); '
        "signed.approve(o); signed.status(o)"
    ),
    'incentives.holdings(accounts["alice"]), incentives.totals()',
)


def banner(where: str, contracts: list[str]) -> str:
    """The text printed above the console's first prompt; `contracts`: the contract names bound as such."""
    people = ", ".join(f"{label} ({role.name.lower()})" for label, (role, _, _) in PEOPLE.items())
    lines = [
        f"energy-trading console ({where})",
        f"Names: w3, chain, d (Deployment), {', '.join(contracts)},",
        "       operator, auditor (a contract a client's name shadows: d.<name>, e.g. d.incentives),",
        f"       accounts (dict label -> address; registered, approved, {STARTING_TOKENS} tokens each, "
        f"credit weight {STARTING_CREDIT_WEIGHT}:",
        f"       {people}),",
        "       meters (dict label -> its approved meter, for market.submit_reading(..., meters[label])),",
        "       reg (RegistryClient), Role, Source, Status,",
        "       grid (GridClient: credit weights, penalty shares, node weights),",
        "       certs (CertificatesClient: readings, sales, claims),",
        "       carbon (CarbonClient: quotas, emissions),",
        "       market (MarketClient: periods, offers, requests, matching, orders), Side, kwh(), tokens(),",
        "       signed (SignedClient: bilateral contracts both parties sign off chain, opened, audited and",
        "       settled on the signed book, issue 13: deposit, open/open_many, approve, report, withdraw),",
        "       as_tokens() (base units -> tokens: balances and payouts are in base units, 10^18 a token),",
        "       incentives (IncentivesClient: time-stamped incentive lots, block creator reward).",
        "Examples:",
        *(f"  {line}" for line in EXAMPLES),
    ]
    return "\n".join(lines) + "\n"


def console_namespace(d: Deployment) -> dict[str, Any]:
    """The names the console binds: contracts, role holders, clients and four approved, funded accounts."""
    reg = RegistryClient(d)
    market = MarketClient(d)
    grid = GridClient.of(d)
    people: dict[str, str] = {}
    meters: dict[str, Any] = {}
    for label, (role, source, zone) in PEOPLE.items():
        participant = reg.register(label, role, source, zone=zone)
        address = participant.address
        meters[label] = participant.meters[0]
        reg.approve(address)
        market.fund(address, tokens(STARTING_TOKENS))
        grid.enrol(address, STARTING_CREDIT_WEIGHT)  # so the node weights (seed 001 eq 8-13) list them
        people[label] = address
    ns: dict[str, Any] = {
        "w3": d.chain.w3,
        "chain": d.chain,
        "d": d,
        "operator": d.operator,
        "auditor": d.auditor,
        "accounts": people,
        "meters": meters,
        "reg": reg,
        "Role": Role,
        "Source": Source,
        "Status": Status,
        "grid": grid,
        "certs": CertificatesClient(d),
        "carbon": CarbonClient(d),
        "market": market,
        "signed": SignedClient(d),
        "incentives": IncentivesClient(d),
        "Side": Side,
        "kwh": kwh,
        "tokens": tokens,
        "as_tokens": as_tokens,
    }
    for name, contract in d.contracts().items():
        ns.setdefault(name, contract)  # a client keeps its name; its contract stays d.<name>
    return ns


def open_console(d: Deployment, where: str) -> None:
    """Start the interactive console (blocks until the user exits)."""
    ns = console_namespace(d)
    # the contracts under their own names: those a client's name shadows are reachable as d.<name>
    contracts = [name for name, contract in d.contracts().items() if ns[name] is contract]
    code.interact(banner=banner(where, contracts), local=ns, exitmsg="")
