"""Provider reputation, seed 003 eq 1-2 (SPEC §2): the pure model and the contract's fixed point.

For provider j in period T with k settled trades, ``v = delivered / agreed`` per trade (capped at 1),
``C_j(T) = mean(v)`` (eq 1) and ``RC_j(T) = alpha*C_j(T) + (1-alpha)*RC_j(T-1)`` (eq 2), ``RC_j(0) = 0``.
A period without trades leaves RC unchanged.

`reputation_series` is the paper's model in floats (for plots and the seed 003 reproduction);
`ReputationLedger` mirrors `contracts/market/ProviderReputation.sol` integer for integer and is the
differential-test oracle for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "WAD",
    "ReputationLedger",
    "completion_ratio",
    "completion_ratio_wad",
    "current_reputation",
    "fold",
    "fold_wad",
    "reputation_series",
]

WAD = 10**18


def completion_ratio(delivered_kwh: float, agreed_kwh: float) -> float:
    """v = delivered / agreed for one trade, capped at 1 (seed 003 §5.1.2)."""
    if agreed_kwh <= 0:
        raise ValueError(f"agreed energy must be > 0 (got {agreed_kwh} kWh)")
    return min(max(delivered_kwh, 0.0) / agreed_kwh, 1.0)


def current_reputation(ratios: Sequence[float]) -> float:
    """C_j(T) = mean of the period's completion ratios (eq 1); needs at least one trade."""
    if not ratios:
        raise ValueError("C_j(T) is defined only for a period with at least one trade")
    return sum(ratios) / len(ratios)


def fold(previous: float, ratios: Sequence[float], alpha: float) -> float:
    """RC_j(T) from RC_j(T-1) and the period's ratios (eq 2); unchanged when there were no trades."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (got {alpha})")
    if not ratios:
        return previous
    return alpha * current_reputation(ratios) + (1.0 - alpha) * previous


def reputation_series(periods: Iterable[Sequence[float]], alpha: float, initial: float = 0.0) -> list[float]:
    """RC_j after each period, from each period's completion ratios (floats, the paper's model)."""
    series, rc = [], initial
    for ratios in periods:
        rc = fold(rc, ratios, alpha)
        series.append(rc)
    return series


def completion_ratio_wad(delivered_wh: int, agreed_wh: int) -> int:
    """v in WAD exactly as the contract computes it: ``min(delivered*1e18 // agreed, 1e18)``."""
    if agreed_wh <= 0:
        raise ValueError(f"agreed energy must be > 0 (got {agreed_wh} Wh)")
    return WAD if delivered_wh >= agreed_wh else delivered_wh * WAD // agreed_wh


def fold_wad(previous_wad: int, sum_v_wad: int, trades: int, alpha_wad: int) -> int:
    """Eq 1-2 in the contract's fixed point.

    ``C = sum_v // k``, ``RC = alpha*C // 1e18 + (1e18 - alpha)*RC // 1e18``.
    """
    current = sum_v_wad // trades
    return alpha_wad * current // WAD + (WAD - alpha_wad) * previous_wad // WAD


@dataclass
class ReputationLedger:
    """Integer mirror of `ProviderReputation`: record trades per (provider, period), fold oldest first.

    Attributes:
        alpha_wad: alpha in WAD.
        reputation: RC_j by provider (WAD).
        records: (provider, period) -> [sum of v (WAD), settled trades].
    """

    alpha_wad: int
    reputation: dict[str, int] = field(default_factory=dict)
    records: dict[tuple[str, int], list[int]] = field(default_factory=dict)

    def record(self, provider: str, period: int, delivered_wh: int, agreed_wh: int) -> int:
        """A settled trade; returns its v (WAD)."""
        v = completion_ratio_wad(delivered_wh, agreed_wh)
        rec = self.records.setdefault((provider, period), [0, 0])
        rec[0] += v
        rec[1] += 1
        return v

    def fold(self, provider: str) -> int:
        """Fold every recorded period of `provider`, oldest first; returns RC_j (WAD)."""
        rc = self.reputation.get(provider, 0)
        for key in sorted(k for k in self.records if k[0] == provider):
            sum_v, trades = self.records.pop(key)
            rc = fold_wad(rc, sum_v, trades, self.alpha_wad)
        self.reputation[provider] = rc
        return rc
