"""Units.sol's fixed-point scales and exact conversions from the papers' units.

The contracts hold energy in Wh, money in token base units (1e18 per token), prices in base units per kWh
and weights in WAD (1e18 = 1 point of the 0..100 scale); the papers and the scenarios speak kWh, tokens and
points. Conversions to the chain refuse values finer than the chain can hold instead of rounding them.
Pure arithmetic: no chain code.
"""

from __future__ import annotations

from fractions import Fraction

from energy_trading.models.grid_settlement import Number, q
from energy_trading.models.weights import WAD

__all__ = ["TOKEN", "WAD", "from_tokens", "from_wad", "from_wh", "to_price", "to_tokens", "to_wad", "to_wh"]

#: Token base units per token (18 decimals).
TOKEN = 10**18


def _exact(x: Fraction, scale: int, what: str) -> int:
    scaled = x * scale
    if scaled.denominator != 1:
        raise ValueError(f"{what} {float(x)} has more decimals than the chain can hold (1/{scale})")
    return int(scaled)


def to_wh(kwh: Number) -> int:
    """kWh -> integer Wh (refuses values finer than 1 Wh)."""
    return _exact(q(kwh), 1_000, "energy")


def from_wh(wh: int) -> Fraction:
    """Wh -> kWh."""
    return Fraction(wh, 1_000)


def to_price(tokens_per_kwh: Number) -> int:
    """tokens per kWh -> token base units per kWh (Units.sol's price unit)."""
    return _exact(q(tokens_per_kwh), TOKEN, "price")


def to_tokens(tokens: Number) -> int:
    """tokens -> base units."""
    return _exact(q(tokens), TOKEN, "amount")


def from_tokens(base_units: int) -> Fraction:
    """base units -> tokens."""
    return Fraction(base_units, TOKEN)


def to_wad(points: Number) -> int:
    """A weight on the 0..100 scale -> WAD."""
    return _exact(q(points), WAD, "weight")


def from_wad(wad: int) -> Fraction:
    """WAD -> a weight on the 0..100 scale."""
    return Fraction(wad, WAD)
