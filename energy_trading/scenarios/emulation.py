"""Feed what the contracts produced into the consensus emulator (SPEC §6: weights live on chain;
the emulator reads them).

`consensus_figures` runs, on one seeded network model, weighted Raft with the node weights
read from `NodeWeights.allWeights()` beside plain Raft on the same nodes, and CRSM replaying
the transaction stream (times and signed sizes) that a run sent to the chain.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from consensus_emulator import default_config, run
from consensus_emulator.chain_input import transactions_from_results, weights_from_mapping
from energy_trading.chain.connection import TxRecord
from energy_trading.chain.deploy import Deployment

__all__ = ["chain_node_weights", "consensus_figures"]

WAD = 10**18


def chain_node_weights(d: Deployment) -> dict[str, float]:
    """Active participants' node weights (0..100) from `NodeWeights.allWeights()`, by account label."""
    nodes, weights = d.node_weights.functions.allWeights().call()
    return {
        d.chain.label_of(node): weight / WAD
        for node, weight in zip(nodes, weights, strict=True)
        if d.registry.functions.isActive(node).call()
    }


def consensus_figures(
    weights: dict[str, float], transactions: list[TxRecord], rounds: int = 60, seed: int = 7
) -> dict[str, Any]:
    """Weighted Raft vs Raft on the chain's node weights, and CRSM replaying the chain's transactions.

    Args:
        weights: node weight (0..100 scale) by participant label; at least two must be positive.
        transactions: the run's transaction log (seconds since its start, signed size in bytes).
        rounds: blocks to emulate per protocol.
        seed: the emulator's seed (same seed, same figures).
    Returns:
        JSON-ready figures: per protocol its metrics summary, leader counts mapped back to labels.
    """
    positive = {label: w for label, w in weights.items() if w > 0}
    if len(positive) < 2:
        raise ValueError(f"need at least two nodes with positive weight to elect a leader, got {positive}")
    source = weights_from_mapping(positive, "NodeWeights.allWeights()")
    labels = source.ids  # emulator node k is labels[k]
    figures: dict[str, Any] = {"nodes": {label: positive[label] for label in labels}}
    base = default_config("weighted-raft", n_nodes=source.n_nodes)
    weighted = replace(
        base,
        params=replace(base.params, weights=source.weights, elect_every_round=True),
        rounds=rounds,
        seed=seed,
    ).validate()
    plain = replace(default_config("raft", n_nodes=source.n_nodes), rounds=rounds, seed=seed).validate()
    for name, cfg in (("weighted-raft", weighted), ("raft", plain)):
        summary = run(cfg).summary()
        summary["leader_counts"] = {labels[int(k)]: v for k, v in summary["leader_counts"].items()}
        figures[name] = summary
    if transactions:
        stream = transactions_from_results(
            {"transactions": [{"time_s": t.time_s, "size_bytes": t.size_bytes} for t in transactions]}
        )
        last_arrival_ms = max(t for t, _ in stream)
        crsm = default_config("crsm", n_nodes=4)
        crsm = replace(
            crsm,
            workload=replace(crsm.workload, arrival="replay", replay=stream),
            # one block per arrival at most; the run ends once the stream has drained
            rounds=len(stream),
            max_time_ms=last_arrival_ms + 5_000.0,
            seed=seed,
        ).validate()
        figures["crsm-replay"] = run(crsm).summary() | {"transactions_replayed": len(stream)}
    return figures
