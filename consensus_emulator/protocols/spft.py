"""SPFT: seed 002's PBFT-based baseline ("the solutions built on ... PBFT in [7]", §IV-A).

Seed 002 describes SPFT only relative to SBET: the same cooperative microgrids and data,
PBFT [15] for agreement, and "one more round of data exchange" in SBET, so SPFT has no
redundant data exchange. Model, per block (times in ms):

1. data window: every microgrid broadcasts its trades with seed 002's eq 6 wait
   ``zeta = (1 - d / d_max) * t_max`` towards the primary of the view, which collects them
   until the last copy has arrived: ``max_u zeta(u, p) + latency(u, p)``;
2. PBFT among the microgrids, exactly `consensus_emulator.protocols.pbft` (pre-prepare,
   prepare, commit, 2f + 1 quorums, view changes) on the microgrid network.

Block creation time (seed 002 Figs 5-6) = data window + pre-prepare .. commit quorum,
reported as ``extra["block_creation_ms"]`` like SBET's. Trades lost on a down link are
not modelled here (the time model only); seed 002 Fig 8's "missing data cannot be
stored" is what SBET without redundant exchange (`SBETParams.redundant_exchange=False`)
shows.
"""

from __future__ import annotations

from dataclasses import replace

from consensus_emulator.config import PBFTParams, SimConfig, SPFTParams
from consensus_emulator.metrics import RunResult, summarise_times
from consensus_emulator.protocols.pbft import PBFT
from consensus_emulator.protocols.sbet import wait_ms

__all__ = ["SPFT", "run_spft"]


class SPFT(PBFT):
    """One SPFT run: a data window, then PBFT, per block."""

    def __init__(self, cfg: SimConfig) -> None:
        cfg.validate()
        self.spft: SPFTParams = cfg.params
        sub = replace(
            cfg, protocol="pbft", params=PBFTParams(view_change_timeout_ms=self.spft.view_change_timeout_ms)
        )
        super().__init__(sub)
        dist = self.net.distance_km[: self.n, : self.n]
        self.d_max = float(dist.max()) if dist.max() > 0 else 1.0

    def data_window_ms(self, primary: int) -> float:
        """Time until the primary holds every microgrid's copy of the round's trades (eq 6)."""
        net = self.net
        return max(
            wait_ms(float(net.distance_km[u, primary]), self.d_max, self.spft.t_max_ms)
            + float(net.base[u, primary])
            for u in range(self.n)
            if u != primary
        )

    def normal_case(self, record, p: int):
        yield self.env.timeout(self.data_window_ms(p))
        ok = yield from super().normal_case(record, p)
        return ok

    def run(self) -> RunResult:
        result = self.sim.run("spft")
        created = [r.t_decided - r.t_start for r in result.rounds if r.committed]
        result.extra["block_creation_ms"] = summarise_times(created)
        result.extra["f"] = self.f
        return result


def run_spft(cfg: SimConfig) -> RunResult:
    """Run SPFT with `cfg` (protocol "spft")."""
    return SPFT(cfg).run()
