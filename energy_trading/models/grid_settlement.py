"""Grid-balanced settlement with credit weights (seed 001 §4.2.1 and §4.3, SPEC §4): the pure model.

Exact rational arithmetic (`fractions.Fraction`) for one settlement round of the paper's model:

- money per contract, eq 26-31 (`money`), with SPEC §4's sign: the generator's surplus is *sold*
  to the grid at the feed-in price, `V_f = E_ay*U + (E_af-E_ay)*S`;
- credit weights, eq 14-17 (`credit_update`): a performing node gains `(Wmax-W)*C_e/sum(C_e)`,
  a defaulting one loses `W*(C_e-E_a)/C_e`; Wmax = 100;
- penalties, eq 32-33, compensation of the counterparty, and the rest `F_w` (`penalties`);
- redistribution of `F_w` to every other node in proportion to its credit weight after the round's
  update, eq 34 (`settle_round`);
- decay of credit weights every l rounds, eq 24 (`decay`).

Units: energies in kWh, prices in tokens per kWh, money in tokens, weights on the paper's 0..100
scale. This module is the oracle the contracts (`GridBalancedSettlement`, `CreditWeights`,
`PenaltyPool`) are tested against; it knows nothing about the chain.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Union

__all__ = [
    "W_MAX",
    "ContractResult",
    "Delivery",
    "GridPrices",
    "Money",
    "Penalties",
    "RoundResult",
    "credit_drop",
    "credit_reward",
    "credit_series",
    "credit_update",
    "decay",
    "money",
    "penalties",
    "q",
    "settle_round",
]

Number = Union[Fraction, int, float, str]  # noqa: UP007 (a type alias, kept readable)

#: The paper's credit-weight ceiling Wmax (SPEC §4: 100, the "zero" of §5.2 is a typo).
W_MAX = Fraction(100)


def q(x: Number) -> Fraction:
    """`x` as an exact Fraction; floats go through their shortest decimal repr (0.61 -> 61/100)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, float):
        return Fraction(repr(x))
    return Fraction(x)


@dataclass(frozen=True)
class GridPrices:
    """The grid's prices of seed 001 §4.3.1, tokens per kWh.

    Attributes:
        feed_in: S, what the grid pays a generator for surplus energy.
        grid: B, what a consumer pays the grid for energy it draws beyond the delivered contract.
        fee: G, the over-the-grid fee per kWh of peer-to-peer energy, paid by the consumer.
    """

    feed_in: Fraction
    grid: Fraction
    fee: Fraction

    @classmethod
    def of(cls, feed_in: Number, grid: Number, fee: Number) -> GridPrices:
        """Build from any numbers (floats are read as their decimal text)."""
        return cls(q(feed_in), q(grid), q(fee))


@dataclass(frozen=True)
class Delivery:
    """One contract of a round with its two meter readings (kWh).

    Attributes:
        seller: the generation node's id (f).
        buyer: the consumption node's id (y).
        price: U, the negotiated tariff, tokens per kWh.
        energy_kwh: C_e, the contracted energy.
        generated_kwh: E_af, the seller's actual generation.
        consumed_kwh: E_ay, the buyer's actual consumption.
    """

    seller: str
    buyer: str
    price: Fraction
    energy_kwh: Fraction
    generated_kwh: Fraction
    consumed_kwh: Fraction

    @classmethod
    def of(
        cls,
        seller: str,
        buyer: str,
        price: Number,
        energy_kwh: Number,
        generated_kwh: Number,
        consumed_kwh: Number,
    ) -> Delivery:
        """Build from any numbers; refuses negative energies and a zero contract."""
        d = cls(seller, buyer, q(price), q(energy_kwh), q(generated_kwh), q(consumed_kwh))
        if d.energy_kwh <= 0:
            raise ValueError(
                f"contract {seller}->{buyer}: contracted energy must be > 0 kWh, got {energy_kwh}"
            )
        if d.generated_kwh < 0 or d.consumed_kwh < 0:
            raise ValueError(f"contract {seller}->{buyer}: readings must be >= 0 kWh")
        if d.price < 0:
            raise ValueError(f"contract {seller}->{buyer}: price must be >= 0, got {price}")
        if seller == buyer:
            raise ValueError(f"contract {seller}->{buyer}: a node cannot trade with itself")
        return d


@dataclass(frozen=True)
class Money:
    """What one contract moves, tokens (seed 001 eq 26-31).

    Attributes:
        seller_income: V_f = p2p + feed_in.
        buyer_expense: V_y = p2p + fee + top_up.
        grid_revenue: V_g = fee + top_up - feed_in (negative when the grid buys more surplus than it earns).
        p2p: min(E_af, E_ay) * U, paid by the buyer to the seller.
        fee: min(E_af, E_ay) * G, paid by the buyer to the grid.
        top_up: (E_ay - E_af) * B when the buyer consumed more than was generated, paid to the grid.
        feed_in: (E_af - E_ay) * S when the seller generated more than was consumed, paid by the grid.
    """

    seller_income: Fraction
    buyer_expense: Fraction
    grid_revenue: Fraction
    p2p: Fraction
    fee: Fraction
    top_up: Fraction
    feed_in: Fraction


