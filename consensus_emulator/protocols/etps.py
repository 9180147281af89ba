"""ETPS: seed 002's proof-of-stake baseline ("the solutions built on PoS ... in [6]", §IV-A).

Seed 002 says only that ETPS is built on PoS and takes "nearly a hundred times" SBET's
block creation time "due to its complex verification and block generation processes".
Model, per block (times in ms):

1. data window: as SPFT, every microgrid's trades reach every other after seed 002's
   eq 6 wait; the round waits until the last copy anywhere has arrived;
2. stake lottery (PoS block generation, as in PPCoin, King & Nadal 2012): time advances in
   slots of `slot_ms`; in each slot microgrid i finds a valid kernel with probability
   ``q * stake_i / sum(stake)``, q = slot_ms / target_spacing_ms, so a block is found after a
   geometric number of slots (mean about `target_spacing_ms`); the first finder creates;
3. the creator packs, hashes and signs the block and its kernel proof and sends it to
   every other microgrid one after the other; each verifies both signatures, the hash and
   every transaction. The block counts as created when the last microgrid has verified it.

Stakes (drawn once per run from U[stake_min, stake_max]) and lottery draws come from a
generator of their own, seeded from the run's seed, so two runs with one seed hold the same
lottery whatever else (t_max, block size) differs. Steps 1 and 3 use the shared cost and
network model in closed form (base latency + distance + size / bandwidth; jitter and outages
are not drawn). Block creation time (seed 002 Figs 5-6) is reported as ``extra["block_creation_ms"]``.
"""

from __future__ import annotations

import numpy as np

from consensus_emulator.config import ETPSParams, SimConfig
from consensus_emulator.metrics import RunResult, summarise_times
from consensus_emulator.protocols.sbet import wait_ms
from consensus_emulator.sim import Sim

__all__ = ["ETPS", "run_etps", "slots_until_block"]


def slots_until_block(win_prob: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """(slots until some node wins, the winner) for per-slot win probabilities `win_prob`.

    The slot count is geometric with p = 1 - prod(1 - p_i); the winner of that slot is
    drawn among the nodes with probability proportional to p_i (the chance of two winners in
    one slot is negligible at PoS difficulties and breaks ties by the same proportion).
    """
    p_any = 1.0 - float(np.prod(1.0 - win_prob))
    slots = int(rng.geometric(p_any))
    winner = int(rng.choice(len(win_prob), p=win_prob / win_prob.sum()))
    return slots, winner


class ETPS:
    """One ETPS run."""

    def __init__(self, cfg: SimConfig) -> None:
        self.params: ETPSParams = cfg.params
        self.sim = Sim(cfg)
        self.env = self.sim.env
        self.n = cfg.n_nodes
        p = self.params
        self.lottery = np.random.default_rng([cfg.seed, 0xE795])
        self.stake = self.lottery.uniform(p.stake_min, p.stake_max, self.n)
        q = p.slot_ms / p.target_spacing_ms
        self.win_prob = q * self.stake / self.stake.sum()
        net = self.sim.net
        dist = net.distance_km[: self.n, : self.n]
        d_max = float(dist.max()) if dist.max() > 0 else 1.0
        self.window_ms = max(
            wait_ms(float(dist[u, v]), d_max, p.t_max_ms) + float(net.base[u, v])
            for u in range(self.n)
            for v in range(self.n)
            if u != v
        )
        self.created: list[float] = []
        self.env.process(self.rounds())

    def rounds(self):
        sim, env, c, p = self.sim, self.env, self.sim.costs, self.params
        net = sim.net
        while not sim.rounds_done():
            if sim.pool.pending() == 0:
                yield sim.pool.when_nonempty()
            record = sim.open_round(-1)
            yield env.timeout(self.window_ms)
            slots, winner = slots_until_block(self.win_prob, self.lottery)
            yield env.timeout(slots * p.slot_ms)
            record.proposer = winner
            batch = sim.pool.take(sim.cfg.workload.block_tx)
            size = c.block_bytes(batch.count) + c.vote_bytes  # the block and its kernel proof
            yield env.timeout(batch.count * c.tx_pack_ms + c.hash_cost(size) + 2 * c.sign_ms)
            record.t_prepared = env.now
            others = [u for u in range(self.n) if u != winner]
            departures = env.now + c.send_cost(size) * np.arange(1, len(others) + 1)
            wire = np.array(
                [float(net.base[winner, u]) + size * 8 / (net.cfg.bandwidth_mbps * 1000.0) for u in others]
            )
            verify = c.recv_ms + 2 * c.verify_sig_ms + c.hash_cost(size) + batch.count * c.tx_verify_ms
            net.stats.add("block", len(others), size)
            t_done = float(np.max(departures + wire)) + verify
            yield env.timeout(t_done - env.now)
            record.t_decided = env.now
            self.created.append(env.now - record.t_start)
            t_final = env.now + c.store_cost(size)
            yield env.timeout(t_final - env.now)
            sim.commit(record, batch, t_final)
        sim.finish()

    def run(self) -> RunResult:
        result = self.sim.run("etps")
        result.extra["block_creation_ms"] = summarise_times(self.created)
        result.extra["stake"] = [round(float(s), 3) for s in self.stake]
        return result


def run_etps(cfg: SimConfig) -> RunResult:
    """Run ETPS with `cfg` (protocol "etps")."""
    return ETPS(cfg).run()
