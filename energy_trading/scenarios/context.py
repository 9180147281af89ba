"""What the runner hands to every period step and section: `RunContext`, `PeriodRun`, `ScenarioExtension`.

Kept apart from `runner` so the section modules (market, grid, certificates) can name these types without
importing the runner, which imports them.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterable, Mapping, Sized
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tqdm import tqdm

from energy_trading.chain.connection import Chain
from energy_trading.chain.deploy import Deployment
from energy_trading.clients.market import MarketClient, Period, Settlement
from energy_trading.clients.registry import Participant, RegistryClient
from energy_trading.clients.signed import SignedClient, SignedOrder
from energy_trading.models.matching import MatchResult
from energy_trading.scenarios.schema.loader import Scenario
from energy_trading.scenarios.schema.market import PeriodSpec

__all__ = [
    "WAD",
    "PeriodRun",
    "RunContext",
    "ScenarioExtension",
    "Step",
    "terminal_progress",
    "to_tokens",
    "unit_of",
]

WAD = 10**18


def unit_of(description: str) -> str:
    """The unit a progress display counts, from its description's last word ("fig9: rounds" -> "round")."""
    word = description.split()[-1] if description.split() else "step"
    return word[:-1] if word.endswith("s") and len(word) > 1 else word


def terminal_progress(items: Iterable[Any], description: str) -> Iterable[Any]:
    """The sections' default progress: a tqdm bar on standard error when it is a terminal, else nothing."""
    return tqdm(
        items, desc=description, unit=unit_of(description), disable=None, file=sys.stderr, leave=False
    )


@dataclass
class PeriodRun:
    """One period while it runs: the spec, the on-chain period and what happened to each order."""

    index: int
    spec: PeriodSpec
    period: Period | None = None
    request_ids: list[int] = field(default_factory=list)
    offer_ids: dict[str, int] = field(default_factory=dict)
    contract_orders: list[int] = field(default_factory=list)
    matched_orders: list[int] = field(default_factory=list)
    #: the scenario's bilateral contracts, in its `contracts` order, opened on `SignedBook` (issue 13)
    signed_orders: list[SignedOrder] = field(default_factory=list)
    #: the period's matched orders (pairs of the verified assignment), opened on `SignedBook`
    signed_matched: list[SignedOrder] = field(default_factory=list)
    #: request id of each matched signed order, by order id
    signed_requests: dict[int, int] = field(default_factory=dict)
    #: ids of the signed orders the auditor rejected
    signed_rejected: set[int] = field(default_factory=set)
    match: MatchResult | None = None
    readings: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: settlements of the order book's orders (matched), by order id
    settlements: dict[int, Settlement] = field(default_factory=dict)
    #: settlements of the signed book's orders (bilateral), by order id
    signed_settlements: dict[int, Settlement] = field(default_factory=dict)
    balances_before: dict[str, dict[str, float]] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def signed(self) -> list[SignedOrder]:
        """Every order of the period on the signed book, bilateral first, then matched."""
        return self.signed_orders + self.signed_matched

    @property
    def book_orders(self) -> list[int]:
        """The period's orders on the order book (`OrderBook`), bilateral first (none from the runner's own
        steps, which open every order on the signed book)."""
        return self.contract_orders + self.matched_orders

    @property
    def orders(self) -> list[int]:
        """Every order id of the period, on either book: the signed book's (bilateral, then matched) first."""
        return [o.id for o in self.signed] + self.book_orders


@dataclass
class RunContext:
    """Everything a period step or an extension needs."""

    chain: Chain
    d: Deployment
    scenario: Scenario
    market: MarketClient
    registry: RegistryClient
    rng: random.Random
    #: the signed book's client: the scenario's bilateral contracts (issue 13)
    signed: SignedClient
    accounts: dict[str, Participant] = field(default_factory=dict)
    ids_by_address: dict[str, str] = field(default_factory=dict)
    periods: list[PeriodRun] = field(default_factory=list)
    reputation: dict[str, list[float]] = field(default_factory=dict)
    #: `progress(iterable, description)` wraps each long loop of the run (None: no progress shown)
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None

    def wrap(self, items: Iterable[Any], description: str) -> Iterable[Any]:
        """`items` wrapped by the run's progress display (unchanged without one, or when empty)."""
        if self.progress is None or (isinstance(items, Sized) and len(items) == 0):
            return items
        return self.progress(items, description)

    def address(self, pid: str) -> str:
        """The account address of scenario participant `pid`."""
        return self.accounts[pid].address

    def price(self, currency_per_kwh: Decimal) -> int:
        """Currency per kWh -> token base units per kWh at the market's rate t."""
        return int(currency_per_kwh * self.scenario.market.tokens_per_currency * WAD)

    def tokens(self, amount: Decimal) -> int:
        """Whole tokens -> base units."""
        return int(amount * WAD)

    @property
    def relayer(self) -> str:
        """Who relays meter readings and settles (meters need no gas): the operator."""
        return self.d.operator

    @property
    def solver(self) -> str:
        """Who submits the solver's assignment: any approved participant will do; the first one."""
        return self.address(self.scenario.participants[0].id)


Step = Callable[[RunContext, PeriodRun], None]


@dataclass(frozen=True)
class ScenarioExtension:
    """A scenario feature run by another module (grid-balanced settlement, certificates, carbon).

    Attributes:
        name: the results key its output goes under.
        applies: whether a loaded scenario uses it.
        run: ``run(ctx, raw)`` -> results section (JSON-ready).
        replaces_market: run it instead of the honest-supplier period loop.
        plot: ``plot(section, out_dir)`` -> written PNG paths.
        summary: ``summary(section)`` -> text `energy-trading run` prints for people (default: a pointer).
    """

    name: str
    applies: Callable[[Mapping[str, Any]], bool]
    run: Callable[[RunContext, Mapping[str, Any]], dict[str, Any]]
    replaces_market: bool = False
    plot: Callable[[Mapping[str, Any], Path], list[Path]] | None = None
    summary: Callable[[Mapping[str, Any]], str] | None = None


def to_tokens(base_units: int) -> float:
    """Token base units -> whole tokens (as reported in results.json)."""
    return base_units / WAD