def money(price: Number, generated_kwh: Number, consumed_kwh: Number, prices: GridPrices) -> Money:
    """Seller income, buyer expense and grid revenue of one contract, tokens.

    seed 001 eq 26-28 when E_af >= E_ay (with SPEC §4's plus sign in eq 26), eq 29-31 otherwise.
    """
    u, e_f, e_y = q(price), q(generated_kwh), q(consumed_kwh)
    shared = min(e_f, e_y)
    p2p = shared * u
    fee = shared * prices.fee
    top_up = (e_y - e_f) * prices.grid if e_y > e_f else Fraction(0)  # seed 001 eq 30-31
    feed_in = (e_f - e_y) * prices.feed_in if e_f > e_y else Fraction(0)  # seed 001 eq 26, 28
    return Money(
        seller_income=p2p + feed_in,
        buyer_expense=p2p + fee + top_up,
        grid_revenue=fee + top_up - feed_in,
        p2p=p2p,
        fee=fee,
        top_up=top_up,
        feed_in=feed_in,
    )


def credit_reward(weight: Number, contracted_kwh: Number, round_contracted_kwh: Number) -> Fraction:
    """seed 001 eq 15: `dR_p = (Wmax - W) * C_e / sum(C_e)`, points on the 0..100 scale."""
    total = q(round_contracted_kwh)
    if total <= 0:
        raise ValueError("the round's total contracted energy must be > 0 kWh")
    return (W_MAX - q(weight)) * q(contracted_kwh) / total


def credit_drop(weight: Number, contracted_kwh: Number, actual_kwh: Number) -> Fraction:
    """seed 001 eq 17: `dR_b = W * (C_e - E_a) / C_e` (0 when the node delivered its contract)."""
    c, a = q(contracted_kwh), q(actual_kwh)
    if a >= c:
        return Fraction(0)
    return q(weight) * (c - a) / c


def credit_update(
    weight: Number, contracted_kwh: Number, actual_kwh: Number, round_contracted_kwh: Number
) -> tuple[Fraction, Fraction]:
    """One node's credit weight after one contract: eq 14-15 if it performed, eq 16-17 if it defaulted.

    A node defaults only when its actual energy is below the contract (SPEC §4).
    Returns `(weight_after, drop)`, `drop` = dW of eq 32-33 (0 for a performing node).
    """
    w = q(weight)
    if q(actual_kwh) < q(contracted_kwh):
        drop = credit_drop(w, contracted_kwh, actual_kwh)
        return w - drop, drop  # seed 001 eq 16
    return w + credit_reward(w, contracted_kwh, round_contracted_kwh), Fraction(0)  # seed 001 eq 14


@dataclass(frozen=True)
class Penalties:
    """Penalties of one contract and where they go, tokens (seed 001 eq 32-34, SPEC §4).

    Attributes:
        seller_penalty: M_f = (B-U-G)(C_e-E_af)(eps+dW_f) when the seller defaulted.
        buyer_penalty: M_y = (U-S)(C_e-E_ay)(eps+dW_y) when the buyer defaulted.
        seller_compensation: (U-S)(C_e-E_ay), the seller's loss when only the buyer defaulted.
        buyer_compensation: (B-U-G)(C_e-E_af), the buyer's loss when only the seller defaulted.
        pooled: F_w = penalties - compensations, shared among every other node by credit weight.
    """

    seller_penalty: Fraction
    buyer_penalty: Fraction
    seller_compensation: Fraction
    buyer_compensation: Fraction
    pooled: Fraction


def penalties(
    price: Number,
    energy_kwh: Number,
    generated_kwh: Number,
    consumed_kwh: Number,
    seller_drop: Number,
    buyer_drop: Number,
    prices: GridPrices,
) -> Penalties:
    """Penalties, compensation and the pooled rest of one contract.

    `seller_drop`/`buyer_drop` are the credit-weight drops dW (points) of `credit_update`.
    eps = 1 when exactly one party defaults, 0 when both do (then nobody is compensated).
    A loss rate that would be negative (U < S, or U + G > B) counts as 0: nobody loses.
    """
    u, c = q(price), q(energy_kwh)
    e_f, e_y = q(generated_kwh), q(consumed_kwh)
    seller_defaults, buyer_defaults = e_f < c, e_y < c
    eps = 0 if (seller_defaults and buyer_defaults) else 1
    buyer_loss_rate = max(prices.grid - u - prices.fee, Fraction(0))  # B - U - G
    seller_loss_rate = max(u - prices.feed_in, Fraction(0))  # U - S
    m_f = (
        buyer_loss_rate * (c - e_f) * (eps + q(seller_drop)) if seller_defaults else Fraction(0)
    )  # seed 001 eq 32
    m_y = (
        seller_loss_rate * (c - e_y) * (eps + q(buyer_drop)) if buyer_defaults else Fraction(0)
    )  # seed 001 eq 33
    comp_y = buyer_loss_rate * (c - e_f) if seller_defaults and not buyer_defaults else Fraction(0)
    comp_f = seller_loss_rate * (c - e_y) if buyer_defaults and not seller_defaults else Fraction(0)
    return Penalties(m_f, m_y, comp_f, comp_y, m_f + m_y - comp_f - comp_y)


