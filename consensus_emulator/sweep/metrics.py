"""One flat row of metrics per run: the columns of the sweep table.

`RunResult.summary()` nests some figures (phases, election-time statistics) and adds
protocol-specific extras; a tidy table wants one scalar per column, the same columns for
every protocol. `flat_metrics` gives exactly `METRICS` (missing values are None), units in
the names: ms, tps = tx/s, counts otherwise.
"""

from __future__ import annotations

import math
from typing import Any

from consensus_emulator.metrics import RunResult

__all__ = ["METRICS", "flat_metrics"]

#: Column order of the metrics in the table.
METRICS: tuple[str, ...] = (
    "tps_mean",  # seed 000 eq 3 averaged over attempted rounds, failed rounds count 0 (tx/s)
    "tps_std",  # standard deviation of the per-round TPS (tx/s)
    "throughput_tps",  # committed tx / span from first round start to last commit (tx/s)
    "rounds_attempted",
    "blocks_committed",
    "tx_committed",
    "prepare_ms",  # mean phase times of committed rounds (ms)
    "consensus_ms",
    "formal_ms",
    "block_latency_ms",  # dT of seed 000 eq 4, mean over committed rounds (ms)
    "tx_latency_ms",  # arrival -> final block, mean (ms)
    "messages_per_block",
    "bytes_per_block",
    "control_messages",
    "lost_messages",
    "elections",  # leader / primary (re)selections
    "election_time_ms_mean",
    "election_time_ms_p95",
    "leader_share_max",  # share of committed blocks proposed by the most frequent proposer
    "sim_time_ms",  # simulated time the run took (ms)
)


def _number(value: Any) -> float | int | None:
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, int):
        return value
    value = float(value)
    return value if math.isfinite(value) else None


def flat_metrics(result: RunResult) -> dict[str, float | int | None]:
    """The `METRICS` of one run, in that order (None where a metric does not apply)."""
    s = result.summary()
    phases = s["phases_ms"]
    elections = s["election_time_ms"]
    leaders = s["leader_counts"]
    committed = s["blocks_committed"]
    row = {
        "tps_mean": s["tps_mean"],
        "tps_std": s["tps_std"],
        "throughput_tps": s["throughput_tps"],
        "rounds_attempted": s["rounds_attempted"],
        "blocks_committed": committed,
        "tx_committed": s["tx_committed"],
        "prepare_ms": phases["prepare"],
        "consensus_ms": phases["consensus"],
        "formal_ms": phases["formal"],
        "block_latency_ms": s["block_latency_ms"],
        "tx_latency_ms": s["tx_latency_ms"],
        "messages_per_block": s["messages_per_block"],
        "bytes_per_block": s["bytes_per_block"],
        "control_messages": s["control_messages"],
        "lost_messages": s["lost_messages"],
        "elections": s["elections"],
        "election_time_ms_mean": elections.get("mean"),
        "election_time_ms_p95": elections.get("p95"),
        "leader_share_max": max(leaders.values()) / committed if committed else None,
        "sim_time_ms": s["sim_time_ms"],
    }
    return {k: _number(row[k]) for k in METRICS}
