"""The time-stamped incentive currency of seed 004 §3.4 (SPEC §8), as pure arithmetic (no chain).

The differential-test oracle of `contracts/incentives/IncentiveCurrency.sol`: the tariff (UTC hour -> band ->
incentive per kWh and operating life), vintage ids and their lifetimes, the purchase incentive of a settled
order, the oldest-first fee spend, redemption, and a ledger of holdings per vintage over time (what the demo
plots).

Units: energy in Wh; incentive amounts in base units with 18 decimals (``UNIT`` = one incentive unit);
EnergyToken amounts in base units; rates in WAD (EnergyToken base units per ``UNIT`` incentive units);
times in unix seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CREATOR_BAND",
    "DAY",
    "HOUR",
    "MAX_BANDS",
    "MAX_LIFE_S",
    "UNIT",
    "WAD",
    "Band",
    "FeeSpend",
    "IncentiveError",
    "IncentiveLedger",
    "Tariff",
    "fee_spend",
    "purchase_incentive",
    "redeem_value",
    "vintage_id",
    "vintage_start",
]

WAD = 10**18
UNIT = 10**18
HOUR = 3_600
DAY = 86_400
WH_PER_KWH = 1_000
MAX_BANDS = 8
CREATOR_BAND = 0
MAX_LIFE_S = 100 * 365 * DAY


class IncentiveError(ValueError):
    """An incentive rule refused an input; the message names the field and what to change."""


@dataclass(frozen=True)
class Band:
    """One time-of-use band: `incentive_per_kwh` incentive base units per kWh, `life_s` operating life (s)."""

    incentive_per_kwh: int
    life_s: int


@dataclass(frozen=True)
class Tariff:
    """The operator's tariff: the band (1..len(bands), 0 = not incentivised) of each UTC hour, and the
    terms of bands 1..n."""

    hour_bands: tuple[int, ...]
    bands: tuple[Band, ...]

    def __post_init__(self) -> None:
        if len(self.hour_bands) != 24:
            raise IncentiveError(f"tariff.hours: need 24 hour entries, got {len(self.hour_bands)}")
        if not 1 <= len(self.bands) <= MAX_BANDS:
            raise IncentiveError(f"tariff.bands: need 1..{MAX_BANDS} bands, got {len(self.bands)}")
        for hour, band in enumerate(self.hour_bands):
            if not 0 <= band <= len(self.bands):
                raise IncentiveError(f"tariff.hours[{hour}]: band {band} is not 0..{len(self.bands)}")
        for i, b in enumerate(self.bands):
            if not 0 < b.life_s <= MAX_LIFE_S:
                raise IncentiveError(f"tariff.bands[{i}].life: must be 1 s..100 years, got {b.life_s} s")
            if b.incentive_per_kwh < 0:
                raise IncentiveError(f"tariff.bands[{i}].incentive_per_kwh: must be >= 0")

    def band_at(self, timestamp: int) -> int:
        """The band of the UTC hour `timestamp` (unix seconds) falls in."""
        return self.hour_bands[(timestamp % DAY) // HOUR]

    def terms(self, band: int) -> Band:
        """The terms of band `band` (zero terms for band 0, not incentivised)."""
        return self.bands[band - 1] if band else Band(0, 0)

    def as_args(self) -> tuple[list[int], list[tuple[int, int]]]:
        """The `setTariff(uint8[24], Band[])` arguments."""
        return list(self.hour_bands), [(b.incentive_per_kwh, b.life_s) for b in self.bands]

    @classmethod
    def from_hours(cls, bands: Sequence[Band], hours: Mapping[int, Iterable[int]]) -> Tariff:
        """Build from `{band number: hours}`; hours not listed are not incentivised (band 0)."""
        table = [0] * 24
        for band, band_hours in hours.items():
            for h in band_hours:
                if not 0 <= h < 24:
                    raise IncentiveError(f"tariff.hours: hour {h} of band {band} is not 0..23")
                table[h] = band
        return cls(tuple(table), tuple(bands))


def vintage_start(timestamp: int, vintage_seconds: int) -> int:
    """The start of the issuance time bucket of `timestamp` (the vintage's time stamp)."""
    return timestamp // vintage_seconds * vintage_seconds


def vintage_id(timestamp: int, band: int, version: int, vintage_seconds: int) -> int:
    """The ERC-1155 id of (bucket of `timestamp`, band, tariff version); ids sort by issuance time."""
    return (timestamp // vintage_seconds) << 72 | version << 8 | band


def purchase_incentive(
    contracted_wh: int, delivered_wh: int, received_wh: int, incentive_per_kwh: int
) -> int:
    """Incentive units for a settled purchase: the Wh both meters agree on (capped at the contract) times
    the band's rate per kWh, rounded down."""
    purchased = min(contracted_wh, delivered_wh, received_wh)
    return purchased * incentive_per_kwh // WH_PER_KWH


def redeem_value(units: int, redeem_rate: int) -> int:
    """EnergyToken base units paid for `units` incentive units at `redeem_rate` (WAD), rounded down."""
    return units * redeem_rate // WAD


@dataclass(frozen=True)
class FeeSpend:
    """How a fee is paid from lots: units burned per vintage id and the rebate in EnergyToken base units."""

    units: dict[int, int]
    rebate: int

    @property
    def total_units(self) -> int:
        return sum(self.units.values())


def fee_spend(fee: int, fee_rate: int, holdings: Iterable[tuple[int, int]]) -> FeeSpend:
    """Spend lots oldest first (ascending vintage id) towards `fee` at `fee_rate` (WAD), as the contract does:
    each vintage gives the units still needed, rounded up (the holder pays the rounding); the rebate for
    them is rounded down and never exceeds the fee. `holdings` are (vintage id, balance) pairs."""
    if fee_rate <= 0:
        raise IncentiveError("rates.fee_rate: must be positive")
    remaining, spent = fee, {}
    for vid, balance in sorted(holdings):
        if remaining == 0:
            break
        needed = -(-remaining * WAD // fee_rate)
        take = min(balance, needed)
        if take:
            remaining -= min(remaining, take * fee_rate // WAD)
            spent[vid] = take
    return FeeSpend(spent, fee - remaining)


@dataclass
class IncentiveLedger:
    """Holdings per (holder, vintage) with each vintage's expiry, and the sample history the demo plots."""

    expiry: dict[int, int] = field(default_factory=dict)
    start: dict[int, int] = field(default_factory=dict)
    held: dict[tuple[str, int], int] = field(default_factory=dict)
    history: list[tuple[int, dict[int, int]]] = field(default_factory=list)

    def add_vintage(self, vid: int, start: int, expires_at: int) -> None:
        self.start.setdefault(vid, start)
        self.expiry.setdefault(vid, expires_at)

    def credit(self, holder: str, vid: int, units: int) -> None:
        """Add (or with a negative `units`, remove) lots; refuses to overdraw."""
        key = (holder, vid)
        value = self.held.get(key, 0) + units
        if value < 0:
            raise IncentiveError(f"holdings[{holder}][{vid}]: would go negative ({value})")
        self.held[key] = value

    def live(self, holder: str, now: int) -> list[tuple[int, int]]:
        """(vintage id, balance) of `holder`'s unexpired lots at `now`, oldest first."""
        return sorted(
            (vid, units)
            for (h, vid), units in self.held.items()
            if h == holder and units > 0 and now < self.expiry[vid]
        )

    def by_vintage(self, holder: str) -> dict[int, int]:
        return {vid: units for (h, vid), units in self.held.items() if h == holder and units > 0}

    def sample(self, holder: str, now: int) -> None:
        """Record `holder`'s holdings per vintage at `now` (for the holdings-by-vintage plot)."""
        self.history.append((now, self.by_vintage(holder)))
