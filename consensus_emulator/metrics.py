"""Per-round records and the metrics computed from them.

TPS follows seed 000 eq 3-4: ``TPS = Tran_len / dT`` with
``dT = Time_pre_block + Time_consensus + Time_for_block``; every protocol reports its
rounds with the same three phases:

* prepare: the proposer assembles the (preparatory) block: takes transactions from the
  pool, hashes and signs;
* consensus: from dispatching the proposal until the protocol's quorum decided it;
* formal: from the decision until the (formal) block is stored by every live node that
  receives it.

A round that commits nothing (all domains failed, no quorum, a crashed primary) counts
with TPS 0, so the mean TPS of a run falls to 0 when no round can commit (seed 000
Fig 10).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ElectionRecord", "RoundRecord", "RunResult", "summarise_times"]


@dataclass
class RoundRecord:
    """One consensus round (ms timestamps, counts in messages / bytes / tx)."""

    height: int
    proposer: int
    t_start: float
    t_prepared: float = math.nan
    t_decided: float = math.nan
    t_final: float = math.nan
    tx_count: int = 0
    committed: bool = False
    messages: int = 0
    bytes: int = 0
    tx_latency_ms: float = math.nan  # mean arrival -> final over the block's tx
    note: str = ""

    @property
    def prepare_ms(self) -> float:
        return self.t_prepared - self.t_start

    @property
    def consensus_ms(self) -> float:
        return self.t_decided - self.t_prepared

    @property
    def formal_ms(self) -> float:
        return self.t_final - self.t_decided

    @property
    def dt_ms(self) -> float:
        """Block generation time dT of seed 000 eq 4 (ms)."""
        return self.t_final - self.t_start

    @property
    def tps(self) -> float:
        """Seed 000 eq 3 for this round, tx/s; 0 when nothing was committed."""
        if not self.committed or self.tx_count == 0 or not self.dt_ms > 0:
            return 0.0
        return self.tx_count / (self.dt_ms / 1000.0)


@dataclass
class ElectionRecord:
    """A leader/primary (re)selection: from losing the leader to having a new one (ms)."""

    t_start: float
    t_end: float
    winner: int
    cause: str = ""
    from_crash: bool = False  # t_start is the crash of the previous leader (a failover)

    @property
    def duration_ms(self) -> float:
        return self.t_end - self.t_start


def summarise_times(values: list[float] | np.ndarray) -> dict[str, float]:
    """Mean, median, 5th/90th/95th/99th percentile, min and max of a list of times (ms)."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return {"count": 0}
    return {
        "count": int(arr.size),
        "mean": float(arr.mean()),
        "median": float(np.median(arr)),
        "p05": float(np.percentile(arr, 5)),
        "p90": float(np.percentile(arr, 90)),
        "p95": float(np.percentile(arr, 95)),
        "p99": float(np.percentile(arr, 99)),
        "min": float(arr.min()),
        "max": float(arr.max()),
    }


@dataclass
class RunResult:
    """Everything one run measured."""

    protocol: str
    config: dict[str, Any]
    rounds: list[RoundRecord]
    elections: list[ElectionRecord] = field(default_factory=list)
    sim_time_ms: float = 0.0
    messages_by_kind: dict[str, int] = field(default_factory=dict)
    control_messages: int = 0
    lost_messages: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def committed(self) -> list[RoundRecord]:
        return [r for r in self.rounds if r.committed]

    def tps_values(self) -> np.ndarray:
        return np.array([r.tps for r in self.rounds], dtype=float)

    @property
    def tps_mean(self) -> float:
        values = self.tps_values()
        return float(values.mean()) if values.size else 0.0

    def leader_counts(self) -> dict[int, int]:
        """How many committed blocks each node proposed (leader/creator distribution)."""
        return dict(sorted(Counter(r.proposer for r in self.committed).items()))

    def summary(self) -> dict[str, Any]:
        """JSON-ready metrics (times in ms, throughput in tx/s)."""
        committed = self.committed
        tps = self.tps_values()

        def mean_of(attr: str) -> float | None:
            vals = [getattr(r, attr) for r in committed]
            vals = [v for v in vals if not math.isnan(v)]
            return float(np.mean(vals)) if vals else None

        total_tx = sum(r.tx_count for r in committed)
        span = (max(r.t_final for r in committed) - self.rounds[0].t_start) if committed else 0.0
        return {
            "protocol": self.protocol,
            "rounds_attempted": len(self.rounds),
            "blocks_committed": len(committed),
            "tx_committed": total_tx,
            "tps_mean": float(tps.mean()) if tps.size else 0.0,
            "tps_std": float(tps.std()) if tps.size else 0.0,
            "throughput_tps": total_tx / (span / 1000.0) if span > 0 else 0.0,
            "phases_ms": {
                "prepare": mean_of("prepare_ms"),
                "consensus": mean_of("consensus_ms"),
                "formal": mean_of("formal_ms"),
            },
            "block_latency_ms": mean_of("dt_ms"),
            "tx_latency_ms": mean_of("tx_latency_ms"),
            "messages_per_block": mean_of("messages"),
            "bytes_per_block": mean_of("bytes"),
            "control_messages": self.control_messages,
            "lost_messages": self.lost_messages,
            "leader_counts": {str(k): v for k, v in self.leader_counts().items()},
            "elections": len(self.elections),
            "election_time_ms": summarise_times([e.duration_ms for e in self.elections]),
            "failover_time_ms": summarise_times([e.duration_ms for e in self.elections if e.from_crash]),
            "sim_time_ms": self.sim_time_ms,
            **self.extra,
        }