@dataclass(frozen=True)
class ContractResult:
    """Everything one contract of a round produced."""

    delivery: Delivery
    money: Money
    penalties: Penalties
    seller_weight_before: Fraction
    seller_weight_after: Fraction
    buyer_weight_before: Fraction
    buyer_weight_after: Fraction


@dataclass(frozen=True)
class RoundResult:
    """One settlement round: per contract results, per node weights and penalty shares (A_i of eq 34).

    `carried` is pooled penalty no other node could take because they all hold zero weight; the chain
    carries it over to the next released penalty.
    """

    contracts: tuple[ContractResult, ...]
    weights_before: dict[str, Fraction]
    weights_after: dict[str, Fraction]
    penalty_shares: dict[str, Fraction] = field(default_factory=dict)
    carried: Fraction = Fraction(0)

    @property
    def pooled(self) -> Fraction:
        """Sum of F_w over the round's contracts."""
        return sum((c.penalties.pooled for c in self.contracts), Fraction(0))


def settle_round(
    deliveries: Sequence[Delivery], weights: Mapping[str, Number], prices: GridPrices
) -> RoundResult:
    """Settle every contract of one round and redistribute the pooled penalties (seed 001 eq 14-17, 26-34).

    `weights` holds every node's credit weight before the round (0..100); nodes that do not trade in
    the round keep theirs and still receive penalty shares. Contracts are applied in order, so a node
    with two contracts in the round has its second update start from its first. Each contract's F_w
    is shared among every node except its two parties, in proportion to credit weights after the whole
    round's update (eq 34, SPEC §4).
    """
    before = {node: q(w) for node, w in weights.items()}
    for d in deliveries:
        for node in (d.seller, d.buyer):
            if node not in before:
                raise ValueError(f"node {node!r} trades in the round but has no credit weight")
    total = sum((d.energy_kwh for d in deliveries), Fraction(0))
    current = dict(before)
    results: list[ContractResult] = []
    for d in deliveries:
        wf, wy = current[d.seller], current[d.buyer]
        wf_after, drop_f = credit_update(wf, d.energy_kwh, d.generated_kwh, total)
        wy_after, drop_y = credit_update(wy, d.energy_kwh, d.consumed_kwh, total)
        current[d.seller], current[d.buyer] = wf_after, wy_after
        results.append(
            ContractResult(
                delivery=d,
                money=money(d.price, d.generated_kwh, d.consumed_kwh, prices),
                penalties=penalties(
                    d.price, d.energy_kwh, d.generated_kwh, d.consumed_kwh, drop_f, drop_y, prices
                ),
                seller_weight_before=wf,
                seller_weight_after=wf_after,
                buyer_weight_before=wy,
                buyer_weight_after=wy_after,
            )
        )
    shares = {node: Fraction(0) for node in current}
    carried = Fraction(0)
    for r in results:
        pooled = r.penalties.pooled
        if pooled == 0:
            continue
        parties = {r.delivery.seller, r.delivery.buyer}
        others = {n: w for n, w in current.items() if n not in parties}
        denominator = sum(others.values(), Fraction(0))
        if denominator == 0:
            carried += pooled  # nobody else holds weight: the chain carries F_w over
            continue
        for n, w in others.items():
            shares[n] += pooled * w / denominator  # seed 001 eq 34
    return RoundResult(tuple(results), before, current, shares, carried)


def decay(weight: Number, delta: Number = Fraction(1, 20)) -> Fraction:
    """seed 001 eq 24-25: `W * exp(-delta)` (exp evaluated in floating point, then made exact)."""
    return q(weight) * Fraction(math.exp(-float(q(delta))))


def credit_series(
    initial: Number,
    contracted_kwh: Number,
    round_contracted_kwh: Number,
    actual_kwh: Iterable[Number],
    decay_every: int = 30,
    delta: Number = Fraction(1, 20),
) -> list[Fraction]:
    """A node's credit weight after each round when it has one contract per round (seed 001 Fig 8).

    Decay (eq 24) applies before round l+1, 2l+1, ... i.e. after every `decay_every` completed rounds.
    Returns the weight after each round's update.
    """
    w = q(initial)
    out: list[Fraction] = []
    for n, actual in enumerate(actual_kwh):
        if n and decay_every and n % decay_every == 0:
            w = decay(w, delta)
        w, _ = credit_update(w, contracted_kwh, actual, round_contracted_kwh)
        out.append(w)
    return out
