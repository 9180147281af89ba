"""The grid-balanced part of a scenario file (seed 001 §4-5): `market.settlement: grid_balanced`.

`parse_grid_scenario` validates the market's S, B, G (`feed_in_price`, `grid_price`, `grid_fee`; optional
`decay_every`, `decay_delta`, `max_reading_factor`), the participants (`id`, `role`, `renewable`,
`credit_weight`) and per period the contracts with one reading each, into a `GridScenario`; errors
(`GridScenarioError`) name the offending key and what it should hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from energy_trading.chain.deploy import GridParams
from energy_trading.models.grid_settlement import Delivery, GridPrices, q
from energy_trading.models.roles import Role
from energy_trading.models.units import to_wh
from energy_trading.models.weights import WeightParams

__all__ = [
    "GRID_SETTLEMENT",
    "GridParticipant",
    "GridPeriod",
    "GridScenario",
    "GridScenarioError",
    "is_grid_scenario",
    "parse_grid_scenario",
]

GRID_SETTLEMENT = "grid_balanced"
_ROLES = {"generator": Role.GENERATOR, "consumer": Role.CONSUMER, "prosumer": Role.PROSUMER}


class GridScenarioError(ValueError):
    """The scenario cannot be run as written; the message says what to change."""


@dataclass(frozen=True)
class GridParticipant:
    """A node: `id` as the scenario names it, its role, whether it generates from renewables, W_a(0)."""

    id: str
    role: Role
    renewable: bool
    credit_weight: Fraction | None


@dataclass(frozen=True)
class GridPeriod:
    """One trading period (= one settlement round)."""

    contracts: tuple[Delivery, ...]


@dataclass(frozen=True)
class GridScenario:
    """A parsed grid-balanced scenario."""

    name: str
    params: GridParams
    participants: tuple[GridParticipant, ...]
    periods: tuple[GridPeriod, ...]
    paper_tables: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


def is_grid_scenario(data: Mapping[str, Any]) -> bool:
    """Whether a loaded scenario asks for grid-balanced settlement."""
    market = data.get("market") or {}
    return isinstance(market, Mapping) and market.get("settlement") == GRID_SETTLEMENT


def _number(value: Any, where: str, minimum: Fraction | None = Fraction(0)) -> Fraction:
    if isinstance(value, bool) or value is None:
        raise GridScenarioError(f"{where}: expected a number, got {value!r}")
    try:
        number = q(value if not isinstance(value, float) else repr(value))
    except (ValueError, TypeError, ZeroDivisionError):
        raise GridScenarioError(f"{where}: expected a number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise GridScenarioError(f"{where}: must be >= {minimum}, got {value!r}")
    return number


def _params(market: Mapping[str, Any]) -> GridParams:
    missing = [k for k in ("feed_in_price", "grid_price", "grid_fee") if k not in market]
    if missing:
        raise GridScenarioError(
            f"market: a grid_balanced market needs {', '.join(missing)} "
            "(tokens per kWh: S, B, G of seed 001 §4.3)"
        )
    prices = GridPrices(
        _number(market["feed_in_price"], "market.feed_in_price"),
        _number(market["grid_price"], "market.grid_price"),
        _number(market["grid_fee"], "market.grid_fee"),
    )
    defaults = WeightParams()
    decay_every = market.get("decay_every", defaults.decay_every)
    if not isinstance(decay_every, int) or decay_every < 0:
        raise GridScenarioError(
            f"market.decay_every: expected a whole number of rounds >= 0, got {decay_every!r}"
        )
    factor = market.get("max_reading_factor", 10)
    if not isinstance(factor, int) or factor < 1:
        raise GridScenarioError(f"market.max_reading_factor: expected a whole number >= 1, got {factor!r}")
    weights = WeightParams(
        decay_every=decay_every,
        delta=_number(market.get("decay_delta", defaults.delta), "market.decay_delta"),
    )
    return GridParams(prices=prices, max_reading_factor=factor, weights=weights)


def parse_grid_scenario(data: Mapping[str, Any], name: str = "scenario") -> GridScenario:
    """Validate a loaded scenario (a YAML/JSON mapping) and return it typed.

    Raises `GridScenarioError` naming the offending key and what it should hold.
    """
    if not is_grid_scenario(data):
        raise GridScenarioError(f'market.settlement must be "{GRID_SETTLEMENT}" for a grid-balanced scenario')
    params = _params(data["market"])
    participants: list[GridParticipant] = []
    seen: set[str] = set()
    for i, p in enumerate(data.get("participants") or []):
        where = f"participants[{i}]"
        if not isinstance(p, Mapping) or "id" not in p:
            raise GridScenarioError(f"{where}: each participant needs an id")
        pid = str(p["id"])
        if pid in seen:
            raise GridScenarioError(f"{where}: participant id {pid!r} is used twice")
        seen.add(pid)
        role = _ROLES.get(str(p.get("role", "")).lower())
        if role is None:
            raise GridScenarioError(
                f"{where}: role must be one of {', '.join(_ROLES)}, got {p.get('role')!r}"
            )
        weight = p.get("credit_weight")
        w = None if weight is None else _number(weight, f"{where}.credit_weight")
        if w is not None and w > 100:
            raise GridScenarioError(f"{where}.credit_weight: must lie in 0..100, got {weight!r}")
        participants.append(GridParticipant(pid, role, bool(p.get("renewable", False)), w))
    if not participants:
        raise GridScenarioError("participants: a scenario needs at least two participants")
    roles = {p.id: p.role for p in participants}
    periods: list[GridPeriod] = []
    for k, period in enumerate(data.get("periods") or []):
        repeat = period.get("repeat", 1)  # as the market's periods: one entry stands for `repeat` periods
        where = f"periods[{k}]"
        contracts = period.get("contracts") or []
        readings = period.get("readings") or []
        if len(readings) != len(contracts):
            raise GridScenarioError(
                f"{where}: {len(contracts)} contracts but {len(readings)} readings; "
                "list one {generated_kwh, consumed_kwh} per contract, in the same order"
            )
        out = []
        for j, (c, r) in enumerate(zip(contracts, readings, strict=True)):
            at = f"{where}.contracts[{j}]"
            seller, buyer = str(c.get("seller")), str(c.get("buyer"))
            for who, side in ((seller, "seller"), (buyer, "buyer")):
                if who not in roles:
                    raise GridScenarioError(f"{at}.{side}: {who!r} is not a participant id")
            if roles[seller] == Role.CONSUMER:
                raise GridScenarioError(f"{at}.seller: {seller!r} is a consumer and cannot sell")
            if roles[buyer] == Role.GENERATOR:
                raise GridScenarioError(f"{at}.buyer: {buyer!r} is a generator and cannot buy")
            if seller == buyer:
                raise GridScenarioError(f"{at}: seller and buyer are both {seller!r}")
            energy = _number(c.get("energy_kwh"), f"{at}.energy_kwh")
            if energy == 0:
                raise GridScenarioError(f"{at}.energy_kwh: must be > 0")
            contract = Delivery(
                seller,
                buyer,
                _number(c.get("price"), f"{at}.price"),
                energy,
                _number(r.get("generated_kwh"), f"{where}.readings[{j}].generated_kwh"),
                _number(r.get("consumed_kwh"), f"{where}.readings[{j}].consumed_kwh"),
            )
            for value, what in (
                (contract.energy_kwh, "energy_kwh"),
                (contract.generated_kwh, "generated_kwh"),
            ):
                try:
                    to_wh(value)
                except ValueError as exc:
                    raise GridScenarioError(f"{at}.{what}: {exc}") from None
            if contract.price == 0:
                raise GridScenarioError(f"{at}.price: must be > 0")
            out.append(contract)
        if not out:
            raise GridScenarioError(f"{where}: a period needs at least one contract")
        periods.extend([GridPeriod(tuple(out))] * repeat)
    if not periods:
        raise GridScenarioError("periods: a scenario needs at least one period")
    return GridScenario(
        name=str(data.get("name", name)),
        params=params,
        participants=tuple(participants),
        periods=tuple(periods),
        paper_tables=data.get("paper_tables"),
        raw=data,
    )
