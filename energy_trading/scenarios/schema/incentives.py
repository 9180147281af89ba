"""The `incentives:` part of a scenario file (seed 004 §3.4): `parse_incentives` turns the section into an
`IncentiveSpec` (incentive base units, WAD rates, seconds); errors (`IncentiveScenarioError`) name the field.
The section runs in `energy_trading.scenarios.incentives`; the key-level schema is `schema.file`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from energy_trading.clients.incentives import default_tariff
from energy_trading.models.incentives import DAY, UNIT, WAD, Band, IncentiveError, Tariff

__all__ = ["IncentiveScenarioError", "IncentiveSpec", "parse_incentives"]


class IncentiveScenarioError(ValueError):
    """The `incentives:` section is invalid; the message names the field to fix."""


@dataclass(frozen=True)
class IncentiveSpec:
    """A validated `incentives:` section (units: incentive base units, WAD rates, seconds)."""

    tariff: Tariff
    fee_rate: int = WAD // 1_000
    redeem_rate: int = WAD // 2_000
    block_rewards_per_period: int = 1
    spend_on_fees: bool = True
    delivery_hours: tuple[int, ...] = ()


def _dec(value: Any, where: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise IncentiveScenarioError(f"{where}: {value!r} is not a number") from None
    if d < 0:
        raise IncentiveScenarioError(f"{where}: must be >= 0, got {value}")
    return d


def _hour(value: Any, where: str) -> int:
    if not isinstance(value, int) or not 0 <= value <= 23:
        raise IncentiveScenarioError(f"{where}: a UTC hour 0..23, got {value!r}")
    return value


def parse_incentives(raw: Any) -> IncentiveSpec:
    """Validate a scenario's `incentives:` mapping; raises `IncentiveScenarioError` naming the field."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise IncentiveScenarioError("incentives: must be a mapping")
    known = {
        "tariff",
        "fee_rate",
        "redeem_rate",
        "block_rewards_per_period",
        "spend_on_fees",
        "delivery_hours",
    }
    extra = sorted(set(raw) - known)
    if extra:
        raise IncentiveScenarioError(f"incentives: unknown keys {extra}, expected {sorted(known)}")
    tariff = default_tariff()
    if "tariff" in raw:
        bands_raw = (raw["tariff"] or {}).get("bands") if isinstance(raw["tariff"], Mapping) else None
        if not isinstance(bands_raw, list):
            raise IncentiveScenarioError("incentives.tariff.bands: a list of bands is required")
        bands, hours = [], {}
        for i, b in enumerate(bands_raw):
            where = f"incentives.tariff.bands[{i}]"
            if not isinstance(b, Mapping):
                raise IncentiveScenarioError(f"{where}: must be a mapping")
            rate = _dec(b.get("incentive_per_kwh", 0), f"{where}.incentive_per_kwh")
            life = _dec(b.get("life_days", 0), f"{where}.life_days")
            bands.append(Band(int(rate * UNIT), int(life * DAY)))
            hours[i + 1] = [_hour(h, f"{where}.hours[{k}]") for k, h in enumerate(b.get("hours") or [])]
        try:
            tariff = Tariff.from_hours(bands, hours)
        except IncentiveError as exc:
            raise IncentiveScenarioError(f"incentives.{exc}") from None
    fee_rate = int(_dec(raw.get("fee_rate", Decimal("0.001")), "incentives.fee_rate") * WAD)
    if fee_rate == 0:
        raise IncentiveScenarioError("incentives.fee_rate: must be positive")
    rewards = raw.get("block_rewards_per_period", 1)
    if not isinstance(rewards, int) or rewards < 0:
        raise IncentiveScenarioError(f"incentives.block_rewards_per_period: a count >= 0, got {rewards!r}")
    hours_raw = raw.get("delivery_hours") or []
    if not isinstance(hours_raw, list):
        raise IncentiveScenarioError("incentives.delivery_hours: a list of UTC hours")
    return IncentiveSpec(
        tariff=tariff,
        fee_rate=fee_rate,
        redeem_rate=int(_dec(raw.get("redeem_rate", Decimal("0.0005")), "incentives.redeem_rate") * WAD),
        block_rewards_per_period=rewards,
        spend_on_fees=bool(raw.get("spend_on_fees", True)),
        delivery_hours=tuple(_hour(h, f"incentives.delivery_hours[{i}]") for i, h in enumerate(hours_raw)),
    )
