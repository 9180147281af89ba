"""The market part of a scenario file: participants, market parameters and trading periods.

`docs/scenario-format.md` is the reference. Each parser validates one part of the loaded mapping into a
frozen dataclass and raises `ScenarioError` naming the field to fix; `energy_trading.scenarios.schema.loader`
assembles them into a `Scenario`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from energy_trading.clients.market import Schedule
from energy_trading.clients.registry import ROLE_NAMES, SOURCE_NAMES, Role, Source, zone_id

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
    "as_list",
    "as_mapping",
    "parse_market",
    "parse_number",
    "parse_participants",
    "parse_period",
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


def parse_number(
    value: Any, where: str, minimum: Decimal | None = Decimal(0), allow_none: bool = False
) -> Decimal:
    if value is None and allow_none:
        return None  # type: ignore[return-value]
    if isinstance(value, bool):
        raise ScenarioError(f"{where} must be a number, not {value!r}")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ScenarioError(f"{where} must be a number (got {value!r})") from None
    if not number.is_finite():
        raise ScenarioError(f"{where} must be finite (got {value!r})")
    if minimum is not None and number < minimum:
        raise ScenarioError(f"{where} must be >= {minimum} (got {value})")
    return number


def as_mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where} must be a mapping of keys to values (got {type(value).__name__})")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScenarioError(f"{where} must be a list (got {type(value).__name__})")
    return value


def _require(item: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in item:
        raise ScenarioError(f"{where} is missing '{key}'")
    return item[key]


def parse_market(raw: Any) -> MarketSpec:
    m = as_mapping(raw or {}, "market")
    settlement = m.get("settlement", "honest_supplier")
    if settlement not in SETTLEMENTS:
        raise ScenarioError(f"market.settlement must be one of {', '.join(SETTLEMENTS)} (got {settlement!r})")
    alpha = parse_number(m.get("alpha", "0.4"), "market.alpha")
    if alpha > 1:
        raise ScenarioError(f"market.alpha must be in [0, 1] (got {alpha})")
    t = parse_number(m.get("tokens_per_currency", 1), "market.tokens_per_currency")
    if t == 0:
        raise ScenarioError("market.tokens_per_currency must be > 0")
    sched = as_mapping(m.get("schedule") or {}, "market.schedule")
    schedule_fields = {}
    for key in ("publish_s", "matching_s", "signing_s", "readings_s"):
        if key in sched:
            value = parse_number(sched[key], f"market.schedule.{key}", Decimal(1))
            schedule_fields[key] = int(value)
    unknown = set(sched) - {"publish_s", "matching_s", "signing_s", "readings_s"}
    if unknown:
        raise ScenarioError(f"market.schedule has unknown keys {sorted(unknown)}")
    fees = []
    for i, f in enumerate(as_list(m.get("crossing_fees"), "market.crossing_fees")):
        where = f"market.crossing_fees[{i}]"
        f = as_mapping(f, where)
        zones = _require(f, "zones", where)
        if not (isinstance(zones, list) and len(zones) == 2 and all(isinstance(z, str) for z in zones)):
            raise ScenarioError(f"{where}.zones must be a list of two zone names")
        fees.append((zones[0], zones[1], parse_number(_require(f, "fee", where), f"{where}.fee")))
    return MarketSpec(
        settlement=settlement,
        handling_fee=parse_number(m.get("handling_fee", "0.01"), "market.handling_fee"),
        alpha=alpha,
        tau_kwh=parse_number(m.get("tau_kwh", "0.2"), "market.tau_kwh"),
        tokens_per_currency=t,
        feed_in_price=parse_number(m.get("feed_in_price"), "market.feed_in_price", allow_none=True),
        grid_price=parse_number(m.get("grid_price"), "market.grid_price", allow_none=True),
        grid_fee=parse_number(m.get("grid_fee"), "market.grid_fee", allow_none=True),
        schedule=Schedule(**schedule_fields),
        crossing_fees=tuple(fees),
        solver_time_limit_s=float(
            parse_number(m.get("solver_time_limit_s", 20), "market.solver_time_limit_s")
        ),
        withdraw_each_period=bool(m.get("withdraw_each_period", True)),
    )


def parse_participants(raw: Any) -> tuple[ParticipantSpec, ...]:
    out: list[ParticipantSpec] = []
    seen: set[str] = set()
    for i, p in enumerate(as_list(raw, "participants")):
        where = f"participants[{i}]"
        p = as_mapping(p, where)
        pid = str(_require(p, "id", where))
        if pid in seen:
            raise ScenarioError(f"{where}.id: '{pid}' is used twice; participant ids must be unique")
        seen.add(pid)
        role_name = _require(p, "role", where)
        if role_name not in _ROLES:
            raise ScenarioError(f"{where}.role must be generator, consumer or prosumer (got {role_name!r})")
        role = _ROLES[role_name]
        source = Source.NONE
        if role is not Role.CONSUMER:
            if "source" in p:
                if p["source"] not in _SOURCES:
                    raise ScenarioError(
                        f"{where}.source must be one of {', '.join(_SOURCES)} (got {p['source']!r})"
                    )
                source = _SOURCES[p["source"]]
            else:
                source = Source.SOLAR if p.get("renewable", True) else Source.FOSSIL
        elif "source" in p and p["source"] not in (None, "none"):
            raise ScenarioError(f"{where}.source: a consumer has no energy source (drop the key)")
        zone = str(p.get("zone", "zone-1"))
        try:
            zone_id(zone)
        except ValueError as exc:
            raise ScenarioError(f"{where}.zone: {exc}") from None
        weight = p.get("credit_weight")
        if weight is not None:
            weight = float(parse_number(weight, f"{where}.credit_weight"))
            if weight > 100:
                raise ScenarioError(f"{where}.credit_weight must be in [0, 100] (got {weight})")
        out.append(
            ParticipantSpec(
                pid, role, source, zone, weight, parse_number(p.get("funds", 1000), f"{where}.funds")
            )
        )
    return tuple(out)


def _behaviour(raw: Any, where: str) -> Behaviour:
    if isinstance(raw, str):
        raw = {"kind": raw}
    b = as_mapping(raw, where)
    kind = b.get("kind", "honest")
    loss = parse_number(b.get("loss_kwh", 0), f"{where}.loss_kwh")
    if kind == "honest":
        return Behaviour("honest", 1.0, 1.0, loss)
    if kind == "short":
        fraction = float(parse_number(_require(b, "fraction", where), f"{where}.fraction"))
        if fraction > 1:
            raise ScenarioError(f"{where}.fraction must be in [0, 1] (got {fraction})")
        return Behaviour("short", fraction, fraction, loss)
    if kind == "random":
        rng = _require(b, "range", where)
        if not (isinstance(rng, list) and len(rng) == 2):
            raise ScenarioError(f"{where}.range must be [low, high] fractions of the contracted energy")
        low, high = (float(parse_number(x, f"{where}.range")) for x in rng)
        if low > high:
            raise ScenarioError(f"{where}.range must have low <= high (got {rng})")
        return Behaviour("random", low, high, loss)
    raise ScenarioError(f"{where}.kind must be honest, short or random (got {kind!r})")


def parse_period(raw: Mapping[str, Any], where: str, ids: dict[str, ParticipantSpec]) -> PeriodSpec:
    def who(value: Any, field_where: str, provider: bool | None) -> str:
        pid = str(value)
        if pid not in ids:
            raise ScenarioError(f"{field_where}: '{pid}' is not a participant id")
        role = ids[pid].role
        if provider is True and role is Role.CONSUMER:
            raise ScenarioError(f"{field_where}: '{pid}' is a consumer and cannot sell")
        if provider is False and role is Role.GENERATOR:
            raise ScenarioError(f"{field_where}: '{pid}' is a generator and cannot buy")
        return pid

    offers = []
    for i, o in enumerate(as_list(raw.get("offers"), f"{where}.offers")):
        w = f"{where}.offers[{i}]"
        o = as_mapping(o, w)
        offers.append(
            OfferSpec(
                who(_require(o, "provider", w), f"{w}.provider", True),
                parse_number(_require(o, "price", w), f"{w}.price"),
                parse_number(_require(o, "capacity_kwh", w), f"{w}.capacity_kwh"),
            )
        )
    if len({o.provider for o in offers}) != len(offers):
        raise ScenarioError(f"{where}.offers: a provider publishes one offer per period")
    requests = []
    for i, r in enumerate(as_list(raw.get("requests"), f"{where}.requests")):
        w = f"{where}.requests[{i}]"
        r = as_mapping(r, w)
        energy = parse_number(_require(r, "energy_kwh", w), f"{w}.energy_kwh")
        if energy == 0:
            raise ScenarioError(f"{w}.energy_kwh must be > 0")
        requests.append(
            RequestSpec(
                who(_require(r, "consumer", w), f"{w}.consumer", False),
                energy,
                parse_number(r.get("bonus", 0), w),
            )
        )
    contracts = []
    for i, c in enumerate(as_list(raw.get("contracts"), f"{where}.contracts")):
        w = f"{where}.contracts[{i}]"
        c = as_mapping(c, w)
        seller = who(_require(c, "seller", w), f"{w}.seller", True)
        buyer = who(_require(c, "buyer", w), f"{w}.buyer", False)
        if seller == buyer:
            raise ScenarioError(f"{w}: seller and buyer are both '{seller}'")
        energy = parse_number(_require(c, "energy_kwh", w), f"{w}.energy_kwh")
        price = parse_number(_require(c, "price", w), f"{w}.price")
        if energy == 0 or price == 0:
            raise ScenarioError(f"{w}: energy_kwh and price must be > 0")
        contracts.append(
            ContractSpec(seller, buyer, price, energy, parse_number(c.get("bonus", 0), f"{w}.bonus"))
        )
    readings = []
    for i, r in enumerate(as_list(raw.get("readings"), f"{where}.readings")):
        w = f"{where}.readings[{i}]"
        r = as_mapping(r, w)
        readings.append(
            ReadingSpec(
                parse_number(_require(r, "generated_kwh", w), f"{w}.generated_kwh"),
                parse_number(_require(r, "consumed_kwh", w), f"{w}.consumed_kwh"),
            )
        )
    if readings and len(readings) != len(contracts):
        raise ScenarioError(
            f"{where}.readings has {len(readings)} entries for {len(contracts)} contracts: give one per "
            "contract, in the same order, or none (then delivery behaviours apply)"
        )
    behaviours = {}
    for pid, b in as_mapping(raw.get("behaviours") or {}, f"{where}.behaviours").items():
        behaviours[who(pid, f"{where}.behaviours.{pid}", True)] = _behaviour(b, f"{where}.behaviours.{pid}")
    reject = []
    for i, index in enumerate(as_list(raw.get("reject"), f"{where}.reject")):
        if not isinstance(index, int) or not 0 <= index < len(contracts):
            raise ScenarioError(f"{where}.reject[{i}] must be the index of one of the period's contracts")
        reject.append(index)
    return PeriodSpec(
        tuple(offers), tuple(requests), tuple(contracts), tuple(readings), behaviours, tuple(reject), raw
    )
