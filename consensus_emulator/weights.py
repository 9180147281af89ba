"""Node weights for weighted Raft (seed 001 §4.2), when no chain supplies them.

The emulator reads real weights from an `energy-trading` run (`chain_input`). Without
one, `Seed001Market` generates weights that change every round by the paper's own rules
on the market of its §5.1: 15 generators (paper nodes 1-15) and 15 consumers (16-30),
generator i trading the contracted volume of Table 1 with consumer i + 15.

Per round k (one trade per node, then one consensus, §5.2):

* credit weight W_a: reward eq 14-15 ``W += (Wmax - W) * C_e / sum(C_e)`` when the
  node performs (sum over the round's trades, each once: 2310 kWh for Table 1), penalty
  eq 16-17 ``W -= W * (C_e - E_a) / C_e`` when it defaults
  (Wmax = 100, SPEC §4; W_a starts at 0, §5.2);
* volume weight W_d: eq 18 with phi = 0.5;
* consensus participation W_g: eq 19, ``W_g += omega * (k+1)/k`` for the valid
  repliers of the round (told by the protocol through `participate`), capped at 100;
* green-certificate weight W_gc: eq 20 on certificates issued per MWh of renewable
  generation (eq 6, remainder carried over) that generators sell to consumers;
* carbon weight W_ce: eq 21-22 on a yearly settlement drawn once per node;
* line-reliability weight W_b (generators): eq 23;
* decay eq 24-25: W_a and W_g are multiplied by exp(-delta) every l = 30 rounds;
* totals eq 8-13 with alpha = beta = 0.2, eta = 0.1, mu1 = 0.1, mu2 = 0.2,
  lambda = 0.1, omega = 1, and gamma (participation) chosen by the caller.

The paper does not list which generators are renewable, the default probabilities,
certificate sales or carbon data; the choices below are stated in `Seed001Market`'s
attributes. Node ids here are 0-based: paper node j is id j - 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["TABLE1_CONTRACT_KWH", "Seed001Market", "timeout_ranks"]

#: Contracted electricity (kWh) of generator nodes 1-15 (seed 001 Table 1); consumer
#: node i + 15 holds the same contract.
TABLE1_CONTRACT_KWH = (310, 200, 110, 190, 290, 160, 140, 110, 140, 190, 60, 120, 130, 60, 100)


def timeout_ranks(weights: np.ndarray) -> np.ndarray:
    """Rank n_i of each node by weight (1 = heaviest, ties by lower id), seed 001 eq 7."""
    order = np.lexsort((np.arange(len(weights)), -np.asarray(weights)))
    ranks = np.empty(len(weights), dtype=int)
    ranks[order] = np.arange(1, len(weights) + 1)
    return ranks


@dataclass
class _Coefficients:
    alpha: float = 0.2
    beta: float = 0.2
    eta: float = 0.1
    mu_generator: float = 0.1
    mu_consumer: float = 0.2
    lam: float = 0.1
    phi: float = 0.5
    omega: float = 1.0
    delta: float = 0.05
    decay_every: int = 30
    w_max: float = 100.0


class Seed001Market:
    """Synthetic per-round node weights of seed 001's 30-node market (0..100 scale each).

    Args:
        n: number of nodes (30 in the paper; other sizes cycle Table 1's contracts).
        rng: the run's generator.
        gamma: weight of consensus participation (eq 9/12; 0 in §5.2.1, 0.3 in §5.2.2).

    Attributes (the assumptions the paper leaves open):
        renewable: generators that earn green certificates (non-hydro renewables).
        default_prob: per-round probability that a node under-delivers; paper nodes 17
            and 29 are the habitual defaulters of §5.1.
        default_delivery: fraction of its contract a defaulting node delivers, or NaN for a
            fresh U[0.6, 0.95] draw per default; nodes 17 and 29 deliver what Table 2 reports
            of their defaults (180 of 200 kWh and 50 of 60 kWh), the only defaults the paper
            quantifies.
        sell_prob: per-round probability that a generator holding certificates sells one.
        line_fault_prob: per-transmission failure probability of a generator's line.
    """

    def __init__(self, n: int, rng: np.random.Generator, gamma: float = 0.0) -> None:
        self.n = n
        self.rng = rng
        self.gamma = gamma
        self.k = 0
        self.c = _Coefficients()
        n_gen = (n + 1) // 2
        self.generator = np.arange(n) < n_gen
        self.partner = np.where(self.generator, np.arange(n) + n_gen, np.arange(n) - n_gen)
        self.partner = np.clip(self.partner, 0, n - 1)
        gen_idx = np.arange(n) % n_gen
        self.contract = np.array([TABLE1_CONTRACT_KWH[g % 15] for g in gen_idx], dtype=float)
        paper_renewable = {1, 2, 3, 5, 7, 8, 10, 11, 13}
        self.renewable = self.generator & np.isin(gen_idx % 15 + 1, list(paper_renewable))
        self.default_prob = np.full(n, 0.03)
        for paper_id in (17, 29):
            if paper_id - 1 < n:
                self.default_prob[paper_id - 1] = 0.5
        self.default_delivery = np.full(n, np.nan)
        for paper_id, delivered in ((17, 180 / 200), (29, 50 / 60)):  # Table 2
            if paper_id - 1 < n:
                self.default_delivery[paper_id - 1] = delivered
        self.sell_prob = 0.1
        self.line_fault_prob = 0.02
        self.w_a = np.zeros(n)
        self.w_g = np.zeros(n)
        self.certs = np.zeros(n)
        self.generated_kwh = np.zeros(n)
        self.transmissions = np.zeros(n)
        self.line_faults = np.zeros(n)
        quota = rng.uniform(800.0, 1200.0, n)
        emitted = np.where(
            self.renewable,
            0.0,
            np.where(self.generator, quota * rng.uniform(0.9, 1.3, n), quota * rng.uniform(0.9, 1.5, n)),
        )
        bought = np.where(emitted > quota, (emitted - quota) * rng.uniform(0.0, 1.0, n), 0.0)
        settlement = quota + bought - emitted  # seed 001 eq 22
        span = settlement.max() - settlement.min()
        self.w_ce = (
            (settlement - settlement.min()) / span * 100.0 if span > 0 else np.zeros(n)
        )  # seed 001 eq 21
        self.w_d = np.zeros(n)
        self.w_gc = np.zeros(n)
        self.w_b = np.where(self.generator, 100.0, 0.0)

    # ---------------------------------------------------------------- rounds
    def step(self) -> np.ndarray:
        """Trade one round (k += 1) and return the total weights after it."""
        c, rng, n = self.c, self.rng, self.n
        self.k += 1
        if self.k > 1 and (self.k - 1) % c.decay_every == 0:  # seed 001 eq 24-25
            self.w_a *= math.exp(-c.delta)
            self.w_g *= math.exp(-c.delta)
        defaults = rng.random(n) < self.default_prob
        delivered = np.where(
            np.isnan(self.default_delivery), rng.uniform(0.6, 0.95, n), self.default_delivery
        )
        actual = np.where(defaults, self.contract * delivered, self.contract)
        # seed 001 eq 15: "sum E_c is the total negotiated transaction volume of transaction k" (§4.2.1):
        # each trade counted once (Table 1: node 1's 310 kWh lifts 97.67 to 97.98, i.e.
        # 2.33 x 310 / 2310, the sum of the 15 contracts), not once per side (4620)
        share = self.contract / self.contract[self.generator].sum()
        reward = (c.w_max - self.w_a) * share  # seed 001 eq 15
        penalty = self.w_a * (self.contract - actual) / self.contract  # seed 001 eq 17
        self.w_a = np.clip(np.where(defaults, self.w_a - penalty, self.w_a + reward), 0.0, c.w_max)
        floor = c.phi * min(actual.min(), self.contract.min())
        self.w_d = (
            (np.minimum(actual, self.contract) - floor) / (self.contract.max() - floor) * 100.0
        )  # seed 001 eq 18
        # green certificates, seed 001 eq 6 (one per MWh, remainder carried) and eq 20
        self.generated_kwh += np.where(self.renewable, actual, 0.0)
        issued = np.floor(self.generated_kwh / 1000.0)
        self.generated_kwh -= issued * 1000.0
        self.certs += issued
        consumers = np.flatnonzero(~self.generator)
        for g in np.flatnonzero(self.generator & (self.certs >= 1)):
            if consumers.size and rng.random() < self.sell_prob:
                self.certs[g] -= 1
                self.certs[rng.choice(consumers)] += 1
        held = self.certs.sum()
        self.w_gc = self.certs / held * 100.0 if held > 0 else np.zeros(n)
        # line reliability of generators, seed 001 eq 23
        self.transmissions += self.generator
        self.line_faults += self.generator & (rng.random(n) < self.line_fault_prob)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.w_b = np.where(
                self.generator, (self.transmissions - self.line_faults) / self.transmissions * 100.0, 0.0
            )
        return self.total()

    def participate(self, valid_repliers: list[int] | set[int]) -> None:
        """Eq 19: the valid repliers of consensus k gain omega * (k+1)/k (max 100)."""
        k = max(self.k, 1)
        for node in valid_repliers:
            self.w_g[node] = min(100.0, self.w_g[node] + self.c.omega * (k + 1) / k)

    def total(self) -> np.ndarray:
        """Eq 8-13: total node weights (0..100 scale per component)."""
        c = self.c
        common = c.alpha * self.w_a + c.beta * self.w_d + self.gamma * self.w_g + c.eta * self.w_gc
        generator = common + c.mu_generator * self.w_ce + c.lam * self.w_b
        consumer = common + c.mu_consumer * self.w_ce
        return np.where(self.generator, generator, consumer)
