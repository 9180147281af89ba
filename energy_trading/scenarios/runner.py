"""Scenario files: load, validate, run on chain, and report (`energy-trading run SCENARIO`).

A scenario (YAML or JSON; the reference is `docs/scenario-format.md`) names the market parameters, the
participants and, per trading period, the offers, requests, bilateral contracts, meter readings or
delivery behaviours. `load_scenario` validates it into dataclasses, with errors that name the field to
fix; `run_scenario` deploys the contracts (in process by default, or on any RPC node), drives every
period through the order book and the matching market, and returns the results read back from the chain;
`write_results` saves `results.json` and the plots.

Extending the runner (for other settlement policies, certificates, carbon):

- `PERIOD_STEPS` is the ordered list of ``(name, step)`` the runner applies to every period; a step is
  ``step(ctx, period)`` with the `RunContext` and the `PeriodRun`. Insert, replace or wrap steps with
  `add_period_step(name, step, after=...)`.
- `EXTENSIONS` holds `ScenarioExtension` objects: ``applies(raw)`` says whether a scenario uses it;
  ``run(ctx, raw)`` runs it (with the market run's context: chain, deployment, participants) and returns a
  results section; ``replaces_market`` makes it run instead of the honest-supplier market loop (the
  grid-balanced policy does); ``plot(results, out_dir)`` writes its figures. Register with
  `register_extension`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from energy_trading.chain.connection import Chain, connect
from energy_trading.chain.deploy import Deployment, MarketParams, deploy
from energy_trading.clients.market import MarketClient, OrderStatus, Period, Schedule, Settlement, Side, kwh
from energy_trading.clients.registry import (
    ROLE_NAMES,
    SOURCE_NAMES,
    Participant,
    RegistryClient,
    Role,
    Source,
    zone_id,
)
from energy_trading.models.matching import MatchResult

__all__ = [
    "EXTENSIONS",
    "PERIOD_STEPS",
    "Behaviour",
    "ContractSpec",
    "MarketSpec",
    "OfferSpec",
    "ParticipantSpec",
    "PeriodRun",
    "PeriodSpec",
    "ReadingSpec",
    "RequestSpec",
    "RunContext",
    "Scenario",
    "ScenarioError",
    "ScenarioExtension",
    "add_period_step",
    "load_scenario",
    "parse_scenario",
    "register_extension",
    "run_scenario",
    "summary",
    "write_results",
]

WAD = 10**18
SETTLEMENTS = ("honest_supplier", "grid_balanced")
_ROLES = ROLE_NAMES
_SOURCES = SOURCE_NAMES


class ScenarioError(ValueError):
    """The scenario cannot be run as written; the message names the field and what it should hold."""


# ------------------------------------------------------------------ the scenario model


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


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. `raw` keeps the loaded mapping for extensions (grid, certificates, carbon)."""

    name: str
    description: str
    seed: int
    market: MarketSpec
    participants: tuple[ParticipantSpec, ...]
    periods: tuple[PeriodSpec, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def participant(self, pid: str) -> ParticipantSpec:
        """The participant with scenario id `pid`."""
        for p in self.participants:
            if p.id == pid:
                return p
        raise KeyError(pid)

    @property
    def providers(self) -> list[str]:
        """Ids of generators and prosumers, in file order."""
        return [p.id for p in self.participants if p.role is not Role.CONSUMER]


# ------------------------------------------------------------------ parsing and validation


def load_scenario(path: str | Path) -> Scenario:
    """Read a YAML (.yaml/.yml) or JSON scenario file and validate it."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file")
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from None
    return parse_scenario(data, name=path.stem)


def _num(value: Any, where: str, minimum: Decimal | None = Decimal(0), allow_none: bool = False) -> Decimal:
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


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where} must be a mapping of keys to values (got {type(value).__name__})")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScenarioError(f"{where} must be a list (got {type(value).__name__})")
    return value


def _require(item: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in item:
        raise ScenarioError(f"{where} is missing '{key}'")
    return item[key]


def _market(raw: Any) -> MarketSpec:
    m = _mapping(raw or {}, "market")
    settlement = m.get("settlement", "honest_supplier")
    if settlement not in SETTLEMENTS:
        raise ScenarioError(f"market.settlement must be one of {', '.join(SETTLEMENTS)} (got {settlement!r})")
    alpha = _num(m.get("alpha", "0.4"), "market.alpha")
    if alpha > 1:
        raise ScenarioError(f"market.alpha must be in [0, 1] (got {alpha})")
    t = _num(m.get("tokens_per_currency", 1), "market.tokens_per_currency")
    if t == 0:
        raise ScenarioError("market.tokens_per_currency must be > 0")
    sched = _mapping(m.get("schedule") or {}, "market.schedule")
    schedule_fields = {}
    for key in ("publish_s", "matching_s", "signing_s", "readings_s"):
        if key in sched:
            value = _num(sched[key], f"market.schedule.{key}", Decimal(1))
            schedule_fields[key] = int(value)
    unknown = set(sched) - {"publish_s", "matching_s", "signing_s", "readings_s"}
    if unknown:
        raise ScenarioError(f"market.schedule has unknown keys {sorted(unknown)}")
    fees = []
    for i, f in enumerate(_list(m.get("crossing_fees"), "market.crossing_fees")):
        where = f"market.crossing_fees[{i}]"
        f = _mapping(f, where)
        zones = _require(f, "zones", where)
        if not (isinstance(zones, list) and len(zones) == 2 and all(isinstance(z, str) for z in zones)):
            raise ScenarioError(f"{where}.zones must be a list of two zone names")
        fees.append((zones[0], zones[1], _num(_require(f, "fee", where), f"{where}.fee")))
    return MarketSpec(
        settlement=settlement,
        handling_fee=_num(m.get("handling_fee", "0.01"), "market.handling_fee"),
        alpha=alpha,
        tau_kwh=_num(m.get("tau_kwh", "0.2"), "market.tau_kwh"),
        tokens_per_currency=t,
        feed_in_price=_num(m.get("feed_in_price"), "market.feed_in_price", allow_none=True),
        grid_price=_num(m.get("grid_price"), "market.grid_price", allow_none=True),
        grid_fee=_num(m.get("grid_fee"), "market.grid_fee", allow_none=True),
        schedule=Schedule(**schedule_fields),
        crossing_fees=tuple(fees),
        solver_time_limit_s=float(_num(m.get("solver_time_limit_s", 20), "market.solver_time_limit_s")),
        withdraw_each_period=bool(m.get("withdraw_each_period", True)),
    )


def _participants(raw: Any) -> tuple[ParticipantSpec, ...]:
    out: list[ParticipantSpec] = []
    seen: set[str] = set()
    for i, p in enumerate(_list(raw, "participants")):
        where = f"participants[{i}]"
        p = _mapping(p, where)
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
            weight = float(_num(weight, f"{where}.credit_weight"))
            if weight > 100:
                raise ScenarioError(f"{where}.credit_weight must be in [0, 100] (got {weight})")
        out.append(
            ParticipantSpec(pid, role, source, zone, weight, _num(p.get("funds", 1000), f"{where}.funds"))
        )
    return tuple(out)


def _behaviour(raw: Any, where: str) -> Behaviour:
    if isinstance(raw, str):
        raw = {"kind": raw}
    b = _mapping(raw, where)
    kind = b.get("kind", "honest")
    loss = _num(b.get("loss_kwh", 0), f"{where}.loss_kwh")
    if kind == "honest":
        return Behaviour("honest", 1.0, 1.0, loss)
    if kind == "short":
        fraction = float(_num(_require(b, "fraction", where), f"{where}.fraction"))
        if fraction > 1:
            raise ScenarioError(f"{where}.fraction must be in [0, 1] (got {fraction})")
        return Behaviour("short", fraction, fraction, loss)
    if kind == "random":
        rng = _require(b, "range", where)
        if not (isinstance(rng, list) and len(rng) == 2):
            raise ScenarioError(f"{where}.range must be [low, high] fractions of the contracted energy")
        low, high = (float(_num(x, f"{where}.range")) for x in rng)
        if low > high:
            raise ScenarioError(f"{where}.range must have low <= high (got {rng})")
        return Behaviour("random", low, high, loss)
    raise ScenarioError(f"{where}.kind must be honest, short or random (got {kind!r})")


def _period(raw: Mapping[str, Any], where: str, ids: dict[str, ParticipantSpec]) -> PeriodSpec:
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
    for i, o in enumerate(_list(raw.get("offers"), f"{where}.offers")):
        w = f"{where}.offers[{i}]"
        o = _mapping(o, w)
        offers.append(
            OfferSpec(
                who(_require(o, "provider", w), f"{w}.provider", True),
                _num(_require(o, "price", w), f"{w}.price"),
                _num(_require(o, "capacity_kwh", w), f"{w}.capacity_kwh"),
            )
        )
    if len({o.provider for o in offers}) != len(offers):
        raise ScenarioError(f"{where}.offers: a provider publishes one offer per period")
    requests = []
    for i, r in enumerate(_list(raw.get("requests"), f"{where}.requests")):
        w = f"{where}.requests[{i}]"
        r = _mapping(r, w)
        energy = _num(_require(r, "energy_kwh", w), f"{w}.energy_kwh")
        if energy == 0:
            raise ScenarioError(f"{w}.energy_kwh must be > 0")
        requests.append(
            RequestSpec(
                who(_require(r, "consumer", w), f"{w}.consumer", False), energy, _num(r.get("bonus", 0), w)
            )
        )
    contracts = []
    for i, c in enumerate(_list(raw.get("contracts"), f"{where}.contracts")):
        w = f"{where}.contracts[{i}]"
        c = _mapping(c, w)
        seller = who(_require(c, "seller", w), f"{w}.seller", True)
        buyer = who(_require(c, "buyer", w), f"{w}.buyer", False)
        if seller == buyer:
            raise ScenarioError(f"{w}: seller and buyer are both '{seller}'")
        energy = _num(_require(c, "energy_kwh", w), f"{w}.energy_kwh")
        price = _num(_require(c, "price", w), f"{w}.price")
        if energy == 0 or price == 0:
            raise ScenarioError(f"{w}: energy_kwh and price must be > 0")
        contracts.append(ContractSpec(seller, buyer, price, energy, _num(c.get("bonus", 0), f"{w}.bonus")))
    readings = []
    for i, r in enumerate(_list(raw.get("readings"), f"{where}.readings")):
        w = f"{where}.readings[{i}]"
        r = _mapping(r, w)
        readings.append(
            ReadingSpec(
                _num(_require(r, "generated_kwh", w), f"{w}.generated_kwh"),
                _num(_require(r, "consumed_kwh", w), f"{w}.consumed_kwh"),
            )
        )
    if readings and len(readings) != len(contracts):
        raise ScenarioError(
            f"{where}.readings has {len(readings)} entries for {len(contracts)} contracts: give one per "
            "contract, in the same order, or none (then delivery behaviours apply)"
        )
    behaviours = {}
    for pid, b in _mapping(raw.get("behaviours") or {}, f"{where}.behaviours").items():
        behaviours[who(pid, f"{where}.behaviours.{pid}", True)] = _behaviour(b, f"{where}.behaviours.{pid}")
    reject = []
    for i, index in enumerate(_list(raw.get("reject"), f"{where}.reject")):
        if not isinstance(index, int) or not 0 <= index < len(contracts):
            raise ScenarioError(f"{where}.reject[{i}] must be the index of one of the period's contracts")
        reject.append(index)
    return PeriodSpec(
        tuple(offers), tuple(requests), tuple(contracts), tuple(readings), behaviours, tuple(reject), raw
    )


def parse_scenario(data: Any, name: str = "scenario") -> Scenario:
    """Validate a loaded scenario mapping. Raises `ScenarioError` naming the field to fix.

    A period entry may carry `repeat: N` to stand for N identical periods.
    """
    data = _mapping(data, "the scenario")
    known = {
        "name",
        "description",
        "seed",
        "market",
        "participants",
        "periods",
        "certificates",
        "carbon",
        "incentives",
    }
    extra = {k for k in data if k not in known and not str(k).startswith("x_") and k != "paper_tables"}
    if extra:
        raise ScenarioError(f"unknown top-level keys {sorted(extra)}: expected {sorted(known)}")
    market = _market(data.get("market"))
    participants = _participants(data.get("participants"))
    ids = {p.id: p for p in participants}
    periods: list[PeriodSpec] = []
    for i, raw in enumerate(_list(data.get("periods"), "periods")):
        where = f"periods[{i}]"
        raw = _mapping(raw, where)
        repeat = int(_num(raw.get("repeat", 1), f"{where}.repeat", Decimal(1)))
        spec = _period(raw, where, ids)
        periods.extend([spec] * repeat)
    seed = int(_num(data.get("seed", 0), "seed"))
    return Scenario(
        str(data.get("name", name)),
        str(data.get("description", "")),
        seed,
        market,
        participants,
        tuple(periods),
        data,
    )


# ------------------------------------------------------------------ running


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
    match: MatchResult | None = None
    readings: dict[int, tuple[int, int]] = field(default_factory=dict)
    settlements: dict[int, Settlement] = field(default_factory=dict)
    balances_before: dict[str, dict[str, float]] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def orders(self) -> list[int]:
        """Every order of the period, bilateral first."""
        return self.contract_orders + self.matched_orders


@dataclass
class RunContext:
    """Everything a period step or an extension needs."""

    chain: Chain
    d: Deployment
    scenario: Scenario
    market: MarketClient
    registry: RegistryClient
    rng: random.Random
    accounts: dict[str, Participant] = field(default_factory=dict)
    ids_by_address: dict[str, str] = field(default_factory=dict)
    periods: list[PeriodRun] = field(default_factory=list)
    reputation: dict[str, list[float]] = field(default_factory=dict)

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


def _to_tokens(base_units: int) -> float:
    return base_units / WAD


def _open(ctx: RunContext, run: PeriodRun) -> None:
    run.balances_before = _balances(ctx)
    run.period = ctx.market.open_period(ctx.scenario.market.schedule)


def _publish(ctx: RunContext, run: PeriodRun) -> None:
    pid = run.period.id
    for o in run.spec.offers:
        run.offer_ids[o.provider] = ctx.market.publish_offer(
            ctx.address(o.provider), pid, ctx.price(o.price), kwh(o.capacity_kwh)
        )
    for r in run.spec.requests:
        run.request_ids.append(
            ctx.market.publish_request(ctx.address(r.consumer), pid, kwh(r.energy_kwh), ctx.tokens(r.bonus))
        )


def _contracts(ctx: RunContext, run: PeriodRun) -> None:
    for c in run.spec.contracts:
        oid = ctx.market.propose(
            ctx.address(c.seller), run.period.id, ctx.address(c.buyer), kwh(c.energy_kwh), ctx.price(c.price)
        )
        ctx.market.accept(ctx.address(c.buyer), oid, ctx.tokens(c.bonus))
        run.contract_orders.append(oid)


def _match_and_materialize(ctx: RunContext, run: PeriodRun) -> None:
    ctx.market.advance_to(run.period, "matching")
    if run.spec.offers and run.request_ids:
        run.match = ctx.market.solve(run.period.id, ctx.scenario.market.solver_time_limit_s)
        pairs = ctx.market.pairs_of(run.match)
        if pairs:
            ctx.market.submit(ctx.solver, run.period.id, pairs)
        ctx.market.advance_to(run.period, "signing")
        if pairs:
            run.matched_orders = ctx.market.materialize(ctx.solver, run.period.id, pairs)
    else:
        ctx.market.advance_to(run.period, "signing")


def _audit(ctx: RunContext, run: PeriodRun) -> None:
    rejected = {run.contract_orders[i] for i in run.spec.reject}
    for oid in run.orders:
        if oid in rejected:
            ctx.market.reject(oid, "scenario")
        else:
            ctx.market.approve(oid)


def _sign(ctx: RunContext, run: PeriodRun) -> None:
    for oid in run.orders:
        o = ctx.market.order(oid)
        if o.status is not OrderStatus.APPROVED:
            continue
        for party, deposit in ((o.buyer, o.buyer_deposit), (o.seller, o.seller_deposit)):
            if deposit or party == o.buyer:
                ctx.market.sign(party, oid)
            if ctx.market.order(oid).status is OrderStatus.ACTIVE:
                break


def _deliver(ctx: RunContext, run: PeriodRun) -> None:
    explicit = dict(zip(run.contract_orders, run.spec.readings, strict=False))
    for oid in run.orders:
        o = ctx.market.order(oid)
        if o.status is not OrderStatus.ACTIVE:
            continue
        if oid in explicit:
            rho, gamma = kwh(explicit[oid].generated_kwh), kwh(explicit[oid].consumed_kwh)
        else:
            seller_id = ctx.ids_by_address[o.seller]
            b = run.spec.behaviours.get(seller_id, Behaviour("honest"))
            rho = int(o.energy_wh * b.delivered_fraction(ctx.rng))
            gamma = max(rho - kwh(b.loss_kwh), 0)
        run.readings[oid] = (rho, gamma)
        for side, party, energy in ((Side.SELLER, o.seller, rho), (Side.BUYER, o.buyer, gamma)):
            if energy > 0:  # a missing reading counts as 0 Wh
                meter = ctx.accounts[ctx.ids_by_address[party]].meters[0]
                ctx.market.submit_reading(oid, side, energy, meter, relayer=ctx.relayer)


def _settle(ctx: RunContext, run: PeriodRun) -> None:
    ctx.market.advance_to(run.period, "settlement")
    for oid in run.orders:
        if ctx.market.order(oid).status is OrderStatus.ACTIVE:
            run.settlements[oid] = ctx.market.settle(ctx.relayer, oid)


def _reputation(ctx: RunContext, run: PeriodRun) -> None:
    traded = {ctx.ids_by_address[ctx.market.order(oid).seller] for oid in run.settlements}
    for pid in ctx.scenario.providers:
        if pid in traded:
            ctx.market.fold(ctx.address(pid), ctx.relayer)
        ctx.reputation.setdefault(pid, []).append(ctx.market.reputation_of(ctx.address(pid)) / WAD)


def _withdraw(ctx: RunContext, run: PeriodRun) -> None:
    if not ctx.scenario.market.withdraw_each_period:
        return
    for p in ctx.scenario.participants:
        if ctx.market.withdrawable(ctx.address(p.id)):
            ctx.market.withdraw(ctx.address(p.id))
    if ctx.market.withdrawable(ctx.d.operator):
        ctx.market.withdraw(ctx.d.operator)


def _report(ctx: RunContext, run: PeriodRun) -> None:
    orders = []
    for oid in run.orders:
        o = ctx.market.order(oid)
        s = run.settlements.get(oid)
        rho, gamma = run.readings.get(oid, (0, 0))
        orders.append(
            {
                "id": oid,
                "origin": o.origin.name.lower(),
                "status": o.status.name.lower(),
                "seller": ctx.ids_by_address[o.seller],
                "buyer": ctx.ids_by_address[o.buyer],
                "request_id": o.request_id or None,
                "energy_kwh": o.energy_wh / 1000,
                "price": _to_tokens(o.price_per_kwh),
                "bonus": _to_tokens(o.bonus),
                "escrow": _to_tokens(o.buyer_deposit + o.seller_deposit + o.fee) if s else 0.0,
                "readings": {"delivered_kwh": o.delivered_wh / 1000, "received_kwh": o.received_wh / 1000},
                "planned_readings": {"delivered_kwh": rho / 1000, "received_kwh": gamma / 1000},
                "payouts": None
                if s is None
                else {
                    "to_seller": _to_tokens(s.to_seller),
                    "to_buyer": _to_tokens(s.to_buyer),
                    "to_grid": _to_tokens(s.to_grid),
                    "to_pool": _to_tokens(s.to_pool),
                },
                "reward": _to_tokens(s.reward) if s else 0.0,
                "penalty": _to_tokens(s.seller_penalty + s.buyer_penalty) if s else 0.0,
                "fee": _to_tokens(s.fee) if s else 0.0,
            }
        )
    m = run.match
    run.result = {
        "period": run.period.id,
        "orders": orders,
        "matching": None
        if m is None
        else {
            "assignment": {str(k): v for k, v in m.assignment.items()},
            "objective": m.objective,
            "served_kwh": m.served_wh / 1000,
            "unserved_requests": m.unserved,
            "optimal": m.optimal,
            "gap": m.gap,
            "solve_time_s": round(m.solve_time_s, 4),
            "on_chain_best": ctx.market.best(run.period.id)["objective_wad"] / WAD,
        },
        "balances_before": run.balances_before,
        "balances_after": _balances(ctx),
        "reputation": {pid: series[-1] for pid, series in ctx.reputation.items()},
    }


#: The steps applied to every period, in order. Other settlement engineers insert or replace steps here.
PERIOD_STEPS: list[tuple[str, Step]] = [
    ("open", _open),
    ("publish", _publish),
    ("contracts", _contracts),
    ("match", _match_and_materialize),
    ("audit", _audit),
    ("sign", _sign),
    ("deliver", _deliver),
    ("settle", _settle),
    ("reputation", _reputation),
    ("withdraw", _withdraw),
    ("report", _report),
]


def add_period_step(name: str, step: Step, after: str | None = None, replace: bool = False) -> None:
    """Insert `step` named `name` after the step `after` (default: before "report"), or replace a step."""
    names = [n for n, _ in PERIOD_STEPS]
    if replace:
        PERIOD_STEPS[names.index(name)] = (name, step)
        return
    at = names.index(after) + 1 if after else names.index("report")
    PERIOD_STEPS.insert(at, (name, step))


def _balances(ctx: RunContext) -> dict[str, dict[str, float]]:
    return {
        p.id: {
            "tokens": _to_tokens(ctx.market.balance(ctx.address(p.id))),
            "withdrawable": _to_tokens(ctx.market.withdrawable(ctx.address(p.id))),
        }
        for p in ctx.scenario.participants
    }


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


def _grid_applies(raw: Mapping[str, Any]) -> bool:
    return (raw.get("market") or {}).get("settlement") == "grid_balanced"


def _grid_run(ctx: RunContext, raw: Mapping[str, Any]) -> dict[str, Any]:
    from energy_trading.scenarios.grid import parse_grid_scenario, run_grid_scenario

    return run_grid_scenario(ctx.chain, ctx.d, parse_grid_scenario(raw, ctx.scenario.name))


def _grid_plot(section: Mapping[str, Any], out: Path) -> list[Path]:
    from energy_trading.scenarios.grid import plot_credit_weights

    return [plot_credit_weights(section, out / "credit_weights.png")]


def _grid_summary(section: Mapping[str, Any]) -> str:
    from energy_trading.scenarios.grid import grid_summary

    return grid_summary(section)


def _certificates_applies(raw: Mapping[str, Any]) -> bool:
    return "certificates" in raw or "carbon" in raw


def _certificates_run(ctx: RunContext, raw: Mapping[str, Any]) -> dict[str, Any]:
    from energy_trading.scenarios.certificates import (
        parse_certificate_scenario,
        run_certificate_scenario,
        take_market_run,
    )

    scenario = parse_certificate_scenario(raw, ctx.scenario.name)
    market_run = take_market_run(ctx)  # rounds already played inside the period loop (from_market)
    return run_certificate_scenario(
        ctx.chain, ctx.d, scenario, participants=ctx.accounts, market_run=market_run
    )


def _certificates_period(ctx: RunContext, run: PeriodRun) -> None:
    from energy_trading.scenarios.certificates import certify_market_period

    certify_market_period(ctx, run)


def _certificates_plot(section: Mapping[str, Any], out: Path) -> list[Path]:
    from energy_trading.scenarios.certificates import plot_certificate_weights

    return [plot_certificate_weights(section, out / "certificate_weights.png")]


def _certificates_summary(section: Mapping[str, Any]) -> str:
    from energy_trading.scenarios.certificates import certificate_summary

    return certificate_summary(section)


#: Scenario features handled by other modules; see `ScenarioExtension`.
EXTENSIONS: list[ScenarioExtension] = [
    ScenarioExtension(
        "grid", _grid_applies, _grid_run, replaces_market=True, plot=_grid_plot, summary=_grid_summary
    ),
    ScenarioExtension(
        "certificates",
        _certificates_applies,
        _certificates_run,
        plot=_certificates_plot,
        summary=_certificates_summary,
    ),
]


#: Certificates from the market's meter readings (`certificates.from_market`): a round per settled period.
add_period_step("certificates", _certificates_period, after="settle")


def register_extension(extension: ScenarioExtension) -> None:
    """Add (or replace, by name) a scenario extension."""
    EXTENSIONS[:] = [e for e in EXTENSIONS if e.name != extension.name] + [extension]


def _incentives_open(ctx: RunContext, run: PeriodRun) -> None:
    if "incentives" in ctx.scenario.raw:
        from energy_trading.scenarios.incentives import before_open

        before_open(ctx, run)  # tariff once; clock to the requested delivery hour
    _open(ctx, run)


def _incentives_period(ctx: RunContext, run: PeriodRun) -> None:
    if "incentives" in ctx.scenario.raw:
        from energy_trading.scenarios.incentives import after_settle

        after_settle(ctx, run)


def _incentives_run(ctx: RunContext, raw: Mapping[str, Any]) -> dict[str, Any]:
    from energy_trading.scenarios.incentives import run_section

    return run_section(ctx, raw)


def _incentives_plot(section: Mapping[str, Any], out: Path) -> list[Path]:
    from energy_trading.scenarios.incentives import plot_section

    return plot_section(section, out)


def _incentives_summary(section: Mapping[str, Any]) -> str:
    from energy_trading.scenarios.incentives import incentives_summary

    return incentives_summary(section)


#: Seed 004 §3.4's incentive currency (`incentives:`): lots per settled purchase, fee spends, block rewards.
add_period_step("open", _incentives_open, replace=True)
add_period_step("incentives", _incentives_period, after="settle")
register_extension(
    ScenarioExtension(
        "incentives",
        lambda raw: "incentives" in raw,
        _incentives_run,
        plot=_incentives_plot,
        summary=_incentives_summary,
    )
)


def _register_participants(ctx: RunContext) -> None:
    m = ctx.market
    for p in ctx.scenario.participants:
        who = ctx.registry.register(p.id, p.role, p.source, zone=p.zone)
        ctx.registry.approve(who.address)
        ctx.accounts[p.id] = who
        ctx.ids_by_address[who.address] = p.id
        if p.funds > 0:
            m.fund(who.address, ctx.tokens(p.funds))
        if p.role is not Role.GENERATOR:
            # one standing allowance instead of an approval per order
            m.allow(who.address, 2**255)
    for zone_a, zone_b, fee in ctx.scenario.market.crossing_fees:
        m.set_crossing_fee(zone_id(zone_a), zone_id(zone_b), ctx.price(fee))


def market_params(spec: MarketSpec) -> MarketParams:
    """The deployment parameters a scenario's market section asks for."""
    return MarketParams(
        tokens_per_currency_wad=int(spec.tokens_per_currency * WAD),
        alpha_wad=int(spec.alpha * WAD),
        handling_fee=int(spec.handling_fee * WAD),
        tau_wh=kwh(spec.tau_kwh),
    )


def run_scenario(
    scenario: Scenario,
    rpc_url: str | None = None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    chain: Chain | None = None,
) -> dict[str, Any]:
    """Deploy fresh contracts and play `scenario`; return the results (JSON-ready), read back from the chain.

    `progress(iterable, description)` wraps the period loop (e.g. a tqdm bar).
    """
    chain = chain or connect(rpc_url, seed=f"scenario:{scenario.name}")
    if not chain.in_process:
        chain.w3.provider.cache_allowed_requests = True  # eth_chainId once, not on every transaction
    log = chain.start_tx_log()
    d = deploy(chain, market=market_params(scenario.market))
    ctx = RunContext(chain, d, scenario, MarketClient(d), RegistryClient(d), random.Random(scenario.seed))
    results: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.description,
        "settlement": scenario.market.settlement,
        "contracts": d.addresses(),
    }
    extensions = [e for e in EXTENSIONS if e.applies(scenario.raw)]
    replaced = any(e.replaces_market for e in extensions)
    if not replaced:
        _register_participants(ctx)
        periods = list(enumerate(scenario.periods, start=1))
        for index, spec in progress(periods, "periods") if progress else periods:
            run = PeriodRun(index, spec)
            ctx.periods.append(run)
            for _, step in PERIOD_STEPS:
                step(ctx, run)
        results["periods"] = [run.result for run in ctx.periods]
        results["reputation_by_period"] = ctx.reputation
        totals = ctx.market.totals()
        results["conservation"] = {
            "order_book_holds": _to_tokens(totals["held"]),
            "escrowed": _to_tokens(totals["escrowed"]),
            "withdrawable": _to_tokens(totals["withdrawable"]),
            "holds_equals_escrowed_plus_withdrawable": totals["held"]
            == totals["escrowed"] + totals["withdrawable"],
        }
    for e in extensions:
        results[e.name] = e.run(ctx, scenario.raw)
        # the consensus emulator reads node weights at the top level of results.json
        for key in ("node_weights", "node_weights_by_round"):
            if key in results[e.name]:
                results.setdefault(key, results[e.name][key])
    results["transactions"] = [{"time_s": round(r.time_s, 6), "size_bytes": r.size_bytes} for r in log]
    results["gas_used"] = sum(r.gas_used for r in log)
    return results


