"""The demo's consensus section (SPEC §6): the emulator fed by this chain's node weights and transactions."""

from __future__ import annotations

from typing import Any, TextIO

from consensus_emulator import default_config
from energy_trading.chain.connection import TxRecord
from energy_trading.chain.deploy import Deployment
from energy_trading.scenarios.emulation import REPLAY_RATE_TPS, chain_node_weights, consensus_figures

__all__ = ["consensus_walkthrough"]


def consensus_walkthrough(d: Deployment, out: TextIO, tx_log: list[TxRecord]) -> dict[str, object]:
    """Emulate consensus on this chain's node weights and transaction stream (SPEC §6); print the figures."""
    weights = chain_node_weights(d)
    figures = consensus_figures(weights, tx_log)
    print("Consensus emulator fed by this chain (seed 7, 60 blocks per protocol)", file=out)
    nodes = ", ".join(f"{label} {w:.1f}" for label, w in figures["nodes"].items())
    print(f"  node weights from NodeWeights.allWeights(): {nodes}", file=out)
    block_tx = default_config("raft").workload.block_tx
    for line in (
        "weighted Raft re-elects every block with seed 001 eq 7 timeouts (100 + 5 x weight rank ms), so the",
        "heaviest node leads; Raft elects once, whoever's random timeout fires first (the same node only by",
        f"chance). Workload: saturated, {block_tx} synthetic transactions per block (this chain's stream",
        "is replayed on CRSM below). Block latency and TPS per block count one block's consensus;",
        "throughput is committed transactions / simulated time, elections included.",
    ):
        print(f"  {line}", file=out)
    for name in ("weighted-raft", "raft"):
        m = figures[name]
        leaders = ", ".join(f"{label} x{n}" for label, n in m["leader_counts"].items())
        print(
            f"  {name:13s} leaders: {leaders}; {m['elections']} election(s); block latency "
            f"{m['block_latency_ms']:.1f} ms, TPS per block {m['tps_mean']:.0f}, throughput "
            f"{float(m['throughput_tps']):.0f} tx/s",
            file=out,
        )
    if "crsm-replay" in figures:
        _print_replay(figures["crsm-replay"], out)
    return figures


def _print_replay(m: dict[str, Any], out: TextIO) -> None:
    """CRSM's replay of the demo's transactions (send order and signed sizes, seeded Poisson arrivals at
    REPLAY_RATE_TPS); reports committed/total, and says so when the stream did not drain."""
    head = (
        f"  crsm replaying the demo's signed transactions in send order (seeded arrivals, "
        f"{REPLAY_RATE_TPS:.0f} tx/s): {m['tx_committed']}/{m['transactions_replayed']} committed "
        f"in {m['blocks_committed']} blocks"
    )
    if not m["tx_committed"]:
        print(f"{head}; nothing committed before the emulation's bounds", file=out)
        return
    p = m["phases_ms"]
    drained = "" if m["tx_committed"] == m["transactions_replayed"] else " (NOT drained)"
    print(
        f"{head}{drained}, mean transaction latency {m['tx_latency_ms']:.1f} ms; per block prepare "
        f"{p['prepare']:.2f} + consensus {p['consensus']:.2f} + formal block {p['formal']:.2f} ms",
        file=out,
    )
