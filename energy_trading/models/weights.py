"""Node weights of seed 001 §4.2 (eq 8-25): the pure model.

Each part lies on the paper's 0..100 scale:

- credit W_a (eq 14-17, `energy_trading.models.grid_settlement.credit_update`),
- traded volume W_d (eq 18, `volume_weight`),
- consensus participation W_g (eq 19, `consensus_update`, capped at 100),
- green certificates W_gc (eq 20, `green_weight`),
- carbon W_ce (eq 21-22, `carbon_weight`, `carbon_settlement`),
- line reliability W_b of generation nodes (eq 23, `line_weight`).

`node_weight` combines them with the moderating factors of §5.2 (`WeightParams`), eq 8-13; W_a and W_g
decay by e^{-delta} every l rounds (eq 24-25, `decay_factor`). This module is the oracle for
`contracts/weights/NodeWeights.sol`; the definitions the paper leaves open are decided the same way
there (see its NatSpec): W_d uses the node's volume in its latest trading round, W_b is 0 before the
first transmission, W_ce is 100 for everyone when all settlements are equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from energy_trading.models.grid_settlement import W_MAX, Number, q

__all__ = [
    "WAD",
    "WeightParams",
    "WeightParts",
    "carbon_settlement",
    "carbon_weight",
    "consensus_step",
    "consensus_update",
    "decay_factor",
    "decay_factor_wad",
    "green_weight",
    "line_weight",
    "node_weight",
    "volume_weight",
]

WAD = 10**18


@dataclass(frozen=True)
class WeightParams:
    """Moderating factors and decay of seed 001 §5.2 (the paper's values are the defaults).

    Attributes:
        alpha: credit factor (alpha_1 = alpha_2).
        beta: traded-volume factor.
        gamma: consensus-participation factor (0.3 in the §5.2.2 consensus runs).
        eta: green-certificate factor.
        mu_generator: carbon factor of generation nodes (mu_1).
        mu_consumer: carbon factor of consumption nodes (mu_2).
        lam: line-reliability factor (lambda), generation nodes only.
        phi: eq 18 adjustment factor.
        omega: eq 19 step.
        delta: decay coefficient of eq 24-25.
        decay_every: l, rounds between decays.
    """

    alpha: Fraction = Fraction(1, 5)
    beta: Fraction = Fraction(1, 5)
    gamma: Fraction = Fraction(3, 10)
    eta: Fraction = Fraction(1, 10)
    mu_generator: Fraction = Fraction(1, 10)
    mu_consumer: Fraction = Fraction(1, 5)
    lam: Fraction = Fraction(1, 10)
    phi: Fraction = Fraction(1, 2)
    omega: Fraction = Fraction(1)
    delta: Fraction = Fraction(1, 20)
    decay_every: int = 30

    def __post_init__(self) -> None:
        g = self.alpha + self.beta + self.gamma + self.eta + self.mu_generator + self.lam
        c = self.alpha + self.beta + self.gamma + self.eta + self.mu_consumer
        if g > 1 or c > 1:
            raise ValueError(
                f"moderating factors must add up to at most 1 (generation node: {float(g)}, "
                f"consumption node: {float(c)}), or weights could exceed 100"
            )
        if not 0 <= self.phi <= 1:
            raise ValueError(f"phi must lie in [0, 1], got {float(self.phi)}")

    def as_wad(self) -> tuple[int, ...]:
        """The `INodeWeights.Params` tuple the contract's constructor takes (WAD integers)."""
        return (
            _wad(self.alpha),
            _wad(self.beta),
            _wad(self.gamma),
            _wad(self.eta),
            _wad(self.mu_generator),
            _wad(self.mu_consumer),
            _wad(self.lam),
            _wad(self.phi),
            _wad(self.omega),
            decay_factor_wad(self.delta),
            self.decay_every,
        )


def _wad(x: Fraction) -> int:
    value = x * WAD
    if value.denominator != 1:
        raise ValueError(f"{x} is not representable in 18 decimals")
    return int(value)


def decay_factor(delta: Number) -> Fraction:
    """e^{-delta} (eq 24-25) as a Fraction within 1e-40 (exact Taylor series of e^{delta}, inverted).

    Pure Fraction arithmetic: no float rounding and no change to the global `decimal` context (brownie
    forbids that).
    """
    x = q(delta)
    if x < 0:
        raise ValueError(f"the decay coefficient delta must be >= 0, got {delta}")
    total, term, n = Fraction(1), Fraction(1), 0
    while term > Fraction(1, 10**45) or n <= x:
        n += 1
        term = term * x / n
        total += term
    return 1 / total


def decay_factor_wad(delta: Number) -> int:
    """e^{-delta} in WAD, rounded down (what `CreditWeights` and `NodeWeights` take)."""
    return int(decay_factor(delta) * WAD)


def volume_weight(
    volume_kwh: Number, round_min_kwh: Number, round_max_contract_kwh: Number, phi: Number = Fraction(1, 2)
) -> Fraction:
    """seed 001 eq 18: `(v - phi*m) / (E_max - phi*m) * 100`, capped at 100.

    `volume_kwh` is the node's sum of min(actual, contracted) in its latest round, `round_min_kwh` the
    round's smallest min(actual, contracted) over every party, `round_max_contract_kwh` its largest contract.
    """
    v, m, e_max, f = q(volume_kwh), q(round_min_kwh), q(round_max_contract_kwh), q(phi)
    span = e_max - f * m
    if span == 0:
        return W_MAX
    return min((v - f * m) / span * 100, W_MAX)


def consensus_step(k: int, omega: Number = 1) -> Fraction:
    """seed 001 eq 19 increment for a valid reply in consensus round k (k = 1, 2, ...): omega*(k+1)/k."""
    if k < 1:
        raise ValueError(f"consensus rounds are numbered from 1, got {k}")
    return q(omega) * (k + 1) / k


def consensus_update(weight: Number, k: int, omega: Number = 1) -> Fraction:
    """seed 001 eq 19: W_g after a valid reply in round k, capped at 100."""
    return min(q(weight) + consensus_step(k, omega), W_MAX)


def green_weight(certificates: Number, total_certificates: Number) -> Fraction:
    """seed 001 eq 20: the node's counted certificates over every node's, * 100 (0 when none exist)."""
    total = q(total_certificates)
    return Fraction(0) if total == 0 else q(certificates) / total * 100


def carbon_settlement(quota: Number, bought: Number, emitted: Number) -> Fraction:
    """seed 001 eq 22: `A_ce = A_q + A_b - A_e` (negative: non-compliant)."""
    return q(quota) + q(bought) - q(emitted)


def carbon_weight(settlement: Number, lowest: Number, highest: Number) -> Fraction:
    """seed 001 eq 21: `(A_ce - min) / (max - min) * 100`; 100 when every settlement is equal."""
    lo, hi = q(lowest), q(highest)
    if hi <= lo:
        return W_MAX
    return min(max((q(settlement) - lo) / (hi - lo) * 100, Fraction(0)), W_MAX)


def line_weight(transmissions: int, failures: int) -> Fraction:
    """seed 001 eq 23: `(C_t - C_b) / C_t * 100`; 0 before the first transmission."""
    if failures > transmissions or failures < 0:
        raise ValueError(f"failures ({failures}) must lie between 0 and transmissions ({transmissions})")
    return Fraction(0) if transmissions == 0 else Fraction(transmissions - failures, transmissions) * 100


@dataclass(frozen=True)
class WeightParts:
    """The parts of one node's weight, each on the 0..100 scale."""

    credit: Fraction = Fraction(0)
    volume: Fraction = Fraction(0)
    consensus: Fraction = Fraction(0)
    green: Fraction = Fraction(0)
    carbon: Fraction = Fraction(0)
    line: Fraction = Fraction(0)


def node_weight(parts: WeightParts, generator: bool, params: WeightParams | None = None) -> Fraction:
    """seed 001 eq 8-10 (generation node, `generator=True`) or eq 11-13 (consumption node)."""
    p = params or WeightParams()
    w1 = p.alpha * parts.credit + p.beta * parts.volume + p.gamma * parts.consensus  # seed 001 eq 9 / 12
    if generator:
        return (
            w1 + p.eta * parts.green + p.mu_generator * parts.carbon + p.lam * parts.line
        )  # seed 001 eq 8, 10
    return w1 + p.eta * parts.green + p.mu_consumer * parts.carbon  # seed 001 eq 11, 13
