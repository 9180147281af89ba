"""Hybrid PoS + PBFT: seed 000's baseline [31] (Wu, Song & Wang, Math. Probl. Eng. 2020).

Seed 000 compares CRSM with "the improved Hybrid algorithm of reference [31]" (§IV-C,
Figs 5-6): proof of stake chooses the consensus committee, PBFT runs inside it. Model
(times in ms):

1. PoS committee: every node holds a stake drawn once per run from U[1, 100] (a separate
   generator seeded from the run's seed, so the PBFT randomness is that of plain PBFT);
   the ``c = max(min_committee, ceil(committee_fraction * N))`` largest stakes form the
   committee, the largest being the first primary;
2. PBFT inside the committee, exactly `consensus_emulator.protocols.pbft` with n = c
   (pre-prepare, prepare, commit; f = floor((c-1)/3); view changes);
3. formal block: the primary sends the committed block to the N - c other nodes one after
   the other on its CPU (``send_cost`` each) with the committee's commit certificate
   (2f + 1 signatures); each checks the certificate and the block hash and stores it
   (the committee has verified the transactions; outsiders trust its quorum). The round
   is final when the last has stored it, and the next round starts then.

Messages per block: PBFT's 2c(c-1) plus N - c block copies. Faults apply to committee
members (node ids 0..c-1 of the committee). Step 3 is computed in closed form from the
same cost and network model (base latency + size / bandwidth + distance); jitter and link
outages are not drawn for it (documented approximation; LAN links have neither by default).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from consensus_emulator.config import HybridParams, PBFTParams, SimConfig
from consensus_emulator.metrics import RunResult
from consensus_emulator.protocols.pbft import PBFT

__all__ = ["Hybrid", "committee_size", "hybrid_messages_per_block", "run_hybrid"]


def committee_size(n_nodes: int, params: HybridParams) -> int:
    """Committee members c of N nodes: max(min_committee, ceil(fraction * N)), at most N."""
    return min(n_nodes, max(params.min_committee, math.ceil(params.committee_fraction * n_nodes - 1e-9)))


def hybrid_messages_per_block(n_nodes: int, committee: int) -> int:
    """Fault-free messages per block: PBFT inside the committee plus one copy per other node."""
    c = committee
    return (c - 1) + (c - 1) ** 2 + c * (c - 1) + (n_nodes - c)


class Hybrid(PBFT):
    """One hybrid PoS + PBFT run over `cfg.n_nodes` nodes."""

    def __init__(self, cfg: SimConfig) -> None:
        cfg.validate()
        params: HybridParams = cfg.params
        self.total = cfg.n_nodes
        c = committee_size(cfg.n_nodes, params)
        stake = np.random.default_rng([cfg.seed, 0x5051]).uniform(1.0, 100.0, cfg.n_nodes)
        self.committee = [int(i) for i in np.argsort(-stake, kind="stable")[:c]]
        self.stake = stake
        sub = replace(
            cfg,
            protocol="pbft",
            n_nodes=c,
            params=PBFTParams(view_change_timeout_ms=params.view_change_timeout_ms),
        )
        super().__init__(sub)

    def dissemination_ms(self, tx_count: int) -> tuple[float, float]:
        """(time from commit until the last non-member stored the block, block size in bytes)."""
        c, net = self.sim.costs, self.sim.cfg.network
        others = self.total - self.n
        size = c.block_bytes(tx_count) + (2 * self.f + 1) * c.vote_bytes
        if others == 0:
            return 0.0, size
        wire = (
            net.base_latency_ms + net.ms_per_km * net.area_km / 2 + size * 8 / (net.bandwidth_mbps * 1000.0)
        )
        certificate = (2 * self.f + 1) * c.verify_sig_ms
        check = c.recv_ms + certificate + c.hash_cost(size) + c.store_cost(size)
        return others * c.send_cost(size) + wire + check, size

    def normal_case(self, record, p: int):
        ok = yield from super().normal_case(record, p)
        if ok and record.tx_count:
            extra, size = self.dissemination_ms(record.tx_count)
            self.net.stats.add("formal", self.total - self.n, size)
            record.t_final += extra
            record.tx_latency_ms += extra
            self.cpu_free[p] += extra
            yield self.env.timeout(extra)
        return ok

    def run(self) -> RunResult:
        result = self.sim.run("hybrid")
        result.extra["committee"] = self.committee
        result.extra["f"] = self.f
        result.extra["views"] = self.view
        return result


def run_hybrid(cfg: SimConfig) -> RunResult:
    """Run the hybrid PoS + PBFT with `cfg` (protocol "hybrid")."""
    return Hybrid(cfg).run()