def write_results(scenario: Scenario, results: Mapping[str, Any], out_dir: str | Path) -> list[Path]:
    """Write `results.json` and the plots into `out_dir`; return the paths written."""
    from energy_trading.scenarios.plots import plot_reputation

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "results.json"]
    written[0].write_text(json.dumps(results, indent=2, default=str))
    if results.get("reputation_by_period"):
        written.append(
            plot_reputation(
                results["reputation_by_period"], out / "reputation.png", title=scenario.description
            )
        )
    for e in EXTENSIONS:
        if e.name in results and e.plot is not None:
            written += e.plot(results[e.name], out)
    return written


def summary(results: Mapping[str, Any]) -> str:
    """A table for people: per period the orders, energy, escrow and payouts; then reputation per provider."""
    lines = [f"scenario {results.get('scenario')}: {results.get('description', '')}".rstrip(": ")]
    periods = results.get("periods") or []
    if periods:
        lines.append(
            f"{'period':>6} {'orders':>6} {'settled':>7} {'rejected':>8} {'energy kWh':>10} {'escrow':>9} "
            f"{'to sellers':>10} {'refunds':>9} {'rewards':>8} {'penalties':>9} {'fees':>6}"
        )
        for p in periods:
            orders = p["orders"]
            settled = [o for o in orders if o["payouts"]]
            lines.append(
                f"{p['period']:>6} {len(orders):>6} {len(settled):>7} "
                f"{sum(o['status'] == 'rejected' for o in orders):>8} "
                f"{sum(o['energy_kwh'] for o in settled):>10.1f} {sum(o['escrow'] for o in settled):>9.3f} "
                f"{sum(o['payouts']['to_seller'] for o in settled):>10.3f} "
                f"{sum(o['payouts']['to_buyer'] for o in settled):>9.3f} "
                f"{sum(o['reward'] for o in settled):>8.3f} {sum(o['penalty'] for o in settled):>9.3f} "
                f"{sum(o['fee'] for o in settled):>6.2f}"
            )
    reputation = results.get("reputation_by_period") or {}
    if reputation:
        lines.append("reputation RC_j after each period (seed 003 eq 1-2):")
        for pid, series in reputation.items():
            lines.append(f"  provider {pid:>10}: " + " ".join(f"{v:.3f}" for v in series))
    conservation = results.get("conservation")
    if conservation:
        ok = conservation["holds_equals_escrowed_plus_withdrawable"]
        lines.append(
            f"conservation: order book holds {conservation['order_book_holds']:.6f} = escrowed "
            f"{conservation['escrowed']:.6f} + withdrawable {conservation['withdrawable']:.6f} -> "
            f"{'OK' if ok else 'VIOLATED'}"
        )
    for e in EXTENSIONS:
        if e.name in results:
            lines.append(
                e.summary(results[e.name]) if e.summary else f"{e.name}: see results.json['{e.name}']"
            )
    lines.append(
        f"transactions: {len(results.get('transactions', []))}, gas used {results.get('gas_used', 0):,}"
    )
    return "\n".join(lines)
