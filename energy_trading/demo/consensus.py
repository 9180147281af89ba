"""The demo's consensus section (SPEC §6): the emulator fed by this chain's node weights and transactions."""

from __future__ import annotations

from typing import Any, TextIO

from energy_trading.chain.connection import TxRecord
from energy_trading.chain.deploy import Deployment
from energy_trading.scenarios.emulation import chain_node_weights, consensus_figures

__all__ = ["consensus_walkthrough"]


def consensus_walkthrough(d: Deployment, out: TextIO, tx_log: list[TxRecord]) -> dict[str, object]:
    """Emulate consensus on this chain's node weights and transaction stream (SPEC §6); print the figures."""
    weights = chain_node_weights(d)
    figures = consensus_figures(weights, tx_log)
    print("Consensus emulator fed by this chain (seed 7, 60 blocks per protocol)", file=out)
    nodes = ", ".join(f"{label} {w:.1f}" for label, w in figures["nodes"].items())
    print(f"  node weights from NodeWeights.allWeights(): {nodes}", file=out)
    for name in ("weighted-raft", "raft"):
        m = figures[name]
        leaders = ", ".join(f"{label} x{n}" for label, n in m["leader_counts"].items())
        print(
            f"  {name:13s} leaders: {leaders}; block latency {m['block_latency_ms']:.1f} ms, "
            f"TPS {m['tps_mean']:.0f}",
            file=out,
        )
    if "crsm-replay" in figures:
        _print_replay(figures["crsm-replay"], out)
    return figures


def _print_replay(m: dict[str, Any], out: TextIO) -> None:
    """CRSM's replay of the demo's transactions; when none committed (the emulated blocks ran out before a
    long gap between send times, as on a loaded machine) say so instead of formatting missing latencies."""
    if not m["tx_committed"]:
        print(
            f"  crsm replaying the demo's {m['transactions_replayed']} signed transactions at their send "
            f"times: none committed in {m['blocks_committed']} blocks (the send times are wall-clock; "
            "a slow run spreads them beyond the emulated blocks)",
            file=out,
        )
        return
    p = m["phases_ms"]
    print(
        f"  crsm replaying the demo's {m['transactions_replayed']} signed transactions at their send "
        f"times: {m['tx_committed']} committed in {m['blocks_committed']} blocks, mean transaction "
        f"latency {m['tx_latency_ms']:.1f} ms; per block prepare {p['prepare']:.2f} + consensus "
        f"{p['consensus']:.2f} + formal block {p['formal']:.2f} ms",
        file=out,
    )
