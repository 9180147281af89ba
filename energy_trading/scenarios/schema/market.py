"""The market part of a scenario file as the runner uses it: participants, market parameters, periods.

`docs/scenario-format.md` is the reference. The file is validated by the pydantic schema
(`energy_trading.scenarios.schema.file`, which names every problem's path); the functions here only turn its
validated models into the runner's frozen dataclasses (roles and sources as the registry's enums, the
schedule as the market client's `Schedule`); `energy_trading.scenarios.schema.loader` assembles a `Scenario`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from energy_trading.clients.market import Schedule
from energy_trading.models.roles import ROLE_NAMES, SOURCE_NAMES, Role, Source
from energy_trading.scenarios.schema import file as schema

__all__ = [
    "SETTLEMENTS",
    "Behaviour",
    "ContractSpec",
    "MarketSpec",
    "OfferSpec",
    "ParticipantSpec",
    "PeriodSpec",
    "ReadingSpec",
    "RequestSpec",
    "ScenarioError",
    "market_spec",
    "participant_specs",
    "period_spec",
]

SETTLEMENTS = ("honest_supplier", "grid_balanced")
_ROLES = ROLE_NAMES
_SOURCES = SOURCE_NAMES


class ScenarioError(ValueError):
    """The scenario cannot be run as written; the message names the field and what it should hold."""


@dataclass(frozen=True)
class ParticipantSpec:
    """A participant: scenario id, role, energy source, grid zone, initial credit weight, funds (tokens)."""

    id: str
    role: Role
    source: Source
    zone: str
    credit_weight: float | None
    funds: Decimal


@dataclass(frozen=True)
class OfferSpec:
    """A provider's price (currency per kWh) and capacity (kWh) for the period."""

    provider: str
    price: Decimal
    capacity_kwh: Decimal


@dataclass(frozen=True)
class RequestSpec:
    """A consumer's request (kWh) and optional honest-supplier bonus (tokens)."""

    consumer: str
    energy_kwh: Decimal
    bonus: Decimal


@dataclass(frozen=True)
class ContractSpec:
    """A bilateral contract: the seller proposes price (currency per kWh) and energy, the buyer accepts."""

    seller: str
    buyer: str
    price: Decimal
    energy_kwh: Decimal
    bonus: Decimal


@dataclass(frozen=True)
class ReadingSpec:
    """The meters of one contract: the seller's generated (rho) and the buyer's consumed (gamma) kWh."""

    generated_kwh: Decimal
    consumed_kwh: Decimal


@dataclass(frozen=True)
class Behaviour:
    """How a provider delivers orders that have no explicit readings.

    `honest` delivers the contracted energy; `short` delivers `fraction` of it; `random` delivers a fraction
    drawn uniformly from [`low`, `high`] (capped at 1) per order from the scenario's seeded generator. The
    buyer's meter reads the delivered energy minus `loss_kwh` (transmission loss, at least 0).
    """

    kind: str
    low: float = 1.0
    high: float = 1.0
    loss_kwh: Decimal = Decimal(0)

    def delivered_fraction(self, rng: random.Random) -> float:
        """The fraction of the contracted energy delivered for one order."""
        if self.kind == "random":
            return min(rng.uniform(self.low, self.high), 1.0)
        return self.low


@dataclass(frozen=True)
class PeriodSpec:
    """One trading period of the scenario (after `repeat` expansion)."""

    offers: tuple[OfferSpec, ...] = ()
    requests: tuple[RequestSpec, ...] = ()
    contracts: tuple[ContractSpec, ...] = ()
    readings: tuple[ReadingSpec, ...] = ()
    behaviours: Mapping[str, Behaviour] = field(default_factory=dict)
    reject: tuple[int, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class MarketSpec:
    """Market parameters. Grid-balanced fields are validated here and passed on to that policy's runner."""

    settlement: str = "honest_supplier"
    handling_fee: Decimal = Decimal("0.01")
    alpha: Decimal = Decimal("0.4")
    tau_kwh: Decimal = Decimal("0.2")
    tokens_per_currency: Decimal = Decimal(1)
    feed_in_price: Decimal | None = None
    grid_price: Decimal | None = None
    grid_fee: Decimal | None = None
    schedule: Schedule = field(default_factory=Schedule)
    crossing_fees: tuple[tuple[str, str, Decimal], ...] = ()
    solver_time_limit_s: float = 20.0
    withdraw_each_period: bool = True


def market_spec(m: schema.MarketSection | None) -> MarketSpec:
    """The validated `market` section (defaults when absent) as the runner's `MarketSpec`."""
    m = m or schema.MarketSection()
    return MarketSpec(
        settlement=m.settlement,
        handling_fee=m.handling_fee,
        alpha=m.alpha,
        tau_kwh=m.tau_kwh,
        tokens_per_currency=m.tokens_per_currency,
        feed_in_price=m.feed_in_price,
        grid_price=m.grid_price,
        grid_fee=m.grid_fee,
        schedule=Schedule(**(m.schedule.model_dump(exclude_none=True) if m.schedule else {})),
        crossing_fees=tuple((f.zones[0], f.zones[1], f.fee) for f in m.crossing_fees or []),
        solver_time_limit_s=float(m.solver_time_limit_s),
        withdraw_each_period=m.withdraw_each_period,
    )


def participant_specs(participants: list[schema.Participant]) -> tuple[ParticipantSpec, ...]:
    """The validated participants as `ParticipantSpec`s: a generator or prosumer without `source` is solar
    when `renewable` (the default) and fossil otherwise; a consumer has no source."""
    out = []
    for p in participants:
        role = _ROLES[p.role]
        if role is Role.CONSUMER:
            source = Source.NONE
        elif p.source is not None and p.source != "none":
            source = _SOURCES[p.source]
        else:
            source = Source.SOLAR if p.renewable in (None, True) else Source.FOSSIL
        weight = None if p.credit_weight is None else float(p.credit_weight)
        out.append(ParticipantSpec(str(p.id), role, source, p.zone, weight, p.funds))
    return tuple(out)


def _behaviour(b: str | schema.Behaviour) -> Behaviour:
    if isinstance(b, str):  # only "honest" is accepted by name
        return Behaviour("honest", 1.0, 1.0, Decimal(0))
    if b.kind == "short":
        fraction = float(b.fraction)  # type: ignore[arg-type]  # the schema requires it for short
        return Behaviour("short", fraction, fraction, b.loss_kwh)
    if b.kind == "random":
        low, high = (float(x) for x in b.range)  # type: ignore[union-attr]  # required for random
        return Behaviour("random", low, high, b.loss_kwh)
    return Behaviour("honest", 1.0, 1.0, b.loss_kwh)


def period_spec(p: schema.Period, raw: Mapping[str, Any]) -> PeriodSpec:
    """One validated period entry as a `PeriodSpec` (the caller expands `repeat`); `raw` is its mapping."""
    return PeriodSpec(
        offers=tuple(OfferSpec(str(o.provider), o.price, o.capacity_kwh) for o in p.offers or []),
        requests=tuple(RequestSpec(str(r.consumer), r.energy_kwh, r.bonus) for r in p.requests or []),
        contracts=tuple(
            ContractSpec(str(c.seller), str(c.buyer), c.price, c.energy_kwh, c.bonus)
            for c in p.contracts or []
        ),
        readings=tuple(ReadingSpec(r.generated_kwh, r.consumed_kwh) for r in p.readings or []),
        behaviours={pid: _behaviour(b) for pid, b in (p.behaviours or {}).items()},
        reject=tuple(p.reject or []),
        raw=raw,
    )
